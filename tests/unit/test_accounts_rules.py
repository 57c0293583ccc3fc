"""Pure account rules: language choice, throttling, sessions, passwords, CSV of users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fieldvisit.accounts import domain
from fieldvisit.accounts.domain import Role
from fieldvisit.accounts.forms import parse_users_csv
from fieldvisit.web.i18n import choose_language

NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("preference", "cookie", "accept", "expected"),
    [
        (None, None, None, "id"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "en", "en"),
        (None, None, "id-ID,id;q=0.9,en;q=0.8", "id"),
        (None, None, "fr-FR", "id"),
        (None, "en", "id", "en"),
        ("id", "en", "en", "id"),
        ("en", None, "id", "en"),
        (None, "xx", "en", "en"),
    ],
)
def test_the_language_is_the_users_then_the_cookies_then_the_browsers(preference, cookie, accept, expected):
    assert choose_language(preference, cookie, accept, "id") == expected


def minutes_ago(*minutes: int) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


@pytest.mark.parametrize(
    ("failures", "expected_wait"),
    [
        (minutes_ago(), None),
        (minutes_ago(1, 2, 3, 4), None),
        (minutes_ago(1, 2, 3, 4, 5), timedelta(minutes=10)),  # oldest of the last 5 is 5 min old
        (minutes_ago(1, 2, 3, 4, 20), None),  # one is outside the window
        (minutes_ago(0, 0, 0, 0, 0, 14), timedelta(minutes=15)),
    ],
)
def test_an_account_is_locked_after_five_failures_in_fifteen_minutes(failures, expected_wait):
    until = domain.retry_after(failures, limit=5, window=WINDOW, now=NOW)
    assert (until - NOW if until else None) == expected_wait


@pytest.mark.parametrize(
    ("created_minutes", "seen_minutes", "expired"),
    [(10, 1, False), (10, 60 * 12, True), (60 * 24 * 7, 1, True), (60 * 24 * 7 - 1, 1, False)],
)
def test_a_session_ends_when_idle_or_too_old(created_minutes, seen_minutes, expired):
    assert domain.session_expired(
        created_at=NOW - timedelta(minutes=created_minutes), last_seen_at=NOW - timedelta(minutes=seen_minutes),
        now=NOW, idle=timedelta(hours=12), max_age=timedelta(days=7)) is expired


@pytest.mark.parametrize(
    ("password", "ok"),
    [("short", False), ("ten chars!", True), ("x" * 201, False), ("vera@kemenpppa.test", False)],
)
def test_password_rules(password, ok):
    assert (domain.password_problem(password, email="vera@kemenpppa.test") is None) is ok


def test_passwords_are_hashed_with_argon2id_and_verified():
    hashed = domain.hash_password("a long password")
    assert hashed.startswith("$argon2id$")
    assert domain.verify_password(hashed, "a long password")
    assert not domain.verify_password(hashed, "another one")
    assert not domain.verify_password("garbage", "a long password")


def test_temporary_passwords_are_readable_and_differ():
    first, second = domain.temporary_password(), domain.temporary_password()
    assert first != second and len(first) == 14 and first.count("-") == 2


def test_a_users_csv_with_indonesian_headers_semicolons_and_a_bom_is_read():
    raw = "\ufeffEmail;Nama;Peran;Kode Kab/Kota\nani@x.test;Ani;verifikator;\nbudi@y.test;Budi;daerah;36.71\n"
    rows, problems = parse_users_csv(raw.encode("utf-8"))
    assert problems == []
    assert [(r.email, r.role, r.district_code) for r in rows] == [
        ("ani@x.test", Role.VERIFIER, ""), ("budi@y.test", Role.DISTRICT, "36.71")]


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "empty"),
        (b"email,name\nx@y.test,X\n", "role"),
        (b"email,name,role\nnot-mail,X,verifier\n", "Row 2"),
        (b"email,name,role\nx@y.test,X,verifier\nx@y.test,X,verifier\n", "Row 3"),
        (b"email,name,role,district\nx@y.test,X,district,\n", "Row 2"),
        (b"email,name,role\n", "no users"),
    ],
)
def test_a_bad_users_csv_says_what_is_wrong(raw, fragment):
    rows, problems = parse_users_csv(raw)
    assert any(fragment in p for p in problems), problems

"""Pure rules of hybrid sessions, table-driven."""

from __future__ import annotations

import pytest

from fieldvisit.accounts.domain import Role
from fieldvisit.sessions import domain
from fieldvisit.sessions.domain import NoteRef, Target


@pytest.mark.parametrize(("body", "ok", "hint_only"), [
    ("Ruang konseling ada", True, False),
    ("", False, True),
    ("   \n ", False, True),
    ("x" * domain.MAX_NOTE, True, False),
    ("x" * (domain.MAX_NOTE + 1), False, False),
    ("x" * 10_000, False, False),
])
def test_check_note(body, ok, hint_only):
    check = domain.check_note(body)
    assert (check.ok, check.hint_only) == (ok, hint_only)


def test_a_long_note_is_refused_naming_the_limit():
    assert "2000" in domain.check_note("x" * 10_000).message


@pytest.mark.parametrize(("text", "target"), [
    ("", Target()),
    ("s:12", Target(site_id=12)),
    ("s:12:PUSPAGA-02", Target(site_id=12, item_code="PUSPAGA-02")),
    ("i:i08", Target(indicator_code="I08")),
    ("s:x", None),
    ("q:1", None),
    ("i:", None),
    ("i:TOOLONGCODE", None),
])
def test_parse_target(text, target):
    assert domain.parse_target(text) == target


@pytest.mark.parametrize(("target", "allowed"), [
    (Target(), True),
    (Target(site_id=1), True),
    (Target(site_id=1, item_code="PUSPAGA-02"), True),
    (Target(site_id=1, item_code="SRA-01"), False),
    (Target(site_id=2), False),
    (Target(indicator_code="I08"), True),
    (Target(indicator_code="I09"), False),
])
def test_target_allowed(target, allowed):
    assert domain.target_allowed(target, {1: {"PUSPAGA-02"}}, {"I08"}) is allowed


@pytest.mark.parametrize(("status", "action", "after"), [
    ("scheduled", "start", "live"), ("scheduled", "close", "closed"), ("live", "close", "closed"),
    ("live", "start", None), ("closed", "close", None), ("closed", "start", None), ("live", "", None),
])
def test_next_status(status, action, after):
    assert domain.next_status(status, action) == after


@pytest.mark.parametrize(("role", "allowed_by_round", "may"), [
    (Role.ADMIN, False, True), (Role.VERIFIER, False, True), (Role.NOTETAKER, False, False),
    (Role.NOTETAKER, True, True), (Role.DISTRICT, True, False),
])
def test_may_promote(role, allowed_by_round, may):
    assert domain.may_promote(role, allowed_by_round) is may


def ref(number, site=1, item="PUSPAGA-02", indicator="", body="ada"):
    return NoteRef(number, site, item, indicator, body, "10:00")


@pytest.mark.parametrize(("notes", "problem"), [
    ([ref(1), ref(2)], False),
    ([], True),
    ([ref(1), ref(2, item="PUSPAGA-03")], True),
    ([ref(1), ref(2, site=2)], True),
    ([ref(1, item="")], True),
    ([ref(1, site=None, item="", indicator="I08")], True),
])
def test_promotion_problem(notes, problem):
    assert bool(domain.promotion_problem(notes)) is problem


def test_the_finding_text_names_the_notes_and_keeps_to_the_limit():
    text = domain.finding_text("Sesi", [ref(3, body="Ruang ada"), ref(5, body="x" * 3000)])
    assert text.startswith("From the hybrid session “Sesi”, notes #3, #5:")
    assert "#3 10:00 Ruang ada" in text and len(text) == domain.MAX_FINDING_NOTE


def test_the_promotion_uuid_is_stable_and_names_the_content():
    a = domain.promotion_uuid(1, 2, "PUSPAGA-02", "met", "text")
    assert a == domain.promotion_uuid(1, 2, "PUSPAGA-02", "met", "text")
    assert a != domain.promotion_uuid(1, 2, "PUSPAGA-02", "partial", "text")


def test_notes_are_grouped_by_agenda_entry_then_item_and_number():
    agenda = [{"site_id": 1, "indicator_code": ""}, {"site_id": None, "indicator_code": "I08"}]
    notes = [{"number": n, "site_id": s, "item_code": i, "indicator_code": c}
             for n, s, i, c in [(1, 1, "B", ""), (2, None, "", "I08"), (3, 1, "A", ""), (4, None, "", "")]]
    groups = domain.group_notes(notes, agenda)
    assert [[n["number"] for n in g["notes"]] for g in groups] == [[3, 1], [2], [4]]
    assert groups[-1]["entry"] is None


@pytest.mark.parametrize(("value", "written"), [("=SUM(A1)", "'=SUM(A1)"), ("-1", "'-1"), ("ada", "ada"), (3, 3)])
def test_spreadsheet_cells_never_become_formulas(value, written):
    assert domain._cell(value) == written


@pytest.mark.parametrize(("target", "count", "problem"), [
    (Target(), 0, None),
    (Target(site_id=3, item_code="PUSPAGA-02"), 1, None),
    (Target(site_id=3), domain.MAX_NOTE_PHOTOS, None),
    (Target(site_id=3), domain.MAX_NOTE_PHOTOS + 1, "at most 4 images"),
    (Target(), 1, "evidence of a site"),
    (Target(indicator_code="I08"), 1, "evidence of a site"),
])
def test_a_notes_images_are_of_a_site_and_few(target, count, problem):
    found = domain.photos_problem(target, count)
    assert (found is None) if problem is None else (problem in (found or ""))

"""Reading a verified value as people type it, links, and document files."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from fieldvisit.verifications.domain import (
    display_value,
    document_type,
    parse_links,
    parse_number,
    parse_verified_value,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("83,0", D("83.0")),
        ("83.0", D("83.0")),
        ("92,5 %", D("92.5")),
        (" 12 ", D("12")),
        ("1.234,5", D("1234.5")),
        ("1,234.5", D("1234.5")),
        ("1.234.567", D("1234567")),
        ("1,234,567", D("1234567")),
        ("1.234", D("1.234")),  # a single point is a decimal point: type 1234 for a thousand
        ("0,897", D("0.897")),
        ("+5", D("5")),
        ("-3", D("-3")),
        ("1 234,5", D("1234.5")),
        ("", None),
        ("abc", None),
        ("1,2,3.4,5", None),
        ("1.2.3,4.5", None),
        ("12e3", None),
        ("NaN", None),
        (",5", None),
        ("83,0,1", None),
        ("12.34,5", None),
        ("1.234,", None),
    ],
)
def test_it_reads_numbers_the_indonesian_and_the_english_way(typed: str, expected: D | None) -> None:
    assert parse_number(typed) == expected


@pytest.mark.parametrize(
    ("typed", "kind", "value", "problem"),
    [
        ("83,0", "percent", D("83.0000"), None),
        ("100", "percent", D("100.0000"), None),
        ("100,1", "percent", None, "A percentage is at most 100."),
        ("-1", "number", None, "The value cannot be negative."),
        ("12", "number", D("12.0000"), None),
        ("0,123456", "number", D("0.1235"), None),
        ("99999999999", "number", None, "The value is too large."),
        ("", "number", None, "Enter the verified value."),
        ("dua belas", "number", None, "Enter a number, for example 83,0 or 83.0."),
        ("ya", "yesno", D(1), None),
        ("Tidak", "yesno", D(0), None),
        ("1", "yesno", D(1), None),
        ("mungkin", "yesno", None, "Choose yes or no."),
    ],
)
def test_it_checks_the_value_against_the_kind_of_claim(typed: str, kind: str, value: D | None,
                                                       problem: str | None) -> None:
    assert parse_verified_value(typed, kind) == (value, problem)


@pytest.mark.parametrize(
    ("text", "links", "ok"),
    [
        ("", [], True),
        ("https://dukcapil.tangerangkota.go.id/data", [{"title": "https://dukcapil.tangerangkota.go.id/data",
                                                        "link": "https://dukcapil.tangerangkota.go.id/data"}], True),
        ("Data Dukcapil | https://example.go.id/a.pdf\n\n",
         [{"title": "Data Dukcapil", "link": "https://example.go.id/a.pdf"}], True),
        ("javascript:alert(1)", [], False),
        ("ftp://example.go.id/file", [], False),
        ("https://", [], False),
        ("\n".join(f"https://example.go.id/{n}" for n in range(11)), [], False),
    ],
    ids=["none", "bare", "titled", "script", "ftp", "empty-host", "too-many"],
)
def test_it_reads_links_one_a_line_and_only_web_addresses(text: str, links: list[dict[str, str]], ok: bool) -> None:
    parsed, problem = parse_links(text)
    assert (parsed, problem is None) == (links, ok)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"MZ\x90\x00 an exe renamed .pdf", None),
        (b"<html><script>", None),
        (b"PK\x03\x04 a docx", None),
        (b"", None),
    ],
    ids=["pdf", "jpeg", "png", "exe", "html", "zip", "empty"],
)
def test_it_recognises_documents_by_their_first_bytes(head: bytes, expected: str | None) -> None:
    assert document_type(head) == expected


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [(D("83.0000"), "percent", "83"), (D("0.8970"), "number", "0.897"), (D(1), "yesno", "1"), (None, "number", "")],
)
def test_it_shows_a_stored_value_back_plainly(value: D | None, kind: str, shown: str) -> None:
    assert display_value(value, kind) == shown

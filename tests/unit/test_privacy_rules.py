"""Pure privacy rules (issue 8): which sites are sensitive, who sees originals, the reason for
opening one, blur boxes typed in percent, and what an export may hold."""

from __future__ import annotations

import pytest

from fieldvisit.errors import RuleViolation
from fieldvisit.privacy import domain


@pytest.mark.parametrize(("site_setting", "type_sensitive", "expected"), [
    (None, True, True), (None, False, False), (True, False, True), (False, True, False), (True, True, True),
])
def test_a_sites_own_setting_wins_over_its_type(site_setting, type_sensitive, expected):
    assert domain.site_is_sensitive(site_setting, type_sensitive) is expected


@pytest.mark.parametrize(("role", "expected"), [
    ("admin", True), ("verifier", True), ("notetaker", False), ("district", False), ("", False)])
def test_only_verifiers_and_admins_see_originals(role, expected):
    assert domain.may_see_originals(role) is expected


@pytest.mark.parametrize(("text", "sensitive", "expected"), [
    ("  Cek  nomor\nregister  ", True, "Cek nomor register"),
    ("", False, ""),
    ("cek", False, "cek"),
    ("x" * 600, True, "x" * domain.MAX_REASON),
])
def test_a_reason_is_trimmed(text, sensitive, expected):
    assert domain.check_reason(text, sensitive=sensitive) == expected


@pytest.mark.parametrize("text", ["", "   ", "cek", "a" * (domain.MIN_REASON - 1)])
def test_a_sensitive_sites_original_needs_a_real_reason(text):
    with pytest.raises(RuleViolation):
        domain.check_reason(text, sensitive=True)


@pytest.mark.parametrize(("fields", "expected"), [
    (("10", "20", "30", "40"), (0.1, 0.2, 0.3, 0.4)),
    (("0", "0", "100", "100"), (0.0, 0.0, 1.0, 1.0)),
    (("12,5", "0", "50", "50"), (0.125, 0.0, 0.5, 0.5)),
    (("", "", "", ""), None),
    ((" ", "", "", " "), None),
])
def test_a_percent_box_becomes_fractions(fields, expected):
    assert domain.percent_box(*fields) == (pytest.approx(expected) if expected else None)


@pytest.mark.parametrize("fields", [
    ("30", "20", "10", "40"), ("10", "40", "30", "40"), ("-1", "0", "10", "10"), ("0", "0", "101", "10"),
    ("a", "0", "10", "10"), ("10", "", "30", "40"), ("nan", "0", "10", "10"), ("inf", "0", "10", "10")])
def test_a_box_that_is_not_inside_the_photo_is_refused(fields):
    with pytest.raises(ValueError):
        domain.percent_box(*fields)


@pytest.mark.parametrize(("role", "originals", "gps", "expected"), [
    ("admin", True, True, domain.ExportScope(True, True)),
    ("admin", True, False, domain.ExportScope(True, False)),
    ("admin", False, False, domain.ExportScope()),
    ("verifier", True, True, domain.ExportScope()),
    ("notetaker", True, False, domain.ExportScope()),
    ("district", False, True, domain.ExportScope()),
])
def test_exports_hold_originals_or_gps_only_when_an_admin_asks(role, originals, gps, expected):
    assert domain.export_scope(role, want_originals=originals, want_gps=gps) == expected

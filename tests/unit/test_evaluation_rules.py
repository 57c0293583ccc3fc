"""Pure rules of issue 3: numbers as people type them, tolerances, kab/kota codes, the
self-assessed total and its predicate, documents, maps links, catalogue helpers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from fieldvisit.catalogue.domain import group_by_component, short_name, site_types_by_indicator
from fieldvisit.claims import domain as claims
from fieldvisit.claims.domain import ValueKind
from fieldvisit.reconcile.domain import Predicate
from fieldvisit.rounds import domain as rounds
from fieldvisit.rounds import forms as round_forms
from fieldvisit.sites import domain as sites
from fieldvisit.web.forms import FormData, parse_day, parse_decimal

PREDICATES = [Predicate("NONE", D(0), D("499.99")), Predicate("PRATAMA", D(500), D(600)),
              Predicate("MADYA", D(601), D(700)), Predicate("NINDYA", D(701), D(800)),
              Predicate("UTAMA", D(801), D(900)), Predicate("KLA", D(901), D(1000))]


@pytest.mark.parametrize(("text", "expected"), [
    ("92.5", D("92.5")), ("92,5", D("92.5")), (" 92,5 % ", D("92.5")), ("1.234,5", D("1234.5")),
    ("1,234.5", D("1234.5")), ("38", D(38)), ("0,90", D("0.90")), ("", None), ("abc", None), ("1,2,3", None),
    ("NaN", None), ("Infinity", None), ("-3", D(-3)),
])
def test_numbers_are_read_as_people_type_them(text, expected):
    assert parse_decimal(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-05-22", date(2025, 5, 22)), ("", None), ("22/05/2025", None), ("2025-02-30", None)])
def test_days_are_iso_dates(text, expected):
    assert parse_day(text) == expected


@pytest.mark.parametrize(("low", "high", "problem"), [
    ("0.90", "1.10", None), ("0.5", "2", None), ("0.001", "99.999", None),
    (None, "1.10", "Enter both bounds"), ("0.9", None, "Enter both bounds"),
    ("0", "1.1", "greater than 0"), ("-0.1", "1.1", "greater than 0"),
    ("1.1", "0.9", "lower bound must be below"), ("1", "1", "lower bound must be below"),
    ("0.9", "100", "at most 99.999"), ("0.9001", "1.1", "three decimals"),
])
def test_a_tolerance_is_a_band_above_zero(low, high, problem):
    found = rounds.tolerance_problem(D(low) if low else None, D(high) if high else None)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_typing_the_default_band_keeps_no_row_and_empty_means_default():
    form = FormData(values={"low-I04": "0,90", "high-I04": "1,10", "low-I05": "0.95", "high-I05": "1.05"})
    bands, errors = round_forms.parse_tolerances(form, ["I04", "I05", "I06"])
    assert not errors
    assert bands == {"I04": None, "I05": (D("0.95"), D("1.05")), "I06": None}


@pytest.mark.parametrize(("text", "codes", "bad"), [
    ("36.71", ["36.71"], []), ("36.71, 36.73;35.75\n16.71", ["36.71", "36.73", "35.75", "16.71"], []),
    ("36.71 36.71", ["36.71"], []), ("3671 36.7", ["3671", "36.7"], ["3671", "36.7"]), ("", [], []),
])
def test_kabkota_codes_are_split_and_checked(text, codes, bad):
    assert rounds.split_codes(text) == codes
    assert rounds.bad_codes(codes) == bad


def test_stages_are_ordered_and_labelled():
    assert [s.number for s in rounds.Stage] == [1, 2, 3, 4, 5]
    assert rounds.Stage.VERIFIKASI_LAPANGAN.label == "Field verification"
    assert rounds.stage_label("unknown") == "unknown"


@pytest.mark.parametrize(("role", "active", "ok"), [
    ("verifier", True, True), ("notetaker", True, True), ("verifier", False, False), ("admin", True, False),
    ("district", True, False)])
def test_only_active_verifiers_and_notetakers_join_a_team(role, active, ok):
    assert (rounds.team_problem(role, active) is None) == ok


def test_a_round_form_names_each_problem():
    form = FormData(values={"name": "  KLA   2026 ", "year": "2026", "catalogue_version": "1", "response_days": ""})
    data, errors = round_forms.parse_round(form, [1])
    assert not errors and data.name == "KLA 2026" and data.response_days == 14
    _data, errors = round_forms.parse_round(FormData(values={"year": "x", "catalogue_version": "2"}), [1])
    assert set(errors) == {"name", "year", "catalogue_version"}


@pytest.mark.parametrize(("scores", "total", "predicate"), [
    (["771"], D("771.00"), "NINDYA"), (["34", "38", "699"], D("771.00"), "NINDYA"),
    (["600.5"], D("600.50"), "PRATAMA"), (["801"], D("801.00"), "UTAMA"), (["499.99"], D("499.99"), "NONE"),
    (["250.25", "250.25"], D("500.50"), "PRATAMA"),
])
def test_the_self_assessed_total_is_the_sum_of_claimed_scores_with_its_predicate(scores, total, predicate):
    result = claims.self_assessment([D(s) for s in scores], PREDICATES)
    assert result.total == total and result.predicate is not None and result.predicate.code == predicate
    assert result.claims == len(scores)


def test_no_claims_means_no_predicate():
    result = claims.self_assessment([], PREDICATES)
    assert result.total == 0 and result.predicate is None and result.claims == 0


@pytest.mark.parametrize(("text", "value"), [
    ("ya", D(1)), ("Yes", D(1)), ("1", D(1)), ("ada", D(1)), ("tidak", D(0)), ("No", D(0)), ("0", D(0)),
    ("mungkin", None)])
def test_yes_no_values_in_both_languages(text, value):
    assert claims.parse_yes_no(text) == value


@pytest.mark.parametrize(("kind", "value", "problem"), [
    (ValueKind.PERCENT, D("92.5"), None), (ValueKind.PERCENT, D("100.1"), "at most 100"),
    (ValueKind.NUMBER, D(486), None), (ValueKind.NUMBER, D(-1), "negative"), (ValueKind.NUMBER, None, None),
    (ValueKind.NUMBER, D("1e12"), "too large"),
])
def test_claimed_values(kind, value, problem):
    found = claims.value_problem(kind, value)
    assert (found is None) if problem is None else (problem in (found or ""))


@pytest.mark.parametrize(("score", "maximum", "problem"), [
    (D(38), D(40), None), (D(40), D(40), None), (D(41), D(40), "above the maximum of 40"),
    (D(1001), None, "above the maximum of 1000"), (D(-1), None, "negative"), (None, None, "Enter the claimed score"),
    (D("38.555"), None, "two decimals"),
])
def test_claimed_scores(score, maximum, problem):
    found = claims.score_problem(score, maximum)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_documents_are_one_a_line_title_then_link():
    text = "SK Puspaga | sk-puspaga.pdf\n\n  Laporan 2024 |https://example.go.id/l.pdf\nhttps://x.go.id/a.pdf |\n| b.pdf"
    documents = claims.parse_documents(text)
    assert documents == [{"title": "SK Puspaga", "link": "sk-puspaga.pdf"},
                         {"title": "Laporan 2024", "link": "https://example.go.id/l.pdf"},
                         {"title": "https://x.go.id/a.pdf", "link": ""}, {"title": "b.pdf", "link": "b.pdf"}]
    assert claims.parse_documents(claims.documents_text(documents)) == documents


@pytest.mark.parametrize(("kind", "value", "text"), [
    ("percent", D("92.5000"), "92.5"), ("number", D(486), "486"), ("yesno", D(1), "yes"), ("yesno", D(0), "no"),
    ("number", None, ""), ("number", 38.0, "38")])
def test_stored_values_go_back_into_the_form_plainly(kind, value, text):
    assert claims.value_text(kind, value) == text


def test_claims_are_laid_out_by_cluster_with_subtotals_and_unknown_codes_kept_apart():
    clusters = [{"code": "KL", "indicators": [{"code": "I01"}, {"code": "I02"}]},
                {"code": "K1", "indicators": [{"code": "I04"}]}]
    rows = [{"indicator_code": "I01", "claimed_score": D(34)}, {"indicator_code": "I04", "claimed_score": D(38)},
            {"indicator_code": "X99", "claimed_score": D(5)}]
    groups = claims.by_cluster(clusters, rows)
    assert [g.subtotal for g in groups] == [D(34), D(38)]
    assert [line.claim is not None for line in groups[0].lines] == [True, False]
    assert claims.unknown_indicator_claims(clusters, rows) == [rows[2]]


def test_maps_links_open_the_phone_at_the_site():
    assert sites.geo_uri(-6.1783, 106.6319, "Puspaga Kota") == "geo:-6.178300,106.631900?q=-6.178300,106.631900(Puspaga%20Kota)"
    assert sites.maps_url(-6.1783, 106.6319) == "https://www.google.com/maps/search/?api=1&query=-6.178300%2C106.631900"
    assert sites.osm_url(-6.1783, 106.6319).startswith("https://www.openstreetmap.org/?mlat=-6.178300&mlon=106.631900")


@pytest.mark.parametrize(("lat", "lon", "ok"), [(-6.1, 106.6, True), (None, 106.6, False), (-6.1, None, False),
                                                (-91.0, 106.6, False), (-6.1, 181.0, False), (0.0, 0.0, True)])
def test_a_site_has_a_position_only_with_both_coordinates_in_range(lat, lon, ok):
    assert sites.has_position(lat, lon) is ok


@pytest.mark.parametrize(("name", "short"), [
    ("Satuan Pendidikan Ramah Anak (Sekolah/Madrasah Ramah Anak)", "Satuan Pendidikan Ramah Anak"),
    ("Family learning / parenting counselling centre", "Family learning / parenting counselling centre"),
    ("Forum Anak (kab/kota, kecamatan, desa/kelurahan)", "Forum Anak"), ("(x)", "(x)")])
def test_site_type_short_names(name, short):
    assert short_name(name) == short


def test_site_types_are_found_by_the_indicators_they_relate_to():
    types = [{"code": "SRA", "related_indicators": ["I19", "I17"]}, {"code": "KTR", "related_indicators": ["I17"]}]
    found = site_types_by_indicator(types)
    assert [t["code"] for t in found["I17"]] == ["SRA", "KTR"] and [t["code"] for t in found["I19"]] == ["SRA"]


def test_a_checklist_is_grouped_by_its_weighted_components():
    items = [{"code": "A", "component": "C1"}, {"code": "B", "component": "C2"}, {"code": "C", "component": ""}]
    components = [{"code": "C2"}, {"code": "C1"}, {"code": "C3"}]
    groups = group_by_component(items, components)
    assert [(c["code"] if c else None, [i["code"] for i in members]) for c, members in groups] == [
        ("C2", ["B"]), ("C1", ["A"]), (None, ["C"])]
    assert group_by_component(items, []) == [(None, items)]

"""The import rules, as tables: what each row of a site list or a claims file will do."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fieldvisit.imports import domain
from fieldvisit.imports.domain import (
    ChecklistItem,
    ClaimContext,
    District,
    ExistingClaim,
    ExistingSite,
    SiteContext,
    SiteRef,
    SiteType,
)
from fieldvisit.imports.reader import Table

TYPES = [SiteType("PUSPAGA", "Pusat Pembelajaran Keluarga", "Family Learning Centre"),
         SiteType("SRA", "Sekolah Ramah Anak", "Child-Friendly School"),
         SiteType("PUSKESMAS_RA", "Puskesmas Ramah Anak", "Child-friendly health centre"),
         SiteType("RBRA", "Ruang Bermain Ramah Anak", "Child-friendly playground")]
DISTRICTS = {"36.71": District(1, "36.71", "Kota Tangerang"), "36.73": District(2, "36.73", "Kota Serang"),
             "36.10": District(3, "36.10", "Kabupaten Contoh")}
STORED = {("36.71", "PSPG-01"): ExistingSite(7, {"name": "Puspaga Kota Tangerang", "site_type": "PUSPAGA",
                                                  "address": "Jl. Satria Sudirman No. 1", "kecamatan": "",
                                                  "kelurahan": "", "latitude": -6.1783, "longitude": 106.6319,
                                                  "contact_person": "", "phone": "", "is_active": True})}
COLUMNS = ["code", "name", "site_type", "district", "latitude", "longitude"]


def site_table(*rows: list[str], columns: list[str] = COLUMNS) -> Table:
    return Table("", 1, {c: i for i, c in enumerate(columns)}, {}, [],
                 [(n, list(r)) for n, r in enumerate(rows, start=2)])


def plan(*rows: list[str], **ctx) -> list[domain.RowPlan]:
    context = SiteContext(TYPES, DISTRICTS, STORED, **ctx)
    return list(domain.plan_sites(site_table(*rows), context))


def messages(row: domain.RowPlan) -> list[str]:
    return [f"{p.level}:{p.column}:{p.text()}" for p in row.problems]


@pytest.mark.parametrize(("row", "outcome", "problems"), [
    (["S-1", "SD 1", "SRA", "36.71", "", ""], "new", []),
    (["S-1", "SD 1", "sra", "3671", "-6,17", "106,63"], "new", []),
    (["S-1", "SD 1", "Sekolah Ramah Anak", "Kota Tangerang", "", ""], "new", []),
    (["PSPG-01", "Puspaga Kota Tangerang", "PUSPAGA", "36.71", "-6,1783", "106,6319"], "unchanged", []),
    (["PSPG-01", "Puspaga Baru", "PUSPAGA", "36.71", "-6.1783", "106.6319"], "changed", []),
    (["S-1", "", "SRA", "36.71", "", ""], "error", ["error:name:The name is empty."]),
    (["", "SD 1", "SRA", "36.71", "", ""], "error", ["error:code:The site code is empty."]),
    (["S-1", "SD 1", "PUSKESMAS", "36.71", "", ""], "error",
     ["error:site_type:Unknown site type “PUSKESMAS”. Did you mean PUSKESMAS_RA, PUSPAGA?"]),
    (["S-1", "SD 1", "XQZ", "36.71", "", ""], "error",
     ["error:site_type:Unknown site type “XQZ”. Valid codes: PUSKESMAS_RA, PUSPAGA, RBRA, SRA."]),
    (["S-1", "SD 1", "SRA", "99.99", "", ""], "error", ["error:district:Kab/kota 99.99 is not in the region list."]),
    (["S-1", "SD 1", "SRA", "", "", ""], "error", ["error:district:The kab/kota code is empty."]),
    (["S-1", "SD 1", "SRA", "36.1", "", ""], "new", []),  # Excel dropped the zero of 36.10
    (["S-1", "SD 1", "SRA", "36.71", "-91", "106"], "error",
     ["error:latitude:Latitude -91 is out of range (−90 to 90)."]),
    (["S-1", "SD 1", "SRA", "36.71", "-6", "181"], "error",
     ["error:longitude:Longitude 181 is out of range (−180 to 180)."]),
    (["S-1", "SD 1", "SRA", "36.71", "-6,17", ""], "error",
     ["error:longitude:Give both latitude and longitude, or neither."]),
    (["S-1", "SD 1", "SRA", "36.71", "utara", "106"], "error", ["error:latitude:“utara” is not a number."]),
    (["S-1", "SD 1", "SRA", "36.71", "106,63", "-6,17"], "new",
     ["warning:latitude:Latitude and longitude look swapped (106,63, -6,17); they were swapped back. Check the "
      "location."]),
    (["S-1", "SD 1", "SRA", "36.71", "52,52", "13,40"], "new",
     ["warning:latitude:The location (52,52, 13,40) is outside Indonesia. Check the coordinates."]),
    (["=A1&B1", "SD 1", "SRA", "36.71", "", ""], "new",
     ["warning:code:This cell holds a formula; it was kept as its text, not calculated."]),
])
def test_each_site_row_gets_its_outcome(row, outcome, problems):
    [planned] = plan(row)
    assert planned.outcome == outcome
    assert messages(planned) == problems


def test_a_changed_site_lists_each_changed_field_old_and_new():
    [planned] = plan(["PSPG-01", "Puspaga Baru", "PUSPAGA", "36.71", "-6,1790", "106,6319"])
    assert planned.changes == {"name": ["Puspaga Kota Tangerang", "Puspaga Baru"], "latitude": [-6.1783, -6.179]}
    assert planned.existing_id == 7


def test_a_column_the_file_does_not_have_leaves_the_stored_value_alone():
    table = site_table(["PSPG-01", "Puspaga Kota Tangerang", "PUSPAGA", "36.71"],
                       columns=["code", "name", "site_type", "district"])
    [planned] = domain.plan_sites(table, SiteContext(TYPES, DISTRICTS, STORED))
    assert planned.outcome == "unchanged"  # latitude/longitude are not in the file: not "cleared"


def test_a_site_code_twice_in_the_same_kabkota_is_an_error_in_another_kabkota_fine():
    rows = plan(["S-1", "SD 1", "SRA", "36.71", "", ""], ["S-1", "SD 1", "SRA", "36.73", "", ""],
                ["S-1", "SD 1 lagi", "SRA", "36.71", "", ""])
    assert [r.outcome for r in rows] == ["new", "new", "error"]
    assert messages(rows[2]) == ["error:code:Site code S-1 is already in row 2 of this file."]


def test_an_import_for_one_kabkota_or_one_round_refuses_the_others():
    [row] = plan(["S-1", "SD 1", "SRA", "36.73", "", ""], only_district="36.71")
    assert messages(row) == ["error:district:This import is for kab/kota 36.71; the row names 36.73."]
    [row] = plan(["S-1", "SD 1", "SRA", "36.10", "", ""], round_districts=frozenset({"36.71"}), round_name="KLA 2025")
    assert messages(row) == ["error:district:Kab/kota 36.10 is not evaluated in round KLA 2025."]


def test_the_plan_digest_changes_when_an_outcome_changes():
    first = plan(["S-1", "SD 1", "SRA", "36.71", "", ""])
    again = plan(["S-1", "SD 1", "SRA", "36.71", "", ""])
    assert domain.plan_digest(first) == domain.plan_digest(again)
    stored = {**STORED, ("36.71", "S-1"): ExistingSite(9, {"name": "SD 1", "site_type": "SRA", "latitude": None,
                                                            "longitude": None, "is_active": True})}
    later = list(domain.plan_sites(site_table(["S-1", "SD 1", "SRA", "36.71", "", ""]),
                                   SiteContext(TYPES, DISTRICTS, stored)))
    assert later[0].outcome == "unchanged"
    assert domain.plan_digest(first) != domain.plan_digest(later)


@pytest.mark.parametrize(("given", "expected"), [
    ("36.71", "36.71"), ("3671", "36.71"), ("36,71", "36.71"), ("36.1", "36.10"), (" 36.71 ", "36.71"),
    ("361", "361"), ("Kota Tangerang", "Kota Tangerang"),
])
def test_kabkota_codes_are_normalised(given, expected):
    assert domain.normalise_district_code(given) == expected


@pytest.mark.parametrize(("given", "expected"), [
    ("I04", "I04"), ("i4", "I04"), ("4", "I04"), ("04", "I04"), ("Indikator 4", "I04"), ("I-24", "I24"),
    ("I004x", "I004X"),
])
def test_indicator_codes_are_normalised(given, expected):
    assert domain.normalise_indicator_code(given) == expected


@pytest.mark.parametrize(("value", "unit", "kind", "number", "unit_after", "problem"), [
    ("92,5", "%", "percent", "92.5", "%", None),
    ("92,5%", "", "percent", "92.5", "%", None),
    ("12", "sekolah", "number", "12", "sekolah", None),
    ("1.234", "jiwa", "number", "1.234", "jiwa", None),
    ("ya", "", "yesno", "1", "", None),
    ("Tidak", "", "yesno", "0", "", None),
    ("", "", "number", None, "", None),
    ("150%", "", "percent", None, "", "A percentage must be between 0 and 100 (got 150%)."),
    ("banyak", "", "number", None, "", "“banyak” is not a number, a percent or yes/no (ya/tidak)."),
])
def test_a_claimed_value_is_a_number_a_percent_or_yes_no(value, unit, kind, number, unit_after, problem):
    got_kind, got_value, got_unit, got_problem = domain.parse_claimed_value(value, unit)
    assert got_kind == kind
    assert got_value == (Decimal(number) if number is not None else None)
    assert (got_problem.text() if got_problem else None) == problem
    if not problem:
        assert got_unit == unit_after


@pytest.mark.parametrize(("titles", "links", "expected"), [
    ("SK Puspaga", "sk.pdf", [{"title": "SK Puspaga", "link": "sk.pdf"}]),
    ("", "https://x.go.id/a/sk.pdf", [{"title": "sk.pdf", "link": "https://x.go.id/a/sk.pdf"}]),
    ("A\nB", "a.pdf | b.pdf", [{"title": "A", "link": "a.pdf"}, {"title": "B", "link": "b.pdf"}]),
    ("Foto kegiatan", "", [{"title": "Foto kegiatan", "link": ""}]),
    ("", "", []),
])
def test_document_references_are_read_from_two_cells(titles, links, expected):
    assert domain.parse_documents(titles, links) == expected


CLAIMS = ClaimContext(
    "36.71", "Kota Tangerang", {"I04": "Akta kelahiran", "I08": "Puspaga"},
    {"PUSPAGA-01": ChecklistItem("PUSPAGA-01", "PUSPAGA", "SK"), "SRA-01": ChecklistItem("SRA-01", "SRA", "SK Tim")},
    {"PSPG-01": SiteRef(7, "PSPG-01", "Puspaga", "PUSPAGA")},
    {"I08": ExistingClaim(3, {"value_kind": "number", "value": None, "unit": "", "claimed_score": Decimal("34.00"),
                              "max_score": None, "documents": [], "withdrawn": False})},
    {(7, "PUSPAGA-01"): ExistingClaim(4, {"claimed_status": "met", "documents": [], "withdrawn": False})},
)


def indicator_rows(*rows: list[str]) -> list[domain.RowPlan]:
    table = Table("", 1, {"indicator": 0, "value": 1, "unit": 2, "claimed_score": 3, "max_score": 4}, {}, [],
                  [(n, r) for n, r in enumerate(rows, start=2)])
    return list(domain.plan_indicator_claims(table, CLAIMS))


@pytest.mark.parametrize(("row", "outcome", "problems"), [
    (["I04", "92,5", "%", "38", ""], "new", []),
    (["8", "", "", "34", ""], "unchanged", []),
    (["I08", "", "", "34,5", ""], "changed", []),
    (["I08", "", "", "", ""], "error", ["The claimed score is empty."]),
    (["I08", "", "", "1200", ""], "error", ["A score must be between 0 and 1000 (got 1200)."]),
    (["I04", "", "", "50", "40"], "error", ["The claimed score 50.00 is above the maximum 40.00."]),
    (["I05", "", "", "10", ""], "error", ["Unknown indicator “I05”. Did you mean I08, I04?"]),
    (["", "", "", "10", ""], "error", ["The indicator code is empty."]),
])
def test_each_indicator_claim_row_gets_its_outcome(row, outcome, problems):
    [planned] = indicator_rows(row)
    assert planned.outcome == outcome
    assert [p.text() for p in planned.problems] == problems


def test_an_indicator_twice_in_a_file_is_an_error():
    rows = indicator_rows(["I04", "1", "", "10", ""], ["4", "1", "", "10", ""])
    assert [p.text() for p in rows[1].problems] == ["Indicator I04 is already in row 2 of this file."]


def item_rows(*rows: list[str]) -> list[domain.RowPlan]:
    table = Table("", 1, {"site_code": 0, "item": 1, "status": 2}, {}, [], [(n, r) for n, r in enumerate(rows, 2)])
    return list(domain.plan_item_claims(table, CLAIMS))


@pytest.mark.parametrize(("row", "outcome", "problems"), [
    (["PSPG-01", "PUSPAGA-01", "terpenuhi"], "unchanged", []),
    (["PSPG-01", "puspaga-01", "Tidak Terpenuhi"], "changed", []),
    (["PSPG-01", "PUSPAGA-01", "ada"], "unchanged", []),
    (["PSPG-01", "PUSPAGA-01", "tidak ada"], "changed", []),
    (["PSPG-01", "PUSPAGA-01", "met"], "unchanged", []),
    (["PSPG-01", "PUSPAGA-01", "mungkin"], "error",
     ["“mungkin” is not a status: write met or not met (terpenuhi / tidak terpenuhi, ada / tidak ada)."]),
    (["PSPG-01", "SRA-01", "ada"], "error", ["Item SRA-01 is for sites of type SRA, but PSPG-01 is a PUSPAGA."]),
    (["PSPG-01", "PUSPAGA-1", "ada"], "error", ["Unknown checklist item “PUSPAGA-1”. Did you mean PUSPAGA-01?"]),
    (["X-9", "PUSPAGA-01", "ada"], "error",
     ["Site X-9 is not in the site list of Kota Tangerang. Import the site list first."]),
])
def test_each_site_item_claim_row_gets_its_outcome(row, outcome, problems):
    [planned] = item_rows(row)
    assert planned.outcome == outcome
    assert [p.text() for p in planned.problems] == problems


def test_the_self_assessment_is_the_sum_of_the_claimed_scores():
    assert domain.claims_total([Decimal("34"), Decimal("38.5"), None]) == Decimal("72.5")


def test_a_stored_row_is_described_in_the_readers_language():
    described = domain.describe_row({"changes": {"name": ["A", "B"], "latitude": [None, -6.2]},
                                     "problems": [{"level": "warning", "column": "latitude",
                                                   "msgid": "The location (%(lat)s, %(lon)s) is outside Indonesia. "
                                                            "Check the coordinates.",
                                                   "params": {"lat": "1", "lon": "2"}}]})
    assert described["changes"] == [{"field": "name", "label": "name", "old": "A", "new": "B"},
                                    {"field": "latitude", "label": "latitude", "old": "(empty)", "new": "-6.2"}]
    assert described["problems"][0]["column_label"] == "latitude" and described["warnings"] == 1


def test_the_state_a_site_preview_saw_changes_with_any_stored_site_of_its_kabkota():
    context = SiteContext(TYPES, DISTRICTS, STORED)
    seen = domain.site_state_digest(context, STORED.items())
    assert domain.site_state_digest(context, dict(STORED).items()) == seen
    edited = {key: ExistingSite(site.id, {**site.values, "is_active": False}) for key, site in STORED.items()}
    assert domain.site_state_digest(context, edited.items()) != seen
    added = {**STORED, ("36.71", "S-9"): ExistingSite(9, {"name": "SD 9", "site_type": "SRA"})}
    assert domain.site_state_digest(context, added.items()) != seen
    in_a_round = SiteContext(TYPES, DISTRICTS, STORED, round_districts=frozenset({"36.71"}))
    assert domain.site_state_digest(in_a_round, STORED.items()) != seen

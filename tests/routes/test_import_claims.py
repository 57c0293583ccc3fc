"""Claims import for one district evaluation: indicator claims and site item claims through the
same preview → confirm flow, the self-assessment total after commit, undo, the CLI."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from fieldvisit.claims.tables import IndicatorClaim, SiteItemClaim
from fieldvisit.imports.tables import ImportBatch, ImportChange, ImportRow
from tests.support import World, make_site

ROOT = Path(__file__).resolve().parents[2]
INDICATOR_HEADER = "Kode Indikator;Nilai;Satuan;Skor;Skor Maksimal;Dokumen;Tautan\n"


def all_indicators_for_771() -> bytes:
    """I01–I24: I04 is 92,5 % for 38, I08 stays 34, the rest make Tangerang's 771."""
    lines = [INDICATOR_HEADER, "I04;92,5;%;38;;Data akta kelahiran;https://tangerangkota.go.id/akta.pdf\n",
             "8;;;34;;;\n"]
    others = [n for n in range(1, 25) if n not in (4, 8)]
    for i, n in enumerate(others):
        lines.append(f"I{n:02d};ya;;{32 if i < 17 else 31};;;\n")
    return "".join(lines).encode()


async def upload(client, evaluation: int, raw: bytes, name: str = "klaim.csv"):
    return await client.post_form("/admin/imports/claims", {"evaluation": str(evaluation)},
                                  files={"file": (name, raw, "text/csv")})


async def preview(client, evaluation: int, raw: bytes, name: str = "klaim.csv") -> int:
    response = await upload(client, evaluation, raw, name)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def admin(client, world: World):
    await client.sign_in_as(world.admin)
    client.cookies.set("fv_lang", "en", domain="testserver.local")


async def test_indicator_claims_are_imported_and_the_self_assessment_is_shown_with_its_predicate(client,
                                                                                               world: World):
    await admin(client, world)
    batch_id = await preview(client, world.tangerang_evaluation, all_indicators_for_771())
    batch = await ImportBatch.select().where(ImportBatch.id == batch_id).first()
    assert (batch["rows_new"], batch["rows_unchanged"], batch["rows_error"]) == (23, 1, 0)
    assert await IndicatorClaim.count() == 1
    assert (await client.post_form(f"/admin/imports/{batch_id}/confirm")).status_code == 303
    claims = {r["indicator_code"]: r for r in await IndicatorClaim.select().where(
        IndicatorClaim.district_evaluation == world.tangerang_evaluation).output(load_json=True)}
    assert len(claims) == 24
    assert claims["I04"]["value_kind"] == "percent" and claims["I04"]["value"] == Decimal("92.5")
    assert claims["I04"]["documents"] == [{"title": "Data akta kelahiran", "link": "https://tangerangkota.go.id/akta.pdf"}]
    assert claims["I01"]["value_kind"] == "yesno" and claims["I01"]["value"] == 1
    assert claims["I01"]["updated_by"] == world.admin.id
    page = (await client.get(f"/admin/imports/{batch_id}")).text
    assert "Self-assessment score of Kota Tangerang: 771" in page and "Nindya" in page


async def test_site_item_claims_are_checked_against_the_sites_of_the_district_and_their_types(client,
                                                                                            world: World):
    await admin(client, world)
    await make_site(world.regions["36.71"], "SDN-1", "SD Negeri 1", "SRA")
    raw = (b"kode_lokasi;kode_item;status;dokumen;tautan\n"
           b"PSPG-01;PUSPAGA-01;terpenuhi;SK Puspaga;sk-puspaga.pdf\n"
           b"PSPG-01;PUSPAGA-03;tidak ada;;\n"
           b"PSPG-01;PUSPAGA-99;ada;;\n"  # unknown item, nearest suggested
           b"PSPG-01;SRA-01;ada;;\n"  # an item of another site type
           b"XYZ-9;PUSPAGA-01;ada;;\n"  # a site that is not in Tangerang
           b"SDN-1;SRA-01;mungkin;;\n"  # not a status
           b"PSPG-01;PUSPAGA-01;ada;;\n")  # twice in the file
    batch_id = await preview(client, world.tangerang_evaluation, raw)
    rows = {r["line"]: r for r in await ImportRow.select().where(ImportRow.batch == batch_id).output(load_json=True)}
    assert [rows[n]["outcome"] for n in range(2, 9)] == ["new", "new", "error", "error", "error", "error", "error"]
    assert "PUSPAGA-09" in rows[4]["problems"][0]["params"]["nearest"]
    page = (await client.get(f"/admin/imports/{batch_id}?outcome=error")).text
    assert "Item SRA-01 is for sites of type SRA, but PSPG-01 is a PUSPAGA." in page
    assert "Site XYZ-9 is not in the site list of Kota Tangerang. Import the site list first." in page
    assert "“mungkin” is not a status" in page
    assert "This site and item are already in row 2 of this file." in page
    assert (await client.post_form(f"/admin/imports/{batch_id}/confirm")).status_code == 422
    assert await SiteItemClaim.count() == 1


async def test_unknown_indicator_codes_get_the_nearest_codes(client, world: World):
    await admin(client, world)
    raw = (INDICATOR_HEADER + "I4;92,5;%;38;;;\nI004x;1;;10;;;\nI25;1;;10;;;\nI10;150%;;10;;;\nI11;1;;50;40;;\n").encode()
    batch_id = await preview(client, world.tangerang_evaluation, raw)
    page = (await client.get(f"/admin/imports/{batch_id}?outcome=error")).text
    assert "Unknown indicator “I004x”. Did you mean I04" in page
    assert "Unknown indicator “I25”. Did you mean" in page
    assert "A percentage must be between 0 and 100 (got 150%)." in page
    assert "The claimed score 50.00 is above the maximum 40.00." in page
    rows = {r["line"]: r["outcome"] for r in await ImportRow.select().where(ImportRow.batch == batch_id)}
    assert rows[2] == "new"  # "I4" is I04


async def test_a_workbook_with_both_sheets_percent_cells_and_a_formula_link_is_imported(client, world: World):
    await admin(client, world)
    book = Workbook()
    indicators = book.active
    indicators.title = "Indikator"
    indicators.append(["Kode Indikator", "Nilai", "Skor", "Dokumen", "Tautan"])
    indicators.append(["I04", 0.925, 38, "Akta", '=HYPERLINK("https://tangerangkota.go.id/akta.pdf","Akta")'])
    indicators["B2"].number_format = "0.0%"
    items = book.create_sheet("Butir")
    items.append(["Kode Lokasi", "Kode Item", "Status Klaim"])
    items.append(["PSPG-01", "PUSPAGA-01", True])
    buffer = io.BytesIO()
    book.save(buffer)
    batch_id = await preview(client, world.tangerang_evaluation, buffer.getvalue(), name="klaim.xlsx")
    assert (await client.post_form(f"/admin/imports/{batch_id}/confirm")).status_code == 303
    claim = await IndicatorClaim.select().where(IndicatorClaim.indicator_code == "I04").output(load_json=True).first()
    assert claim["value"] == Decimal("92.5") and claim["value_kind"] == "percent"
    assert claim["documents"][0]["link"] == '=HYPERLINK("https://tangerangkota.go.id/akta.pdf","Akta")'
    assert await SiteItemClaim.exists().where((SiteItemClaim.item_code == "PUSPAGA-01")
                                              & (SiteItemClaim.claimed_status == "met"))


async def test_a_claims_import_changes_existing_claims_and_undo_restores_them(client, world: World):
    await admin(client, world)
    raw = (INDICATOR_HEADER + "I08;12;unit;30;;;\nI04;92,5;%;38;;;\n").encode()
    batch_id = await preview(client, world.tangerang_evaluation, raw)
    changed = await ImportRow.select(ImportRow.changes).where(
        (ImportRow.batch == batch_id) & (ImportRow.key == "I08")).output(load_json=True).first()
    assert changed["changes"]["claimed_score"] == ["34.00", "30.00"]
    await client.post_form(f"/admin/imports/{batch_id}/confirm")
    assert (await IndicatorClaim.select(IndicatorClaim.claimed_score).where(
        IndicatorClaim.indicator_code == "I08").first())["claimed_score"] == Decimal("30")
    assert (await client.post_form(f"/admin/imports/{batch_id}/undo")).status_code == 303
    restored = await IndicatorClaim.select().where(IndicatorClaim.indicator_code == "I08").first()
    assert restored["claimed_score"] == Decimal("34") and restored["value"] is None and restored["unit"] == ""
    assert await IndicatorClaim.count() == 1 and await ImportChange.count() == 2


async def test_the_same_claims_file_again_changes_nothing(client, world: World):
    await admin(client, world)
    raw = all_indicators_for_771()
    await client.post_form(f"/admin/imports/{await preview(client, world.tangerang_evaluation, raw)}/confirm")
    again = await preview(client, world.tangerang_evaluation, raw)
    batch = await ImportBatch.select().where(ImportBatch.id == again).first()
    assert (batch["rows_new"], batch["rows_changed"], batch["rows_unchanged"]) == (0, 0, 24)


async def test_a_file_that_is_no_claims_table_is_refused(client, world: World):
    await admin(client, world)
    response = await upload(client, world.tangerang_evaluation, b"nama;alamat\nA;B\n")
    assert response.status_code == 422
    assert "No claims table was found." in response.text
    response = await client.post_form("/admin/imports/claims", {"evaluation": ""},
                                      files={"file": ("k.csv", b"x", "text/csv")})
    assert response.status_code == 422 and "Choose the district evaluation" in response.text
    assert await ImportBatch.count() == 0


async def test_the_cli_imports_claims_and_prints_the_self_assessment(world: World, tmp_path):
    path = tmp_path / "klaim.csv"
    path.write_bytes(all_indicators_for_771())
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "fieldvisit", "import-claims", str(path), "--evaluation",
                           str(world.tangerang_evaluation), "--yes"], capture_output=True, cwd=ROOT,
                          env={**os.environ, "DEFAULT_LANGUAGE": "en"}, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert "self-assessment score: 771.00 (NINDYA)" in done.stdout.decode()
    assert await IndicatorClaim.count() == 24

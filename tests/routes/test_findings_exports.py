"""The findings of a district evaluation as CSV and XLSX (current versions only, in the reader's
language, formulas neutralised, no coordinates and no photo keys), and a whole round's gaps and
findings for admins only."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from openpyxl import load_workbook

from fieldvisit.accounts.tables import User
from tests.routes.test_gap_pages import reconciled_example
from tests.support import World
from tests.support_reconcile import T0, another_site, make_finding, make_photo, make_visit


async def tangerang_findings(world: World) -> dict[str, int]:
    """On site with a location: PUSPAGA-02 saved twice (met, then partial with a formula for a
    note) with two photos, PUSPAGA-04 not met; on site without a location: PUSPAGA-05 met; by
    video at a second Puspaga: PUSPAGA-08 not observed. Serang: one finding, for the round."""
    located = await make_visit(world.tangerang_evaluation, world.tangerang_site, check_in_latitude=-6.178301,
                               check_in_longitude=106.631902)
    await make_finding(located, "PUSPAGA-02", "met", saved_by=world.verifier.id)
    await make_finding(located, "PUSPAGA-02", "partial", saved_by=world.verifier.id, version=2,
                       note="=HYPERLINK(\"http://x\")", saved_at=T0 + timedelta(hours=1))
    await make_finding(located, "PUSPAGA-04", "not_met", saved_by=world.verifier.id)
    for _n in range(2):
        await make_photo(located, uploaded_by=world.verifier.id, item="PUSPAGA-02")
    unlocated = await make_visit(world.tangerang_evaluation, world.tangerang_site)
    await make_finding(unlocated, "PUSPAGA-05", "met", saved_by=world.verifier.id)
    video = await make_visit(world.tangerang_evaluation, await another_site(world, "PSPG-09"), mode="video", checked_in_at=T0)
    await make_finding(video, "PUSPAGA-08", "not_observed", saved_by=world.verifier.id)
    serang = await make_visit(world.serang_evaluation, world.serang_site)
    await make_finding(serang, "PUSPAGA-02", "met", saved_by=world.admin.id, note="Serang")
    return {"located": located, "unlocated": unlocated, "video": video}


def read_csv(response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode()), "a BOM, for Excel"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_xlsx(response) -> list[tuple]:
    return list(load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True))


async def test_the_district_downloads_its_current_findings_as_csv_in_indonesian(make_client, world: World):
    await tangerang_findings(world)
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        response = await district.get(f"/evaluations/{world.tangerang_evaluation}/findings.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    table = read_csv(response)
    assert table[0] == ["Kode lokasi", "Lokasi", "Jenis lokasi", "Kode butir", "Butir daftar periksa", "Hasil",
                        "Catatan", "Cara verifikasi", "Jumlah foto", "Verifikator", "Disimpan (UTC)"]
    by_item = {r[3]: r for r in table[1:]}
    assert sorted(by_item) == ["PUSPAGA-02", "PUSPAGA-04", "PUSPAGA-05", "PUSPAGA-08"], "current versions only"
    current = by_item["PUSPAGA-02"]
    assert current[:3] == ["PSPG-01", "Puspaga Kota Tangerang", "Pusat Pembelajaran Keluarga (Puspaga)"]
    assert current[5] == "Sebagian" and current[6] == "'=HYPERLINK(\"http://x\")"
    assert current[8] == "2" and current[10] == "2025-05-14 03:00:00"
    assert current[4] and current[4] != "PUSPAGA-02", "the item's words"
    assert by_item["PUSPAGA-05"][5] == "Terpenuhi" and by_item["PUSPAGA-08"][5] == "Tidak teramati"
    # whether a check-in recorded a location is for the team: the district reads "on site"
    assert {r[7] for r in table[1:]} == {"Di lokasi", "Sesi video"}
    body = response.content.decode("utf-8-sig")
    assert "-6.178" not in body and "106.63" not in body and "photo/" not in body and "Serang" not in body


async def test_the_verifier_downloads_findings_as_xlsx_in_english_with_provenance(make_client, world: World):
    await tangerang_findings(world)
    await User.update({User.language: "en"}).where(User.id == world.verifier.id)
    async with make_client() as verifier:
        await verifier.sign_in_as(world.verifier)
        response = await verifier.get(f"/evaluations/{world.tangerang_evaluation}/findings.xlsx")
    assert response.status_code == 200
    rows = read_xlsx(response)
    assert rows[0] == ("Site code", "Site", "Site type", "Item code", "Checklist item", "Result", "Note",
                       "How it was verified", "Number of photos", "Verifier", "Saved at (UTC)")
    by_item = {r[3]: r for r in rows[1:]}
    assert len(rows) == 5
    assert by_item["PUSPAGA-02"][5] == "Partial" and by_item["PUSPAGA-02"][6] == "'=HYPERLINK(\"http://x\")"
    assert by_item["PUSPAGA-02"][7] == "On site, location recorded" and by_item["PUSPAGA-02"][8] == 2
    assert by_item["PUSPAGA-05"][7] == "On site, no location"
    assert by_item["PUSPAGA-08"][7] == "Video session" and by_item["PUSPAGA-08"][5] == "Not observed"
    assert by_item["PUSPAGA-02"][10] == datetime(2025, 5, 14, 3, 0)
    assert not any(isinstance(c, float) for r in rows for c in r), "no coordinates"


async def test_serang_gets_404_for_tangerang_exports_and_the_round_is_for_admins_only(make_client, world: World):
    await tangerang_findings(world)
    tangerang = world.tangerang_evaluation
    urls = [f"/evaluations/{tangerang}/findings.csv", f"/evaluations/{tangerang}/findings.xlsx",
            f"/evaluations/{tangerang}/gaps.csv", f"/evaluations/{tangerang}/gaps.xlsx"]
    round_urls = [f"/admin/rounds/{world.round_id}/{what}.{fmt}" for what in ("gaps", "findings")
                  for fmt in ("csv", "xlsx")]
    async with make_client() as serang:
        await serang.sign_in_as(world.serang)
        for url in urls + round_urls:
            assert (await serang.get(url)).status_code == 404, url
        assert (await serang.get(f"/evaluations/{world.serang_evaluation}/findings.csv")).status_code == 200
    for persona in (world.verifier, world.tangerang, world.notetaker):
        async with make_client() as other:
            await other.sign_in_as(persona)
            for url in round_urls:
                assert (await other.get(url)).status_code == 404, (persona.key, url)
    async with make_client() as admin:
        await admin.sign_in_as(world.admin)
        assert (await admin.get("/admin/rounds/999999/gaps.csv")).status_code == 404


async def test_the_admin_downloads_a_whole_round_with_a_kab_kota_column(make_client, world: World):
    gaps = await reconciled_example(world)
    await tangerang_findings(world)
    await User.update({User.language: "en"}).where(User.id == world.admin.id)
    async with make_client() as admin:
        await admin.sign_in_as(world.admin)
        findings = await admin.get(f"/admin/rounds/{world.round_id}/findings.csv")
        gap_book = await admin.get(f"/admin/rounds/{world.round_id}/gaps.xlsx")
        gap_csv = await admin.get(f"/admin/rounds/{world.round_id}/gaps.csv")
        findings_book = await admin.get(f"/admin/rounds/{world.round_id}/findings.xlsx")
        round_page = (await admin.get(f"/admin/rounds/{world.round_id}")).text
    table = read_csv(findings)
    assert table[0][:3] == ["Kab/kota", "Site code", "Site"]
    districts = [r[0] for r in table[1:]]
    assert districts.count("Kota Serang") == 1 and "Kota Tangerang" in districts
    assert districts == sorted(districts, key=["Kota Tangerang", "Kota Serang"].index), "by kab/kota code"
    serang_row = next(r for r in table[1:] if r[0] == "Kota Serang")
    assert serang_row[7] == "Serang" and serang_row[8] == "On site, no location"
    rows = read_xlsx(gap_book)
    assert rows[0][:3] == ("Kab/kota", "Gap", "Kind")
    assert {r[1] for r in rows[1:]} == set(gaps.values()), "every gap, provenance included"
    assert {r[0] for r in rows[1:]} == {"Kota Tangerang"}
    assert read_csv(gap_csv)[0][:2] == ["Kab/kota", "Gap"]
    assert len(read_xlsx(findings_book)) == len(table)
    for href in (f"/admin/rounds/{world.round_id}/gaps.xlsx", f"/admin/rounds/{world.round_id}/findings.csv"):
        assert f'href="{href}"' in round_page


async def test_the_evaluation_page_and_the_gap_list_link_to_the_exports(make_client, world: World):
    e = world.tangerang_evaluation
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        evaluation_page = (await district.get(f"/evaluations/{e}")).text
        gap_list = (await district.get(f"/evaluations/{e}/gaps")).text
    for html in (evaluation_page, gap_list):
        assert f'href="/evaluations/{e}/findings.xlsx"' in html and f'href="/evaluations/{e}/findings.csv"' in html
        assert f'/evaluations/{e}/gaps.xlsx' in html
    async with make_client() as notetaker:
        await notetaker.sign_in_as(world.notetaker)
        html = (await notetaker.get(f"/evaluations/{e}")).text
    assert f"/evaluations/{e}/findings.csv" in html and f"/evaluations/{e}/gaps.csv" not in html


async def test_exports_page_through_batches_without_losing_or_repeating_a_row(make_client, world: World,
                                                                            monkeypatch):
    from fieldvisit.gaps import exports as gap_exports
    from fieldvisit.visits import exports as finding_exports

    gaps = await reconciled_example(world)
    await tangerang_findings(world)
    monkeypatch.setattr(finding_exports, "BATCH", 2)
    monkeypatch.setattr(gap_exports, "BATCH", 2)
    async with make_client() as admin:
        await admin.sign_in_as(world.admin)
        findings = read_csv(await admin.get(f"/admin/rounds/{world.round_id}/findings.csv"))
        one = read_csv(await admin.get(f"/evaluations/{world.tangerang_evaluation}/findings.csv"))
        round_gaps = read_csv(await admin.get(f"/admin/rounds/{world.round_id}/gaps.csv"))
    assert len(one) - 1 == 4 + 4, "the example's four findings and these four, each once"
    assert len(findings) - 1 == len(one) - 1 + 1, "and Serang's one"
    assert sorted(int(r[1]) for r in round_gaps[1:]) == sorted(gaps.values())

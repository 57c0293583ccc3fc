"""Site list import on the web: upload → preview → confirm, idempotent, undo, history, and the
issue's list of bad input, each checked by counting rows (nothing half-imported)."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from fieldvisit.audit.tables import AuditEvent
from fieldvisit.imports.tables import ImportBatch, ImportChange, ImportRow
from fieldvisit.sites.tables import Site
from tests.support import World, make_site_item_claim

ROOT = Path(__file__).resolve().parents[2]
HEADER = "kode_lokasi;nama;jenis;kab_kota;alamat;kecamatan;kelurahan;lintang;bujur;narahubung;telepon\n"
TANGERANG = (HEADER
             + "PSPG-01;Puspaga Kota Tangerang (Gedung Baru);PUSPAGA;36.71;Jl. Satria Sudirman No. 1;Tangerang;"
               "Sukaasih;-6,1783;106,6319;Ibu Sari;021-5550123\n"
             + "20603123;SD Negeri Tangerang 1;SRA;36.71;Jl. Daan Mogot;Tangerang;Sukarasa;-6,1770;106,6300;;\n"
             + "RBRA-01;Taman Gajah Tunggal;RBRA;36.71;;Tangerang;Sukasari;-6,18;106,63;;\n").encode()


async def upload(client, raw: bytes, *, name: str = "sites.csv", district: str = "", round_id: int | str = ""):
    return await client.post_form("/admin/imports/sites", {"district": district, "round": str(round_id)},
                                  files={"file": (name, raw, "text/csv")})


async def preview(client, raw: bytes, **options) -> int:
    response = await upload(client, raw, **options)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def admin(client, world: World, language: str = "en"):
    await client.sign_in_as(world.admin)
    client.cookies.set("fv_lang", language, domain="testserver.local")
    return client


async def counts() -> dict[str, int]:
    return {"sites": await Site.count(), "changes": await ImportChange.count(),
            "committed": await ImportBatch.count().where(ImportBatch.status == "committed")}


async def test_an_upload_is_previewed_row_by_row_and_nothing_is_saved_until_confirmed(client, world: World):
    await admin(client, world)
    before = await counts()
    batch_id = await preview(client, TANGERANG)
    assert await counts() == before
    page = (await client.get(f"/admin/imports/{batch_id}")).text
    assert "Import now: 2 new, 1 changed" in page
    assert "Puspaga Kota Tangerang (Gedung Baru)" in page and "<del>Puspaga Kota Tangerang</del>" in page
    changed = await ImportRow.select(ImportRow.changes).where(
        (ImportRow.batch == batch_id) & (ImportRow.outcome == "changed")).output(load_json=True).first()
    assert set(changed["changes"]) == {"name", "kecamatan", "kelurahan", "contact_person", "phone"}
    assert changed["changes"]["name"] == ["Puspaga Kota Tangerang", "Puspaga Kota Tangerang (Gedung Baru)"]

    response = await client.post_form(f"/admin/imports/{batch_id}/confirm")
    assert response.status_code == 303
    assert await Site.count() == before["sites"] + 2
    school = await Site.select().where(Site.code == "20603123").first()
    assert school["site_type"] == "SRA" and school["latitude"] == pytest.approx(-6.177)
    assert (await Site.select(Site.name).where(Site.id == world.tangerang_site).first())["name"].endswith(
        "(Gedung Baru)")
    page = (await client.get(f"/admin/imports/{batch_id}?done=imported")).text
    assert "Imported: 2 new, 1 changed, 0 unchanged." in page
    assert [e["action"] for e in await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.object_type == "import_batch").order_by(AuditEvent.id)] == ["sites.preview", "sites.import"]
    event = await AuditEvent.select().where(AuditEvent.action == "sites.import").output(load_json=True).first()
    assert event["actor_email"] == world.admin.email and event["district"] == world.regions["36.71"]
    assert event["after"]["new"] == 2 and event["after"]["changed"] == 1 and event["after"]["file_name"] == "sites.csv"


async def test_the_same_file_again_is_unchanged_and_writes_nothing(client, world: World):
    await admin(client, world)
    await client.post_form(f"/admin/imports/{await preview(client, TANGERANG)}/confirm")
    stamps = {r["code"]: r["updated_at"] for r in await Site.select(Site.code, Site.updated_at)}
    before = await counts()
    again = await preview(client, TANGERANG)
    page = (await client.get(f"/admin/imports/{again}")).text
    assert "Nothing to import: every row is already stored exactly like this." in page
    assert "/confirm" not in page
    batch = await ImportBatch.select().where(ImportBatch.id == again).first()
    assert (batch["rows_unchanged"], batch["rows_new"], batch["rows_changed"]) == (3, 0, 0)
    await client.post_form(f"/admin/imports/{again}/confirm")
    assert await counts() == {**before, "committed": before["committed"] + 1}
    assert {r["code"]: r["updated_at"] for r in await Site.select(Site.code, Site.updated_at)} == stamps


async def test_a_preview_made_by_another_process_is_confirmed_from_the_database(client, world: World):
    """Nothing of a preview lives in process memory: a batch made by another process (another
    worker, or before a restart) is confirmed here from what the database holds."""
    script = (
        "import asyncio, sys\n"
        "from fieldvisit import db\n"
        "from fieldvisit.settings import Settings\n"
        "from fieldvisit.imports import queries\n"
        "async def main():\n"
        "    settings = Settings.from_env()\n"
        "    async with db.connected(settings):\n"
        "        print(await queries.preview_sites(queries.cli_actor(), sys.stdin.buffer.read(), 'other.csv',\n"
        "                                          queries.SiteOptions('36.71'), max_bytes=10**6))\n"
        "asyncio.run(main())\n"
    )
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", script], input=TANGERANG, capture_output=True, cwd=ROOT,
                          env=os.environ.copy(), timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    batch_id = int(done.stdout.decode().strip())
    await admin(client, world)
    assert (await client.post_form(f"/admin/imports/{batch_id}/confirm")).status_code == 303
    assert await Site.count().where(Site.district == world.regions["36.71"]) == 3


async def test_rows_with_errors_block_the_import_and_say_row_column_and_what_is_wrong(client, world: World):
    await admin(client, world)
    raw = (HEADER
           + "A-1;Puspaga;PUSPAG;36.71;;;;;;;\n"  # unknown type, nearest suggested
           + "A-2;Sekolah;SRA;36.99;;;;;;;\n"  # kab/kota not in the region list
           + "A-3;Taman;RBRA;36.71;;;;-100;106;;\n"  # latitude out of range
           + "A-3;Taman lagi;RBRA;36.71;;;;;;;\n"  # duplicate code in the file
           + "A-4;Perpustakaan;PISA_PERPUS;36.71;;;;106,6;-6,2;;\n"  # swapped: a warning, not an error
           + "A-5;Ruang ASI;RUANG_ASI;36.71;;;;52,52;13,40;;\n").encode()  # outside Indonesia: a warning
    before = await counts()
    batch_id = await preview(client, raw)
    rows = {r["line"]: r for r in await ImportRow.select().where(ImportRow.batch == batch_id).output(load_json=True)}
    assert [rows[n]["outcome"] for n in range(2, 8)] == ["error", "error", "error", "error", "new", "new"]
    assert rows[2]["problems"][0]["column"] == "site_type" and rows[2]["problems"][0]["params"]["nearest"] == ["PUSPAGA"]
    assert rows[5]["problems"][0]["params"] == {"code": "A-3", "row": 4}
    page = (await client.get(f"/admin/imports/{batch_id}?outcome=error")).text
    assert "4 rows have errors" in page
    assert "Unknown site type “PUSPAG”. Did you mean PUSPAGA?" in page
    assert "Kab/kota 36.99 is not in the region list." in page
    assert "Latitude -100 is out of range (−90 to 90)." in page
    assert "Site code A-3 is already in row 4 of this file." in page
    assert "/confirm" not in page
    response = await client.post_form(f"/admin/imports/{batch_id}/confirm")
    assert response.status_code == 422
    assert await counts() == before


async def test_the_preview_speaks_indonesian_by_default(client, world: World):
    await admin(client, world, "id")
    batch_id = await preview(client, (HEADER + "A-1;Puspaga;PUSPAG;36.71;;;;;;;\n").encode())
    page = (await client.get(f"/admin/imports/{batch_id}")).text
    assert "Jenis lokasi “PUSPAG” tidak dikenal. Mungkin maksudnya PUSPAGA?" in page
    assert "baris 2" in page


async def test_swapped_coordinates_are_swapped_back_with_a_warning(client, world: World):
    await admin(client, world)
    batch_id = await preview(client, (HEADER + "A-4;Perpustakaan;PISA_PERPUS;36.71;;;;106,6;-6,2;;\n").encode())
    page = (await client.get(f"/admin/imports/{batch_id}?outcome=warning")).text
    assert "Latitude and longitude look swapped (106,6, -6,2); they were swapped back." in page
    await client.post_form(f"/admin/imports/{batch_id}/confirm")
    site = await Site.select(Site.latitude, Site.longitude).where(Site.code == "A-4").first()
    assert (site["latitude"], site["longitude"]) == (pytest.approx(-6.2), pytest.approx(106.6))


async def test_a_kabkota_that_is_not_in_the_round_is_a_row_error(client, world: World):
    await admin(client, world)
    raw = (HEADER + "P-1;Puspaga Pasuruan;PUSPAGA;35.75;;;;;;;\nT-1;Taman;RBRA;36.71;;;;;;;\n").encode()
    batch_id = await preview(client, raw, round_id=world.round_id)
    rows = {r["key"]: r for r in await ImportRow.select().where(ImportRow.batch == batch_id).output(load_json=True)}
    assert rows["P-1"]["outcome"] == "error" and rows["T-1"]["outcome"] == "new"
    page = (await client.get(f"/admin/imports/{batch_id}")).text
    assert "Kab/kota 35.75 is not evaluated in round KLA 2025." in page


async def test_an_import_for_one_kabkota_refuses_rows_of_another_and_needs_no_kabkota_column(client, world: World):
    await admin(client, world)
    raw = b"kode;nama;jenis\nT-1;Taman Tangerang;RBRA\n"
    batch_id = await preview(client, raw, district="36.71")
    await client.post_form(f"/admin/imports/{batch_id}/confirm")
    assert await Site.exists().where((Site.code == "T-1") & (Site.district == world.regions["36.71"]))
    batch_id = await preview(client, (HEADER + "S-1;Taman Serang;RBRA;36.73;;;;;;;\n").encode(), district="36.71")
    page = (await client.get(f"/admin/imports/{batch_id}")).text
    assert "This import is for kab/kota 36.71; the row names 36.73." in page


# --- the bad input: each refused with a clear message, nothing stored ---------------------

@pytest.mark.parametrize(("name", "raw", "message"), [
    ("empty.csv", b"", "The file is empty."),
    ("blank.csv", b"\xef\xbb\xbf\r\n  \r\n", "The file is empty."),
    ("sites.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", "This is a PDF document, not a table."),
    ("sites.csv", b"kode;nama;kab_kota\nA;B;36.71\n", "Missing column: site type code."),
    ("sites.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "This is an old Excel file (.xls)"),
])
async def test_a_file_that_is_not_a_usable_site_list_is_refused_with_a_clear_message(client, world: World, name, raw,
                                                                                      message):
    await admin(client, world)
    before = await counts()
    response = await upload(client, raw, name=name)
    assert response.status_code == 422
    assert message in response.text
    assert await counts() == before and await ImportBatch.count() == 0


async def test_a_50_mb_file_is_refused_before_it_is_read_with_the_limit_named(client, world: World, settings):
    await admin(client, world)
    big = b"kode;nama;jenis;kab_kota\n" + b"X" * (50 * 1024 * 1024)
    response = await upload(client, big, name="huge.csv")
    assert response.status_code == 413
    assert f"{settings.max_import_mb} MB" in response.text
    assert await ImportBatch.count() == 0


async def test_numbers_written_the_indonesian_way_are_read(client, world: World):
    await admin(client, world)
    raw = (HEADER + "A-1;Taman;RBRA;36.71;;;;-6,178.3;106,6319;;\n").encode()  # "-6,178.3" is not a number
    batch_id = await preview(client, raw)
    assert "“-6,178.3” is not a number." not in (await client.get(f"/admin/imports/{batch_id}")).text
    raw = (HEADER + "A-1;Taman;RBRA;36.71;;;;-6,1783;106,6319;;\n").encode()
    batch_id = await preview(client, raw)
    await client.post_form(f"/admin/imports/{batch_id}/confirm")
    site = await Site.select(Site.latitude, Site.longitude).where(Site.code == "A-1").first()
    assert (site["latitude"], site["longitude"]) == (pytest.approx(-6.1783), pytest.approx(106.6319))


def workbook(rows: list[list[object]], *, percent_cells: tuple[str, ...] = ()) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref in percent_cells:
        sheet[ref].number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_an_xlsx_formula_cell_is_kept_as_its_text_never_evaluated(client, world: World):
    await admin(client, world)
    raw = workbook([
        ["Daftar lokasi Kota Tangerang"],
        ["Kode Lokasi", "Nama", "Jenis", "Kab/Kota", "Alamat", "Lintang", "Bujur"],
        ["SDN-1", "SD Negeri 1", "SRA", "36.71", '=HYPERLINK("https://maps.example/sdn1","Peta")', -6.17, 106.63],
        [20603124, "SD Negeri 2", "sra", 36.71, "=1+1", "-6,18", "106,64"],
    ])
    batch_id = await preview(client, raw, name="lokasi.xlsx")
    page = (await client.get(f"/admin/imports/{batch_id}")).text
    assert "This cell holds a formula; it was kept as its text, not calculated." in page
    await client.post_form(f"/admin/imports/{batch_id}/confirm")
    sites = {r["code"]: r for r in await Site.select().where(Site.district == world.regions["36.71"])}
    assert sites["SDN-1"]["address"] == '=HYPERLINK("https://maps.example/sdn1","Peta")'
    assert sites["20603124"]["address"] == "=1+1" and sites["20603124"]["site_type"] == "SRA"
    assert sites["SDN-1"]["latitude"] == pytest.approx(-6.17)


async def test_a_windows_1252_csv_with_commas_and_a_title_line_is_read(client, world: World):
    await admin(client, world)
    raw = ("Daftar Lokasi\nKode,Nama,Jenis Lokasi,Kode Kab/Kota,Alamat\n"
           "K-1,Kantor Dinas PPPA,KANTOR_OPD,36.71,\"Jl. Perintis Kemerdekaan – Cikokol\"\n").encode("cp1252")
    batch_id = await preview(client, raw)
    await client.post_form(f"/admin/imports/{batch_id}/confirm")
    site = await Site.select(Site.address).where(Site.code == "K-1").first()
    assert site["address"] == "Jl. Perintis Kemerdekaan – Cikokol"


# --- concurrency ----------------------------------------------------------------------------------

async def test_two_imports_over_the_same_sites_at_the_same_moment_one_wins_whole(world: World, make_client):
    """Two admins preview files over the same sites and confirm at the same moment: one import
    is written whole, the other is told and writes nothing."""
    first = (HEADER + "".join(f"C-{n};Sekolah {n} (A);SRA;36.71;;;;;;;\n" for n in range(40))).encode()
    second = (HEADER + "".join(f"C-{n};Sekolah {n} (B);SRA;36.71;;;;;;;\n" for n in range(40))).encode()
    async with make_client() as alice, make_client() as bob:
        await admin(alice, world)
        await admin(bob, world)
        ids = [await preview(alice, first), await preview(bob, second)]
        before = await counts()
        responses = await asyncio.gather(alice.post_form(f"/admin/imports/{ids[0]}/confirm"),
                                         bob.post_form(f"/admin/imports/{ids[1]}/confirm"))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303, 409], statuses
    loser = next(r for r in responses if r.status_code == 409)
    assert "Nothing was imported: the stored rows changed after this preview" in loser.text
    names = {r["name"][-3:] for r in await Site.select(Site.name).where(Site.code.like("C-%"))}
    assert len(names) == 1  # every site from one file: (A) or (B), never a mix
    assert await Site.count().where(Site.code.like("C-%")) == 40
    assert await ImportChange.count() == before["changes"]  # new sites only: nothing to restore on undo
    assert await AuditEvent.count().where(AuditEvent.action == "sites.import") == 1
    statuses_stored = sorted(r["status"] for r in await ImportBatch.select(ImportBatch.status).where(
        ImportBatch.id.is_in(ids)))
    assert statuses_stored == ["committed", "stale"]


async def test_a_double_click_on_confirm_imports_once(client, world: World):
    await admin(client, world)
    batch_id = await preview(client, TANGERANG)
    responses = await asyncio.gather(*[client.post_form(f"/admin/imports/{batch_id}/confirm") for _ in range(2)])
    assert [r.status_code for r in responses] == [303, 303]
    assert await Site.count().where(Site.district == world.regions["36.71"]) == 3
    assert await ImportChange.count() == 1  # PSPG-01 changed once, not twice


async def test_an_out_of_date_preview_can_be_previewed_again(client, world: World):
    await admin(client, world)
    stale, fresh = await preview(client, TANGERANG), await preview(client, TANGERANG)
    await client.post_form(f"/admin/imports/{fresh}/confirm")
    response = await client.post_form(f"/admin/imports/{stale}/confirm")
    assert response.status_code == 409
    response = await client.post_form(f"/admin/imports/{stale}/preview-again")
    again = int(response.headers["location"].rsplit("/", 1)[1])
    batch = await ImportBatch.select().where(ImportBatch.id == again).first()
    assert batch["rows_unchanged"] == 3 and batch["status"] == "previewed"


# --- undo, history, inactive ------------------------------------------------------------------------

async def test_undo_removes_new_sites_and_restores_changed_ones(client, world: World):
    await admin(client, world)
    first = (HEADER + "A-1;Taman Lama;RBRA;36.71;Jl. Lama;Tangerang;Sukasari;-6,18;106,63;;\n"
             + "A-2;SD Negeri 2;SRA;36.71;;;;;;;\n").encode()
    await client.post_form(f"/admin/imports/{await preview(client, first)}/confirm")
    original = await Site.select().where(Site.code == "A-1").first()
    before = await Site.count()
    second = (HEADER + "A-1;Taman Baru;RBRA;36.71;Jl. Baru;Tangerang;Sukasari;-6,19;106,64;Pak Budi;0812\n"
              + "A-3;Puskesmas;PUSKESMAS_RA;36.71;;;;;;;\n").encode()
    batch_id = await preview(client, second)
    await client.post_form(f"/admin/imports/{batch_id}/confirm")
    assert await Site.count() == before + 1
    response = await client.post_form(f"/admin/imports/{batch_id}/undo")
    assert response.status_code == 303
    assert await Site.count() == before and not await Site.exists().where(Site.code == "A-3")
    restored = await Site.select().where(Site.code == "A-1").first()
    for field in ("name", "address", "latitude", "longitude", "contact_person", "phone", "is_active"):
        assert restored[field] == original[field], field
    assert (await ImportBatch.select(ImportBatch.status).where(ImportBatch.id == batch_id).first())["status"] == "undone"
    assert await AuditEvent.exists().where(AuditEvent.action == "sites.import.undo")


async def test_undo_of_a_first_import_removes_every_site_it_created(client, world: World):
    await admin(client, world)
    raw = (HEADER + "".join(f"N-{n};Sekolah {n};SRA;36.73;;;;;;;\n" for n in range(30))).encode()
    batch_id = await preview(client, raw)
    await client.post_form(f"/admin/imports/{batch_id}/confirm")
    assert await Site.count().where(Site.district == world.regions["36.73"]) == 31
    assert (await client.post_form(f"/admin/imports/{batch_id}/undo")).status_code == 303
    assert await Site.count().where(Site.district == world.regions["36.73"]) == 1


async def test_undo_is_refused_once_claims_are_recorded_against_the_sites(client, world: World):
    await admin(client, world)
    batch_id = await preview(client, TANGERANG)
    await client.post_form(f"/admin/imports/{batch_id}/confirm")
    school = await Site.select(Site.id).where(Site.code == "20603123").first()
    await make_site_item_claim(world.tangerang_evaluation, school["id"], "SRA-01")
    before = await Site.count()
    response = await client.post_form(f"/admin/imports/{batch_id}/undo")
    assert response.status_code == 422
    assert "Claims have been recorded for sites" in response.text and "20603123" in response.text
    assert await Site.count() == before


async def test_undo_is_refused_when_a_later_import_changed_the_same_sites(client, world: World):
    await admin(client, world)
    raw = (HEADER + "A-1;Taman Gajah Tunggal;RBRA;36.71;;;;;;;\nA-2;SD Negeri 2;SRA;36.71;;;;;;;\n").encode()
    first = await preview(client, raw)
    await client.post_form(f"/admin/imports/{first}/confirm")
    later = await preview(client, raw.replace(b"Taman Gajah Tunggal", b"Taman Gajah Tunggal Baru"))
    await client.post_form(f"/admin/imports/{later}/confirm")
    response = await client.post_form(f"/admin/imports/{first}/undo")
    assert response.status_code == 422
    assert f"undo import #{later} first" in response.text
    assert (await client.post_form(f"/admin/imports/{later}/undo")).status_code == 303
    assert (await client.post_form(f"/admin/imports/{first}/undo")).status_code == 303
    assert await Site.count().where(Site.district == world.regions["36.71"]) == 1


async def test_the_history_of_a_kabkota_shows_who_when_file_sha256_and_counts(client, world: World):
    await admin(client, world)
    await client.post_form(f"/admin/imports/{await preview(client, TANGERANG, name='tangerang-2025.csv')}/confirm")
    await preview(client, (HEADER + "S-1;Taman Serang;RBRA;36.73;;;;;;;\n").encode(), name="serang.csv")
    page = (await client.get("/admin/imports?district=36.71")).text
    assert "tangerang-2025.csv" in page and "serang.csv" not in page
    assert world.admin.email in page and "2 new, 1 changed, 0 unchanged, 0 errors" in page
    batch = await ImportBatch.select(ImportBatch.sha256).where(ImportBatch.file_name == "tangerang-2025.csv").first()
    assert batch["sha256"][:12] in page


async def test_sites_missing_from_a_later_file_are_kept_and_can_be_marked_inactive(client, world: World):
    await admin(client, world)
    await client.post_form(f"/admin/imports/{await preview(client, TANGERANG)}/confirm")
    later = await preview(client, (HEADER + "RBRA-01;Taman Gajah Tunggal;RBRA;36.71;;Tangerang;Sukasari;-6,18;106,63;;\n"
                                   ).encode())
    await client.post_form(f"/admin/imports/{later}/confirm")
    assert await Site.count().where(Site.district == world.regions["36.71"]) == 3
    page = (await client.get(f"/admin/imports/{later}")).text
    assert "Stored sites not in this file (2)" in page
    school = await Site.select(Site.id).where(Site.code == "20603123").first()
    response = await client.post_form(f"/admin/imports/{later}/deactivate", {"site": str(school["id"])})
    assert response.status_code == 303
    assert not (await Site.select(Site.is_active).where(Site.id == school["id"]).first())["is_active"]
    assert await AuditEvent.exists().where(AuditEvent.action == "site.deactivate")


async def test_a_discarded_preview_keeps_no_file(client, world: World):
    await admin(client, world)
    batch_id = await preview(client, TANGERANG)
    assert (await client.post_form(f"/admin/imports/{batch_id}/discard")).status_code == 303
    batch = await ImportBatch.select(ImportBatch.status, ImportBatch.content).where(ImportBatch.id == batch_id).first()
    assert batch["status"] == "discarded" and batch["content"] == b""
    assert await ImportRow.count().where(ImportRow.batch == batch_id) == 0
    assert (await client.post_form(f"/admin/imports/{batch_id}/confirm")).status_code == 422


async def test_the_example_csv_can_be_downloaded_and_imports_as_it_is(client, world: World):
    await admin(client, world)
    response = await client.get("/admin/imports/templates/sites.csv")
    assert response.headers["content-type"].startswith("text/csv")
    batch_id = await preview(client, response.content)
    assert (await ImportBatch.select(ImportBatch.rows_error).where(ImportBatch.id == batch_id).first())[
        "rows_error"] == 0


# --- the command line --------------------------------------------------------------------------------

async def fieldvisit(*args: str) -> subprocess.CompletedProcess[bytes]:
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "fieldvisit", *args], capture_output=True,
                                   cwd=ROOT, env={**os.environ, "DEFAULT_LANGUAGE": "en"}, timeout=120,
                                   stdin=subprocess.DEVNULL)


async def test_the_cli_previews_asks_and_imports_only_with_yes(world: World, tmp_path):
    path = tmp_path / "tangerang.csv"
    path.write_bytes(TANGERANG)
    done = await fieldvisit("import-sites", str(path), "--district", "36.71")  # no terminal, no --yes
    assert done.returncode == 1
    assert "3 rows: 2 new, 1 changed, 0 unchanged" in done.stdout.decode()
    assert "run again with --yes" in done.stderr.decode()
    assert await Site.count().where(Site.district == world.regions["36.71"]) == 1
    done = await fieldvisit("import-sites", str(path), "--district", "36.71", "--yes")
    assert done.returncode == 0, done.stderr.decode()
    assert "imported" in done.stdout.decode() and "rows" in done.stderr.decode()  # the progress bar
    assert await Site.count().where(Site.district == world.regions["36.71"]) == 3
    event = await AuditEvent.select().where(AuditEvent.action == "sites.import").output(load_json=True).first()
    assert event["actor_email"] == "cli"


async def test_the_cli_names_row_errors_and_imports_nothing(world: World, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes((HEADER + "A-1;Puspaga;PUSPAG;36.71;;;;;;;\n").encode())
    done = await fieldvisit("import-sites", str(path), "--yes")
    assert done.returncode == 1
    assert "row 2 [site type code] error: Unknown site type “PUSPAG”. Did you mean PUSPAGA?" in done.stdout.decode()
    assert await Site.count() == 2


async def test_the_cli_refuses_a_file_over_the_limit_before_reading_it(world: World, tmp_path, settings):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.truncate((settings.max_import_mb + 30) * 1024 * 1024)
    done = await fieldvisit("import-sites", str(path), "--yes")
    assert done.returncode == 1
    assert f"the limit is {settings.max_import_mb} MB" in done.stderr.decode()

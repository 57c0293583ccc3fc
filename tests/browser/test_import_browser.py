"""In Chromium, on a phone (360 px) and on a laptop: an admin uploads a site list, reads the
preview, confirms it; a file with errors shows them. Every page passes check_page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page, login

ADMIN = "admin@demo.fieldvisit.id"
HEADER = "kode_lokasi;nama;jenis;kab_kota;alamat;kecamatan;kelurahan;lintang;bujur;narahubung;telepon\n"


def site_list(prefix: str) -> bytes:
    return (HEADER
            + f"{prefix}-1;SD Negeri Sukasari 1 (Sekolah Ramah Anak);SRA;36.71;Jl. Sukasari No. 12, Kelurahan "
              "Sukasari;Tangerang;Sukasari;-6,1801;106,6312;Ibu Rina;021-5521234\n"
            + f"{prefix}-2;Taman Bermain Ramah Anak Cikokol;RBRA;36.71;;Tangerang;Cikokol;-6,1892;106,6350;;\n"
            + f"{prefix}-3;Ruang Laktasi Kantor Wali Kota;RUANG_ASI;36.71;Jl. Satria Sudirman No. 1;Tangerang;"
              "Sukaasih;106,6319;-6,1783;;\n").encode()  # swapped coordinates: a warning


@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_an_admin_imports_a_site_list_upload_preview_confirm(new_context, device):
    page = new_context(device)
    login(page, ADMIN)
    page.goto("/admin/imports")
    check_page(page, f"imports-index-{device}")
    page.get_by_role("link", name="Impor daftar lokasi").click()
    page.wait_for_load_state("networkidle")
    check_page(page, f"imports-sites-new-{device}")
    page.set_input_files("#f-file", files=[{"name": f"lokasi-{device}.csv", "mimeType": "text/csv",
                                            "buffer": site_list(f"BRW-{device.upper()}")}])
    page.select_option("#f-district", "36.71")
    page.get_by_role("button", name="Periksa berkas").click()
    page.wait_for_load_state("networkidle")
    assert "/admin/imports/" in page.url
    assert page.locator("h1").inner_text().startswith("Impor daftar lokasi #")
    assert "Impor sekarang: 3 baru, 0 berubah" in page.locator("form.confirm button").inner_text()
    assert page.get_by_text("Lintang dan bujur tampak tertukar").is_visible()
    check_page(page, f"imports-preview-{device}")
    page.get_by_role("link", name="Peringatan 1").click()  # htmx swaps the rows and pushes the URL
    expect(page.locator("ol.rows > li")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"outcome=warning"))
    check_page(page, f"imports-preview-warnings-{device}")
    page.locator("form.confirm button").click()
    page.wait_for_load_state("networkidle")
    assert "Diimpor: 3 baru, 0 berubah, 0 tetap." in page.locator("main .notice.success").first.inner_text()
    check_page(page, f"imports-done-{device}")
    page.goto("/admin/imports?district=36.71")
    assert page.get_by_text(f"lokasi-{device}.csv").first.is_visible()


def test_a_file_with_errors_shows_them_and_offers_no_import(new_context):
    page = new_context("phone")
    login(page, ADMIN)
    page.goto("/admin/imports/sites/new")
    bad = (HEADER + "ERR-1;Puspaga;PUSPAG;36.71;;;;;;;\nERR-1;Puspaga lagi;PUSPAGA;36.71;;;;-100;106;;\n").encode()
    page.set_input_files("#f-file", files=[{"name": "salah.csv", "mimeType": "text/csv", "buffer": bad}])
    page.get_by_role("button", name="Periksa berkas").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("2 baris bermasalah").is_visible()
    assert page.get_by_text("Jenis lokasi “PUSPAG” tidak dikenal. Mungkin maksudnya PUSPAGA?").is_visible()
    assert page.locator("form.confirm").count() == 0
    check_page(page, "imports-preview-errors-phone")


def test_a_pdf_is_refused_on_the_upload_form(new_context):
    page = new_context("phone")
    login(page, ADMIN)
    page.goto("/admin/imports/sites/new")
    page.set_input_files("#f-file", files=[{"name": "lokasi.csv", "mimeType": "text/csv",
                                            "buffer": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"}])
    page.get_by_role("button", name="Periksa berkas").click()
    page.wait_for_load_state("networkidle")
    assert "Ini dokumen PDF, bukan tabel." in page.locator("#error-summary").inner_text()
    check_page(page, "imports-sites-new-error-phone")


def test_the_claims_upload_and_api_client_pages_pass_the_checks(new_context):
    for device in ("phone", "laptop"):
        page = new_context(device)
        login(page, ADMIN)
        page.goto("/admin/imports/claims/new")
        check_page(page, f"imports-claims-new-{device}")
        page.goto("/admin/api-clients")
        page.get_by_label("Nama klien baru").fill(f"Aplikasi KLA ({device})")
        page.get_by_role("button", name="Buat token").click()
        page.wait_for_load_state("networkidle")
        assert page.locator(".token").inner_text().startswith("fvk_")
        check_page(page, f"api-clients-{device}")

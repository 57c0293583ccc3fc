"""In Chromium, on a 360 px phone and a 1280 px laptop: the admin creates a round and adds a
kab/kota to it; a verifier browses Kota Tangerang's evaluation and its sites with the live search."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page, login, open_demo_evaluation

ADMIN = "admin@demo.fieldvisit.id"
VERIFIER = "verifier@demo.fieldvisit.id"
DISTRICT = "tangerang@demo.fieldvisit.id"


@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_an_admin_creates_a_round_and_adds_a_kabkota(new_context, device):
    page = new_context(device)
    login(page, ADMIN)
    page.goto("/admin/rounds")
    check_page(page, f"rounds-list-{device}")
    page.get_by_role("link", name="Buat putaran").click()
    expect(page.locator("h1")).to_have_text("Buat putaran")
    check_page(page, f"round-new-{device}")

    # A first try without a name: the error summary, focused, names the field.
    page.get_by_role("button", name="Buat putaran").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Masukkan nama putaran")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    check_page(page, f"round-new-errors-{device}")

    name = f"KLA 2026 ({device})"
    page.get_by_label("Nama", exact=True).fill(name)
    page.get_by_label("Tahun").fill("2026")
    page.get_by_label("Mulai").fill("2026-01-12")
    page.get_by_label("Berakhir").fill("2026-07-23")
    page.get_by_label("Notulis boleh menjadikan catatannya temuan").check()
    page.get_by_role("button", name="Buat putaran").click()
    expect(page.locator("h1")).to_have_text(name)
    expect(page.get_by_role("status")).to_contain_text("Putaran sudah dibuat")
    check_page(page, f"round-created-{device}")

    page.get_by_label("Kab/kota", exact=True).select_option("35.75")
    page.get_by_role("button", name="Tambahkan ke putaran").click()
    expect(page.get_by_role("status")).to_contain_text("1 kab/kota ditambahkan.")
    card = page.locator(".card", has_text="Kota Pasuruan")
    expect(card).to_contain_text("Evaluasi mandiri")
    check_page(page, f"round-district-added-{device}")

    # The new district evaluation: its stage and its team.
    card.get_by_role("link", name="Kota Pasuruan").click()
    page.get_by_label("Tahap").select_option("verifikasi_administrasi")
    page.get_by_text("Kunjungan langsung ke lokasi").click()
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("status")).to_contain_text("Tersimpan.")
    page.get_by_label("Tambah verifikator atau notulis").select_option(label="Vera Verifikator (Verifikator)")
    page.get_by_role("button", name="Tambahkan ke tim").click()
    expect(page.get_by_role("status")).to_contain_text("Ditambahkan ke tim.")
    expect(page.locator(".member")).to_contain_text("Vera Verifikator")
    check_page(page, f"evaluation-admin-{device}")
    # Off the team again (the demo verifier's other tests expect only Tangerang and Serang).
    page.get_by_role("button", name="Keluarkan Vera Verifikator").click()
    expect(page.get_by_role("status")).to_contain_text("Dikeluarkan dari tim.")
    expect(page.locator(".member")).to_have_count(0)


def test_an_admin_sees_the_tolerances_and_a_claim_form_on_a_phone(new_context):
    page = new_context("phone")
    login(page, ADMIN)
    page.goto("/evaluations")
    open_demo_evaluation(page)
    page.get_by_role("link", name="Koreksi I04").click()
    expect(page.get_by_label("Capaian yang diklaim")).to_have_value("92.5")
    check_page(page, "indicator-claim-form-phone")
    page.goto("/admin/rounds")
    page.get_by_role("link", name="KLA 2025").click()
    page.get_by_role("link", name="Toleransi").click()
    page.get_by_label("Dari").first.fill("1,2")
    page.get_by_label("Sampai").first.fill("1,1")
    page.get_by_role("button", name="Simpan toleransi").click()
    expect(page.locator("#error-summary")).to_contain_text("I01: Batas bawah harus lebih kecil dari batas atas.")
    check_page(page, "tolerances-errors-phone")


@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_a_verifier_browses_tangerangs_sites_with_the_live_search(new_context, device):
    page = new_context(device)
    login(page, VERIFIER)
    open_demo_evaluation(page)
    expect(page.locator(".summary")).to_contain_text("771")
    expect(page.locator(".summary")).to_contain_text("Nindya")
    check_page(page, f"evaluation-tangerang-{device}")

    page.get_by_role("link", name="27 lokasi").click()
    expect(page.locator(".count")).to_have_text("27 lokasi · halaman 1 dari 2")
    check_page(page, f"sites-tangerang-{device}")

    # Typing searches as you type: only the results block is replaced, the URL follows.
    with page.expect_response(lambda r: "q=puskes" in r.url and r.request.headers.get("hx-request") == "true"):
        page.get_by_label("Cari nama, kode, alamat, atau kelurahan").fill("puskes")
    expect(page.locator(".count")).to_have_text("5 lokasi")
    expect(page.locator("#results .card")).to_have_count(5)
    assert "q=puskes" in page.url
    check_page(page, f"sites-search-{device}")

    # Filters in their panel: kecamatan narrows the search further.
    page.get_by_text("Saring menurut jenis, kecamatan, atau klaim").click()
    with page.expect_response(lambda r: "kecamatan=Cibodas" in r.url):
        page.get_by_label("Kecamatan").select_option("Cibodas")
    expect(page.locator(".count")).to_have_text("1 lokasi")
    check_page(page, f"sites-filtered-{device}")

    page.get_by_role("link", name="Puskesmas Cibodas").click()
    expect(page.locator("h1")).to_have_text("Puskesmas Cibodas")
    maps = page.get_by_role("link", name="Buka di Google Maps")
    assert re.search(r"query=-6\.201200%2C106\.604050", maps.get_attribute("href"))
    assert page.get_by_role("link", name="Aplikasi peta lain").get_attribute("href").startswith("geo:-6.201200,106.604050")
    expect(page.locator(".claims .card")).to_have_count(3)
    check_page(page, f"site-puskesmas-{device}")


def test_the_search_works_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="id-ID",
                                  viewport={"width": 360, "height": 800})
    page = context.new_page()
    login(page, VERIFIER)
    page.goto("/evaluations")
    open_demo_evaluation(page)
    page.get_by_role("link", name="27 lokasi").click()
    page.get_by_label("Cari nama, kode, alamat, atau kelurahan").fill("taman")
    page.get_by_role("button", name="Cari", exact=True).click()
    expect(page.locator(".count")).to_have_text("4 lokasi")  # three parks and the library on Jl. Taman Makam Pahlawan
    assert "q=taman" in page.url
    expect(page.locator("#results")).to_contain_text("Taman Potret")
    expect(page.get_by_role("link", name="Berikutnya →")).to_have_count(0)
    context.close()


def test_district_staff_see_their_evaluation_and_catalogue_is_for_the_ministry(new_context):
    page = new_context("phone")
    login(page, DISTRICT)
    page.get_by_role("link", name="KLA 2025").click()
    expect(page.locator(".summary")).to_contain_text("771")
    check_page(page, "evaluation-district-phone")
    page.goto("/catalogue")
    expect(page.locator("h1")).to_have_text("Tidak ditemukan")


def test_a_verifier_reads_a_site_types_checklist(new_context):
    page = new_context("phone")
    login(page, VERIFIER)
    page.goto("/catalogue")
    page.get_by_role("link", name="Perpres 25/2021 (24 indikator)").click()
    check_page(page, "catalogue-version-phone")
    page.get_by_role("link", name="Pusat Pembelajaran Keluarga (Puspaga)").first.click()
    expect(page.locator("#item-PUSPAGA-14")).to_contain_text("perlu foto")
    check_page(page, "catalogue-puspaga-phone")

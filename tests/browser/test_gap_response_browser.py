"""In Chromium: the district answers a gap on a phone (360 px) with a PDF, the verifier accepts
it on a laptop in English; both through the demo's Kota Tangerang (a database of this module's own)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.browser.conftest import check_page, login, running_server
from tests.conftest import EXTRA_PG_DATABASES, PG_NAME, RUN_DIR, TEST_DB, _pg_admin, _pg_url

VERIFIER = "verifier@demo.fieldvisit.id"
DISTRICT = "tangerang@demo.fieldvisit.id"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(scope="module")
def live_server() -> Iterator[str]:
    """Answering changes the demo's gaps: this module gets a database of its own."""
    folder = RUN_DIR / "browser-gap-response"
    folder.mkdir(parents=True, exist_ok=True)
    if TEST_DB == "postgres":
        name = PG_NAME + "_gapresponse"
        # in a thread of its own: this session may already run an event loop
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _pg_admin(f'CREATE DATABASE "{name}"')).result()
        EXTRA_PG_DATABASES.append(name)
        env = {"DATABASE_URL": _pg_url(name), "VAR_DIR": str(folder / "var")}
    else:
        env = {"DATABASE_URL": f"sqlite:///{folder / 'test.sqlite'}", "VAR_DIR": str(folder / "var")}
    with running_server(env) as url:
        yield url


def test_the_district_answers_on_a_phone_and_the_verifier_accepts_on_a_laptop(new_context):
    phone = new_context("phone")
    login(phone, DISTRICT)
    assert "Perlu tindakan saya" in phone.locator(".needs-action").inner_text()
    check_page(phone, "gap-home-district-phone")
    phone.locator(".needs-action .card a").first.click()
    phone.wait_for_load_state("networkidle")
    assert phone.locator("h1").inner_text() == "Capaian tidak sesuai"
    assert phone.get_by_role("link", name="Bagikan lewat WhatsApp").get_attribute("href").startswith("https://wa.me/")
    check_page(phone, "gap-answer-phone")
    gap_url = phone.url
    phone.locator("#f-text").fill("Data akta kelahiran dari Disdukcapil terlampir; angka 92,5 % dihitung per Desember.")
    phone.locator("#f-attachments").set_input_files(
        files=[{"name": "rekap akta.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    phone.get_by_role("button", name="Kirim jawaban").click()
    phone.wait_for_load_state("networkidle")
    assert "Sudah dijawab" in phone.locator(".chips").inner_text()
    assert "rekap akta.pdf" in phone.locator(".timeline").inner_text()
    check_page(phone, "gap-answered-phone")

    laptop = new_context("laptop")
    login(laptop, VERIFIER)
    assert "jawaban untuk dinilai" in laptop.locator(".needs-action").inner_text()
    laptop.goto(gap_url)
    laptop.get_by_role("button", name="English").click()  # the verifier works in English
    laptop.wait_for_load_state("networkidle")
    assert laptop.locator("h1").inner_text() == "Value mismatch"
    check_page(laptop, "gap-decide-laptop")
    laptop.get_by_label("Accept the answer: the gap is resolved").check()
    laptop.get_by_role("button", name="Record the decision").click()
    laptop.wait_for_load_state("networkidle")
    assert "Accepted" in laptop.locator(".chips").inner_text()
    assert "Response accepted" in laptop.locator(".timeline").inner_text()
    check_page(laptop, "gap-accepted-laptop")

"""In Chromium: the dashboard, the gap list and a gap, and the verification page, for a verifier
on a laptop (1280 px) and on a phone (360 px), and the district's view of its gaps."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.browser.conftest import ROOT, check_page, login, own_database_env, running_server

VERIFIER = "verifier@demo.fieldvisit.id"
DISTRICT = "tangerang@demo.fieldvisit.id"


@pytest.fixture(scope="module")
def own_database() -> dict[str, str]:
    """This module seeds a second round for Kota Tangerang; it gets a database of its own so the
    other browser tests keep finding exactly one Kota Tangerang evaluation."""
    return own_database_env("dashboard")


@pytest.fixture(scope="module")
def live_server(own_database: dict[str, str]) -> Iterator[str]:
    with running_server(own_database) as url:
        yield url


@pytest.fixture(scope="module")
def evaluation(live_server: str, own_database: dict[str, str]) -> int:
    done = subprocess.run([sys.executable, "-m", "tests.browser.seed_reconcile"], cwd=ROOT,
                          env={**os.environ, **own_database}, check=True, capture_output=True, text=True)
    return int(done.stdout.strip().splitlines()[-1])


def test_a_verifier_reads_the_dashboard_on_a_laptop_and_reconciles(new_context, evaluation: int):
    page = new_context("laptop")
    login(page, VERIFIER)
    page.goto(f"/evaluations/{evaluation}/dashboard")
    assert page.locator(".score.estimate .score-value").inner_text() == "754,35"
    assert "perkiraan" in page.locator(".score.estimate").inner_text()
    check_page(page, "dashboard-laptop")
    page.locator("#formula summary").click()
    assert "34 × r (2,5 ÷ 4 = 0,625) = 21,25" in " ".join(page.locator("#formula").inner_text().split())
    check_page(page, "dashboard-formula-laptop", full_page=False)
    page.get_by_role("button", name="Rekonsiliasi sekarang").click()
    page.wait_for_load_state("networkidle")
    assert "Rekonsiliasi selesai" in page.locator("main .notice").inner_text()
    page.locator(".rule-counts a", has_text="Bertentangan").first.click()
    page.wait_for_load_state("networkidle")
    check_page(page, "gaps-laptop")
    page.locator(".gap-list .card a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Bertentangan"
    check_page(page, "gap-laptop")


def test_a_verifier_uses_the_dashboard_and_verifies_a_value_on_a_phone(new_context, evaluation: int):
    page = new_context("phone")
    login(page, VERIFIER)
    page.goto(f"/evaluations/{evaluation}/dashboard")
    check_page(page, "dashboard-phone")
    page.locator(".indicator-cards a", has_text="I04").click()
    page.wait_for_load_state("networkidle")
    check_page(page, "verify-phone")
    page.locator("#f-value").fill("84,0")
    page.locator("#f-note").fill("Data Disdukcapil diperbarui 2 Mei 2025")
    page.get_by_role("button", name="Simpan capaian terverifikasi").click()
    page.wait_for_load_state("networkidle")
    assert "tersimpan" in page.locator("main .notice").inner_text()
    assert "Versi 2: 84 %" in page.locator(".versions").inner_text()
    check_page(page, "verify-saved-phone")
    page.locator("#f-value").fill("tidak tahu")
    page.locator("#f-note").fill("")
    page.get_by_role("button", name="Simpan capaian terverifikasi").click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    check_page(page, "verify-errors-phone")
    page.goto(f"/evaluations/{evaluation}/gaps?status=active")
    check_page(page, "gaps-phone")


def test_the_district_sees_its_gaps_without_provenance_on_a_phone(new_context, evaluation: int):
    page = new_context("phone")
    login(page, DISTRICT)
    page.goto(f"/evaluations/{evaluation}/gaps")
    text = page.locator("main").inner_text()
    assert "Bertentangan" in text and "Asal-usul foto" not in text
    check_page(page, "gaps-district-phone")
    page.locator(".gap-list .card a").first.click()
    page.wait_for_load_state("networkidle")
    check_page(page, "gap-district-phone")
    assert page.goto(f"/evaluations/{evaluation}/dashboard").status == 404

"""In Chromium at 360x800: the privacy notice in both languages, reached from the login page."""

from __future__ import annotations

from tests.browser.conftest import check_page


def test_the_privacy_notice_reads_on_a_phone_in_both_languages(phone):
    phone.goto("/login")
    phone.get_by_role("link", name="pemberitahuan privasi", exact=True).click()
    phone.wait_for_load_state("networkidle")
    assert phone.url.endswith("/privacy")
    assert phone.locator("h1").inner_text() == "Pemberitahuan privasi"
    assert "180 hari setelah putaran evaluasi ditutup" in phone.locator("main").inner_text()
    check_page(phone, "privacy-id")

    phone.get_by_role("button", name="English").click()
    phone.wait_for_load_state("networkidle")
    assert phone.url.endswith("/privacy")
    assert phone.locator("h1").inner_text() == "Privacy notice"
    assert "180 days after the evaluation round closes" in phone.locator("main").inner_text()
    check_page(phone, "privacy-en")

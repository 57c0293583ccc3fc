"""In Chromium at 360x800: login in both languages, a wrong password, each role's home page."""

from __future__ import annotations

import re

from tests.browser.conftest import check_page, login

DEMO = {
    "admin": "admin@demo.fieldvisit.id",
    "verifier": "verifier@demo.fieldvisit.id",
    "notetaker": "notetaker@demo.fieldvisit.id",
    "district": "tangerang@demo.fieldvisit.id",
}


def test_the_login_page_is_in_indonesian_and_passes_the_checks(phone):
    phone.goto("/login")
    assert phone.locator("h1").inner_text() == "Masuk"
    assert phone.evaluate("() => window.innerWidth") == 360
    check_page(phone, "login-id")


def test_the_login_page_switches_to_english(phone):
    phone.goto("/login")
    phone.get_by_role("button", name="English").click()
    phone.wait_for_load_state("networkidle")
    assert phone.locator("h1").inner_text() == "Sign in"
    check_page(phone, "login-en")


def test_a_wrong_password_shows_the_error_summary(phone):
    login(phone, DEMO["verifier"], "not the password")
    summary = phone.locator("#error-summary")
    assert summary.is_visible()
    assert "Email atau kata sandi salah." in summary.inner_text()
    assert phone.evaluate("() => document.activeElement.id") == "error-summary"
    check_page(phone, "login-wrong-password")


def test_each_role_lands_on_its_home_page(new_context):
    headings = {"admin": "Koordinasi evaluasi", "verifier": "Kunjungan saya", "notetaker": "Sesi saya",
                "district": "Kota Tangerang"}
    for role, email in DEMO.items():
        page = new_context("phone")
        login(page, email)
        assert page.locator("h1").inner_text() == headings[role]
        check_page(page, f"home-{role}")
        page.locator("summary", has_text=re.compile(r"^Menu$")).click()  # not "Yang menunggu"
        check_page(page, f"home-{role}-menu", full_page=False)


def test_the_admin_pages_pass_the_checks_on_a_phone(new_context):
    page = new_context("phone")
    login(page, DEMO["admin"])
    for path, name in (("/admin/users", "admin-users"), ("/admin/users/new", "admin-user-new"),
                       ("/admin/regions", "admin-regions"), ("/admin/audit", "admin-audit"),
                       ("/account/password", "account-password")):
        page.goto(path)
        check_page(page, name)


def test_no_page_logs_a_console_error(phone):
    phone.goto("/login")
    login(phone, DEMO["admin"])
    phone.goto("/admin/users")
    assert phone.console_errors == []

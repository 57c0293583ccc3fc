"""In Chromium at 360x800: the verifier's day. From the home page to today's visit, check-in with
the phone's location, the outcome, every checklist item saved at once (htmx) with progress,
submit; and, without JavaScript, check-in and one item through the plain forms."""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import unquote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, ROOT, check_page, demo_evaluation_card, login

VERIFIER = "verifier@demo.fieldvisit.id"


@pytest.fixture(scope="module", autouse=True)
def demo_visits(live_server):
    """The demo's Tangerang evaluation, sites and visits (seeded here when the demo lacks them)."""
    subprocess.run([sys.executable, "-m", "tests.browser.seed_evaluation"], cwd=ROOT, check=True)


def check_page_without_js(page: Page, name: str, new_context) -> None:
    """axe cannot run where JavaScript is off: screenshot the page as it is, then run the
    checks on the same server-rendered page in a context with JavaScript and the same login."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    twin = new_context("phone", storage_state=page.context.storage_state())
    twin.goto(page.url)
    check_page(twin, f"{name}-checked")


def site_position(page: Page, card) -> tuple[float, float]:
    href = card.get_by_role("link", name="Buka di peta").get_attribute("href")
    lat, lon = re.match(r"geo:(-?[\d.]+),(-?[\d.]+)", unquote(href or "")).groups()
    return float(lat), float(lon)


def test_a_verifier_completes_todays_visit_on_a_phone(new_context):
    page = new_context("phone", permissions=["geolocation"])
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    login(page, VERIFIER)
    today = page.locator("h2:text-is('Hari ini') + ul > li").first
    expect(today).to_be_visible()
    lat, lon = site_position(page, today)
    page.context.set_geolocation({"latitude": lat + 0.0002, "longitude": lon + 0.0001, "accuracy": 15})
    check_page(page, "visit-home")

    today.locator("a.visit-link").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_be_visible()
    check_page(page, "visit-planned")

    page.get_by_role("button", name="Check-in sekarang").click()
    page.wait_for_url(re.compile(r"/visits/\d+#outcome"))
    expect(page.locator("#check-in")).to_contain_text("Check-in pada")
    distance = int(re.search(r"(\d+) m dari lokasi", page.locator("#check-in").inner_text()).group(1))
    assert 15 <= distance <= 35
    expect(page.locator("#check-in .badge.ok")).to_have_text("di lokasi")

    page.get_by_text("Lokasi ditemukan dan beroperasi").click()
    page.get_by_role("button", name="Simpan hasil di alamat").click()
    page.wait_for_url(re.compile(r"#checklist"))
    items = page.locator("section.item")
    total = items.count()
    assert total >= 3
    expect(page.locator("#progress")).to_contain_text(f"0 dari {total} butir tercatat")
    check_page(page, "visit-checklist")

    choices = ["met", "met", "partial", "met", "not_met", "not_observed", "met", "not_applicable"]
    for n in range(total):
        item = items.nth(n)
        result = choices[n % len(choices)]
        with page.expect_response(lambda r: "/items/" in r.url and r.request.method == "POST") as saved:
            item.locator(f"label.choice.{result}").click()
        assert saved.value.status == 200
        item = page.locator("section.item").nth(n)  # the block was swapped
        expect(item.locator(".saved")).to_contain_text(re.compile(r"Tersimpan \d\d:\d\d"))
        expect(page.locator("#progress")).to_contain_text(f"{n + 1} dari {total} butir tercatat")
        if n == 2:
            check_page(page, "visit-items-saving", full_page=False)

    first = page.locator("section.item").first
    note = first.locator("textarea")
    with page.expect_response(lambda r: "/items/" in r.url) as saved:
        note.fill("Papan nama ada di pagar depan.")
        note.blur()
    assert saved.value.status == 200
    first = page.locator("section.item").first
    expect(first).to_contain_text("versi 2")
    first.locator("details.history summary").click()
    expect(first.locator("details.history li")).to_have_count(2)
    check_page(page, "visit-all-items")

    page.get_by_role("button", name="Kirim kunjungan").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main .notice.success")).to_contain_text("Kunjungan sudah dikirim")
    expect(page.locator("#submit")).to_contain_text("Dikirim pada")
    check_page(page, "visit-submitted")
    assert errors == []


def test_without_javascript_a_check_in_and_an_item_work_as_plain_forms(new_context):
    page = new_context("phone", java_script_enabled=False)
    login(page, VERIFIER)
    upcoming = page.locator("h2:text-is('Akan datang') + ul > li").first
    upcoming.locator("a.visit-link").click()
    page.get_by_role("button", name="Check-in sekarang").click()
    expect(page.locator("#check-in")).to_contain_text("Tidak ada lokasi yang tercatat")
    page.get_by_text("Lokasi ditemukan dan beroperasi").click()
    page.get_by_role("button", name="Simpan hasil di alamat").click()
    item = page.locator("section.item").first
    code = item.get_attribute("id")
    item.locator("label.choice.partial").click()
    item.locator("textarea").fill("Dicatat tanpa JavaScript.")
    item.get_by_role("button", name="Simpan").click()
    assert page.url.endswith(f"#{code}")
    item = page.locator(f"#{code}")
    expect(item.locator(".saved")).to_contain_text("Tersimpan")
    expect(item.locator("input[value=partial]")).to_be_checked()
    expect(item.locator("textarea")).to_have_value("Dicatat tanpa JavaScript.")
    expect(page.locator("#progress")).to_contain_text("1 dari")
    check_page_without_js(page, "visit-no-js", new_context)


def test_a_verifier_plans_visits_for_a_day_on_a_phone(new_context):
    page = new_context("phone")
    login(page, VERIFIER)
    demo_evaluation_card(page).get_by_role("link", name="Kunjungan", exact=True).click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text("Kunjungan di Kota Tangerang")
    plan = page.locator("details.plan")
    if plan.get_attribute("open") is None:
        plan.locator("summary").click()
    check_page(page, "visit-plan")
    page.locator("#f-planned_on").fill("2026-12-01")
    sites = page.locator("#f-site input[type=checkbox]")
    sites.nth(0).check()
    if sites.count() > 1:
        sites.nth(1).check()
    page.get_by_role("button", name="Rencanakan kunjungan ini").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main .notice.success")).to_contain_text("kunjungan direncanakan")
    check_page(page, "visit-planned-list")


def test_a_save_whose_answer_was_lost_is_retried_without_a_duplicate_or_a_conflict(new_context):
    """The server stored the save but the phone never heard back (the connection dropped):
    tapping Save again sends the same UUID (answered as the first time, no new version); a
    different choice gets a new UUID (the next version, not a 409)."""
    page = new_context("phone")
    login(page, VERIFIER)
    demo_evaluation_card(page).get_by_role("link", name="Kunjungan", exact=True).click()  # the evaluation's visits
    page.locator("ul.visits li.card:has(.badge.ok) a").first.click()  # a submitted visit
    code = page.locator("section.item").nth(1).get_attribute("id")
    item = page.locator(f"#{code}")
    before = int(re.search(r"versi (\d+)", item.locator(".status").inner_text()).group(1))

    def answer_lost(route):
        route.fetch()  # the server gets and stores the save ...
        route.abort()  # ... the phone never hears back

    page.route("**/items/**", answer_lost)
    item.locator("label.choice.partial").click()
    expect(item.locator(".status")).to_contain_text("Belum terkirim: disimpan di ponsel ini")  # the outbox keeps it
    page.unroute_all(behavior="wait")  # let a save in the handler finish first (else: "already handled")
    with page.expect_response(lambda r: "/items/" in r.url) as changed:
        item.locator("label.choice.not_observed").click()  # another choice: a new UUID
    assert changed.value.status == 200
    expect(item.locator(".status")).to_contain_text(f"versi {before + 2}")  # the lost save and this one

    page.route("**/items/**", answer_lost)
    item.locator("label.choice.met").click()
    expect(item.locator(".status")).to_contain_text("Belum terkirim: disimpan di ponsel ini")  # the outbox keeps it
    # The outbox sends the kept save again by itself (with backoff); tapping Save with the same
    # choice keeps it as it is (the same UUID). Listen before the connection comes back: the
    # outbox's own retry may come first.
    with page.expect_response(lambda r: "/items/" in r.url, timeout=30_000) as retry:
        page.unroute_all(behavior="wait")  # let a save in the handler finish first (else: "already handled")
        item.get_by_role("button", name="Simpan", exact=True).click()  # the same choice again: the same UUID
    assert retry.value.status == 200
    expect(item.locator(".status")).to_contain_text(f"versi {before + 3}")  # the lost save, not a new one
    expect(item.locator("input[value=met]")).to_be_checked()
    expect(item.locator("details.history li")).to_have_count(before + 3)

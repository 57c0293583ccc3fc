"""In Chromium, against a server running two workers: a verifier on a laptop (1280 px) plans and
starts a hybrid session; a note-taker on a phone (360 px) and the verifier each see the other's
notes appear without reloading; the verifier turns a note into a finding that then changes the
district dashboard; closing shows the minutes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.browser.conftest import ROOT, _free_port, check_page, login, open_demo_evaluation, own_database_env

VERIFIER = "verifier@demo.fieldvisit.id"
NOTETAKER = "notetaker@demo.fieldvisit.id"


@pytest.fixture(scope="module")
def own_database() -> dict[str, str]:
    """A database of its own: the sessions made here stay out of the other browser tests."""
    return own_database_env("sessions")


@pytest.fixture(scope="module")
def live_server(own_database: dict[str, str]) -> Iterator[str]:
    """The demo, served by two uvicorn workers (nothing shared between them but the database)."""
    env = {**os.environ, "LOG_LEVEL": "warning", **own_database}
    subprocess.run([sys.executable, "-m", "fieldvisit", "demo"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fieldvisit", "serve", "--port", str(port), "--workers", "2"],
                            cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("the server did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=15)


def test_two_note_takers_see_each_others_notes_live_and_a_note_becomes_a_finding(new_context):
    vera = new_context("laptop")
    login(vera, VERIFIER)
    open_demo_evaluation(vera)
    vera.get_by_role("link", name="Sesi hybrid").click()
    vera.wait_for_load_state("networkidle")
    vera.locator("#f-title").fill("Verifikasi hybrid Puspaga")
    vera.locator("#f-day").fill("2025-05-22")
    vera.locator("#f-time").fill("09:00")
    for box in vera.locator("#f-team input[type=checkbox]").all():
        box.check()
    vera.locator("#f-site label").filter(has_text="Puspaga").first.click()
    vera.get_by_role("button", name="Rencanakan sesi").click()
    vera.wait_for_load_state("networkidle")
    vera.get_by_role("button", name="Mulai sesi").click()
    vera.wait_for_load_state("networkidle")
    session_url = vera.url

    nina = new_context("phone")
    login(nina, NOTETAKER)
    nina.goto(session_url)
    check_page(nina, "session-live-empty-phone")

    # the note-taker picks the item with the type-ahead, types, presses Enter
    nina.locator("#f-target-filter").fill("PUSPAGA-02")
    nina.locator("#f-target-filter").press("Enter")
    nina.locator("#f-body").fill("Ruang konseling ada, pintu tertutup")
    nina.locator("#f-body").press("Enter")
    nina.locator("#notes").get_by_text("Ruang konseling ada, pintu tertutup").wait_for()
    assert nina.locator("#f-body").input_value() == ""
    start = time.monotonic()
    vera.locator("#notes").get_by_text("Ruang konseling ada, pintu tertutup").wait_for(timeout=8_000)
    seen_after = time.monotonic() - start
    assert seen_after < 6

    # and the other way round, with a result
    vera.locator("#f-target").select_option(index=0)
    vera.locator("#f-body").fill("Konselor hadir di kamera")
    vera.locator("#f-result").select_option("met")
    vera.locator("#f-body").press("Enter")
    nina.locator("#notes").get_by_text("Konselor hadir di kamera").wait_for(timeout=8_000)
    assert nina.locator("#notes li.note").count() == 2  # in order, no duplicate
    assert nina.locator("#notes li.note").first.locator(".note-no").inner_text() == "#1"
    check_page(nina, "session-live-phone")
    check_page(vera, "session-live-laptop")

    # attendance in one line
    nina.locator("#a-name").fill("Siti Rahma")
    nina.locator("#a-office").fill("DP3AP2KB")
    nina.locator("#a-position").fill("Kabid PHA")
    nina.locator("#a-position").press("Enter")
    nina.locator("#attendance").get_by_text("Siti Rahma").wait_for()

    # the verifier turns the note into the finding of PUSPAGA-02 (claimed met): not met
    vera.reload()
    form = vera.locator("form.promote-form").filter(has_text="PUSPAGA-02")
    form.locator("select").select_option("not_met")
    form.get_by_role("button", name="Jadikan temuan").click()
    vera.wait_for_load_state("networkidle")
    assert "Temuan tersimpan" in vera.locator("main .notice").inner_text()
    nina.locator("#note-1").get_by_text("→ temuan").wait_for(timeout=8_000)  # the feed shows it promoted

    # it counts on the district dashboard (the demo's r was 2,5 ÷ 4 with PUSPAGA-02 met)
    vera.goto(session_url.rsplit("/sessions", 1)[0] + "/")
    open_demo_evaluation(vera)
    vera.goto(vera.url.rstrip("/") + "/dashboard")
    vera.get_by_role("button", name="Rekonsiliasi sekarang").click()
    vera.wait_for_load_state("networkidle")
    vera.locator("#formula summary").click()
    assert "1,5 ÷ 4" in " ".join(vera.locator("#formula").inner_text().split())

    # closing freezes the notes and shows the minutes
    vera.goto(session_url)
    vera.get_by_role("button", name="Tutup sesi (catatan dibekukan)").click()
    vera.wait_for_load_state("networkidle")
    assert "Notulen" in vera.locator("h1").inner_text()
    check_page(vera, "session-minutes-laptop")
    nina.reload()
    assert nina.locator("#entry").count() == 0
    check_page(nina, "session-minutes-phone")

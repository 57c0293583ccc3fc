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
from PIL import Image, ImageDraw
from playwright.sync_api import Page

from tests.browser.conftest import (
    ARTIFACTS,
    ROOT,
    _free_port,
    check_page,
    login,
    open_demo_evaluation,
    own_database_env,
)

VERIFIER = "verifier@demo.fieldvisit.id"
NOTETAKER = "notetaker@demo.fieldvisit.id"


@pytest.fixture(scope="module", autouse=True)
def own_database() -> dict[str, str]:
    """A database of its own: the sessions made here stay out of the other browser tests.
    Autouse, so it is made before the module's Playwright loop runs (on PostgreSQL it creates
    the database with asyncio.run, which cannot run inside that loop)."""
    return own_database_env("sessions", PHOTO_POLL_SECONDS="0.5")  # the worker makes the thumbnails


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


def plan_and_start(vera: Page, title: str) -> str:
    """The verifier plans a session on Puspaga with the whole team and starts it: its URL."""
    open_demo_evaluation(vera)
    vera.get_by_role("link", name="Sesi hybrid").click()
    vera.wait_for_load_state("networkidle")
    plan = vera.locator("details.plan")
    if plan.get_attribute("open") is None:  # folded once the evaluation has sessions
        plan.locator("summary").click()
    vera.locator("#f-title").fill(title)
    vera.locator("#f-day").fill("2025-05-22")
    vera.locator("#f-time").fill("09:00")
    for box in vera.locator("#f-team input[type=checkbox]").all():
        box.check()
    vera.locator("#f-site label").filter(has_text="Puspaga").first.click()
    vera.get_by_role("button", name="Rencanakan sesi").click()
    vera.wait_for_load_state("networkidle")
    vera.get_by_role("button", name="Mulai sesi").click()
    vera.wait_for_load_state("networkidle")
    return vera.url


def test_two_note_takers_see_each_others_notes_live_and_a_note_becomes_a_finding(new_context):
    vera = new_context("laptop")
    login(vera, VERIFIER)
    session_url = plan_and_start(vera, "Verifikasi hybrid Puspaga")

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


PASTE_SCREENSHOT_JS = """
async (selector) => {
  // What Ctrl+V of a screenshot gives the page: a paste event carrying a PNG file.
  const canvas = document.createElement('canvas');
  canvas.width = 960; canvas.height = 540;
  const g = canvas.getContext('2d');
  g.fillStyle = '#2b5797'; g.fillRect(0, 0, 960, 540);
  g.fillStyle = '#f4c542'; g.fillRect(80, 120, 380, 300);
  g.fillStyle = '#ffffff'; g.font = '48px sans-serif'; g.fillText('Ruang konseling', 500, 280);
  const blob = await new Promise((done) => canvas.toBlob(done, 'image/png'));
  const transfer = new DataTransfer();
  transfer.items.add(new File([blob], 'image.png', {type: 'image/png'}));
  const target = document.querySelector(selector);
  target.focus();
  target.dispatchEvent(new ClipboardEvent('paste', {clipboardData: transfer, bubbles: true, cancelable: true}));
}
"""

THUMBS_LOADED_JS = """
(number) => [...document.querySelectorAll(`#note-${number} img.note-thumb`)]
  .every((img) => img.complete && img.naturalWidth > 96)
"""


def test_a_pasted_or_chosen_screenshot_goes_with_the_note_and_shows_in_everyones_feed(new_context, tmp_path):
    vera = new_context("laptop")
    login(vera, VERIFIER)
    session_url = plan_and_start(vera, "Verifikasi hybrid: tangkapan layar")
    nina = new_context("phone")  # 360 x 800
    login(nina, NOTETAKER)
    nina.goto(session_url)

    # the note-taker types, pastes a screenshot of the call, sees its preview, removes and pastes again
    nina.locator("#f-target-filter").fill("PUSPAGA-02")
    nina.locator("#f-target-filter").press("Enter")
    nina.evaluate(PASTE_SCREENSHOT_JS, "#f-body")
    previews = nina.locator("#entry .photo-previews li")
    previews.first.wait_for()
    nina.locator("#f-body").press("Enter")  # no text yet: a hint, nothing saved, the screenshot kept
    nina.locator("#entry .entry-hint").wait_for()
    assert previews.count() == 1 and nina.locator("#notes li.note").count() == 0
    nina.locator("#f-body").fill("Ruang konseling terlihat di kamera")
    nina.evaluate(PASTE_SCREENSHOT_JS, "#f-body")
    assert previews.count() == 2
    previews.first.get_by_role("button").click()
    assert nina.locator("#f-body").input_value() == "Ruang konseling terlihat di kamera"  # the text stays
    assert nina.evaluate("() => document.getElementById('f-photo').files.length") == 1
    previews.first.get_by_role("button").click()
    assert previews.count() == 0 and nina.evaluate("() => document.getElementById('f-photo').files.length") == 0
    nina.evaluate(PASTE_SCREENSHOT_JS, "#f-body")
    previews.first.wait_for()
    check_page(nina, "session-screenshot-preview-phone")
    # on a phone, innerWidth grows with content wider than the screen: check against the screen
    assert nina.evaluate("() => document.documentElement.scrollWidth") <= 360
    nina.locator("#f-body").press("Enter")  # keyboard first: Enter saves the note with its screenshot
    nina.locator("#notes").get_by_text("Ruang konseling terlihat di kamera").wait_for()
    assert previews.count() == 0 and nina.locator("#f-body").input_value() == ""

    # the verifier on a laptop sees the note arrive with its thumbnail, marked "from video"
    note = vera.locator("#notes li.note").filter(has_text="Ruang konseling terlihat di kamera")
    note.wait_for(timeout=8_000)
    note.locator("img.note-thumb").wait_for(timeout=8_000)
    assert "Dari video" in note.inner_text()
    number = note.locator(".note-no").inner_text().lstrip("#")
    vera.wait_for_function(THUMBS_LOADED_JS, arg=number, timeout=20_000)  # the worker's thumbnail, not the placeholder

    # the verifier chooses a photo with the file picker (a laptop's screenshot file)
    picture = Image.new("RGB", (1280, 720), (40, 110, 60))
    ImageDraw.Draw(picture).rectangle((200, 150, 900, 600), fill=(230, 230, 230))
    path = tmp_path / "tangkapan-layar-zoom.png"
    picture.save(path)
    vera.locator("#f-target").select_option(index=0)
    vera.locator("#f-target-filter").fill("PUSPAGA-03")
    vera.locator("#f-target-filter").press("Enter")
    vera.locator("#f-body").fill("Papan layanan dipasang di depan")
    vera.locator("#f-photo").set_input_files(str(path))
    vera.locator("#entry .photo-previews li").first.wait_for()
    vera.locator("#f-body").press("Enter")
    mine = vera.locator("#notes li.note").filter(has_text="Papan layanan dipasang di depan")
    mine.wait_for()
    their = nina.locator("#notes li.note").filter(has_text="Papan layanan dipasang di depan")
    their.locator("img.note-thumb").wait_for(timeout=8_000)
    number = their.locator(".note-no").inner_text().lstrip("#")
    nina.wait_for_function(THUMBS_LOADED_JS, arg=number, timeout=20_000)
    nina.wait_for_function(THUMBS_LOADED_JS, arg=str(int(number) - 1), timeout=20_000)
    vera.wait_for_function(THUMBS_LOADED_JS, arg=number, timeout=20_000)
    check_page(nina, "session-screenshots-phone")
    assert nina.evaluate("() => document.documentElement.scrollWidth") <= 360
    check_page(vera, "session-screenshots-laptop")
    # the note line stays at the bottom of a laptop's screen: scrolled down, the feed shows above it
    vera.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    vera.screenshot(path=str(ARTIFACTS / "session-screenshots-laptop-feed.png"))
    assert not getattr(nina, "console_errors", [])

"""In Chromium at 360x800: the verifier works without a connection. Each bad condition of the
offline issue: offline from the start with a browser restart in between, a flaky network, a
server answering 500 for a while, two team members editing the same item offline, a sign-in
that expires while saves wait, another user on the same phone, a conflict, and a browser
without service workers.

Each phone is a persistent Chromium profile (a folder), so that closing it and opening it again
keeps IndexedDB, the service worker and its caches, as a real phone does."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, Route, expect, sync_playwright

from tests.browser.conftest import (
    ARGS,
    CHROMIUM,
    DEMO_PASSWORD,
    PHONE,
    ROOT,
    check_page,
    login,
    own_database_env,
    running_server,
)
from tests.support import PASSWORD

VERIFIER = "verifier@demo.fieldvisit.id"
SECOND_VERIFIER = "verifier2@demo.fieldvisit.id"
BANNER = "#outbox .outbox-title"


@pytest.fixture(scope="module")
def own_database() -> dict[str, str]:
    """Visits made here would crowd the other modules' verifier home: a database of its own."""
    return own_database_env("offline")


@pytest.fixture(scope="module")
def live_server(own_database: dict[str, str]) -> Iterator[str]:
    with running_server(own_database) as url:
        yield url


def _seed(own_database: dict[str, str], *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "tests.browser.seed_offline", *args], cwd=ROOT, check=True,
                         env={**os.environ, **own_database}, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture
def new_visit(own_database: dict[str, str], live_server: str) -> Callable[[], int]:
    """A visit for today, checked in and found, with the verifier and a second verifier on its team."""
    return lambda: int(_seed(own_database, "visit"))


@pytest.fixture
def findings(own_database: dict[str, str]) -> Callable[[int], list[dict[str, object]]]:
    """What the server holds for a visit (every version, oldest first)."""
    return lambda visit_id: json.loads(_seed(own_database, "findings", str(visit_id)))


@pytest.fixture
def stored_photos(own_database: dict[str, str]) -> Callable[[int], list[dict[str, object]]]:
    return lambda visit_id: json.loads(_seed(own_database, "photos", str(visit_id)))


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture
def phone(playwright: Playwright, live_server: str, tmp_path: Path) -> Iterator[Callable[..., Page]]:
    """``phone("a")`` opens (or opens again) the phone profile "a"; close it with page.context.close()."""
    opened: list[BrowserContext] = []

    def open_phone(name: str = "a", **options: object) -> Page:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / name), executable_path=CHROMIUM, args=ARGS, base_url=live_server, bypass_csp=True,
            locale="id-ID", **PHONE, **options)  # type: ignore[arg-type]
        context.set_default_timeout(15_000)
        opened.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        page.console_errors = []  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and "ERR_" not in m.text and "Failed to load" not in m.text
                and page.console_errors.append(m.text))  # type: ignore[attr-defined]
        return page

    yield open_phone
    for context in opened:
        try:
            context.close()
        except Exception:  # noqa: BLE001 - already closed by the test
            pass


def ready(page: Page, visit_id: int, email: str = VERIFIER) -> None:
    """Signed in with a connection: the home page keeps today's visits on the phone."""
    login(page, email, DEMO_PASSWORD if email == VERIFIER else PASSWORD)
    page.goto("/")
    expect(page.locator(f".offline-mark[data-offline-url='/visits/{visit_id}']")).to_have_text("✓ Siap tanpa koneksi")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def record(page: Page, items: range, result: str = "met") -> None:
    for n in items:
        page.locator("section.item").nth(n).locator(f"label.choice.{result}").click()


def wait_until_sent(page: Page, timeout: float = 30_000) -> None:
    expect(page.locator("#outbox")).to_be_hidden(timeout=timeout)


def jpeg_with_exif(path: Path, n: int) -> Path:
    """A 2400x1800 camera-like JPEG, turned (Orientation 6), with time and GPS near the Puspaga."""
    from PIL import ExifTags, Image

    image = Image.effect_noise((2400, 1800), 30 + n).convert("RGB")
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Phone"
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: "2025:07:14 10:0%d:00" % n}
    exif[ExifTags.IFD.GPSInfo] = {1: "S", 2: (6.0, 10.0, 42.0), 3: "E", 4: (106.0, 37.0, 55.0)}
    image.save(path, "JPEG", quality=70, exif=exif)
    return path


def once_each(rows: list[dict[str, object]]) -> None:
    uuids = [r["client_uuid"] for r in rows]
    assert len(set(uuids)) == len(uuids)
    pairs = [(r["item_code"], r["version"]) for r in rows]
    assert len(set(pairs)) == len(pairs)


def test_ten_findings_and_five_photos_made_offline_survive_a_browser_restart_and_arrive_once(
        phone, new_visit, findings, stored_photos, tmp_path):
    visit = new_visit()
    shots = [str(jpeg_with_exif(tmp_path / f"IMG_{n}.jpg", n)) for n in range(5)]
    page = phone("a")
    ready(page, visit)
    check_page(page, "offline-home-ready")

    page.context.set_offline(True)
    page.goto(f"/visits/{visit}")
    expect(page.locator("#offline-stale")).to_contain_text("Anda sedang tanpa koneksi")
    assert page.locator("section.item").count() >= 10
    record(page, range(10))
    code = page.locator("section.item").first.get_attribute("id").removeprefix("item-")
    for shot in shots:  # as the camera gives them: downscaled by capture.js, kept by the outbox
        page.evaluate("""async ([visit, code, b64, name]) => {
            const file = new File([Uint8Array.from(atob(b64), c => c.charCodeAt(0))], name, {type: 'image/jpeg'});
            const blob = await window.FieldVisitCapture.prepare(file, 2048);
            await window.FieldVisitOutbox.addPhoto({visitId: visit, itemCode: code, source: 'camera', blob,
                                                    filename: name});
        }""", [visit, code, base64.b64encode(Path(shot).read_bytes()).decode(), Path(shot).name])
    expect(page.locator(BANNER)).to_have_text("10 temuan dan 5 foto belum terkirim")
    expect(page.locator("#outbox .outbox-state")).to_contain_text("Tidak ada koneksi")
    expect(page.locator("section.item.pending")).to_have_count(10)
    expect(page.locator("section.item").first.locator(".status")).to_contain_text("Belum terkirim")
    page.locator("#outbox summary").click()
    expect(page.locator("#outbox .outbox-item")).to_have_count(15)
    check_page(page, "offline-visit-pending", full_page=False)
    page.context.close()  # the browser is closed (or the camera killed it) with everything waiting
    assert findings(visit) == [] and stored_photos(visit) == []

    page = phone("a")
    page.context.set_offline(True)
    page.goto(f"/visits/{visit}")  # the phone's copy, with the waiting saves put back and marked
    expect(page.locator(BANNER)).to_have_text("10 temuan dan 5 foto belum terkirim")
    expect(page.locator("section.item.pending")).to_have_count(10)
    expect(page.locator("section.item").nth(3).locator("input[value=met]")).to_be_checked()
    page.context.set_offline(False)
    wait_until_sent(page)
    rows = findings(visit)
    assert len(rows) == 10 and {r["result"] for r in rows} == {"met"}
    once_each(rows)
    photos = stored_photos(visit)
    assert len(photos) == 5 and len({p["client_uuid"] for p in photos}) == 5
    for photo in photos:  # downscaled as sent, upright, with the camera's EXIF
        assert max(photo["width"], photo["height"]) < 2400 and photo["height"] > photo["width"]
        assert photo["exif_latitude"] is not None and photo["taken_at"] != "None"
    page.reload()
    expect(page.locator("#progress")).to_contain_text("10 dari")
    expect(page.locator("#outbox")).to_be_hidden()
    check_page(page, "offline-visit-sent", full_page=False)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_on_a_flaky_network_every_save_arrives_once(phone, new_visit, findings):
    """Every other request is lost: before it reaches the server, or after the server stored it
    (the phone never hears back). The retries carry the same UUID: nothing is stored twice."""
    visit = new_visit()
    page = phone("a")
    ready(page, visit)
    page.goto(f"/visits/{visit}")
    calls = {"n": 0}

    def flaky(route: Route) -> None:
        calls["n"] += 1
        if calls["n"] % 4 == 1:
            route.abort()  # never reaches the server
        elif calls["n"] % 4 == 3:
            route.fetch()  # the server stores it ...
            route.abort()  # ... the answer is lost
        else:
            route.continue_()

    page.route("**/visits/*/items/*", flaky)
    record(page, range(8), "partial")
    page.locator("section.item").first.locator("textarea").fill("Papan nama di pagar.")
    page.locator("section.item").first.get_by_role("button", name="Simpan", exact=True).click()
    wait_until_sent(page)
    rows = findings(visit)
    assert calls["n"] >= 14  # the losses really happened and were retried
    assert len(rows) == 9
    once_each(rows)
    first = [r for r in rows if r["note"]]
    assert len(first) == 1 and first[0]["version"] == 2


def test_a_server_answering_500_loses_nothing_and_the_banner_says_so(phone, new_visit, findings):
    visit = new_visit()
    page = phone("a")
    ready(page, visit)
    page.goto(f"/visits/{visit}")
    broken_until = time.monotonic() + 6

    def failing(route: Route) -> None:
        if time.monotonic() < broken_until:
            route.fulfill(status=500, body="down")
        else:
            route.continue_()

    page.route("**/visits/*/items/*", failing)
    record(page, range(5), "not_met")
    expect(page.locator("#outbox .outbox-state")).to_contain_text("galat 500")
    expect(page.locator(BANNER)).to_have_text("5 temuan belum terkirim")
    check_page(page, "offline-server-500", full_page=False)
    assert findings(visit) == []
    wait_until_sent(page)
    rows = findings(visit)
    assert len(rows) == 5
    once_each(rows)


def test_two_team_members_editing_one_item_offline_both_versions_are_kept(phone, new_visit, findings):
    visit = new_visit()
    vera, vino = phone("vera"), phone("vino")
    ready(vera, visit)
    ready(vino, visit, SECOND_VERIFIER)
    for page in (vera, vino):
        page.context.set_offline(True)
        page.goto(f"/visits/{visit}")
    record(vera, range(1), "met")
    record(vino, range(1), "not_met")  # later
    expect(vera.locator(BANNER)).to_have_text("1 temuan belum terkirim")
    expect(vino.locator(BANNER)).to_have_text("1 temuan belum terkirim")
    vera.context.set_offline(False)
    wait_until_sent(vera)
    vino.context.set_offline(False)
    wait_until_sent(vino)
    rows = findings(visit)
    assert [(r["result"], r["by"], r["version"]) for r in rows] == [
        ("met", VERIFIER, 1), ("not_met", SECOND_VERIFIER, 2)]
    vera.reload()
    item = vera.locator("section.item").first
    expect(item.locator("input[value=not_met]")).to_be_checked()
    expect(item.locator("details.history summary")).to_contain_text("2 versi")


def test_saves_waiting_when_the_sign_in_expires_go_after_signing_in_again(phone, new_visit, findings):
    visit = new_visit()
    page = phone("a")
    ready(page, visit)
    page.context.set_offline(True)
    page.goto(f"/visits/{visit}")
    record(page, range(3))
    page.context.clear_cookies(name="fv_session")  # the session ended on the server's side
    page.context.set_offline(False)
    expect(page.locator("#outbox .outbox-state")).to_contain_text("Sesi masuk Anda sudah habis")
    expect(page.locator(BANNER)).to_have_text("3 temuan belum terkirim")
    check_page(page, "offline-login-expired", full_page=False)
    assert findings(visit) == []

    page.locator("#outbox .outbox-login").click()
    page.get_by_label("Email").fill(VERIFIER)
    page.locator("#f-password").fill("fieldvisit-demo")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(rf"/visits/{visit}$"))
    wait_until_sent(page)
    rows = findings(visit)
    assert len(rows) == 3
    once_each(rows)


def test_another_user_on_the_same_phone_never_sends_or_sees_the_waiting_saves(phone, new_visit, findings):
    visit = new_visit()
    page = phone("a")
    ready(page, visit)
    page.context.set_offline(True)
    page.goto(f"/visits/{visit}")
    record(page, range(2))
    expect(page.locator(BANNER)).to_have_text("2 temuan belum terkirim")
    page.context.clear_cookies(name="fv_session")
    page.context.set_offline(False)

    ready(page, visit, SECOND_VERIFIER)
    page.goto(f"/visits/{visit}")
    expect(page.locator("#outbox")).to_be_hidden()
    expect(page.locator("section.item.pending")).to_have_count(0)
    page.wait_for_timeout(1500)
    assert findings(visit) == []

    page.context.clear_cookies(name="fv_session")
    ready(page, visit)
    wait_until_sent(page)
    assert [r["by"] for r in findings(visit)] == [VERIFIER, VERIFIER]


def test_a_conflict_is_shown_to_resolve_and_not_retried(phone, new_visit, findings):
    visit = new_visit()
    page = phone("a")
    ready(page, visit)
    page.goto(f"/visits/{visit}")
    calls = {"n": 0}

    def conflict(route: Route) -> None:
        calls["n"] += 1
        route.fulfill(status=409, content_type="text/html",
                      body='<section class="item"><p class="status"><strong class="error">Sudah tersimpan berbeda'
                           '</strong></p></section>')

    page.route("**/visits/*/items/*", conflict)
    record(page, range(1))
    item = page.locator("#outbox .outbox-item")
    expect(item).to_contain_text("konflik")
    expect(item).to_contain_text("Sudah tersimpan berbeda")
    page.wait_for_timeout(2000)
    assert calls["n"] == 1
    page.locator("#outbox summary").click()
    check_page(page, "offline-conflict", full_page=False)
    item.get_by_role("button", name="Buang").click()
    expect(page.locator("#outbox")).to_be_hidden()


def test_without_service_workers_the_page_says_so_and_saves_as_before(phone, new_visit, findings):
    visit = new_visit()
    page = phone("old")
    page.context.add_init_script("delete Navigator.prototype.serviceWorker;")
    login(page, VERIFIER)
    page.goto(f"/visits/{visit}")
    expect(page.locator("#offline-unavailable")).to_be_visible()
    item = page.locator("section.item").first
    with page.expect_response(lambda r: "/items/" in r.url) as saved:
        item.locator("label.choice.met").click()
    assert saved.value.status == 200
    expect(page.locator("section.item").first.locator(".saved")).to_contain_text("Tersimpan")
    check_page(page, "offline-unavailable", full_page=False)
    assert len(findings(visit)) == 1


def test_a_nearly_full_phone_refuses_a_new_photo_with_a_clear_message(phone, new_visit, stored_photos, tmp_path):
    visit = new_visit()
    page = phone("full")
    page.context.add_init_script(
        "navigator.storage.estimate = () => Promise.resolve({usage: 995 * 1048576, quota: 1000 * 1048576});")
    ready(page, visit)
    page.goto(f"/visits/{visit}")
    item = page.locator("section.item").first
    item.locator("input[type=file][capture]").set_input_files(str(jpeg_with_exif(tmp_path / "IMG.jpg", 1)))
    expect(item.locator(".photo-queue")).to_contain_text("Penyimpanan ponsel hampir penuh")
    expect(page.locator("#outbox")).to_be_hidden()
    check_page(page, "offline-storage-full", full_page=False)
    assert stored_photos(visit) == []


def test_photos_taken_with_the_camera_offline_are_kept_and_arrive_once_after_a_restart(
        phone, new_visit, stored_photos, tmp_path):
    """The visit page's own camera input (capture.js): each photo is kept in the outbox before it
    is sent, so a send cut off by the connection, or the page killed, loses nothing."""
    visit = new_visit()
    page = phone("camera")
    ready(page, visit)
    page.goto(f"/visits/{visit}")
    page.context.set_offline(True)
    item = page.locator("section.item").first
    shots = [str(jpeg_with_exif(tmp_path / f"IMG_CAM_{n}.jpg", n)) for n in range(2)]
    item.locator("input[type=file][capture]").set_input_files(shots)
    expect(page.locator(BANNER)).to_have_text("2 foto belum terkirim")
    expect(item.locator(".photo-queue li[data-state=kept]")).to_have_count(2)  # the direct sends failed: kept
    expect(item.locator(".photo-queue")).to_contain_text("Disimpan di ponsel ini: dikirim begitu jaringan kembali")
    expect(item.locator(".photo-queue button.retry")).to_have_count(2)  # "try again" asks the outbox to send now
    kept = page.evaluate("async () => (await window.FieldVisitOutbox.pending()).map(i => [i.kind, i.size])")
    assert [kind for kind, _size in kept] == ["photo", "photo"]
    assert all(0 < size < Path(shots[0]).stat().st_size for _kind, size in kept)  # downscaled before keeping
    item.locator(".photo-queue").scroll_into_view_if_needed()
    check_page(page, "offline-camera-photos-kept", full_page=False)
    page.context.close()  # the camera app killed the browser while offline
    assert stored_photos(visit) == []

    page = phone("camera")
    page.goto(f"/visits/{visit}")  # back online: the outbox sends what it kept
    wait_until_sent(page)
    photos = stored_photos(visit)
    assert len(photos) == 2 and len({p["client_uuid"] for p in photos}) == 2
    assert all(p["source"] == "camera" for p in photos)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_photo_sent_directly_online_leaves_nothing_in_the_outbox(phone, new_visit, stored_photos, tmp_path):
    visit = new_visit()
    page = phone("online")
    ready(page, visit)
    page.goto(f"/visits/{visit}")
    item = page.locator("section.item").first
    item.locator("input[type=file][capture]").set_input_files(str(jpeg_with_exif(tmp_path / "IMG_ON.jpg", 3)))
    expect(item.locator(".photo-queue li[data-state=saved]")).to_have_count(1)
    page.wait_for_function("async () => (await window.FieldVisitOutbox.pending()).length === 0")
    expect(page.locator("#outbox")).to_be_hidden()
    assert len(stored_photos(visit)) == 1

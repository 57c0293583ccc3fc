"""In Chromium at 360x800: photos as evidence during a visit. Check-in, the items, photos taken
and sent one at a time with a progress bar, one send forced to fail (the route is cut) and then
retried, submit; the thumbnails are on the page afterwards."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageDraw
from playwright.sync_api import Page, expect

from fieldvisit.demo.photos import camera_exif, camera_jpeg, textured_photo
from tests.browser.conftest import ROOT, check_page, login, own_database_env, running_server

VERIFIER = "verifier@demo.fieldvisit.id"


@pytest.fixture(scope="module")
def own_database() -> dict[str, str]:
    """A database of its own: this module completes today's visit, which others also use."""
    return own_database_env("photos", PHOTO_POLL_SECONDS="0.5")


@pytest.fixture(scope="module")
def live_server(own_database: dict[str, str]) -> Iterator[str]:
    with running_server(own_database) as url:
        subprocess.run([sys.executable, "-m", "tests.browser.seed_evaluation"], cwd=ROOT,
                       env={**os.environ, **own_database}, check=True)
        yield url


def phone_photos(folder: Path, count: int, *, lat: float, lon: float) -> list[str]:
    paths = []
    for n in range(count):
        path = folder / f"IMG_2025071{n}_1030.jpg"
        path.write_bytes(camera_jpeg(textured_photo(2400, 1800, seed=n + 20),
                                     camera_exif(taken_at=datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=7), gps=(lat, lon))))
        paths.append(str(path))
    return paths


def site_position(page: Page) -> tuple[float, float]:
    href = page.get_by_role("link", name="Buka di peta").first.get_attribute("href") or ""
    lat, lon = re.match(r"geo:(-?[\d.]+),(-?[\d.]+)", href).groups()
    return float(lat), float(lon)


def open_todays_checklist(page: Page) -> tuple[float, float]:
    """The verifier's first visit of today, checked in at the site and found (whatever of that
    an earlier test did already); the site's position."""
    login(page, VERIFIER)
    today = page.locator("h2:text-is('Hari ini') + ul > li").first
    today.locator("a.visit-link").click()
    page.wait_for_load_state("networkidle")
    lat, lon = site_position(page)
    page.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 10})
    check_in = page.get_by_role("button", name="Check-in sekarang")
    if check_in.count():
        check_in.click()
        page.wait_for_url(re.compile(r"#outcome"))
        page.get_by_text("Lokasi ditemukan dan beroperasi").click()
        page.get_by_role("button", name="Simpan hasil di alamat").click()
        page.wait_for_url(re.compile(r"#checklist"))
    return lat, lon


def sent_jpeg(body: bytes) -> bytes:
    """The photo part of a multipart request body."""
    return body[body.index(b"\xff\xd8\xff"):body.rindex(b"\r\n--")]


def libjpeg_quality(jpeg: bytes) -> int:
    """The libjpeg quality whose standard tables the JPEG has (Chromium's toBlob and Pillow both
    use libjpeg's jpeg_set_quality)."""
    tables = Image.open(io.BytesIO(jpeg)).quantization  # type: ignore[attr-defined]
    for quality in range(100, 0, -1):
        made = io.BytesIO()
        Image.new("RGB", (16, 16)).save(made, "JPEG", quality=quality)
        if Image.open(made).quantization == tables:  # type: ignore[attr-defined]
            return quality
    raise AssertionError("not libjpeg's standard tables")


def document_photo(width: int, height: int) -> Image.Image:
    """A photographed page: lines of dark text on paper, little else."""
    page = Image.new("RGB", (width, height), (236, 232, 222))
    draw = ImageDraw.Draw(page)
    for row in range(height // 10, height - height // 10, height // 40):
        for word in range(width // 10, width - width // 8, width // 12):
            draw.rectangle((word, row, word + width // 16, row + height // 120), fill=(40, 40, 48))
    return page


def test_a_camera_photo_leaves_the_phone_upright_with_its_exif_within_its_wire_budget(new_context, tmp_path: Path):
    page = new_context("phone", permissions=["geolocation"])
    lat, lon = open_todays_checklist(page)
    taken = datetime(2025, 7, 14, 10, 30)
    busy = tmp_path / "IMG_20250714_103000.jpg"  # a 12 MP scene held upright: the sensor's landscape, orientation 6
    busy.write_bytes(camera_jpeg(textured_photo(4000, 3000, seed=12),
                                 camera_exif(orientation=6, taken_at=taken, gps=(lat, lon))))
    paper = tmp_path / "IMG_20250714_103100.jpg"
    paper.write_bytes(camera_jpeg(document_photo(4000, 3000), camera_exif(taken_at=taken, gps=(lat, lon))))
    bodies: list[bytes] = []

    def answer(route):  # type: ignore[no-untyped-def]  # captured, answered, nothing stored
        bodies.append(route.request.post_data_buffer or b"")
        route.fulfill(status=201, content_type="application/json",
                      body='{"id": 0, "status": "created", "thumb_url": "", "display_url": ""}')

    page.route("**/visits/*/photos", answer)
    queue = page.locator("section.item").first.locator(".photo-queue")
    page.locator("section.item").first.locator("input[type=file][capture]").set_input_files([str(busy), str(paper)])
    expect(queue.locator("li[data-state=saved]")).to_have_count(2, timeout=60_000)

    sent = {}
    for body in bodies:
        jpeg = sent_jpeg(body)
        name = "busy" if b'filename="IMG_20250714_103000.jpg"' in body else "paper"
        sent[name] = (body, jpeg)
    body, jpeg = sent["busy"]
    assert len(body) <= 0.10 * busy.stat().st_size  # a tenth of what the camera wrote
    assert 50 <= libjpeg_quality(jpeg) < 80  # ... at the highest quality that fits, never below 0.5
    with Image.open(io.BytesIO(jpeg)) as photo:
        exif = photo.getexif()
        assert photo.size == (1536, 2048)  # drawn upright, long edge 2048
        assert exif[ExifTags.Base.Orientation] == 1
        assert exif[ExifTags.Base.Make] == "samsung"
        assert exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] == "2025:07:14 10:30:00"
        assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "S"
    body, jpeg = sent["paper"]  # a page (0.6 MB from the camera) fits the least budget, 200 KB, at the best quality
    assert libjpeg_quality(jpeg) == 80
    assert len(body) <= 200 * 1024


def test_a_verifier_adds_photos_with_progress_and_retries_a_failed_one(new_context, tmp_path: Path):
    page = new_context("phone", permissions=["geolocation"])
    lat, lon = open_todays_checklist(page)
    expect(page.locator(".photo-reminder")).to_contain_text("bukan wajah anak-anak")

    items = page.locator("section.item")
    total = items.count()
    for n in range(total):
        with page.expect_response(lambda r: "/items/" in r.url and r.request.method == "POST"):
            items.nth(n).locator("label.choice.met").click()
    expect(page.locator("#progress")).to_contain_text(f"{total} dari {total} butir tercatat")

    first = page.locator("section.item").first
    queue = first.locator(".photo-queue")
    first.locator("input[type=file][capture]").set_input_files(phone_photos(tmp_path, 2, lat=lat, lon=lon))
    expect(queue.locator("li")).to_have_count(2)
    expect(queue.locator("li[data-state=saved]")).to_have_count(2, timeout=30_000)
    expect(queue.locator("progress").first).to_have_attribute("value", "1")
    expect(first.locator(".photo-list img")).to_have_count(2)
    queue.scroll_into_view_if_needed()
    check_page(page, "photos-saved", full_page=False)

    # The connection drops during the third photo: it is kept on the phone (the outbox), marked,
    # and a tap sends it again.
    page.route("**/visits/*/photos", lambda route: route.abort("internetdisconnected"))
    (tmp_path / "later").mkdir()
    first.locator("input[type=file][capture]").set_input_files(phone_photos(tmp_path / "later", 1, lat=lat, lon=lon))
    kept = queue.locator("li[data-state=kept]")
    expect(kept).to_have_count(1)
    expect(kept).to_contain_text("Disimpan di ponsel ini")
    expect(page.locator("#outbox .outbox-title")).to_have_text("1 foto belum terkirim")
    queue.scroll_into_view_if_needed()
    check_page(page, "photos-failed", full_page=False)
    page.unroute_all(behavior="wait")
    kept.get_by_role("button", name="Coba lagi").click()
    expect(queue.locator("li[data-state=saved]")).to_have_count(3, timeout=30_000)
    expect(first.locator(".photo-list img")).to_have_count(3)

    page.get_by_role("button", name="Kirim kunjungan").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main .notice.success")).to_contain_text("Kunjungan sudah dikirim")
    first = page.locator("section.item").first
    expect(first.locator(".photo-list li")).to_have_count(3)  # exactly three: the retry made no copy
    expect(first.locator(".photo-list .badge.ok").first).to_be_visible()
    widths = "() => [...document.querySelectorAll('.photo-list img')].map(i => i.complete ? i.naturalWidth : 0)"
    for _ in range(40):  # the thumbnails are made right after the upload, by the server's worker
        page.reload()
        page.locator(".photo-list").first.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        sizes = page.evaluate(widths)
        if len(sizes) == 3 and all(width == 320 for width in sizes):
            break
        page.wait_for_timeout(500)
    assert sizes == [320, 320, 320]
    check_page(page, "photos-submitted")

"""In Chromium at 360x800 (issue 8): a photo of a person at an LKSA (a sensitive site). The
district's officer gets 404 for its original and for the reason form; the verifier gives a
reason, sees the original (the photo as taken), and marks the photo "shows a person"."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, check_page, login, own_database_env, running_server

VERIFIER = "verifier@demo.fieldvisit.id"
DISTRICT = "tangerang@demo.fieldvisit.id"
REASON = "Memeriksa nomor register anak asuh pada papan"


@pytest.fixture(scope="module")
def own_database() -> dict[str, str]:
    """A database of its own: the seeded LKSA visit would come first in the shared demo's lists."""
    return own_database_env("originals")


@pytest.fixture(scope="module")
def live_server(own_database: dict[str, str]) -> Iterator[str]:
    with running_server(own_database) as url:
        yield url


@pytest.fixture(scope="module")
def photo_id(live_server: str, own_database: dict[str, str]) -> int:
    env = {**os.environ, **own_database}
    env_run = [sys.executable, "-m"]
    subprocess.run([*env_run, "tests.browser.seed_evaluation"], cwd=ROOT, env=env, check=True)
    done = subprocess.run([*env_run, "tests.browser.seed_photos"], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return int(done.stdout.strip().splitlines()[-1])


def test_the_district_officer_gets_404_for_the_original(new_context, photo_id):
    page = new_context("phone")
    login(page, DISTRICT)
    for url in (f"/photos/{photo_id}/original/reason", f"/photos/{photo_id}/original?reason={REASON}"):
        response = page.goto(url)
        assert response is not None and response.status == 404, url
    check_page(page, "original-district-404")


def test_the_verifier_gives_a_reason_and_sees_the_original(new_context, photo_id):
    page = new_context("phone")
    login(page, VERIFIER)
    page.goto(f"/photos/{photo_id}/original/reason")
    expect(page.locator("h1")).to_have_text("Foto asli")
    expect(page.locator("main")).to_contain_text("Situs sensitif")
    check_page(page, "original-reason-form")

    page.get_by_label("Mengapa Anda memerlukan foto asli?").fill(REASON)
    with page.expect_response(lambda r: "/original?" in r.url) as served:
        page.get_by_role("button", name="Buka foto asli").click()
    response = served.value
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "private, no-store"
    page.wait_for_load_state("load")
    width = page.evaluate("() => document.images.length ? document.images[0].naturalWidth : 0")
    assert width == 1280  # the original as taken, not the blurred copy
    page.screenshot(path=str(ROOT / "test-artifacts" / "screens" / "original-shown.png"))


def test_the_verifier_marks_the_photo_as_showing_a_person(new_context, photo_id):
    page = new_context("phone")
    login(page, VERIFIER)
    page.goto(f"/photos/{photo_id}/blur")
    expect(page.locator("h1")).to_have_text("Samarkan foto ini")
    page.get_by_label("Memperlihatkan orang: samarkan seluruh foto").check()
    # The derivatives are made again (face detection included) before the answer: allow for it.
    with page.expect_navigation(url=f"**/photos/{photo_id}/blur?saved=1", timeout=60_000):
        page.get_by_role("button", name="Simpan dan buat ulang salinannya").click(no_wait_after=True)
    expect(page.locator("main .notice.success")).to_contain_text("Tersimpan")
    expect(page.get_by_label("Memperlihatkan orang: samarkan seluruh foto")).to_be_checked()
    check_page(page, "photo-blur-saved")

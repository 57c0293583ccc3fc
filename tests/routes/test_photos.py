"""Photo evidence on a visit: the upload (idempotent, checked, stored before its row), the
derivatives made after it, who sees them, and the provenance badges verifiers see.
Runs on SQLite and on PostgreSQL (FIELDVISIT_TEST_DB=postgres); the S3 cases through moto's
server over real HTTP."""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from fieldvisit.demo.photos import camera_exif, camera_jpeg, textured_photo
from fieldvisit.photos import worker
from fieldvisit.visits.tables import Photo
from tests.support import World, make_site, make_visit
from tests.support_s3 import running_moto
from tests.unit.test_images import SVG, jpeg_claiming, png_header, upright_portrait

JSON = {"Accept": "application/json"}
SITE = (-6.1783, 106.6319)  # Puspaga Kota Tangerang in the world
ITEM = "PUSPAGA-02"
WIB = timedelta(hours=7)


def photo(seed: int = 1, *, gps: tuple[float, float] | None = SITE, taken: datetime | None = None,
          orientation: int = 1, image: Image.Image | None = None) -> bytes:
    """A phone JPEG; ``taken`` is the camera's local time (WIB), now by default."""
    taken = taken or (datetime.now(UTC) + WIB).replace(tzinfo=None)
    return camera_jpeg(image or textured_photo(320, 240, seed=seed),
                       camera_exif(orientation=orientation, taken_at=taken, gps=gps))


def fields(client_uuid: uuid.UUID | None = None, item: str = ITEM, source: str = "camera") -> dict[str, str]:
    return {"client_uuid": str(client_uuid or uuid.uuid4()), "item_code": item, "source": source}


@pytest.fixture(autouse=True)
def in_english(client):
    client.headers["Accept-Language"] = "en"


async def found_visit(world: World, **values) -> int:
    return await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id],
                            checked_in=True, outcome="found", **values)


async def visit_at_another_site(world: World) -> int:
    """A found visit at a second Puspaga of Tangerang ("Puspaga Cabang Ciledug"), 10 km away."""
    other_site = await make_site(world.regions["36.71"], "PSPG-02", "Puspaga Cabang Ciledug", "PUSPAGA",
                                 latitude=-6.2300, longitude=106.7100)
    return await make_visit(world.tangerang_evaluation, other_site, team=[world.verifier.id],
                            checked_in=True, outcome="found")


async def upload(client, visit_id: int, data: bytes, *, name: str = "IMG_0001.jpg", headers=JSON, **kw):
    return await client.post_form(f"/visits/{visit_id}/photos", fields(**kw),
                                  files={"photo": (name, data, "image/jpeg")}, headers=headers)


async def photos_of(visit_id: int) -> list[dict]:
    return await Photo.select().where(Photo.visit == visit_id).order_by(Photo.id)


# --- the upload ---------------------------------------------------------------------------------


async def test_a_verifier_uploads_a_photo_and_its_derivatives_follow_without_metadata(client, world: World, app):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)

    response = await upload(client, visit_id, photo(orientation=6, image=upright_portrait().rotate(90, expand=True)))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "created" and body["item_code"] == ITEM and body["visit_id"] == visit_id
    [row] = await photos_of(visit_id)
    assert row["derivatives_ready"] is False and row["source"] == "camera"
    assert (row["width"], row["height"]) == (300, 400)  # upright: a portrait
    assert row["exif_latitude"] == pytest.approx(SITE[0], abs=1e-4) and row["distance_m"] < 5
    assert abs(row["taken_at"] - datetime.now(UTC)) < timedelta(minutes=1)  # WIB read as WIB
    store = app.state["blob_store"]
    assert await store.get(row["original_key"]) == (await store.get(row["original_key"]))  # stored first

    assert await worker.process_pending(store) == 1
    thumb = await client.get(body["thumb_url"])
    display = await client.get(body["display_url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    shown = Image.open(io.BytesIO(display.content))
    assert shown.height > shown.width  # upright
    assert not shown.getexif() and b"samsung" not in display.content and b"samsung" not in thumb.content
    [row] = await photos_of(visit_id)
    assert row["derivatives_ready"] is True and len(row["phash"]) == 16


async def test_the_thumbnail_is_a_placeholder_until_the_derivatives_are_made(client, world: World):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    body = (await upload(client, visit_id, photo())).json()
    response = await client.get(body["thumb_url"])
    assert response.status_code == 302 and response.headers["location"] == "/static/photo-pending.svg"
    assert response.headers["cache-control"] == "no-store"


async def test_the_same_photo_sent_five_times_at_once_with_one_uuid_is_one_photo(client, world: World):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    data, name = photo(), uuid.uuid4()

    answers = await asyncio.gather(*(upload(client, visit_id, data, client_uuid=name) for _ in range(5)))

    assert sorted(a.status_code for a in answers) in ([200, 200, 200, 200, 201], [201] * 1 + [200] * 4)
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(await photos_of(visit_id)) == 1


async def test_the_same_uuid_with_another_photo_is_a_conflict_with_a_message(client, world: World):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    name = uuid.uuid4()
    assert (await upload(client, visit_id, photo(1), client_uuid=name)).status_code == 201

    response = await upload(client, visit_id, photo(2), client_uuid=name)

    assert response.status_code == 409
    assert "already used for a different photo" in response.json()["error"]["message"]
    assert len(await photos_of(visit_id)) == 1


def png_with_script() -> bytes:
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "<script>fetch('/admin')</script>")
    buffer = io.BytesIO()
    textured_photo(200, 150).save(buffer, "PNG", pnginfo=text)
    return buffer.getvalue()


@pytest.mark.parametrize(("case", "data", "status"), [
    ("a text file named .jpg", b"this is not a photo at all, just words" * 10, 422),
    ("a truncated JPEG", camera_jpeg(textured_photo(320, 240))[:4000], 422),
    ("a 20000 x 20000 PNG (bomb)", png_header(20_000, 20_000), 422),
    ("a 20000 x 20000 JPEG (bomb)", jpeg_claiming(20_000, 20_000), 422),
    ("an SVG", SVG, 422),
])
async def test_what_is_not_a_usable_photo_is_refused_with_a_message_and_nothing_is_stored(client, world: World, app,
                                                                                         case, data, status):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    blobs = await app.state["blob_store"].list_keys("photo/")
    response = await upload(client, visit_id, data)
    assert response.status_code == status, case
    assert response.json()["error"]["message"]
    assert await photos_of(visit_id) == []
    assert await app.state["blob_store"].list_keys("photo/") == blobs


async def test_a_60_mb_upload_is_refused_before_its_body_is_read(client, world: World):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    response = await upload(client, visit_id, b"\xff\xd8" + b"\0" * (60 * 1024 * 1024), headers={})
    assert response.status_code == 413
    assert "25 MB" in response.text
    assert await photos_of(visit_id) == []


async def test_a_png_with_a_script_in_a_text_chunk_is_shown_only_as_re_encoded_pixels(client, world: World, app):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    body = (await upload(client, visit_id, png_with_script(), name="x.png")).json()
    await worker.process_pending(app.state["blob_store"])
    for url in (body["thumb_url"], body["display_url"]):
        response = await client.get(url)
        assert response.headers["content-type"] == "image/jpeg" and b"script" not in response.content


async def test_exif_with_garbage_or_missing_tags_is_accepted_without_a_capture_time(client, world: World):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    exif = camera_exif(make=None, model=None)
    exif[0x8769] = {0x9003: "garbage time"}  # DateTimeOriginal: garbage
    exif[0x8825] = {1: "X", 3: "?"}  # GPSInfo: references without coordinates
    response = await upload(client, visit_id, camera_jpeg(textured_photo(200, 150), exif))
    assert response.status_code == 201, response.text
    [row] = await photos_of(visit_id)
    assert row["taken_at"] is None and row["exif_latitude"] is None and row["camera_make"] == ""


async def test_an_item_not_of_the_site_type_is_refused_with_422_and_a_message(client, world: World):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    response = await upload(client, visit_id, photo(), item="SRA-01")
    assert response.status_code == 422
    assert "not on the checklist of this site's type" in response.json()["error"]["message"]


@pytest.mark.parametrize(("persona", "status"), [("serang", 404), ("notetaker", 403), ("tangerang", 403)])
async def test_only_who_records_on_the_visit_uploads(client, world: World, persona, status):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.personas[persona])
    assert (await upload(client, visit_id, photo())).status_code == status
    assert await photos_of(visit_id) == []


async def test_a_verifier_not_assigned_to_the_evaluation_gets_404(client, world: World):
    from tests.support import make_user

    other = await make_user("otto@kemenpppa.test", "verifier")
    visit_id = await found_visit(world)
    await client.sign_in_as(other)
    assert (await upload(client, visit_id, photo())).status_code == 404


async def test_a_plain_form_with_several_photos_saves_each_and_answers_303(client, world: World):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    form = fields()
    files = [("photo", ("a.jpg", photo(1), "image/jpeg")), ("photo", ("b.jpg", photo(2), "image/jpeg"))]
    response = await client.post_form(f"/visits/{visit_id}/photos", form, files=files)
    assert response.status_code == 303 and response.headers["location"] == f"/visits/{visit_id}#item-{ITEM}"
    again = await client.post_form(f"/visits/{visit_id}/photos", form, files=files)  # the form sent twice
    assert again.status_code == 303
    assert len(await photos_of(visit_id)) == 2


async def test_an_htmx_upload_answers_the_items_photos_block(client, world: World):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    response = await upload(client, visit_id, photo(), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="photos-{ITEM}"' in response.text and "/thumb" in response.text and "<html" not in response.text


async def test_a_saved_item_answers_with_its_own_photos_and_their_badges_only(client, world: World):
    """A save redraws one item: its photos (the reused one marked), none of the other items'."""
    visit_id = await found_visit(world)
    other_visit = await visit_at_another_site(world)
    await client.sign_in_as(world.verifier)
    reused = photo(5)
    mine = (await upload(client, visit_id, reused)).json()
    elsewhere = (await upload(client, visit_id, photo(6), item="PUSPAGA-01")).json()
    assert (await upload(client, other_visit, reused)).status_code == 201  # the same photo at another site

    response = await client.post_form(f"/visits/{visit_id}/items/{ITEM}",
                                      {"client_uuid": str(uuid.uuid4()), "result": "met", "note": ""},
                                      headers={"HX-Request": "true"})

    assert response.status_code == 200, response.text
    assert f'id="photo-{mine["id"]}"' in response.text and f'id="photo-{elsewhere["id"]}"' not in response.text
    assert response.text.count("provenance-reused") == 1 and "Puspaga Cabang Ciledug" in response.text


# --- who sees the derivatives -------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), [("admin", 200), ("verifier", 200), ("tangerang", 200),
                                                 ("serang", 404), ("anonymous", 303)])
async def test_derivatives_are_shown_to_who_sees_the_visit_and_to_nobody_else(client, make_client, world: World,
                                                                              app, persona, status):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    body = (await upload(client, visit_id, photo())).json()
    await worker.process_pending(app.state["blob_store"])
    async with make_client() as other:
        if persona != "anonymous":
            await other.sign_in_as(world.personas[persona])
        for url in (body["thumb_url"], body["display_url"]):
            assert (await other.get(url)).status_code == status


# --- provenance badges --------------------------------------------------------------------------


async def test_planted_far_late_gallery_and_reused_photos_get_their_badges_and_a_clean_one_none(
        client, world: World, app):
    checked_in = datetime.now(UTC) - timedelta(hours=1)
    visit_id = await found_visit(world, checked_in_at=checked_in)
    other_visit = await visit_at_another_site(world)
    await client.sign_in_as(world.verifier)
    reused = photo(5)
    late = (datetime.now(UTC) + WIB - timedelta(days=3)).replace(tzinfo=None)
    assert (await upload(client, visit_id, photo(1))).status_code == 201  # clean
    assert (await upload(client, visit_id, photo(2, gps=(-6.3000, 106.8000)))).status_code == 201  # far
    assert (await upload(client, visit_id, photo(3, taken=late))).status_code == 201  # late
    assert (await upload(client, visit_id, photo(4), source="gallery")).status_code == 201
    assert (await upload(client, visit_id, reused)).status_code == 201
    assert (await upload(client, other_visit, reused)).status_code == 201

    page = (await client.get(f"/visits/{visit_id}")).text

    assert page.count("provenance-far") == 1 and "m from the site" in page
    assert page.count("provenance-outside_window") == 1 and "Taken outside the visit" in page
    assert page.count("provenance-gallery") == 1
    assert page.count("provenance-reused") == 1 and "Same photo as at Puspaga Cabang Ciledug" in page
    assert page.count("At the site, during the visit") == 1


async def test_the_same_picture_saved_again_at_another_site_is_marked_reused_and_another_picture_not(
        client, world: World, app):
    """Near-identical (equal dHash, other bytes: a re-saved copy) counts as the same photo; a
    different picture at the other site does not."""
    visit_id = await found_visit(world)
    other_visit = await visit_at_another_site(world)
    await client.sign_in_as(world.verifier)
    picture = textured_photo(320, 240, seed=7)
    copy = camera_jpeg(picture, camera_exif(taken_at=(datetime.now(UTC) + WIB).replace(tzinfo=None), gps=SITE),
                       quality=70)
    assert (await upload(client, visit_id, photo(image=picture))).status_code == 201
    assert (await upload(client, visit_id, photo(8))).status_code == 201
    assert (await upload(client, other_visit, copy)).status_code == 201
    await worker.process_pending(app.state["blob_store"])  # the dHashes

    page = (await client.get(f"/visits/{visit_id}")).text

    assert page.count("provenance-reused") == 1 and "Same photo as at Puspaga Cabang Ciledug" in page


async def test_district_staff_see_the_photos_without_provenance_badges(client, make_client, world: World):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    await upload(client, visit_id, photo(2, gps=(-6.3000, 106.8000)))
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        page = (await district.get(f"/visits/{visit_id}")).text
    assert "/thumb" in page and "provenance-far" not in page and 'type="file"' not in page


# --- derivatives after a crash, orphans ---------------------------------------------------------


async def test_photos_left_without_derivatives_by_a_dead_process_are_finished_later(client, world: World, app):
    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    for seed in range(3):
        await upload(client, visit_id, photo(seed))
    store = app.state["blob_store"]
    assert await worker.process_pending(store, limit=2) == 2
    assert await worker.process_pending(store, limit=2) == 1
    assert await worker.process_pending(store) == 0
    assert all(r["derivatives_ready"] and r["thumb_key"] for r in await photos_of(visit_id))


async def test_a_photo_that_kills_the_derivative_process_is_tried_once_more_then_given_up(
        client, world: World, app, monkeypatch):
    """The image work runs in a child process: a photo that crashes it (as a decoder bug would)
    takes down only the child. It is tried once more with a new child, then given up as a
    photo that does not decode; the photos queued beside it are made."""
    from tests import support_crash

    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    good = photo(1)
    deadly = good[:2] + b"\xff\xfe" + (len(support_crash.MARKER) + 2).to_bytes(2, "big") + support_crash.MARKER + good[2:]
    await upload(client, visit_id, deadly)
    await upload(client, visit_id, photo(2))
    monkeypatch.setattr(worker.images, "make_derivatives", support_crash.make_derivatives_or_die)
    store = app.state["blob_store"]

    assert await worker.process_pending(store) == 1  # the good one; the deadly one waits for a new child
    [waiting] = [r for r in await photos_of(visit_id) if not r["derivatives_ready"]]
    assert await worker.process_pending(store) == 1  # it killed the child again: given up
    rows = {r["id"]: r for r in await photos_of(visit_id)}
    assert rows[waiting["id"]]["derivatives_ready"] and rows[waiting["id"]]["thumb_key"] == ""
    assert [bool(r["thumb_key"]) for r in rows.values()].count(True) == 1
    assert await worker.process_pending(store) == 0


@pytest.mark.parametrize(("background", "policy"), [(True, os.SCHED_IDLE), (False, os.SCHED_OTHER)])
def test_the_derivative_process_is_idle_class_for_the_server_loop_only(monkeypatch, background, policy) -> None:
    """Fed by the server's worker loop, the child is in the idle class (the server is not); a
    command that waits for its derivatives (`fieldvisit demo`) keeps its child at its own
    priority, or it would wait while the machine is busy."""
    worker._drop_pool()
    monkeypatch.setattr(worker, "_background", background)
    try:
        pool = worker._derivative_pool()
        assert pool.submit(os.getpid).result() != os.getpid()
        assert pool.submit(os.sched_getscheduler, 0).result() == policy
        assert os.sched_getscheduler(0) == os.SCHED_OTHER
    finally:
        worker._drop_pool()


async def test_blobs_without_a_row_are_swept_after_an_hour_and_the_others_kept(client, world: World, app):
    from fieldvisit.storage.base import new_key

    visit_id = await found_visit(world)
    await client.sign_in_as(world.verifier)
    await upload(client, visit_id, photo())
    store = app.state["blob_store"]
    await worker.process_pending(store)
    orphan = new_key("photo")
    await store.put(orphan, b"a request that died before its row", "image/jpeg")

    assert await worker.sweep_orphans(store, now=datetime.now(UTC)) == []  # too young
    removed = await worker.sweep_orphans(store, now=datetime.now(UTC) + timedelta(hours=2))

    assert orphan in removed
    [row] = await photos_of(visit_id)
    for key in (row["original_key"], row["display_key"], row["thumb_key"]):
        assert await store.exists(key)


# --- the S3 store going away ------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_s3():
    with running_moto() as server:
        yield server


@pytest.fixture
async def s3_client(app, moto_s3):
    """A second app on the same database whose photos go to S3 (moto's server over HTTP)."""
    from fieldvisit.app import create_app
    from fieldvisit.settings import Settings
    from tests.support import Client

    settings = Settings.from_env(dict(os.environ) | moto_s3.settings_env())
    s3_app = create_app(settings)
    await s3_app.state["blob_store"].prepare()
    async with Client.for_app(s3_app) as c:
        c.headers["Accept-Language"] = "en"
        c.store = s3_app.state["blob_store"]
        yield c


async def test_the_s3_store_stopped_mid_test_gives_a_clear_error_and_the_retry_stores_one_photo(
        s3_client, world: World, moto_s3):
    visit_id = await found_visit(world)
    await s3_client.sign_in_as(world.verifier)
    assert (await upload(s3_client, visit_id, photo(1))).status_code == 201
    data, name = photo(2), uuid.uuid4()

    moto_s3.stop()
    try:
        down = await upload(s3_client, visit_id, data, client_uuid=name)
        page = await upload(s3_client, visit_id, data, client_uuid=name, headers={})
    finally:
        moto_s3.start()

    assert down.status_code == 503
    assert "not saved" in down.json()["error"]["message"] and "sent again" in down.json()["error"]["message"]
    assert page.status_code == 503 and "Nothing was saved" in page.text
    assert len(await photos_of(visit_id)) == 1
    retry = await upload(s3_client, visit_id, data, client_uuid=name)
    assert retry.status_code == 201
    assert (await upload(s3_client, visit_id, data, client_uuid=name)).status_code == 200
    rows = await photos_of(visit_id)
    assert len(rows) == 2 and [r["client_uuid"] for r in rows].count(name) == 1
    assert await s3_client.store.exists(rows[1]["original_key"])
    await worker.process_pending(s3_client.store)
    thumb = await s3_client.get(f"/photos/{rows[1]['id']}/thumb")
    assert thumb.status_code == 302 and "X-Amz-Expires=300" in thumb.headers["location"]


def test_the_derivative_process_ends_when_its_server_process_is_killed() -> None:
    """However the server process ends (here SIGKILL: nothing of it runs), its derivative
    process does not stay behind."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    def running(pid: int) -> bool:  # (a child of a dead parent may wait unreaped as a zombie)
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    server = subprocess.Popen([sys.executable, "-c", "import os, time\n"
                               "from fieldvisit.photos import worker\n"
                               "print(worker._derivative_pool().submit(os.getpid).result(), flush=True)\n"
                               "time.sleep(60)\n"], stdout=subprocess.PIPE, text=True)
    child = int(server.stdout.readline())  # type: ignore[union-attr]
    assert running(child)
    server.send_signal(signal.SIGKILL)
    server.wait()
    deadline = time.monotonic() + 5
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(child), "the derivative process outlived its server"

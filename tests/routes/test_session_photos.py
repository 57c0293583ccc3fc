"""Screenshots on hybrid-session notes: pasted or chosen with a note, they go through the photo
pipeline (checked, stored before their row, idempotent, derivatives by the worker) as evidence
"from video" on the session's video visit of the note's site; the feed shows their thumbnails;
who reads the notes sees them; promoting the note makes them the finding's photos.
Runs on SQLite and on PostgreSQL (FIELDVISIT_TEST_DB=postgres)."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from fieldvisit.demo.photos import textured_photo
from fieldvisit.photos import worker
from fieldvisit.sessions.tables import SessionNote, SessionVisit
from fieldvisit.visits.tables import Finding, Photo, Visit
from tests.support import World
from tests.support_sessions import make_hybrid_session

HTMX = {"HX-Request": "true"}
ITEM = "PUSPAGA-02"


def screenshot(seed: int = 1, size: tuple[int, int] = (640, 360)) -> bytes:
    """A PNG as a laptop's screenshot tool leaves it: no EXIF, no GPS, no capture time. (Its
    noise is not seeded: two calls give two different images.)"""
    buffer = io.BytesIO()
    textured_photo(*size, seed=seed).save(buffer, "PNG")
    return buffer.getvalue()


def note(body: str, target: str, client_uuid: uuid.UUID | None = None) -> dict[str, str]:
    return {"client_uuid": str(client_uuid or uuid.uuid4()), "body": body, "target": target, "result": ""}


def images(*blobs: bytes, content_type: str = "image/png") -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("photo", (f"screenshot-{n}.png", blob, content_type)) for n, blob in enumerate(blobs, 1)]


async def live_session(world: World) -> int:
    return await make_hybrid_session(world.tangerang_evaluation, team=[world.verifier.id, world.notetaker.id],
                                     sites=[world.tangerang_site], indicators=["I08"])


async def signed_in(make_client, persona, language: str = "en"):
    client = make_client()
    client.headers["accept-language"] = language
    await client.sign_in_as(persona)
    return client


async def blobs(app) -> list[str]:
    return sorted(await app.state["blob_store"].list_keys("photo/"))


async def test_a_note_with_a_screenshot_stores_it_from_video_and_the_feed_shows_its_thumbnail(
        make_client, world: World, app):
    session = await live_session(world)
    nina = await signed_in(make_client, world.notetaker)
    vera = await signed_in(make_client, world.verifier)
    target = f"s:{world.tangerang_site}:{ITEM}"
    sent = [screenshot(1), screenshot(2)]
    response = await nina.post_form(f"/sessions/{session}/notes", note("Ruang konseling ada", target),
                                    files=images(*sent), headers=HTMX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "notes-changed"
    [saved] = await SessionNote.select(SessionNote.id, SessionNote.body)
    photos = await Photo.select().order_by(Photo.id)
    assert len(photos) == 2
    [video_visit] = await SessionVisit.select(SessionVisit.visit).where(SessionVisit.session == session)
    visit = await Visit.select(Visit.mode, Visit.site).where(Visit.id == video_visit["visit"]).first()
    assert visit == {"mode": "video", "site": world.tangerang_site}
    for photo, data in zip(photos, sent, strict=True):
        assert photo["session_note"] == saved["id"] and photo["source"] == "video"
        assert photo["visit"] == video_visit["visit"] and photo["item_code"] == ITEM
        assert photo["exif_latitude"] is None and photo["distance_m"] is None  # no location provenance
        assert photo["derivatives_ready"] is False  # the worker makes them
        assert await app.state["blob_store"].get(photo["original_key"]) == data  # the original, as sent
    assert await worker.process_pending(app.state["blob_store"]) == 2

    feed = await vera.get(f"/sessions/{session}/feed?after=0&changes=0", headers=HTMX)
    assert feed.status_code == 200
    for photo in photos:
        assert f"/photos/{photo['id']}/thumb" in feed.text
    assert "From video" in feed.text
    # a viewer who already had the note before its images were stored gets it again with them
    again = await vera.get(f"/sessions/{session}/feed?after=1&changes=0", headers=HTMX)
    assert again.status_code == 200 and f"/photos/{photos[0]['id']}/thumb" in again.text
    thumb = await vera.get(f"/photos/{photos[0]['id']}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size[0] <= 320


async def test_the_same_note_with_its_screenshot_sent_twice_is_one_note_and_one_photo(
        make_client, world: World, app):
    session = await live_session(world)
    nina = await signed_in(make_client, world.notetaker)
    form, shot = note("Papan informasi layanan", f"s:{world.tangerang_site}:{ITEM}"), screenshot(3)
    first = await nina.post_form(f"/sessions/{session}/notes", form, files=images(shot))
    assert first.status_code == 303  # a plain form, without JavaScript
    stored = await blobs(app)
    second = await nina.post_form(f"/sessions/{session}/notes", form, files=images(shot))
    assert second.status_code == 303
    assert await SessionNote.count() == 1 and await Photo.count() == 1
    assert await blobs(app) == stored  # the retry stored nothing more


@pytest.mark.parametrize(("case", "data", "english", "indonesian"), [
    ("a text file", b"minutes of the call, not a picture " * 20, "This file is not a photo", "Berkas ini bukan foto"),
    ("a file over MAX_UPLOAD_MB", b"\x89PNG\r\n\x1a\n" + b"\0" * (25 * 1024 * 1024 + 10), "The file is too large",
     "Berkas terlalu besar"),
])
async def test_a_note_with_a_file_that_is_not_a_usable_image_saves_nothing_and_says_why(
        make_client, world: World, app, case, data, english, indonesian):
    session = await live_session(world)
    before = await blobs(app)
    target = f"s:{world.tangerang_site}:{ITEM}"
    for language, message in (("en", english), ("id", indonesian)):
        nina = await signed_in(make_client, world.notetaker, language)
        # the bad file comes second: the good one before it must not be kept either
        files = images(screenshot(4)) + [("photo", ("notes.png", data, "image/png"))]
        response = await nina.post_form(f"/sessions/{session}/notes", note("Ruang bermain", target), files=files,
                                        headers=HTMX)
        assert response.status_code == 422, case
        assert message in response.text and "notes.png" in response.text
        assert 'id="f-photo"' in response.text and 'aria-invalid="true"' in response.text
    assert await SessionNote.count() == 0 and await Photo.count() == 0
    assert await blobs(app) == before
    assert await SessionVisit.count() == 0


async def test_images_need_a_note_about_a_site_and_at_most_four(make_client, world: World):
    session = await live_session(world)
    nina = await signed_in(make_client, world.notetaker)
    general = await nina.post_form(f"/sessions/{session}/notes", note("Umum", ""), files=images(screenshot()),
                                   headers=HTMX)
    assert general.status_code == 422 and "Images are evidence of a site" in general.text
    indicator = await nina.post_form(f"/sessions/{session}/notes", note("Data", "i:I08"), files=images(screenshot()),
                                     headers=HTMX)
    assert indicator.status_code == 422
    many = await nina.post_form(f"/sessions/{session}/notes", note("Banyak", f"s:{world.tangerang_site}"),
                                files=images(*[screenshot(n) for n in range(5)]), headers=HTMX)
    assert many.status_code == 422 and "at most 4 images" in many.text
    assert await SessionNote.count() == 0 and await Photo.count() == 0
    # a note on the site itself (no item) may carry them: they are photos of the video visit
    fine = await nina.post_form(f"/sessions/{session}/notes", note("Gedung", f"s:{world.tangerang_site}"),
                                files=images(screenshot()), headers=HTMX)
    assert fine.status_code == 200
    assert (await Photo.select(Photo.item_code).first())["item_code"] == ""


@pytest.mark.parametrize(("persona", "live", "closed"), [
    ("verifier", 200, 200),
    ("notetaker", 200, 200),
    ("admin", 200, 200),
    ("tangerang", 404, 200),  # district staff read the notes in the minutes, once the session is closed
    ("serang", 404, 404),  # another district never
])
async def test_a_notes_images_are_seen_as_its_notes_are(make_client, world: World, app, persona, live, closed):
    session = await live_session(world)
    nina = await signed_in(make_client, world.notetaker)
    await nina.post_form(f"/sessions/{session}/notes", note("Ada", f"s:{world.tangerang_site}:{ITEM}"),
                         files=images(screenshot()))
    await worker.process_pending(app.state["blob_store"])
    photo = await Photo.select(Photo.id).first()
    other = await signed_in(make_client, world.personas[persona])
    for url in (f"/photos/{photo['id']}/thumb", f"/photos/{photo['id']}/display"):
        assert (await other.get(url)).status_code == live, url
    vera = await signed_in(make_client, world.verifier)
    assert (await vera.post_form(f"/sessions/{session}/status", {"action": "close"})).status_code == 303
    for url in (f"/photos/{photo['id']}/thumb", f"/photos/{photo['id']}/display"):
        assert (await other.get(url)).status_code == closed, url


async def test_a_note_taker_not_on_the_sessions_team_gets_404_for_its_images(make_client, world: World, app):
    session = await make_hybrid_session(world.tangerang_evaluation, team=[world.verifier.id],
                                        sites=[world.tangerang_site])
    vera = await signed_in(make_client, world.verifier)
    await vera.post_form(f"/sessions/{session}/notes", note("Ada", f"s:{world.tangerang_site}:{ITEM}"),
                         files=images(screenshot()))
    photo = await Photo.select(Photo.id).first()
    nina = await signed_in(make_client, world.notetaker)  # assigned to the evaluation, not on this session
    assert (await nina.get(f"/photos/{photo['id']}/thumb")).status_code == 404


async def test_promoting_the_note_makes_its_images_the_findings_photos_from_video(make_client, world: World, app):
    session = await live_session(world)
    nina = await signed_in(make_client, world.notetaker)
    vera = await signed_in(make_client, world.verifier)
    tangerang = await signed_in(make_client, world.tangerang)
    target = f"s:{world.tangerang_site}:{ITEM}"
    await nina.post_form(f"/sessions/{session}/notes", note("Ruang konseling tertutup", target),
                         files=images(screenshot(7)))
    await worker.process_pending(app.state["blob_store"])
    photo = await Photo.select(Photo.id, Photo.visit).first()
    before = await vera.get(f"/visits/{photo['visit']}")
    assert before.status_code == 200 and f"/photos/{photo['id']}/thumb" not in before.text  # a note, not evidence yet

    assert (await vera.post_form(f"/sessions/{session}/findings", {"note": ["1"], "result": "met"})).status_code == 303
    [finding] = await Finding.select(Finding.visit, Finding.item_code)
    assert (finding["visit"], finding["item_code"]) == (photo["visit"], ITEM)
    page = await vera.get(f"/visits/{photo['visit']}")
    assert f"/photos/{photo['id']}/thumb" in page.text
    assert "provenance-video" in page.text and "From video" in page.text
    # now evidence of the finding: seen by whoever sees the visit, district staff included
    assert (await tangerang.get(f"/photos/{photo['id']}/thumb")).status_code == 200
    feed = await vera.get(f"/sessions/{session}/feed?after=0&changes=0", headers=HTMX)
    assert f"/photos/{photo['id']}/thumb" in feed.text and "→ finding" in feed.text


async def test_reconciliation_takes_a_promoted_screenshot_as_evidence_without_location_provenance(
        make_client, world: World, app):
    from datetime import UTC, datetime

    from fieldvisit.gaps.tables import Gap
    from fieldvisit.reconcile import queries as reconcile
    from tests.support import make_site_item_claim

    evaluation = world.tangerang_evaluation
    claim = await make_site_item_claim(evaluation, world.tangerang_site, "PUSPAGA-14")  # wants a photo
    session = await live_session(world)
    vera = await signed_in(make_client, world.verifier)
    target = f"s:{world.tangerang_site}:PUSPAGA-14"
    await vera.post_form(f"/sessions/{session}/notes", note("Foto kegiatan dipajang", target))
    await vera.post_form(f"/sessions/{session}/findings", {"note": ["1"], "result": "met"})
    await reconcile.reconcile_evaluation(evaluation, now=datetime.now(UTC))
    rules = {(g["rule"], g["subject"]) for g in await Gap.select(Gap.rule, Gap.subject).where(
        Gap.status == "open")}
    assert ("evidence_missing", f"claim:{claim}") in rules  # met over video, nothing to show

    await vera.post_form(f"/sessions/{session}/notes", note("Tangkapan layar papan foto", target),
                         files=images(screenshot(9)))
    await worker.process_pending(app.state["blob_store"])
    assert (await vera.post_form(f"/sessions/{session}/findings",
                                 {"note": ["1", "2"], "result": "met"})).status_code == 303
    await reconcile.reconcile_evaluation(evaluation, now=datetime.now(UTC))
    open_gaps = await Gap.select(Gap.rule, Gap.subject).where(Gap.status == "open")
    assert ("evidence_missing", f"claim:{claim}") not in {(g["rule"], g["subject"]) for g in open_gaps}
    assert not [g for g in open_gaps if g["rule"] == "provenance"]  # no distance, no capture time: nothing to doubt


async def test_a_verifier_not_on_the_session_gets_404_for_a_notes_screenshot_and_its_original(
        make_client, world: World, app):
    from tests.support import assign, make_user

    session = await live_session(world)
    nina = await signed_in(make_client, world.notetaker)
    await nina.post_form(f"/sessions/{session}/notes", note("Ada", f"s:{world.tangerang_site}:{ITEM}"),
                         files=images(screenshot()))
    await worker.process_pending(app.state["blob_store"])
    photo = await Photo.select(Photo.id).first()
    other = await make_user("vino@kemenpppa.test", "verifier")
    await assign(world.tangerang_evaluation, other, "verifier")  # on the evaluation, not on the session
    vino = await signed_in(make_client, other)
    urls = [f"/photos/{photo['id']}/{tail}" for tail in ("thumb", "display", "original/reason", "blur")]
    for url in urls:
        assert (await vino.get(url)).status_code == 404, url
    vera = await signed_in(make_client, world.verifier)  # on the team: the original is hers to open
    assert (await vera.get(f"/photos/{photo['id']}/original/reason")).status_code == 200
    await vera.post_form(f"/sessions/{session}/findings", {"note": ["1"], "result": "met"})
    for url in urls:  # now the finding's evidence: seen as the visit's photos are
        assert (await vino.get(url)).status_code == 200, url

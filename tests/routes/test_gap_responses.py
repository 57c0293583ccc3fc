"""The district answers a gap (text and files), the team accepts, rejects, asks again or closes
it, one gap or a ticked set; due dates and overdue; every bad input gets a message."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

from PIL import Image

from fieldvisit.audit.tables import AuditEvent
from fieldvisit.gaps.tables import Gap, GapAttachment, GapEvent
from tests.routes.test_dashboard import text_of
from tests.routes.test_gap_pages import reconciled_example
from tests.support import World

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def jpeg(width: int = 320, height: int = 240) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(out, "JPEG")
    return out.getvalue()


async def status_of(gap_id: int) -> str:
    return (await Gap.select(Gap.status).where(Gap.id == gap_id).first())["status"]


async def test_the_district_answers_with_text_and_files_and_the_verifier_accepts(make_client, world: World):
    gaps = await reconciled_example(world)
    gap_id = gaps["contradicted"]
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        page = await district.get(f"/gaps/{gap_id}")
        assert 'action="/gaps/%d/respond"' % gap_id in page.text
        assert "https://wa.me/?text=" in page.text
        response = await district.post_form(f"/gaps/{gap_id}/respond", {"text": "Mekanisme rujukan sudah berjalan."},
                                            files=[("attachments", ("sk rujukan.pdf", PDF, "application/pdf")),
                                                   ("attachments", ("foto.jpg", jpeg(), "image/jpeg"))])
        assert response.status_code == 303 and response.headers["location"] == f"/gaps/{gap_id}"
        assert await status_of(gap_id) == "responded"
        files = await GapAttachment.select().order_by(GapAttachment.id)
        assert [(f["kind"], f["file_name"]) for f in files] == [("document", "sk rujukan.pdf"), ("photo", "foto.jpg")]
        assert files[0]["display_key"] == "" and files[1]["display_key"].startswith("gapfile/")
        served = await district.get(f"/gap-attachments/{files[0]['id']}")
        assert served.status_code == 200 and served.content == PDF
        photo = await district.get(f"/gap-attachments/{files[1]['id']}")
        assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
        assert photo.content != jpeg(), "the display copy, never the original"
        page = text_of((await district.get(f"/gaps/{gap_id}")).text)
        assert "Mekanisme rujukan sudah berjalan." in page and "Daerah menjawab" in page
    async with make_client() as verifier:
        await verifier.sign_in_as(world.verifier)
        assert 'action="/gaps/%d/decide"' % gap_id in (await verifier.get(f"/gaps/{gap_id}")).text
        response = await verifier.post_form(f"/gaps/{gap_id}/decide", {"action": "accept"})
        assert response.status_code == 303
    row = await Gap.select().where(Gap.id == gap_id).first()
    assert row["status"] == "accepted" and row["settled_at"] is not None
    kinds = [e["kind"] for e in await GapEvent.select(GapEvent.kind).where(GapEvent.gap == gap_id).order_by(GapEvent.id)]
    assert kinds == ["opened", "responded", "accepted"]
    actions = {a["action"] for a in await AuditEvent.select(AuditEvent.action)}
    assert {"gap.responded", "gap.accepted"} <= actions


async def test_a_rejection_needs_a_reason_and_sends_the_gap_back_to_the_district(make_client, world: World):
    gaps = await reconciled_example(world)
    gap_id = gaps["partial"]
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        await district.post_form(f"/gaps/{gap_id}/respond", {"text": "Sudah diperbaiki."})
    async with make_client() as verifier:
        await verifier.sign_in_as(world.verifier)
        refused = await verifier.post_form(f"/gaps/{gap_id}/decide", {"action": "reject", "text": ""})
        assert refused.status_code == 422 and "Berikan alasannya" in refused.text
        assert (await verifier.post_form(f"/gaps/{gap_id}/decide", {"action": "reject", "text": "Foto tidak jelas"})
                ).status_code == 303
    assert await status_of(gap_id) == "rejected"
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        page = text_of((await district.get(f"/gaps/{gap_id}")).text)
        assert "Foto tidak jelas" in page
        assert (await district.post_form(f"/gaps/{gap_id}/respond", {"text": "Foto baru terlampir."})).status_code == 303
    assert await status_of(gap_id) == "responded"
    async with make_client() as verifier:
        await verifier.sign_in_as(world.verifier)
        await verifier.post_form(f"/gaps/{gap_id}/decide", {"action": "more_info", "text": "Kirim SK juga"})
    assert await status_of(gap_id) == "more_info"


async def test_bad_answers_are_refused_with_messages(client, world: World):
    gaps = await reconciled_example(world)
    url = f"/gaps/{gaps['contradicted']}/respond"
    await client.sign_in_as(world.tangerang)
    empty = await client.post_form(url, {"text": ""})
    assert empty.status_code == 422 and "Tulis jawaban atau lampirkan dokumen." in empty.text
    exe = await client.post_form(url, {"text": "lihat lampiran"},
                                 files=[("attachments", ("sk.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"))])
    assert exe.status_code == 422 and "sk.pdf bukan berkas PDF, JPEG, atau PNG." in exe.text
    big = PDF + b"0" * (30 * 1024 * 1024)
    too_big = await client.post_form(url, {"text": "lihat lampiran"},
                                     files=[("attachments", ("besar.pdf", big, "application/pdf"))])
    assert too_big.status_code == 422 and "besar.pdf terlalu besar" in too_big.text
    assert await status_of(gaps["contradicted"]) == "open"
    assert await GapAttachment.count() == 0


async def test_district_staff_cannot_decide_and_serang_sees_nothing(make_client, world: World):
    gaps = await reconciled_example(world)
    gap_id = gaps["contradicted"]
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        await district.post_form(f"/gaps/{gap_id}/respond", {"text": "Sudah."})
        for action in ("accept", "close"):
            assert (await district.post_form(f"/gaps/{gap_id}/decide", {"action": action, "text": "x"})
                    ).status_code == 403
        assert (await district.post_form(f"/evaluations/{world.tangerang_evaluation}/gaps/bulk",
                                         {"gap": str(gap_id), "bulk_action": "accept"})).status_code == 403
    [attachment_free] = [gap_id]
    async with make_client() as serang:
        await serang.sign_in_as(world.serang)
        assert (await serang.get(f"/gaps/{attachment_free}")).status_code == 404
        assert (await serang.post_form(f"/gaps/{gap_id}/respond", {"text": "x"})).status_code == 404
    async with make_client() as verifier:
        await verifier.sign_in_as(world.verifier)
        # a verifier does not answer for the district
        assert (await verifier.post_form(f"/gaps/{gap_id}/respond", {"text": "x"})).status_code == 403
    assert await status_of(gap_id) == "responded"


async def test_a_decision_on_a_gap_not_waiting_for_one_is_refused(client, world: World):
    gaps = await reconciled_example(world)
    await client.sign_in_as(world.verifier)
    response = await client.post_form(f"/gaps/{gaps['contradicted']}/decide", {"action": "accept"})
    assert response.status_code == 422
    assert await status_of(gaps["contradicted"]) == "open"


async def test_due_dates_and_overdue(client, world: World):
    gaps = await reconciled_example(world)
    gap_id = gaps["partial"]
    await client.sign_in_as(world.verifier)
    past = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
    assert (await client.post_form(f"/gaps/{gap_id}/due", {"due_on": past})).status_code == 422
    later = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    assert (await client.post_form(f"/gaps/{gap_id}/due", {"due_on": later})).status_code == 303
    assert str((await Gap.select(Gap.due_on).where(Gap.id == gap_id).first())["due_on"]) == later
    await Gap.update({Gap.due_on: datetime.now(UTC).date() - timedelta(days=2)}).where(Gap.id == gap_id)
    page = text_of((await client.get(f"/gaps/{gap_id}")).text)
    assert "Lewat tenggat sejak" in page


async def test_bulk_actions_accept_the_responded_and_set_due_dates(make_client, world: World):
    gaps = await reconciled_example(world)
    evaluation = world.tangerang_evaluation
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        for name in ("contradicted", "partial"):
            await district.post_form(f"/gaps/{gaps[name]}/respond", {"text": "Sudah ditindaklanjuti."})
    async with make_client() as verifier:
        await verifier.sign_in_as(world.verifier)
        url = f"/evaluations/{evaluation}/gaps/bulk"
        nothing = await verifier.post_form(url, {"bulk_action": "accept"})
        assert nothing.status_code == 422 and "Centang paling sedikit satu celah." in nothing.text
        ids = [str(gaps[n]) for n in ("contradicted", "partial", "value_mismatch")]
        response = await verifier.post(url, data={"gap": ids, "bulk_action": "accept"},
                                       headers={"x-csrftoken": await verifier.csrf_token()})
        assert response.status_code == 303 and "done=2-1" in response.headers["location"]
        later = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
        response = await verifier.post(url, data={"gap": [str(gaps["value_mismatch"])], "bulk_action": "due",
                                                  "due_on": later}, headers={"x-csrftoken": await verifier.csrf_token()})
        assert response.status_code == 303
        closed = await verifier.post(url, data={"gap": [str(gaps["value_mismatch"])], "bulk_action": "close"},
                                     headers={"x-csrftoken": await verifier.csrf_token()})
        assert closed.status_code == 422
    assert [await status_of(gaps[n]) for n in ("contradicted", "partial", "value_mismatch")] == [
        "accepted", "accepted", "open"]
    assert str((await Gap.select(Gap.due_on).where(Gap.id == gaps["value_mismatch"]).first())["due_on"]) == later


async def test_a_gap_whose_claim_is_withdrawn_after_an_answer_keeps_its_history(make_client, world: World):
    from fieldvisit import db
    from fieldvisit.reconcile import queries as reconcile

    gaps = await reconciled_example(world)
    gap_id = gaps["contradicted"]
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        await district.post_form(f"/gaps/{gap_id}/respond", {"text": "Klaim kami tarik."})
    subject = (await Gap.select(Gap.subject).where(Gap.id == gap_id).first())["subject"]
    claim_id = int(subject.split(":")[1])
    await db.raw_rows("UPDATE site_item_claim SET deleted_at = {} WHERE id = {}", datetime.now(UTC), claim_id)
    await reconcile.reconcile_evaluation(world.tangerang_evaluation, now=datetime.now(UTC))
    assert await status_of(gap_id) == "orphaned"
    events = await GapEvent.select(GapEvent.kind, GapEvent.text).where(GapEvent.gap == gap_id).order_by(GapEvent.id)
    assert [e["kind"] for e in events] == ["opened", "responded", "orphaned"]
    assert events[1]["text"] == "Klaim kami tarik."
    json.dumps([dict(e) for e in events])


async def test_the_gap_page_shows_the_evidence_chain_and_provenance_only_to_the_team(make_client, world: World):
    from tests.support_reconcile import make_finding, make_photo

    gaps = await reconciled_example(world)
    gap_id = gaps["contradicted"]  # PUSPAGA-08 at the Puspaga, found not met
    visit = (await Gap.raw("SELECT id FROM visit WHERE site = {} ORDER BY id LIMIT 1", world.tangerang_site))[0]["id"]
    await make_finding(visit, "PUSPAGA-08", "not_met", saved_by=world.verifier.id, version=2,
                       note="Psikolog tidak ada di tempat")
    photo = await make_photo(visit, uploaded_by=world.verifier.id, item="PUSPAGA-08", distance_m=1234.0)
    async with make_client() as verifier:
        await verifier.sign_in_as(world.verifier)
        html = (await verifier.get(f"/gaps/{gap_id}")).text
        assert f'href="/photos/{photo}/display"' in html
        page = text_of(html)
        assert "Versi 2" in page and "Psikolog tidak ada di tempat" in page and "1.234 m" in page
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        html = (await district.get(f"/gaps/{gap_id}")).text
        assert f'href="/photos/{photo}/display"' in html
        assert "1.234 m" not in text_of(html), "provenance is for verifiers only"


async def test_a_bulk_close_applies_to_every_gap_the_filter_shows(client, world: World):
    gaps = await reconciled_example(world)
    await client.sign_in_as(world.verifier)
    response = await client.post_form(f"/evaluations/{world.tangerang_evaluation}/gaps/bulk", {
        "every": "on", "rule": "partial", "bulk_action": "close", "text": "Dibahas di rapat pleno"})
    assert response.status_code == 303 and "rule=partial" in response.headers["location"]
    assert await status_of(gaps["partial"]) == "closed"
    assert await status_of(gaps["contradicted"]) == "open"

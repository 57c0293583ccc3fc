"""Hybrid sessions: planning, live notes (numbered, idempotent, frozen when closed), the feed,
edits with history, attendance, notes to findings and verified values, the minutes and XLSX."""

from __future__ import annotations

import re
import uuid
from io import BytesIO

from openpyxl import load_workbook

from fieldvisit.claims.tables import IndicatorVerification
from fieldvisit.sessions.tables import HybridSession, NoteLink, NoteRevision, SessionNote
from fieldvisit.visits.tables import Finding, Visit
from tests.support import World, assign, make_user
from tests.support_sessions import make_hybrid_session

HTMX = {"HX-Request": "true"}


async def tangerang_session(world: World, **values) -> int:
    return await make_hybrid_session(world.tangerang_evaluation, team=[world.verifier.id, world.notetaker.id],
                                     sites=[world.tangerang_site], indicators=["I08"], **values)


def note(body: str, target: str = "", result: str = "", client_uuid: str | None = None) -> dict[str, str]:
    return {"client_uuid": client_uuid or str(uuid.uuid4()), "body": body, "target": target, "result": result}


async def signed_in(make_client, persona):
    client = make_client()
    client.headers["accept-language"] = "en"
    await client.sign_in_as(persona)
    return client


async def test_a_verifier_plans_a_session_with_agenda_and_team(make_client, world: World):
    client = await signed_in(make_client, world.verifier)
    response = await client.post_form(f"/evaluations/{world.tangerang_evaluation}/sessions", {
        "title": "Verifikasi Puspaga", "day": "2025-07-14", "time": "09:30", "video_link": "https://zoom.example/1",
        "team": [str(world.notetaker.id)], "site": [str(world.tangerang_site)], "indicator": ["I08"]})
    assert response.status_code == 303
    session_id = int(response.headers["location"].rsplit("/", 1)[1])
    page = await client.get(f"/sessions/{session_id}")
    assert page.status_code == 200
    assert "Puspaga Kota Tangerang" in page.text and "I08" in page.text
    row = await HybridSession.select().where(HybridSession.id == session_id).first()
    assert row["status"] == "scheduled" and row["starts_at"].hour == 2  # 09:30 WIB


async def test_a_plan_without_agenda_or_with_a_foreign_site_is_refused(make_client, world: World):
    client = await signed_in(make_client, world.verifier)
    url = f"/evaluations/{world.tangerang_evaluation}/sessions"
    empty = await client.post_form(url, {"title": "X", "day": "2025-07-14", "time": "09:00"})
    assert empty.status_code == 422 and "at least one site or indicator" in empty.text
    foreign = await client.post_form(url, {"title": "X", "day": "2025-07-14", "site": [str(world.serang_site)]})
    assert foreign.status_code == 422 and "sites of this kab/kota" in foreign.text
    assert await HybridSession.count() == 0


async def test_notes_are_numbered_in_order_and_appear_in_the_feed(make_client, world: World):
    session = await tangerang_session(world)
    nina = await signed_in(make_client, world.notetaker)
    vera = await signed_in(make_client, world.verifier)
    first = await nina.post_form(f"/sessions/{session}/notes",
                                 note("Ruang konseling ada", f"s:{world.tangerang_site}:PUSPAGA-02", "met"),
                                 headers=HTMX)
    assert first.status_code == 200 and first.headers["HX-Trigger"] == "notes-changed"
    await vera.post_form(f"/sessions/{session}/notes", note("Data anak dari Disdukcapil", "i:I08"), headers=HTMX)
    rows = await SessionNote.select(SessionNote.number, SessionNote.body).order_by(SessionNote.number)
    assert [r["number"] for r in rows] == [1, 2]
    feed = await vera.get(f"/sessions/{session}/feed?after=0&changes=0", headers=HTMX)
    assert feed.status_code == 200
    assert feed.text.index("Ruang konseling ada") < feed.text.index("Data anak dari Disdukcapil")
    assert "after=2" in feed.text
    later = await vera.get(f"/sessions/{session}/feed?after=1&changes=0", headers=HTMX)
    assert "Ruang konseling ada" not in later.text and "Data anak" in later.text
    nothing = await vera.get(f"/sessions/{session}/feed?after=2&changes=0", headers=HTMX)
    assert nothing.status_code == 204


async def test_the_same_note_sent_twice_by_a_retrying_client_is_one_note(make_client, world: World):
    session = await tangerang_session(world)
    nina = await signed_in(make_client, world.notetaker)
    data = note("Sinyal lemah, dikirim ulang")
    assert (await nina.post_form(f"/sessions/{session}/notes", data, headers=HTMX)).status_code == 200
    assert (await nina.post_form(f"/sessions/{session}/notes", data, headers=HTMX)).status_code == 200
    assert await SessionNote.count() == 1


async def test_an_empty_note_is_ignored_with_a_hint(make_client, world: World):
    session = await tangerang_session(world)
    nina = await signed_in(make_client, world.notetaker)
    response = await nina.post_form(f"/sessions/{session}/notes", note("   "), headers=HTMX)
    assert response.status_code == 422
    assert "Type the note, then press Enter" in response.text
    assert await SessionNote.count() == 0


async def test_a_ten_thousand_character_note_is_refused_naming_the_limit(make_client, world: World):
    session = await tangerang_session(world)
    nina = await signed_in(make_client, world.notetaker)
    response = await nina.post_form(f"/sessions/{session}/notes", note("x" * 10_000), headers=HTMX)
    assert response.status_code == 422
    assert "at most 2000 characters" in response.text
    assert await SessionNote.count() == 0


async def test_a_note_after_the_session_closed_is_refused_with_409(make_client, world: World):
    session = await tangerang_session(world)
    vera = await signed_in(make_client, world.verifier)
    closed = await vera.post_form(f"/sessions/{session}/status", {"action": "close"})
    assert closed.status_code == 303
    response = await vera.post_form(f"/sessions/{session}/notes", note("Terlambat"), headers=HTMX)
    assert response.status_code == 409
    assert "The session is closed" in response.text
    plain = await vera.post_form(f"/sessions/{session}/notes", note("Terlambat lagi"))
    assert plain.status_code == 409
    assert await SessionNote.count() == 0


async def test_a_notetaker_not_on_the_sessions_team_can_neither_post_nor_read_notes(make_client, world: World):
    other = await make_user("oki@kemenpppa.test", "notetaker")
    await assign(world.tangerang_evaluation, other, "notetaker")  # on the evaluation, not on the session
    session = await tangerang_session(world)
    client = await signed_in(make_client, other)
    assert (await client.post_form(f"/sessions/{session}/notes", note("Masuk?"), headers=HTMX)).status_code == 404
    assert (await client.get(f"/sessions/{session}/feed?after=0&changes=0", headers=HTMX)).status_code == 404
    assert (await client.get(f"/sessions/{session}")).status_code == 404
    assert await SessionNote.count() == 0


async def test_a_note_about_something_off_the_agenda_is_refused(make_client, world: World):
    session = await tangerang_session(world)
    nina = await signed_in(make_client, world.notetaker)
    response = await nina.post_form(f"/sessions/{session}/notes", note("Salah", f"s:{world.serang_site}"),
                                    headers=HTMX)
    assert response.status_code == 422 and "from the agenda" in response.text
    assert await SessionNote.count() == 0


async def test_the_author_edits_a_note_the_history_is_kept_and_the_feed_shows_it_edited(make_client, world: World):
    session = await tangerang_session(world)
    nina = await signed_in(make_client, world.notetaker)
    vera = await signed_in(make_client, world.verifier)
    await nina.post_form(f"/sessions/{session}/notes", note("Ruang konsling ada"), headers=HTMX)
    assert (await vera.post_form(f"/sessions/{session}/notes/1", {"body": "Bukan saya"})).status_code == 403
    edited = await nina.post_form(f"/sessions/{session}/notes/1", {"body": "Ruang konseling ada", "result": "met"})
    assert edited.status_code == 303
    row = await SessionNote.select().first()
    assert (row["body"], row["version"], row["result"]) == ("Ruang konseling ada", 2, "met")
    assert [r["body"] for r in await NoteRevision.select(NoteRevision.body)] == ["Ruang konsling ada"]
    feed = await vera.get(f"/sessions/{session}/feed?after=1&changes=0", headers=HTMX)
    assert 'id="note-1"' in feed.text and 'hx-swap-oob="true"' in feed.text and "edited" in feed.text
    history = await vera.get(f"/sessions/{session}/notes/1")
    assert "Ruang konsling ada" in history.text


async def test_attendance_is_added_in_one_step(make_client, world: World):
    session = await tangerang_session(world)
    nina = await signed_in(make_client, world.notetaker)
    response = await nina.post_form(f"/sessions/{session}/attendees",
                                    {"name": "Siti Rahma", "office": "DP3AP2KB", "position": "Kabid PHA"},
                                    headers=HTMX)
    assert response.status_code == 200 and "Siti Rahma" in response.text
    missing = await nina.post_form(f"/sessions/{session}/attendees", {"office": "Bappeda"}, headers=HTMX)
    assert missing.status_code == 422 and "Enter the participant" in missing.text


async def test_a_verifier_turns_notes_on_one_item_into_the_finding_of_a_video_visit(make_client, world: World):
    session = await tangerang_session(world)
    nina = await signed_in(make_client, world.notetaker)
    vera = await signed_in(make_client, world.verifier)
    target = f"s:{world.tangerang_site}:PUSPAGA-02"
    await nina.post_form(f"/sessions/{session}/notes", note("Ruang konseling ada", target), headers=HTMX)
    await nina.post_form(f"/sessions/{session}/notes", note("Tertutup, ada pintu", target, "met"), headers=HTMX)
    await nina.post_form(f"/sessions/{session}/notes", note("Umum"), headers=HTMX)
    mixed = await vera.post_form(f"/sessions/{session}/findings", {"note": ["1", "3"], "result": "met", "group": "x"})
    assert mixed.status_code == 422 and "one checklist item" in mixed.text
    # note-takers may not, unless the round allows it
    refused = await nina.post_form(f"/sessions/{session}/findings", {"note": ["1", "2"], "result": "met"})
    assert refused.status_code == 403
    done = await vera.post_form(f"/sessions/{session}/findings", {"note": ["1", "2"], "result": "met"})
    assert done.status_code == 303
    again = await vera.post_form(f"/sessions/{session}/findings", {"note": ["1", "2"], "result": "met"})
    assert again.status_code == 303  # a double click replays
    visit = await Visit.select().first()
    assert visit["mode"] == "video" and visit["site"] == world.tangerang_site and visit["outcome"] == "found"
    findings = await Finding.select()
    assert len(findings) == 1
    assert findings[0]["item_code"] == "PUSPAGA-02" and findings[0]["result"] == "met"
    assert "#1" in findings[0]["note"] and "#2" in findings[0]["note"] and "Verifikasi Puspaga" in findings[0]["note"]
    links = await NoteLink.select(NoteLink.note.number.as_alias("n"), NoteLink.finding)
    assert sorted(link["n"] for link in links) == [1, 2] and {link["finding"] for link in links} == {findings[0]["id"]}
    # a second item of the same site goes on the same video visit
    await nina.post_form(f"/sessions/{session}/notes", note("Tidak ada psikolog", f"s:{world.tangerang_site}:PUSPAGA-05"),
                         headers=HTMX)
    await vera.post_form(f"/sessions/{session}/findings", {"note": ["4"], "result": "not_met"})
    assert await Visit.count() == 1 and await Finding.count() == 2


async def test_note_takers_promote_when_the_round_allows_it(make_client, world: World):
    from fieldvisit.rounds.tables import Round

    await Round.update({Round.notetakers_may_promote: True}).where(Round.id == world.round_id)
    session = await tangerang_session(world)
    nina = await signed_in(make_client, world.notetaker)
    await nina.post_form(f"/sessions/{session}/notes", note("Ada", f"s:{world.tangerang_site}:PUSPAGA-02"),
                         headers=HTMX)
    assert (await nina.post_form(f"/sessions/{session}/findings", {"note": ["1"], "result": "met"})).status_code == 303
    assert await Finding.count() == 1


async def test_a_note_on_an_indicator_sets_its_verified_value(make_client, world: World):
    session = await tangerang_session(world)
    vera = await signed_in(make_client, world.verifier)
    await vera.post_form(f"/sessions/{session}/notes", note("Disdukcapil: 83,5 persen", "i:I08"), headers=HTMX)
    bad = await vera.post_form(f"/sessions/{session}/values", {"note": ["1"], "value": "banyak", "group": "I08"})
    assert bad.status_code == 422
    done = await vera.post_form(f"/sessions/{session}/values", {"note": ["1"], "value": "83,5", "group": "I08"})
    assert done.status_code == 303
    row = await IndicatorVerification.select().first()
    assert str(row["verified_value"]).startswith("83.5") and "#1" in row["note"]


async def test_closing_freezes_notes_and_shows_the_minutes_in_both_languages(make_client, world: World):
    session = await tangerang_session(world)
    vera = await signed_in(make_client, world.verifier)
    target = f"s:{world.tangerang_site}:PUSPAGA-02"
    await vera.post_form(f"/sessions/{session}/attendees", {"name": "Siti Rahma", "office": "DP3AP2KB"})
    await vera.post_form(f"/sessions/{session}/notes", note("Ruang konseling ada", target, "met"))
    await vera.post_form(f"/sessions/{session}/findings", {"note": ["1"], "result": "met"})
    await vera.post_form(f"/sessions/{session}/status", {"action": "close"})
    minutes = await vera.get(f"/sessions/{session}")
    assert "Minutes" in minutes.text and "Siti Rahma" in minutes.text and "Findings made" in minutes.text
    assert "PUSPAGA-02" in minutes.text and 'media="print"' not in minutes.text  # one stylesheet with @media print
    assert (await Visit.select(Visit.status).first())["status"] == "submitted"
    indonesian = await vera.get(f"/sessions/{session}", headers={"accept-language": "id"})
    assert "Notulen" in indonesian.text and "Daftar hadir" in indonesian.text
    # the district sees the minutes once closed
    dinas = await signed_in(make_client, world.tangerang)
    assert "Ruang konseling ada" in (await dinas.get(f"/sessions/{session}")).text


async def test_the_minutes_export_as_xlsx_in_the_users_language(make_client, world: World):
    session = await tangerang_session(world, status="closed")
    vera = await signed_in(make_client, world.verifier)
    response = await vera.get(f"/sessions/{session}/minutes.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["Session", "Attendance", "Agenda", "Notes", "Findings"]
    indonesian = await vera.get(f"/sessions/{session}/minutes.xlsx", headers={"accept-language": "id"})
    book = load_workbook(BytesIO(indonesian.content))
    assert book.sheetnames[1] == "Daftar hadir"


async def test_district_staff_see_no_live_notes(make_client, world: World):
    session = await tangerang_session(world)
    dinas = await signed_in(make_client, world.tangerang)
    page = await dinas.get(f"/sessions/{session}")
    assert page.status_code == 200 and not re.search(r'id="entry"', page.text)
    assert (await dinas.get(f"/sessions/{session}/feed?after=0&changes=0", headers=HTMX)).status_code == 404
    assert (await dinas.post_form(f"/sessions/{session}/notes", note("Halo"))).status_code == 403

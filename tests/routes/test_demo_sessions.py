"""`fieldvisit demo`'s hybrid session: a closed session in Kota Serang with attendance, notes
and findings on video visits; idempotent; nothing without the Serang evaluation."""

from __future__ import annotations

from fieldvisit.demo import sessions as demo_sessions
from fieldvisit.regions.tables import Region
from fieldvisit.sessions.tables import Attendee, HybridSession, NoteLink, SessionNote
from fieldvisit.visits.tables import Finding, Visit
from tests.support import REGIONS, assign, make_evaluation, make_region, make_round, make_site, make_user


async def demo_world() -> int:
    for region in REGIONS[:3]:
        await make_region(*region)
    verifier = await make_user(demo_sessions.VERIFIER, "verifier")
    notetaker = await make_user(demo_sessions.NOTETAKER, "notetaker")
    serang = (await Region.select(Region.id).where(Region.code == "36.73").first())["id"]
    evaluation = await make_evaluation(await make_round(), serang)
    await assign(evaluation, verifier, "verifier")
    await assign(evaluation, notetaker, "notetaker")
    await make_site(serang, "PUSPAGA-SRG", "Puspaga Kota Serang", "PUSPAGA", latitude=-6.12, longitude=106.15)
    await make_site(serang, "RBRA-ALUNALUN", "Alun-alun Kota Serang", "RBRA", latitude=-6.1202, longitude=106.1503)
    return evaluation


async def test_the_demo_makes_a_closed_serang_session_with_attendance_notes_and_findings(clean):
    await demo_world()
    lines = await demo_sessions.load()
    assert lines and "Kota Serang" in lines[0]
    session = await HybridSession.select().first()
    assert session["status"] == "closed" and session["note_count"] == len(demo_sessions.NOTES)
    assert await Attendee.count() == len(demo_sessions.ATTENDEES)
    assert await SessionNote.count() == len(demo_sessions.NOTES)
    assert await Finding.count() == 2
    assert {v["mode"] for v in await Visit.select(Visit.mode)} == {"video"}
    assert await NoteLink.count() == 3  # two notes on the Puspaga item, one on the play area
    assert await demo_sessions.load() == []  # idempotent
    assert await HybridSession.count() == 1


async def test_without_the_serang_evaluation_the_demo_makes_no_session(clean):
    for region in REGIONS[:3]:
        await make_region(*region)
    await make_user(demo_sessions.VERIFIER, "verifier")
    await make_user(demo_sessions.NOTETAKER, "notetaker")
    assert await demo_sessions.load() == []
    assert await HybridSession.count() == 0

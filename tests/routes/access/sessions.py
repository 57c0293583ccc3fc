"""Hybrid sessions: whoever sees the evaluation sees its session list; a session is seen by its
team (an assigned note-taker or verifier not on it gets 404), admins and the district's staff
(schedule, agenda, attendance; the notes only once closed). The team writes notes and
attendance; verifiers and admins plan, start, close and promote (note-takers only when the
round allows it, which it does not here)."""

import uuid

from tests.routes.access import PERSONAS
from tests.support_sessions import make_hybrid_session


def row(**outcomes: str) -> dict[str, str]:
    base = {"anonymous": "login", "admin": "ok", "verifier": "ok", "notetaker": "ok", "tangerang": "ok",
            "serang": "404"}
    result = {**base, **outcomes}
    assert set(result) == set(PERSONAS)
    return result


ROWS = {
    ("GET", "/evaluations/{evaluation_id}/sessions"): row(),
    ("POST", "/evaluations/{evaluation_id}/sessions"): row(notetaker="403", tangerang="403"),
    ("GET", "/sessions/{session_id}"): row(),
    ("POST", "/sessions/{session_id}/status"): row(notetaker="403", tangerang="403"),
    ("POST", "/sessions/{session_id}/attendees"): row(tangerang="403"),
    ("POST", "/sessions/{session_id}/notes"): row(tangerang="403"),
    ("GET", "/sessions/{session_id}/feed"): row(tangerang="404"),
    ("GET", "/sessions/{session_id}/notes/{number}"): row(tangerang="404"),
    ("POST", "/sessions/{session_id}/notes/{number}"): row(tangerang="403"),
    ("POST", "/sessions/{session_id}/findings"): row(notetaker="403", tangerang="403"),
    ("POST", "/sessions/{session_id}/values"): row(notetaker="403", tangerang="403"),
    ("GET", "/sessions/{session_id}/minutes.xlsx"): row(tangerang="404"),
}


async def params(world):
    from fieldvisit.sessions.tables import HybridSession, SessionNote

    session_id = await make_hybrid_session(world.tangerang_evaluation, team=[world.verifier.id, world.notetaker.id],
                                           sites=[world.tangerang_site], indicators=["I08"])
    await SessionNote.insert(SessionNote(session=session_id, number=1, client_uuid=uuid.uuid4(),
                                         author=world.notetaker.id, body="Ruang konseling ada"))
    await HybridSession.update({HybridSession.note_count: 1}).where(HybridSession.id == session_id)
    return {"session_id": session_id, "number": 1}

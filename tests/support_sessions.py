"""Factories for hybrid sessions (used by the session tests and the access table)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


async def make_hybrid_session(evaluation_id: int, *, team: list[int], sites: list[int] | None = None,
                              indicators: list[str] | None = None, status: str = "live",
                              title: str = "Verifikasi Puspaga", **values: Any) -> int:
    from fieldvisit.sessions.tables import AgendaItem, HybridSession, SessionMember

    now = datetime.now(UTC)
    rows = await HybridSession.insert(HybridSession(
        district_evaluation=evaluation_id, title=title, starts_at=now, status=status,
        started_at=now if status != "scheduled" else None, closed_at=now if status == "closed" else None,
        video_link="https://meet.example.test/abc", **values)).returning(HybridSession.id)
    session_id = int(rows[0]["id"])
    for user_id in team:
        await SessionMember.insert(SessionMember(session=session_id, user=user_id))
    position = 0
    for site in sites or []:
        await AgendaItem.insert(AgendaItem(session=session_id, position=position, site=site))
        position += 1
    for code in indicators or []:
        await AgendaItem.insert(AgendaItem(session=session_id, position=position, indicator_code=code))
        position += 1
    return session_id

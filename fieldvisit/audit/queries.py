"""Record and search the audit log. Every capability records through ``record``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypedDict, Unpack

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser
from fieldvisit.audit.tables import AuditEvent


class EventDetails(TypedDict, total=False):
    """What an event says besides its actor, action and object id (``event_values``)."""

    object_type: str
    district_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str
    ip: str
    actor_email: str


async def record(actor: CurrentUser | None, action: str, *, object_id: str | int = "",
                 **details: Unpack[EventDetails]) -> None:
    """Append one event. Call it inside the transaction that makes the change. (One raw
    statement: every save records one, and Piccolo's insert cost more than it.)"""
    await db.insert_row("audit_event", {**event_values(actor, action, **details), "object_id": str(object_id)})


def event_values(
    actor: CurrentUser | None,
    action: str,
    *,
    object_type: str = "",
    district_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    ip: str = "",
    actor_email: str = "",
) -> dict[str, Any]:
    """The columns of one event but its object_id (``db.insert_row_with_event`` writes a row
    and its event at once)."""
    return {"at": datetime.now(UTC), "actor": actor.id if actor else None,
            "actor_email": actor.email if actor else actor_email, "action": action, "object_type": object_type,
            "district": district_id, "before": _json_text(before), "after": _json_text(after), "reason": reason,
            "ip": ip}


async def record_many(actor: CurrentUser | None, action: str, events: list[dict[str, Any]], *, ip: str = "",
                      actor_email: str = "") -> None:
    """Append several events of one action at once (an import into 514 kab/kota records one event
    per kab/kota), inside the caller's transaction. Each event: object_type, object_id,
    district_id, before, after."""
    if not events:
        return
    now = datetime.now(UTC)
    await db.copy_rows("audit_event", ("at", "actor", "actor_email", "action", "object_type", "object_id", "district",
                                       "before", "after", "reason", "ip"), [
        (now, actor.id if actor else None, actor.email if actor else actor_email, action, e.get("object_type", ""),
         str(e.get("object_id", "")), e.get("district_id"), _json_text(e.get("before")), _json_text(e.get("after")),
         "", ip)
        for e in events])


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str)


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None


PAGE_SIZE = 50


async def search(viewer: CurrentUser, flt: AuditFilter, *, page: int = 1) -> tuple[list[dict[str, Any]], bool]:
    """Events matching ``flt``, newest first; admins only (the route guards it too)."""
    if not viewer.is_admin:
        return [], False
    query = AuditEvent.select(
        AuditEvent.id, AuditEvent.at, AuditEvent.actor_email, AuditEvent.action, AuditEvent.object_type,
        AuditEvent.object_id, AuditEvent.before, AuditEvent.after, AuditEvent.reason, AuditEvent.ip,
        AuditEvent.district.code.as_alias("district_code"),
    )
    if flt.actor:
        query = query.where(db.icontains(AuditEvent.actor_email, flt.actor))
    if flt.action:
        query = query.where(db.istartswith(AuditEvent.action, flt.action))
    if flt.object_type:
        query = query.where(AuditEvent.object_type == flt.object_type)
    if flt.object_id:
        query = query.where(AuditEvent.object_id == flt.object_id)
    if flt.since:
        query = query.where(AuditEvent.at >= datetime.combine(flt.since, time.min, UTC))
    if flt.until:
        query = query.where(AuditEvent.at < datetime.combine(flt.until + timedelta(days=1), time.min, UTC))
    rows = await query.order_by(AuditEvent.id, ascending=False).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    for row in rows:
        for key in ("before", "after"):
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE

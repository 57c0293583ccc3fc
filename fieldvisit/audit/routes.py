"""The admin's search over the audit log."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Template

from fieldvisit.audit import queries
from fieldvisit.web.auth import UserDep, admin_only
from fieldvisit.web.render import page

Req = Request[Any, Any, Any]


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


class AuditController(Controller):
    path = "/admin/audit"
    guards = [admin_only]

    @get("/", name="audit:search")
    async def search(self, request: Req, user: UserDep, actor: FromQuery[str] = "", action: FromQuery[str] = "",
                     object_type: FromQuery[str] = "", object_id: FromQuery[str] = "", since: FromQuery[str] = "", until: FromQuery[str] = "",
                     page_number: FromQuery[int] = 1) -> Template:
        flt = queries.AuditFilter(actor=actor.strip(), action=action.strip(), object_type=object_type.strip(),
                                  object_id=object_id.strip(), since=_day(since), until=_day(until))
        page_number = max(1, page_number)
        events, more = await queries.search(user, flt, page=page_number)
        return page(request, "audit/search.html", block="results", events=events, more=more, page_number=page_number,
                    filters={"actor": actor, "action": action, "object_type": object_type, "object_id": object_id,
                             "since": since, "until": until})

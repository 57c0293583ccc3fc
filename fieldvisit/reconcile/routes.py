"""The district evaluation dashboard and the "Reconcile now" button (verifiers on the team,
admins; everyone else 404)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from fieldvisit.gaps import domain as gaps_domain
from fieldvisit.gaps.queries import team_access
from fieldvisit.reconcile import queries
from fieldvisit.web.auth import SettingsDep, UserDep
from fieldvisit.web.render import page, see_other

Req = Request[Any, Any, Any]


class ReconcileController(Controller):
    path = "/evaluations/{evaluation_id:int}"

    @get("/dashboard", name="reconcile:dashboard")
    async def dashboard(self, request: Req, user: UserDep, evaluation_id: FromPath[int],
                        ran: FromQuery[str] = "") -> Template:
        access = await team_access(user, evaluation_id)
        today = gaps_domain.local_today(datetime.now(UTC), access.evaluation.utc_offset)
        data = await queries.dashboard(evaluation_id, today=today, meta=access.evaluation)
        return page(request, "reconcile/dashboard.html", d=data, access=access, ran=ran == "1",
                    rules=list(gaps_domain.RULE_LABELS), statuses=list(gaps_domain.STATUS_LABELS))

    @post("/reconcile", name="reconcile:run")
    async def run(self, user: UserDep, settings: SettingsDep, evaluation_id: FromPath[int]) -> Redirect:
        await team_access(user, evaluation_id)
        await queries.reconcile_evaluation(evaluation_id, now=datetime.now(UTC), actor=user,
                                           settings=queries.settings_for(settings))
        return see_other(f"/evaluations/{evaluation_id}/dashboard", ran="1")

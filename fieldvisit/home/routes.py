"""The home page of each role, and the health check."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery
from litestar.response import Template

from fieldvisit import db
from fieldvisit.accounts.domain import Role
from fieldvisit.home import queries
from fieldvisit.web.auth import UserDep
from fieldvisit.web.render import page

Req = Request[Any, Any, Any]

TEMPLATES = {Role.ADMIN: "home/admin.html", Role.VERIFIER: "home/verifier.html",
             Role.NOTETAKER: "home/notetaker.html", Role.DISTRICT: "home/district.html"}


class HomeController(Controller):
    @get("/", name="home")
    async def home(self, request: Req, user: UserDep, changed: FromQuery[str] = "") -> Template:
        return page(request, TEMPLATES[user.role], changed=changed, **await queries.home_for(user))

    @get("/healthz", name="health", opt={"public": True}, exclude_from_csrf=True)
    async def health(self, request: Req) -> Response[dict[str, str]]:
        checks = {"database": "ok" if await db.is_reachable() else "unreachable"}
        store = request.app.state.get("blob_store")
        if store is not None:
            checks["storage"] = "ok" if await store.is_reachable() else "unreachable"
        healthy = all(v == "ok" for v in checks.values())
        return Response({"status": "ok" if healthy else "unavailable", **checks},
                        status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"})

    @get("/hello", name="hello", opt={"public": True}, include_in_schema=False)
    async def hello(self) -> Response[str]:
        """A bare endpoint: the baseline of the request-throughput benchmark."""
        return Response("hello", media_type="text/plain")

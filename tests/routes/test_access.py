"""Every registered route is tried by every persona against the access table: a new route
without a row fails here, so nothing ships untested."""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute

from tests.routes import access
from tests.support import World

SKIP_METHODS = {"HEAD", "OPTIONS"}
IGNORED_PREFIXES = ("/static",)


def registered_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(IGNORED_PREFIXES):
            continue
        path = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", route.path)
        for method in route.methods - SKIP_METHODS:
            found.add((method, path))
    return found


def outcome(response) -> str:
    location = response.headers.get("location", "")
    if response.status_code in (301, 302, 303, 307) and location.startswith("/login") and "bye=" not in location:
        return "login"
    if response.status_code == 401 and response.headers.get("hx-redirect", "").startswith("/login"):
        return "login"
    if response.status_code == 401 and response.request.url.path.startswith("/api/"):
        # The API's answer without a valid token: JSON, never the login page.
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        return "401" if body.get("error", {}).get("status") == 401 else f"unexpected 401 {body!r}"
    if response.status_code in (404, 403):
        return str(response.status_code)
    if response.status_code < 400 or response.status_code in (409, 413, 422):
        return "ok"
    return f"unexpected {response.status_code}"


def test_every_route_has_a_row_and_every_row_a_route(app):
    routes, rows = registered_routes(app), set(access.all_rows())
    assert not routes - rows, f"routes without an access row: {sorted(routes - rows)}"
    assert not rows - routes, f"access rows without a route: {sorted(rows - routes)}"


async def test_every_persona_gets_the_expected_outcome_on_every_route(app, world: World, make_client):
    values: dict[str, object] = {}
    for build in access.param_builders():
        values.update(await build(world))
    failures = []
    for (method, path), row in sorted(access.all_rows().items()):
        url = path.format(**values)
        for persona, expected in row.items():
            async with make_client() as client:
                if persona != "anonymous":
                    await client.sign_in_as(world.personas[persona])
                headers = {"x-csrftoken": await client.csrf_token()} if method != "GET" else {}
                response = await client.request(method, url, headers=headers)
                got = outcome(response)
                if got != expected:
                    failures.append(f"{method} {url} as {persona}: expected {expected}, got {got}")
    assert not failures, "\n".join(failures)

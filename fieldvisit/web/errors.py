"""One place maps every error to a page (or JSON under /api/) in the user's language.

Templates: ``errors/{status}.html`` if it exists, else ``errors/error.html``. Never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from jinja2 import TemplateNotFound
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect, Template

from fieldvisit.errors import AppError, TooManyRequests
from fieldvisit.web import i18n
from fieldvisit.web.auth import LANGUAGE_COOKIE, PasswordChangeRequired
from fieldvisit.web.i18n import N_, _
from fieldvisit.web.render import is_htmx

log = logging.getLogger("fieldvisit.errors")

DEFAULTS = {
    400: (N_("Bad request"), N_("The request could not be understood. Go back and try again.")),
    401: (N_("Not authenticated"), N_("Send a valid API token: Authorization: Bearer <token>.")),
    403: (N_("Not allowed"), N_("You may not do this. If the page was open for a long time, reload it and try again.")),
    404: (N_("Not found"), N_("This page does not exist, or you do not have access to it.")),
    405: (N_("Not allowed"), N_("This address does not accept this kind of request.")),
    409: (N_("Conflict"), N_("This was changed in the meantime. Reload the page and try again.")),
    413: (N_("Too large"), N_("The upload is larger than allowed.")),
    422: (N_("Check your input"), N_("Some of what you entered cannot be used.")),
    429: (N_("Too many attempts"), N_("Wait a moment and try again.")),
    500: (N_("Something went wrong"), N_("The error has been logged. Try again in a moment.")),
    503: (N_("Temporarily unavailable"), N_("A service FieldVisit needs is not reachable. Nothing was saved; try again shortly.")),
}


def _language(request: Request[Any, Any, Any]) -> str:
    state = request.scope.get("state") or {}
    if "language" in state:
        return str(state["language"])
    return i18n.choose_language(None, request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"),
                                request.app.state.get("default_language", "id"))


def _classify(exc: Exception) -> tuple[int, str, str]:
    if isinstance(exc, AppError):
        status = exc.status_code
        title, message = DEFAULTS.get(status, DEFAULTS[400])
        return status, exc.title or _(title), exc.message or _(message)
    if isinstance(exc, HTTPException):
        status = exc.status_code
        title, message = DEFAULTS.get(status, DEFAULTS[500] if status >= 500 else DEFAULTS[400])
        if status == 413:
            detail = str(exc.detail or "")
            return status, _(title), _(message) + (" " + detail if detail and "limit" in detail.lower() else "")
        if status == 401:
            return status, _(title), _(message)
        return status, _(title), _(message)
    title, message = DEFAULTS[500]
    return 500, _(title), _(message)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    i18n.set_language(_language(request))
    api = request.url.path.startswith("/api/")
    if isinstance(exc, NotAuthorizedException) and not api:
        return _to_login(request)
    if isinstance(exc, PasswordChangeRequired):
        return Redirect(path="/account/password", status_code=303)
    status, title, message = _classify(exc)
    limit = (request.scope.get("route_handler").opt if request.scope.get("route_handler") else {}).get(
        "upload_limit_mb")
    if status == 413 and limit:
        message = _("The file is larger than the limit of %(mb)s MB. Split it into smaller files.") % {"mb": limit}
    if status >= 500:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    headers: dict[str, str] = {}
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if api:
        return Response({"error": {"status": status, "title": title, "message": message}}, status_code=status,
                        headers=headers)
    context = {"status": status, "title": title, "message": message}
    engine = request.app.template_engine
    name = "errors/error.html"
    try:
        engine.get_template(f"errors/{status}.html")  # type: ignore[union-attr]
        name = f"errors/{status}.html"
    except (TemplateNotFound, Exception):  # noqa: BLE001 - fallback page
        pass
    return Template(template_name=name, context=context, status_code=status, headers=headers)


def _to_login(request: Request[Any, Any, Any]) -> Response[Any]:
    target = request.url.path + (("?" + request.url.query) if request.url.query else "")
    location = "/login" if request.method != "GET" else f"/login?next={_quote(target)}"
    if is_htmx(request) or request.headers.get("hx-request") == "true":
        return Response(content="", status_code=401, headers={"HX-Redirect": location})
    return Redirect(path=location, status_code=303)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")

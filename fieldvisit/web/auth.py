"""Who is asking: the session cookie, the signed-in user, the language, and the guards.

Every route needs a signed-in user unless its handler says ``opt={"public": True}``.
Role guards answer 404 (the access model never confirms that a thing exists).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from fieldvisit.accounts import queries as accounts
from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.errors import NotFound
from fieldvisit.settings import Settings
from fieldvisit.storage.base import BlobStore
from fieldvisit.web import i18n

SESSION_COOKIE = "fv_session"

#: Handler parameter types for the app's dependencies: ``user: UserDep, settings: SettingsDep``,
#: ``store: StoreDep`` (the blob store for photos and documents).
UserDep = NamedDependency[CurrentUser]
SettingsDep = NamedDependency[Settings]
StoreDep = NamedDependency[BlobStore]
LANGUAGE_COOKIE = "fv_lang"


def _cookies(scope: Scope) -> dict[str, str]:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: dict[str, str] = {}
            for part in value.decode("latin-1").split(";"):
                key, _sep, val = part.strip().partition("=")
                if key and key not in jar:
                    jar[key] = val
            return jar
    return {}


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


class SessionMiddleware(ASGIMiddleware):
    """Loads the user of the session cookie (or None) and picks the language."""

    scopes = ("http",)  # type: ignore[assignment]

    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:  # type: ignore[override]
        """Static files and the health check need no user (by the request's path: Litestar 3
        matches exclude_path_pattern against the handler's path instead)."""
        return str(scope["path"]).startswith(("/static/", "/healthz"))

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        cookies = _cookies(scope)
        token = cookies.get(SESSION_COOKIE)
        user = None
        if token:
            user = await accounts.user_for_session(token, now=datetime.now(UTC), settings=self.settings)
        scope["user"] = user
        language = i18n.choose_language(
            user.language if user else None, cookies.get(LANGUAGE_COOKIE),
            _header(scope, b"accept-language"), self.settings.default_language,
        )
        scope.setdefault("state", {})["language"] = language
        with i18n.language(language):
            await next_app(scope, receive, send)


class PasswordChangeRequired(Exception):
    """The user must choose a new password before anything else."""


PASSWORD_EXEMPT = ("/account/password", "/logout", "/language")


async def login_required(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """(Guards are coroutines: Litestar runs a plain function guard in a worker thread, a thread
    hop on every request.)"""
    if handler.opt.get("public"):
        return
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    if user.must_change_password and connection.scope["path"] not in PASSWORD_EXEMPT:
        raise PasswordChangeRequired()


def roles(*allowed: Role) -> Any:
    """Guard: only these roles; everyone else gets 404."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        user: CurrentUser | None = connection.scope.get("user")
        if user is None or user.role not in allowed:
            raise NotFound()

    return guard


admin_only = roles(Role.ADMIN)


def session_cookie(token: str, settings: Settings) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value=token, httponly=True, samesite="lax", secure=settings.secure_cookies,
                  path="/", max_age=settings.session_max_hours * 3600)


def cleared_session_cookie(settings: Settings) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value="", httponly=True, samesite="lax", secure=settings.secure_cookies,
                  path="/", max_age=0, expires=0)


def language_cookie(language: str, settings: Settings) -> Cookie:
    return Cookie(key=LANGUAGE_COOKIE, value=language, httponly=True, samesite="lax",
                  secure=settings.secure_cookies, path="/", max_age=365 * 24 * 3600)

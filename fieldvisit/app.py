"""create_app(settings) -> Litestar: the one place that wires FieldVisit together."""

from __future__ import annotations

import gc
import logging
import secrets
from typing import Any

from litestar import Litestar, Request, Router
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser
from fieldvisit.accounts.routes import AccountController, AdminUsersController, AuthController
from fieldvisit.api import routes as api_routes
from fieldvisit.audit.routes import AuditController
from fieldvisit.catalogue.routes import CatalogueController
from fieldvisit.claims.routes import ClaimsController
from fieldvisit.gaps.routes import GapsController
from fieldvisit.home.routes import HomeController
from fieldvisit.imports import routes as imports_routes
from fieldvisit.offline.routes import OfflineController
from fieldvisit.photos import routes as photos_routes
from fieldvisit.photos import worker as photos_worker
from fieldvisit.privacy.routes import BlurController, OriginalsController, PrivacyController, SensitiveSitesController
from fieldvisit.reconcile import worker as reconcile_worker
from fieldvisit.reconcile.routes import ReconcileController
from fieldvisit.regions.routes import RegionsController
from fieldvisit.rounds.routes import EvaluationAdminController, EvaluationsController, RoundsAdminController
from fieldvisit.sessions import routes as sessions_routes
from fieldvisit.settings import PROJECT_ROOT, Settings
from fieldvisit.sites.routes import SitesController
from fieldvisit.storage.base import BlobStore, StoreUnavailable, make_store
from fieldvisit.verifications.routes import VerificationController
from fieldvisit.visits.routes import VisitsController
from fieldvisit.web import templating
from fieldvisit.web.activity import activity_middleware, rebalance_middleware
from fieldvisit.web.auth import SessionMiddleware, login_required
from fieldvisit.web.errors import handle_exception
from fieldvisit.web.security import security_headers_hook

ROUTE_HANDLERS: list[Any] = [
    AuthController,
    AccountController,
    AdminUsersController,
    RegionsController,
    AuditController,
    HomeController,
    CatalogueController,
    RoundsAdminController,
    EvaluationAdminController,
    EvaluationsController,
    SitesController,
    ClaimsController,
    api_routes.ApiClientsController,
    PrivacyController,
    OriginalsController,
    BlurController,
    SensitiveSitesController,
    VisitsController,
    ReconcileController,
    VerificationController,
    GapsController,
    OfflineController,
]


def secret_key(settings: Settings) -> str:
    """SECRET_KEY, or a random key made once and kept in VAR_DIR (embedded default)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.var_dir / "secret_key"
    if not path.exists():
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


async def prepare_store(store: BlobStore) -> None:
    """At start-up: the local folder, or the private S3 bucket. A store that is down does not
    stop the app: uploads answer "not saved, try again" and /healthz says so until it is back."""
    try:
        await store.prepare()
    except StoreUnavailable as exc:
        logging.getLogger("fieldvisit.storage").warning("blob store not ready at start-up: %s", exc)


def settle_heap() -> None:
    """What start-up made (modules, routes, templates, the pool) lives as long as the process:
    collect once and move it out of the collector's sight (``gc.freeze``), so that the full
    collections a request may set off scan only what requests made. Without it, one dashboard
    request in twenty paid ~50 ms for scanning the whole heap (bench_reconcile's dashboard: p95
    122 -> 70 ms on this 2-core box; raising the collector's thresholds as well made it no better)."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    db.configure(settings)
    logging.getLogger("fieldvisit").setLevel(settings.log_level.upper())
    store = make_store(settings)

    async def on_startup(app: Litestar) -> None:
        await db.start(settings)
        await prepare_store(store)
        app.state["reconcile_worker"] = reconcile_worker.start(settings)
        app.state["photos_worker"] = photos_worker.start(settings, store)
        settle_heap()

    async def on_shutdown(app: Litestar) -> None:
        await reconcile_worker.stop(app.state.get("reconcile_worker"))
        await photos_worker.stop(app.state.get("photos_worker"))
        await db.stop()

    def provide_user(request: Request[Any, Any, Any]) -> CurrentUser:
        return request.scope["user"]  # type: ignore[no-any-return]

    static = create_static_files_router(
        path="/static", directories=[PROJECT_ROOT / "static"], name="static", opt={"public": True},
        cache_control=CacheControlHeader(max_age=3600, public=True), include_in_schema=False,
    )
    return Litestar(
        route_handlers=[*ROUTE_HANDLERS, imports_routes.router(settings), api_routes.router(settings),
                        photos_routes.router(settings), sessions_routes.router(settings), static],
        dependencies={"settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
                      "user": Provide(provide_user, sync_to_thread=False),
                      "store": Provide(lambda: store, use_cache=True, sync_to_thread=False)},
        guards=[login_required],
        middleware=[rebalance_middleware, activity_middleware, SessionMiddleware(settings)],
        before_send=[security_headers_hook(settings)],
        template_config=TemplateConfig(directory=PROJECT_ROOT / "templates", engine=JinjaTemplateEngine,
                                       engine_callback=templating.configure),
        csrf_config=CSRFConfig(secret=secret_key(settings), cookie_samesite="lax", cookie_httponly=False,
                               cookie_secure=settings.secure_cookies, exclude=["^/api/", "^/healthz"]),
        compression_config=CompressionConfig(backend="gzip", minimum_size=500, gzip_compress_level=6),
        plugins=[HTMXPlugin()],
        exception_handlers={Exception: handle_exception},
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        request_max_body_size=1024 * 1024,
        state=State({"settings": settings, "default_language": settings.default_language, "blob_store": store}),
        # Only the JSON schema (the UI plugins would load scripts from a CDN); it is public and
        # describes /api/v1 only: the web pages are left out (include_in_schema=False here, True on
        # the API's router).
        include_in_schema=False,
        openapi_config=OpenAPIConfig(
            title="FieldVisit API", version="1", path="/api/schema", render_plugins=[JsonRenderPlugin()],
            openapi_router=Router(path="/api/schema", route_handlers=[], opt={"public": True}),
            description="Push and read the KLA data of district evaluations: sites and claims. Authenticate with "
                        "`Authorization: Bearer <token>` of an API client (an admin creates it on "
                        "/admin/api-clients); imports are all or nothing; `dry_run` answers the preview.",
            components=Components(security_schemes={
                "apiToken": SecurityScheme(type="http", scheme="bearer", description="An API client's token")}),
        ),
        debug=False,
    )

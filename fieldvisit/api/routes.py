"""The JSON API under /api/v1 (bearer token of an API client; session cookies do not count)
and the admin's page to create and revoke API clients."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template
from msgspec import UNSET, Struct, UnsetType

from fieldvisit.api import queries
from fieldvisit.api.queries import ApiPrincipal
from fieldvisit.errors import RuleViolation
from fieldvisit.imports import domain
from fieldvisit.imports import queries as imports
from fieldvisit.imports.domain import RowPlan
from fieldvisit.imports.reader import MB, ReadError
from fieldvisit.settings import Settings
from fieldvisit.web.auth import SettingsDep, UserDep, admin_only
from fieldvisit.web.forms import Errors, read_form
from fieldvisit.web.render import form_errors, page, see_other
from fieldvisit.web.security import client_address

Req = Request[Any, Any, Any]
ApiClientDep = NamedDependency[ApiPrincipal]
Scalar = float | str | bool | None


# --- the admin page ---------------------------------------------------------------------------

class ApiClientsController(Controller):
    path = "/admin/api-clients"
    guards = [admin_only]

    @get("/", name="api:clients")
    async def clients(self, request: Req, user: UserDep) -> Template:
        return page(request, "api/clients.html", clients=await queries.list_clients(user), errors=Errors(),
                    values={}, token=None)

    @post("/", name="api:client-create")
    async def create(self, request: Req, user: UserDep, settings: SettingsDep) -> Template:
        form = await read_form(request)
        try:
            client_id, token = await queries.create_client(user, form.get("name"),
                                                           ip=client_address(request, settings))
        except RuleViolation as exc:
            return form_errors(request, "api/clients.html", clients=await queries.list_clients(user),
                               errors=Errors(name=exc.message), values=form.values, token=None)
        # The token is shown on this response only (never stored, never shown again).
        return page(request, "api/clients.html", clients=await queries.list_clients(user), errors=Errors(),
                    values={}, token={"id": client_id, "name": form.get("name"), "token": token},
                    headers={"Cache-Control": "no-store"})

    @post("/{client_id:int}/revoke", name="api:client-revoke")
    async def revoke(self, request: Req, user: UserDep, settings: SettingsDep, client_id: FromPath[int]) -> Redirect:
        await queries.revoke_client(user, client_id, ip=client_address(request, settings))
        return see_other("/admin/api-clients", revoked=client_id)


# --- authentication ---------------------------------------------------------------------------

async def api_token(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """Only ``Authorization: Bearer <token>`` of a client that is not revoked; a session cookie
    never authenticates an API call."""
    scheme, _sep, token = connection.headers.get("authorization", "").partition(" ")
    client = None
    if scheme.lower() == "bearer" and token.strip():
        client = await queries.client_for_token(token.strip(), now=datetime.now(UTC))
    if client is None:
        raise NotAuthorizedException("missing, unknown or revoked API token")
    connection.scope["api_client"] = client  # type: ignore[typeddict-unknown-key]


def provide_client(request: Req) -> ApiPrincipal:
    return request.scope["api_client"]  # type: ignore[typeddict-item, no-any-return]


# --- bodies and answers (documented in the OpenAPI schema) -------------------------------------

class SiteIn(Struct):
    """One site. ``code``, ``name``, ``site_type`` are required; ``district`` (Kemendagri kab/kota
    code such as 36.71) too unless the request names one. A field left out keeps its stored value."""

    code: str | None = None
    name: str | None = None
    site_type: str | None = None
    district: str | UnsetType = UNSET
    address: str | UnsetType = UNSET
    kecamatan: str | UnsetType = UNSET
    kelurahan: str | UnsetType = UNSET
    latitude: float | str | None | UnsetType = UNSET
    longitude: float | str | None | UnsetType = UNSET
    contact_person: str | UnsetType = UNSET
    phone: str | UnsetType = UNSET


class SitesImportIn(Struct):
    sites: list[SiteIn]
    district: str | None = None  # accept only this kab/kota's sites
    round_id: int | None = None  # accept only kab/kota evaluated in this round
    dry_run: bool = False  # validate and answer the preview; write nothing


class DocumentIn(Struct):
    title: str = ""
    link: str = ""  # a URL or a file name


class IndicatorClaimIn(Struct):
    """``value``: a number, a percent ("92,5%" or unit "%") or yes/no (true, "ya", "tidak")."""

    indicator: str | None = None  # I04, or 4
    claimed_score: float | str | None = None
    value: Scalar | UnsetType = UNSET
    unit: str | UnsetType = UNSET
    max_score: float | str | None | UnsetType = UNSET
    documents: list[DocumentIn] | UnsetType = UNSET


class SiteItemClaimIn(Struct):
    site_code: str | None = None
    item: str | None = None  # checklist item code, e.g. PUSPAGA-02
    status: bool | str | None = None  # met / not met (true/false, "terpenuhi", "tidak ada" …)
    documents: list[DocumentIn] | UnsetType = UNSET


class ClaimsImportIn(Struct):
    indicator_claims: list[IndicatorClaimIn] = []
    site_item_claims: list[SiteItemClaimIn] = []
    dry_run: bool = False


class ProblemOut(Struct):
    level: str  # error | warning
    column: str
    message: str  # in the language of Accept-Language (Indonesian by default)


class ChangeOut(Struct):
    field: str
    old: str
    new: str


class RowOut(Struct):
    row: int  # 1-based position in the request's list
    sheet: str  # sites | indicator_claims | site_item_claims
    outcome: str  # new | changed | unchanged | error
    key: str
    changes: list[ChangeOut]
    problems: list[ProblemOut]


class CountsOut(Struct):
    rows: int
    new: int
    changed: int
    unchanged: int
    errors: int
    warnings: int


class SelfAssessmentOut(Struct):
    total: str
    predicate: str


class ImportOut(Struct):
    status: str  # preview (dry run) | committed | unchanged | invalid
    counts: CountsOut
    rows: list[RowOut]
    import_id: int | None = None
    self_assessment: SelfAssessmentOut | None = None
    message: str = ""


class SiteOut(Struct):
    id: int
    code: str
    name: str
    site_type: str
    address: str
    kecamatan: str
    kelurahan: str
    latitude: float | None
    longitude: float | None
    contact_person: str
    phone: str
    is_active: bool


class EvaluationOut(Struct):
    id: int
    round_id: int
    round_name: str
    year: int
    district_code: str
    district_name: str
    stage: str


class IndicatorClaimOut(Struct):
    id: int
    indicator_code: str
    value_kind: str
    value: str | None
    unit: str
    claimed_score: str
    max_score: str | None
    documents: list[DocumentIn]


class SiteItemClaimOut(Struct):
    id: int
    site_code: str
    item_code: str
    claimed_status: str
    documents: list[DocumentIn]


class ClaimsOut(Struct):
    indicator_claims: list[IndicatorClaimOut]
    site_item_claims: list[SiteItemClaimOut]
    self_assessment: SelfAssessmentOut


def _answer(rows: list[RowPlan], status: str, *, import_id: int | None = None,
            self_assessment: dict[str, Any] | None = None, message: str = "", code: int = 200) -> Response[ImportOut]:
    by_outcome = {o: sum(1 for r in rows if r.outcome == o) for o in domain.OUTCOMES}
    counts = CountsOut(rows=len(rows), new=by_outcome[domain.NEW], changed=by_outcome[domain.CHANGED],
                       unchanged=by_outcome[domain.UNCHANGED], errors=by_outcome[domain.ERROR],
                       warnings=sum(1 for r in rows if r.has_warning))
    shown = []
    for r in rows:
        described = domain.describe_row({"changes": domain.jsonable(r.changes),
                                          "problems": [p.to_json() for p in r.problems]})
        shown.append(RowOut(r.line, r.sheet, r.outcome, r.key,
                            [ChangeOut(c["field"], c["old"], c["new"]) for c in described["changes"]],
                            [ProblemOut(p["level"], p["column"], p["message"]) for p in described["problems"]]))
    assessment = SelfAssessmentOut(**self_assessment) if self_assessment else None
    return Response(ImportOut(status, counts, shown, import_id, assessment, message), status_code=code)


def _invalid(message: str) -> Response[ImportOut]:
    return Response(ImportOut("invalid", CountsOut(0, 0, 0, 0, 0, 0), [], message=message), status_code=422)


async def _run(rows: list[RowPlan], dry_run: bool, commit: Any) -> Response[ImportOut]:
    if any(r.outcome == domain.ERROR for r in rows):
        return _answer(rows, "invalid", message="some rows have errors; nothing was imported", code=422)
    if dry_run:
        return _answer(rows, "preview")
    if not any(r.outcome in (domain.NEW, domain.CHANGED) for r in rows):
        return _answer(rows, "unchanged")
    outcome = await commit()
    return _answer(rows, "committed", import_id=outcome["import_id"], self_assessment=outcome.get("self_assessment"))


IMPORT_RESPONSES = {
    422: ResponseSpec(data_container=ImportOut, description="Rows with errors (each with row, column and message), "
                                                              "or a request that is not a usable import; nothing "
                                                              "was written."),
    409: ResponseSpec(data_container=None, description="Another import into the same kab/kota was committed at the "
                                                       "same moment; nothing was written. Send the request again."),
    401: ResponseSpec(data_container=None, description="Missing, unknown or revoked API token."),
}


class ApiController(Controller):
    path = "/"
    tags = ["KLA data"]

    @get("/evaluations", name="api:evaluations", summary="District evaluations")
    async def evaluations(self) -> list[EvaluationOut]:
        return [EvaluationOut(**r) for r in await queries.evaluations()]

    @get("/evaluations/{evaluation_id:int}/sites", name="api:sites", summary="Sites of a district evaluation")
    async def sites(self, evaluation_id: FromPath[int]) -> list[SiteOut]:
        return [SiteOut(**r) for r in await queries.sites(evaluation_id)]

    @get("/evaluations/{evaluation_id:int}/claims", name="api:claims",
         summary="Claims of a district evaluation, with the self-assessment score")
    async def claims(self, evaluation_id: FromPath[int]) -> ClaimsOut:
        found = await queries.claims(evaluation_id)
        total = await imports.self_assessment(evaluation_id)
        return ClaimsOut(
            [IndicatorClaimOut(r["id"], r["indicator_code"], r["value_kind"], _text(r["value"]), r["unit"],
                               _score(r["claimed_score"]) or "0.00", _score(r["max_score"]), _documents(r["documents"]))
             for r in found["indicator_claims"]],
            [SiteItemClaimOut(r["id"], r["site_code"], r["item_code"], r["claimed_status"], _documents(r["documents"]))
             for r in found["site_item_claims"]],
            SelfAssessmentOut(str(total["total"]), total["predicate"]))

    @post("/sites/import", name="api:sites-import", summary="Import sites (all or nothing; dry_run for a preview)",
          status_code=200, responses=IMPORT_RESPONSES)
    async def import_sites(self, request: Req, data: JSONBody[SitesImportIn], api_client: ApiClientDep,
                           settings: SettingsDep) -> Response[ImportOut]:
        actor = imports.api_actor(api_client.name, client_address(request, settings))
        options = imports.SiteOptions(data.district, data.round_id)
        raw = msgspec.json.encode(data)  # UNSET fields are left out: they leave stored values alone
        try:
            table = imports.read_site_table(raw, "api.json", data.district, max_bytes=0, api=True)
            rows = await imports.plan_sites(table, options)
        except ReadError as exc:
            return _invalid(exc.text())
        except RuleViolation as exc:
            return _invalid(exc.message)

        async def commit() -> dict[str, Any]:
            limit = settings.max_import_mb * MB
            batch_id = await imports.preview_sites(actor, raw, "api.json", options, max_bytes=limit)
            return await imports.confirm(actor, batch_id, max_bytes=limit)

        return await _run(rows, data.dry_run, commit)

    @post("/evaluations/{evaluation_id:int}/claims/import", name="api:claims-import",
          summary="Import a district evaluation's claims (all or nothing; dry_run for a preview)",
          status_code=200, responses=IMPORT_RESPONSES)
    async def import_claims(self, request: Req, evaluation_id: FromPath[int], data: JSONBody[ClaimsImportIn],
                            api_client: ApiClientDep, settings: SettingsDep) -> Response[ImportOut]:
        actor = imports.api_actor(api_client.name, client_address(request, settings))
        await queries.evaluation(evaluation_id)
        raw = msgspec.json.encode(data)
        try:
            rows = await imports.plan_claims(evaluation_id, imports.read_claim_tables(raw, "api.json", max_bytes=0,
                                                                                      api=True))
        except ReadError as exc:
            return _invalid(exc.text())

        async def commit() -> dict[str, Any]:
            limit = settings.max_import_mb * MB
            batch_id = await imports.preview_claims(actor, raw, "api.json", evaluation_id, max_bytes=limit)
            return await imports.confirm(actor, batch_id, max_bytes=limit)

        return await _run(rows, data.dry_run, commit)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return format(Decimal(str(value)).normalize(), "f")


def _score(value: Any) -> str | None:
    return None if value is None else f"{Decimal(str(value)):.2f}"


def _documents(value: Any) -> list[DocumentIn]:
    return [DocumentIn(str(d.get("title", "")), str(d.get("link", ""))) for d in (value or []) if isinstance(d, dict)]


def router(settings: Settings) -> Router:
    """/api/v1: token-authenticated, in the OpenAPI schema, bodies up to MAX_IMPORT_MB."""
    return Router(
        path="/api/v1", route_handlers=[ApiController], guards=[api_token],
        dependencies={"api_client": Provide(provide_client, sync_to_thread=False)},
        opt={"public": True, "upload_limit_mb": settings.max_import_mb}, include_in_schema=True,
        request_max_body_size=settings.max_import_mb * MB, security=[{"apiToken": []}],
    )

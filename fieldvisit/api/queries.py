"""API clients (tokens) and the API's reads. An API client is a ministry-wide system actor:
it sees every district evaluation, like an admin, and is recorded as ``api:<name>``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser, token_hash
from fieldvisit.api.tables import ApiClient
from fieldvisit.audit import queries as audit
from fieldvisit.claims.tables import IndicatorClaim, SiteItemClaim
from fieldvisit.errors import NotFound, RuleViolation
from fieldvisit.rounds.tables import DistrictEvaluation
from fieldvisit.sites.tables import Site
from fieldvisit.web.i18n import _

TOKEN_PREFIX = "fvk_"
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class ApiPrincipal:
    id: int
    name: str


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def create_client(viewer: CurrentUser, name: str, *, ip: str = "") -> tuple[int, str]:
    """A new client and its token (returned once; only its sha256 is stored)."""
    if not viewer.is_admin:
        raise NotFound()
    name = " ".join(name.split())
    if not name:
        raise RuleViolation(_("Give the client a name, e.g. the application that will call the API."))
    if len(name) > 120:
        raise RuleViolation(_("Use at most 120 characters."))
    token = new_token()
    async with db.transaction():
        [row] = await ApiClient.insert(ApiClient(name=name, token_hash=token_hash(token), token_hint=token[:8],
                                                 created_by=viewer.id)).returning(ApiClient.id)
        await audit.record(viewer, "api_client.create", object_type="api_client", object_id=row["id"],
                           after={"name": name, "token_hint": token[:8]}, ip=ip)
    return int(row["id"]), token


async def list_clients(viewer: CurrentUser) -> list[dict[str, Any]]:
    if not viewer.is_admin:
        raise NotFound()
    rows = await ApiClient.select(
        ApiClient.id, ApiClient.name, ApiClient.token_hint, ApiClient.created_at, ApiClient.revoked_at,
        ApiClient.last_used_at, ApiClient.created_by.email.as_alias("created_by_email"),
    ).order_by(ApiClient.id, ascending=False)
    return sorted(rows, key=lambda r: r["revoked_at"] is not None)  # active clients first


async def revoke_client(viewer: CurrentUser, client_id: int, *, ip: str = "") -> None:
    if not viewer.is_admin:
        raise NotFound()
    row = await ApiClient.select(ApiClient.name, ApiClient.revoked_at).where(ApiClient.id == client_id).first()
    if row is None:
        raise NotFound()
    if row["revoked_at"] is not None:
        return
    async with db.transaction():
        await ApiClient.update({ApiClient.revoked_at: datetime.now(UTC)}).where(ApiClient.id == client_id)
        await audit.record(viewer, "api_client.revoke", object_type="api_client", object_id=client_id,
                           before={"name": row["name"]}, ip=ip)


async def client_for_token(token: str, *, now: datetime) -> ApiPrincipal | None:
    """The client of a bearer token, unless unknown or revoked."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = await ApiClient.select(ApiClient.id, ApiClient.name, ApiClient.revoked_at, ApiClient.last_used_at).where(
        ApiClient.token_hash == token_hash(token)).first()
    if row is None or row["revoked_at"] is not None:
        return None
    if row["last_used_at"] is None or now - row["last_used_at"] >= TOUCH_EVERY:
        await ApiClient.update({ApiClient.last_used_at: now}).where(ApiClient.id == row["id"])
    return ApiPrincipal(row["id"], row["name"])


# --- reads -----------------------------------------------------------------------------------

async def evaluations() -> list[dict[str, Any]]:
    return await DistrictEvaluation.select(
        DistrictEvaluation.id, DistrictEvaluation.stage, DistrictEvaluation.round.id.as_alias("round_id"),
        DistrictEvaluation.round.name.as_alias("round_name"), DistrictEvaluation.round.year.as_alias("year"),
        DistrictEvaluation.district.code.as_alias("district_code"),
        DistrictEvaluation.district.name.as_alias("district_name"),
    ).order_by(DistrictEvaluation.round.year, ascending=False).order_by(DistrictEvaluation.district.code)


async def evaluation(evaluation_id: int) -> dict[str, Any]:
    row = await DistrictEvaluation.select(
        DistrictEvaluation.id, DistrictEvaluation.district.id.as_alias("district_id"),
        DistrictEvaluation.district.code.as_alias("district_code"),
    ).where(DistrictEvaluation.id == evaluation_id).first()
    if row is None:
        raise NotFound()
    return row


async def sites(evaluation_id: int) -> list[dict[str, Any]]:
    found = await evaluation(evaluation_id)
    return await Site.select(
        Site.id, Site.code, Site.name, Site.site_type, Site.address, Site.kecamatan, Site.kelurahan, Site.latitude,
        Site.longitude, Site.contact_person, Site.phone, Site.is_active,
    ).where(Site.district == found["district_id"]).order_by(Site.code)


async def claims(evaluation_id: int) -> dict[str, Any]:
    await evaluation(evaluation_id)
    indicator = await IndicatorClaim.select(
        IndicatorClaim.id, IndicatorClaim.indicator_code, IndicatorClaim.value_kind, IndicatorClaim.value,
        IndicatorClaim.unit, IndicatorClaim.claimed_score, IndicatorClaim.max_score, IndicatorClaim.documents,
        IndicatorClaim.updated_at,
    ).where((IndicatorClaim.district_evaluation == evaluation_id) & IndicatorClaim.deleted_at.is_null()).order_by(
        IndicatorClaim.indicator_code).output(load_json=True)
    items = await SiteItemClaim.select(
        SiteItemClaim.id, SiteItemClaim.site.code.as_alias("site_code"), SiteItemClaim.item_code,
        SiteItemClaim.claimed_status, SiteItemClaim.documents, SiteItemClaim.updated_at,
    ).where((SiteItemClaim.district_evaluation == evaluation_id) & SiteItemClaim.deleted_at.is_null()).order_by(
        SiteItemClaim.site.code).order_by(SiteItemClaim.item_code).output(load_json=True)
    return {"indicator_claims": indicator, "site_item_claims": items}

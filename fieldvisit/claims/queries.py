"""Every query of claims, scoped like district evaluations (``rounds.queries``): a user sees the
claims of the evaluations they may see; anything else is NotFound. Only admins change claims here
(the imports change them in bulk)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser
from fieldvisit.audit import queries as audit
from fieldvisit.catalogue import queries as catalogue
from fieldvisit.claims import domain
from fieldvisit.claims.domain import SelfAssessment
from fieldvisit.claims.tables import IndicatorClaim, SiteItemClaim
from fieldvisit.errors import NotFound
from fieldvisit.rounds import queries as rounds
from fieldvisit.rounds.tables import DistrictEvaluation

INDICATOR_COLUMNS = (
    IndicatorClaim.id, IndicatorClaim.district_evaluation, IndicatorClaim.indicator_code, IndicatorClaim.value_kind,
    IndicatorClaim.value, IndicatorClaim.unit, IndicatorClaim.claimed_score, IndicatorClaim.max_score,
    IndicatorClaim.documents, IndicatorClaim.updated_at, IndicatorClaim.updated_by.name.as_alias("updated_by_name"),
)
ITEM_COLUMNS = (
    SiteItemClaim.id, SiteItemClaim.district_evaluation, SiteItemClaim.item_code, SiteItemClaim.claimed_status,
    SiteItemClaim.documents, SiteItemClaim.updated_at, SiteItemClaim.site.id.as_alias("site_id"),
    SiteItemClaim.updated_by.name.as_alias("updated_by_name"),
)


def _documents(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        if isinstance(row.get("documents"), str):
            row["documents"] = json.loads(row["documents"])
    return rows


async def indicator_claims(user: CurrentUser, evaluation_id: int) -> list[dict[str, Any]]:
    """The current (not withdrawn) indicator claims of an evaluation the user may see."""
    await rounds.get_evaluation_for_user(user, evaluation_id)
    return _documents(await IndicatorClaim.select(*INDICATOR_COLUMNS).where(
        (IndicatorClaim.district_evaluation == evaluation_id) & IndicatorClaim.deleted_at.is_null()).order_by(
        IndicatorClaim.indicator_code))


async def self_assessment(evaluation: dict[str, Any], claims: list[dict[str, Any]]) -> SelfAssessment:
    predicates = domain.as_predicates(await catalogue.predicates(evaluation["catalogue_version_id"]))
    return domain.self_assessment([Decimal(str(c["claimed_score"])) for c in claims], predicates)


async def self_assessments(user: CurrentUser, evaluations: list[dict[str, Any]]) -> dict[int, SelfAssessment]:
    """Per evaluation (rows the user may see, from ``rounds.evaluations_for``): its self-assessed total."""
    visible = set(await rounds.visible_evaluation_ids(user))
    ids = [e["id"] for e in evaluations if e["id"] in visible]
    if not ids:
        return {}
    scores: dict[int, list[Decimal]] = {i: [] for i in ids}
    for row in await IndicatorClaim.select(IndicatorClaim.district_evaluation, IndicatorClaim.claimed_score).where(
            IndicatorClaim.district_evaluation.is_in(ids) & IndicatorClaim.deleted_at.is_null()):
        scores[row["district_evaluation"]].append(Decimal(str(row["claimed_score"])))
    bands: dict[int, list[Any]] = {}
    result = {}
    for evaluation in evaluations:
        if evaluation["id"] not in scores:
            continue
        version = evaluation["catalogue_version_id"]
        if version not in bands:
            bands[version] = domain.as_predicates(await catalogue.predicates(version))
        result[evaluation["id"]] = domain.self_assessment(scores[evaluation["id"]], bands[version])
    return result


async def predicate_rows(version_id: int) -> dict[str, dict[str, Any]]:
    """code -> the predicate's row (for its names in both languages)."""
    return {r["code"]: r for r in await catalogue.predicates(version_id)}


async def claim_counts_by_site(evaluation_id: int, site_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per site: how many site-item claims it has in the evaluation, and how many claim "met"."""
    counts: dict[int, dict[str, int]] = {}
    if not site_ids:
        return counts
    for row in await SiteItemClaim.select(SiteItemClaim.site, SiteItemClaim.claimed_status).where(
            (SiteItemClaim.district_evaluation == evaluation_id) & SiteItemClaim.site.is_in(site_ids)
            & SiteItemClaim.deleted_at.is_null()):
        entry = counts.setdefault(row["site"], {"claims": 0, "met": 0})
        entry["claims"] += 1
        entry["met"] += row["claimed_status"] == domain.ClaimedStatus.MET
    return counts


async def item_claim_counts_by_indicator(evaluation: dict[str, Any]) -> dict[str, int]:
    """Per indicator code: the site-item claims of the evaluation that count for it."""
    rows = await SiteItemClaim.select(SiteItemClaim.item_code).where(
        (SiteItemClaim.district_evaluation == evaluation["id"]) & SiteItemClaim.deleted_at.is_null())
    items = await catalogue.items_by_code(evaluation["catalogue_version_id"], sorted({r["item_code"] for r in rows}))
    counts: dict[str, int] = {}
    for row in rows:
        item = items.get(row["item_code"])
        if item:
            counts[item["indicator_code"]] = counts.get(item["indicator_code"], 0) + 1
    return counts


async def site_item_claims(user: CurrentUser, site: dict[str, Any]) -> list[dict[str, Any]]:
    """A site's item claims, grouped per evaluation of its district the user may see:
    ``[{evaluation, claims: [claim + item]}]``, newest round first. ``site`` comes from
    ``sites.queries.get_site_for_user``."""
    evaluations = await rounds.scope_evaluations(user, DistrictEvaluation.select(*rounds.EVALUATION_COLUMNS).where(
        DistrictEvaluation.district == site["district_id"])).order_by(DistrictEvaluation.round.year, ascending=False)
    if not evaluations:
        raise NotFound()
    claims = _documents(await SiteItemClaim.select(*ITEM_COLUMNS).where(
        (SiteItemClaim.site == site["id"]) & SiteItemClaim.deleted_at.is_null()
        & SiteItemClaim.district_evaluation.is_in([e["id"] for e in evaluations])).order_by(SiteItemClaim.item_code))
    groups = []
    for evaluation in evaluations:
        mine = [c for c in claims if c["district_evaluation"] == evaluation["id"]]
        items = await catalogue.items_by_code(evaluation["catalogue_version_id"], [c["item_code"] for c in mine])
        for claim in mine:
            claim["item"] = items.get(claim["item_code"])
        groups.append({"evaluation": evaluation, "claims": mine})
    return groups


# --- corrections by an admin (audited with before and after) ---------------------------


async def get_indicator_claim(evaluation_id: int, indicator_code: str) -> dict[str, Any] | None:
    rows = _documents(await IndicatorClaim.select(*INDICATOR_COLUMNS, IndicatorClaim.deleted_at).where(
        (IndicatorClaim.district_evaluation == evaluation_id) & (IndicatorClaim.indicator_code == indicator_code)))
    return rows[0] if rows else None


INDICATOR_FIELDS = ("value_kind", "value", "unit", "claimed_score", "max_score", "documents")


def _comparable(value: Any) -> Any:
    return Decimal(str(value)) if isinstance(value, Decimal | float | int) and not isinstance(value, bool) else value


async def save_indicator_claim(viewer: CurrentUser, evaluation_id: int, indicator_code: str,
                               values: dict[str, Any], *, ip: str = "") -> bool:
    """Add or correct one indicator claim (a withdrawn one comes back). Returns False when
    nothing changed."""
    evaluation = await rounds.get_evaluation_for_admin(viewer, evaluation_id)
    now = datetime.now(UTC)
    async with db.transaction():
        old = await get_indicator_claim(evaluation_id, indicator_code)
        if old is not None and old["deleted_at"] is None and all(
                _comparable(old[k]) == _comparable(values[k]) for k in INDICATOR_FIELDS):
            return False
        stamp = {IndicatorClaim.updated_by: viewer.id, IndicatorClaim.updated_at: now, IndicatorClaim.deleted_at: None}
        if old is None:
            [row] = await IndicatorClaim.insert(IndicatorClaim(
                district_evaluation=evaluation_id, indicator_code=indicator_code, updated_by=viewer.id,
                updated_at=now, **values)).returning(IndicatorClaim.id)
            claim_id = row["id"]
        else:
            claim_id = old["id"]
            await IndicatorClaim.update({**{getattr(IndicatorClaim, k): v for k, v in values.items()}, **stamp}).where(
                IndicatorClaim.id == claim_id)
        await audit.record(viewer, "claim.indicator.save", object_type="indicator_claim", object_id=claim_id,
                           district_id=evaluation["district_id"], ip=ip,
                           before=_audit_values(old, INDICATOR_FIELDS, indicator_code=indicator_code),
                           after=_plain({"indicator_code": indicator_code, **values}))
    return True


def _audit_values(row: dict[str, Any] | None, fields: tuple[str, ...], **key: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    values = {**key, **{k: row[k] for k in fields}}
    if row.get("deleted_at") is not None:
        values["withdrawn"] = True
    return _plain(values)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Numbers as written (34, 92.5) whatever the engine returns (34.00 on PostgreSQL)."""
    return {k: domain.plain_number(v) if isinstance(v, Decimal | float) else v for k, v in values.items()}


async def get_site_item_claim(evaluation_id: int, site_id: int, item_code: str) -> dict[str, Any] | None:
    rows = _documents(await SiteItemClaim.select(*ITEM_COLUMNS, SiteItemClaim.deleted_at).where(
        (SiteItemClaim.district_evaluation == evaluation_id) & (SiteItemClaim.site == site_id)
        & (SiteItemClaim.item_code == item_code)))
    return rows[0] if rows else None


ITEM_FIELDS = ("claimed_status", "documents")


async def save_site_item_claim(viewer: CurrentUser, evaluation: dict[str, Any], site: dict[str, Any], item_code: str,
                               values: dict[str, Any], *, ip: str = "") -> bool:
    """Add or correct one site-item claim; ``evaluation`` and ``site`` were loaded for the admin
    and belong together (same kab/kota). Returns False when nothing changed."""
    if not viewer.is_admin or site["district_id"] != evaluation["district_id"]:
        raise NotFound()
    now = datetime.now(UTC)
    async with db.transaction():
        old = await get_site_item_claim(evaluation["id"], site["id"], item_code)
        if old is not None and old["deleted_at"] is None and all(old[k] == values[k] for k in ITEM_FIELDS):
            return False
        if old is None:
            [row] = await SiteItemClaim.insert(SiteItemClaim(
                district_evaluation=evaluation["id"], site=site["id"], item_code=item_code, updated_by=viewer.id,
                updated_at=now, **values)).returning(SiteItemClaim.id)
            claim_id = row["id"]
        else:
            claim_id = old["id"]
            await SiteItemClaim.update({**{getattr(SiteItemClaim, k): v for k, v in values.items()},
                                        SiteItemClaim.updated_by: viewer.id, SiteItemClaim.updated_at: now,
                                        SiteItemClaim.deleted_at: None}).where(SiteItemClaim.id == claim_id)
        await audit.record(viewer, "claim.site_item.save", object_type="site_item_claim", object_id=claim_id,
                           district_id=evaluation["district_id"], ip=ip,
                           before=_audit_values(old, ITEM_FIELDS, site=site["code"], item_code=item_code),
                           after={"site": site["code"], "item_code": item_code, **values})
    return True

"""Every query of visits, scoped through the district evaluation the user may see.

Who sees a visit is the evaluation's rule (``rounds.queries.scope_evaluations``): admin all,
assigned verifiers and note-takers, district staff of that kab/kota (read-only). Who may change
it (plan, check in, outcome, findings, submit) is ``domain.may_record``: admin or assigned
verifier; others who see it get Forbidden (403), those who do not see it NotFound (404).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.audit import queries as audit
from fieldvisit.catalogue.tables import ChecklistItem, SiteType
from fieldvisit.errors import Conflict, Forbidden, NotFound, RuleViolation
from fieldvisit.rounds.queries import evaluation_scope_sql, scope_evaluations
from fieldvisit.rounds.tables import Assignment, DistrictEvaluation
from fieldvisit.sites.tables import Site
from fieldvisit.visits import domain
from fieldvisit.visits.domain import Position, Progress, SaveDecision, StoredSave, VisitState
from fieldvisit.visits.forms import FindingInput, Plan
from fieldvisit.visits.tables import Finding, Visit, VisitMember
from fieldvisit.web.i18n import _

log = logging.getLogger("fieldvisit.visits")

VISIT_COLUMNS = (
    Visit.id, Visit.planned_on, Visit.mode, Visit.status, Visit.checked_in_at, Visit.check_in_latitude,
    Visit.check_in_longitude, Visit.check_in_accuracy_m, Visit.check_in_distance_m, Visit.outcome,
    Visit.outcome_note, Visit.submitted_at, Visit.created_at,
    Visit.district_evaluation.id.as_alias("evaluation_id"),
    Visit.site.id.as_alias("site_id"), Visit.site.code.as_alias("site_code"), Visit.site.name.as_alias("site_name"),
    Visit.site.site_type.as_alias("site_type"), Visit.site.address.as_alias("site_address"),
    Visit.site.kecamatan.as_alias("site_kecamatan"), Visit.site.kelurahan.as_alias("site_kelurahan"),
    Visit.site.latitude.as_alias("site_latitude"), Visit.site.longitude.as_alias("site_longitude"),
    Visit.district_evaluation.district.id.as_alias("district_id"),
    Visit.district_evaluation.district.code.as_alias("district_code"),
    Visit.district_evaluation.district.name.as_alias("district_name"),
    Visit.district_evaluation.district.time_zone.as_alias("time_zone"),
    Visit.district_evaluation.district.utc_offset.as_alias("utc_offset"),
    Visit.district_evaluation.round.name.as_alias("round_name"),
    Visit.district_evaluation.round.catalogue_version.id.as_alias("catalogue_version_id"),
)

GPS_FIELDS = ("check_in_latitude", "check_in_longitude", "check_in_accuracy_m", "check_in_distance_m")


def _scope_visits(user: CurrentUser, query: Any) -> Any:
    """Restrict a select over Visit to the evaluations ``user`` may see."""
    if user.role is Role.ADMIN:
        return query
    visible = scope_evaluations(user, DistrictEvaluation.select(DistrictEvaluation.id))
    return query.where(Visit.district_evaluation.is_in(visible))


# --- the catalogue side: checklist of a site type (immutable once loaded, so cached) ---------

_checklists: dict[tuple[int, str], dict[str, Any]] = {}


async def checklist_for(catalogue_version_id: int, site_type: str) -> dict[str, Any]:
    """The site type (names, components) and its checklist items in order.

    Catalogue versions never change once loaded (a revision is a new version), so the
    answer is kept for the life of the process."""
    key = (catalogue_version_id, site_type)
    if key in _checklists:
        return _checklists[key]
    type_row = await SiteType.select(SiteType.id, SiteType.code, SiteType.name_id, SiteType.name_en,
                                     SiteType.components).where(
        (SiteType.version == catalogue_version_id) & (SiteType.code == site_type)).first()
    items: list[dict[str, Any]] = []
    if type_row is not None:
        items = await ChecklistItem.select(
            ChecklistItem.code, ChecklistItem.component, ChecklistItem.text_id, ChecklistItem.text_en,
            ChecklistItem.evidence, ChecklistItem.wants_photo, ChecklistItem.indicator_code,
        ).where(ChecklistItem.site_type == type_row["id"]).order_by(ChecklistItem.position)
    components = _json((type_row or {}).get("components")) or []
    for item in items:
        item["evidence"] = _json(item["evidence"]) or []
    checklist = {
        "code": site_type,
        "name_id": type_row["name_id"] if type_row else site_type,
        "name_en": type_row["name_en"] if type_row else site_type,
        "components": list(components),
        "items": items,
        "by_code": {item["code"]: item for item in items},
    }
    if type_row is not None:
        _checklists[key] = checklist
    return checklist


def _json(value: Any) -> Any:
    """JSON columns come back as text on SQLite."""
    return json.loads(value) if isinstance(value, str) else value


def groups(checklist: dict[str, Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items grouped by their site type's components, in the type's order (SRA: C1-C6);
    a type without components is one group without a heading."""
    components = checklist["components"]
    if not components:
        return [{"code": "", "name": "", "items": items}]
    result = []
    for component in components:
        members = [i for i in items if i["component"] == component["code"]]
        if members:
            result.append({"code": component["code"], "name": component.get("name_id") or "", "items": members})
    loose = [i for i in items if i["component"] not in {c["code"] for c in components}]
    if loose:
        result.append({"code": "", "name": "", "items": loose})
    return result


# --- loading a visit with permission ------------------------------------------------------------


# The visit with its site, district and round in one statement, if the user may see it. Written
# as SQL because it is on every visit request (each finding save and photo): Piccolo's builder
# spent ~2.5 ms of CPU per call on these joins, the statement itself ~0.3 ms. Who may see it is
# the evaluation's rule (``rounds.queries.evaluation_scope_sql``, the twin of scope_evaluations).
_VISIT_SQL = """
SELECT v.id, v.planned_on, v.mode, v.status, v.checked_in_at, v.check_in_latitude, v.check_in_longitude,
       v.check_in_accuracy_m, v.check_in_distance_m, v.outcome, v.outcome_note, v.submitted_at, v.created_at,
       v.district_evaluation AS evaluation_id, s.id AS site_id, s.code AS site_code, s.name AS site_name,
       s.site_type AS site_type, s.address AS site_address, s.kecamatan AS site_kecamatan,
       s.kelurahan AS site_kelurahan, s.latitude AS site_latitude, s.longitude AS site_longitude,
       d.id AS district_id, d.code AS district_code, d.name AS district_name, d.time_zone AS time_zone,
       d.utc_offset AS utc_offset, r.id AS round_id, r.name AS round_name,
       r.catalogue_version AS catalogue_version_id
FROM visit v
JOIN site s ON s.id = v.site
JOIN district_evaluation de ON de.id = v.district_evaluation
JOIN region d ON d.id = de.district
JOIN evaluation_round r ON r.id = de.round
WHERE v.id = {}
"""


async def get_visit_for_user(user: CurrentUser, visit_id: int) -> dict[str, Any]:
    """The visit, if ``user`` may see it; else NotFound. Adds ``can_record`` and
    ``can_see_gps`` and drops the check-in coordinates for those who may not see them."""
    scope, args = evaluation_scope_sql(user, "v.district_evaluation")
    rows = await db.raw_rows(f"{_VISIT_SQL} AND {scope}", visit_id, *args)
    if not rows:
        raise NotFound()
    row = rows[0]
    row["can_record"] = domain.may_record(user.role)
    row["can_see_gps"] = domain.may_see_gps(user.role)
    if not row["can_see_gps"]:
        for key in GPS_FIELDS:
            row[key] = None
    row["maps"] = domain.maps_links(row["site_latitude"], row["site_longitude"], row["site_name"])
    return row


async def get_visit_for_recording(user: CurrentUser, visit_id: int) -> dict[str, Any]:
    """The visit, if ``user`` may record on it: NotFound when not visible, Forbidden when
    read-only (note-takers, district staff)."""
    visit = await get_visit_for_user(user, visit_id)
    if not visit["can_record"]:
        raise Forbidden(_("Only the evaluation's verifiers and admins record on a visit."))
    return visit


def state_of(visit: dict[str, Any]) -> VisitState:
    return VisitState(checked_in=visit["checked_in_at"] is not None, outcome=visit["outcome"],
                      submitted=visit["submitted_at"] is not None)


async def team_of(visit_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not visit_ids:
        return {}
    rows = await VisitMember.select(VisitMember.visit, VisitMember.user.id.as_alias("user_id"),
                                    VisitMember.user.name.as_alias("name")).where(
        VisitMember.visit.is_in(visit_ids)).order_by(VisitMember.user.name)
    team: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        team.setdefault(row["visit"], []).append({"id": row["user_id"], "name": row["name"]})
    return team


async def site_claims(evaluation_id: int, site_id: int) -> dict[str, dict[str, Any]]:
    """The district's site-item claims for one site: item code -> claim (so the verifier
    knows what to check). Raw SQL: it is on every finding save."""
    rows = await db.raw_rows(
        "SELECT id, item_code, claimed_status, documents FROM site_item_claim WHERE district_evaluation = {} "
        "AND site = {} AND deleted_at IS NULL ORDER BY item_code", evaluation_id, site_id)
    return {row["item_code"]: row for row in rows}


_FINDINGS_SQL = """
SELECT f.id, f.item_code, f.version, f.client_uuid, f.result, f.note, f.saved_at,
       u.id AS saved_by_id, u.name AS saved_by_name
FROM finding f JOIN app_user u ON u.id = f.saved_by
WHERE f.visit = {}"""


async def visit_findings(visit_id: int, item_code: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every saved version of the visit's findings: item code -> versions, newest first."""
    order = " ORDER BY f.item_code, f.version DESC"
    if item_code is None:
        rows = await db.raw_rows(_FINDINGS_SQL + order, visit_id)
    else:
        rows = await db.raw_rows(_FINDINGS_SQL + " AND f.item_code = {}" + order, visit_id, item_code)
    versions: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        versions.setdefault(row["item_code"], []).append(row)
    return versions


async def visit_progress(visit: dict[str, Any], checklist: dict[str, Any]) -> Progress:
    rows = await Finding.select(Finding.item_code).where(Finding.visit == visit["id"]).distinct()
    return domain.progress([i["code"] for i in checklist["items"]], {r["item_code"] for r in rows})


def item_view(item: dict[str, Any], claim: dict[str, Any] | None, versions: list[dict[str, Any]],
              visit: dict[str, Any], next_uuid: uuid.UUID) -> dict[str, Any]:
    """One checklist item as the visit page shows it: claim, current version, history."""
    submitted_at = visit["submitted_at"]
    history = [{**v, "after_submit": submitted_at is not None and v["saved_at"] > submitted_at} for v in versions]
    return {**item, "claim": claim, "current": history[0] if history else None, "history": history,
            "next_uuid": next_uuid}


async def visit_page(user: CurrentUser, visit: dict[str, Any]) -> dict[str, Any]:
    """Everything the visit page shows, for a visit already loaded with permission."""
    checklist = await checklist_for(visit["catalogue_version_id"], visit["site_type"])
    claims = await site_claims(visit["evaluation_id"], visit["site_id"])
    findings = await visit_findings(visit["id"])
    items = [item_view(item, claims.get(item["code"]), findings.get(item["code"], []), visit, uuid.uuid4())
             for item in checklist["items"]]
    answered = {code for code in findings}
    claim_rows = [{**claim, "item": checklist["by_code"].get(code)} for code, claim in claims.items()]
    return {
        "checklist": checklist,
        "groups": groups(checklist, items),
        "claims": claim_rows,
        "progress": domain.progress([i["code"] for i in checklist["items"]], answered),
        "team": (await team_of([visit["id"]])).get(visit["id"], []),
        "state": state_of(visit),
    }


async def item_block(user: CurrentUser, visit: dict[str, Any], item_code: str,
                     next_uuid: uuid.UUID | None = None) -> dict[str, Any]:
    """The context of one item's block (after a save): the item and the visit's progress."""
    checklist = await checklist_for(visit["catalogue_version_id"], visit["site_type"])
    item = checklist["by_code"][item_code]
    claims = await site_claims(visit["evaluation_id"], visit["site_id"])
    findings = await visit_findings(visit["id"])  # the item's history and, from its keys, the progress
    progress = domain.progress([i["code"] for i in checklist["items"]], set(findings))
    return {"item": item_view(item, claims.get(item_code), findings.get(item_code, []), visit,
                              next_uuid or uuid.uuid4()),
            "progress": progress, "state": state_of(visit)}


async def checklist_item(visit: dict[str, Any], item_code: str) -> dict[str, Any]:
    """The checklist item of the visit's site type, or RuleViolation (422) with a message."""
    checklist = await checklist_for(visit["catalogue_version_id"], visit["site_type"])
    item = checklist["by_code"].get(item_code)
    if item is None:
        raise RuleViolation(
            _("Item %(item)s is not on the checklist of this site's type (%(type)s).")
            % {"item": item_code, "type": visit["site_type"]},
            title=_("Not an item of this site"))
    return item


# --- findings: idempotent, versioned, concurrent-safe -------------------------------------------


@dataclass(frozen=True)
class SavedFinding:
    id: int
    version: int
    client_uuid: uuid.UUID
    replay: bool  # the same save again: nothing changed


UNIQUE_VIOLATIONS = (asyncpg.exceptions.UniqueViolationError, sqlite3.IntegrityError)


async def save_finding(user: CurrentUser, visit: dict[str, Any], item_code: str, data: FindingInput, *,
                       now: datetime, ip: str = "") -> SavedFinding:
    """Save one version of an item's result.

    The client's UUID names the save: the same UUID with the same content answers the first
    save again (nothing written); with other content it is a Conflict (409). Otherwise the
    save becomes the next version of (visit, item). Concurrent saves are serialised on the
    visit (a row lock on PostgreSQL, the IMMEDIATE write lock on SQLite); should two still
    race (the same UUID at once on two visits), the unique constraints refuse one and the
    save is decided again from what is stored."""
    assert data.client_uuid is not None
    digest = domain.content_hash(item_code, data.result, data.note)
    for attempt in range(3):
        try:
            return await _save_finding_once(user, visit, item_code, data, digest, now=now, ip=ip)
        except UNIQUE_VIOLATIONS:
            if attempt == 2:
                raise
            log.info("finding save collided on visit %s item %s; deciding again", visit["id"], item_code)
    raise AssertionError("unreachable")


# What a save needs to know, in one statement: the version its UUID already names (if any) and
# the current version of (visit, item).
_PRIOR_SQL = """
SELECT id, visit, item_code, version, content_hash, saved_at, client_uuid FROM finding
WHERE client_uuid = {}
   OR id = (SELECT id FROM finding WHERE visit = {} AND item_code = {} ORDER BY version DESC LIMIT 1)"""


# The visit's state, locked (PostgreSQL) so that saves of one visit are serialised: SQLite's
# IMMEDIATE transaction already holds the write lock.
_VISIT_STATE_SQL = "SELECT checked_in_at, outcome FROM visit WHERE id = {}"


async def _save_finding_once(user: CurrentUser, visit: dict[str, Any], item_code: str, data: FindingInput,
                             digest: str, *, now: datetime, ip: str) -> SavedFinding:
    async with db.transaction():
        [current] = await db.raw_records(_VISIT_STATE_SQL if db.is_sqlite() else _VISIT_STATE_SQL + " FOR UPDATE",
                                         visit["id"])
        prior = await db.raw_records(_PRIOR_SQL, data.client_uuid, visit["id"], item_code)
        stored = next((r for r in prior if str(r["client_uuid"]) == str(data.client_uuid)), None)
        decision = domain.decide_save(
            StoredSave(stored["visit"], stored["item_code"], stored["content_hash"]) if stored else None,
            visit_id=visit["id"], item_code=item_code, digest=digest)
        if stored is not None and decision is SaveDecision.REPLAY:
            return SavedFinding(stored["id"], stored["version"], data.client_uuid, replay=True)
        if decision is SaveDecision.CONFLICT:
            raise Conflict(_("This save was already recorded with a different result or note, so nothing was "
                             "changed. Reload the page to see the current answer, then save again."),
                           title=_("Already saved differently"))
        problem = domain.finding_problem(VisitState(current["checked_in_at"] is not None, current["outcome"]))
        if problem:
            raise RuleViolation(problem)
        latest = max((r for r in prior if (r["visit"], r["item_code"]) == (visit["id"], item_code)),
                     key=lambda r: r["version"], default=None)
        version = domain.next_version(latest["version"] if latest else None)
        # A request that waited for the lock keeps history in version order.
        saved_at = max(now, latest["saved_at"]) if latest else now
        finding_id = await db.insert_row_with_event("finding", {
            "visit": visit["id"], "site": visit["site_id"], "district_evaluation": visit["evaluation_id"],
            "item_code": item_code, "version": version, "client_uuid": data.client_uuid, "result": data.result,
            "note": data.note, "content_hash": digest, "saved_by": user.id, "saved_at": saved_at,
        }, audit.event_values(user, "visits.finding", object_type="finding", district_id=visit["district_id"], ip=ip,
                              after={"visit": visit["id"], "item": item_code, "version": version,
                                     "result": data.result, "note": data.note,
                                     "client_uuid": str(data.client_uuid)}))
    return SavedFinding(finding_id, version, data.client_uuid, replay=False)


# --- check-in, outcome, submit -------------------------------------------------------------------


async def check_in(user: CurrentUser, visit: dict[str, Any], position: Position | None, *, now: datetime,
                   ip: str = "") -> bool:
    """Record the check-in (time, the browser's position if any, distance to the site).
    The first check-in counts: the visit's time window starts there. Returns False when the
    visit was already checked in."""
    distance = domain.check_in_distance(visit["site_latitude"], visit["site_longitude"], position)
    values = {
        Visit.checked_in_at: now, Visit.status: "in_progress",
        Visit.check_in_latitude: position.latitude if position else None,
        Visit.check_in_longitude: position.longitude if position else None,
        Visit.check_in_accuracy_m: position.accuracy_m if position else None,
        Visit.check_in_distance_m: distance,
    }
    async with db.transaction():
        done = await Visit.update(values).where(
            (Visit.id == visit["id"]) & Visit.checked_in_at.is_null()).returning(Visit.id)
        if not done:
            return False
        if not await VisitMember.exists().where((VisitMember.visit == visit["id"]) & (VisitMember.user == user.id)):
            if user.role is Role.VERIFIER:  # who was there is on the team
                await VisitMember.insert(VisitMember(visit=visit["id"], user=user.id))
        await audit.record(user, "visits.check_in", object_type="visit", object_id=visit["id"],
                           district_id=visit["district_id"], ip=ip,
                           after={"at": now, "latitude": values[Visit.check_in_latitude],
                                  "longitude": values[Visit.check_in_longitude],
                                  "accuracy_m": values[Visit.check_in_accuracy_m], "distance_m": distance})
    return True


async def set_outcome(user: CurrentUser, visit: dict[str, Any], outcome: str, note: str, *, now: datetime,
                      ip: str = "") -> bool:
    """Record what was found at the address. Returns False when nothing changed."""
    if visit["checked_in_at"] is None:
        raise RuleViolation(_("Check in first: the visit's time window starts at check-in."))
    before = {"outcome": visit["outcome"], "note": visit["outcome_note"]}
    if before == {"outcome": outcome, "note": note}:
        return False
    async with db.transaction():
        await Visit.update({Visit.outcome: outcome, Visit.outcome_note: note}).where(Visit.id == visit["id"])
        await audit.record(user, "visits.outcome", object_type="visit", object_id=visit["id"],
                           district_id=visit["district_id"], ip=ip, before=before,
                           after={"outcome": outcome, "note": note, "at": now})
    return True


async def submit(user: CurrentUser, visit: dict[str, Any], *, now: datetime, ip: str = "") -> bool:
    """Mark the visit complete (its time window ends here). A second submit changes nothing;
    later changes to findings become new versions. RuleViolation lists what is missing."""
    checklist = await checklist_for(visit["catalogue_version_id"], visit["site_type"])
    problems = domain.submit_problems(state_of(visit), await visit_progress(visit, checklist))
    if problems:
        raise RuleViolation(" ".join(problems), title=_("The visit cannot be submitted yet"))
    async with db.transaction():
        done = await Visit.update({Visit.submitted_at: now, Visit.status: "submitted"}).where(
            (Visit.id == visit["id"]) & Visit.submitted_at.is_null()).returning(Visit.id)
        if done:
            await audit.record(user, "visits.submit", object_type="visit", object_id=visit["id"],
                               district_id=visit["district_id"], ip=ip,
                               after={"at": now, "outcome": visit["outcome"]})
    return bool(done)


# --- planning ------------------------------------------------------------------------------------


def may_plan(user: CurrentUser) -> bool:
    return domain.may_record(user.role)


async def plan_choices(evaluation: dict[str, Any]) -> dict[str, Any]:
    """The district's active sites (with how often they were visited in this evaluation) and
    the evaluation's verifiers, for the plan form."""
    sites = await Site.select(Site.id, Site.code, Site.name, Site.site_type, Site.address).where(
        (Site.district == evaluation["district_id"]) & (Site.is_active == True)  # noqa: E712 - Piccolo expression
    ).order_by(Site.site_type).order_by(Site.name)
    visited = await visited_site_ids(evaluation["id"])
    planned = {r["site"] for r in await Visit.select(Visit.site).where(
        Visit.district_evaluation == evaluation["id"])}
    for site in sites:
        site["visited"] = site["id"] in visited
        site["planned"] = site["id"] in planned
    verifiers = await Assignment.select(Assignment.user.id.as_alias("id"), Assignment.user.name.as_alias("name")).where(
        (Assignment.district_evaluation == evaluation["id"]) & (Assignment.user.role == Role.VERIFIER.value)
        & (Assignment.user.is_active == True)  # noqa: E712
    ).order_by(Assignment.user.name)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for site in sites:
        by_type.setdefault(site["site_type"], []).append(site)
    type_names = {}
    for code in by_type:
        checklist = await checklist_for(evaluation["catalogue_version_id"], code)
        type_names[code] = {"id": checklist["name_id"], "en": checklist["name_en"]}
    return {"sites": sites, "sites_by_type": by_type, "type_names": type_names, "verifiers": verifiers}


@dataclass(frozen=True)
class PlanResult:
    created: int
    skipped: int  # already planned for that day and mode


async def plan_visits(user: CurrentUser, evaluation: dict[str, Any], plan: Plan, *, ip: str = "") -> PlanResult:
    """One visit per chosen site on the chosen day, with the chosen team. A site already
    planned for that day and mode is skipped (planning twice does not double it)."""
    if not may_plan(user):
        raise Forbidden()
    assert plan.planned_on is not None
    created = skipped = 0
    async with db.transaction():
        existing = {r["site"] for r in await Visit.select(Visit.site).where(
            (Visit.district_evaluation == evaluation["id"]) & (Visit.planned_on == plan.planned_on)
            & (Visit.mode == plan.mode))}
        for site_id in plan.site_ids:
            if site_id in existing:
                skipped += 1
                continue
            [row] = await Visit.insert(Visit(district_evaluation=evaluation["id"], site=site_id,
                                             planned_on=plan.planned_on, mode=plan.mode, status="planned",
                                             created_by=user.id)).returning(Visit.id)
            await VisitMember.insert(*[VisitMember(visit=row["id"], user=member) for member in plan.team_ids])
            await audit.record(user, "visits.plan", object_type="visit", object_id=row["id"],
                               district_id=evaluation["district_id"], ip=ip,
                               after={"site": site_id, "planned_on": plan.planned_on, "mode": plan.mode,
                                      "team": plan.team_ids})
            created += 1
    return PlanResult(created, skipped)


async def evaluation_visits(evaluation_id: int) -> list[dict[str, Any]]:
    """The visits of an evaluation the caller has already loaded with permission, newest day first."""
    rows = await Visit.select(
        Visit.id, Visit.planned_on, Visit.mode, Visit.status, Visit.outcome, Visit.submitted_at,
        Visit.site.id.as_alias("site_id"), Visit.site.name.as_alias("site_name"),
        Visit.site.site_type.as_alias("site_type"),
    ).where(Visit.district_evaluation == evaluation_id).order_by(Visit.planned_on, ascending=False).order_by(
        Visit.site.name)
    team = await team_of([r["id"] for r in rows])
    for row in rows:
        row["team"] = team.get(row["id"], [])
    return rows


# --- the verifier's day --------------------------------------------------------------------------


async def my_visits(user: CurrentUser, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """The user's visits (as a team member) for today, upcoming and recent, each in its
    district's time zone, with the site's address and map links."""
    mine = VisitMember.select(VisitMember.visit).where(VisitMember.user == user.id)
    earliest = now.date() - timedelta(days=domain.RECENT_DAYS + 1)
    query = _scope_visits(user, Visit.select(*VISIT_COLUMNS).where(
        Visit.id.is_in(mine) & (Visit.planned_on >= earliest)))
    rows = await query.order_by(Visit.planned_on).order_by(Visit.site.name)
    types = await _site_type_names(rows)
    buckets: dict[str, list[dict[str, Any]]] = {"today": [], "upcoming": [], "recent": []}
    for row in rows:
        bucket = domain.day_bucket(row["planned_on"], domain.local_today(now, row["utc_offset"] or "+07:00"))
        if bucket is None:
            continue
        row["maps"] = domain.maps_links(row["site_latitude"], row["site_longitude"], row["site_name"])
        row["site_type_name"] = types.get((row["catalogue_version_id"], row["site_type"]), row["site_type"])
        buckets[bucket].append(row)
    buckets["recent"].reverse()  # most recent first
    return buckets


async def _site_type_names(rows: list[dict[str, Any]]) -> dict[tuple[int, str], dict[str, str]]:
    names = {}
    for key in {(r["catalogue_version_id"], r["site_type"]) for r in rows}:
        checklist = await checklist_for(*key)
        names[key] = {"id": checklist["name_id"], "en": checklist["name_en"]}
    return names


async def site_type_name(visit: dict[str, Any]) -> dict[str, str]:
    checklist = await checklist_for(visit["catalogue_version_id"], visit["site_type"])
    return {"id": checklist["name_id"], "en": checklist["name_en"]}


# --- for other capabilities (sites list, reconciliation); the caller has checked access -------------


async def visited_site_ids(evaluation_id: int) -> set[int]:
    """Sites of the evaluation with a checked-in visit (the sites list's "visited" filter)."""
    rows = await Visit.select(Visit.site).where(
        (Visit.district_evaluation == evaluation_id) & Visit.checked_in_at.is_not_null())
    return {r["site"] for r in rows}


async def current_findings(evaluation_id: int) -> list[dict[str, Any]]:
    """The current (highest) version of every (visit, item) of an evaluation, with its visit's
    outcome: what reconciliation compares with the claims. Oldest visit first, so a caller
    keeping the last per (site, item) keeps the latest visit's."""
    rows = await Finding.select(
        Finding.id, Finding.visit, Finding.site, Finding.item_code, Finding.version, Finding.result, Finding.note,
        Finding.saved_at, Finding.saved_by, Finding.visit.outcome.as_alias("visit_outcome"),
        Finding.visit.submitted_at.as_alias("visit_submitted_at"),
    ).where(Finding.district_evaluation == evaluation_id).order_by(Finding.visit).order_by(
        Finding.item_code).order_by(Finding.version, ascending=False)
    current: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        current.setdefault((row["visit"], row["item_code"]), row)
    return list(current.values())


async def site_outcomes(evaluation_id: int) -> list[dict[str, Any]]:
    """Visits of an evaluation with an outcome (``domain.SITE_ABSENT`` feeds "site not found")."""
    return await Visit.select(Visit.id, Visit.site, Visit.outcome, Visit.outcome_note, Visit.checked_in_at,
                              Visit.submitted_at).where(
        (Visit.district_evaluation == evaluation_id) & Visit.outcome.is_not_null()).order_by(Visit.id)


def today_in(evaluation: dict[str, Any], now: datetime) -> date:
    return domain.local_today(now, evaluation.get("utc_offset") or "+07:00")


# --- the findings export ---------------------------------------------------------------------------

_EXPORT_SQL = """
SELECT f.id, f.item_code, f.result, f.note, f.saved_at, s.code AS site_code, s.name AS site_name,
       s.site_type, st.name_id AS site_type_id, st.name_en AS site_type_en, i.text_id, i.text_en, v.mode,
       CASE WHEN v.check_in_latitude IS NULL THEN 0 ELSE 1 END AS located, u.name AS saved_by_name,
       (SELECT COUNT(*) FROM photo p WHERE p.district_evaluation = f.district_evaluation AND p.visit = f.visit
        AND p.item_code = f.item_code) AS photos
FROM finding f JOIN visit v ON v.id = f.visit JOIN site s ON s.id = f.site JOIN app_user u ON u.id = f.saved_by
LEFT JOIN catalogue_site_type st ON st.version = {} AND st.code = s.site_type
LEFT JOIN catalogue_checklist_item i ON i.version = {} AND i.code = f.item_code
WHERE f.district_evaluation = {} AND f.id > {}
  AND NOT EXISTS (SELECT 1 FROM finding n WHERE n.visit = f.visit AND n.item_code = f.item_code
                  AND n.version > f.version)
ORDER BY f.id LIMIT {}"""


async def findings_for_export(evaluation: dict[str, Any], *, after_id: int, limit: int) -> list[dict[str, Any]]:
    """One batch of an evaluation's current findings (the highest version of each visit and
    item), keyset by id, with what the export shows: site, item words, the visit's mode and
    whether its check-in recorded a location (never the coordinates), the photo count and who
    saved it. The caller has checked access (``get_evaluation_for_user``)."""
    version = evaluation["catalogue_version_id"]
    return await Finding.raw(_EXPORT_SQL, version, version, evaluation["id"], after_id, int(limit))

"""Rounds and district evaluations, and the access rule every district-scoped query builds on:

- admin: every district evaluation;
- verifier, note-taker: the district evaluations they are assigned to;
- district staff: the evaluations of their own kab/kota.
Anything else is NotFound (404), never Forbidden.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from piccolo.query import Select

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.accounts.tables import User
from fieldvisit.audit import queries as audit
from fieldvisit.errors import NotFound, RuleViolation
from fieldvisit.regions.tables import Region
from fieldvisit.rounds.domain import TEAM_ROLES, Stage, team_problem
from fieldvisit.rounds.tables import Assignment, DistrictEvaluation, Round, Tolerance
from fieldvisit.web.i18n import _

EVALUATION_COLUMNS = (
    DistrictEvaluation.id, DistrictEvaluation.stage, DistrictEvaluation.field_mode,
    DistrictEvaluation.field_starts_on, DistrictEvaluation.field_ends_on,
    DistrictEvaluation.round.id.as_alias("round_id"), DistrictEvaluation.round.name.as_alias("round_name"),
    DistrictEvaluation.round.year.as_alias("round_year"),
    DistrictEvaluation.round.catalogue_version.id.as_alias("catalogue_version_id"),
    DistrictEvaluation.round.catalogue_version.code.as_alias("catalogue_version_code"),
    DistrictEvaluation.round.response_days.as_alias("response_days"),
    DistrictEvaluation.round.notetakers_may_promote.as_alias("notetakers_may_promote"),
    DistrictEvaluation.district.id.as_alias("district_id"), DistrictEvaluation.district.code.as_alias("district_code"),
    DistrictEvaluation.district.name.as_alias("district_name"),
    DistrictEvaluation.district.time_zone.as_alias("time_zone"),
    DistrictEvaluation.district.utc_offset.as_alias("utc_offset"),
)


def scope_evaluations(user: CurrentUser, query: Select) -> Select:
    """Restrict a select over DistrictEvaluation to what ``user`` may see."""
    if user.role is Role.ADMIN:
        return query
    if user.role is Role.DISTRICT:
        return query.where(DistrictEvaluation.district == user.district_id)
    assigned = Assignment.select(Assignment.district_evaluation).where(Assignment.user == user.id)
    return query.where(DistrictEvaluation.id.is_in(assigned))


def evaluation_scope_sql(user: CurrentUser, column: str) -> tuple[str, list[Any]]:
    """The rule of :func:`scope_evaluations` as a condition on ``column`` (a district evaluation
    id) with ``{}`` placeholders and their values, for the raw SQL of hot paths (the visit of
    every finding save): one statement instead of the row and then its permission."""
    if user.role is Role.ADMIN:
        return "1 = 1", []
    if user.role is Role.DISTRICT:
        return f"{column} IN (SELECT id FROM district_evaluation WHERE district = {{}})", [  # noqa: S608 - a column name
            user.district_id]
    return f'{column} IN (SELECT district_evaluation FROM assignment WHERE "user" = {{}})', [user.id]  # noqa: S608


async def sees_evaluation(user: CurrentUser, evaluation_id: int) -> bool:
    """Whether ``user`` may see the district evaluation (the rule of scope_evaluations)."""
    if user.role is Role.ADMIN:
        return True
    query = scope_evaluations(user, DistrictEvaluation.select(DistrictEvaluation.id).where(
        DistrictEvaluation.id == evaluation_id))
    return await query.first() is not None


async def visible_evaluation_ids(user: CurrentUser) -> list[int]:
    rows = await scope_evaluations(user, DistrictEvaluation.select(DistrictEvaluation.id))
    return [r["id"] for r in rows]


async def evaluations_for(user: CurrentUser) -> list[dict[str, Any]]:
    query = scope_evaluations(user, DistrictEvaluation.select(*EVALUATION_COLUMNS))
    return await query.order_by(DistrictEvaluation.round.year, ascending=False).order_by(
        DistrictEvaluation.district.code)


async def get_evaluation_for_user(user: CurrentUser, evaluation_id: int) -> dict[str, Any]:
    """The district evaluation, if ``user`` may see it; else NotFound."""
    query = scope_evaluations(user, DistrictEvaluation.select(*EVALUATION_COLUMNS).where(
        DistrictEvaluation.id == evaluation_id))
    row = await query.first()
    if row is None:
        raise NotFound()
    return row


async def is_on_team(user: CurrentUser, evaluation_id: int) -> bool:
    """An assigned verifier or note-taker (admins count as on every team)."""
    if user.is_admin:
        return True
    if user.role not in (Role.VERIFIER, Role.NOTETAKER):
        return False
    return await Assignment.exists().where(
        (Assignment.user == user.id) & (Assignment.district_evaluation == evaluation_id))


# --- administration (admins only) ------------------------------------------------------


def _require_admin(viewer: CurrentUser) -> None:
    if not viewer.is_admin:
        raise NotFound()


ROUND_COLUMNS = (
    Round.id, Round.name, Round.year, Round.starts_on, Round.ends_on, Round.response_days,
    Round.notetakers_may_promote, Round.closed_at, Round.created_at,
    Round.catalogue_version.id.as_alias("catalogue_version_id"),
    Round.catalogue_version.code.as_alias("catalogue_version_code"),
    Round.catalogue_version.name.as_alias("catalogue_version_name"),
)
AUDITED_ROUND_FIELDS = ("name", "year", "catalogue_version", "starts_on", "ends_on", "response_days",
                        "notetakers_may_promote")


async def list_rounds(viewer: CurrentUser) -> list[dict[str, Any]]:
    """Every round, newest first, with how many district evaluations it has."""
    _require_admin(viewer)
    rounds = await Round.select(*ROUND_COLUMNS).order_by(Round.year, ascending=False).order_by(
        Round.id, ascending=False)
    counts: dict[int, int] = {}
    for row in await DistrictEvaluation.select(DistrictEvaluation.round):
        counts[row["round"]] = counts.get(row["round"], 0) + 1
    for row in rounds:
        row["evaluation_count"] = counts.get(row["id"], 0)
    return rounds


async def get_round_for_admin(viewer: CurrentUser, round_id: int) -> dict[str, Any]:
    _require_admin(viewer)
    row = await Round.select(*ROUND_COLUMNS).where(Round.id == round_id).first()
    if row is None:
        raise NotFound()
    return row


async def round_for_export(viewer: CurrentUser, round_id: int) -> tuple[str, list[int]]:
    """A round's name and the ids of its district evaluations (by kab/kota code), for a
    whole-round export: admins only (anyone else, and a round that does not exist, NotFound)."""
    _require_admin(viewer)
    row = await Round.select(Round.name).where(Round.id == round_id).first()
    if row is None:
        raise NotFound()
    rows = await DistrictEvaluation.select(DistrictEvaluation.id).where(DistrictEvaluation.round == round_id).order_by(
        DistrictEvaluation.district.code).order_by(DistrictEvaluation.id)
    return row["name"], [r["id"] for r in rows]


async def round_name_taken(name: str, *, except_id: int | None = None) -> bool:
    query = Round.exists().where(Round.name == name)
    if except_id is not None:
        query = query.where(Round.id != except_id)
    return await query


def _round_values(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], "year": row["year"], "catalogue_version": row["catalogue_version_id"],
            "starts_on": row["starts_on"], "ends_on": row["ends_on"], "response_days": row["response_days"],
            "notetakers_may_promote": row["notetakers_may_promote"]}


async def create_round(viewer: CurrentUser, values: dict[str, Any], *, ip: str = "") -> int:
    _require_admin(viewer)
    async with db.transaction():
        [row] = await Round.insert(Round(**values)).returning(Round.id)
        await audit.record(viewer, "round.create", object_type="round", object_id=row["id"], after=values, ip=ip)
    return int(row["id"])


async def round_has_claims(round_id: int) -> bool:
    from fieldvisit.claims.tables import IndicatorClaim, SiteItemClaim

    evaluations = DistrictEvaluation.select(DistrictEvaluation.id).where(DistrictEvaluation.round == round_id)
    return (await IndicatorClaim.exists().where(IndicatorClaim.district_evaluation.is_in(evaluations))
            or await SiteItemClaim.exists().where(SiteItemClaim.district_evaluation.is_in(evaluations)))


async def update_round(viewer: CurrentUser, round_id: int, values: dict[str, Any], *, ip: str = "") -> None:
    """Save a round. Its catalogue version is fixed once claims name its codes."""
    before = _round_values(await get_round_for_admin(viewer, round_id))
    if values["catalogue_version"] != before["catalogue_version"] and await round_has_claims(round_id):
        raise RuleViolation(_("This round already has claims made against its catalogue version; "
                              "the version can no longer change."))
    changed = {k: v for k, v in values.items() if before[k] != v}
    if not changed:
        return
    async with db.transaction():
        await Round.update({getattr(Round, k): v for k, v in changed.items()}).where(Round.id == round_id)
        await audit.record(viewer, "round.update", object_type="round", object_id=round_id, ip=ip,
                           before={k: before[k] for k in changed}, after=changed)


async def evaluations_of_round(viewer: CurrentUser, round_id: int) -> list[dict[str, Any]]:
    _require_admin(viewer)
    rows = await DistrictEvaluation.select(*EVALUATION_COLUMNS).where(
        DistrictEvaluation.round == round_id).order_by(DistrictEvaluation.district.code)
    members = await Assignment.select(Assignment.district_evaluation, Assignment.role).where(
        Assignment.district_evaluation.is_in([r["id"] for r in rows] or [0]))
    for row in rows:
        row["verifiers"] = sum(1 for m in members if m["district_evaluation"] == row["id"] and m["role"] == "verifier")
        row["notetakers"] = sum(1 for m in members if m["district_evaluation"] == row["id"] and m["role"] == "notetaker")
    return rows


async def districts_for(codes: list[str], province: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The kab/kota rows for ``codes`` and every kab/kota of ``province``; and the codes not found."""
    found: dict[str, dict[str, Any]] = {}
    if codes:
        for row in await Region.select(Region.id, Region.code, Region.name).where(
                Region.code.is_in(codes) & (Region.level != "province")):
            found[row["code"]] = row
    unknown = [code for code in codes if code not in found]
    if province:
        for row in await Region.select(Region.id, Region.code, Region.name).where(
                (Region.province_code == province) & (Region.level != "province")):
            found[row["code"]] = row
    return sorted(found.values(), key=lambda r: r["code"]), unknown


async def add_districts(viewer: CurrentUser, round_id: int, districts: list[dict[str, Any]], *,
                        ip: str = "") -> tuple[list[str], list[str]]:
    """Add a district evaluation for each kab/kota not yet in the round; returns (added, already) names."""
    await get_round_for_admin(viewer, round_id)
    async with db.transaction():
        present = {r["district"] for r in await DistrictEvaluation.select(DistrictEvaluation.district).where(
            DistrictEvaluation.round == round_id)}
        added, already = [], []
        for district in districts:
            if district["id"] in present:
                already.append(district["name"])
                continue
            [row] = await DistrictEvaluation.insert(DistrictEvaluation(
                round=round_id, district=district["id"])).returning(DistrictEvaluation.id)
            await audit.record(viewer, "evaluation.create", object_type="district_evaluation", object_id=row["id"],
                               district_id=district["id"], ip=ip,
                               after={"round": round_id, "district": district["code"],
                                      "stage": Stage.EVALUASI_MANDIRI.value})
            added.append(district["name"])
    return added, already


async def get_evaluation_for_admin(viewer: CurrentUser, evaluation_id: int) -> dict[str, Any]:
    _require_admin(viewer)
    return await get_evaluation_for_user(viewer, evaluation_id)


EVALUATION_FIELDS = ("stage", "field_mode", "field_starts_on", "field_ends_on")


async def update_evaluation(viewer: CurrentUser, evaluation_id: int, values: dict[str, Any], *,
                            ip: str = "") -> None:
    row = await get_evaluation_for_admin(viewer, evaluation_id)
    changed = {k: v for k, v in values.items() if row[k] != v}
    if not changed:
        return
    async with db.transaction():
        await DistrictEvaluation.update({getattr(DistrictEvaluation, k): v for k, v in changed.items()}).where(
            DistrictEvaluation.id == evaluation_id)
        await audit.record(viewer, "evaluation.update", object_type="district_evaluation", object_id=evaluation_id,
                           district_id=row["district_id"], ip=ip, before={k: row[k] for k in changed}, after=changed)


async def team(evaluation_id: int) -> list[dict[str, Any]]:
    return await Assignment.select(
        Assignment.role, Assignment.user.id.as_alias("user_id"), Assignment.user.name.as_alias("name"),
        Assignment.user.email.as_alias("email"), Assignment.user.is_active.as_alias("is_active"),
    ).where(Assignment.district_evaluation == evaluation_id).order_by(Assignment.role, ascending=False).order_by(
        Assignment.user.name)


async def team_candidates(evaluation_id: int) -> list[dict[str, Any]]:
    """Active verifiers and note-takers not yet on the team."""
    on_team = Assignment.select(Assignment.user).where(Assignment.district_evaluation == evaluation_id)
    return await User.select(User.id, User.name, User.email, User.role).where(
        User.role.is_in(list(TEAM_ROLES)) & (User.is_active == True) & User.id.not_in(on_team)  # noqa: E712
    ).order_by(User.role, ascending=False).order_by(User.name)


async def add_member(viewer: CurrentUser, evaluation_id: int, user_id: int, *, ip: str = "") -> None:
    row = await get_evaluation_for_admin(viewer, evaluation_id)
    member = await User.select(User.id, User.email, User.role, User.is_active).where(User.id == user_id).first()
    if member is None:
        raise RuleViolation(_("Choose a verifier or note-taker."))
    problem = team_problem(member["role"], member["is_active"])
    if problem:
        raise RuleViolation(problem)
    async with db.transaction():
        if await Assignment.exists().where((Assignment.district_evaluation == evaluation_id)
                                           & (Assignment.user == user_id)):
            return
        await Assignment.insert(Assignment(district_evaluation=evaluation_id, user=user_id, role=member["role"]))
        await audit.record(viewer, "assignment.add", object_type="district_evaluation", object_id=evaluation_id,
                           district_id=row["district_id"], ip=ip,
                           after={"user": member["email"], "role": member["role"]})


async def remove_member(viewer: CurrentUser, evaluation_id: int, user_id: int, *, ip: str = "") -> None:
    row = await get_evaluation_for_admin(viewer, evaluation_id)
    member = await Assignment.select(Assignment.role, Assignment.user.email.as_alias("email")).where(
        (Assignment.district_evaluation == evaluation_id) & (Assignment.user == user_id)).first()
    if member is None:
        raise NotFound()
    async with db.transaction():
        await Assignment.delete().where((Assignment.district_evaluation == evaluation_id)
                                        & (Assignment.user == user_id))
        await audit.record(viewer, "assignment.remove", object_type="district_evaluation", object_id=evaluation_id,
                           district_id=row["district_id"], ip=ip,
                           before={"user": member["email"], "role": member["role"]})


async def tolerances(round_id: int) -> dict[str, tuple[Decimal, Decimal]]:
    """The bands set for a round, by indicator code (indicators without a row use the default)."""
    rows = await Tolerance.select(Tolerance.indicator_code, Tolerance.low, Tolerance.high).where(
        Tolerance.round == round_id)
    return {r["indicator_code"]: (Decimal(str(r["low"])), Decimal(str(r["high"]))) for r in rows}


def _band(band: tuple[Decimal, Decimal] | None) -> list[str] | None:
    return [str(band[0]), str(band[1])] if band else None


async def save_tolerances(viewer: CurrentUser, round_id: int, bands: dict[str, tuple[Decimal, Decimal] | None], *,
                          ip: str = "") -> int:
    """Set each indicator's band (None: back to the default); returns how many changed."""
    await get_round_for_admin(viewer, round_id)
    async with db.transaction():
        current = await tolerances(round_id)
        before, after = {}, {}
        for code, band in bands.items():
            old = current.get(code)
            if old == band:
                continue
            before[code], after[code] = _band(old), _band(band)
            await Tolerance.delete().where((Tolerance.round == round_id) & (Tolerance.indicator_code == code))
            if band is not None:
                await Tolerance.insert(Tolerance(round=round_id, indicator_code=code, low=band[0], high=band[1]))
        if after:
            await audit.record(viewer, "tolerance.update", object_type="round", object_id=round_id, ip=ip,
                               before=before, after=after)
    return len(after)

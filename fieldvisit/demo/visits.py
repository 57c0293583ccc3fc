"""Demo visits in Kota Tangerang: a completed visit to the Puspaga by the demo verifier (a
finding on every checklist item: mostly met, one partial, one not met on an item the district
claimed met), plus a visit planned for today and one upcoming, so the verifier's home is not empty.

Goes through the same queries as the app (so the audit log has them too). Finds the evaluation
(kab/kota 36.71, latest round) and the Puspaga (site type PUSPAGA) by their codes and does
nothing when they are not there. Idempotent: a second run on the same day changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.accounts.tables import User
from fieldvisit.claims.tables import SiteItemClaim
from fieldvisit.rounds.tables import Assignment, DistrictEvaluation
from fieldvisit.sites.tables import Site
from fieldvisit.visits import domain, queries
from fieldvisit.visits.forms import FindingInput, Plan
from fieldvisit.visits.tables import Visit, VisitMember

DISTRICT = "36.71"
SITE_TYPE = "PUSPAGA"
VERIFIER = "verifier@demo.fieldvisit.id"
WIB = timezone(timedelta(hours=7))
_UUIDS = uuid.UUID("0f5d2a8e-3b7c-4c1e-9d0a-5e6f7a8b9c0d")

NOTES = {
    "partial": "Jadwal konseling ada, tetapi catatan sesi hanya untuk tiga bulan terakhir.",
    "not_met": "Tidak ada psikolog berizin di tempat; petugas menyebut psikolog dari RSUD datang jika diminta.",
}


async def load() -> list[str]:
    evaluation = await _evaluation()
    if evaluation is None:
        return []
    site = await Site.select(Site.id, Site.latitude, Site.longitude).where(
        (Site.district == evaluation["district"]) & (Site.site_type == SITE_TYPE) & (Site.is_active == True)  # noqa: E712
    ).order_by(Site.code).first()
    verifier = await User.select(User.id, User.email, User.name).where(User.email == VERIFIER).first()
    if site is None or verifier is None:
        return []
    if not await Assignment.exists().where((Assignment.district_evaluation == evaluation["id"])
                                           & (Assignment.user == verifier["id"])):
        await Assignment.insert(Assignment(district_evaluation=evaluation["id"], user=verifier["id"], role="verifier"))
    user = CurrentUser(verifier["id"], verifier["email"], verifier["name"], Role.VERIFIER, None, None, None, None,
                       False, 0)
    lines = []
    if await _completed_visit(user, evaluation, site):
        lines.append("Demo visit: completed visit to the Puspaga of Kota Tangerang, with findings.")
    lines += await _planned_visits(user, evaluation, site)
    from fieldvisit.demo import visit_photos

    lines += await visit_photos.load(user, evaluation, site)
    return lines


async def _evaluation() -> dict[str, Any] | None:
    return await DistrictEvaluation.select(
        DistrictEvaluation.id, DistrictEvaluation.district, DistrictEvaluation.field_starts_on,
    ).where(DistrictEvaluation.district.code == DISTRICT).order_by(
        DistrictEvaluation.round.year, ascending=False).order_by(DistrictEvaluation.id, ascending=False).first()


async def _completed_visit(user: CurrentUser, evaluation: dict[str, Any], site: dict[str, Any]) -> bool:
    if await Visit.exists().where((Visit.district_evaluation == evaluation["id"]) & (Visit.site == site["id"])
                                  & Visit.submitted_at.is_not_null()):
        return False
    today = datetime.now(WIB).date()
    day = evaluation["field_starts_on"] if evaluation["field_starts_on"] and evaluation["field_starts_on"] < today \
        else today - timedelta(days=2)
    await queries.plan_visits(user, {"id": evaluation["id"], "district_id": evaluation["district"]},
                              Plan(day, "kunjungan", [site["id"]], [user.id]))
    visit_id = (await Visit.select(Visit.id).where((Visit.district_evaluation == evaluation["id"])
                                                   & (Visit.site == site["id"]) & (Visit.planned_on == day)).first())["id"]
    visit = await queries.get_visit_for_user(user, visit_id)
    start = datetime.combine(day, time(9, 0), WIB).astimezone(UTC)
    position = None
    if site["latitude"] is not None and site["longitude"] is not None:
        position = domain.Position(site["latitude"] + 0.00018, site["longitude"] + 0.00012, 12.0)  # ~25 m away
    await queries.check_in(user, visit, position, now=start)
    visit = await queries.get_visit_for_user(user, visit_id)
    await queries.set_outcome(user, visit, "found", "", now=start + timedelta(minutes=3))
    visit = await queries.get_visit_for_user(user, visit_id)
    checklist = await queries.checklist_for(visit["catalogue_version_id"], visit["site_type"])
    results = _results([i["code"] for i in checklist["items"]], await _claimed_met(evaluation["id"], site["id"]))
    for n, (code, result) in enumerate(results.items()):
        data = FindingInput(uuid.uuid5(_UUIDS, f"{visit_id}:{code}"), result, NOTES.get(result, ""))
        await queries.save_finding(user, visit, code, data, now=start + timedelta(minutes=5 + 3 * n))
    await queries.submit(user, visit, now=start + timedelta(minutes=10 + 3 * len(results)))
    return True


async def _claimed_met(evaluation_id: int, site_id: int) -> list[str]:
    rows = await SiteItemClaim.select(SiteItemClaim.item_code).where(
        (SiteItemClaim.district_evaluation == evaluation_id) & (SiteItemClaim.site == site_id)
        & (SiteItemClaim.claimed_status == "met") & SiteItemClaim.deleted_at.is_null()).order_by(SiteItemClaim.item_code)
    return [r["item_code"] for r in rows]


def _results(codes: list[str], claimed_met: list[str]) -> dict[str, str]:
    """Mostly met; the last item the district claimed met is found not met (a "contradicted"
    gap) and the one before it partial. With the demo's four Puspaga claims that is KLA.md's
    worked example: met, met, partial, not met (r = 2.5 / 4)."""
    results = dict.fromkeys(codes, "met")
    claimed = [c for c in claimed_met if c in results]
    not_met = claimed[-1] if claimed else codes[min(1, len(codes) - 1)]
    results[not_met] = "not_met"
    partial = claimed[-2:-1] or [c for c in codes if c != not_met][2:3]
    if partial:
        results[partial[0]] = "partial"
    return results


async def _planned_visits(user: CurrentUser, evaluation: dict[str, Any], puspaga: dict[str, Any]) -> list[str]:
    """A visit planned for today and one in three days, to other Tangerang sites when there are
    (a school first)."""
    today = datetime.now(WIB).date()
    rows = await Site.select(Site.id, Site.site_type, Site.code).where(
        (Site.district == evaluation["district"]) & (Site.id != puspaga["id"]) & (Site.is_active == True))  # noqa: E712
    # A school first: the longest checklist (28 items in six components), the most common visit.
    others = [r["id"] for r in sorted(rows, key=lambda r: (r["site_type"] != "SRA", r["site_type"], r["code"]))]
    sites = (others + [puspaga["id"], puspaga["id"]])[:2]
    lines = []
    for site_id, day, later in ((sites[0], today, False), (sites[1], today + timedelta(days=3), True)):
        if await _has_planned(user, evaluation["id"], today, later=later):
            continue
        await queries.plan_visits(user, {"id": evaluation["id"], "district_id": evaluation["district"]},
                                  Plan(day, "kunjungan", [site_id], [user.id]))
        lines.append(f"Demo visit: planned for {day.isoformat()}.")
    return lines


async def _has_planned(user: CurrentUser, evaluation_id: int, today: date, *, later: bool) -> bool:
    """The user already has a visit today (or, with ``later``, after today)."""
    mine = VisitMember.select(VisitMember.visit).where(VisitMember.user == user.id)
    day = (Visit.planned_on > today) if later else (Visit.planned_on == today)
    return bool(await Visit.exists().where((Visit.district_evaluation == evaluation_id) & Visit.id.is_in(mine) & day))

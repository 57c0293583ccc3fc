"""`fieldvisit demo`'s visits: a completed visit to Tangerang's Puspaga with a finding on every
item, and today's and an upcoming visit for the demo verifier; idempotent; nothing without the
evaluation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fieldvisit.audit.tables import AuditEvent
from fieldvisit.demo import visits as demo_visits
from fieldvisit.regions.tables import Region
from fieldvisit.visits.tables import Finding, Visit
from tests.support import REGIONS, make_evaluation, make_region, make_round, make_site, make_site_item_claim, make_user

WIB = timezone(timedelta(hours=7))


async def demo_people() -> None:
    """What `demo.people` makes that the visits need (without hashing five passwords)."""
    for region in REGIONS[:3]:
        await make_region(*region)
    await make_user(demo_visits.VERIFIER, "verifier")


async def tangerang_evaluation() -> tuple[int, int]:
    tangerang = (await Region.select(Region.id).where(Region.code == "36.71").first())["id"]
    evaluation = await make_evaluation(await make_round(), tangerang)
    puspaga = await make_site(tangerang, "PSPG-01", "Puspaga Kota Tangerang", "PUSPAGA",
                              latitude=-6.1783, longitude=106.6319)
    await make_site(tangerang, "20603001", "SD Negeri 1 Tangerang", "SRA", latitude=-6.17, longitude=106.64)
    for item in ("PUSPAGA-02", "PUSPAGA-04", "PUSPAGA-10", "PUSPAGA-14"):
        await make_site_item_claim(evaluation, puspaga, item, "met")
    return evaluation, puspaga


async def test_without_the_tangerang_evaluation_the_demo_makes_no_visits(clean):
    await demo_people()
    assert await demo_visits.load() == []
    assert await Visit.count() == 0


async def test_the_demo_has_a_completed_visit_and_the_verifiers_day(clean):
    await demo_people()
    evaluation, puspaga = await tangerang_evaluation()

    await demo_visits.load()

    done = await Visit.select().where((Visit.site == puspaga) & Visit.submitted_at.is_not_null()).first()
    assert done["outcome"] == "found" and done["check_in_distance_m"] < 50
    assert done["checked_in_at"] < done["submitted_at"]
    findings = await Finding.select(Finding.item_code, Finding.result).where(Finding.visit == done["id"])
    assert len(findings) == 14
    results = {f["item_code"]: f["result"] for f in findings}
    # The four claims as in KLA.md's worked example: met, met, partial, not met (a contradicted gap).
    assert [results[i] for i in ("PUSPAGA-02", "PUSPAGA-04", "PUSPAGA-10", "PUSPAGA-14")] == [
        "met", "met", "partial", "not_met"]
    assert list(results.values()).count("partial") == 1 and list(results.values()).count("met") == 12
    today = datetime.now(WIB).date()
    days = {v["planned_on"] for v in await Visit.select(Visit.planned_on).where(Visit.submitted_at.is_null())}
    assert today in days and any(d > today for d in days)
    assert await AuditEvent.count().where(AuditEvent.action == "visits.finding") == 14

    counts = (await Visit.count(), await Finding.count(), await AuditEvent.count())
    await demo_visits.load()
    assert (await Visit.count(), await Finding.count(), await AuditEvent.count()) == counts

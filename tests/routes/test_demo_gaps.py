"""`fieldvisit demo`'s gaps: reconciling the Tangerang visit gives gaps, the district has
answered one (waiting for the verifier) and the verifier has accepted another; idempotent."""

from __future__ import annotations

from fieldvisit.demo import gaps as demo_gaps
from fieldvisit.demo import visits as demo_visits
from fieldvisit.gaps.tables import Gap, GapEvent
from tests.routes.test_demo_visits import demo_people, tangerang_evaluation
from tests.support import make_user


async def test_without_the_evaluation_the_demo_makes_no_gaps(clean):
    await demo_people()
    assert await demo_gaps.load() == []
    assert await Gap.count() == 0


async def test_the_demo_has_an_answered_gap_and_an_accepted_one(clean):
    await demo_people()
    evaluation, _puspaga = await tangerang_evaluation()
    from fieldvisit.regions.tables import Region

    tangerang = (await Region.select(Region.id).where(Region.code == "36.71").first())["id"]
    await make_user(demo_gaps.DISTRICT_USER, "district", district_id=tangerang)
    await demo_visits.load()

    lines = await demo_gaps.load()
    assert len(lines) == 2
    statuses = {g["rule"]: g["status"] for g in await Gap.select(Gap.rule, Gap.status).where(
        Gap.district_evaluation == evaluation)}
    assert statuses["contradicted"] == "responded" and statuses["partial"] == "accepted"
    counts = (await Gap.count(), await GapEvent.count())
    assert await demo_gaps.load() == []
    assert (await Gap.count(), await GapEvent.count()) == counts

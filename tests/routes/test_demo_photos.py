"""`fieldvisit demo`'s photos on the completed Tangerang visit: near ones, one far away, one
also used at another site; derivatives made; idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fieldvisit.demo import visits as demo_visits
from fieldvisit.photos import queries as photos
from fieldvisit.visits.queries import _VISIT_SQL
from fieldvisit.visits.tables import Photo, Visit
from tests.routes.test_demo_visits import demo_people, tangerang_evaluation


async def test_the_completed_demo_visit_has_near_far_and_reused_photos(clean):
    await demo_people()
    _evaluation, puspaga = await tangerang_evaluation()

    await demo_visits.load()
    await demo_visits.load()  # idempotent

    done = await Visit.select().where((Visit.site == puspaga) & Visit.submitted_at.is_not_null()).first()
    rows = await Photo.select().where(Photo.visit == done["id"])
    assert len(rows) == 5 and all(r["derivatives_ready"] and r["thumb_key"] for r in rows)
    assert sorted(r["distance_m"] > 200 for r in rows) == [False, False, False, False, True]
    assert await Photo.count() == 6
    [visit] = await Visit.raw(_VISIT_SQL, done["id"])
    by_item = await photos.visit_photos(visit, now=datetime.now(UTC), radius_m=200,
                                        slack=timedelta(hours=2))
    kinds = sorted(str(b.kind) for group in by_item.values() for p in group for b in p["badges"])
    assert kinds == ["far", "reused"]

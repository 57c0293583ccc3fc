"""Demo photos on the completed Tangerang visit: three taken at the site during the visit, one
taken 3 km away, and one that is also used on a visit to another Tangerang site (the "same
photo as at site X" badge). Generated pictures (``demo.photos``) with a phone's EXIF, stored in
the configured blob store through the same queries as an upload, derivatives made at once.
Idempotent: nothing when the completed visit already has photos."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from fieldvisit.accounts.domain import CurrentUser
from fieldvisit.demo.photos import camera_exif, camera_jpeg, textured_photo
from fieldvisit.photos import queries as photos
from fieldvisit.photos import worker
from fieldvisit.settings import Settings
from fieldvisit.sites.tables import Site
from fieldvisit.storage import images
from fieldvisit.storage.base import make_store, new_key
from fieldvisit.visits import queries
from fieldvisit.visits.forms import Plan
from fieldvisit.visits.tables import Photo, Visit

WIB = timezone(timedelta(hours=7))
_UUIDS = uuid.UUID("6a1c9a52-8f0e-4d7b-a3c2-91e5d0b4f7aa")


async def load(user: CurrentUser, evaluation: dict[str, Any], site: dict[str, Any]) -> list[str]:
    done = await Visit.select(Visit.id).where((Visit.district_evaluation == evaluation["id"]) & (Visit.site == site["id"])
                                              & Visit.submitted_at.is_not_null()).first()
    if done is None or site["latitude"] is None or await Photo.exists().where(Photo.visit == done["id"]):
        return []
    store = make_store(Settings.from_env())
    await store.prepare()
    visit = await queries.get_visit_for_user(user, done["id"])
    checklist = await queries.checklist_for(visit["catalogue_version_id"], visit["site_type"])
    codes = [i["code"] for i in checklist["items"] if i["wants_photo"]] or [i["code"] for i in checklist["items"]]
    start = visit["checked_in_at"].astimezone(WIB).replace(tzinfo=None)
    lat, lon = site["latitude"], site["longitude"]
    plan = [(codes[0], 1, (lat + 0.0001, lon + 0.0001), 10), (codes[0], 2, (lat - 0.0001, lon), 12),
            (codes[min(1, len(codes) - 1)], 3, (lat, lon + 0.0002), 15),
            (codes[min(2, len(codes) - 1)], 4, (lat + 0.027, lon), 20),  # ~3 km away
            (codes[min(3, len(codes) - 1)], 5, (lat, lon - 0.0001), 25)]  # also used at another site
    reused = b""
    for n, (code, seed, gps, minutes) in enumerate(plan):
        data = camera_jpeg(textured_photo(1600, 1200, seed=100 + seed),
                           camera_exif(taken_at=start + timedelta(minutes=minutes), gps=gps))
        await _store(store, user, visit, code, data, uuid.uuid5(_UUIDS, f"{visit['id']}:{n}"))
        reused = data
    other = await _other_visit(user, evaluation, site, visit["checked_in_at"])
    if other is not None:
        await _store(store, user, other, "", reused, uuid.uuid5(_UUIDS, f"{other['id']}:reused"))
    while await worker.process_pending(store):
        pass
    return ["Demo photos: five on the completed Puspaga visit (one far away, one also used at another site)."]


async def _store(store: Any, user: CurrentUser, visit: dict[str, Any], item_code: str, data: bytes,
                 client_uuid: uuid.UUID) -> None:
    info = images.inspect(data)
    key = new_key("photo")
    await store.put(key, data, info.content_type)
    await photos.record_upload(user, visit, photos.Upload(client_uuid, item_code, "camera", "demo.jpg"), info, key,
                               now=datetime.now(UTC))


async def _other_visit(user: CurrentUser, evaluation: dict[str, Any], puspaga: dict[str, Any],
                       when: datetime) -> dict[str, Any] | None:
    """A short visit to another Tangerang site on the same day (checked in, site found)."""
    other = await Site.select(Site.id).where((Site.district == evaluation["district"]) & (Site.id != puspaga["id"])
                                             & (Site.is_active == True)).order_by(Site.code).first()  # noqa: E712
    if other is None:
        return None
    day = when.astimezone(WIB).date()
    await queries.plan_visits(user, {"id": evaluation["id"], "district_id": evaluation["district"]},
                              Plan(day, "kunjungan", [other["id"]], [user.id]))
    row = await Visit.select(Visit.id).where((Visit.district_evaluation == evaluation["id"]) & (Visit.site == other["id"])
                                             & (Visit.planned_on == day)).first()
    visit = await queries.get_visit_for_user(user, row["id"])
    await queries.check_in(user, visit, None, now=when + timedelta(hours=3))
    visit = await queries.get_visit_for_user(user, row["id"])
    await queries.set_outcome(user, visit, "found", "", now=when + timedelta(hours=3, minutes=2))
    return await queries.get_visit_for_user(user, row["id"])

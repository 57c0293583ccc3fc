"""`python -m tests.browser.seed_offline visit`: after `fieldvisit demo` (and seed_evaluation), a
visit to Kota Tangerang's Puspaga for today, checked in and found, whose team is the demo
verifier and a second verifier (made here once); prints its id.
`python -m tests.browser.seed_offline findings VISIT_ID`: that visit's findings as JSON (`photos`: its photos)."""

from __future__ import annotations

import asyncio
import json
import sys

from fieldvisit import db
from fieldvisit.accounts.tables import User
from fieldvisit.demo import visits as demo_visits
from fieldvisit.rounds.tables import Assignment, DistrictEvaluation
from fieldvisit.settings import Settings
from fieldvisit.sites.tables import Site
from fieldvisit.visits.tables import Finding, Photo
from tests.browser.seed_evaluation import seed as seed_evaluation
from tests.support import make_user, make_visit

SECOND_VERIFIER = "verifier2@demo.fieldvisit.id"


async def visit() -> int:
    await seed_evaluation()
    evaluation = (await DistrictEvaluation.select(DistrictEvaluation.id).where(
        DistrictEvaluation.district.code == "36.71").order_by(DistrictEvaluation.id).first())["id"]
    first = (await User.select(User.id).where(User.email == demo_visits.VERIFIER).first())["id"]
    second = await User.select(User.id).where(User.email == SECOND_VERIFIER).first()
    if second is None:
        second_id = await make_user(SECOND_VERIFIER, "verifier", name="Vino Verifikator")
        await Assignment.insert(Assignment(district_evaluation=evaluation, user=second_id, role="verifier"))
    else:
        second_id = second["id"]
    site = (await Site.select(Site.id).where(Site.code == "PUSPAGA-KTG").first())
    if site is None:
        site = await Site.select(Site.id).where((Site.site_type == "PUSPAGA") & (Site.district.code == "36.71")).first()
    return await make_visit(evaluation, site["id"], team=[first, second_id], checked_in=True, outcome="found")


async def findings(visit_id: int) -> list[dict[str, object]]:
    rows = await Finding.select(Finding.item_code, Finding.version, Finding.client_uuid, Finding.result,
                                Finding.note, Finding.saved_by.email.as_alias("by")).where(
        Finding.visit == visit_id).order_by(Finding.id)
    return [{**r, "client_uuid": str(r["client_uuid"])} for r in rows]


async def photos(visit_id: int) -> list[dict[str, object]]:
    rows = await Photo.select(Photo.item_code, Photo.client_uuid, Photo.width, Photo.height, Photo.size_bytes,
                              Photo.exif_latitude, Photo.taken_at, Photo.source).where(
        Photo.visit == visit_id).order_by(Photo.id)
    return [{**r, "client_uuid": str(r["client_uuid"]), "taken_at": str(r["taken_at"])} for r in rows]


async def main() -> None:
    async with db.connected(Settings.from_env()):
        if sys.argv[1] == "visit":
            print(await visit())
        elif sys.argv[1] == "photos":
            print(json.dumps(await photos(int(sys.argv[2]))))
        else:
            print(json.dumps(await findings(int(sys.argv[2]))))


if __name__ == "__main__":
    asyncio.run(main())

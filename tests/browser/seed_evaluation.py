"""`python -m tests.browser.seed_evaluation`: after `fieldvisit demo`, make sure Kota Tangerang
has an evaluation with the demo verifier, a Puspaga (with claims) and a school, then load the
demo visits. When the demo already has them (the evaluation part of the demo), it adds nothing."""

from __future__ import annotations

import asyncio

from fieldvisit import db
from fieldvisit.accounts.tables import User
from fieldvisit.demo import visits as demo_visits
from fieldvisit.regions.tables import Region
from fieldvisit.rounds.tables import Assignment, DistrictEvaluation
from fieldvisit.settings import Settings
from tests.support import make_evaluation, make_round, make_site, make_site_item_claim


async def seed() -> None:
    tangerang = (await Region.select(Region.id).where(Region.code == "36.71").first())["id"]
    if not await DistrictEvaluation.exists().where(DistrictEvaluation.district == tangerang):
        evaluation = await make_evaluation(await make_round(), tangerang)
        verifier = (await User.select(User.id).where(User.email == demo_visits.VERIFIER).first())["id"]
        await Assignment.insert(Assignment(district_evaluation=evaluation, user=verifier, role="verifier"))
        puspaga = await make_site(tangerang, "PUSPAGA-KTG", "Puspaga Kota Tangerang", "PUSPAGA", latitude=-6.1783,
                                  longitude=106.6319, address="Jl. Satria Sudirman No. 1, Sukaasih")
        await make_site(tangerang, "20603001", "SD Negeri Tangerang 1", "SRA", latitude=-6.1762,
                        longitude=106.6402, address="Jl. Daan Mogot No. 10")
        for item in ("PUSPAGA-02", "PUSPAGA-04", "PUSPAGA-10", "PUSPAGA-14"):  # as the demo round's
            await make_site_item_claim(evaluation, puspaga, item, "met")
    await demo_visits.load()


async def main() -> None:
    async with db.connected(Settings.from_env()):
        await seed()


if __name__ == "__main__":
    asyncio.run(main())

"""Seed the browser tests' database with KLA.md's worked example for Kota Tangerang in a round
of its own, the demo verifier on its team, and its gaps reconciled. Prints the evaluation id.

Run after `fieldvisit demo`: `python -m tests.browser.seed_reconcile` (same DATABASE_URL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fieldvisit import db
from fieldvisit.settings import Settings


async def seed() -> int:
    from fieldvisit.accounts.tables import User
    from fieldvisit.catalogue import domain as catalogue_domain
    from fieldvisit.catalogue import queries as catalogue
    from fieldvisit.reconcile import queries
    from fieldvisit.regions.tables import Region
    from tests.support import assign, make_evaluation, make_indicator_claim, make_round, make_site, make_site_item_claim
    from tests.support_reconcile import CLAIMED_AT, make_finding, make_photo, make_verification, make_visit

    await catalogue.load_version(catalogue_domain.parse_catalogue(catalogue_domain.shipped()))
    tangerang = (await Region.select(Region.id).where(Region.code == "36.71").first())["id"]
    verifier = (await User.select(User.id).where(User.email == "verifier@demo.fieldvisit.id").first())["id"]
    evaluation = await make_evaluation(await make_round("KLA 2025 (uji peramban)", 2025), tangerang)
    await assign(evaluation, verifier, "verifier")
    claimed = {"updated_at": CLAIMED_AT}
    await make_indicator_claim(evaluation, "I04", "38", value="92.5", kind="percent", unit="%", **claimed)
    await make_indicator_claim(evaluation, "I08", "34", **claimed)
    for n in range(1, 25):
        if n not in (4, 8):
            await make_indicator_claim(evaluation, f"I{n:02d}", "27" if n == 24 else "32", **claimed)
    puspaga = await make_site(tangerang, "BRW-PSPG-01", "Puspaga Kota Tangerang (Gedung Cisadane)", "PUSPAGA",
                              latitude=-6.1783, longitude=106.6319)
    school = await make_site(tangerang, "BRW-SD-01", "SD Negeri Sukasari 1", "SRA", latitude=-6.18, longitude=106.63)
    items = ["PUSPAGA-02", "PUSPAGA-04", "PUSPAGA-05", "PUSPAGA-08"]
    for item in items:
        await make_site_item_claim(evaluation, puspaga, item, **claimed)
    visit = await make_visit(evaluation, puspaga, created_by=verifier)
    for item, result in zip(items, ["met", "met", "partial", "not_met"], strict=True):
        await make_finding(visit, item, result, saved_by=verifier)
    await make_verification(evaluation, "I04", "83.0", verified_by=verifier, note="Data Disdukcapil per 30 April 2025")
    school_visit = await make_visit(evaluation, school, created_by=verifier)
    await make_photo(visit, uploaded_by=verifier, sha256="ab" * 32)
    await make_photo(school_visit, uploaded_by=verifier, sha256="ab" * 32)
    await queries.reconcile_evaluation(evaluation, now=datetime.now(UTC))
    return evaluation


async def main() -> None:
    settings = Settings.from_env()
    async with db.connected(settings):
        print(await seed())


if __name__ == "__main__":
    asyncio.run(main())

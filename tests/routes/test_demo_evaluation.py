"""`fieldvisit demo` loads round KLA 2025 for the four seed cities; Kota Tangerang stands at 771
(Nindya) with KLA.md's worked example ready; loading it again changes nothing."""

from __future__ import annotations

from decimal import Decimal

from fieldvisit import demo
from fieldvisit.accounts.tables import User
from fieldvisit.catalogue.tables import ChecklistItem
from fieldvisit.claims.tables import IndicatorClaim, SiteItemClaim
from fieldvisit.demo.evaluation import SITES
from fieldvisit.regions.tables import Region
from fieldvisit.rounds.tables import Assignment, DistrictEvaluation, Round
from fieldvisit.sites.tables import Site
from tests.support import Client

# Bounding boxes (lat, lon) around each city: demo coordinates must fall inside.
BOXES = {"36.71": ((-6.26, -6.10), (106.56, 106.76)), "36.73": ((-6.20, -6.02), (106.08, 106.26)),
         "35.75": ((-7.68, -7.61), (112.86, 112.95)), "16.71": ((-3.08, -2.85), (104.65, 104.86))}


async def counts() -> tuple[int, ...]:
    return (await Round.count(), await DistrictEvaluation.count(), await Assignment.count(), await Site.count(),
            await IndicatorClaim.count(), await SiteItemClaim.count())


async def tangerang() -> int:
    row = await DistrictEvaluation.select(DistrictEvaluation.id).where(
        DistrictEvaluation.district.code == "36.71").first()
    return int(row["id"])


async def test_the_demo_round_has_the_four_cities_and_tangerang_at_771_with_the_worked_example(clean, app):
    await demo.load()
    evaluations = {r["district.code"]: r for r in await DistrictEvaluation.select(
        DistrictEvaluation.id, DistrictEvaluation.stage, DistrictEvaluation.field_mode,
        DistrictEvaluation.district.code)}
    assert set(evaluations) == {"36.71", "36.73", "35.75", "16.71"}
    assert evaluations["36.71"]["stage"] == "verifikasi_lapangan"
    claims = {r["indicator_code"]: r for r in await IndicatorClaim.select().where(
        IndicatorClaim.district_evaluation == evaluations["36.71"]["id"])}
    assert len(claims) == 24
    assert sum(Decimal(str(c["claimed_score"])) for c in claims.values()) == Decimal(771)
    assert Decimal(str(claims["I08"]["claimed_score"])) == 34
    assert Decimal(str(claims["I04"]["claimed_score"])) == 38 and Decimal(str(claims["I04"]["value"])) == Decimal("92.5")
    assert claims["I04"]["value_kind"] == "percent"
    for c in claims.values():
        assert c["max_score"] is None or Decimal(str(c["claimed_score"])) <= Decimal(str(c["max_score"]))
    # The Puspaga carries the four item claims of KLA.md's worked example.
    evaluation = await tangerang()
    puspaga = await Site.select(Site.id).where(Site.code == "PUSPAGA-KTG").first()
    rows = await SiteItemClaim.select(SiteItemClaim.item_code, SiteItemClaim.claimed_status).where(
        (SiteItemClaim.district_evaluation == evaluation) & (SiteItemClaim.site == puspaga["id"]))
    assert len(rows) == 4 and {r["claimed_status"] for r in rows} == {"met"}
    # No other item claim of Tangerang counts for I08, so r = credit / 4 as in KLA.md.
    items = {r["code"]: r for r in await ChecklistItem.select(ChecklistItem.code, ChecklistItem.indicator_code)}
    i08 = [r for r in await SiteItemClaim.select(SiteItemClaim.item_code).where(
        SiteItemClaim.district_evaluation == evaluation) if items[r["item_code"]]["indicator_code"] == "I08"]
    assert len(i08) == 4
    # The other cities stand at Pratama or aim for Madya.
    for code in ("36.73", "35.75", "16.71"):
        rows = await IndicatorClaim.select(IndicatorClaim.claimed_score).where(
            IndicatorClaim.district_evaluation.district.code == code)
        total = sum(Decimal(str(r["claimed_score"])) for r in rows)
        assert 500 <= total <= 700, (code, total)


async def test_demo_sites_are_plausible_and_inside_their_city_and_the_team_is_assigned(clean, app):
    await demo.load()
    rows = await Site.select(Site.code, Site.site_type, Site.latitude, Site.longitude, Site.district.code)
    by_city: dict[str, list[dict]] = {}
    for row in rows:
        by_city.setdefault(row["district.code"], []).append(row)
    for code, (lat, lon) in BOXES.items():
        assert len(by_city[code]) == len(SITES[code])
        for site in by_city[code]:
            assert lat[0] <= site["latitude"] <= lat[1] and lon[0] <= site["longitude"] <= lon[1], site
    types = {s["site_type"] for s in by_city["36.71"]}
    assert {"PUSPAGA", "SRA", "RBRA", "PUSKESMAS_RA", "PISA_PERPUS", "UPTD_PPA"} <= types
    schools = [s["code"] for s in by_city["36.71"] if s["site_type"] == "SRA"]
    assert schools and all(len(c) == 8 and c.isdigit() for c in schools)  # NPSN-like
    # The demo verifier and note-taker are on Tangerang's and Serang's teams.
    rows = await Assignment.select(Assignment.role, Assignment.user.email, Assignment.district_evaluation.district.code)
    pairs = {(r["user.email"], r["district_evaluation.district.code"]) for r in rows}
    assert pairs == {(e, c) for e in ("verifier@demo.fieldvisit.id", "notetaker@demo.fieldvisit.id")
                     for c in ("36.71", "36.73")}


async def test_loading_the_demo_again_changes_nothing(clean, app):
    await demo.load()
    before = await counts()
    await demo.load()
    assert await counts() == before
    assert await Region.count() == 7


async def test_the_demo_shows_tangerang_at_771_nindya_to_its_verifier(clean, app):
    await demo.load()
    verifier = await User.select(User.id).where(User.email == "verifier@demo.fieldvisit.id").first()
    async with Client.for_app(app) as client:
        await client.sign_in_as(verifier["id"])
        text = (await client.get(f"/evaluations/{await tangerang()}")).text
        assert "<strong>771</strong>" in text and '<span class="predicate">Nindya</span>' in text
        sites = (await client.get(f"/evaluations/{await tangerang()}/sites")).text
        assert f"{len(SITES['36.71'])} lokasi · halaman 1 dari 2" in sites

"""Factories for reconciliation tests: visits, finding versions, photos, verifications,
tolerances, and Kota Tangerang's worked example of KLA.md as real rows."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fieldvisit.accounts.domain import CurrentUser, Role
from tests.support import Persona, World, make_indicator_claim, make_site, make_site_item_claim

T0 = datetime(2025, 5, 14, 2, 0, tzinfo=UTC)  # 09:00 WIB
CLAIMED_AT = datetime(2025, 4, 1, 2, 0, tzinfo=UTC)  # the self-assessment, imported weeks before


def as_user(p: Persona) -> CurrentUser:
    return CurrentUser(p.id, p.email, p.key, Role(p.role), p.district_id, None, None, None, False, 0)


async def make_visit(evaluation_id: int, site_id: int, *, mode: str = "kunjungan", status: str = "submitted",
                     checked_in_at: datetime | None = T0, submitted_at: datetime | None = T0 + timedelta(hours=2),
                     outcome: str | None = "found", created_by: int | None = None, **values: Any) -> int:
    from fieldvisit.visits.tables import Visit

    rows = await Visit.insert(Visit(
        district_evaluation=evaluation_id, site=site_id, planned_on=(checked_in_at or T0).date(), mode=mode,
        status=status, checked_in_at=checked_in_at, submitted_at=submitted_at, outcome=outcome,
        created_by=created_by, created_at=(checked_in_at or T0) - timedelta(days=1), **values,
    )).returning(Visit.id)
    return int(rows[0]["id"])


async def make_finding(visit_id: int, item: str, result: str, *, saved_by: int, version: int = 1,
                       saved_at: datetime | None = None, note: str = "") -> int:
    from fieldvisit.visits.tables import Finding, Visit

    visit = await Visit.select(Visit.site, Visit.district_evaluation).where(Visit.id == visit_id).first()
    rows = await Finding.insert(Finding(
        visit=visit_id, site=visit["site"], district_evaluation=visit["district_evaluation"], item_code=item,
        version=version, client_uuid=uuid.uuid4(), result=result, note=note,
        content_hash=hashlib.sha256(f"{item}{result}{note}".encode()).hexdigest(), saved_by=saved_by,
        saved_at=saved_at or T0 + timedelta(minutes=30),
    )).returning(Finding.id)
    return int(rows[0]["id"])


async def make_photo(visit_id: int, *, uploaded_by: int, item: str = "", sha256: str | None = None,
                     phash: str = "", taken_at: datetime | None = T0 + timedelta(minutes=40),
                     distance_m: float | None = 15.0, source: str = "camera",
                     uploaded_at: datetime | None = None) -> int:
    from fieldvisit.visits.tables import Photo, Visit

    visit = await Visit.select(Visit.site, Visit.district_evaluation).where(Visit.id == visit_id).first()
    token = uuid.uuid4().hex
    rows = await Photo.insert(Photo(
        visit=visit_id, site=visit["site"], district_evaluation=visit["district_evaluation"], item_code=item,
        client_uuid=uuid.uuid4(), original_key=f"photo/{token[:2]}/{token}", content_type="image/jpeg",
        size_bytes=1000, sha256=sha256 or hashlib.sha256(token.encode()).hexdigest(), phash=phash,
        taken_at=taken_at, distance_m=distance_m, source=source, uploaded_by=uploaded_by,
        uploaded_at=uploaded_at or T0 + timedelta(minutes=41),
    )).returning(Photo.id)
    return int(rows[0]["id"])


async def make_verification(evaluation_id: int, indicator: str, value: str, *, verified_by: int, version: int = 1,
                            verified_at: datetime | None = None, note: str = "",
                            documents: list[dict[str, Any]] | None = None) -> int:
    from fieldvisit.claims.tables import IndicatorVerification

    rows = await IndicatorVerification.insert(IndicatorVerification(
        district_evaluation=evaluation_id, indicator_code=indicator, version=version, verified_value=Decimal(value),
        note=note, documents=documents or [], verified_by=verified_by,
        verified_at=verified_at or T0 + timedelta(hours=3),
    )).returning(IndicatorVerification.id)
    return int(rows[0]["id"])


async def make_tolerance(round_id: int, indicator: str, low: str, high: str) -> None:
    from fieldvisit.rounds.tables import Tolerance

    await Tolerance.insert(Tolerance(round=round_id, indicator_code=indicator, low=Decimal(low), high=Decimal(high)))


async def set_stage(evaluation_id: int, stage: str) -> None:
    from fieldvisit.rounds.tables import DistrictEvaluation

    await DistrictEvaluation.update({DistrictEvaluation.stage: stage}).where(DistrictEvaluation.id == evaluation_id)


@dataclass
class Tangerang771:
    """KLA.md's worked example as rows: 24 indicator claims adding up to 771, four Puspaga
    item claims for I08 found met, met, partial, not met on one visit, and I04's 92.5 %
    verified at 83.0 %."""

    evaluation_id: int
    claims: dict[str, int]  # indicator code -> claim id
    item_claims: list[int]
    site_id: int
    visit_id: int
    findings: list[int] = field(default_factory=list)


async def tangerang_771(world: World, *, verify: bool = True) -> Tangerang771:
    from fieldvisit.claims.tables import IndicatorClaim, SiteItemClaim

    e = world.tangerang_evaluation
    # The world already claims I08 (34) and PUSPAGA-02 at its Puspaga: start from its rows.
    await SiteItemClaim.delete().where(SiteItemClaim.district_evaluation == e)
    await IndicatorClaim.delete().where(IndicatorClaim.district_evaluation == e)
    imported = {"updated_at": CLAIMED_AT}
    claims = {"I04": await make_indicator_claim(e, "I04", "38", value="92.5", kind="percent", unit="%", **imported),
              "I08": await make_indicator_claim(e, "I08", "34", **imported)}
    for n in range(1, 25):
        code = f"I{n:02d}"
        if code not in claims:  # 21 x 32 + 27 = 699
            claims[code] = await make_indicator_claim(e, code, "27" if code == "I24" else "32", **imported)
    site = world.tangerang_site
    items = ["PUSPAGA-02", "PUSPAGA-04", "PUSPAGA-05", "PUSPAGA-08"]
    item_claims = [await make_site_item_claim(e, site, item, **imported) for item in items]
    visit = await make_visit(e, site, created_by=world.verifier.id)
    example = Tangerang771(e, claims, item_claims, site, visit)
    for item, result in zip(items, ["met", "met", "partial", "not_met"], strict=True):
        example.findings.append(await make_finding(visit, item, result, saved_by=world.verifier.id))
    if verify:
        await make_verification(e, "I04", "83.0", verified_by=world.verifier.id)
    return example


async def another_site(world: World, code: str = "PSPG-02", *, district: str = "36.71") -> int:
    return await make_site(world.regions[district], code, f"Puspaga {code}", "PUSPAGA", latitude=-6.18,
                           longitude=106.63)

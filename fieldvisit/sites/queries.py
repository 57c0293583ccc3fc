"""Every query of sites. A site belongs to its kab/kota and lives across rounds: a user may see
it when they may see an evaluation of its district (``rounds.queries.scope_evaluations``);
anything else is NotFound."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser
from fieldvisit.claims.tables import SiteItemClaim
from fieldvisit.errors import NotFound
from fieldvisit.rounds import queries as rounds
from fieldvisit.rounds.tables import DistrictEvaluation
from fieldvisit.sites.tables import Site
from fieldvisit.visits.tables import Visit

SITE_COLUMNS = (
    Site.id, Site.code, Site.name, Site.site_type, Site.address, Site.kecamatan, Site.kelurahan, Site.latitude,
    Site.longitude, Site.contact_person, Site.phone, Site.is_active, Site.sensitive, Site.updated_at,
    Site.district.id.as_alias("district_id"), Site.district.code.as_alias("district_code"),
    Site.district.name.as_alias("district_name"), Site.district.time_zone.as_alias("time_zone"),
)
PAGE_SIZE = 20


async def get_site_for_user(user: CurrentUser, site_id: int) -> dict[str, Any]:
    """The site, if ``user`` may see an evaluation of its kab/kota (admins: every site); else NotFound."""
    row = await Site.select(*SITE_COLUMNS).where(Site.id == site_id).first()
    if row is None:
        raise NotFound()
    if user.is_admin:  # admins see every site, also of a kab/kota not yet in a round
        return row
    visible = await rounds.scope_evaluations(user, DistrictEvaluation.select(DistrictEvaluation.id).where(
        DistrictEvaluation.district == row["district_id"])).first()
    if visible is None:
        raise NotFound()
    return row


async def get_site_of_evaluation(user: CurrentUser, evaluation: dict[str, Any], site_id: int) -> dict[str, Any]:
    """A site of the evaluation's kab/kota (the evaluation already loaded for ``user``)."""
    site = await get_site_for_user(user, site_id)
    if site["district_id"] != evaluation["district_id"]:
        raise NotFound()
    return site


@dataclass(frozen=True)
class SiteFilter:
    search: str = ""
    site_type: str = ""
    kecamatan: str = ""
    has_claims: str = ""  # "" any, "yes", "no" (site-item claims in this evaluation)
    visited: str = ""  # "" any, "yes", "no" (a visit of this evaluation checked in there)

    @property
    def is_empty(self) -> bool:
        return not (self.search or self.site_type or self.kecamatan or self.has_claims or self.visited)


@dataclass(frozen=True)
class SitePage:
    sites: list[dict[str, Any]]
    total: int
    page: int
    pages: int


async def list_sites(user: CurrentUser, evaluation_id: int, flt: SiteFilter, *, page: int = 1,
                     page_size: int = PAGE_SIZE) -> SitePage:
    """The sites of a district evaluation's kab/kota (active first, then by name), filtered and
    paginated; NotFound when the user may not see the evaluation."""
    evaluation = await rounds.get_evaluation_for_user(user, evaluation_id)
    query = Site.select(*SITE_COLUMNS).where(Site.district == evaluation["district_id"])
    count = Site.count().where(Site.district == evaluation["district_id"])
    conditions = []
    if flt.search:
        conditions.append(db.icontains(Site.name, flt.search) | db.icontains(Site.code, flt.search)
                          | db.icontains(Site.address, flt.search) | db.icontains(Site.kelurahan, flt.search))
    if flt.site_type:
        conditions.append(Site.site_type == flt.site_type)
    if flt.kecamatan:
        conditions.append(Site.kecamatan == flt.kecamatan)
    if flt.has_claims in ("yes", "no"):
        claimed = SiteItemClaim.select(SiteItemClaim.site).where(
            (SiteItemClaim.district_evaluation == evaluation_id) & SiteItemClaim.deleted_at.is_null())
        conditions.append(Site.id.is_in(claimed) if flt.has_claims == "yes" else Site.id.not_in(claimed))
    if flt.visited in ("yes", "no"):
        visited = Visit.select(Visit.site).where(
            (Visit.district_evaluation == evaluation_id) & Visit.checked_in_at.is_not_null())
        conditions.append(Site.id.is_in(visited) if flt.visited == "yes" else Site.id.not_in(visited))
    for condition in conditions:
        query, count = query.where(condition), count.where(condition)
    total = await count
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = await query.order_by(Site.is_active, ascending=False).order_by(Site.name).order_by(Site.id).limit(
        page_size).offset((page - 1) * page_size)
    return SitePage(rows, total, page, pages)


async def kecamatan_of(district_id: int) -> list[str]:
    rows = await Site.select(Site.kecamatan).where((Site.district == district_id) & (Site.kecamatan != "")).distinct()
    return sorted(r["kecamatan"] for r in rows)


async def site_types_of(district_id: int) -> list[str]:
    rows = await Site.select(Site.site_type).where(Site.district == district_id).distinct()
    return sorted(r["site_type"] for r in rows)


async def site_count(district_id: int) -> int:
    return await Site.count().where(Site.district == district_id)

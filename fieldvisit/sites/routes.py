"""Browse the sites of a district evaluation (live search, filters, pages) and a site's page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from fieldvisit.catalogue import queries as catalogue
from fieldvisit.claims import queries as claims
from fieldvisit.rounds import queries as rounds
from fieldvisit.sites import domain, queries
from fieldvisit.sites.queries import SiteFilter
from fieldvisit.web.auth import UserDep
from fieldvisit.web.render import page

Req = Request[Any, Any, Any]


class SitesController(Controller):
    @get("/evaluations/{evaluation_id:int}/sites", name="sites:list")
    async def sites(self, request: Req, user: UserDep, evaluation_id: FromPath[int], q: FromQuery[str] = "",
                    site_type: FromQuery[str] = "", kecamatan: FromQuery[str] = "", has_claims: FromQuery[str] = "",
                    visited: FromQuery[str] = "", page_number: FromQuery[int] = 1) -> Template:
        evaluation = await rounds.get_evaluation_for_user(user, evaluation_id)
        flt = SiteFilter(q.strip()[:100], site_type.strip(), kecamatan.strip(), has_claims.strip(), visited.strip())
        result = await queries.list_sites(user, evaluation_id, flt, page=page_number)
        return page(request, "sites/sites.html", block="results", evaluation=evaluation, filters=flt, result=result,
                    counts=await claims.claim_counts_by_site(evaluation_id, [s["id"] for s in result.sites]),
                    type_names=await catalogue.site_type_names(evaluation["catalogue_version_id"]),
                    site_types=await queries.site_types_of(evaluation["district_id"]),
                    kecamatan=await queries.kecamatan_of(evaluation["district_id"]))

    @get("/sites/{site_id:int}", name="sites:detail")
    async def site(self, request: Req, user: UserDep, site_id: FromPath[int]) -> Template:
        site = await queries.get_site_for_user(user, site_id)
        groups = await claims.site_item_claims(user, site)
        latest = groups[0]["evaluation"]
        has_position = domain.has_position(site["latitude"], site["longitude"])
        return page(request, "sites/site.html", site=site, groups=groups, can_edit=user.is_admin,
                    type_names=await catalogue.site_type_names(latest["catalogue_version_id"]),
                    geo=domain.geo_uri(site["latitude"], site["longitude"], site["name"]) if has_position else "",
                    maps=domain.maps_url(site["latitude"], site["longitude"]) if has_position else "",
                    osm=domain.osm_url(site["latitude"], site["longitude"]) if has_position else "")

"""The catalogue, read-only: versions, then clusters, indicators, site types and their checklists.

For the ministry's people (admins, verifiers, note-takers); district staff do not need it (404).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from fieldvisit.accounts.domain import Role
from fieldvisit.catalogue import domain, queries
from fieldvisit.web.auth import roles
from fieldvisit.web.render import page

Req = Request[Any, Any, Any]


class CatalogueController(Controller):
    path = "/catalogue"
    guards = [roles(Role.ADMIN, Role.VERIFIER, Role.NOTETAKER)]

    @get("/", name="catalogue:versions")
    async def versions(self, request: Req) -> Template:
        return page(request, "catalogue/versions.html", versions=await queries.versions(),
                    counts=await queries.version_counts())

    @get("/{version_id:int}", name="catalogue:version")
    async def version(self, request: Req, version_id: FromPath[int]) -> Template:
        version = await queries.get_version(version_id)
        site_types = await queries.site_types(version_id)
        return page(request, "catalogue/version.html", version=version, clusters=await queries.clusters(version_id),
                    site_types=site_types, by_indicator=domain.site_types_by_indicator(site_types),
                    predicates=await queries.predicates(version_id))

    @get("/{version_id:int}/site-types/{site_type_code:str}", name="catalogue:site-type")
    async def site_type(self, request: Req, version_id: FromPath[int], site_type_code: FromPath[str]) -> Template:
        version = await queries.get_version(version_id)
        site_type = await queries.get_site_type(version_id, site_type_code)
        items = await queries.items(site_type["id"])
        indicators = {i["code"]: i for i in await queries.indicators(version_id)}
        return page(request, "catalogue/site_type.html", version=version, site_type=site_type,
                    groups=domain.group_by_component(items, site_type["components"]), indicators=indicators,
                    evidence_label=domain.evidence_label)

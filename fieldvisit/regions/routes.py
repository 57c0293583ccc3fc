"""The admin's region list and its CSV upload."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Template

from fieldvisit.regions import domain, queries
from fieldvisit.web.auth import SettingsDep, UserDep, admin_only
from fieldvisit.web.forms import read_form
from fieldvisit.web.i18n import _
from fieldvisit.web.render import form_errors, page
from fieldvisit.web.security import client_address

Req = Request[Any, Any, Any]


class RegionsController(Controller):
    path = "/admin/regions"
    guards = [admin_only]

    @get("/", name="regions:list")
    async def regions(self, request: Req, province: FromQuery[str] = "") -> Template:
        return page(request, "regions/regions.html", regions=await queries.list_regions(province),
                    counts=await queries.counts(), province=province, problems=[], result=None)

    @post("/", name="regions:import", request_max_body_size=5 * 1024 * 1024)
    async def import_regions(self, request: Req, user: UserDep, settings: SettingsDep) -> Template:
        form = await read_form(request)
        upload = form.file("file")
        problems: list[str]
        if upload is None:
            problems, rows = [_("Choose a CSV file.")], []
        else:
            rows, problems = domain.parse_regions_csv(await upload.read())
        if problems:
            return form_errors(request, "regions/regions.html", regions=await queries.list_regions(),
                               counts=await queries.counts(), province="", problems=problems, result=None)
        result = await queries.import_regions(user, rows, ip=client_address(request, settings))
        return page(request, "regions/regions.html", regions=await queries.list_regions(),
                    counts=await queries.counts(), province="", problems=[], result=result)

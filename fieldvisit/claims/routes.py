"""An admin adds or corrects a single claim without a re-import (audited with before/after)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from fieldvisit.catalogue import queries as catalogue
from fieldvisit.claims import domain, forms, queries
from fieldvisit.claims.domain import ClaimedStatus, ValueKind
from fieldvisit.rounds import queries as rounds
from fieldvisit.sites import queries as sites
from fieldvisit.web.auth import SettingsDep, UserDep, admin_only
from fieldvisit.web.forms import Errors, read_form
from fieldvisit.web.render import page, see_other
from fieldvisit.web.security import client_address

Req = Request[Any, Any, Any]


def _indicator_values(claim: dict[str, Any] | None, code: str) -> dict[str, Any]:
    """The form's fields for an existing claim (a withdrawn one starts empty)."""
    if claim is None or claim.get("deleted_at") is not None:
        return {"indicator": code, "value_kind": ValueKind.NUMBER.value}
    return {"indicator": code, "value_kind": claim["value_kind"], "unit": claim["unit"],
            "value": domain.value_text(claim["value_kind"], claim["value"]),
            "claimed_score": domain.plain_number(claim["claimed_score"]),
            "max_score": domain.plain_number(claim["max_score"]),
            "documents": domain.documents_text(claim["documents"])}


class ClaimsController(Controller):
    path = "/evaluations/{evaluation_id:int}"
    guards = [admin_only]

    @get("/indicator-claim", name="claims:indicator")
    async def indicator_form(self, request: Req, user: UserDep, evaluation_id: FromPath[int],
                             indicator: FromQuery[str] = "") -> Template:
        evaluation = await rounds.get_evaluation_for_admin(user, evaluation_id)
        code = indicator.strip().upper()
        claim = await queries.get_indicator_claim(evaluation_id, code) if code else None
        return await self._indicator_page(request, evaluation, _indicator_values(claim, code), Errors())

    @post("/indicator-claim", name="claims:indicator-save")
    async def save_indicator(self, request: Req, user: UserDep, evaluation_id: FromPath[int],
                             settings: SettingsDep) -> Template | Redirect:
        evaluation = await rounds.get_evaluation_for_admin(user, evaluation_id)
        form = await read_form(request)
        codes = [i["code"] for i in await catalogue.indicators(evaluation["catalogue_version_id"])]
        data, errors = forms.parse_indicator_claim(form, codes)
        if errors:
            return await self._indicator_page(request, evaluation, form.values, errors, status=422)
        changed = await queries.save_indicator_claim(user, evaluation_id, data.indicator_code, data.as_values(),
                                                     ip=client_address(request, settings))
        return see_other(f"/evaluations/{evaluation_id}", saved=data.indicator_code if changed else "unchanged")

    async def _indicator_page(self, request: Req, evaluation: dict[str, Any], values: dict[str, Any], errors: Errors,
                              status: int = 200) -> Template:
        return page(request, "claims/indicator_claim_form.html", status_code=status, evaluation=evaluation,
                    values=values, errors=errors, kinds=list(ValueKind),
                    indicators=await catalogue.indicators(evaluation["catalogue_version_id"]))

    @get("/sites/{site_id:int}/item-claim", name="claims:item")
    async def item_form(self, request: Req, user: UserDep, evaluation_id: FromPath[int], site_id: FromPath[int],
                        item: FromQuery[str] = "") -> Template:
        evaluation = await rounds.get_evaluation_for_admin(user, evaluation_id)
        site = await sites.get_site_of_evaluation(user, evaluation, site_id)
        code = item.strip().upper()
        claim = await queries.get_site_item_claim(evaluation_id, site_id, code) if code else None
        values: dict[str, Any] = {"item": code, "claimed_status": ClaimedStatus.MET.value}
        if claim is not None and claim["deleted_at"] is None:
            values.update(claimed_status=claim["claimed_status"], documents=domain.documents_text(claim["documents"]))
        return await self._item_page(request, evaluation, site, values, Errors())

    @post("/sites/{site_id:int}/item-claim", name="claims:item-save")
    async def save_item(self, request: Req, user: UserDep, evaluation_id: FromPath[int], site_id: FromPath[int],
                        settings: SettingsDep) -> Template | Redirect:
        evaluation = await rounds.get_evaluation_for_admin(user, evaluation_id)
        site = await sites.get_site_of_evaluation(user, evaluation, site_id)
        form = await read_form(request)
        items = await catalogue.items_of_type(evaluation["catalogue_version_id"], site["site_type"])
        data, errors = forms.parse_site_item_claim(form, [i["code"] for i in items])
        if errors:
            return await self._item_page(request, evaluation, site, form.values, errors, status=422)
        changed = await queries.save_site_item_claim(user, evaluation, site, data.item_code, data.as_values(),
                                                     ip=client_address(request, settings))
        return see_other(f"/sites/{site_id}", saved=data.item_code if changed else "unchanged")

    async def _item_page(self, request: Req, evaluation: dict[str, Any], site: dict[str, Any], values: dict[str, Any],
                         errors: Errors, status: int = 200) -> Template:
        return page(request, "claims/item_claim_form.html", status_code=status, evaluation=evaluation, site=site,
                    values=values, errors=errors, statuses=list(ClaimedStatus),
                    items=await catalogue.items_of_type(evaluation["catalogue_version_id"], site["site_type"]))

"""Rounds and district evaluations: the admin's pages to create and edit them, and the
evaluation pages every role browses (scoped by ``queries.get_evaluation_for_user``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from fieldvisit.accounts.domain import Role
from fieldvisit.catalogue import queries as catalogue
from fieldvisit.claims import domain as claims_domain
from fieldvisit.claims import queries as claims
from fieldvisit.errors import RuleViolation
from fieldvisit.regions import queries as regions
from fieldvisit.rounds import forms, queries
from fieldvisit.rounds.domain import DEFAULT_HIGH, DEFAULT_LOW, FieldMode, Stage
from fieldvisit.sites import queries as sites
from fieldvisit.web.auth import SettingsDep, UserDep, admin_only
from fieldvisit.web.forms import Errors, read_form
from fieldvisit.web.i18n import _
from fieldvisit.web.render import form_errors, page, see_other
from fieldvisit.web.security import client_address

Req = Request[Any, Any, Any]


def _round_form_values(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], "year": row["year"], "catalogue_version": str(row["catalogue_version_id"]),
            "starts_on": row["starts_on"] or "", "ends_on": row["ends_on"] or "",
            "response_days": row["response_days"], "notetakers_may_promote": row["notetakers_may_promote"]}


class RoundsAdminController(Controller):
    path = "/admin/rounds"
    guards = [admin_only]

    @get("/", name="rounds:list")
    async def rounds(self, request: Req, user: UserDep) -> Template:
        return page(request, "rounds/rounds.html", rounds=await queries.list_rounds(user))

    @get("/new", name="rounds:new")
    async def new_round(self, request: Req) -> Template:
        versions = await catalogue.versions()
        values = {"year": datetime.now(UTC).year, "response_days": 14,
                  "catalogue_version": str(versions[-1]["id"]) if versions else ""}
        return page(request, "rounds/round_form.html", values=values, errors=Errors(), versions=versions,
                    editing=None)

    @post("/new", name="rounds:create")
    async def create_round(self, request: Req, user: UserDep, settings: SettingsDep) -> Template | Redirect:
        form = await read_form(request)
        versions = await catalogue.versions()
        data, errors = forms.parse_round(form, [v["id"] for v in versions])
        if data.name and await queries.round_name_taken(data.name):
            errors.add("name", _("A round with this name already exists."))
        if errors:
            return form_errors(request, "rounds/round_form.html", values=form.values, errors=errors,
                               versions=versions, editing=None)
        round_id = await queries.create_round(user, data.as_values(), ip=client_address(request, settings))
        return see_other(f"/admin/rounds/{round_id}", saved="created")

    @get("/{round_id:int}", name="rounds:detail")
    async def round_page(self, request: Req, user: UserDep, round_id: FromPath[int]) -> Template:
        return await self._round_page(request, user, round_id, values={}, errors=Errors())

    @post("/{round_id:int}/districts", name="rounds:add-districts")
    async def add_districts(self, request: Req, user: UserDep, round_id: FromPath[int],
                            settings: SettingsDep) -> Template | Redirect:
        await queries.get_round_for_admin(user, round_id)
        form = await read_form(request)
        choice, errors = forms.parse_districts(form)
        found: list[dict[str, Any]] = []
        if not errors:
            found, unknown = await queries.districts_for(choice.codes, choice.province)
            if unknown:
                errors.add("codes", _("Not in the region list: %(codes)s.") % {"codes": ", ".join(unknown)})
            elif not found:
                errors.add("province", _("This province has no kab/kota in the region list."))
        if errors:
            return await self._round_page(request, user, round_id, values=form.values, errors=errors, status=422)
        added, already = await queries.add_districts(user, round_id, found, ip=client_address(request, settings))
        return see_other(f"/admin/rounds/{round_id}", added=len(added), already=len(already))

    async def _round_page(self, request: Req, user: UserDep, round_id: int, *, values: dict[str, Any],
                          errors: Errors, status: int = 200) -> Template:
        row = await queries.get_round_for_admin(user, round_id)
        all_regions = await regions.list_regions()
        return page(request, "rounds/round.html", status_code=status, round=row, values=values, errors=errors,
                    evaluations=await queries.evaluations_of_round(user, round_id),
                    districts=[r for r in all_regions if r["level"] != "province"],
                    provinces=[r for r in all_regions if r["level"] == "province"],
                    tolerance_count=len(await queries.tolerances(round_id)))

    @get("/{round_id:int}/edit", name="rounds:edit")
    async def edit_round(self, request: Req, user: UserDep, round_id: FromPath[int]) -> Template:
        row = await queries.get_round_for_admin(user, round_id)
        return page(request, "rounds/round_form.html", values=_round_form_values(row), errors=Errors(),
                    versions=await catalogue.versions(), editing=row)

    @post("/{round_id:int}/edit", name="rounds:update")
    async def update_round(self, request: Req, user: UserDep, round_id: FromPath[int],
                           settings: SettingsDep) -> Template | Redirect:
        row = await queries.get_round_for_admin(user, round_id)
        form = await read_form(request)
        versions = await catalogue.versions()
        data, errors = forms.parse_round(form, [v["id"] for v in versions])
        if data.name and await queries.round_name_taken(data.name, except_id=round_id):
            errors.add("name", _("A round with this name already exists."))
        if not errors:
            try:
                await queries.update_round(user, round_id, data.as_values(), ip=client_address(request, settings))
                return see_other(f"/admin/rounds/{round_id}", saved="round")
            except RuleViolation as exc:
                errors.add("catalogue_version", exc.message)
        return form_errors(request, "rounds/round_form.html", values=form.values, errors=errors, versions=versions,
                           editing=row)

    @get("/{round_id:int}/tolerances", name="rounds:tolerances")
    async def tolerances(self, request: Req, user: UserDep, round_id: FromPath[int]) -> Template:
        row = await queries.get_round_for_admin(user, round_id)
        values: dict[str, Any] = {}
        for code, (low, high) in (await queries.tolerances(round_id)).items():
            values[f"low-{code}"], values[f"high-{code}"] = f"{low.normalize():f}", f"{high.normalize():f}"
        return await self._tolerances_page(request, row, values, Errors())

    @post("/{round_id:int}/tolerances", name="rounds:tolerances-save")
    async def save_tolerances(self, request: Req, user: UserDep, round_id: FromPath[int],
                              settings: SettingsDep) -> Template | Redirect:
        row = await queries.get_round_for_admin(user, round_id)
        form = await read_form(request)
        codes = [i["code"] for i in await catalogue.indicators(row["catalogue_version_id"])]
        bands, errors = forms.parse_tolerances(form, codes)
        if errors:
            return await self._tolerances_page(request, row, form.values, errors, status=422)
        changed = await queries.save_tolerances(user, round_id, bands, ip=client_address(request, settings))
        return see_other(f"/admin/rounds/{round_id}/tolerances", saved=changed)

    async def _tolerances_page(self, request: Req, row: dict[str, Any], values: dict[str, Any], errors: Errors,
                               status: int = 200) -> Template:
        return page(request, "rounds/tolerances.html", status_code=status, round=row, values=values, errors=errors,
                    clusters=await catalogue.clusters(row["catalogue_version_id"]),
                    default_low=DEFAULT_LOW, default_high=DEFAULT_HIGH)


class EvaluationAdminController(Controller):
    """A district evaluation's settings and team (admins)."""

    path = "/admin/evaluations"
    guards = [admin_only]

    @get("/{evaluation_id:int}", name="rounds:evaluation-admin")
    async def settings_page(self, request: Req, user: UserDep, evaluation_id: FromPath[int]) -> Template:
        evaluation = await queries.get_evaluation_for_admin(user, evaluation_id)
        values = {k: evaluation[k] or "" for k in ("stage", "field_mode", "field_starts_on", "field_ends_on")}
        return await self._page(request, evaluation, values, Errors())

    @post("/{evaluation_id:int}", name="rounds:evaluation-update")
    async def update(self, request: Req, user: UserDep, evaluation_id: FromPath[int],
                     settings: SettingsDep) -> Template | Redirect:
        evaluation = await queries.get_evaluation_for_admin(user, evaluation_id)
        form = await read_form(request)
        data, errors = forms.parse_evaluation(form)
        if errors:
            return await self._page(request, evaluation, form.values, errors, status=422)
        await queries.update_evaluation(user, evaluation_id, data.as_values(), ip=client_address(request, settings))
        return see_other(f"/admin/evaluations/{evaluation_id}", saved="settings")

    @post("/{evaluation_id:int}/team", name="rounds:team-add")
    async def add_member(self, request: Req, user: UserDep, evaluation_id: FromPath[int],
                         settings: SettingsDep) -> Template | Redirect:
        evaluation = await queries.get_evaluation_for_admin(user, evaluation_id)
        form = await read_form(request)
        member, errors = forms.parse_member(form)
        if not errors and member is not None:
            try:
                await queries.add_member(user, evaluation_id, member, ip=client_address(request, settings))
                return see_other(f"/admin/evaluations/{evaluation_id}", saved="team")
            except RuleViolation as exc:
                errors.add("user", exc.message)
        values = {k: evaluation[k] or "" for k in ("stage", "field_mode", "field_starts_on", "field_ends_on")}
        return await self._page(request, evaluation, values, Errors(), team_errors=errors, status=422)

    @post("/{evaluation_id:int}/team/{member_id:int}/remove", name="rounds:team-remove")
    async def remove_member(self, request: Req, user: UserDep, evaluation_id: FromPath[int],
                            member_id: FromPath[int], settings: SettingsDep) -> Redirect:
        await queries.remove_member(user, evaluation_id, member_id, ip=client_address(request, settings))
        return see_other(f"/admin/evaluations/{evaluation_id}", saved="removed")

    async def _page(self, request: Req, evaluation: dict[str, Any], values: dict[str, Any], errors: Errors, *,
                    team_errors: Errors | None = None, status: int = 200) -> Template:
        return page(request, "rounds/evaluation_admin.html", status_code=status, evaluation=evaluation,
                    values=values, errors=errors, team_errors=team_errors or Errors(),
                    team=await queries.team(evaluation["id"]),
                    candidates=await queries.team_candidates(evaluation["id"]), stages=list(Stage),
                    modes=list(FieldMode))


class EvaluationsController(Controller):
    """The district evaluations a user may see, and each one's claims and self-assessed score."""

    path = "/evaluations"

    @get("/", name="evaluations:list")
    async def evaluations(self, request: Req, user: UserDep) -> Template:
        rows = await queries.evaluations_for(user)
        scores = await claims.self_assessments(user, rows)
        names = {v: await claims.predicate_rows(v) for v in {r["catalogue_version_id"] for r in rows}}
        return page(request, "rounds/evaluations.html", evaluations=rows, scores=scores, predicate_names=names)

    @get("/{evaluation_id:int}", name="evaluations:detail")
    async def evaluation(self, request: Req, user: UserDep, evaluation_id: FromPath[int],
                         saved: FromQuery[str] = "") -> Template:
        evaluation = await queries.get_evaluation_for_user(user, evaluation_id)
        rows = await claims.indicator_claims(user, evaluation_id)
        clusters = await catalogue.clusters(evaluation["catalogue_version_id"])
        assessment = await claims.self_assessment(evaluation, rows)
        names = await claims.predicate_rows(evaluation["catalogue_version_id"])
        return page(request, "rounds/evaluation.html", evaluation=evaluation, groups=claims_domain.by_cluster(
                    clusters, rows), unknown=claims_domain.unknown_indicator_claims(clusters, rows),
                    assessment=assessment, predicate_names=names, site_count=await sites.site_count(evaluation["district_id"]),
                    item_claims=await claims.item_claim_counts_by_indicator(evaluation),
                    team=await queries.team(evaluation_id) if user.role is not Role.DISTRICT else [],
                    can_edit=user.is_admin, saved=saved)

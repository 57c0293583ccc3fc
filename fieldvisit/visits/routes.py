"""Visits: plan them on an evaluation, and the visit page (check-in, outcome, checklist, submit).

Every mutation is a plain form first (POST -> 303 back to the page); htmx enhances the
checklist so that each change saves at once and answers the item's block.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template

from fieldvisit.errors import AppError, Forbidden, RuleViolation
from fieldvisit.photos.routes import photos_context
from fieldvisit.privacy.queries import export_scope
from fieldvisit.rounds.queries import get_evaluation_for_user, round_for_export
from fieldvisit.visits import domain, exports, forms, queries
from fieldvisit.web import i18n, spreadsheet
from fieldvisit.web.auth import SettingsDep, UserDep, admin_only
from fieldvisit.web.forms import Errors, read_form
from fieldvisit.web.i18n import _
from fieldvisit.web.render import form_errors, is_htmx, page, see_other
from fieldvisit.web.security import client_address
from fieldvisit.web.templating import format_clock

Req = Request[Any, Any, Any]
VISIT_PAGE = "visits/visit.html"
PLAN_PAGE = "visits/evaluation.html"


def clock(value: datetime | None, zone: str = "WIB") -> str:
    """10:42 in the site's time zone (the "Saved 10:42" of an item)."""
    return format_clock(value, zone)


def vocabulary() -> dict[str, Any]:
    """The choices with their labels in the current language, and the label lookups."""
    return {
        "results": [(v, _(domain.RESULT_LABELS[v])) for v in domain.RESULTS],
        "outcomes": [(v, _(domain.OUTCOME_LABELS[v])) for v in domain.OUTCOMES],
        "modes": [(v, _(domain.MODE_LABELS[v])) for v in domain.MODES],
        "result_label": lambda v: domain.label(domain.RESULT_LABELS, v),
        "outcome_label": lambda v: domain.label(domain.OUTCOME_LABELS, v),
        "mode_label": lambda v: domain.label(domain.MODE_LABELS, v),
        "status_label": lambda v: domain.label(domain.STATUS_LABELS, v),
        "claim_label": lambda v: domain.label(domain.CLAIM_LABELS, v),
        "ends_checklist": domain.ends_checklist,
        "near_site_m": domain.NEAR_SITE_M,
        "clock": clock,
    }


def _now() -> datetime:
    return datetime.now(UTC)


async def _findings_export(user: Any, evaluation_id: int, fmt: str) -> tuple[Any, str, dict[str, str]]:
    """Those who see the evaluation's visits (admins, its team, the district's own staff) export
    its findings; anyone else gets 404."""
    evaluation = await get_evaluation_for_user(user, evaluation_id)
    await export_scope(user, f"findings.{fmt}", district_id=evaluation["district_id"])  # neither originals nor GPS
    source = exports.rows(evaluation, may_see_location=domain.may_see_gps(user.role))
    name = f"{_('Findings')} {evaluation['district_name']}"
    return source, name, spreadsheet.download_headers(f"{name} {evaluation['round_name']}.{fmt}")


async def _round_evaluations(user: Any, evaluation_ids: list[int]) -> AsyncIterator[dict[str, Any]]:
    for evaluation_id in evaluation_ids:
        yield await get_evaluation_for_user(user, evaluation_id)


async def _round_findings_export(user: Any, round_id: int, fmt: str) -> tuple[Any, str, dict[str, str]]:
    round_name, evaluation_ids = await round_for_export(user, round_id)
    await export_scope(user, f"round-findings.{fmt}")
    name = f"{_('Findings')} {round_name}"
    return exports.round_rows(_round_evaluations(user, evaluation_ids)), name, spreadsheet.download_headers(
        f"{name}.{fmt}")


class VisitsController(Controller):
    @get("/evaluations/{evaluation_id:int}/findings.csv", name="visits:findings-csv")
    async def findings_csv(self, user: UserDep, evaluation_id: FromPath[int]) -> Stream:
        """The evaluation's current findings as CSV, UTF-8 with BOM, streamed."""
        source, _name, headers = await _findings_export(user, evaluation_id, "csv")
        return Stream(spreadsheet.csv_stream(i18n.current_language(), exports.COLUMNS, source),
                      media_type=spreadsheet.CSV_MEDIA_TYPE, headers=headers)

    @get("/evaluations/{evaluation_id:int}/findings.xlsx", name="visits:findings-xlsx")
    async def findings_xlsx(self, user: UserDep, evaluation_id: FromPath[int]) -> Stream:
        """The same as an XLSX workbook."""
        source, name, headers = await _findings_export(user, evaluation_id, "xlsx")
        return Stream(spreadsheet.xlsx_stream(i18n.current_language(), exports.COLUMNS, source, name),
                      media_type=spreadsheet.XLSX_MEDIA_TYPE, headers=headers)

    @get("/admin/rounds/{round_id:int}/findings.csv", name="visits:round-findings-csv", guards=[admin_only])
    async def round_findings_csv(self, user: UserDep, round_id: FromPath[int]) -> Stream:
        """Every finding of every district evaluation of a round, a kab/kota column first (admins)."""
        source, _name, headers = await _round_findings_export(user, round_id, "csv")
        return Stream(spreadsheet.csv_stream(i18n.current_language(), exports.ROUND_COLUMNS, source),
                      media_type=spreadsheet.CSV_MEDIA_TYPE, headers=headers)

    @get("/admin/rounds/{round_id:int}/findings.xlsx", name="visits:round-findings-xlsx", guards=[admin_only])
    async def round_findings_xlsx(self, user: UserDep, round_id: FromPath[int]) -> Stream:
        """The same as an XLSX workbook."""
        source, name, headers = await _round_findings_export(user, round_id, "xlsx")
        return Stream(spreadsheet.xlsx_stream(i18n.current_language(), exports.ROUND_COLUMNS, source, name),
                      media_type=spreadsheet.XLSX_MEDIA_TYPE, headers=headers)

    @get("/evaluations/{evaluation_id:int}/visits", name="visits:evaluation")
    async def evaluation_visits(self, request: Req, user: UserDep, evaluation_id: FromPath[int]) -> Template:
        evaluation = await get_evaluation_for_user(user, evaluation_id)
        return page(request, PLAN_PAGE, **await self._plan_context(user, evaluation, Errors(), {}))

    @post("/evaluations/{evaluation_id:int}/visits", name="visits:plan")
    async def plan(self, request: Req, user: UserDep, settings: SettingsDep,
                   evaluation_id: FromPath[int]) -> Template | Redirect:
        evaluation = await get_evaluation_for_user(user, evaluation_id)
        if not queries.may_plan(user):
            raise Forbidden(_("Only the evaluation's verifiers and admins plan visits."))
        form = await read_form(request)
        plan, errors = forms.parse_plan(form)
        choices = await queries.plan_choices(evaluation)
        if not plan.team_ids and user.is_verifier:
            plan = forms.Plan(plan.planned_on, plan.mode, plan.site_ids, [user.id])
        if not errors:
            errors.update(domain.plan_problems(plan.site_ids, {s["id"] for s in choices["sites"]}, plan.team_ids,
                                               {v["id"] for v in choices["verifiers"]}))
        if errors:
            values = {"planned_on": form.get("planned_on"), "mode": form.get("mode"),
                      "site": set(form.getlist("site")), "team": set(form.getlist("team"))}
            return form_errors(request, PLAN_PAGE, **await self._plan_context(user, evaluation, errors, values))
        result = await queries.plan_visits(user, evaluation, plan, ip=client_address(request, settings))
        return see_other(request.app.route_reverse("visits:evaluation", evaluation_id=evaluation_id),
                         planned=result.created, skipped=result.skipped or None)

    @staticmethod
    async def _plan_context(user: UserDep, evaluation: dict[str, Any], errors: Errors,
                            values: dict[str, Any]) -> dict[str, Any]:
        today = queries.today_in(evaluation, _now())
        can_plan = queries.may_plan(user)
        defaults = {"planned_on": today.isoformat(),
                    "mode": "video" if evaluation["field_mode"] == "hybrid" else "kunjungan",
                    "site": set(), "team": {str(user.id)} if user.is_verifier else set()}
        return {"evaluation": evaluation, "visits": await queries.evaluation_visits(evaluation["id"]),
                "can_plan": can_plan, "choices": await queries.plan_choices(evaluation) if can_plan else None,
                "values": {**defaults, **values}, "errors": errors, "today": today, **vocabulary()}

    @get("/visits/{visit_id:int}", name="visits:detail")
    async def detail(self, request: Req, user: UserDep, visit_id: FromPath[int]) -> Template:
        visit = await queries.get_visit_for_user(user, visit_id)
        return await self._visit_page(request, user, visit)

    async def _visit_page(self, request: Req, user: UserDep, visit: dict[str, Any], *, status_code: int = 200,
                          **extra: Any) -> Template:
        context = {"visit": visit, "site_type": await queries.site_type_name(visit), "zone": visit["time_zone"] or "WIB",
                   "item_errors": {}, "outcome_errors": Errors(), "submit_problem": "",
                   **await queries.visit_page(user, visit), **vocabulary(),
                   **await photos_context(user, visit, request.app.state["settings"])}
        return page(request, VISIT_PAGE, status_code=status_code, **{**context, **extra})

    @post("/visits/{visit_id:int}/check-in", name="visits:check-in")
    async def check_in(self, request: Req, user: UserDep, settings: SettingsDep, visit_id: FromPath[int]) -> Redirect:
        visit = await queries.get_visit_for_recording(user, visit_id)
        position = forms.parse_check_in(await read_form(request))
        await queries.check_in(user, visit, position, now=_now(), ip=client_address(request, settings))
        return see_other(self._visit_url(request, visit_id) + "#outcome")

    @post("/visits/{visit_id:int}/outcome", name="visits:outcome")
    async def outcome(self, request: Req, user: UserDep, settings: SettingsDep,
                      visit_id: FromPath[int]) -> Template | Redirect:
        visit = await queries.get_visit_for_recording(user, visit_id)
        data, errors = forms.parse_outcome(await read_form(request))
        if not errors:
            try:
                await queries.set_outcome(user, visit, data.outcome, data.note,
                                          now=_now(), ip=client_address(request, settings))
            except RuleViolation as exc:
                errors.add("outcome", exc.message)
        if errors:
            return await self._visit_page(request, user, visit, status_code=422, outcome_errors=errors)
        anchor = "#checklist" if data.outcome == "found" else "#submit"
        return see_other(self._visit_url(request, visit_id) + anchor)

    @post("/visits/{visit_id:int}/items/{item_code:str}", name="visits:finding")
    async def save_finding(self, request: Req, user: UserDep, settings: SettingsDep, visit_id: FromPath[int],
                           item_code: FromPath[str]) -> Template | Redirect:
        visit = await queries.get_visit_for_recording(user, visit_id)
        await queries.checklist_item(visit, item_code)  # 422 when not an item of this site's type
        data, errors = forms.parse_finding(await read_form(request))
        try:
            if errors:
                raise RuleViolation(next(iter(errors.values())))
            saved = await queries.save_finding(user, visit, item_code, data, now=_now(),
                                               ip=client_address(request, settings))
        except AppError as exc:
            return await self._item_error(request, user, visit, item_code, exc)
        if not is_htmx(request):
            return see_other(self._visit_url(request, visit_id) + f"#item-{item_code}")
        block = await queries.item_block(user, visit, item_code, domain.next_client_uuid(saved.client_uuid, user.id))
        return page(request, VISIT_PAGE, block="item", visit=visit, zone=visit["time_zone"] or "WIB", oob=True,
                    just_saved=True, item_errors={}, **block, **vocabulary(),
                    **await photos_context(user, visit, settings, item_code))

    async def _item_error(self, request: Req, user: UserDep, visit: dict[str, Any], item_code: str,
                          exc: AppError) -> Template:
        """A refused save: the item's block (htmx) or the page (plain form) with the message
        at the item, with the error's status (409 conflict, 422 rule)."""
        if exc.status_code not in (409, 422):
            raise exc
        message = exc.message or exc.title
        if not is_htmx(request):
            return await self._visit_page(request, user, visit, status_code=exc.status_code,
                                          item_errors={item_code: message})
        block = await queries.item_block(user, visit, item_code)
        return page(request, VISIT_PAGE, block="item", status_code=exc.status_code, visit=visit,
                    zone=visit["time_zone"] or "WIB", oob=False, item_errors={item_code: message}, **block,
                    **vocabulary(), **await photos_context(user, visit, request.app.state["settings"], item_code))

    @post("/visits/{visit_id:int}/submit", name="visits:submit")
    async def submit(self, request: Req, user: UserDep, settings: SettingsDep,
                     visit_id: FromPath[int]) -> Template | Redirect:
        visit = await queries.get_visit_for_recording(user, visit_id)
        try:
            await queries.submit(user, visit, now=_now(), ip=client_address(request, settings))
        except RuleViolation as exc:
            return await self._visit_page(request, user, visit, status_code=422, submit_problem=exc.message)
        return see_other(self._visit_url(request, visit_id), submitted=1)

    @staticmethod
    def _visit_url(request: Req, visit_id: int) -> str:
        return request.app.route_reverse("visits:detail", visit_id=visit_id)

"""The gap list of a district evaluation, the gap page with its whole evidence chain, and the
response loop: the district answers, the team accepts, rejects, asks again or closes (one gap
or a ticked set), due dates, the answer's files."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, date, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Stream, Template

from fieldvisit.accounts.domain import Role
from fieldvisit.errors import Forbidden
from fieldvisit.gaps import domain, exports, forms, notify, queries
from fieldvisit.gaps.domain import Action, GapFilter
from fieldvisit.reconcile.queries import load_catalogue
from fieldvisit.rounds.queries import round_for_export
from fieldvisit.storage.base import BlobStore, new_key
from fieldvisit.storage.images import ImageRejected, make_derivatives
from fieldvisit.web import spreadsheet
from fieldvisit.web.auth import SettingsDep, StoreDep, UserDep, admin_only
from fieldvisit.web.blobs import blob_response
from fieldvisit.web.forms import Errors, read_form
from fieldvisit.web.i18n import _, current_language
from fieldvisit.web.render import form_errors, page, see_other
from fieldvisit.web.security import client_address

Req = Request[Any, Any, Any]
MB = 1024 * 1024
#: The whole answer: MAX_ATTACHMENTS files of up to 25 MB (the attachment setting is checked per
#: file, so a file over it gets a message, not a bare 413) and the text.
ANSWER_BODY_LIMIT = domain.MAX_ATTACHMENTS * 25 * MB + MB


def _today(evaluation: Any) -> date:
    return domain.local_today(datetime.now(UTC), evaluation.utc_offset)


def _base_url(request: Req) -> str:
    return str(request.base_url).rstrip("/")


async def _gap_context(request: Req, user: Any, gap_id: int, **extra: Any) -> dict[str, Any]:
    data = await queries.gap_page(user, gap_id, now=datetime.now(UTC))
    access = data["access"]
    data |= await queries.evidence(data["gap"], data["subject"], access)
    data["attachments"] = await queries.attachments_by_event(gap_id)
    status = data["gap"]["status"]
    data["may_respond"] = user.role is Role.DISTRICT and status in (domain.AWAITING_DISTRICT | domain.AWAITING_VERIFIER)
    data["may_decide"] = access.may_judge and status in domain.AWAITING_VERIFIER
    data["may_close"] = access.may_judge and status in (domain.AWAITING_DISTRICT | domain.AWAITING_VERIFIER)
    data["whatsapp"] = domain.whatsapp_link(
        _("Gap: %(rule)s, %(district)s") % {"rule": domain.rule_label(data["gap"]["rule"]),
                                            "district": access.evaluation.district_name},
        f"{_base_url(request)}/gaps/{gap_id}")
    data["max_mb"] = request.app.state["settings"].gap_max_attachment_mb
    data.update({"values": {}, "errors": Errors()} | extra)
    return data


async def _store_upload(store: BlobStore, upload: forms.Upload) -> dict[str, Any]:
    """Into the blob store before any row points at it. An image gets a display copy through
    the photo pipeline (faces blurred, no metadata): the only copy anyone is shown."""
    row: dict[str, Any] = {"file_name": upload.file_name, "content_type": upload.content_type,
                           "size_bytes": len(upload.data), "sha256": hashlib.sha256(upload.data).hexdigest(),
                           "kind": "photo" if upload.is_image else "document"}
    if upload.is_image:
        derivatives = await asyncio.to_thread(make_derivatives, upload.data)
        row["display_key"] = new_key("gapfile")
        await store.put(row["display_key"], derivatives.display_jpeg, "image/jpeg")
    row["blob_key"] = new_key("gapfile")
    await store.put(row["blob_key"], upload.data, upload.content_type)
    return row


async def _export(user: Any, evaluation_id: int, flt: GapFilter, fmt: str) -> tuple[Any, str, dict[str, str]]:
    access = await queries.gap_access(user, evaluation_id)
    catalogue = await load_catalogue(access.evaluation.catalogue_version_id)
    source = exports.rows(access, flt, today=_today(access.evaluation), cluster_indicators=[
        i.code for i in catalogue.indicators if i.cluster_code == flt.cluster])
    ev = access.evaluation
    name = f"{_('Gaps')} {ev.district_name}"
    return source, name, spreadsheet.download_headers(f"{name} {ev.round_name}.{fmt}")


async def _round_export(user: Any, round_id: int, fmt: str) -> tuple[Any, str, dict[str, str]]:
    round_name, evaluation_ids = await round_for_export(user, round_id)
    source = exports.round_rows(queries.evaluation_accesses(user, evaluation_ids))
    name = f"{_('Gaps')} {round_name}"
    return source, name, spreadsheet.download_headers(f"{name}.{fmt}")


class GapsController(Controller):
    @get("/evaluations/{evaluation_id:int}/gaps", name="gaps:list")
    async def gap_list(self, request: Req, user: UserDep, evaluation_id: FromPath[int], status: FromQuery[str] = "",
                       rule: FromQuery[str] = "", cluster: FromQuery[str] = "", indicator: FromQuery[str] = "",
                       overdue: FromQuery[str] = "", done: FromQuery[str] = "") -> Template:
        return page(request, "gaps/list.html", block="results", **await self._list_context(
            user, evaluation_id, GapFilter.parse(status, rule, cluster, indicator, overdue), done=done))

    async def _list_context(self, user: Any, evaluation_id: int, flt: GapFilter, **extra: Any) -> dict[str, Any]:
        access = await queries.gap_access(user, evaluation_id)
        catalogue = await load_catalogue(access.evaluation.catalogue_version_id)
        gaps = await queries.list_gaps(access, flt, today=_today(access.evaluation), cluster_indicators=[
            i.code for i in catalogue.indicators if i.cluster_code == flt.cluster])
        return {"access": access, "e": access.evaluation, "flt": flt, "gaps": gaps[:queries.LIST_LIMIT],
                "more": len(gaps) > queries.LIST_LIMIT, "catalogue": catalogue,
                "rules": [r for r in domain.RULE_LABELS if access.full or r != "provenance"],
                "statuses": list(domain.STATUS_LABELS), "errors": Errors(), "values": {}, "done": ""} | extra

    @post("/evaluations/{evaluation_id:int}/gaps/bulk", name="gaps:bulk")
    async def bulk(self, request: Req, user: UserDep, settings: SettingsDep,
                   evaluation_id: FromPath[int]) -> Template | Redirect:
        access = await queries.gap_access(user, evaluation_id)
        if not access.may_judge:
            raise Forbidden()
        form = await read_form(request)
        flt = GapFilter.parse(form.get("status"), form.get("rule"), form.get("cluster"), form.get("indicator"),
                              form.get("overdue"))
        filtered = None
        if form.get("every") in ("1", "on"):  # every gap the list shows with these filters
            filtered = [g["id"] for g in (await self._list_context(user, evaluation_id, flt))["gaps"]]
        data, errors = forms.parse_bulk(form, today=_today(access.evaluation), filtered_ids=filtered)
        if data is None:
            return form_errors(request, "gaps/list.html", **await self._list_context(
                user, evaluation_id, flt, errors=errors, values=form.values))
        now, ip = datetime.now(UTC), client_address(request, settings)
        if data.action == "due":
            assert data.due_on is not None
            done = await queries.set_due(user, data.gap_ids, access, data.due_on, now=now, ip=ip)
            skipped = len(data.gap_ids) - done
        else:
            changes, skipped = await queries.bulk_decide(user, data.gap_ids, access, Action(data.action), data.text,
                                                         now=now, ip=ip)
            done = len(changes)
            notify.notify_later(settings, changes, _base_url(request))
        return see_other(f"/evaluations/{evaluation_id}/gaps", **flt.query(), done=f"{done}-{skipped}")

    @get("/gaps/{gap_id:int}", name="gaps:detail")
    async def detail(self, request: Req, user: UserDep, gap_id: FromPath[int]) -> Template:
        return page(request, "gaps/gap.html", **await _gap_context(request, user, gap_id))

    @post("/gaps/{gap_id:int}/respond", name="gaps:respond", request_max_body_size=ANSWER_BODY_LIMIT)
    async def respond(self, request: Req, user: UserDep, settings: SettingsDep, store: StoreDep,
                      gap_id: FromPath[int]) -> Template | Redirect:
        _gap, access = await queries.get_gap_for_user(user, gap_id)
        if user.role is not Role.DISTRICT:
            raise Forbidden(_("Only the district's staff answer a gap."))
        form = await read_form(request)
        answer, errors = await forms.parse_answer(form, max_bytes=settings.gap_max_attachment_mb * MB)
        stored: list[dict[str, Any]] = []
        if answer is not None:
            try:
                stored = [await _store_upload(store, u) for u in answer.uploads]
            except ImageRejected as exc:
                errors.add("attachments", exc.message)
        if answer is None or errors:
            return form_errors(request, "gaps/gap.html", **await _gap_context(
                request, user, gap_id, values=form.values, errors=errors))
        change = await queries.respond(user, gap_id, access, answer.text, stored, now=datetime.now(UTC),
                                       ip=client_address(request, settings))
        notify.notify_later(settings, [change], _base_url(request))
        return see_other(f"/gaps/{gap_id}")

    @post("/gaps/{gap_id:int}/decide", name="gaps:decide")
    async def decide(self, request: Req, user: UserDep, settings: SettingsDep, gap_id: FromPath[int]) -> Template | Redirect:
        _gap, access = await queries.get_gap_for_user(user, gap_id)
        if not access.may_judge:
            raise Forbidden(_("Only the verification team decides on a gap."))
        form = await read_form(request)
        decision, errors = forms.parse_decision(form)
        if decision is None:
            return form_errors(request, "gaps/gap.html", **await _gap_context(
                request, user, gap_id, values=form.values, errors=errors))
        change = await queries.decide(user, gap_id, access, *decision, now=datetime.now(UTC),
                                      ip=client_address(request, settings))
        notify.notify_later(settings, [change], _base_url(request))
        return see_other(f"/gaps/{gap_id}")

    @post("/gaps/{gap_id:int}/due", name="gaps:due")
    async def due(self, request: Req, user: UserDep, settings: SettingsDep, gap_id: FromPath[int]) -> Template | Redirect:
        _gap, access = await queries.get_gap_for_user(user, gap_id)
        if not access.may_judge:
            raise Forbidden()
        form = await read_form(request)
        due_on, errors = forms.parse_due(form, today=_today(access.evaluation))
        if due_on is None:
            return form_errors(request, "gaps/gap.html", **await _gap_context(
                request, user, gap_id, values=form.values, errors=errors))
        await queries.set_due(user, [gap_id], access, due_on, now=datetime.now(UTC),
                              ip=client_address(request, settings))
        return see_other(f"/gaps/{gap_id}")

    @get("/gap-attachments/{attachment_id:int}", name="gaps:attachment")
    async def attachment(self, user: UserDep, store: StoreDep, attachment_id: FromPath[int]) -> Response[Any]:
        found = await queries.attachment_for_user(user, attachment_id)
        return await blob_response(store, found["serve_key"], content_type=found["serve_type"],
                                   filename=found["serve_name"], attachment=found["serve_type"] == "application/pdf")

    @get("/evaluations/{evaluation_id:int}/gaps.csv", name="gaps:export-csv")
    async def export_csv(self, user: UserDep, evaluation_id: FromPath[int], status: FromQuery[str] = "",
                         rule: FromQuery[str] = "", cluster: FromQuery[str] = "", indicator: FromQuery[str] = "",
                         overdue: FromQuery[str] = "") -> Stream:
        """The (filtered) gap list as CSV, UTF-8 with BOM, streamed."""
        source, name, headers = await _export(user, evaluation_id, GapFilter.parse(status, rule, cluster, indicator,
                                                                                   overdue), "csv")
        return Stream(spreadsheet.csv_stream(current_language(), exports.COLUMNS, source),
                      media_type=spreadsheet.CSV_MEDIA_TYPE, headers=headers)

    @get("/evaluations/{evaluation_id:int}/gaps.xlsx", name="gaps:export-xlsx")
    async def export_xlsx(self, user: UserDep, evaluation_id: FromPath[int], status: FromQuery[str] = "",
                          rule: FromQuery[str] = "", cluster: FromQuery[str] = "", indicator: FromQuery[str] = "",
                          overdue: FromQuery[str] = "") -> Stream:
        """The (filtered) gap list as an XLSX workbook, streamed."""
        source, name, headers = await _export(user, evaluation_id, GapFilter.parse(status, rule, cluster, indicator,
                                                                                   overdue), "xlsx")
        return Stream(spreadsheet.xlsx_stream(current_language(), exports.COLUMNS, source, name), headers=headers,
                      media_type=spreadsheet.XLSX_MEDIA_TYPE)

    @get("/admin/rounds/{round_id:int}/gaps.csv", name="gaps:round-export-csv", guards=[admin_only])
    async def round_export_csv(self, user: UserDep, round_id: FromPath[int]) -> Stream:
        """Every gap of every district evaluation of a round, a kab/kota column first (admins)."""
        source, _name, headers = await _round_export(user, round_id, "csv")
        return Stream(spreadsheet.csv_stream(current_language(), exports.ROUND_COLUMNS, source),
                      media_type=spreadsheet.CSV_MEDIA_TYPE, headers=headers)

    @get("/admin/rounds/{round_id:int}/gaps.xlsx", name="gaps:round-export-xlsx", guards=[admin_only])
    async def round_export_xlsx(self, user: UserDep, round_id: FromPath[int]) -> Stream:
        """The same as XLSX."""
        source, name, headers = await _round_export(user, round_id, "xlsx")
        return Stream(spreadsheet.xlsx_stream(current_language(), exports.ROUND_COLUMNS, source, name),
                      headers=headers, media_type=spreadsheet.XLSX_MEDIA_TYPE)

    @get("/evaluations/{evaluation_id:int}/report", name="gaps:report")
    async def report(self, request: Req, user: UserDep, evaluation_id: FromPath[int]) -> Template:
        """The berita acara of the field verification: scores, gaps by cluster, the team, the
        signatures block; a page with a print stylesheet."""
        access = await queries.team_access(user, evaluation_id)
        today = _today(access.evaluation)
        return page(request, "gaps/report.html", access=access, e=access.evaluation, today=today,
                    **await queries.report(access, today=today))

"""The admin's import pages: upload → preview → confirm, history, undo."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar import Controller, Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from fieldvisit.errors import Conflict, NotFound, RuleViolation
from fieldvisit.imports import domain, forms, queries
from fieldvisit.imports.reader import MB, ReadError
from fieldvisit.regions import queries as regions
from fieldvisit.rounds import queries as rounds
from fieldvisit.rounds.tables import Round
from fieldvisit.settings import Settings
from fieldvisit.web.auth import SettingsDep, UserDep, admin_only
from fieldvisit.web.forms import Errors, read_form
from fieldvisit.web.i18n import _
from fieldvisit.web.render import form_errors, page, see_other
from fieldvisit.web.security import client_address

Req = Request[Any, Any, Any]

TEMPLATES = {
    "sites.csv": [
        ["kode_lokasi", "nama", "jenis", "kab_kota", "alamat", "kecamatan", "kelurahan", "lintang", "bujur",
         "narahubung", "telepon"],
        ["PSPG-01", "Puspaga Kota Tangerang", "PUSPAGA", "36.71", "Jl. Satria Sudirman No. 1", "Tangerang",
         "Sukaasih", "-6,1783", "106,6319", "Ibu Sari", "021-5550123"],
    ],
    "indicator-claims.csv": [
        ["kode_indikator", "nilai", "satuan", "skor", "skor_maksimal", "dokumen", "tautan"],
        ["I04", "92,5", "%", "38", "", "Data akta kelahiran 2024", "https://example.go.id/akta.pdf"],
    ],
    "site-item-claims.csv": [
        ["kode_lokasi", "kode_item", "status", "dokumen", "tautan"],
        ["PSPG-01", "PUSPAGA-02", "terpenuhi", "SK Puspaga", "sk-puspaga.pdf"],
    ],
}


async def _site_form_context(district: str = "", round_id: int | None = None) -> dict[str, Any]:
    return {"districts": await regions.districts(),
            "rounds": await Round.select(Round.id, Round.name, Round.year).order_by(Round.year, ascending=False),
            "values": {"district": district, "round": str(round_id or "")}}


def _rows_context(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [domain.describe_row(r) for r in rows]


class ImportsController(Controller):
    path = "/admin/imports"
    guards = [admin_only]

    @get("/", name="imports:index")
    async def index(self, request: Req, district: FromQuery[str] = "", kind: FromQuery[str] = "",
                    page_number: FromQuery[int] = 1) -> Template:
        page_number = max(1, page_number)
        batches, more = await queries.history(district_code=district.strip(), kind=kind, page=page_number)
        return page(request, "imports/index.html", block="history", batches=batches, more=more,
                    page_number=page_number, district=district, kind=kind,
                    districts=await queries.districts_with_imports(), status_label=queries.status_label)

    @get("/sites/new", name="imports:sites-new")
    async def sites_new(self, request: Req, settings: SettingsDep, district: FromQuery[str] = "",
                        round_id: FromQuery[int | None] = None) -> Template:
        return page(request, "imports/sites_new.html", errors=Errors(), limit_mb=settings.max_import_mb,
                    **await _site_form_context(district, round_id))

    @post("/sites", name="imports:sites-upload")
    async def sites_upload(self, request: Req, user: UserDep, settings: SettingsDep) -> Template | Redirect:
        form = await read_form(request)
        data, errors = forms.parse_site_upload(form)
        if not errors and data.file is not None:
            try:
                batch_id = await queries.preview_sites(
                    queries.web_actor(user, client_address(request, settings)), await data.file.read(),
                    data.file.filename, queries.SiteOptions(data.district, data.round_id),
                    max_bytes=settings.max_import_mb * MB)
                return see_other(f"/admin/imports/{batch_id}")
            except ReadError as exc:
                errors.add("file", exc.text())
            except RuleViolation as exc:
                errors.add("district" if data.district else "file", exc.message)
        return form_errors(request, "imports/sites_new.html", errors=errors, limit_mb=settings.max_import_mb,
                           **await _site_form_context(data.district or "", data.round_id))

    @get("/claims/new", name="imports:claims-new")
    async def claims_new(self, request: Req, user: UserDep, settings: SettingsDep,
                         evaluation: FromQuery[int | None] = None) -> Template:
        return page(request, "imports/claims_new.html", errors=Errors(), limit_mb=settings.max_import_mb,
                    evaluations=await rounds.evaluations_for(user), values={"evaluation": str(evaluation or "")})

    @post("/claims", name="imports:claims-upload")
    async def claims_upload(self, request: Req, user: UserDep, settings: SettingsDep) -> Template | Redirect:
        form = await read_form(request)
        data, errors = forms.parse_claims_upload(form)
        if not errors and data.file is not None and data.evaluation_id is not None:
            try:
                await rounds.get_evaluation_for_user(user, data.evaluation_id)
                batch_id = await queries.preview_claims(
                    queries.web_actor(user, client_address(request, settings)), await data.file.read(),
                    data.file.filename, data.evaluation_id, max_bytes=settings.max_import_mb * MB)
                return see_other(f"/admin/imports/{batch_id}")
            except NotFound:
                errors.add("evaluation", _("Choose the district evaluation the claims belong to."))
            except ReadError as exc:
                errors.add("file", exc.text())
            except RuleViolation as exc:
                errors.add("file", exc.message)
        return form_errors(request, "imports/claims_new.html", errors=errors, limit_mb=settings.max_import_mb,
                           evaluations=await rounds.evaluations_for(user),
                           values={"evaluation": str(data.evaluation_id or "")})

    @get("/{batch_id:int}", name="imports:batch")
    async def batch(self, request: Req, user: UserDep, batch_id: FromPath[int], outcome: FromQuery[str] = "",
                    page_number: FromQuery[int] = 1) -> Template:
        return await _batch_page(request, user, batch_id, outcome=outcome, page_number=page_number)

    @post("/{batch_id:int}/confirm", name="imports:confirm")
    async def confirm(self, request: Req, user: UserDep, settings: SettingsDep,
                      batch_id: FromPath[int]) -> Template | Redirect:
        actor = queries.web_actor(user, client_address(request, settings))
        try:
            await queries.confirm(actor, batch_id, max_bytes=settings.max_import_mb * MB)
        except Conflict as exc:
            return await _batch_page(request, user, batch_id, status_code=409, problem=exc.message)
        except RuleViolation as exc:
            return await _batch_page(request, user, batch_id, status_code=422, problem=exc.message)
        return see_other(f"/admin/imports/{batch_id}", done="imported")

    @post("/{batch_id:int}/preview-again", name="imports:preview-again")
    async def preview_again(self, request: Req, user: UserDep, settings: SettingsDep,
                            batch_id: FromPath[int]) -> Template | Redirect:
        actor = queries.web_actor(user, client_address(request, settings))
        try:
            new_id = await queries.preview_again(actor, batch_id, max_bytes=settings.max_import_mb * MB)
        except RuleViolation as exc:
            return await _batch_page(request, user, batch_id, status_code=422, problem=exc.message)
        return see_other(f"/admin/imports/{new_id}")

    @post("/{batch_id:int}/discard", name="imports:discard")
    async def discard(self, request: Req, user: UserDep, settings: SettingsDep,
                      batch_id: FromPath[int]) -> Template | Redirect:
        try:
            await queries.discard(queries.web_actor(user, client_address(request, settings)), batch_id)
        except RuleViolation as exc:
            return await _batch_page(request, user, batch_id, status_code=422, problem=exc.message)
        return see_other("/admin/imports", discarded=batch_id)

    @post("/{batch_id:int}/undo", name="imports:undo")
    async def undo(self, request: Req, user: UserDep, settings: SettingsDep,
                   batch_id: FromPath[int]) -> Template | Redirect:
        try:
            await queries.undo(queries.web_actor(user, client_address(request, settings)), batch_id)
        except (RuleViolation, Conflict) as exc:
            return await _batch_page(request, user, batch_id, status_code=exc.status_code, problem=exc.message)
        return see_other(f"/admin/imports/{batch_id}", done="undone")

    @post("/{batch_id:int}/deactivate", name="imports:deactivate")
    async def deactivate(self, request: Req, user: UserDep, settings: SettingsDep,
                         batch_id: FromPath[int]) -> Template | Redirect:
        batch = await queries.get_batch(queries.web_actor(user), batch_id)
        if batch["kind"] != "sites" or len(batch["districts"]) != 1:
            raise NotFound()
        form = await read_form(request)
        count = await queries.deactivate_sites(queries.web_actor(user, client_address(request, settings)),
                                               batch["districts"][0]["id"], forms.parse_site_ids(form))
        return see_other(f"/admin/imports/{batch_id}", deactivated=count)

    @get("/templates/{file_name:str}", name="imports:template")
    async def template(self, file_name: FromPath[str]) -> Response[str]:
        rows = TEMPLATES.get(file_name)
        if rows is None:
            raise NotFound()
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=";").writerows(rows)
        return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


async def _batch_page(request: Req, user: Any, batch_id: int, *, outcome: str = "", page_number: int = 1,
                      status_code: int = 200, problem: str = "") -> Template:
    batch = await queries.get_batch(queries.web_actor(user), batch_id)
    page_number = max(1, page_number)
    filter_outcome = outcome if outcome in domain.OUTCOMES else ""
    rows, more = await queries.batch_rows(batch_id, outcome=filter_outcome, warnings=outcome == "warning",
                                          page=page_number)
    missing: list[dict[str, Any]] = []
    if batch["kind"] == "sites" and batch["status"] == "committed" and len(batch["districts"]) == 1:
        missing = await queries.missing_sites(batch_id, batch["districts"][0]["id"])
    return page(request, "imports/batch.html", block="rows", status_code=status_code, batch=batch,
                rows=_rows_context(rows), more=more, outcome=outcome, page_number=page_number, problem=problem,
                missing=missing, status_label=queries.status_label,
                done=request.query_params.get("done", ""), deactivated=request.query_params.get("deactivated"))


def router(settings: Settings) -> Router:
    """The import pages, with an upload limit a little above MAX_IMPORT_MB (the form's other
    fields); a larger body is refused before it is read, the reader refuses a larger file."""
    return Router(path="/", route_handlers=[ImportsController],
                  request_max_body_size=settings.max_import_mb * MB + 256 * 1024,
                  opt={"upload_limit_mb": settings.max_import_mb})

"""Hybrid sessions: plan them on an evaluation; the session page (live notes, attendance,
notes to findings; the minutes once closed), the live feed, and the XLSX minutes.

Every mutation is a plain form first (POST -> 303 back to the page); htmx saves a note without
leaving the page and polls the feed ("notes after N, changes after C") every few seconds.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from fieldvisit.errors import AppError, Forbidden, RuleViolation
from fieldvisit.photos import routes as photos
from fieldvisit.photos.queries import Upload
from fieldvisit.rounds.queries import get_evaluation_for_user
from fieldvisit.sessions import domain, forms, queries
from fieldvisit.sessions.forms import NoteInput
from fieldvisit.settings import Settings
from fieldvisit.storage.images import PhotoInfo
from fieldvisit.visits import queries as visits
from fieldvisit.visits.domain import RESULT_LABELS
from fieldvisit.visits.domain import label as result_label_of
from fieldvisit.visits.routes import clock
from fieldvisit.web import i18n
from fieldvisit.web.auth import SettingsDep, StoreDep, UserDep
from fieldvisit.web.forms import Errors, read_form
from fieldvisit.web.i18n import _
from fieldvisit.web.render import form_errors, is_htmx, page, see_other
from fieldvisit.web.security import client_address

Req = Request[Any, Any, Any]
LIST_PAGE = "sessions/list.html"
SESSION_PAGE = "sessions/session.html"
NOTE_PAGE = "sessions/note.html"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _now() -> datetime:
    return datetime.now(UTC)


def vocabulary(zone: str = "WIB") -> dict[str, Any]:
    return {
        "note_results": [(v, _(RESULT_LABELS[v])) for v in domain.NOTE_RESULTS],
        "finding_results": [(v, _(RESULT_LABELS[v])) for v in domain.FINDING_RESULTS],
        "result_label": lambda v: result_label_of(RESULT_LABELS, v),
        "status_label": domain.status_label,
        "clock": lambda v: clock(v, zone),
        "poll_seconds": domain.POLL_SECONDS,
        "max_note": domain.MAX_NOTE,
    }


class SessionsController(Controller):
    @get("/evaluations/{evaluation_id:int}/sessions", name="sessions:list")
    async def list_sessions(self, request: Req, user: UserDep, evaluation_id: FromPath[int]) -> Template:
        evaluation = await get_evaluation_for_user(user, evaluation_id)
        return page(request, LIST_PAGE, **await self._list_context(user, evaluation, Errors(), {}))

    @post("/evaluations/{evaluation_id:int}/sessions", name="sessions:create")
    async def create(self, request: Req, user: UserDep, settings: SettingsDep,
                     evaluation_id: FromPath[int]) -> Template | Redirect:
        evaluation = await get_evaluation_for_user(user, evaluation_id)
        if not domain.may_manage(user.role):
            raise Forbidden(_("Only the evaluation's verifiers and admins plan sessions."))
        form = await read_form(request)
        plan, errors = forms.parse_plan(form, evaluation["utc_offset"] or "+07:00")
        if not errors:
            errors.update(queries.plan_problems(plan, await queries.plan_choices(evaluation)))
        if errors:
            values = {"title": form.get("title"), "day": form.get("day"), "time": form.get("time"),
                      "video_link": form.get("video_link"), "team": set(form.getlist("team")),
                      "site": form.getlist("site"), "indicator": form.getlist("indicator")}
            return form_errors(request, LIST_PAGE, **await self._list_context(user, evaluation, errors, values))
        session_id = await queries.create_session(user, evaluation, plan, ip=client_address(request, settings))
        return see_other(request.app.route_reverse("sessions:detail", session_id=session_id))

    @staticmethod
    async def _list_context(user: UserDep, evaluation: dict[str, Any], errors: Errors,
                            values: dict[str, Any]) -> dict[str, Any]:
        can_plan = domain.may_manage(user.role)
        defaults = {"title": "", "day": "", "time": "09:00", "video_link": "", "team": {str(user.id)},
                    "site": [], "indicator": []}
        return {"evaluation": evaluation, "sessions": await queries.sessions_of_evaluation(user, evaluation["id"]),
                "can_plan": can_plan, "choices": await queries.plan_choices(evaluation) if can_plan else None,
                "values": {**defaults, **values}, "errors": errors, **vocabulary(evaluation["time_zone"] or "WIB")}

    # --- the session page ----------------------------------------------------------------------

    @get("/sessions/{session_id:int}", name="sessions:detail")
    async def detail(self, request: Req, user: UserDep, session_id: FromPath[int]) -> Template:
        session = await queries.get_session_for_user(user, session_id)
        return page(request, SESSION_PAGE, **await self._context(request, session))

    async def _context(self, request: Req, session: dict[str, Any], **extra: Any) -> dict[str, Any]:
        entries = await queries.agenda(session)
        notes = await queries.notes(session["id"]) if session["sees_notes"] else []
        target = extra.pop("target", None) or request.query_params.get("target", "")
        labels = queries.target_labels(entries, i18n.current_language() == "en")
        return {
            "session": session, "evaluation": session["evaluation"], "agenda": entries, "labels": labels,
            "team": await queries.team(session["id"]), "attendees": await queries.attendees(session["id"]),
            "notes": notes, "groups": domain.group_notes(notes, entries) if session["sees_notes"] else [],
            "findings": await queries.findings_made(session["id"]) if session["sees_notes"] else [],
            "after": session["note_count"], "changes": session["change_count"],
            "note_values": {"target": target if target in labels else "", "result": "", "body": ""},
            "client_uuid": queries.new_client_uuid(), "note_errors": Errors(), "attendee_errors": Errors(),
            "attendee_values": {}, "promote_errors": {}, "hint": "", "oob": False,
            **vocabulary(session["zone"]), **extra,
        }

    @post("/sessions/{session_id:int}/status", name="sessions:status")
    async def status(self, request: Req, user: UserDep, settings: SettingsDep, session_id: FromPath[int]) -> Redirect:
        session = await queries.get_session_for_user(user, session_id)
        action = (await read_form(request)).get("action")
        await queries.set_status(user, session, action, now=_now(), ip=client_address(request, settings))
        return see_other(self._url(request, session_id))

    @post("/sessions/{session_id:int}/attendees", name="sessions:attendee")
    async def attendee(self, request: Req, user: UserDep, settings: SettingsDep,
                       session_id: FromPath[int]) -> Template | Redirect:
        session = await queries.get_session_for_writing(user, session_id)
        form = await read_form(request)
        data, errors = forms.parse_attendee(form)
        if errors:
            context = await self._context(request, session, attendee_errors=errors, attendee_values=form.values)
            return form_errors(request, SESSION_PAGE, block="attendance", **context)
        await queries.add_attendee(user, session, data, now=_now(), ip=client_address(request, settings))
        if not is_htmx(request):
            return see_other(self._url(request, session_id) + "#attendance")
        return page(request, SESSION_PAGE, block="attendance", **await self._context(request, session))

    # --- notes ------------------------------------------------------------------------------

    @post("/sessions/{session_id:int}/notes", name="sessions:note")
    async def add_note(self, request: Req, user: UserDep, settings: SettingsDep, store: StoreDep,
                       session_id: FromPath[int]) -> Template | Redirect:
        """A note, with the screenshots or photos pasted or chosen for it (``photo``, optional):
        every image is checked before anything is saved, so a bad one saves nothing."""
        session = await queries.get_session_for_writing(user, session_id)
        form = await read_form(request)
        data, errors = forms.parse_note(form)
        files, photo_errors = forms.note_photos(form, data.target)
        errors.update(photo_errors)
        keep = {"target": form.get("target"), "result": form.get("result"), "body": form.get("body")}
        status, hint = 200, ""
        try:
            if set(errors) == {"body"} and domain.check_note(data.body).hint_only:
                hint, errors, status = errors["body"], Errors(), 422  # nothing saved; a hint, not an error
            elif errors:
                status = 422
            else:
                checked = await _checked_photos(settings, files)
                entries = await queries.agenda(session)
                await queries.add_note(user, session, data, entries, now=_now(), ip=client_address(request, settings))
                if checked:
                    await _attach_photos(request, user, settings, store, session, data, checked)
                keep = {"target": data.target.key, "result": "", "body": ""}
        except AppError as exc:
            if exc.status_code not in (409, 422):
                raise
            status, errors = exc.status_code, Errors({getattr(exc, "field", "body"): exc.message or exc.title})
        if status == 200 and not is_htmx(request):
            return see_other(self._url(request, session_id), target=keep["target"] or None)
        if is_htmx(request):  # only the note line is answered: what it needs, no more
            labels = queries.target_labels(await queries.agenda(session), i18n.current_language() == "en")
            context = {"session": session, "labels": labels, "note_values": keep, "note_errors": errors,
                       "hint": hint, "client_uuid": queries.new_client_uuid(), **vocabulary(session["zone"])}
        else:
            context = await self._context(request, session, note_values=keep, note_errors=errors, hint=hint)
        if status != 200:
            context["client_uuid"] = form.get("client_uuid") or context["client_uuid"]
        headers = {"HX-Trigger": "notes-changed"} if status == 200 else None
        return page(request, SESSION_PAGE, block="entry", status_code=status, headers=headers, **context)

    @get("/sessions/{session_id:int}/feed", name="sessions:feed")
    async def feed(self, request: Req, user: UserDep, session_id: FromPath[int], after: FromQuery[int] = 0,
                   changes: FromQuery[int] = 0) -> Template | Response[bytes]:
        """What is new since note ``after`` and change ``changes``: 204 when nothing is."""
        session = await queries.get_session_for_notes(user, session_id)
        if not is_htmx(request):  # without htmx, the feed is the page
            return page(request, SESSION_PAGE, **await self._context(request, session))
        now = await queries.counters(session_id)
        live = now["status"] != "closed"
        if live and (now["note_count"], now["change_count"]) == (after, changes):
            return Response(b"", status_code=204, headers={"Vary": "HX-Request"})
        new = await queries.notes(session_id, after=after)
        changed = await queries.changed_notes(session_id, since=changes, up_to=after)
        labels = queries.target_labels(await queries.agenda(session), i18n.current_language() == "en")
        return page(request, SESSION_PAGE, block="feed", session=session | {"closed": not live}, labels=labels,
                    new_notes=new, changed_notes=changed, after=new[-1]["number"] if new else after,
                    changes=now["change_count"], oob=True, **vocabulary(session["zone"]))

    @get("/sessions/{session_id:int}/notes/{number:int}", name="sessions:note-detail")
    async def note_detail(self, request: Req, user: UserDep, session_id: FromPath[int],
                          number: FromPath[int]) -> Template:
        session = await queries.get_session_for_notes(user, session_id)
        note = await queries.get_note(session, number)
        return page(request, NOTE_PAGE, session=session, note=note, history=await queries.history(note["id"]),
                    errors=Errors(), values={"body": note["body"], "result": note["result"]},
                    labels=queries.target_labels(await queries.agenda(session), i18n.current_language() == "en"),
                    **vocabulary(session["zone"]))

    @post("/sessions/{session_id:int}/notes/{number:int}", name="sessions:edit")
    async def edit(self, request: Req, user: UserDep, settings: SettingsDep, session_id: FromPath[int],
                   number: FromPath[int]) -> Template | Redirect:
        session = await queries.get_session_for_writing(user, session_id)
        note = await queries.get_note(session, number)
        form = await read_form(request)
        data, errors = forms.parse_edit(form)
        if not errors:
            try:
                await queries.edit_note(user, session, number, data, now=_now(), ip=client_address(request, settings))
                return see_other(self._url(request, session_id) + f"#note-{number}")
            except AppError as exc:
                if exc.status_code not in (409, 422):
                    raise
                errors.add("body", exc.message or exc.title)
                status = exc.status_code
        else:
            status = 422
        return page(request, NOTE_PAGE, status_code=status, session=session, note=note,
                    history=await queries.history(note["id"]), errors=errors, values=form.values,
                    labels=queries.target_labels(await queries.agenda(session), i18n.current_language() == "en"),
                    **vocabulary(session["zone"]))

    # --- notes to findings and values ------------------------------------------------------------

    @post("/sessions/{session_id:int}/findings", name="sessions:promote")
    async def promote(self, request: Req, user: UserDep, settings: SettingsDep,
                      session_id: FromPath[int]) -> Template | Redirect:
        session = await queries.get_session_for_user(user, session_id)
        if not session["can_promote"]:
            raise Forbidden(_("Only verifiers (and note-takers, if the round allows it) turn notes into findings."))
        form = await read_form(request)
        data, errors = forms.parse_promotion(form)
        group = form.get("group")
        try:
            if errors:
                raise AppError(next(iter(errors.values())))
            await queries.promote(user, session, data.numbers, data.result, now=_now(),
                                  clock=lambda v: clock(v, session["zone"]), ip=client_address(request, settings))
        except AppError as exc:
            if exc.status_code not in (400, 409, 422):
                raise
            context = await self._context(request, session, promote_errors={group: exc.message or exc.title})
            return page(request, SESSION_PAGE, status_code=422 if exc.status_code == 400 else exc.status_code,
                        **context)
        return see_other(self._url(request, session_id), promoted=1)

    @post("/sessions/{session_id:int}/values", name="sessions:value")
    async def value(self, request: Req, user: UserDep, settings: SettingsDep,
                    session_id: FromPath[int]) -> Template | Redirect:
        session = await queries.get_session_for_user(user, session_id)
        if not session["can_set_value"]:
            raise Forbidden(_("Only verifiers and admins set verified values."))
        form = await read_form(request)
        data, errors = forms.parse_value(form)
        group = form.get("group")
        try:
            if errors:
                raise AppError(next(iter(errors.values())))
            await queries.set_value(user, session, data.numbers, data.value_text, now=_now(),
                                    clock=lambda v: clock(v, session["zone"]), ip=client_address(request, settings))
        except AppError as exc:
            if exc.status_code not in (400, 409, 422):
                raise
            context = await self._context(request, session, promote_errors={group: exc.message or exc.title})
            return page(request, SESSION_PAGE, status_code=422 if exc.status_code == 400 else exc.status_code,
                        **context)
        return see_other(self._url(request, session_id), valued=1)

    # --- the minutes as a spreadsheet ------------------------------------------------------------

    @get("/sessions/{session_id:int}/minutes.xlsx", name="sessions:xlsx")
    async def xlsx(self, request: Req, user: UserDep, session_id: FromPath[int]) -> Response[bytes]:
        session = await queries.get_session_for_notes(user, session_id)
        context = await self._context(request, session)
        data = domain.minutes_workbook(context)
        name = f"minutes-session-{session_id}.xlsx"
        return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @staticmethod
    def _url(request: Req, session_id: int) -> str:
        return request.app.route_reverse("sessions:detail", session_id=session_id)


class PhotoRejected(RuleViolation):
    """An image of a note that the photo pipeline refuses (shown beside the image field)."""

    field = "photo"


async def _checked_photos(settings: Settings, files: list[UploadFile]) -> list[tuple[str, bytes, PhotoInfo]]:
    checked = []
    for file in files:
        data = await file.read()
        try:
            info = await photos.check_photo(settings, data)
        except RuleViolation as exc:
            raise PhotoRejected(f"{file.filename}: {exc.message}", title=exc.title) from None
        checked.append(((file.filename or "")[:200], data, info))
    return checked


async def _attach_photos(request: Req, user: Any, settings: Settings, store: Any, session: dict[str, Any],
                         data: NoteInput, checked: list[tuple[str, bytes, PhotoInfo]]) -> None:
    """The note's images through the photo pipeline, "from video", on the session's video visit
    of the note's site at the note's item. Their UUIDs derive from the note's, so a client that
    sends the same note again stores nothing twice."""
    assert data.client_uuid is not None and data.target.site_id is not None
    note = await queries.note_by_uuid(session, data.client_uuid)
    ip = client_address(request, settings)
    visit_id = await queries.session_visit(user, session, data.target.site_id, now=_now(), ip=ip)
    visit = await visits.get_visit_for_user(user, visit_id)
    saved = [await photos.store_photo(request, user, settings, store, visit, Upload(
        uuid.uuid5(data.client_uuid, f"photo-{n}"), note["item_code"], "video", filename, session_note=note["id"]),
        blob, info) for n, (filename, blob, info) in enumerate(checked)]
    if not all(p.replay for p in saved):
        await queries.photos_attached(session, note["id"])


def router(settings: Settings) -> Router:
    """The session routes, with a body limit that lets a note carry its images (each at most
    MAX_UPLOAD_MB; a larger one is refused with a 422 naming the limit)."""
    limit = domain.MAX_NOTE_PHOTOS * settings.max_upload_mb * photos.MB + 64 * 1024
    return Router(path="/", route_handlers=[SessionsController], request_max_body_size=limit)

"""Parse the session forms (plan, attendee, note, edit, promotion, verified value) into typed
values or field errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from litestar.datastructures import UploadFile

from fieldvisit.sessions import domain
from fieldvisit.sessions.domain import Target
from fieldvisit.web.forms import Errors, FormData
from fieldvisit.web.i18n import _


def _ids(values: list[str]) -> list[int] | None:
    try:
        return [int(v) for v in dict.fromkeys(values) if v]
    except ValueError:
        return None


def _offset(utc_offset: str) -> timezone:
    sign = -1 if utc_offset.startswith("-") else 1
    hours, _sep, minutes = utc_offset.lstrip("+-").partition(":")
    try:
        return timezone(timedelta(hours=int(hours), minutes=int(minutes or 0)) * sign)
    except ValueError:
        return timezone(timedelta(hours=7))


@dataclass(frozen=True)
class SessionPlan:
    title: str
    starts_at: datetime | None
    video_link: str
    team_ids: list[int]
    site_ids: list[int]
    indicator_codes: list[str]


def parse_plan(form: FormData, utc_offset: str) -> tuple[SessionPlan, Errors]:
    """Date and time are the district's local time."""
    errors = Errors()
    title = form.get("title")
    if not title:
        errors.add("title", _("Give the session a title, like “Verification of Puspaga and RBRA”."))
    elif len(title) > 200:
        errors.add("title", _("Use at most %(n)d characters.") % {"n": 200})
    starts_at = None
    try:
        day = date.fromisoformat(form.get("day"))
        hour = time.fromisoformat(form.get("time") or "09:00")
        starts_at = datetime.combine(day, hour, tzinfo=_offset(utc_offset))
    except ValueError:
        errors.add("day", _("Enter the date and time of the call, like 2025-07-14 and 09:30."))
    link = form.get("video_link")
    if link and not link.startswith(("https://", "http://")):
        errors.add("video_link", _("Paste the meeting link, starting with https://"))
    elif len(link) > 500:
        errors.add("video_link", _("Use at most %(n)d characters.") % {"n": 500})
    team = _ids(form.getlist("team"))
    sites = _ids(form.getlist("site"))
    if team is None or sites is None:
        errors.add("team", _("Choose from the lists."))
    indicators = [c.upper() for c in dict.fromkeys(form.getlist("indicator")) if c]
    if not sites and not indicators:
        errors.add("site", _("Put at least one site or indicator on the agenda."))
    return SessionPlan(title, starts_at, link, team or [], sites or [], indicators), errors


@dataclass(frozen=True)
class AttendeeInput:
    name: str
    office: str
    position: str


def parse_attendee(form: FormData) -> tuple[AttendeeInput, Errors]:
    errors = Errors()
    name, office, position = form.get("name"), form.get("office"), form.get("position")
    if not name:
        errors.add("name", _("Enter the participant's name."))
    for field, value, limit in (("name", name, 120), ("office", office, 160), ("position", position, 120)):
        if len(value) > limit:
            errors.add(field, _("Use at most %(n)d characters.") % {"n": limit})
    return AttendeeInput(name, office, position), errors


@dataclass(frozen=True)
class NoteInput:
    client_uuid: uuid.UUID | None
    body: str
    target: Target
    result: str


def parse_note(form: FormData) -> tuple[NoteInput, Errors]:
    """Errors name the field; an empty body is the "hint" case (see domain.check_note)."""
    errors = Errors()
    client_uuid = None
    try:
        client_uuid = uuid.UUID(form.get("client_uuid"))
    except ValueError:
        errors.add("client_uuid", _("The form is out of date: reload the page and try again."))
    body = domain.clean_body(form.get("body"))
    check = domain.check_note(body)
    if not check.ok:
        errors.add("body", check.message)
    target = domain.parse_target(form.get("target"))
    if target is None:
        errors.add("target", _("Choose what the note is about from the agenda."))
    result = form.get("result")
    if result and result not in domain.NOTE_RESULTS:
        errors.add("result", _("Choose met, partial, not met or not observed, or leave it empty."))
    return NoteInput(client_uuid, body, target or domain.NO_TARGET, result), errors


def note_photos(form: FormData, target: Target) -> tuple[list[UploadFile], Errors]:
    """The screenshots or photos sent with a note (field ``photo``; none is fine)."""
    errors = Errors()
    files = [f for f in form.files.get("photo", []) if f.filename]
    problem = domain.photos_problem(target, len(files))
    if problem:
        errors.add("photo", problem)
    return files, errors


@dataclass(frozen=True)
class EditInput:
    body: str
    result: str


def parse_edit(form: FormData) -> tuple[EditInput, Errors]:
    errors = Errors()
    body = domain.clean_body(form.get("body"))
    check = domain.check_note(body)
    if not check.ok:
        errors.add("body", check.message)
    result = form.get("result")
    if result and result not in domain.NOTE_RESULTS:
        errors.add("result", _("Choose met, partial, not met or not observed, or leave it empty."))
    return EditInput(body, result), errors


@dataclass(frozen=True)
class PromotionInput:
    numbers: list[int]
    result: str


def parse_promotion(form: FormData) -> tuple[PromotionInput, Errors]:
    errors = Errors()
    numbers = _ids(form.getlist("note"))
    if not numbers:
        errors.add("note", _("Choose the notes that make the finding."))
    result = form.get("result")
    if result not in domain.FINDING_RESULTS:
        errors.add("result", _("Choose a result: met, partial, not met, not observed or not applicable."))
    return PromotionInput(sorted(numbers or []), result), errors


@dataclass(frozen=True)
class ValueInput:
    numbers: list[int]
    value_text: str


def parse_value(form: FormData) -> tuple[ValueInput, Errors]:
    errors = Errors()
    numbers = _ids(form.getlist("note"))
    if not numbers:
        errors.add("note", _("Choose notes on one indicator."))
    if not form.get("value"):
        errors.add("value", _("Enter the verified value."))
    return ValueInput(sorted(numbers or []), form.get("value")), errors

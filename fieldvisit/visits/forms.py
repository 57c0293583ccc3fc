"""Parse the visit forms (plan, check-in, outcome, finding) into typed values or field errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from fieldvisit.visits import domain
from fieldvisit.visits.domain import Position
from fieldvisit.web.forms import Errors, FormData
from fieldvisit.web.i18n import _


@dataclass(frozen=True)
class Plan:
    planned_on: date | None
    mode: str
    site_ids: list[int]
    team_ids: list[int]


def _ids(values: list[str]) -> list[int] | None:
    try:
        return sorted({int(v) for v in values if v})
    except ValueError:
        return None


def parse_plan(form: FormData) -> tuple[Plan, Errors]:
    errors = Errors()
    planned_on = None
    try:
        planned_on = date.fromisoformat(form.get("planned_on"))
    except ValueError:
        errors.add("planned_on", _("Enter the date of the visit, like 2025-07-14."))
    mode = form.get("mode")
    if mode not in domain.MODES:
        errors.add("mode", _("Choose on-site visit or video."))
    sites = _ids(form.getlist("site"))
    if not sites:
        errors.add("site", _("Choose at least one site."))
    team = _ids(form.getlist("team"))
    if team is None:
        errors.add("team", _("Choose the team from the list."))
    return Plan(planned_on, mode, sites or [], team or []), errors


def parse_check_in(form: FormData) -> Position | None:
    return domain.parse_position(form.get("latitude"), form.get("longitude"), form.get("accuracy"))


@dataclass(frozen=True)
class OutcomeInput:
    outcome: str
    note: str


def parse_outcome(form: FormData) -> tuple[OutcomeInput, Errors]:
    errors = Errors()
    outcome = form.get("outcome")
    if outcome not in domain.OUTCOMES:
        errors.add("outcome", _("Choose what you found at the address."))
    note = form.get("outcome_note")
    if len(note) > domain.MAX_NOTE:
        errors.add("outcome_note", _("Use at most %(n)d characters.") % {"n": domain.MAX_NOTE})
    return OutcomeInput(outcome, note), errors


@dataclass(frozen=True)
class FindingInput:
    client_uuid: uuid.UUID | None
    result: str
    note: str


def parse_finding(form: FormData) -> tuple[FindingInput, Errors]:
    errors = Errors()
    client_uuid = None
    try:
        client_uuid = uuid.UUID(form.get("client_uuid"))
    except ValueError:
        errors.add("client_uuid", _("The form is out of date: reload the page and try again."))
    result = form.get("result")
    if result not in domain.RESULTS:
        errors.add("result", _("Choose a result: met, partial, not met, not observed or not applicable."))
    # Line endings differ between browsers; the same note must give the same content hash.
    note = form.get("note").replace("\r\n", "\n")
    if len(note) > domain.MAX_NOTE:
        errors.add("note", _("Use at most %(n)d characters.") % {"n": domain.MAX_NOTE})
    return FindingInput(client_uuid, result, note), errors

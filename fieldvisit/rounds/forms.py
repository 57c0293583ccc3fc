"""Parse the admin's round, district evaluation, team and tolerance forms."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fieldvisit.rounds import domain
from fieldvisit.rounds.domain import FieldMode, Stage
from fieldvisit.web.forms import Errors, FormData, parse_day, parse_decimal
from fieldvisit.web.i18n import _


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _date(form: FormData, name: str, errors: Errors) -> date | None:
    raw = form.get(name)
    value = parse_day(raw)
    if raw and value is None:
        errors.add(name, _("Enter a date such as 2025-05-22."))
    return value


@dataclass(frozen=True)
class RoundInput:
    name: str
    year: int
    catalogue_version_id: int
    starts_on: date | None
    ends_on: date | None
    response_days: int
    notetakers_may_promote: bool

    def as_values(self) -> dict[str, object]:
        return {"name": self.name, "year": self.year, "catalogue_version": self.catalogue_version_id,
                "starts_on": self.starts_on, "ends_on": self.ends_on, "response_days": self.response_days,
                "notetakers_may_promote": self.notetakers_may_promote}


def parse_round(form: FormData, version_ids: Iterable[int]) -> tuple[RoundInput, Errors]:
    errors = Errors()
    name = " ".join(form.get("name").split())
    if not name:
        errors.add("name", _("Enter the round's name, such as KLA 2025."))
    elif len(name) > 120:
        errors.add("name", _("Use at most 120 characters."))
    year = _int(form.get("year"))
    if year is None or not 2000 <= year <= 2100:
        errors.add("year", _("Enter the year as four digits, such as 2025."))
    version = _int(form.get("catalogue_version"))
    if version is None or version not in set(version_ids):
        errors.add("catalogue_version", _("Choose the catalogue version the round uses."))
    starts_on, ends_on = _date(form, "starts_on", errors), _date(form, "ends_on", errors)
    problem = domain.dates_problem(starts_on, ends_on)
    if problem:
        errors.add("ends_on", problem)
    raw_days = form.get("response_days") or "14"
    response_days = _int(raw_days)
    if response_days is None or not 1 <= response_days <= 365:
        errors.add("response_days", _("Enter a number of days from 1 to 365."))
    promote = form.get("notetakers_may_promote") in ("on", "true", "1")
    return RoundInput(name, year or 0, version or 0, starts_on, ends_on, response_days or 14, promote), errors


@dataclass(frozen=True)
class DistrictChoice:
    codes: list[str]
    province: str


def parse_districts(form: FormData) -> tuple[DistrictChoice, Errors]:
    """One kab/kota from the list, several typed as codes, or all of a province."""
    errors = Errors()
    codes = domain.split_codes(" ".join([form.get("district"), form.get("codes")]))
    bad = domain.bad_codes(codes)
    if bad:
        errors.add("codes", _("Not a kab/kota code: %(codes)s. Codes look like 36.71.") % {"codes": ", ".join(bad)})
    province = form.get("province")
    if not codes and not province:
        errors.add("district", _("Choose a kab/kota, type codes, or choose a province."))
    return DistrictChoice(codes, province), errors


@dataclass(frozen=True)
class EvaluationInput:
    stage: Stage
    field_mode: FieldMode
    field_starts_on: date | None
    field_ends_on: date | None

    def as_values(self) -> dict[str, object]:
        return {"stage": self.stage.value, "field_mode": self.field_mode.value,
                "field_starts_on": self.field_starts_on, "field_ends_on": self.field_ends_on}


def parse_evaluation(form: FormData) -> tuple[EvaluationInput, Errors]:
    errors = Errors()
    try:
        stage = Stage(form.get("stage"))
    except ValueError:
        stage = Stage.EVALUASI_MANDIRI
        errors.add("stage", _("Choose a stage."))
    try:
        mode = FieldMode(form.get("field_mode"))
    except ValueError:
        mode = FieldMode.KUNJUNGAN
        errors.add("field_mode", _("Choose hybrid or on-site visit."))
    starts_on, ends_on = _date(form, "field_starts_on", errors), _date(form, "field_ends_on", errors)
    problem = domain.dates_problem(starts_on, ends_on)
    if problem:
        errors.add("field_ends_on", problem)
    return EvaluationInput(stage, mode, starts_on, ends_on), errors


def parse_member(form: FormData) -> tuple[int | None, Errors]:
    errors = Errors()
    user_id = _int(form.get("user"))
    if user_id is None:
        errors.add("user", _("Choose a verifier or note-taker."))
    return user_id, errors


Band = tuple[Decimal, Decimal]


def parse_tolerances(form: FormData, indicator_codes: Iterable[str]) -> tuple[dict[str, Band | None], Errors]:
    """Per indicator: both bounds, or both empty (the default band). Field names low-I04, high-I04."""
    errors = Errors()
    result: dict[str, Band | None] = {}
    for code in indicator_codes:
        raw_low, raw_high = form.get(f"low-{code}"), form.get(f"high-{code}")
        if not raw_low and not raw_high:
            result[code] = None
            continue
        low, high = parse_decimal(raw_low), parse_decimal(raw_high)
        if (raw_low and low is None) or (raw_high and high is None):
            errors.add(f"low-{code}", _("%(code)s: enter numbers such as 0.90 and 1.10.") % {"code": code})
            continue
        problem = domain.tolerance_problem(low, high)
        if problem:
            errors.add(f"low-{code}", f"{code}: {problem}")
            continue
        assert low is not None and high is not None
        result[code] = None if domain.is_default_tolerance(low, high) else (low, high)
    return result, errors

"""Parse the admin's single-claim forms (an indicator claim, a site-item claim)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fieldvisit.claims import domain
from fieldvisit.claims.domain import ClaimedStatus, ValueKind
from fieldvisit.web.forms import Errors, FormData, parse_decimal
from fieldvisit.web.i18n import _

MAX_DOCUMENTS_TEXT = 4000


@dataclass(frozen=True)
class IndicatorClaimInput:
    indicator_code: str
    value_kind: ValueKind
    value: Decimal | None
    unit: str
    claimed_score: Decimal
    max_score: Decimal | None
    documents: list[dict[str, str]]

    def as_values(self) -> dict[str, Any]:
        return {"value_kind": self.value_kind.value, "value": self.value, "unit": self.unit,
                "claimed_score": self.claimed_score, "max_score": self.max_score, "documents": self.documents}


def _documents(form: FormData, errors: Errors) -> list[dict[str, str]]:
    text = form.values.get("documents", "")
    if len(text) > MAX_DOCUMENTS_TEXT:
        errors.add("documents", _("Use at most %(n)d characters.") % {"n": MAX_DOCUMENTS_TEXT})
        return []
    documents = domain.parse_documents(text)
    if any(len(d["title"]) > 300 or len(d["link"]) > 500 for d in documents):
        errors.add("documents", _("A document's title is at most 300 characters and its link 500."))
    return documents


def parse_indicator_claim(form: FormData, indicator_codes: Iterable[str]) -> tuple[IndicatorClaimInput, Errors]:
    errors = Errors()
    code = form.get("indicator").upper()
    if code not in set(indicator_codes):
        errors.add("indicator", _("Choose an indicator of the round's catalogue."))
    try:
        kind = ValueKind(form.get("value_kind"))
    except ValueError:
        kind = ValueKind.NUMBER
        errors.add("value_kind", _("Choose what kind of value is claimed."))
    raw_value = form.get("value")
    value = (domain.parse_yes_no(raw_value) if kind is ValueKind.YESNO else parse_decimal(raw_value)) if raw_value \
        else None
    if raw_value and value is None:
        errors.add("value", _("Enter yes or no.") if kind is ValueKind.YESNO
                   else _("Enter a number, such as 92.5 or 92,5."))
    else:
        problem = domain.value_problem(kind, value)
        if problem:
            errors.add("value", problem)
    unit = form.get("unit")
    if kind is ValueKind.PERCENT:
        unit = "%"
    elif len(unit) > 40:
        errors.add("unit", _("Use at most 40 characters."))
    raw_max = form.get("max_score")
    max_score = parse_decimal(raw_max)
    if raw_max and (max_score is None or max_score <= 0 or max_score > domain.MAX_TOTAL):
        errors.add("max_score", _("Enter the indicator's maximum score, a number above 0 and at most 1000, or leave it empty."))
        max_score = None
    raw_score = form.get("claimed_score")
    score = parse_decimal(raw_score)
    if raw_score and score is None:
        errors.add("claimed_score", _("Enter the claimed score, such as 38 or 38.5."))
    else:
        problem = domain.score_problem(score, max_score)
        if problem:
            errors.add("claimed_score", problem)
    documents = _documents(form, errors)
    return IndicatorClaimInput(code, kind, value, unit, score or Decimal(0), max_score, documents), errors


@dataclass(frozen=True)
class SiteItemClaimInput:
    item_code: str
    claimed_status: ClaimedStatus
    documents: list[dict[str, str]]

    def as_values(self) -> dict[str, Any]:
        return {"claimed_status": self.claimed_status.value, "documents": self.documents}


def parse_site_item_claim(form: FormData, item_codes: Iterable[str]) -> tuple[SiteItemClaimInput, Errors]:
    errors = Errors()
    code = form.get("item").upper()
    if code not in set(item_codes):
        errors.add("item", _("Choose a checklist item of this site's type."))
    try:
        status = ClaimedStatus(form.get("claimed_status"))
    except ValueError:
        status = ClaimedStatus.MET
        errors.add("claimed_status", _("Choose met or not met."))
    return SiteItemClaimInput(code, status, _documents(form, errors)), errors

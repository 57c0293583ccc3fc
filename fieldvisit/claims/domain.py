"""Pure rules of claims: value kinds, documents, the self-assessed total and its predicate."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fieldvisit.reconcile.domain import Predicate, predicate_for
from fieldvisit.web.i18n import N_, _

CENT = Decimal("0.01")
MAX_TOTAL = Decimal(1000)


class ValueKind(enum.StrEnum):
    NUMBER = "number"
    PERCENT = "percent"
    YESNO = "yesno"

    @property
    def label(self) -> str:
        return _(VALUE_KIND_LABELS[self])


VALUE_KIND_LABELS = {
    ValueKind.NUMBER: N_("A number (such as 12 schools)"),
    ValueKind.PERCENT: N_("A percentage (such as 92.5 %)"),
    ValueKind.YESNO: N_("Yes or no"),
}


class ClaimedStatus(enum.StrEnum):
    MET = "met"
    NOT_MET = "not_met"

    @property
    def label(self) -> str:
        return _(STATUS_LABELS[self])


STATUS_LABELS = {ClaimedStatus.MET: N_("met"), ClaimedStatus.NOT_MET: N_("not met")}

YES = ("1", "ya", "yes", "y", "true", "ada")
NO = ("0", "tidak", "no", "n", "false", "tidak ada")


def status_label(value: str) -> str:
    try:
        return ClaimedStatus(value).label
    except ValueError:
        return value


def parse_yes_no(text: str) -> Decimal | None:
    """yes = 1, no = 0 (Indonesian or English words, or the digits); None otherwise."""
    word = text.strip().lower()
    if word in YES:
        return Decimal(1)
    if word in NO:
        return Decimal(0)
    return None


def value_problem(kind: ValueKind, value: Decimal | None) -> str | None:
    if value is None:
        return None
    if value < 0:
        return _("The value cannot be negative.")
    if kind is ValueKind.PERCENT and value > 100:
        return _("A percentage is at most 100.")
    if value >= Decimal("1e10"):
        return _("The value is too large.")
    return None


def score_problem(score: Decimal | None, max_score: Decimal | None) -> str | None:
    """A claimed score is needed, from 0 to the indicator's maximum (or 1000)."""
    if score is None:
        return _("Enter the claimed score, such as 38 or 38.5.")
    if score < 0:
        return _("The score cannot be negative.")
    limit = max_score if max_score is not None else MAX_TOTAL
    if score > limit:
        return _("The score is above the maximum of %(max)s.") % {"max": _plain(limit)}
    if score.as_tuple().exponent < -2:  # type: ignore[operator]
        return _("Use at most two decimals.")
    return None


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def plain_number(value: Decimal | float | None) -> str:
    """A stored number as a form shows it: 38, 92.5 (no trailing zeros, no exponent)."""
    return "" if value is None else _plain(Decimal(str(value)))


def value_text(kind: str, value: Decimal | float | None) -> str:
    if value is None:
        return ""
    if kind == ValueKind.YESNO:
        return _("yes") if value else _("no")
    return plain_number(value)


def parse_documents(text: str) -> list[dict[str, str]]:
    """One document a line: ``title | link or file name`` (the link may be left out)."""
    documents = []
    for line in text.splitlines():
        if not line.strip():
            continue
        title, _sep, link = line.partition("|")
        title, link = title.strip(), link.strip()
        documents.append({"title": title or link, "link": link})
    return documents


def documents_text(documents: Iterable[dict[str, Any]] | None) -> str:
    return "\n".join(f"{d.get('title', '')} | {d.get('link', '')}" if d.get("link") else str(d.get("title", ""))
                     for d in documents or [])


def is_web_link(link: str) -> bool:
    return link.startswith(("https://", "http://"))


@dataclass(frozen=True)
class SelfAssessment:
    total: Decimal  # Σ claimed scores
    claims: int
    predicate: Predicate | None


def self_assessment(scores: Iterable[Decimal], predicates: Sequence[Predicate]) -> SelfAssessment:
    """The district's self-assessed score: the sum of its claimed scores, with its predicate
    (771 -> Nindya)."""
    values = list(scores)
    total = sum(values, Decimal(0)).quantize(CENT, ROUND_HALF_UP)
    return SelfAssessment(total, len(values), predicate_for(total, predicates) if values else None)


def as_predicates(rows: Iterable[dict[str, Any]]) -> list[Predicate]:
    return [Predicate(r["code"], Decimal(str(r["min_score"])), Decimal(str(r["max_score"]))) for r in rows]


@dataclass(frozen=True)
class IndicatorLine:
    indicator: dict[str, Any]
    claim: dict[str, Any] | None


@dataclass(frozen=True)
class ClusterLines:
    cluster: dict[str, Any]
    lines: tuple[IndicatorLine, ...]
    subtotal: Decimal


def by_cluster(clusters: Sequence[dict[str, Any]], claims: Sequence[dict[str, Any]]) -> list[ClusterLines]:
    """The catalogue's clusters and indicators in order, each indicator with its claim (or None),
    each cluster with the sum of its claimed scores."""
    by_code = {c["indicator_code"]: c for c in claims}
    result = []
    for cluster in clusters:
        lines = tuple(IndicatorLine(i, by_code.get(i["code"])) for i in cluster["indicators"])
        subtotal = sum((Decimal(str(line.claim["claimed_score"])) for line in lines if line.claim), Decimal(0))
        result.append(ClusterLines(cluster, lines, subtotal))
    return result


def unknown_indicator_claims(clusters: Sequence[dict[str, Any]], claims: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Claims naming an indicator the round's catalogue does not have (shown apart, never lost)."""
    known = {i["code"] for c in clusters for i in c["indicators"]}
    return [c for c in claims if c["indicator_code"] not in known]

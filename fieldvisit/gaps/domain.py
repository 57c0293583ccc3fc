"""Pure rules and words of gaps: labels of rules, statuses, severities and timeline events in
both languages (one place, so every page and export says the same), who a gap waits for, and
when it is overdue. The rules that open and settle gaps live in ``reconcile.domain``."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fieldvisit.reconcile.domain import GapStatus, ProvenanceReason, Rule, Severity
from fieldvisit.web.i18n import N_, _

RULE_LABELS = {
    Rule.CONTRADICTED: N_("Contradicted"),
    Rule.SITE_NOT_FOUND: N_("Site not found"),
    Rule.PARTIAL: N_("Partly met"),
    Rule.VALUE_MISMATCH: N_("Value mismatch"),
    Rule.EVIDENCE_MISSING: N_("Evidence missing"),
    Rule.UNVERIFIED: N_("Unverified"),
    Rule.PROVENANCE: N_("Photo provenance"),
}

RULE_HELP = {
    Rule.CONTRADICTED: N_("Claimed met, found not met."),
    Rule.SITE_NOT_FOUND: N_("The visit found the site absent, closed, or was refused entry."),
    Rule.PARTIAL: N_("Claimed met, found partly met."),
    Rule.VALUE_MISMATCH: N_("The verified value differs from the claimed value beyond the tolerance."),
    Rule.EVIDENCE_MISSING: N_("Found met, but the item wants a photo and none is attached."),
    Rule.UNVERIFIED: N_("Claimed, but no finding once the field stage closed."),
    Rule.PROVENANCE: N_("A photo taken outside the visit, far from the site, or used at another site."),
}

STATUS_LABELS = {
    GapStatus.OPEN: N_("Open"),
    GapStatus.RESPONDED: N_("Responded"),
    GapStatus.ACCEPTED: N_("Accepted"),
    GapStatus.REJECTED: N_("Rejected"),
    GapStatus.MORE_INFO: N_("More information asked"),
    GapStatus.CLOSED: N_("Closed"),
    GapStatus.RESOLVED: N_("Resolved by re-verification"),
    GapStatus.ORPHANED: N_("Orphaned (claim withdrawn)"),
}

SEVERITY_LABELS = {
    Severity.HIGH: N_("High"),
    Severity.MEDIUM: N_("Medium"),
    Severity.LOW: N_("Low"),
    Severity.REVIEW: N_("Review"),
}

REASON_LABELS = {
    ProvenanceReason.OUTSIDE_WINDOW: N_("Taken outside the visit window"),
    ProvenanceReason.TOO_FAR: N_("Taken farther from the site than the radius"),
    ProvenanceReason.REUSED: N_("The same photo is used at another site"),
}


FACT_LABELS = {
    "item_code": N_("Checklist item"),
    "claimed": N_("Claimed"),
    "found": N_("Found"),
    "mode": N_("How it was checked"),
    "outcome": N_("Visit outcome"),
    "item_claims": N_("Item claims at the site"),
    "claimed_value": N_("Claimed value"),
    "unit": N_("Unit"),
    "verified_value": N_("Verified value"),
    "vf": N_("Verification factor"),
    "tolerance_low": N_("Tolerance from"),
    "tolerance_high": N_("Tolerance to"),
    "reasons": N_("Reasons"),
    "taken_at": N_("Photo taken at"),
    "window_start": N_("Visit window from (check-in)"),
    "window_end": N_("Visit window to (submitted)"),
    "slack_minutes": N_("Slack around the window (minutes)"),
    "distance_m": N_("Distance from the site (m)"),
    "radius_m": N_("Allowed radius (m)"),
    "reused_at_site_ids": N_("Also used at sites"),
}

#: Words that appear as fact values: finding results, visit outcomes, modes.
VALUE_LABELS = {
    "met": N_("met"),
    "partial": N_("partly met"),
    "not_met": N_("not met"),
    "not_observed": N_("not observed"),
    "not_applicable": N_("not applicable"),
    "found": N_("found"),
    "closed": N_("closed"),
    "not_found": N_("not found"),
    "refused": N_("entry refused"),
    "on_site": N_("on site"),
    "video": N_("by video"),
}

#: Facts holding moments (ISO text), shown in the district's time zone.
TIME_FACTS = frozenset({"taken_at", "window_start", "window_end"})
NUMBER_FACTS = frozenset({"claimed_value", "verified_value", "vf", "tolerance_low", "tolerance_high", "distance_m",
                          "radius_m", "item_claims", "slack_minutes"})


@dataclass(frozen=True)
class Fact:
    """One fact of a gap, typed for display: ``kind`` is time, number, word (a label),
    reasons, sites or text."""

    key: str
    kind: str
    value: Any


def typed_facts(facts: Mapping[str, Any]) -> list[Fact]:
    """A gap's facts in their stored order, each with the type the page formats it by."""
    typed = []
    for key, value in facts.items():
        if value is None or value == "" or value == []:
            continue
        if key in TIME_FACTS:
            try:
                typed.append(Fact(key, "time", datetime.fromisoformat(str(value))))
            except ValueError:
                typed.append(Fact(key, "text", value))
        elif key in NUMBER_FACTS:
            try:
                typed.append(Fact(key, "number", Decimal(str(value))))
            except (InvalidOperation, ValueError):
                typed.append(Fact(key, "text", value))
        elif key == "reasons":
            typed.append(Fact(key, "reasons", list(value)))
        elif key == "reused_at_site_ids":
            typed.append(Fact(key, "sites", list(value)))
        elif isinstance(value, str) and value in VALUE_LABELS:
            typed.append(Fact(key, "word", value))
        else:
            typed.append(Fact(key, "text", value))
    return typed


class EventKind(enum.StrEnum):
    """What a step on a gap's timeline was. Reconciliation writes the first five."""

    OPENED = "opened"
    UPDATED = "updated"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    ORPHANED = "orphaned"
    RESPONDED = "responded"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MORE_INFO = "more_info"
    CLOSED = "closed"
    DUE_CHANGED = "due_changed"


EVENT_LABELS = {
    EventKind.OPENED: N_("Opened by reconciliation"),
    EventKind.UPDATED: N_("Evidence changed"),
    EventKind.RESOLVED: N_("Resolved by re-verification"),
    EventKind.REOPENED: N_("Reopened: the cause is back"),
    EventKind.ORPHANED: N_("Orphaned: its claim, site or photo was removed"),
    EventKind.RESPONDED: N_("District responded"),
    EventKind.ACCEPTED: N_("Response accepted"),
    EventKind.REJECTED: N_("Response rejected"),
    EventKind.MORE_INFO: N_("More information asked"),
    EventKind.CLOSED: N_("Closed"),
    EventKind.DUE_CHANGED: N_("Due date changed"),
}

#: Statuses in which the gap waits for the district (a due date applies, it can be overdue).
AWAITING_DISTRICT = frozenset({GapStatus.OPEN, GapStatus.REJECTED, GapStatus.MORE_INFO})
#: Statuses in which the gap waits for a verifier.
AWAITING_VERIFIER = frozenset({GapStatus.RESPONDED})


def _label(table: Mapping[Any, str], value: str) -> str:
    text = table.get(value)  # StrEnum keys hash and compare as their text
    return _(text) if text else value


def rule_label(rule: str) -> str:
    return _label(RULE_LABELS, rule)


def rule_help(rule: str) -> str:
    return _label(RULE_HELP, rule)


def status_label(status: str) -> str:
    return _label(STATUS_LABELS, status)


def severity_label(severity: str) -> str:
    return _label(SEVERITY_LABELS, severity)


def reason_label(reason: str) -> str:
    return _label(REASON_LABELS, reason)


def event_label(kind: str) -> str:
    return _label(EVENT_LABELS, kind)


def fact_label(key: str) -> str:
    return _label(FACT_LABELS, key)


def value_label(value: str) -> str:
    return _label(VALUE_LABELS, value)


def local_today(now: datetime, utc_offset: str) -> date:
    """The calendar day at ``now`` in a district's zone (``+07:00``); due dates are local days."""
    sign = -1 if utc_offset.startswith("-") else 1
    hours, _sep, minutes = utc_offset.lstrip("+-").partition(":")
    try:
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0)) * sign
    except ValueError:
        offset = timedelta(hours=7)  # WIB, where most districts are
    return now.astimezone(timezone(offset)).date()


def due_on(today: date, response_days: int) -> date:
    return today + timedelta(days=max(response_days, 0))


def is_overdue(status: str, due: date | None, today: date) -> bool:
    """Past its due date while the district still owes an answer."""
    return due is not None and due < today and status in AWAITING_DISTRICT


@dataclass(frozen=True)
class GapFilter:
    """The gap list's filters; empty strings mean "any"."""

    status: str = ""  # a GapStatus, or "active" (open, responded, rejected, more information)
    rule: str = ""
    cluster: str = ""  # KL, K1 … K5
    indicator: str = ""  # I01 … I24
    overdue: bool = False

    @classmethod
    def parse(cls, status: str = "", rule: str = "", cluster: str = "", indicator: str = "",
              overdue: str = "") -> GapFilter:
        """Unknown values are dropped (a hand-edited URL shows everything, never a 500)."""
        statuses = {s.value for s in GapStatus} | {"active"}
        return cls(status=status if status in statuses else "",
                   rule=rule if rule in {r.value for r in Rule} else "",
                   cluster=cluster.upper() if cluster.isalnum() and len(cluster) <= 8 else "",
                   indicator=indicator.upper() if indicator.isalnum() and len(indicator) <= 8 else "",
                   overdue=overdue in ("1", "true", "on", "yes"))

    def query(self) -> dict[str, str]:
        """The non-empty filters, for links that keep them."""
        values = {"status": self.status, "rule": self.rule, "cluster": self.cluster, "indicator": self.indicator,
                  "overdue": "1" if self.overdue else ""}
        return {k: v for k, v in values.items() if v}

    def url_query(self, **changes: str) -> str:
        """The filters as a query string, with some changed ("" drops one)."""
        return urlencode({k: v for k, v in (self.query() | changes).items() if v})


# ---- the response loop ----------------------------------------------------------------------------


class Action(enum.StrEnum):
    """What a person does to a gap. The district responds; the team decides."""

    RESPOND = "respond"
    ACCEPT = "accept"
    REJECT = "reject"
    MORE_INFO = "more_info"
    CLOSE = "close"


#: The action, who may take it (True: only those who judge), the statuses it starts from, where it
#: leads, and the timeline event it writes.
TRANSITIONS: dict[Action, tuple[bool, frozenset[str], GapStatus, EventKind]] = {
    Action.RESPOND: (False, AWAITING_DISTRICT | AWAITING_VERIFIER, GapStatus.RESPONDED, EventKind.RESPONDED),
    Action.ACCEPT: (True, AWAITING_VERIFIER, GapStatus.ACCEPTED, EventKind.ACCEPTED),
    Action.REJECT: (True, AWAITING_VERIFIER, GapStatus.REJECTED, EventKind.REJECTED),
    Action.MORE_INFO: (True, AWAITING_VERIFIER, GapStatus.MORE_INFO, EventKind.MORE_INFO),
    Action.CLOSE: (True, AWAITING_DISTRICT | AWAITING_VERIFIER, GapStatus.CLOSED, EventKind.CLOSED),
}

#: Actions whose text is required (an answer, or the reason of a decision).
NEEDS_TEXT = frozenset({Action.REJECT, Action.MORE_INFO, Action.CLOSE})
MAX_TEXT = 4000
MAX_ATTACHMENTS = 5


@dataclass(frozen=True)
class Step:
    status: GapStatus
    event: EventKind


def next_step(action: Action, status: str, *, may_judge: bool, is_district: bool) -> Step:
    """Where ``action`` takes a gap in ``status``. Raises Forbidden for someone who may not take
    it (a district user accepting), RuleViolation when the gap is not in a state for it."""
    from fieldvisit.errors import Forbidden, RuleViolation

    judges_only, starts, to, event = TRANSITIONS[action]
    if judges_only and not may_judge:
        raise Forbidden(_("Only the verification team decides on a gap."))
    if action is Action.RESPOND and not is_district:
        raise Forbidden(_("Only the district's staff answer a gap."))
    if status not in starts:
        raise RuleViolation(_("This gap is %(status)s: it cannot be changed that way now.")
                            % {"status": status_label(status)}, title=_("Not possible now"))
    return Step(to, event)


def whatsapp_link(text: str, url: str) -> str:
    """A wa.me link that opens WhatsApp with the text and the link prefilled (no number: the
    user picks the chat). No API, nothing sent by the app."""
    from urllib.parse import quote

    return "https://wa.me/?text=" + quote(f"{text}\n{url}", safe="")


def photo_display_path(photo_id: int) -> str:
    """The app route that serves a photo's display copy (blurred where it must be)."""
    return f"/photos/{int(photo_id)}/display"


# ---- overdue reminders (`fieldvisit remind-overdue`) ----------------------------------------------


@dataclass(frozen=True)
class OverdueGap:
    """A gap the district still owes an answer to, with the local day it is judged on."""

    id: int
    evaluation_id: int
    district_id: int
    status: str
    due_on: date | None
    today: date  # the district's local day


@dataclass(frozen=True)
class Reminder:
    """One e-mail: one person, one district evaluation, its overdue gaps (ids ascending)."""

    user_id: int
    evaluation_id: int
    role: str  # district (answer them) | verifier (chase them)
    gap_ids: tuple[int, ...]
    sent_on: date


def plan_reminders(gaps: list[OverdueGap], district_staff: Mapping[int, list[int]],
                   teams: Mapping[int, list[int]], already_sent: set[tuple[int, int, date]]) -> list[Reminder]:
    """Who is told about which overdue gap today: the district's staff (``district_staff``:
    district id -> user ids) and the evaluation's verifiers (``teams``: evaluation id -> user
    ids), each gap at most once a day per person (``already_sent``: (gap, user, day)). Gaps not
    overdue on their district's day are left out; a person with nothing new gets no e-mail."""
    grouped: dict[tuple[int, int, str, date], list[int]] = {}
    for gap in gaps:
        if not is_overdue(gap.status, gap.due_on, gap.today):
            continue
        for role, users in (("district", district_staff.get(gap.district_id, [])),
                            ("verifier", teams.get(gap.evaluation_id, []))):
            for user_id in users:
                if (gap.id, user_id, gap.today) not in already_sent:
                    grouped.setdefault((user_id, gap.evaluation_id, role, gap.today), []).append(gap.id)
    return [Reminder(user, evaluation, role, tuple(sorted(ids)), day)
            for (user, evaluation, role, day), ids in sorted(grouped.items())]

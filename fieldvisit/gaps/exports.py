"""The gap list as CSV (UTF-8 with BOM, for Excel) and XLSX, in the reader's language, streamed
a batch of rows at a time (constant memory for any number of gaps).

What an export holds: the gap's kind, status, weight, indicator, site, item, claimed and found,
the values and factor, due date, overdue, dates and the last answer. Never a photo, an original,
a blob key, GPS coordinates or a photo's provenance: a district sees what its page shows.
Every text cell that a spreadsheet would read as a formula (= + - @ tab CR) is neutralised
with a leading apostrophe. The CSV and XLSX writers are ``fieldvisit.web.spreadsheet``, shared
with the findings export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

from fieldvisit.gaps import domain
from fieldvisit.gaps.domain import GapFilter
from fieldvisit.gaps.queries import GapAccess, list_gaps
from fieldvisit.web.i18n import N_, _
from fieldvisit.web.spreadsheet import neutralise, plain_time
from fieldvisit.web.spreadsheet import number as _number

BATCH = 1000

COLUMNS = (
    N_("Gap"), N_("Kind"), N_("Status"), N_("Weight"), N_("Indicator"), N_("Site"), N_("Checklist item"),
    N_("Claimed"), N_("Found"), N_("Claimed value"), N_("Verified value"), N_("Verification factor"),
    N_("Due date"), N_("Overdue"), N_("Opened"), N_("Last change"), N_("Last answer of the district"),
)
#: A whole round's export: the kab/kota first.
ROUND_COLUMNS = (N_("Kab/kota"), *COLUMNS)


def cells(gap: dict[str, Any], answer: str, *, full: bool) -> list[Any]:
    """One gap's row, typed (numbers as numbers, days as dates), labels in the current language.
    ``full``: the team's view; the district's never carries provenance facts."""
    facts = gap["facts"]
    if not full and gap["rule"] == "provenance":
        raise ValueError("a provenance gap in a district's export")
    word = (lambda v: domain.value_label(v) if isinstance(v, str) and v else "")  # noqa: E731
    row = [
        gap["id"], domain.rule_label(gap["rule"]), domain.status_label(gap["status"]),
        domain.severity_label(gap["severity"]), gap["indicator_code"] or "", gap.get("site_name") or "",
        facts.get("item_code") or "", word(facts.get("claimed")), word(facts.get("found") or facts.get("outcome")),
        _number(facts.get("claimed_value")), _number(facts.get("verified_value")), _number(facts.get("vf")),
        gap["due_on"], _("yes") if gap["overdue"] else "", plain_time(gap["opened_at"]),
        plain_time(gap["updated_at"]), answer,
    ]
    return [neutralise(c) for c in row]


async def rows(access: GapAccess, flt: GapFilter, *, today: date,
               cluster_indicators: list[str] | None) -> AsyncIterator[list[Any]]:
    """The export's rows, a batch at a time (keyset by id)."""
    from fieldvisit.db import placeholders, raw_rows

    after = 0
    while True:
        batch = await list_gaps(access, flt, today=today, cluster_indicators=cluster_indicators, limit=BATCH,
                                after_id=after, ordered=False)
        batch = batch[:BATCH]
        if not batch:
            return
        ids = [g["id"] for g in batch]
        answers = {int(r["gap"]): r["text"] for r in await raw_rows(
            f"SELECT gap, text FROM gap_event WHERE kind = 'responded' AND gap IN ({placeholders(ids)}) "  # noqa: S608
            "ORDER BY at, id", *ids)}
        for gap in batch:
            yield cells(gap, answers.get(gap["id"], ""), full=access.full)
        after = batch[-1]["id"]


async def round_rows(accesses: AsyncIterator[GapAccess]) -> AsyncIterator[list[Any]]:
    """Every gap of a round (admins): each district evaluation's rows in turn, kab/kota first;
    one evaluation's batch in memory at a time."""
    from fieldvisit.web.spreadsheet import with_first_column

    async for access in accesses:
        today = domain.local_today(datetime.now(UTC), access.evaluation.utc_offset)
        async for row in with_first_column(access.evaluation.district_name, rows(
                access, GapFilter.parse("", "", "", "", ""), today=today, cluster_indicators=None)):
            yield row

"""The gap list as CSV (UTF-8 with BOM, for Excel) and XLSX, in the reader's language, streamed
a batch of rows at a time (constant memory for any number of gaps).

What an export holds: the gap's kind, status, weight, indicator, site, item, claimed and found,
the values and factor, due date, overdue, dates and the last answer. Never a photo, an original,
a blob key, GPS coordinates or a photo's provenance: a district sees what its page shows.
Every text cell that a spreadsheet would read as a formula (= + - @ tab CR) is neutralised
with a leading apostrophe."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fieldvisit.gaps import domain
from fieldvisit.gaps.domain import GapFilter
from fieldvisit.gaps.queries import GapAccess, list_gaps
from fieldvisit.web.i18n import N_, _, set_language

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000

COLUMNS = (
    ("id", N_("Gap")), ("rule", N_("Kind")), ("status", N_("Status")), ("severity", N_("Weight")),
    ("indicator", N_("Indicator")), ("site", N_("Site")), ("item", N_("Checklist item")), ("claimed", N_("Claimed")),
    ("found", N_("Found")), ("claimed_value", N_("Claimed value")), ("verified_value", N_("Verified value")),
    ("vf", N_("Verification factor")), ("due_on", N_("Due date")), ("overdue", N_("Overdue")),
    ("opened_at", N_("Opened")), ("updated_at", N_("Last change")), ("answer", N_("Last answer of the district")),
)


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe; numbers and
    dates stay what they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def header() -> list[str]:
    return [_(label) for _key, label in COLUMNS]


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


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
        gap["due_on"], _("yes") if gap["overdue"] else "", _plain_time(gap["opened_at"]),
        _plain_time(gap["updated_at"]), answer,
    ]
    return [neutralise(c) for c in row]


def _plain_time(value: datetime | None) -> datetime | None:
    """Spreadsheets hold no time zones: UTC, without the zone."""
    return value.replace(tzinfo=None) if value is not None and value.tzinfo else value


async def rows(access: GapAccess, flt: GapFilter, *, today: date,
               cluster_indicators: list[str] | None) -> AsyncIterator[list[Any]]:
    """The export's rows, a batch at a time (keyset by id)."""
    from fieldvisit.reconcile.queries import placeholders, raw_rows

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


def _csv_line(values: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(["" if v is None else (v.isoformat(sep=" ") if isinstance(v, datetime) else v)
                              for v in values])
    return out.getvalue()


async def csv_stream(lang: str, source: AsyncIterator[list[Any]]) -> AsyncIterator[bytes]:
    set_language(lang)  # the body is sent after the handler returned: labels in the reader's language
    yield ("\ufeff" + _csv_line(header())).encode()
    chunk: list[str] = []
    async for row in source:
        chunk.append(_csv_line(row))
        if len(chunk) >= 200:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


def _sheet_title(title: str) -> str:
    """Excel refuses []:*?/\\ in a sheet's name and more than 31 characters."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()
    return cleaned[:31] or "Gaps"


async def xlsx_stream(lang: str, source: AsyncIterator[list[Any]], title: str) -> AsyncIterator[bytes]:
    """openpyxl's write-only workbook keeps rows on disk, not in memory; the finished file is
    sent in chunks and removed."""
    from openpyxl import Workbook

    set_language(lang)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(title))
    sheet.append(header())
    async for row in source:
        sheet.append(row)
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        await asyncio.to_thread(book.save, path)
        with open(path, "rb") as fh:  # noqa: ASYNC230 - small reads between yields
            while chunk := fh.read(64 * 1024):
                yield chunk
    finally:
        os.unlink(path)

"""Spreadsheet downloads shared by every export (gaps, findings, a whole round): CSV in UTF-8
with BOM (Excel reads it as UTF-8) and XLSX, streamed a batch of rows at a time so memory stays
constant whatever the number of rows. Every text cell a spreadsheet would run as a formula
(= + - @ tab CR) is neutralised with a leading apostrophe.

The callers give the column labels marked with ``N_`` and an async iterator of rows; labels are
translated inside the stream, because the body is sent after the handler returned."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from fieldvisit.storage.base import content_disposition
from fieldvisit.web.i18n import _, set_language

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CHUNK_ROWS = 200


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe; numbers and
    dates stay what they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def number(value: Any) -> Decimal | None:
    """A stored number (text or number) as a Decimal; None when blank or not a number."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def plain_time(value: datetime | None) -> datetime | None:
    """Spreadsheets hold no time zones: UTC, without the zone."""
    return value.replace(tzinfo=None) if value is not None and value.tzinfo else value


def download_headers(file_name: str) -> dict[str, str]:
    """An attachment that no cache keeps (exports hold a district's data)."""
    return {"Content-Disposition": content_disposition(file_name.replace("/", "-"), attachment=True),
            "Cache-Control": "private, no-store"}


def _csv_line(values: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(["" if v is None else (v.isoformat(sep=" ") if isinstance(v, datetime) else v)
                              for v in values])
    return out.getvalue()


def _header(columns: Sequence[str]) -> list[str]:
    return [_(label) for label in columns]


async def csv_stream(lang: str, columns: Sequence[str], source: AsyncIterator[list[Any]]) -> AsyncIterator[bytes]:
    """The header (``columns`` translated into ``lang``) after a BOM, then the rows."""
    set_language(lang)
    yield ("\ufeff" + _csv_line(_header(columns))).encode()
    chunk: list[str] = []
    async for row in source:
        chunk.append(_csv_line(row))
        if len(chunk) >= CSV_CHUNK_ROWS:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


def sheet_title(title: str) -> str:
    """Excel refuses []:*?/\\ in a sheet's name and more than 31 characters."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()
    return cleaned[:31] or "Sheet"


async def xlsx_stream(lang: str, columns: Sequence[str], source: AsyncIterator[list[Any]],
                      title: str) -> AsyncIterator[bytes]:
    """openpyxl's write-only workbook keeps rows on disk, not in memory; the finished file is
    sent in chunks and removed."""
    from openpyxl import Workbook

    set_language(lang)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_title(title))
    sheet.append(_header(columns))
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


async def with_first_column(value: Any, source: AsyncIterator[list[Any]]) -> AsyncIterator[list[Any]]:
    """``source``'s rows with ``value`` in front (the kab/kota column of a whole-round export)."""
    async for row in source:
        yield [neutralise(value), *row]

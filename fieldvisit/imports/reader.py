"""A forgiving reader of the tables Excel (and people) produce: CSV and XLSX into rows of text.

Pure: bytes in, rows of strings out, or a ``ReadError`` whose message names the problem in the
reader's language. What it forgives:
- CSV as UTF-8 with or without BOM, UTF-16 (Excel's "Unicode text"), else Windows-1252;
  ``,`` ``;`` or tab as delimiter, detected; a title line above the header row;
- XLSX read with openpyxl in read-only mode and ``data_only=False``: a formula cell is kept as
  its text (``=HYPERLINK(…)`` stays ``=HYPERLINK(…)``), never evaluated; a percent-formatted
  number (0.925 shown as 92,5 %) comes back as ``92.5%``;
- headers in any case, with Indonesian or English names, spaces/underscores/slashes alike;
- numbers written the Indonesian way ("92,5", "1.234,5") or the English way ("1,234.5").
What it refuses before parsing: a file over the size limit, an empty file, a PDF, an image or
any other binary renamed .csv, the old .xls format.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from fieldvisit.web.i18n import N_, _

MB = 1024 * 1024
HEADER_SEARCH_ROWS = 10  # a header may sit below a title line or two
CSV_DELIMITERS = (",", ";", "\t")


def render(msgid: str, params: dict[str, Any] | None = None) -> str:
    """A stored message in the current language. Parameters named ``label…`` hold English
    labels (or lists of them) and are translated too; other lists are joined with commas."""
    if not params:
        return _(msgid)
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if key.startswith("label"):
            value = ", ".join(_(v) for v in value) if isinstance(value, list) else _(value)
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        shown[key] = value
    return _(msgid) % shown


class ReadError(Exception):
    """The file as a whole cannot be read; ``text()`` says why in the current language."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params

    def text(self) -> str:
        return render(self.msgid, self.params)

    def as_problem(self) -> dict[str, Any]:
        return {"level": "error", "column": "", "msgid": self.msgid, "params": self.params}


@dataclass(frozen=True)
class Column:
    """A column an import understands: its key, an English label (translated when shown), the
    header names accepted for it (compared after ``normalise_header``) and whether it must be there."""

    key: str
    label: str
    aliases: tuple[str, ...]
    required: bool = False

    def names(self) -> set[str]:
        return {normalise_header(a) for a in (self.key, self.label, *self.aliases)}


@dataclass
class Sheet:
    """The non-empty rows of one CSV file or one worksheet: (row number, cells as text; a CSV
    cell keeps surrounding spaces, the rules strip what they read)."""

    name: str
    rows: list[tuple[int, list[str]]]


@dataclass
class Table:
    """A sheet whose header row was found: column key -> cell index, and the rows below it."""

    sheet: str
    header_line: int
    columns: dict[str, int]
    headers: dict[str, str]  # column key -> the header as written
    ignored: list[str]  # headers no column understood
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    def value(self, cells: list[str], key: str) -> str | None:
        """The cell of ``key`` in a row, or None when the file has no such column."""
        index = self.columns.get(key)
        if index is None:
            return None
        return cells[index] if index < len(cells) else ""


# --- the file --------------------------------------------------------------------------

def check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise ReadError(N_("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files."),
                        size=_mb(size), limit=_mb(max_bytes))


def _mb(size: int) -> str:
    value = size / MB
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def read_sheets(raw: bytes, file_name: str = "", *, max_bytes: int) -> list[Sheet]:
    """Every sheet with rows; raises ReadError for a file that is not a table."""
    check_size(len(raw), max_bytes)
    if not raw.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise ReadError(N_("The file is empty."))
    kind = sniff(raw, file_name)
    sheets = _read_xlsx(raw) if kind == "xlsx" else [Sheet("", _read_csv(_decode(raw)))]
    sheets = [s for s in sheets if s.rows]
    if not sheets:
        raise ReadError(N_("The file is empty."))
    return sheets


def sniff(raw: bytes, file_name: str = "") -> str:
    """'xlsx' or 'csv' from the content, whatever the file is called."""
    head = raw[:8]
    if head.startswith(b"%PDF"):
        raise ReadError(N_("This is a PDF document, not a table. Save the spreadsheet as CSV or XLSX and upload that."))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReadError(N_("This is an old Excel file (.xls) or a password-protected workbook. "
                           "Open it in Excel and save it as .xlsx (without a password) or CSV."))
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")):
        raise ReadError(N_("This is an image, not a table. Upload the CSV or XLSX file."))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    if b"\x00" in raw[:4096]:
        raise ReadError(N_("This file is not a CSV or XLSX table (it holds binary data). "
                           "Save the spreadsheet as CSV or XLSX and upload that."))
    return "csv"


def _decode(raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise ReadError(N_("The file could not be read as text. Save it as CSV UTF-8.")) from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # never fails; only odd bytes would look odd


def _lines(text: str) -> Iterator[str]:
    """Lines with their endings (the csv module joins quoted fields across them)."""
    if "\n" not in text and "\r" in text:  # classic Mac line ends
        text = text.replace("\r", "\n")
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            if start < len(text):
                yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number (> 1) of cells most often;
    a title line above the header does not count against it."""
    sample = []
    for line in _lines(text[:64 * 1024]):
        if line.strip():
            sample.append(line)
        if len(sample) >= HEADER_SEARCH_ROWS:
            break
    best, best_score = ",", (0, 0)
    for delimiter in CSV_DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:
            continue
        wide = [c for c in counts if c > 1]
        if not wide:
            continue
        mode = max(set(wide), key=lambda c: (wide.count(c), c))
        score = (wide.count(mode), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(text: str) -> list[tuple[int, list[str]]]:
    delimiter = detect_delimiter(text)
    rows: list[tuple[int, list[str]]] = []
    if "\n" not in text and "\r" in text:  # classic Mac line ends
        text = text.replace("\r", "\n")
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if "".join(cells).strip():  # cells keep their spaces: the rules strip what they read
                rows.append((number, cells))
    except csv.Error as exc:
        raise ReadError(N_("The CSV file is malformed near row %(row)s: %(detail)s."), row=len(rows) + 1,
                        detail=str(exc)) from None
    return rows


def _read_xlsx(raw: bytes) -> list[Sheet]:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # data_only=False: a formula comes back as its text ("=HYPERLINK(…)"), never as a value
        # computed by us or cached by Excel.
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ReadError(N_("This file is not a readable Excel workbook (.xlsx). Open it in Excel and save it "
                           "again as .xlsx or CSV.")) from None
    sheets = []
    try:
        for worksheet in workbook.worksheets:
            worksheet.reset_dimensions()  # some writers record wrong dimensions; read every row
            rows: list[tuple[int, list[str]]] = []
            for number, row in enumerate(worksheet.iter_rows(), start=1):
                cells = [cell_text(c) for c in row]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    rows.append((number, cells))
            sheets.append(Sheet(worksheet.title, rows))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ReadError(N_("This file is not a readable Excel workbook (.xlsx). Open it in Excel and save it "
                           "again as .xlsx or CSV.")) from None
    finally:
        workbook.close()
    return sheets


def cell_text(cell: Any) -> str:
    """One XLSX cell as the text a person sees (formulas as written)."""
    value = getattr(cell, "value", cell)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
        if "%" in (getattr(cell, "number_format", "") or ""):
            return _plain(number * 100) + "%"
        return _plain(number)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    text = getattr(value, "text", None)  # ArrayFormula and friends: their formula text
    return str(text if text is not None else value).strip()


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


# --- headers -----------------------------------------------------------------------------

_PUNCT = re.compile(r"[\s_\-./\\:#*]+")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def normalise_header(text: str) -> str:
    return _PUNCT.sub(" ", text.replace("\ufeff", "").strip().lower()).strip()


def _column_for(header: str, columns: Sequence[Column]) -> Column | None:
    for candidate in (normalise_header(header), normalise_header(_PAREN.sub(" ", header))):
        if not candidate:
            continue
        for column in columns:
            if candidate in column.names():
                return column
    return None


def find_table(sheet: Sheet, columns: Sequence[Column]) -> Table:
    """Find the header row among the first rows and map its cells to ``columns``.
    Raises ReadError naming missing required columns or a column given twice."""
    best: tuple[int, int] | None = None  # (matches, index)
    for index, (_line, cells) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        matches = sum(1 for c in cells if _column_for(c, columns))
        if matches and (best is None or matches > best[0]):
            best = (matches, index)
    if best is None:
        raise ReadError(N_("No header row was found. The first row must name the columns, for example: "
                           "%(label_names)s."), label_names=[c.label for c in columns if c.required])
    header_line, header_cells = sheet.rows[best[1]]
    mapping: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for position, header in enumerate(header_cells):
        header = header.strip()
        column = _column_for(header, columns)
        if column is None:
            if header:
                ignored.append(header)
            continue
        if column.key in mapping:
            raise ReadError(N_("The columns “%(first)s” and “%(second)s” both mean %(label)s; keep one of them."),
                            first=headers[column.key], second=header, label=column.label)
        mapping[column.key] = position
        headers[column.key] = header
    missing = [c for c in columns if c.required and c.key not in mapping]
    if missing:
        raise ReadError(N_("Missing column: %(label_names)s. Accepted headers: %(aliases)s."),
                        label_names=[c.label for c in missing],
                        aliases="; ".join(", ".join(c.aliases[:4]) for c in missing))
    rows = sheet.rows[best[1] + 1:]
    return Table(sheet.name, header_line, mapping, headers, ignored, rows)


# --- values ------------------------------------------------------------------------------

_THOUSANDS_DOT = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_THOUSANDS_COMMA = re.compile(r"^[+-]?\d{1,3}(,\d{3}){2,}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_number(text: str) -> Decimal:
    """A number written the Indonesian way ("92,5", "1.234,5", "1.234.567") or the English way
    ("92.5", "1,234.5", "1,234,567"). One separator alone is a decimal separator ("1,5" and
    "1.5" are both one and a half), except dots or commas that group thousands more than once.
    Raises ValueError."""
    s = text.strip().replace("\u2212", "-").replace("\u00a0", "").replace(" ", "").replace("'", "")
    if not s:
        raise ValueError("empty")
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):  # 1.234,5
            s = s.replace(".", "").replace(",", ".")
        else:  # 1,234.5
            s = s.replace(",", "")
    elif "," in s:
        s = s.replace(",", "") if _THOUSANDS_COMMA.match(s) else s.replace(",", ".")
    elif s.count(".") > 1 and _THOUSANDS_DOT.match(s):
        s = s.replace(".", "")
    if not _NUMBER.match(s):
        raise ValueError(text)
    try:
        return Decimal(s)
    except InvalidOperation:
        raise ValueError(text) from None


YES = frozenset({"ya", "yes", "y", "true", "benar", "ada", "1", "sudah"})
NO = frozenset({"tidak", "no", "n", "false", "salah", "tidak ada", "0", "belum", "tdk"})


def parse_yes_no(text: str) -> bool | None:
    """True for ya/yes/ada…, False for tidak/no/tidak ada…, None for anything else."""
    word = " ".join(text.strip().lower().split())
    if word in YES:
        return True
    if word in NO:
        return False
    return None

"""Pure rules of indicator verification: reading a verified value the way people type it
(Indonesian decimal comma or English point), checking it against the claim's kind, reading
links, and recognising the document files a verifier may attach (PDF, JPEG, PNG)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from fieldvisit.web.i18n import _

MAX_DOCUMENTS = 5  # files per saved version
MAX_LINKS = 10
MAX_NOTE = 4000
MAX_VALUE = Decimal("9999999999")  # the column holds 14 digits, 4 after the point
PLACES = Decimal("0.0001")

YES = {"1", "ya", "y", "yes", "true", "ada"}
NO = {"0", "tidak", "t", "no", "n", "false", "tidak ada"}

_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def parse_number(text: str) -> Decimal | None:
    """A number as typed in Indonesian or English; None when it is not one.

    - spaces, a leading "+", and a trailing "%" are ignored;
    - with both "," and ".", the one written last is the decimal mark ("1.234,5", "1,234.5");
    - a single "," is the decimal mark ("83,0"); several are grouping ("1,234,567");
    - a single "." is the decimal mark ("83.0", so "1.234" is 1.234: type 1234 for a thousand);
      several are grouping ("1.234.567");
    - grouping must be in threes ("83,0,1" is refused, not read as 8301).
    """
    raw = text.strip().replace(" ", "").replace("\u00a0", "").removesuffix("%")
    if not raw:
        return None
    commas, points = raw.count(","), raw.count(".")
    if commas and points:
        mark = "," if raw.rfind(",") > raw.rfind(".") else "."
        whole, _sep, fraction = raw.rpartition(mark)
        if not _grouped(whole, "." if mark == "," else ",") or not fraction.isdigit():
            return None
        raw = whole.replace(",", "").replace(".", "") + "." + fraction
    elif commas > 1 or points > 1:
        if not _grouped(raw, "," if commas else "."):
            return None
        raw = raw.replace(",", "").replace(".", "")
    else:
        raw = raw.replace(",", ".")
    if not _NUMBER.fullmatch(raw):
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern already refused it
        return None


def _grouped(whole: str, separator: str) -> bool:
    """Digits grouped in threes by ``separator`` (or no separator at all)."""
    if separator not in whole:
        return bool(re.fullmatch(r"[+-]?\d+", whole))
    return bool(re.fullmatch(r"[+-]?\d{1,3}(?:" + re.escape(separator) + r"\d{3})+", whole))


def parse_verified_value(text: str, kind: str) -> tuple[Decimal | None, str | None]:
    """(value, None) or (None, the message for the field). ``kind``: number | percent | yesno."""
    if not text.strip():
        return None, _("Enter the verified value.")
    if kind == "yesno":
        word = text.strip().lower()
        if word in YES:
            return Decimal(1), None
        if word in NO:
            return Decimal(0), None
        return None, _("Choose yes or no.")
    value = parse_number(text)
    if value is None:
        return None, _("Enter a number, for example 83,0 or 83.0.")
    if value < 0:
        return None, _("The value cannot be negative.")
    if kind == "percent" and value > 100:
        return None, _("A percentage is at most 100.")
    if value > MAX_VALUE:
        return None, _("The value is too large.")
    return value.quantize(PLACES, ROUND_HALF_UP), None


def parse_links(text: str) -> tuple[list[dict[str, str]], str | None]:
    """One link a line, optionally "title | https://…". Only http(s) addresses."""
    links = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        title, _sep, link = line.rpartition("|") if "|" in line else ("", "", line)
        title, link = title.strip(), link.strip()
        if not re.fullmatch(r"https?://[^\s<>\"']+\.[^\s<>\"']+", link) or len(link) > 1000:
            return [], _("Each line must be a web address starting with https:// (optionally \"title | address\").")
        links.append({"title": title[:200] or link[:200], "link": link})
    if len(links) > MAX_LINKS:
        return [], _("At most %(n)d links.") % {"n": MAX_LINKS}
    return links, None


DOCUMENT_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def document_type(data: bytes) -> str | None:
    """The content type of an accepted document from its first bytes (never from its name or
    the browser's word): PDF, JPEG or PNG; None for anything else."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def display_value(value: Decimal | None, kind: str) -> str:
    """The value as the form shows it back: plain digits, no grouping, no trailing zeros."""
    if value is None:
        return ""
    if kind == "yesno":
        return "1" if value else "0"
    return format(value.normalize(), "f")

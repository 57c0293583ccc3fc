"""Pure rules for Kemendagri region codes and the region CSV."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from fieldvisit.web.i18n import _

PROVINCE = re.compile(r"^\d{2}$")
KABKOTA = re.compile(r"^(\d{2})\.(\d{2})$")
ZONES = {"WIB": "+07:00", "WITA": "+08:00", "WIT": "+09:00"}
LEVELS = ("province", "kabupaten", "kota")


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: str
    province_code: str
    time_zone: str
    utc_offset: str


def level_of(code: str) -> str | None:
    """province for PP; kabupaten for PP.01-69; kota for PP.71-99; None if not a code."""
    if PROVINCE.match(code):
        return "province"
    match = KABKOTA.match(code)
    if not match:
        return None
    number = int(match.group(2))
    if 1 <= number <= 69:
        return "kabupaten"
    if 71 <= number <= 99:
        return "kota"
    return None


def parse_regions_csv(raw: bytes) -> tuple[list[RegionRow], list[str]]:
    """Rows of a region CSV like ``regions-kemendagri-2025.csv``, or row-numbered problems."""
    if not raw.strip():
        return [], [_("The file is empty.")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [_("The file is not UTF-8 text. Save it as CSV UTF-8.")]
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if text.split("\n", 1)[0].count(";") else ",")
    required = {"code", "name", "province_code", "time_zone"}
    header = {h.strip().lower() for h in (reader.fieldnames or [])}
    if not required <= header:
        return [], [_("Missing column(s): %(cols)s.") % {"cols": ", ".join(sorted(required - header))}]
    rows: list[RegionRow] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line, record in enumerate(reader, start=2):
        rec = {k.strip().lower(): (v or "").strip() for k, v in record.items() if k}
        code, zone = rec.get("code", ""), rec.get("time_zone", "").upper()
        level = level_of(code)
        if level is None:
            problems.append(_("Row %(line)d: %(code)r is not a Kemendagri code (PP or PP.KK).")
                            % {"line": line, "code": code})
            continue
        if rec.get("level") and rec["level"].lower() != level:
            problems.append(_("Row %(line)d: code %(code)s is a %(level)s, not %(given)s.")
                            % {"line": line, "code": code, "level": level, "given": rec["level"]})
        if code[:2] != rec.get("province_code", ""):
            problems.append(_("Row %(line)d: province code does not match the code %(code)s.")
                            % {"line": line, "code": code})
        if zone not in ZONES:
            problems.append(_("Row %(line)d: time zone must be WIB, WITA or WIT.") % {"line": line})
        if not rec.get("name"):
            problems.append(_("Row %(line)d: the name is empty.") % {"line": line})
        if code in seen:
            problems.append(_("Row %(line)d: code %(code)s appears twice.") % {"line": line, "code": code})
        seen.add(code)
        rows.append(RegionRow(code, rec.get("name", ""), level, code[:2], zone, ZONES.get(zone, "")))
    provinces = {r.code for r in rows if r.level == "province"}
    for r in rows:
        if r.level != "province" and r.province_code not in provinces:
            problems.append(_("Kab/kota %(code)s: its province %(prov)s is not in the file.")
                            % {"code": r.code, "prov": r.province_code})
            break
    return rows, problems

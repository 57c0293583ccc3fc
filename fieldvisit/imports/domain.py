"""Pure rules of the imports: what each row of a site list or a claims file means, checked
against what is already stored (passed in), as a plan of outcomes per row.

A plan row is new, changed (with each changed field, old → new), unchanged, or an error;
warnings do not stop an import, errors do (nothing is half-imported). Messages are kept as
English message ids with parameters and translated when shown (``reader.render``), so each
reader sees their own language. No database, no web, no clock.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fieldvisit.imports.reader import Column, ReadError, Sheet, Table, find_table, parse_number, parse_yes_no, render
from fieldvisit.web.i18n import N_, _

NEW, CHANGED, UNCHANGED, ERROR = "new", "changed", "unchanged", "error"
OUTCOMES = (NEW, CHANGED, UNCHANGED, ERROR)

# Indonesia's bounding box, with a little margin (Sabang to Merauke, Miangas to Rote).
INDONESIA_LAT = (-11.5, 6.5)
INDONESIA_LON = (94.5, 141.5)


@dataclass(frozen=True)
class Problem:
    level: str  # error | warning
    column: str  # the column key, "" for the row or the file
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return render(self.msgid, self.params)

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "column": self.column, "msgid": self.msgid, "params": self.params}


def error(column: str, msgid: str, **params: Any) -> Problem:
    return Problem("error", column, msgid, params)


def warning(column: str, msgid: str, **params: Any) -> Problem:
    return Problem("warning", column, msgid, params)


@dataclass(slots=True)
class RowPlan:
    """What one row of the file will do."""

    line: int
    sheet: str
    outcome: str
    district_code: str = ""
    key: str = ""
    label: str = ""
    values: dict[str, Any] | None = None  # the fields to write (new and changed rows)
    changes: dict[str, list[Any]] | None = None  # field -> [old, new] (changed rows)
    problems: list[Problem] = field(default_factory=list)
    existing_id: int | None = None

    @property
    def has_warning(self) -> bool:
        return bool(self.problems) and any(p.level == "warning" for p in self.problems)

    def fingerprint(self) -> bytes:
        """What the preview showed of this row; confirm compares the plans' digests."""
        problems = [(p.level, p.column, p.msgid, sorted(p.params.items())) for p in self.problems]
        return repr((self.line, self.sheet, self.outcome, self.district_code, self.key,
                     sorted(self.changes.items()) if self.changes else None, problems)).encode() + b"\n"


def plan_digest(rows: Sequence[RowPlan]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row.fingerprint())
    return digest.hexdigest()


def nearest(given: str, choices: Sequence[str], n: int = 3) -> list[str]:
    """The closest valid codes to a mistyped one (difflib), case-insensitively."""
    upper = {c.upper(): c for c in choices}
    found = difflib.get_close_matches(given.upper(), list(upper), n=n, cutoff=0.5)
    if not found:  # "PUSKESMAS" for PUSKESMAS_RA: a prefix is a good hint too
        found = [c for c in upper if c.startswith(given.upper()[:4])][:n] if len(given) >= 3 else []
    return [upper[f] for f in found]


def _unknown_code(column: str, given: str, choices: Sequence[str], msgid_near: str, msgid_none: str) -> Problem:
    close = nearest(given, choices)
    if close:
        return error(column, msgid_near, given=given, nearest=close)
    return error(column, msgid_none, given=given, codes=sorted(choices)[:20])


def _formula_warnings(table: Table, cells: list[str], columns: Sequence[Column]) -> list[Problem]:
    found = []
    for column in columns:
        value = table.value(cells, column.key)
        if value and value.startswith("="):
            found.append(warning(column.key, N_("This cell holds a formula; it was kept as its text, not calculated.")))
    return found


def _has_formula(cells: list[str]) -> bool:
    """Does a cell start with "=" (one C-level search instead of a loop over the cells)."""
    return "\x00=" in "\x00" + "\x00".join(cells)


def _too_long(column: str, value: str, limit: int) -> Problem | None:
    if len(value) > limit:
        return error(column, N_("Too long: at most %(limit)s characters (this one has %(length)s)."),
                     limit=limit, length=len(value))
    return None


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        if old is None or new is None:
            return old is None and new is None
        return round(float(old), 7) == round(float(new), 7)
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        if old is None or new is None:
            return old is None and new is None
        return Decimal(str(old)) == Decimal(str(new))
    return bool(old == new)


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """field -> [old, new] for the fields of ``new`` whose value differs from ``old``."""
    return {k: [old.get(k), v] for k, v in new.items() if not _same(old.get(k), v)}


def jsonable(value: Any) -> Any:
    """Values as stored in JSON (Decimals as text, so 92.50 stays exact)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


# === sites ==================================================================================

SITE_TEXT_LIMITS = {"name": 300, "address": 2000, "kecamatan": 120, "kelurahan": 120, "contact_person": 200,
                    "phone": 50}
SITE_FIELDS = ("name", "site_type", "address", "kecamatan", "kelurahan", "latitude", "longitude", "contact_person",
               "phone", "is_active")

SITE_COLUMNS = (
    Column("code", N_("site code"), ("kode lokasi", "kode", "site code", "npsn", "kode situs", "kode tempat",
                                     "id lokasi", "no lokasi"), required=True),
    Column("name", N_("name"), ("nama lokasi", "nama", "site name", "nama tempat", "nama situs", "nama sekolah"),
           required=True),
    Column("site_type", N_("site type code"), ("jenis lokasi", "jenis", "kode jenis", "site type", "type", "tipe",
                                               "jenis tempat", "kategori"), required=True),
    Column("district", N_("kab/kota code"), ("kode kab/kota", "kab/kota", "kabupaten/kota", "kode wilayah",
                                             "kode kemendagri", "district code", "district", "kabkota"),
           required=True),
    Column("address", N_("address"), ("alamat", "address", "alamat lengkap", "jalan")),
    Column("kecamatan", N_("subdistrict (kecamatan)"), ("kecamatan", "kec", "subdistrict")),
    Column("kelurahan", N_("village (kelurahan/desa)"), ("kelurahan/desa", "kelurahan", "desa", "kel/desa", "village")),
    Column("latitude", N_("latitude"), ("lintang", "lat", "latitude", "garis lintang", "koordinat lintang")),
    Column("longitude", N_("longitude"), ("bujur", "lon", "lng", "long", "longitude", "garis bujur",
                                          "koordinat bujur")),
    Column("contact_person", N_("contact person"), ("narahubung", "kontak", "nama kontak", "penanggung jawab",
                                                    "contact person", "contact", "pic")),
    Column("phone", N_("phone"), ("telepon", "telp", "no telp", "no hp", "hp", "nomor telepon", "nomor hp", "phone",
                                  "whatsapp", "wa")),
)

FIELD_LABELS = {c.key: c.label for c in SITE_COLUMNS} | {"is_active": N_("active")}


@dataclass(frozen=True)
class SiteType:
    code: str
    name_id: str
    name_en: str


@dataclass(frozen=True)
class District:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ExistingSite:
    id: int
    values: dict[str, Any]  # SITE_FIELDS as stored


@dataclass(frozen=True)
class SiteContext:
    site_types: Sequence[SiteType]
    districts: Mapping[str, District]  # every kab/kota by code
    existing: Mapping[tuple[str, str], ExistingSite]  # (kab/kota code, site code)
    only_district: str | None = None  # the import is for this kab/kota only
    round_districts: frozenset[str] | None = None  # the import is for a round: its kab/kota
    round_name: str = ""


def site_columns(only_district: str | None) -> tuple[Column, ...]:
    """The kab/kota column may be left out when the import is for one kab/kota."""
    if not only_district:
        return SITE_COLUMNS
    return tuple(Column(c.key, c.label, c.aliases, False) if c.key == "district" else c for c in SITE_COLUMNS)


def find_site_table(sheets: Sequence[Sheet], only_district: str | None) -> Table:
    """The first sheet that is a site list; the first sheet's problem if none is."""
    columns = site_columns(only_district)
    first_error: ReadError | None = None
    for sheet in sheets:
        try:
            return find_table(sheet, columns)
        except ReadError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


_KABKOTA = re.compile(r"^(\d{2})[.,]?(\d{1,2})$")


def normalise_district_code(text: str) -> str:
    """'36.71', '3671', '36,71' -> '36.71'; '36.1' (Excel dropped the zero of 36.10) -> '36.10'."""
    s = text.strip()
    match = _KABKOTA.match(s)
    if not match:
        return s
    head, tail = match.groups()
    if len(tail) == 1:
        if "." not in s and "," not in s:
            return s  # '361' is not a code
        tail += "0"
    return f"{head}.{tail}"


def _site_type_lookup(types: Sequence[SiteType]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for t in types:
        for name in (t.code, t.name_id, t.name_en):
            if name:
                lookup[" ".join(name.lower().replace("_", " ").split())] = t.code
    return lookup


def _district_lookup(districts: Mapping[str, District]) -> dict[str, str]:
    by_name: dict[str, str] = {}
    for d in districts.values():
        key = " ".join(d.name.lower().split())
        by_name[key] = "" if key in by_name else d.code  # ambiguous names are not guessed
    return by_name


_PLAIN_DECIMAL = re.compile(r"\s*-?\d{1,3}(?:[.,]\d+)?\s*$")


def _coordinates(lat_text: str | None, lon_text: str | None) -> tuple[float | None, float | None, list[Problem]]:
    """Parse and check a coordinate pair: out of range is an error, swapped is swapped back
    with a warning, outside Indonesia is a warning."""
    if lat_text and lon_text and _PLAIN_DECIMAL.match(lat_text) and _PLAIN_DECIMAL.match(lon_text):
        lat, lon = float(lat_text.replace(",", ".")), float(lon_text.replace(",", "."))
        if _in_indonesia(lat, lon):
            return lat, lon, []  # the common case, first
    problems: list[Problem] = []
    if lat_text is None and lon_text is None:
        return None, None, problems
    lat_s, lon_s = (lat_text or "").strip(), (lon_text or "").strip()
    if not lat_s and not lon_s:
        return None, None, problems
    values: dict[str, float] = {}
    for key, text in (("latitude", lat_s), ("longitude", lon_s)):
        if not text:
            problems.append(error(key, N_("Give both latitude and longitude, or neither.")))
            continue
        if _PLAIN_DECIMAL.match(text):  # the common case: -6.1783 or -6,1783
            values[key] = float(text.replace(",", "."))
            continue
        try:
            values[key] = float(parse_number(text))
        except ValueError:
            problems.append(error(key, N_("“%(given)s” is not a number."), given=text))
    if problems:
        return None, None, problems
    lat, lon = values["latitude"], values["longitude"]
    in_box = _in_indonesia(lat, lon)
    if not in_box and _in_indonesia(lon, lat):
        problems.append(warning("latitude", N_("Latitude and longitude look swapped (%(lat)s, %(lon)s); they were "
                                               "swapped back. Check the location."), lat=lat_s, lon=lon_s))
        return lon, lat, problems
    if not -90 <= lat <= 90:
        problems.append(error("latitude", N_("Latitude %(value)s is out of range (−90 to 90)."), value=lat_s))
    if not -180 <= lon <= 180:
        problems.append(error("longitude", N_("Longitude %(value)s is out of range (−180 to 180)."), value=lon_s))
    if problems:
        return None, None, problems
    if not in_box:
        problems.append(warning("latitude", N_("The location (%(lat)s, %(lon)s) is outside Indonesia. Check the "
                                               "coordinates."), lat=lat_s, lon=lon_s))
    return lat, lon, problems


def _in_indonesia(lat: float, lon: float) -> bool:
    return INDONESIA_LAT[0] <= lat <= INDONESIA_LAT[1] and INDONESIA_LON[0] <= lon <= INDONESIA_LON[1]


def district_codes(table: Table, only_district: str | None) -> set[str]:
    """The kab/kota codes a site table names (to load what is stored there before planning)."""
    if only_district:
        return {only_district}
    index = table.columns.get("district")
    if index is None:
        return set()
    written = {cells[index] for _line, cells in table.rows if index < len(cells)}  # a few hundred at most
    return {normalise_district_code(code) for code in written}


def plan_sites(table: Table, ctx: SiteContext) -> Iterator[RowPlan]:
    """Each row's outcome, in file order. (The loop is the import's hot path: 100 000 rows must
    take about a second, so columns are looked up once and the common case is tried first.)"""
    types = _site_type_lookup(ctx.site_types)
    exact_types = {t.code: t.code for t in ctx.site_types}
    type_codes = [t.code for t in ctx.site_types]
    by_name = _district_lookup(ctx.districts)
    districts, only, in_round = ctx.districts, ctx.only_district, ctx.round_districts
    seen: dict[tuple[str, str], int] = {}
    width = max(table.columns.values(), default=-1) + 1
    at = table.columns.get
    i_code, i_name, i_type, i_district = at("code"), at("name"), at("site_type"), at("district")
    optional = [(k, table.columns[k], SITE_TEXT_LIMITS[k]) for k in
                ("address", "kecamatan", "kelurahan", "contact_person", "phone") if k in table.columns]
    i_lat, i_lon = at("latitude"), at("longitude")
    has_coordinates = i_lat is not None or i_lon is not None
    for line, cells in table.rows:
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        problems = _formula_warnings(table, cells, SITE_COLUMNS) if _has_formula(cells) else []
        code = cells[i_code].strip() if i_code is not None else ""
        name = cells[i_name].strip() if i_name is not None else ""
        # kab/kota
        raw_district = cells[i_district] if i_district is not None else ""
        if raw_district in districts:
            district_code = raw_district
        else:
            district_code = normalise_district_code(raw_district) if raw_district else (only or "")
            if district_code and district_code not in districts:
                district_code = by_name.get(" ".join(district_code.lower().split())) or district_code
        if not district_code:
            problems.append(error("district", N_("The kab/kota code is empty.")))
        elif district_code not in districts:
            problems.append(error("district", N_("Kab/kota %(code)s is not in the region list."), code=district_code))
        elif only and district_code != only:
            problems.append(error("district", N_("This import is for kab/kota %(only)s; the row names %(code)s."),
                                  only=only, code=district_code))
        elif in_round is not None and district_code not in in_round:
            problems.append(error("district", N_("Kab/kota %(code)s is not evaluated in round %(round)s."),
                                  code=district_code, round=ctx.round_name))
        # code
        key = (district_code, code)
        if not code:
            problems.append(error("code", N_("The site code is empty.")))
        elif len(code) > 64:
            problems.append(_too_long("code", code, 64))  # type: ignore[arg-type]
        elif key in seen:
            problems.append(error("code", N_("Site code %(code)s is already in row %(row)s of this file."),
                                  code=code, row=seen[key]))
        else:
            seen[key] = line
        # name and type
        if not name:
            problems.append(error("name", N_("The name is empty.")))
        elif len(name) > SITE_TEXT_LIMITS["name"]:
            problems.append(_too_long("name", name, SITE_TEXT_LIMITS["name"]))  # type: ignore[arg-type]
        given_type = cells[i_type].strip() if i_type is not None else ""
        site_type = exact_types.get(given_type) or types.get(" ".join(given_type.lower().replace("_", " ").split()), "")
        if not given_type:
            problems.append(error("site_type", N_("The site type code is empty.")))
        elif not site_type:
            problems.append(_unknown_code("site_type", given_type, type_codes,
                                          N_("Unknown site type “%(given)s”. Did you mean %(nearest)s?"),
                                          N_("Unknown site type “%(given)s”. Valid codes: %(codes)s.")))
        values: dict[str, Any] = {"name": name, "site_type": site_type}
        for column, index, limit in optional:
            text = cells[index].strip()
            if len(text) > limit:
                problems.append(_too_long(column, text, limit))  # type: ignore[arg-type]
            values[column] = text
        if has_coordinates:
            lat, lon, coordinate_problems = _coordinates(cells[i_lat] if i_lat is not None else None,
                                                         cells[i_lon] if i_lon is not None else None)
            if coordinate_problems:
                problems += coordinate_problems
            values["latitude"], values["longitude"] = lat, lon
        values["is_active"] = True
        yield _site_outcome(line, table.sheet, district_code, code, name, values, problems, ctx)


def site_fields_written(table: Table) -> list[str]:
    """The site fields an import of this table writes: name, type and active always, the others
    when the file has their column (a column left out leaves stored values alone)."""
    coordinates = "latitude" in table.columns or "longitude" in table.columns
    return [k for k in SITE_FIELDS if k in ("name", "site_type", "is_active") or k in table.columns
            or (coordinates and k in ("latitude", "longitude"))]


def _site_outcome(line: int, sheet: str, district_code: str, code: str, name: str, values: dict[str, Any],
                  problems: list[Problem], ctx: SiteContext) -> RowPlan:
    if problems and any(p.level == "error" for p in problems):
        return RowPlan(line, sheet or "sites", ERROR, district_code, code, name, None, None, problems)
    existing = ctx.existing.get((district_code, code))
    if existing is None:  # a field the file does not have is stored empty (see queries._insert_new_sites)
        return RowPlan(line, sheet or "sites", NEW, district_code, code, name, values, None, problems)
    row = RowPlan(line, sheet or "sites", ERROR, district_code, code, name, problems=problems)
    row.existing_id = existing.id
    changes = diff(existing.values, values)
    if changes:
        row.outcome, row.values, row.changes = CHANGED, values, changes
    else:
        row.outcome = UNCHANGED
    return row


STATE_FIELDS = SITE_FIELDS


def site_state_digest(ctx: SiteContext, existing: Iterable[tuple[tuple[str, str], ExistingSite]]) -> str:
    """The stored sites of the kab/kota a preview covers (and the rules' context) as the preview
    saw them; confirm recomputes it under the lock and writes only if nothing changed there."""
    digest = hashlib.sha256(repr((sorted(t.code for t in ctx.site_types),
                                  sorted(ctx.round_districts) if ctx.round_districts is not None else None,
                                  ctx.only_district)).encode())
    for key, site in sorted(existing, key=lambda item: item[0]):
        digest.update(repr((key, site.id, [site.values.get(c) for c in STATE_FIELDS])).encode())
    return digest.hexdigest()


# === claims ===================================================================================

DOCUMENT_COLUMNS = (
    Column("document_title", N_("document title"), ("judul dokumen", "dokumen", "bukti dukung", "nama dokumen",
                                                    "document title", "document", "documents")),
    Column("document_link", N_("document link or file name"), ("tautan", "link", "tautan dokumen", "nama file",
                                                                "file", "url", "document link", "berkas")),
)
INDICATOR_COLUMNS = (
    Column("indicator", N_("indicator code"), ("kode indikator", "indikator", "indicator code", "indicator",
                                               "no indikator", "nomor indikator"), required=True),
    Column("value", N_("claimed value"), ("nilai klaim", "nilai", "capaian", "claimed value", "value",
                                          "nilai capaian", "data")),
    Column("unit", N_("unit"), ("satuan", "unit")),
    Column("claimed_score", N_("claimed score"), ("skor klaim", "skor", "skor evaluasi mandiri", "claimed score",
                                                  "score", "nilai skor"), required=True),
    Column("max_score", N_("maximum score"), ("skor maksimal", "skor maks", "nilai maksimal", "maximum score",
                                              "max score", "bobot")),
    *DOCUMENT_COLUMNS,
)
ITEM_COLUMNS = (
    Column("site_code", N_("site code"), ("kode lokasi", "kode", "site code", "npsn", "kode situs"), required=True),
    Column("item", N_("checklist item code"), ("kode item", "item", "kode butir", "butir", "checklist item",
                                               "item code"), required=True),
    Column("status", N_("claimed status"), ("status klaim", "status", "klaim", "claimed status", "keterangan"),
           required=True),
    *DOCUMENT_COLUMNS,
)
INDICATOR_FIELDS = ("value_kind", "value", "unit", "claimed_score", "max_score", "documents", "withdrawn")
ITEM_FIELDS = ("claimed_status", "documents", "withdrawn")
CLAIM_FIELD_LABELS = {
    "value_kind": N_("kind of value"), "value": N_("claimed value"), "unit": N_("unit"),
    "claimed_score": N_("claimed score"), "max_score": N_("maximum score"), "documents": N_("documents"),
    "withdrawn": N_("withdrawn"), "claimed_status": N_("claimed status"),
}

MET = frozenset({"met", "terpenuhi", "ada", "ya", "yes", "y", "sudah", "memenuhi", "true", "1", "v", "✓"})
NOT_MET = frozenset({"not met", "not_met", "tidak terpenuhi", "belum terpenuhi", "tidak ada", "tidak", "no", "n",
                     "belum", "tidak memenuhi", "false", "0", "x"})
PERCENT_UNITS = frozenset({"%", "persen", "percent", "prosentase", "persentase"})


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    site_type: str
    text: str


@dataclass(frozen=True)
class SiteRef:
    id: int
    code: str
    name: str
    site_type: str


@dataclass(frozen=True)
class ExistingClaim:
    id: int
    values: dict[str, Any]


@dataclass(frozen=True)
class ClaimContext:
    district_code: str
    district_name: str
    indicators: Mapping[str, str]  # code -> short name
    items: Mapping[str, ChecklistItem]
    sites: Mapping[str, SiteRef]  # the district's sites by code
    indicator_claims: Mapping[str, ExistingClaim]  # by indicator code
    item_claims: Mapping[tuple[int, str], ExistingClaim]  # by (site id, item code)


def find_claim_tables(sheets: Sequence[Sheet]) -> list[tuple[str, Table]]:
    """Each sheet that is an indicator-claims or a site-item-claims table, with its kind."""
    found: list[tuple[str, Table]] = []
    for sheet in sheets:
        for kind, columns in (("indicator_claims", INDICATOR_COLUMNS), ("site_item_claims", ITEM_COLUMNS)):
            try:
                found.append((kind, find_table(sheet, columns)))
                break
            except ReadError:
                continue
    if not found:
        raise ReadError(N_("No claims table was found. Indicator claims need the columns %(label_indicator)s; "
                           "site item claims need %(label_item)s."),
                        label_indicator=[c.label for c in INDICATOR_COLUMNS if c.required],
                        label_item=[c.label for c in ITEM_COLUMNS if c.required])
    return found


_INDICATOR = re.compile(r"^(?:i|ind|indikator|indicator)?\s*[-.#]?\s*0*(\d{1,2})$", re.I)


def normalise_indicator_code(text: str) -> str:
    """'I04', 'i4', '4', '04', 'Indikator 4' -> 'I04'."""
    s = text.strip()
    match = _INDICATOR.match(s)
    return f"I{int(match.group(1)):02d}" if match else s.upper()


_SPLIT_DOCS = re.compile(r"\s*(?:\n|\|)\s*")


def parse_documents(titles: str | None, links: str | None) -> list[dict[str, str]]:
    """Document references from two cells; several are separated by new lines or "|"."""
    title_list = [t for t in _SPLIT_DOCS.split((titles or "").strip()) if t]
    link_list = [t for t in _SPLIT_DOCS.split((links or "").strip()) if t]
    documents = []
    for i in range(max(len(title_list), len(link_list))):
        link = link_list[i] if i < len(link_list) else ""
        title = title_list[i] if i < len(title_list) else link.rstrip("/").rsplit("/", 1)[-1]
        documents.append({"title": title[:300], "link": link[:1000]})
    return documents


def parse_claimed_value(text: str, unit: str) -> tuple[str, Decimal | None, str, Problem | None]:
    """(kind, value, unit, problem) for a claimed value: a number, a percent or yes/no."""
    s = text.strip()
    if not s:
        return "number", None, unit, None
    yes_no = parse_yes_no(s)
    if yes_no is not None and not re.fullmatch(r"[01]", s):
        return "yesno", Decimal(1 if yes_no else 0), unit, None
    percent = s.endswith("%") or unit.strip().lower() in PERCENT_UNITS
    try:
        value = parse_number(s.rstrip("%").strip())
    except ValueError:
        return "number", None, unit, error("value", N_("“%(given)s” is not a number, a percent or yes/no (ya/tidak)."),
                                           given=s)
    if abs(value) >= 10**10:
        return "number", None, unit, error("value", N_("“%(given)s” is too large."), given=s)
    value = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if percent:
        if not 0 <= value <= 100:
            return "percent", None, unit, error("value", N_("A percentage must be between 0 and 100 (got %(given)s)."),
                                                given=s)
        return "percent", value, unit or "%", None
    return "number", value, unit, None


def _score(column: str, text: str | None, *, required: bool) -> tuple[Decimal | None, Problem | None]:
    s = (text or "").strip()
    if not s:
        if required:
            return None, error(column, N_("The claimed score is empty."))
        return None, None
    try:
        value = parse_number(s)
    except ValueError:
        return None, error(column, N_("“%(given)s” is not a number."), given=s)
    if not 0 <= value <= 1000:
        return None, error(column, N_("A score must be between 0 and 1000 (got %(given)s)."), given=s)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), None


def plan_indicator_claims(table: Table, ctx: ClaimContext) -> Iterator[RowPlan]:
    seen: dict[str, int] = {}
    codes = list(ctx.indicators)
    for line, cells in table.rows:
        problems = _formula_warnings(table, cells, INDICATOR_COLUMNS)
        given = (table.value(cells, "indicator") or "").strip()
        code = normalise_indicator_code(given)
        if not given:
            problems.append(error("indicator", N_("The indicator code is empty.")))
        elif code not in ctx.indicators:
            problems.append(_unknown_code("indicator", given, codes,
                                          N_("Unknown indicator “%(given)s”. Did you mean %(nearest)s?"),
                                          N_("Unknown indicator “%(given)s”. Valid codes: %(codes)s.")))
        elif code in seen:
            problems.append(error("indicator", N_("Indicator %(code)s is already in row %(row)s of this file."),
                                  code=code, row=seen[code]))
        else:
            seen[code] = line
        unit = (table.value(cells, "unit") or "").strip()
        kind, value, unit, problem = parse_claimed_value(table.value(cells, "value") or "", unit)
        if problem:
            problems.append(problem)
        if (p := _too_long("unit", unit, 40)) is not None:
            problems.append(p)
        score, problem = _score("claimed_score", table.value(cells, "claimed_score"), required=True)
        if problem:
            problems.append(problem)
        maximum, problem = _score("max_score", table.value(cells, "max_score"), required=False)
        if problem:
            problems.append(problem)
        if score is not None and maximum is not None and score > maximum:
            problems.append(error("claimed_score", N_("The claimed score %(score)s is above the maximum %(max)s."),
                                  score=str(score), max=str(maximum)))
        values: dict[str, Any] = {"value_kind": kind, "value": value, "unit": unit, "claimed_score": score,
                                  "max_score": maximum, "withdrawn": False}
        if "document_title" in table.columns or "document_link" in table.columns:
            values["documents"] = parse_documents(table.value(cells, "document_title"),
                                                  table.value(cells, "document_link"))
        row = RowPlan(line, "indicator_claims", ERROR, ctx.district_code, code, ctx.indicators.get(code, given),
                      problems=problems)
        yield _claim_outcome(row, values, ctx.indicator_claims.get(code))


def plan_item_claims(table: Table, ctx: ClaimContext) -> Iterator[RowPlan]:
    seen: dict[tuple[str, str], int] = {}
    for line, cells in table.rows:
        problems = _formula_warnings(table, cells, ITEM_COLUMNS)
        site_code = (table.value(cells, "site_code") or "").strip()
        given_item = (table.value(cells, "item") or "").strip()
        item_code = given_item.upper().replace(" ", "")
        site = ctx.sites.get(site_code)
        item = ctx.items.get(item_code)
        if not site_code:
            problems.append(error("site_code", N_("The site code is empty.")))
        elif site is None:
            problems.append(error("site_code", N_("Site %(code)s is not in the site list of %(district)s. Import the "
                                                  "site list first."), code=site_code, district=ctx.district_name))
        if not given_item:
            problems.append(error("item", N_("The checklist item code is empty.")))
        elif item is None:
            choices = [i.code for i in ctx.items.values() if site is None or i.site_type == site.site_type]
            problems.append(_unknown_code("item", given_item, choices,
                                          N_("Unknown checklist item “%(given)s”. Did you mean %(nearest)s?"),
                                          N_("Unknown checklist item “%(given)s”. Valid codes: %(codes)s.")))
        elif site is not None and item.site_type != site.site_type:
            problems.append(error("item", N_("Item %(item)s is for sites of type %(item_type)s, but %(site)s is a "
                                             "%(site_type)s."), item=item_code, item_type=item.site_type,
                                  site=site_code, site_type=site.site_type))
        if site_code and item_code:
            if (site_code, item_code) in seen:
                problems.append(error("item", N_("This site and item are already in row %(row)s of this file."),
                                      row=seen[(site_code, item_code)]))
            else:
                seen[(site_code, item_code)] = line
        status_text = " ".join((table.value(cells, "status") or "").strip().lower().split())
        status = "met" if status_text in MET else "not_met" if status_text in NOT_MET else ""
        if not status_text:
            problems.append(error("status", N_("The claimed status is empty: write met or not met.")))
        elif not status:
            problems.append(error("status", N_("“%(given)s” is not a status: write met or not met (terpenuhi / tidak "
                                               "terpenuhi, ada / tidak ada)."), given=status_text))
        values: dict[str, Any] = {"claimed_status": status, "withdrawn": False}
        if "document_title" in table.columns or "document_link" in table.columns:
            values["documents"] = parse_documents(table.value(cells, "document_title"),
                                                  table.value(cells, "document_link"))
        key = f"{site_code} / {item_code}"
        label = f"{site.name if site else site_code} · {item.text if item else given_item}"
        row = RowPlan(line, "site_item_claims", ERROR, ctx.district_code, key, label[:300], problems=problems)
        existing = ctx.item_claims.get((site.id, item_code)) if site else None
        planned = _claim_outcome(row, values, existing)
        if planned.values is not None and site is not None:
            planned.values["site_id"] = site.id
            planned.values["item_code"] = item_code
        yield planned


def _claim_outcome(row: RowPlan, values: dict[str, Any], existing: ExistingClaim | None) -> RowPlan:
    if any(p.level == "error" for p in row.problems):
        return row
    if existing is None:
        row.outcome = NEW
        row.values = {"documents": [], **values}
        return row
    row.existing_id = existing.id
    changes = diff(existing.values, values)
    if changes:
        row.outcome, row.values, row.changes = CHANGED, values, jsonable(changes)
    else:
        row.outcome = UNCHANGED
    return row


def claims_total(scores: Sequence[Decimal | None]) -> Decimal:
    """The self-assessment score: the sum of the claimed scores."""
    return sum((s for s in scores if s is not None), Decimal("0"))


# === the JSON API's rows as a table =============================================================

def table_from_records(sheet: str, records: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> Table:
    """JSON objects as a Table, so the API goes through the same rules as a file. A key no
    object has is a column the 'file' does not have (so it leaves stored values alone)."""
    present = [k for k in keys if any(k in r for r in records)]
    columns = {k: i for i, k in enumerate(present)}
    rows = [(n, [_record_text(r.get(k)) for k in present]) for n, r in enumerate(records, start=1)]
    return Table(sheet, 0, columns, {k: k for k in present}, [], rows)


def _record_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


# === showing a stored preview row ==================================================================

def _shown(value: Any) -> str:
    if value is None or value == "":
        return _("(empty)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "; ".join(f"{d.get('title', '')} ({d.get('link', '')})" if isinstance(d, dict) and d.get("link")
                         else str(d.get("title", d)) if isinstance(d, dict) else str(d) for d in value) or _("(none)")
    if isinstance(value, str) and re.fullmatch(r"-?\d+\.\d+", value):
        return value.rstrip("0").rstrip(".")
    return str(value)


def describe_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored preview row for a page or the API: problems and changes as text in the
    current language."""
    labels = {**FIELD_LABELS, **CLAIM_FIELD_LABELS, **{c.key: c.label for c in INDICATOR_COLUMNS + ITEM_COLUMNS}}
    translate = _  # the labels are marked with N_ where they are defined
    problems = [{"level": p["level"], "column": p["column"],
                 "column_label": translate(labels[p["column"]]) if p["column"] in labels else "",
                 "message": render(p["msgid"], p.get("params"))} for p in (row.get("problems") or [])]
    changes = [{"field": k, "label": translate(labels.get(k, k)), "old": _shown(v[0]), "new": _shown(v[1])}
               for k, v in (row.get("changes") or {}).items()]
    return {**row, "problems": problems, "changes": changes,
            "warnings": sum(1 for p in problems if p["level"] == "warning")}


def _api_records(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    records = []
    for item in items:
        record = dict(item)
        documents = record.pop("documents", None)
        if documents is not None:  # as a file has them: titles and links, one per line
            record["document_title"] = "\n".join(str(d.get("title", "")) for d in documents)
            record["document_link"] = "\n".join(str(d.get("link", "")) for d in documents)
        records.append(record)
    return records


def site_table_from_api(payload: Mapping[str, Any], only_district: str | None) -> Table:
    """The API's ``sites`` as a Table; ReadError when a required field is missing everywhere."""
    table = table_from_records("sites", _api_records(payload.get("sites") or []), [c.key for c in SITE_COLUMNS])
    header = Sheet("sites", [(0, list(table.columns)), *table.rows])
    found = find_table(header, site_columns(only_district))
    found.sheet = "sites"
    return found


def claim_tables_from_api(payload: Mapping[str, Any]) -> list[tuple[str, Table]]:
    tables = []
    for kind, columns in (("indicator_claims", INDICATOR_COLUMNS), ("site_item_claims", ITEM_COLUMNS)):
        items = payload.get(kind) or []
        if items:
            table = table_from_records(kind, _api_records(items), [c.key for c in columns])
            found = find_table(Sheet(kind, [(0, list(table.columns)), *table.rows]), columns)
            found.sheet = kind
            tables.append((kind, found))
    if not tables:
        raise ReadError(N_("Send indicator_claims, site_item_claims or both."))
    return tables

"""Reconciliation against the database.

``load_evaluation`` reads one district evaluation's inputs in a dozen set-based queries (never
one per claim or finding); ``reconcile_evaluation`` runs the pure rules of ``domain.py`` on
them and writes the changes to the evaluation's gaps, with their timeline events, in one
transaction that is serialised per evaluation.

Decisions where the tables leave room (each has a test):
- The current finding of a (site, item) is the highest version of each (visit, item), and
  across the evaluation's visits of that site the one saved last wins (a revisit overrides
  the first visit, in both directions). Its photos are the item's photos on that same visit.
- A site's outcome is the latest visit with an outcome, dated by its submission (else its
  check-in, else its creation), submitted or not: a verifier who finds the site closed says
  so at once.
- A photo is reused when another site of the same round holds a photo with the same SHA-256
  or a dHash at most ``NEAR_IDENTICAL_BITS`` apart. Near hashes are looked up through four
  indexed 16-bit bands: every pair within 3 bits (all re-encoded copies measured so far)
  shares a band and is certainly found, most pairs within 6 are.
- Gaps about a site or a photo carry the indicator of the site's type (its first related
  indicator), so they count under that indicator and cluster on the dashboard.
- A newly opened or reopened gap the district sees is due ``round.response_days`` after
  today in the district's own time zone.
- A photo reused in another district is flagged when the photo's own evaluation is next
  reconciled (a later upload elsewhere does not by itself rerun the earlier district).

For the background worker (``worker.py``): what changed is read from indexed timestamps
(``CHANGE_SOURCES``) against ``reconcile_state.last_run_at``; the stage and the round's
tolerances have no timestamp, so each run records them as ``inputs_seen`` and a poll compares.

Functions the gap pages, responses and exports build on: ``load_meta`` (with the asking user's
team membership), ``load_evaluation`` / ``Loaded``, ``reconcile_evaluation``, ``dashboard``,
``raw_rows`` / ``raw_records`` and the ``as_*`` converters; access lives in ``gaps.queries``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser
from fieldvisit.audit import queries as audit
from fieldvisit.db import placeholders, raw_records, raw_rows
from fieldvisit.errors import NotFound
from fieldvisit.gaps import domain as gaps_domain
from fieldvisit.gaps.domain import EventKind
from fieldvisit.reconcile import domain
from fieldvisit.reconcile.domain import (
    ExistingGap,
    GapChanges,
    GapDraft,
    GapKey,
    GapStatus,
    IndicatorClaim,
    IndicatorVerification,
    ItemFinding,
    Mode,
    Outcome,
    PhotoEvidence,
    Predicate,
    ReconcileInputs,
    ReconcileSettings,
    Result,
    Rule,
    SiteItemClaim,
    SiteOutcome,
    Tolerance,
)
from fieldvisit.storage.images import NEAR_IDENTICAL_BITS

if TYPE_CHECKING:
    from fieldvisit.gaps.queries import GapCounts

log = logging.getLogger("fieldvisit.reconcile")

#: Stages after the field verification: claims without a finding become "unverified" gaps.
FIELD_STAGE_CLOSED = frozenset({"verifikasi_final", "selesai"})
#: A visit held over video (hybrid session); its findings and photos carry no location provenance.
VIDEO_VISIT = "video"
#: dHash bands (1-based start of each 4-hex-digit band) used to find near-identical photos.
PHASH_BANDS = (1, 5, 9, 13)
CHUNK = 500  # rows per multi-row INSERT (well under both engines' bound-parameter limits)


# ---- what the loader returns ------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    id: int
    round_id: int
    round_name: str
    catalogue_version_id: int
    district_id: int
    district_code: str
    district_name: str
    stage: str
    response_days: int
    time_zone: str
    utc_offset: str
    assigned: bool = False  # the asking user is on the team (when load_meta was given a user)

    @property
    def field_stage_closed(self) -> bool:
        return self.stage in FIELD_STAGE_CLOSED


@dataclass(frozen=True)
class CatalogueIndicator:
    code: str
    number: int
    short_id: str
    name_id: str
    name_en: str
    max_score: Decimal | None
    cluster_code: str
    cluster_name_id: str
    cluster_name_en: str


@dataclass(frozen=True)
class Catalogue:
    """The parts of one catalogue version reconciliation needs (reference data, immutable)."""

    version_id: int
    indicators: tuple[CatalogueIndicator, ...]  # in catalogue order (cluster, then number)
    items: dict[str, tuple[str, bool]]  # checklist item code -> (indicator code, wants photo)
    site_type_indicator: dict[str, str]  # site type code -> its first related indicator
    predicates: tuple[Predicate, ...]
    predicate_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (Indonesian, English)

    @cached_property
    def _by_code(self) -> dict[str, CatalogueIndicator]:
        return {i.code: i for i in self.indicators}

    def indicator(self, code: str) -> CatalogueIndicator | None:
        return self._by_code.get(code)

    def cluster_of(self, indicator_code: str) -> str:
        found = self.indicator(indicator_code)
        return found.cluster_code if found else ""


@dataclass(frozen=True)
class Loaded:
    """One district evaluation as reconciliation sees it."""

    evaluation: Evaluation
    catalogue: Catalogue
    inputs: ReconcileInputs
    site_indicator: dict[int, str] = field(default_factory=dict)  # site id -> its type's indicator
    site_names: dict[int, str] = field(default_factory=dict)
    value_kinds: dict[str, str] = field(default_factory=dict)  # indicator code -> number | percent | yesno

    @cached_property
    def _present(self) -> dict[str, frozenset[int]]:
        return {"claim": frozenset(c.claim_id for c in self.inputs.site_item_claims),
                "indicator_claim": frozenset(c.claim_id for c in self.inputs.indicator_claims),
                "photo": frozenset(p.photo_id for p in self.inputs.photos)}

    def subject_exists(self, subject: str) -> bool:
        """Whether a gap's claim, site or photo is still there (withdrawn claims are gone)."""
        kind, ident = domain.parse_subject(subject)
        if kind == "site":
            return True  # a site is never deleted while a gap points at it (the foreign key restricts)
        return ident in self._present[kind]


# ---- small helpers for raw SQL on both engines ---------------------------------------------


def as_datetime(value: Any) -> datetime | None:
    """A timestamp from a raw query: asyncpg gives datetimes; SQLite gives text for expressions."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def as_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


# ---- the catalogue ---------------------------------------------------------------------------


async def load_catalogue(version_id: int) -> Catalogue:
    """A catalogue version, read once per process: versions are immutable (loading a changed
    file under the same code is refused), so the cache never goes stale."""
    key = (id(db.engine()), version_id)
    if key not in _CATALOGUES:
        _CATALOGUES[key] = await _read_catalogue(version_id)
    return _CATALOGUES[key]


_CATALOGUES: dict[tuple[int, int], Catalogue] = {}


async def _read_catalogue(version_id: int) -> Catalogue:
    indicators = await raw_rows(
        "SELECT i.code, i.number, i.short_id, i.name_id, i.name_en, i.max_score, c.code AS cluster_code, "
        "c.name_id AS cluster_name_id, c.name_en AS cluster_name_en "
        "FROM catalogue_indicator i JOIN catalogue_cluster c ON c.id = i.cluster "
        "WHERE i.version = {} ORDER BY c.position, i.number", version_id)
    items = await raw_rows("SELECT code, indicator_code, wants_photo FROM catalogue_checklist_item WHERE version = {}",
                           version_id)
    types = await raw_rows("SELECT code, related_indicators FROM catalogue_site_type WHERE version = {}", version_id)
    predicates = await raw_rows("SELECT code, name_id, name_en, min_score, max_score FROM catalogue_predicate "
                                "WHERE version = {} ORDER BY min_score", version_id)
    site_type_indicator = {}
    for t in types:
        related = json_value(t["related_indicators"]) or []
        site_type_indicator[t["code"]] = related[0] if related else ""
    return Catalogue(
        version_id=version_id,
        indicators=tuple(CatalogueIndicator(
            r["code"], int(r["number"]), r["short_id"], r["name_id"], r["name_en"], as_decimal(r["max_score"]),
            r["cluster_code"], r["cluster_name_id"], r["cluster_name_en"]) for r in indicators),
        items={r["code"]: (r["indicator_code"], bool(r["wants_photo"])) for r in items},
        site_type_indicator=site_type_indicator,
        predicates=tuple(Predicate(r["code"], as_decimal(r["min_score"]) or Decimal(0),
                                   as_decimal(r["max_score"]) or Decimal(0)) for r in predicates),
        predicate_names={r["code"]: (r["name_id"], r["name_en"]) for r in predicates},
    )


# ---- the loader ------------------------------------------------------------------------------


async def load_meta(evaluation_id: int, *, user_id: int | None = None) -> Evaluation | None:
    """The evaluation with its round and district; with ``user_id``, ``assigned`` says whether
    that user is on its team (one round trip for the access check too)."""
    assigned = ("EXISTS (SELECT 1 FROM assignment a WHERE a.district_evaluation = e.id AND a.\"user\" = {})"
                if user_id is not None else "FALSE")
    args = [user_id] if user_id is not None else []
    rows = await raw_rows(
        "SELECT e.id, e.stage, e.round AS round_id, r.name AS round_name, r.catalogue_version, r.response_days, "  # noqa: S608
        "d.id AS district_id, d.code AS district_code, d.name AS district_name, d.time_zone, d.utc_offset, "
        f"{assigned} AS assigned "
        "FROM district_evaluation e JOIN evaluation_round r ON r.id = e.round JOIN region d ON d.id = e.district "
        "WHERE e.id = {}", *args, evaluation_id)
    if not rows:
        return None
    r = rows[0]
    return Evaluation(int(r["id"]), int(r["round_id"]), r["round_name"], int(r["catalogue_version"]),
                      int(r["district_id"]), r["district_code"], r["district_name"], r["stage"],
                      int(r["response_days"]), r["time_zone"] or "WIB", r["utc_offset"] or "+07:00",
                      bool(r["assigned"]))


async def load_evaluation(evaluation_id: int, *, catalogue: Catalogue | None = None, meta: Evaluation | None = None,
                          parallel: bool = False, with_photos: bool = True,
                          reuse: dict[int, set[int]] | None = None) -> Loaded | None:
    """Everything the rules and the score need for one district evaluation, or None if there is
    no such evaluation. No access check: callers check the user first (``*_for_user``).

    Eight set-based queries after the evaluation itself; ``parallel`` runs them at once over
    the pool (pages), never inside a transaction (one connection runs one query at a time).
    ``with_photos=False`` skips the photos, which only the gap rules need (not the score);
    ``reuse`` (photo id -> other sites, from ``round_reuse``) spares the reused-photo lookup."""
    meta = meta or await load_meta(evaluation_id)
    if meta is None:
        return None
    if catalogue is None or catalogue.version_id != meta.catalogue_version_id:
        catalogue = await load_catalogue(meta.catalogue_version_id)
    e, round_id = evaluation_id, meta.round_id
    look_up_reuse = with_photos and reuse is None
    parts = [
        raw_records("SELECT id, indicator_code, value, value_kind, unit, claimed_score, max_score "
                    "FROM indicator_claim WHERE district_evaluation = {} AND deleted_at IS NULL "
                    "ORDER BY indicator_code", e),
        raw_records("SELECT id, site, item_code, claimed_status FROM site_item_claim "
                    "WHERE district_evaluation = {} AND deleted_at IS NULL", e),
        # every version: the highest of each (visit, item) is picked below (cheaper than a MAX per row)
        raw_records("SELECT id, site, visit, item_code, version, result, saved_by, saved_at FROM finding "
                    "WHERE district_evaluation = {}", e),
        raw_records("SELECT id, site, mode, outcome, submitted_at, checked_in_at, created_at FROM visit "
                    "WHERE district_evaluation = {}", e),
        raw_records("SELECT v.id, v.indicator_code, v.verified_value, v.verified_at FROM indicator_verification v "
                    "WHERE v.district_evaluation = {} AND v.version = (SELECT MAX(w.version) FROM "
                    "indicator_verification w WHERE w.district_evaluation = v.district_evaluation "
                    "AND w.indicator_code = v.indicator_code)", e),
        raw_records("SELECT indicator_code, low, high FROM indicator_tolerance WHERE round = {}", round_id),
        # the district's sites by the (district, code) index; a join per claim row made PostgreSQL
        # hash every site of the country
        raw_records("SELECT id, site_type, name FROM site WHERE district = {}", meta.district_id),
        # photos (their counts per visit item, their provenance): not needed for the score alone
        raw_records("SELECT id, site, visit, item_code, taken_at, distance_m, source FROM photo "
                    "WHERE district_evaluation = {}", e) if with_photos else _nothing(),
        raw_records(REUSE_SQL.format(photos="p.district_evaluation = {}"), e, round_id, *([e, round_id] * len(
            PHASH_BANDS))) if look_up_reuse else _nothing(),
    ]
    if parallel:
        results = await asyncio.gather(*parts)
    else:
        results = [await part for part in parts]
    *rows, reuse_rows = results
    return _assemble(meta, catalogue, *rows, reuse if reuse is not None else reused_sites(reuse_rows))


async def _nothing() -> list[Any]:
    return []


#: Photos also found at another site of the round: the same bytes (photo.sha256 is indexed), or a
#: dHash sharing one indexed 16-bit band (the exact distance is checked in ``reused_sites``).
#: ``{photos}`` picks the photos asked about: one evaluation's, or the whole round's.
REUSE_SQL = " UNION ALL ".join([
    "SELECT p.id, q.site, '' AS phash, '' AS other FROM photo p JOIN photo q ON q.sha256 = p.sha256 "
    "AND q.site <> p.site WHERE {photos} AND p.sha256 <> '' "
    "AND q.district_evaluation IN (SELECT id FROM district_evaluation WHERE round = {{}})",
    *[f"SELECT p.id, q.site, p.phash, q.phash AS other FROM photo p JOIN photo q "  # noqa: S608 - constants
      f"ON substr(q.phash, {b}, 4) = substr(p.phash, {b}, 4) AND q.site <> p.site "
      f"WHERE {{photos}} AND length(p.phash) = 16 AND length(q.phash) = 16 "
      f"AND q.district_evaluation IN (SELECT id FROM district_evaluation WHERE round = {{{{}}}})" for b in PHASH_BANDS],
])


def reused_sites(rows: Iterable[Any]) -> dict[int, set[int]]:
    """Photo id -> the other sites holding the same or a near-identical photo."""
    reused: dict[int, set[int]] = defaultdict(set)
    for r in rows:
        if not r["phash"] or phash_distance(r["phash"], r["other"]) <= NEAR_IDENTICAL_BITS:
            reused[r["id"]].add(r["site"])
    return reused


#: A dHash band shared by more photos than this is compared by the whole hash only (a blank
#: wall photographed everywhere must not make the comparison quadratic).
BUCKET_LIMIT = 2000


async def round_reuse(round_id: int) -> dict[int, set[int]]:
    """Reused photos of a whole round (a lookup per district costs a few index probes per
    photo, 514 times over): equal SHA-256 grouped by the database, dHash bands matched here."""
    in_round = "district_evaluation IN (SELECT id FROM district_evaluation WHERE round = {})"
    same_bytes = await raw_records(
        f"SELECT id, site, sha256 FROM photo WHERE {in_round} AND sha256 IN "  # noqa: S608 - constants
        f"(SELECT sha256 FROM photo WHERE {in_round} AND sha256 <> '' GROUP BY sha256 HAVING COUNT(*) > 1)",
        round_id, round_id)
    hashes = await raw_records(f"SELECT id, site, phash FROM photo WHERE {in_round} AND length(phash) = 16",  # noqa: S608
                               round_id)
    reused: dict[int, set[int]] = defaultdict(set)

    def near(group: list[tuple[int, int, int]]) -> None:
        for i, (a_id, a_site, a_hash) in enumerate(group):
            for b_id, b_site, b_hash in group[i + 1:]:
                if a_site != b_site and (a_hash ^ b_hash).bit_count() <= NEAR_IDENTICAL_BITS:
                    reused[a_id].add(b_site)
                    reused[b_id].add(a_site)

    def same(group: list[tuple[int, int, int]]) -> None:  # linear in the group, however large
        sites = {site for _id, site, _hash in group}
        if len(sites) > 1:
            for photo, site, _hash in group:
                reused[photo] |= sites - {site}

    by_sha: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for r in same_bytes:
        by_sha[r["sha256"]].append((r["id"], r["site"], 0))
    for group in by_sha.values():
        same(group)
    bands: list[dict[str, list[tuple[int, int, int]]]] = [defaultdict(list) for _ in PHASH_BANDS]
    by_hash: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for r in hashes:
        phash = r["phash"].lower()
        try:
            entry = (r["id"], r["site"], int(phash, 16))
        except ValueError:
            continue
        by_hash[entry[2]].append(entry)
        for band, start in zip(bands, PHASH_BANDS, strict=True):
            band[phash[start - 1:start + 3]].append(entry)
    for band in bands:
        for group in band.values():
            if 1 < len(group) <= BUCKET_LIMIT:
                near(group)
    for group in by_hash.values():  # equal hashes, whatever their buckets' size
        if len(group) > 1:
            same(group)
    return reused


def _assemble(meta: Evaluation, catalogue: Catalogue, indicator_rows: Sequence[Any], item_rows: Sequence[Any],
              finding_rows: Sequence[Any], visit_rows: Sequence[Any], verification_rows: Sequence[Any],
              tolerance_rows: Sequence[Any], site_rows: Sequence[Any], photo_rows: Sequence[Any],
              reused: dict[int, set[int]]) -> Loaded:
    sites = {r["id"]: r for r in site_rows}
    site_types: dict[int, str] = {}
    indicator_claims = []
    for r in indicator_rows:
        own_max = as_decimal(r["max_score"])
        listed = catalogue.indicator(r["indicator_code"])
        indicator_claims.append(IndicatorClaim(
            int(r["id"]), r["indicator_code"], as_decimal(r["value"]), r["unit"] or "",
            as_decimal(r["claimed_score"]) or Decimal(0), own_max if own_max is not None else (
                listed.max_score if listed else None)))

    site_item_claims = []
    items, type_indicator = catalogue.items, catalogue.site_type_indicator
    for r in item_rows:
        site = r["site"]
        if site not in site_types:
            site_types[site] = sites[site]["site_type"] if site in sites else ""
        indicator_code, wants_photo = items.get(r["item_code"], (type_indicator.get(site_types[site], ""), False))
        site_item_claims.append(SiteItemClaim(r["id"], site, r["item_code"], indicator_code,
                                              r["claimed_status"] == "met", wants_photo))

    visits = {r["id"]: r for r in visit_rows}
    outcomes_known = {o.value: o for o in Outcome}
    outcomes = []
    for r in visit_rows:
        if r["site"] not in site_types:
            site_types[r["site"]] = sites[r["site"]]["site_type"] if r["site"] in sites else ""
        if r["outcome"] in outcomes_known:
            recorded = (as_datetime(r["submitted_at"]) or as_datetime(r["checked_in_at"])
                        or as_datetime(r["created_at"]))
            outcomes.append(SiteOutcome(r["site"], outcomes_known[r["outcome"]], r["id"], recorded))  # type: ignore[arg-type]

    photo_counts: dict[tuple[int, str], int] = defaultdict(int)
    for r in photo_rows:
        if r["item_code"]:
            photo_counts[(r["visit"], r["item_code"])] += 1
    highest: dict[tuple[int, str], Any] = {}
    for r in finding_rows:
        key = (r["visit"], r["item_code"])
        if key not in highest or r["version"] > highest[key]["version"]:
            highest[key] = r
    results = {r.value: r for r in Result}
    per_visit = []
    for r in highest.values():
        if r["result"] not in results:
            continue
        visit = visits.get(r["visit"])
        video = visit is not None and visit["mode"] == VIDEO_VISIT
        per_visit.append(ItemFinding(
            r["id"], r["site"], r["item_code"], results[r["result"]], photo_counts.get((r["visit"], r["item_code"]), 0),
            Mode.VIDEO if video else Mode.ON_SITE, r["saved_by"], as_datetime(r["saved_at"])))  # type: ignore[arg-type]
    findings = list(domain.current_findings(per_visit).values())

    verifications = [IndicatorVerification(r["indicator_code"], as_decimal(r["verified_value"]) or Decimal(0),
                                            int(r["id"]), as_datetime(r["verified_at"]))  # type: ignore[arg-type]
                     for r in verification_rows]

    photos = []
    for r in photo_rows:
        visit = visits.get(r["visit"])
        if r["site"] not in site_types:
            site_types[r["site"]] = sites[r["site"]]["site_type"] if r["site"] in sites else ""
        video = (visit is not None and visit["mode"] == VIDEO_VISIT) or r["source"] == "video"
        photos.append(PhotoEvidence(
            r["id"], r["site"], Mode.VIDEO if video else Mode.ON_SITE, as_datetime(r["taken_at"]),
            as_datetime(visit["checked_in_at"]) if visit else None, as_datetime(visit["submitted_at"]) if visit else None,
            float(r["distance_m"]) if r["distance_m"] is not None else None,
            tuple(sorted(reused.get(r["id"], ()))),
        ))

    tolerances = [Tolerance(r["indicator_code"], as_decimal(r["low"]) or Decimal("0.90"),
                            as_decimal(r["high"]) or Decimal("1.10")) for r in tolerance_rows]
    inputs = ReconcileInputs(
        indicator_claims=indicator_claims, site_item_claims=site_item_claims, findings=findings,
        outcomes=outcomes, verifications=verifications, photos=photos, tolerances=tolerances,
        field_stage_closed=meta.field_stage_closed,
    )
    site_indicator = {site: type_indicator.get(kind, "") for site, kind in site_types.items()}
    site_names = {site: sites[site]["name"] for site in site_types if site in sites}
    value_kinds = {r["indicator_code"]: r["value_kind"] for r in indicator_rows}
    return Loaded(meta, catalogue, inputs, site_indicator, site_names, value_kinds)


def phash_distance(a: str | None, b: str | None) -> int:
    """Bits that differ between two hex dHashes; 64 (unrelated) when either is unusable."""
    try:
        return (int(a or "", 16) ^ int(b or "", 16)).bit_count()
    except ValueError:
        return 64


# ---- stored gaps ---------------------------------------------------------------------------------


GAP_COLUMNS = ("id, rule, subject, severity, visible_to_district, status, facts, site, indicator_code, due_on, "
               "opened_at, updated_at, settled_at")


async def stored_gaps(evaluation_id: int) -> list[dict[str, Any]]:
    rows = await raw_rows(f"SELECT {GAP_COLUMNS} FROM gap WHERE district_evaluation = {{}}", evaluation_id)  # noqa: S608
    for r in rows:
        r["facts"] = json_value(r["facts"]) or {}
    return rows


def existing_gaps(rows: Iterable[dict[str, Any]], loaded: Loaded) -> list[ExistingGap]:
    rules, statuses = {r.value for r in Rule}, {s.value for s in GapStatus}
    return [ExistingGap(int(r["id"]), GapKey(Rule(r["rule"]), r["subject"]), GapStatus(r["status"]), r["facts"],
                        loaded.subject_exists(r["subject"]))
            for r in rows if r["rule"] in rules and r["status"] in statuses]


# ---- a run -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunCounts:
    opened: int = 0
    updated: int = 0
    reopened: int = 0
    resolved: int = 0
    orphaned: int = 0
    unchanged: int = 0
    skipped: bool = False  # another run had already covered these changes

    @property
    def changed(self) -> int:
        return self.opened + self.updated + self.reopened + self.resolved + self.orphaned

    def as_dict(self) -> dict[str, int]:
        return {k: int(v) for k, v in asdict(self).items() if k != "skipped"}


async def _lock_state(evaluation_id: int) -> tuple[datetime | None, str]:
    """Serialise runs of one evaluation and return its last run. One upsert: it creates the
    state row if there is none and, on PostgreSQL, holds that row's lock until the transaction
    ends (a second run waits here, then sees the first one's gaps); SQLite's IMMEDIATE
    transaction already holds the database's write lock."""
    rows = await raw_rows(
        "INSERT INTO reconcile_state (district_evaluation, last_counts, inputs_seen) VALUES ({}, {}, '') "
        "ON CONFLICT (district_evaluation) DO UPDATE SET district_evaluation = excluded.district_evaluation "
        "RETURNING last_run_at, inputs_seen", evaluation_id, "{}")
    return as_datetime(rows[0]["last_run_at"]), rows[0]["inputs_seen"] or ""


async def reconcile_evaluation(evaluation_id: int, *, now: datetime, actor: CurrentUser | None = None,
                               settings: ReconcileSettings | None = None, catalogue: Catalogue | None = None,
                               unless_run_after: datetime | None = None,
                               unless_inputs_seen: bool = False,
                               reuse: dict[int, set[int]] | None = None) -> RunCounts:
    """Bring the stored gaps of one district evaluation in line with its claims and findings.

    ``now`` (aware) is the run's time: the window end of open visits, the time of the events,
    and ``last_run_at``. ``actor`` None means reconciliation itself (the background worker).
    ``unless_run_after``: skip when a run started at or after this moment (the worker's check,
    repeated under the lock, so several worker processes never run the same changes twice);
    ``unless_inputs_seen``: skip when the last run already saw this stage and these tolerances.
    The inputs are read under the lock, so a run never writes gaps from older inputs than the
    run before it."""
    settings = settings or ReconcileSettings()
    async with db.transaction():
        last, seen = await _lock_state(evaluation_id)
        if unless_run_after is not None and last is not None and last >= unless_run_after:
            return RunCounts(skipped=True)
        loaded = await load_evaluation(evaluation_id, catalogue=catalogue, reuse=reuse)
        if loaded is None:
            return RunCounts(skipped=True)
        fingerprint = inputs_fingerprint(loaded.evaluation.stage, loaded.inputs.tolerances)
        if unless_inputs_seen and seen == fingerprint:
            return RunCounts(skipped=True)
        rows = await stored_gaps(evaluation_id)
        existing = existing_gaps(rows, loaded)
        changes = domain.plan_changes(existing, domain.find_gaps(loaded.inputs, settings, now))
        counts = await _write_changes(loaded, changes, {int(r["id"]): r for r in rows}, now=now, actor=actor)
        await raw_rows("UPDATE reconcile_state SET last_run_at = {}, last_counts = {}, inputs_seen = {}, "
                       "running_since = NULL, dirty_since = NULL WHERE district_evaluation = {}",
                       now, json.dumps(counts.as_dict()), fingerprint, evaluation_id)
        await audit.record(actor, "reconcile.run", object_type="district_evaluation", object_id=evaluation_id,
                           district_id=loaded.evaluation.district_id, after=counts.as_dict())
    return counts


def _gap_indicator(draft: GapDraft, loaded: Loaded) -> str:
    if draft.indicator_code:
        return draft.indicator_code
    return loaded.site_indicator.get(draft.site_id, "") if draft.site_id is not None else ""


async def _write_changes(loaded: Loaded, changes: GapChanges, rows: dict[int, dict[str, Any]], *, now: datetime,
                         actor: CurrentUser | None) -> RunCounts:
    ev = loaded.evaluation
    due = gaps_domain.due_on(gaps_domain.local_today(now, ev.utc_offset), ev.response_days)
    actor_id = actor.id if actor else None
    events: list[tuple[Any, ...]] = []  # gap, kind, status_before, status_after, facts_before, facts_after

    if changes.open:
        values = [(ev.id, str(d.key.rule), d.key.subject, str(d.severity), d.visible_to_district, "open",
                   json.dumps(d.facts), d.site_id, _gap_indicator(d, loaded), due if d.visible_to_district else None,
                   now, now) for d in changes.open]
        ids = await _insert("gap", ("district_evaluation", "rule", "subject", "severity", "visible_to_district",
                                    "status", "facts", "site", "indicator_code", "due_on", "opened_at", "updated_at"),
                            values, returning=True)
        events += [(gap_id, EventKind.OPENED, "", "open", None, d.facts) for gap_id, d in zip(ids, changes.open, strict=True)]

    for u in changes.update:
        await raw_rows("UPDATE gap SET facts = {}, site = {}, indicator_code = {}, updated_at = {} WHERE id = {}",
                    json.dumps(u.draft.facts), u.draft.site_id, _gap_indicator(u.draft, loaded), now, u.gap.gap_id)
        events.append((u.gap.gap_id, EventKind.UPDATED, str(u.gap.status), str(u.gap.status), u.gap.facts,
                       u.draft.facts))

    for u in changes.reopen:
        old_due = rows[u.gap.gap_id]["due_on"]
        await raw_rows("UPDATE gap SET status = 'open', facts = {}, site = {}, indicator_code = {}, updated_at = {}, "
                    "settled_at = NULL, due_on = {} WHERE id = {}", json.dumps(u.draft.facts), u.draft.site_id,
                    _gap_indicator(u.draft, loaded), now, due if u.draft.visible_to_district else old_due,
                    u.gap.gap_id)
        events.append((u.gap.gap_id, EventKind.REOPENED, str(u.gap.status), "open", u.gap.facts, u.draft.facts))

    for settled, status, kind in ((changes.resolve, GapStatus.RESOLVED, EventKind.RESOLVED),
                                  (changes.orphan, GapStatus.ORPHANED, EventKind.ORPHANED)):
        for part in _chunks([g.gap_id for g in settled]):
            sql = f"UPDATE gap SET status = {{}}, settled_at = {{}}, updated_at = {{}} WHERE id IN ({placeholders(part)})"  # noqa: S608
            await raw_rows(sql, str(status), now, now, *part)
        events += [(g.gap_id, kind, str(g.status), str(status), g.facts, g.facts) for g in settled]

    if events:
        await _insert("gap_event", ("gap", "at", "actor", "kind", "text", "status_before", "status_after",
                                    "facts_before", "facts_after"),
                      [(gap_id, now, actor_id, str(kind), "", before, after,
                        None if fb is None else json.dumps(fb), None if fa is None else json.dumps(fa))
                       for gap_id, kind, before, after, fb, fa in events])
    return RunCounts(len(changes.open), len(changes.update), len(changes.reopen), len(changes.resolve),
                     len(changes.orphan), len(changes.unchanged))


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


async def _insert(table: str, columns: Sequence[str], values: Sequence[tuple[Any, ...]], *,
                  returning: bool = False) -> list[int]:
    """Multi-row INSERT in chunks (Piccolo builds a Table object per row, which costs more than
    the insert itself on a national run); returns the new ids in order when asked."""
    ids: list[int] = []
    names = ", ".join(f'"{c}"' for c in columns)
    row_sql = "(" + ", ".join("{}" for _ in columns) + ")"
    for part in _chunks(values):
        sql = f'INSERT INTO "{table}" ({names}) VALUES ' + ", ".join(row_sql for _ in part)  # noqa: S608 - names from code
        flat = [v for row in part for v in row]
        if returning:
            result = await raw_rows(sql + " RETURNING id", *flat)
            ids += [int(r["id"]) for r in result]
        else:
            await raw_rows(sql, *flat)
    return ids


# ---- several evaluations ---------------------------------------------------------------------------


async def reconcile_round(round_id: int, *, now: datetime, actor: CurrentUser | None = None,
                          settings: ReconcileSettings | None = None, concurrency: int = 4) -> dict[int, RunCounts]:
    """Every district evaluation of a round, ``concurrency`` at a time (each in its own
    transaction over the connection pool; SQLite queues them on its write lock). The round's
    reused photos are looked up once for all of them."""
    evaluations = [int(r["id"]) for r in await raw_rows(
        "SELECT id FROM district_evaluation WHERE round = {} ORDER BY id", round_id)]
    return await reconcile_many(evaluations, now=now, actor=actor, settings=settings, concurrency=concurrency,
                                reuse=await round_reuse(round_id))


async def reconcile_many(evaluation_ids: Sequence[int], *, now: datetime, actor: CurrentUser | None = None,
                         settings: ReconcileSettings | None = None, concurrency: int = 4,
                         reuse: dict[int, set[int]] | None = None) -> dict[int, RunCounts]:
    """Reconcile these evaluations, ``concurrency`` at a time; several processes may each take
    a share (runs are serialised per evaluation anyway). ``reuse``: see ``round_reuse``."""
    gate = asyncio.Semaphore(max(1, concurrency))
    results: dict[int, RunCounts] = {}

    async def one(evaluation_id: int) -> None:
        async with gate:
            results[evaluation_id] = await reconcile_evaluation(evaluation_id, now=now, actor=actor, settings=settings,
                                                                reuse=reuse)

    await asyncio.gather(*(one(e) for e in evaluation_ids))
    return results


# ---- what changed: the background worker's poll ------------------------------------------------

#: Every (table, timestamp) whose change can change an evaluation's gaps; each has an index.
CHANGE_SOURCES = (
    ("finding", "saved_at"), ("photo", "uploaded_at"), ("indicator_claim", "updated_at"),
    ("indicator_claim", "deleted_at"), ("site_item_claim", "updated_at"), ("site_item_claim", "deleted_at"),
    ("indicator_verification", "verified_at"), ("visit", "submitted_at"), ("visit", "checked_in_at"),
)


def inputs_fingerprint(stage: str, tolerances: Iterable[Tolerance]) -> str:
    """The inputs without a change timestamp (the stage decides "unverified" gaps, the round's
    tolerances decide value mismatches), as one short text a poll can compare."""
    bands = ";".join(sorted(f"{t.indicator_code}={domain.decimal_text(t.low)}-{domain.decimal_text(t.high)}" for t in tolerances))
    return f"{stage[:40]}:{hashlib.sha1(bands.encode()).hexdigest()[:16]}"  # noqa: S324 - a fingerprint, not security


async def changed_inputs() -> list[int]:
    """Evaluations whose stage or round tolerances differ from what their last run saw (a few
    hundred rows a poll: one per evaluation that was ever reconciled)."""
    states = await raw_rows(
        "SELECT e.id, e.stage, e.round, s.inputs_seen FROM reconcile_state s "
        "JOIN district_evaluation e ON e.id = s.district_evaluation")
    if not states:
        return []
    tolerances: dict[int, list[Tolerance]] = defaultdict(list)
    for r in await raw_rows("SELECT round, indicator_code, low, high FROM indicator_tolerance"):
        tolerances[int(r["round"])].append(Tolerance(r["indicator_code"], as_decimal(r["low"]) or Decimal("0.90"),
                                                     as_decimal(r["high"]) or Decimal("1.10")))
    return sorted(int(r["id"]) for r in states
                  if r["inputs_seen"] != inputs_fingerprint(r["stage"], tolerances.get(int(r["round"]), [])))


def settings_for(app_settings: Any) -> ReconcileSettings:
    """The rules' thresholds from the app's settings."""
    return ReconcileSettings(radius_m=float(app_settings.provenance_radius_m),
                             window_slack=timedelta(minutes=int(app_settings.provenance_window_slack_minutes)))


async def changed_since(since: datetime | None) -> dict[int, datetime]:
    """Evaluation id -> the time of its newest change after ``since`` (every change when None).
    One round trip; with ``since`` each part is a range scan of a timestamp index."""
    parts, args = [], []
    for table, column in CHANGE_SOURCES:
        where = f"{column} > {{}}" if since is not None else f"{column} IS NOT NULL"
        parts.append(f"SELECT district_evaluation AS e, MAX({column}) AS t FROM {table} WHERE {where} "  # noqa: S608
                     "GROUP BY district_evaluation")
        if since is not None:
            args.append(since)
    newest: dict[int, datetime] = {}
    for r in await raw_rows(" UNION ALL ".join(parts), *args):
        when = as_datetime(r["t"])
        if when is not None and (int(r["e"]) not in newest or when > newest[int(r["e"])]):
            newest[int(r["e"])] = when
    return newest


async def due_evaluations(*, now: datetime, debounce: timedelta, since: datetime | None) -> dict[int, datetime]:
    """Evaluations with a change no run has covered yet and quiet for ``debounce``: evaluation
    id -> its newest change. A run at R covers the changes stamped before R − debounce (a save
    committed up to ``debounce`` after its timestamp is still seen by the next poll)."""
    newest = {e: t for e, t in (await changed_since(since)).items() if t <= now - debounce}
    if not newest:
        return {}
    ids = sorted(newest)
    last: dict[int, datetime | None] = {}
    for part in _chunks(ids):
        for r in await raw_rows(f"SELECT district_evaluation, last_run_at FROM reconcile_state "  # noqa: S608
                             f"WHERE district_evaluation IN ({placeholders(part)})", *part):
            last[int(r["district_evaluation"])] = as_datetime(r["last_run_at"])
    return {e: t for e, t in newest.items() if last.get(e) is None or t > last[e] - debounce}  # type: ignore[operator]


async def poll_once(rules: ReconcileSettings, *, now: datetime, debounce: timedelta,
                    since: datetime | None) -> dict[int, RunCounts]:
    """One pass of the background worker: reconcile every due evaluation, one after another
    (``now`` is the poll's start: each run is dated no later than it really began).
    Safe with several server processes: each run re-checks under the evaluation's lock that no
    other run has covered the change meanwhile."""
    results: dict[int, RunCounts] = {}
    due: dict[int, datetime | None] = dict(await due_evaluations(now=now, debounce=debounce, since=since))
    for evaluation_id in await changed_inputs():
        due.setdefault(evaluation_id, None)
    for evaluation_id, newest in sorted(due.items()):
        try:
            results[evaluation_id] = await reconcile_evaluation(
                evaluation_id, now=now, settings=rules,
                unless_run_after=newest + debounce if newest is not None else None,
                unless_inputs_seen=newest is None)
        except Exception:  # noqa: BLE001 - one broken evaluation must not stop the others
            log.exception("background reconciliation of district evaluation %s failed", evaluation_id)
    return results


# ---- the district evaluation dashboard --------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorLine:
    """One indicator on the dashboard: what was claimed, what was verified, the estimate."""

    indicator: CatalogueIndicator
    claim: IndicatorClaim | None
    score: domain.IndicatorScore | None
    verification: IndicatorVerification | None
    tolerance: Tolerance
    active_gaps: dict[str, int]  # rule -> count of gaps still open, responded, rejected or asked for more

    @property
    def inside_tolerance(self) -> bool | None:
        if self.score is None or self.score.value_ratio is None:
            return None
        return self.score.verification_factor is not None and self.tolerance.contains(self.score.verification_factor)

    @property
    def changed(self) -> bool:
        return self.score is not None and self.score.verified_score != self.score.claimed_score


@dataclass(frozen=True)
class ClusterBlock:
    code: str
    name_id: str
    name_en: str
    lines: tuple[IndicatorLine, ...]

    @property
    def claimed(self) -> Decimal:
        return sum((line.score.claimed_score for line in self.lines if line.score), Decimal(0))

    @property
    def estimated(self) -> Decimal:
        return sum((line.score.verified_score for line in self.lines if line.score), Decimal(0))


@dataclass(frozen=True)
class Dashboard:
    evaluation: Evaluation
    estimate: domain.ScoreEstimate
    clusters: tuple[ClusterBlock, ...]
    counts: GapCounts
    last_run_at: datetime | None
    last_counts: dict[str, int]
    site_claims: int  # claims of "met" on site items
    site_findings: int  # of those, with a finding that counts in r
    value_kinds: dict[str, str]
    predicate_names: dict[str, tuple[str, str]]

    @property
    def changed_lines(self) -> list[IndicatorLine]:
        return [line for block in self.clusters for line in block.lines if line.changed]


async def dashboard(evaluation_id: int, *, today: date, meta: Evaluation | None = None) -> Dashboard:
    """The dashboard of one district evaluation (the caller has checked access: verifiers on
    the team and admins). The estimate is computed from the current rows, never stored; the
    reads run at once over the pool."""
    from fieldvisit.gaps import queries as gap_queries  # gaps build on this module

    loaded, counts, state = await asyncio.gather(
        load_evaluation(evaluation_id, meta=meta, parallel=True, with_photos=False),
        gap_queries.gap_counts(evaluation_id, today=today),
        raw_rows("SELECT last_run_at, last_counts FROM reconcile_state WHERE district_evaluation = {}", evaluation_id))
    if loaded is None:
        raise NotFound()
    inputs, catalogue = loaded.inputs, loaded.catalogue
    estimate = domain.estimate_scores(inputs.indicator_claims, inputs.site_item_claims, inputs.findings,
                                      inputs.outcomes, inputs.verifications, inputs.tolerances, catalogue.predicates)
    claims = {c.indicator_code: c for c in inputs.indicator_claims}
    scores = {s.indicator_code: s for s in estimate.indicators}
    verified = domain.current_verifications(inputs.verifications)
    tolerances = {t.indicator_code: t for t in inputs.tolerances}
    blocks: dict[str, list[IndicatorLine]] = defaultdict(list)
    names: dict[str, tuple[str, str]] = {}
    for indicator in catalogue.indicators:
        names.setdefault(indicator.cluster_code, (indicator.cluster_name_id, indicator.cluster_name_en))
        blocks[indicator.cluster_code].append(IndicatorLine(
            indicator, claims.get(indicator.code), scores.get(indicator.code), verified.get(indicator.code),
            domain.tolerance_for(indicator.code, tolerances), counts.active_by_indicator.get(indicator.code, {})))
    return Dashboard(
        loaded.evaluation, estimate,
        tuple(ClusterBlock(code, *names[code], tuple(lines)) for code, lines in blocks.items()),
        counts, as_datetime(state[0]["last_run_at"]) if state else None,
        (json_value(state[0]["last_counts"]) or {}) if state else {},
        sum(s.site_claims for s in estimate.indicators), sum(s.site_counted for s in estimate.indicators),
        loaded.value_kinds, catalogue.predicate_names,
    )

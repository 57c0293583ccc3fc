"""Pure rules of reconciliation: KLA.md, "Reconciliation: claims against findings".

Plain frozen dataclasses in, plain dataclasses out; no Piccolo, no Litestar, no clock.
The loader fills ``ReconcileInputs`` from one district evaluation (a district in a round) in a
few queries; ``find_gaps`` turns it into ``GapDraft``s, ``plan_changes`` diffs those against the
stored gaps, ``estimate_scores`` computes the estimated verified score.

Decisions where KLA.md leaves room (each has a test):
- A site-item claim of "not met" asserts nothing to check: it raises no gap and stays out of
  the site ratio r. Only claims of "met" are reconciled.
- Site not found (latest outcome closed / not_found / refused) raises ONE high gap for the site.
  Its item claims raise no item gaps (that one gap is the evidence) and count credit 0 in r,
  whatever item findings were recorded before the outcome.
- not_applicable is a verifier's deliberate judgement: no gap, and out of r. Unverified means
  no finding or only not_observed, and fires only once the field stage is closed.
- Evidence missing applies to video findings too (a screenshot is evidence).
- Provenance: one gap per photo listing its reasons. Video photos never get a distance reason
  (the camera was the district's); the time window does apply to them, because a capture of
  a video call should be made during the session, and one dated outside it was not captured
  live. A visit not yet submitted has its window end at ``now``. No capture time or no
  check-in: no window reason (nothing to judge by).
- Value: VF = verified / claimed with full Decimal precision; the tolerance is inclusive
  (0.90 and 1.10 are inside). A claimed value of 0 has no VF: verified 0 is a match, anything
  else is a mismatch with ``vf`` None and v = 1 in the score. No claimed value: no value check.
- Several current rows for one key (two concurrent saves): the latest time, then highest id.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple, TypeAlias, TypeVar


class Result(enum.StrEnum):
    MET = "met"
    PARTIAL = "partial"
    NOT_MET = "not_met"
    NOT_OBSERVED = "not_observed"
    NOT_APPLICABLE = "not_applicable"


class Outcome(enum.StrEnum):
    FOUND = "found"
    CLOSED = "closed"
    NOT_FOUND = "not_found"
    REFUSED = "refused"


class Mode(enum.StrEnum):
    ON_SITE = "on_site"
    VIDEO = "video"


class Rule(enum.StrEnum):
    CONTRADICTED = "contradicted"
    SITE_NOT_FOUND = "site_not_found"
    PARTIAL = "partial"
    VALUE_MISMATCH = "value_mismatch"
    EVIDENCE_MISSING = "evidence_missing"
    UNVERIFIED = "unverified"
    PROVENANCE = "provenance"


class Severity(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    REVIEW = "review"


SEVERITY = {
    Rule.CONTRADICTED: Severity.HIGH,
    Rule.SITE_NOT_FOUND: Severity.HIGH,
    Rule.PARTIAL: Severity.MEDIUM,
    Rule.VALUE_MISMATCH: Severity.MEDIUM,
    Rule.EVIDENCE_MISSING: Severity.LOW,
    Rule.UNVERIFIED: Severity.LOW,
    Rule.PROVENANCE: Severity.REVIEW,
}


class ProvenanceReason(enum.StrEnum):
    OUTSIDE_WINDOW = "outside_window"
    TOO_FAR = "too_far"
    REUSED = "reused"


class GapStatus(enum.StrEnum):
    OPEN = "open"
    RESPONDED = "responded"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MORE_INFO = "more_info"
    CLOSED = "closed"
    RESOLVED = "resolved"  # by re-verification: the cause went away
    ORPHANED = "orphaned"  # its claim, site or photo was deleted


ACTIVE = frozenset({GapStatus.OPEN, GapStatus.RESPONDED, GapStatus.REJECTED, GapStatus.MORE_INFO})
DECIDED = frozenset({GapStatus.ACCEPTED, GapStatus.CLOSED})  # a verifier's decision: never reopened
SETTLED = frozenset({GapStatus.RESOLVED, GapStatus.ORPHANED})  # by reconciliation: reopened if the cause returns

CENT = Decimal("0.01")
ONE = Decimal(1)

# JSON-ready values, so facts read back from the database compare equal to fresh ones.
Fact: TypeAlias = str | int | float | bool | None | list[str] | list[int]
Facts: TypeAlias = dict[str, Fact]


# ---- inputs -------------------------------------------------------------------------------
# One row of the loader's queries each; NamedTuples because a district has thousands of them
# (a frozen dataclass costs ~10x more to build) and they are only read.


class IndicatorClaim(NamedTuple):
    claim_id: int
    indicator_code: str
    claimed_value: Decimal | None  # 92.5 (%), 12 (schools), 1/0 (yes/no); None if only a score
    unit: str
    claimed_score: Decimal  # c
    max_score: Decimal | None  # m


class SiteItemClaim(NamedTuple):
    claim_id: int
    site_id: int
    item_code: str
    indicator_code: str  # the item's own indicator, else its site type's first related indicator
    claimed_met: bool
    wants_photo: bool


class ItemFinding(NamedTuple):
    """The current finding for a (site, item) of the round."""

    finding_id: int
    site_id: int
    item_code: str
    result: Result
    photo_count: int
    mode: Mode
    found_by: int | None
    found_at: datetime


class SiteOutcome(NamedTuple):
    """A visit's outcome for a site; the latest one per site counts."""

    site_id: int
    outcome: Outcome
    visit_id: int
    recorded_at: datetime


class IndicatorVerification(NamedTuple):
    indicator_code: str
    verified_value: Decimal
    verification_id: int
    verified_at: datetime


class PhotoEvidence(NamedTuple):
    photo_id: int
    site_id: int
    mode: Mode
    taken_at: datetime | None  # aware, from EXIF read in the province's zone
    window_start: datetime | None  # check-in (or session start for video)
    window_end: datetime | None  # submit; None while the visit is open
    distance_m: float | None  # from EXIF GPS, else the check-in
    reused_at_site_ids: tuple[int, ...] = ()  # other sites of the round with the same photo


@dataclass(frozen=True)
class Tolerance:
    indicator_code: str
    low: Decimal = Decimal("0.90")
    high: Decimal = Decimal("1.10")

    def contains(self, vf: Decimal) -> bool:
        return self.low <= vf <= self.high


@dataclass(frozen=True)
class ReconcileSettings:
    radius_m: float = 200.0
    window_slack: timedelta = timedelta(hours=2)


@dataclass(frozen=True)
class ReconcileInputs:
    """One district evaluation; each sequence is one query's rows."""

    indicator_claims: Sequence[IndicatorClaim] = ()
    site_item_claims: Sequence[SiteItemClaim] = ()
    findings: Sequence[ItemFinding] = ()
    outcomes: Sequence[SiteOutcome] = ()
    verifications: Sequence[IndicatorVerification] = ()
    photos: Sequence[PhotoEvidence] = ()
    tolerances: Sequence[Tolerance] = ()
    field_stage_closed: bool = False


# ---- gaps ---------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class GapKey:
    """A gap's identity within a district evaluation (the caller adds round and district)."""

    rule: Rule
    subject: str  # "claim:<site-item claim id>", "indicator_claim:<id>", "site:<id>", "photo:<id>"


@dataclass(frozen=True)
class GapDraft:
    """A gap as the rules see it now. ``site_id`` and ``indicator_code`` are for the gap's
    columns (filters by cluster, site); ``plan_changes`` compares ``facts`` only."""

    key: GapKey
    severity: Severity
    visible_to_district: bool
    facts: Facts
    site_id: int | None = None
    indicator_code: str | None = None


def claim_subject(claim_id: int) -> str:
    return f"claim:{claim_id}"


def indicator_claim_subject(claim_id: int) -> str:
    return f"indicator_claim:{claim_id}"


def site_subject(site_id: int) -> str:
    return f"site:{site_id}"


def photo_subject(photo_id: int) -> str:
    return f"photo:{photo_id}"


def parse_subject(subject: str) -> tuple[str, int]:
    """("claim", 123) from "claim:123"; ValueError if malformed."""
    kind, _sep, ident = subject.partition(":")
    if kind not in {"claim", "indicator_claim", "site", "photo"} or not ident.isdigit():
        raise ValueError(f"not a gap subject: {subject!r}")
    return kind, int(ident)


def find_gaps(inputs: ReconcileInputs, settings: ReconcileSettings, now: datetime) -> list[GapDraft]:
    """Every gap of one district evaluation, sorted by key. ``now`` (aware) closes the window
    of a visit not yet submitted."""
    findings = current_findings(inputs.findings)
    absent = absent_sites(inputs.outcomes)
    claims_at = Counter(c.site_id for c in inputs.site_item_claims)
    drafts = [
        _draft(Rule.SITE_NOT_FOUND, site_subject(site_id), site_id=site_id,
               facts={"outcome": str(outcome.outcome), "item_claims": claims_at[site_id]})
        for site_id, outcome in absent.items()
    ]
    for claim in inputs.site_item_claims:
        if claim.claimed_met and claim.site_id not in absent:
            gap = _item_gap(claim, findings.get((claim.site_id, claim.item_code)), inputs.field_stage_closed)
            if gap:
                drafts.append(gap)
    verified = current_verifications(inputs.verifications)
    tolerances = {t.indicator_code: t for t in inputs.tolerances}
    for indicator in inputs.indicator_claims:
        gap = _indicator_gap(indicator, verified.get(indicator.indicator_code),
                             tolerance_for(indicator.indicator_code, tolerances), inputs.field_stage_closed)
        if gap:
            drafts.append(gap)
    for photo in inputs.photos:
        gap = _provenance_gap(photo, settings, now)
        if gap:
            drafts.append(gap)
    return sorted(drafts, key=lambda d: d.key)


def _draft(rule: Rule, subject: str, facts: Facts, site_id: int | None = None,
           indicator_code: str | None = None) -> GapDraft:
    return GapDraft(GapKey(rule, subject), SEVERITY[rule], rule is not Rule.PROVENANCE, facts, site_id, indicator_code)


def _item_gap(claim: SiteItemClaim, finding: ItemFinding | None, stage_closed: bool) -> GapDraft | None:
    result = finding.result if finding else None
    if result is Result.NOT_MET:
        rule = Rule.CONTRADICTED
    elif result is Result.PARTIAL:
        rule = Rule.PARTIAL
    elif result is Result.MET and finding and claim.wants_photo and finding.photo_count == 0:
        rule = Rule.EVIDENCE_MISSING
    elif result in (None, Result.NOT_OBSERVED) and stage_closed:
        rule = Rule.UNVERIFIED
    else:
        return None  # most claims: decided before any facts are built
    facts: Facts = {"item_code": claim.item_code, "claimed": str(Result.MET),
                    "found": str(result) if result else None, "mode": str(finding.mode) if finding else None}
    return _draft(rule, claim_subject(claim.claim_id), facts, claim.site_id, claim.indicator_code)


def _indicator_gap(claim: IndicatorClaim, verification: IndicatorVerification | None, tolerance: Tolerance,
                   stage_closed: bool) -> GapDraft | None:
    if claim.claimed_value is None:
        return None
    facts: Facts = {"claimed_value": decimal_text(claim.claimed_value), "unit": claim.unit}
    subject = indicator_claim_subject(claim.claim_id)
    if verification is None:
        return _draft(Rule.UNVERIFIED, subject, facts, indicator_code=claim.indicator_code) if stage_closed else None
    vf, inside = verification_factor(claim.claimed_value, verification.verified_value, tolerance)
    if inside:
        return None
    facts |= {"verified_value": decimal_text(verification.verified_value),
              "vf": str(vf.quantize(Decimal("0.0001"), ROUND_HALF_UP)) if vf is not None else None,
              "tolerance_low": decimal_text(tolerance.low), "tolerance_high": decimal_text(tolerance.high)}
    return _draft(Rule.VALUE_MISMATCH, subject, facts, indicator_code=claim.indicator_code)


def _provenance_gap(photo: PhotoEvidence, settings: ReconcileSettings, now: datetime) -> GapDraft | None:
    reasons: list[str] = []
    end = photo.window_end or now
    if photo.taken_at and photo.window_start and not (
        photo.window_start - settings.window_slack <= photo.taken_at <= end + settings.window_slack
    ):
        reasons.append(ProvenanceReason.OUTSIDE_WINDOW)
    on_site = photo.mode is Mode.ON_SITE
    if on_site and photo.distance_m is not None and photo.distance_m > settings.radius_m:
        reasons.append(ProvenanceReason.TOO_FAR)
    others = sorted(set(photo.reused_at_site_ids) - {photo.site_id})
    if others:
        reasons.append(ProvenanceReason.REUSED)
    if not reasons:
        return None
    facts: Facts = {
        "reasons": [str(r) for r in reasons], "mode": str(photo.mode),
        "taken_at": _iso(photo.taken_at), "window_start": _iso(photo.window_start),
        "window_end": _iso(photo.window_end), "slack_minutes": int(settings.window_slack.total_seconds() // 60),
        "distance_m": photo.distance_m if on_site else None, "radius_m": settings.radius_m,
        "reused_at_site_ids": others,
    }
    return _draft(Rule.PROVENANCE, photo_subject(photo.photo_id), facts, photo.site_id)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def decimal_text(value: Decimal) -> str:
    """92.5 -> "92.5", 100 -> "100", 0.90 -> "0.9": one spelling per number, for stable facts."""
    return format(value.normalize(), "f")


# ---- current rows, shared by gaps and scores -----------------------------------------------

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def _latest(rows: Iterable[T], key: Callable[[T], K], order: Callable[[T], tuple[datetime, int]]) -> dict[K, T]:
    current: dict[K, T] = {}
    for row in rows:
        old = current.get(key(row))
        if old is None or order(row) > order(old):
            current[key(row)] = row
    return current


def current_findings(findings: Iterable[ItemFinding]) -> dict[tuple[int, str], ItemFinding]:
    # _latest spelled out: thousands of findings a district, read on every page and run
    current: dict[tuple[int, str], ItemFinding] = {}
    for f in findings:
        key = (f.site_id, f.item_code)
        old = current.get(key)
        if old is None or f.found_at > old.found_at or (f.found_at == old.found_at and f.finding_id > old.finding_id):
            current[key] = f
    return current


def absent_sites(outcomes: Iterable[SiteOutcome]) -> dict[int, SiteOutcome]:
    """Sites whose latest outcome is closed, not found or refused."""
    latest = _latest(outcomes, lambda o: o.site_id, lambda o: (o.recorded_at, o.visit_id))
    return {site: o for site, o in sorted(latest.items()) if o.outcome is not Outcome.FOUND}


def current_verifications(verifications: Iterable[IndicatorVerification]) -> dict[str, IndicatorVerification]:
    return _latest(verifications, lambda v: v.indicator_code, lambda v: (v.verified_at, v.verification_id))


def tolerance_for(indicator_code: str, tolerances: dict[str, Tolerance]) -> Tolerance:
    return tolerances.get(indicator_code) or Tolerance(indicator_code)


def verification_factor(claimed: Decimal, verified: Decimal, tolerance: Tolerance) -> tuple[Decimal | None, bool]:
    """(VF, inside tolerance). VF is None when the claimed value is 0: then only 0 matches."""
    if claimed == 0:
        return None, verified == 0
    vf = verified / claimed
    return vf, tolerance.contains(vf)


# ---- applying drafts to stored gaps --------------------------------------------------------


@dataclass(frozen=True)
class ExistingGap:
    gap_id: int
    key: GapKey
    status: GapStatus
    facts: Facts
    subject_exists: bool = True  # False when its claim/site/photo was deleted (the loader's LEFT JOIN)


@dataclass(frozen=True)
class GapUpdate:
    gap: ExistingGap
    draft: GapDraft  # write draft.facts; responses and history stay


@dataclass(frozen=True)
class GapChanges:
    open: list[GapDraft]  # new gaps
    update: list[GapUpdate]  # facts changed, status kept (also for a gap a verifier closed)
    reopen: list[GapUpdate]  # resolved/orphaned gap whose cause is back: status open, new facts
    resolve: list[ExistingGap]  # cause gone: status resolved, "resolved by re-verification"
    orphan: list[ExistingGap]  # subject deleted: status orphaned, history kept
    unchanged: list[ExistingGap]

    @property
    def is_empty(self) -> bool:
        return not (self.open or self.update or self.reopen or self.resolve or self.orphan)


def plan_changes(existing: Sequence[ExistingGap], drafts: Sequence[GapDraft]) -> GapChanges:
    """What to write so the stored gaps match ``drafts``. A gap a verifier accepted or closed is
    never reopened (only its facts follow the evidence); a gap reconciliation resolved is
    reopened, same identity and history, when its cause comes back. Idempotent."""
    stored = _unique({g.key: g for g in existing}, len(existing), "existing gaps")
    wanted = _unique({d.key: d for d in drafts}, len(drafts), "drafts")
    changes = GapChanges([], [], [], [], [], [])
    for key, draft in wanted.items():
        gap = stored.get(key)
        if gap is None:
            changes.open.append(draft)
        elif gap.status in SETTLED:
            changes.reopen.append(GapUpdate(gap, draft))
        elif gap.facts != draft.facts:
            changes.update.append(GapUpdate(gap, draft))
        else:
            changes.unchanged.append(gap)
    for key, gap in stored.items():
        if key in wanted:
            continue
        if gap.status in ACTIVE:
            (changes.resolve if gap.subject_exists else changes.orphan).append(gap)
        else:
            changes.unchanged.append(gap)
    return changes


def _unique(by_key: dict[GapKey, T], count: int, what: str) -> dict[GapKey, T]:
    if len(by_key) != count:
        raise ValueError(f"{what} repeat a gap key")
    return by_key


def apply_changes(existing: Sequence[ExistingGap], changes: GapChanges) -> list[ExistingGap]:
    """The stored gaps after ``changes`` (new ids follow the largest): the reference for what the
    queries write, and how the tests check that planning again changes nothing."""
    after = {g.key: g for g in existing}
    for u in changes.update:
        after[u.gap.key] = replace(u.gap, facts=u.draft.facts)
    for u in changes.reopen:
        after[u.gap.key] = replace(u.gap, status=GapStatus.OPEN, facts=u.draft.facts)
    for g in changes.resolve:
        after[g.key] = replace(g, status=GapStatus.RESOLVED)
    for g in changes.orphan:
        after[g.key] = replace(g, status=GapStatus.ORPHANED)
    next_id = max((g.gap_id for g in existing), default=0) + 1
    for i, d in enumerate(changes.open):
        after[d.key] = ExistingGap(next_id + i, d.key, GapStatus.OPEN, d.facts)
    return list(after.values())


# ---- the estimated verified score ----------------------------------------------------------

CREDIT = {Result.MET: ONE, Result.PARTIAL: Decimal("0.5"), Result.NOT_MET: Decimal(0)}


@dataclass(frozen=True)
class Predicate:
    code: str  # NONE, PRATAMA, MADYA, NINDYA, UTAMA, KLA (from the catalogue version)
    min_score: Decimal
    max_score: Decimal


@dataclass(frozen=True)
class IndicatorScore:
    """One indicator's line of the formula: verified = c × r × v."""

    claim_id: int
    indicator_code: str
    claimed_score: Decimal  # c
    max_score: Decimal | None  # m
    site_claims: int  # claims of "met" on site items counting for this indicator
    site_counted: int  # of those, with a met/partial/not met finding or on a site not found
    site_credit: Decimal  # met 1, partial 0.5, not met 0, site not found 0
    site_ratio: Decimal | None  # r = credit / counted; None when nothing counted
    verification_factor: Decimal | None  # VF = verified / claimed value, unrounded
    tolerance: Tolerance
    value_ratio: Decimal | None  # v: 1 inside the tolerance, else VF capped so c·v ≤ m; None without a value check
    capped: bool  # v was lowered to m / c
    ratio: Decimal  # product of r and v present (1 when neither)
    verified_score: Decimal  # c × ratio, rounded half up to 0.01


@dataclass(frozen=True)
class ScoreEstimate:
    indicators: tuple[IndicatorScore, ...]
    self_assessed: Decimal  # Σ c
    verified: Decimal  # Σ verified_score (each already rounded)
    self_assessed_predicate: Predicate | None
    verified_predicate: Predicate | None


def predicate_for(score: Decimal, predicates: Iterable[Predicate]) -> Predicate | None:
    """The band with the greatest ``min_score`` ≤ score: bands are floored, so 600.5 (between
    Pratama's 600 and Madya's 601) is Pratama, as the next band is not yet reached. None below
    every band."""
    reached = [p for p in predicates if p.min_score <= score]
    return max(reached, key=lambda p: p.min_score) if reached else None


def estimate_scores(
    indicator_claims: Sequence[IndicatorClaim],
    site_item_claims: Sequence[SiteItemClaim],
    findings: Sequence[ItemFinding],
    outcomes: Sequence[SiteOutcome],
    verifications: Sequence[IndicatorVerification],
    tolerances: Sequence[Tolerance],
    predicates: Sequence[Predicate],
) -> ScoreEstimate:
    """KLA.md's estimate. Rounding: r, VF and v keep full Decimal precision (VF is not rounded to
    0.897 first); each indicator's verified score is rounded half up to 0.01, and the total is the
    sum of those, so the lines shown add up to the total shown."""
    current = current_findings(findings)
    absent = absent_sites(outcomes)
    credits: dict[str, list[Decimal | None]] = defaultdict(list)  # None: no finding that counts
    for claim in site_item_claims:
        if not claim.claimed_met:
            continue
        finding = current.get((claim.site_id, claim.item_code))
        if claim.site_id in absent:
            credits[claim.indicator_code].append(Decimal(0))
        else:
            credits[claim.indicator_code].append(CREDIT.get(finding.result) if finding else None)
    verified = current_verifications(verifications)
    by_code = {t.indicator_code: t for t in tolerances}
    lines = tuple(
        _indicator_score(c, credits.get(c.indicator_code, []), verified.get(c.indicator_code),
                         tolerance_for(c.indicator_code, by_code))
        for c in indicator_claims
    )
    self_assessed = sum((c.claimed_score for c in indicator_claims), Decimal(0)).quantize(CENT, ROUND_HALF_UP)
    total = sum((line.verified_score for line in lines), Decimal(0)).quantize(CENT, ROUND_HALF_UP)
    return ScoreEstimate(lines, self_assessed, total, predicate_for(self_assessed, predicates),
                         predicate_for(total, predicates))


def _indicator_score(claim: IndicatorClaim, credits: list[Decimal | None], verification: IndicatorVerification | None,
                     tolerance: Tolerance) -> IndicatorScore:
    c, m = claim.claimed_score, claim.max_score
    counted = [credit for credit in credits if credit is not None]
    credit = sum(counted, Decimal(0))
    r = credit / len(counted) if counted else None
    vf: Decimal | None = None
    v: Decimal | None = None
    capped = False
    if claim.claimed_value is not None and verification is not None:
        vf, inside = verification_factor(claim.claimed_value, verification.verified_value, tolerance)
        v = ONE if inside or vf is None else max(vf, Decimal(0))
        # Capped so that c·v ≤ m; the cap only trims an over-report bonus, never goes below 1.
        if v > ONE and m is not None and c > 0 and c * v > m:
            v, capped = max(m / c, ONE), True
    ratio = (r if r is not None else ONE) * (v if v is not None else ONE)
    return IndicatorScore(
        claim.claim_id, claim.indicator_code, c, m, len(credits), len(counted), credit, r, vf, tolerance, v, capped,
        ratio, (c * ratio).quantize(CENT, ROUND_HALF_UP),
    )

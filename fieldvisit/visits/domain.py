"""Pure rules of visits: outcomes, results, check-in distance, idempotent finding saves,
progress, submit, planning buckets and map links. No Litestar, no Piccolo, no clock."""

from __future__ import annotations

import enum
import hashlib
import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote

from fieldvisit.accounts.domain import Role
from fieldvisit.web.i18n import N_, _

# --- vocabularies -------------------------------------------------------------------

RESULTS = ("met", "partial", "not_met", "not_observed", "not_applicable")
RESULT_LABELS = {
    "met": N_("Met"),
    "partial": N_("Partial"),
    "not_met": N_("Not met"),
    "not_observed": N_("Not observed"),
    "not_applicable": N_("Not applicable"),
}

OUTCOMES = ("found", "closed", "not_found", "refused")
OUTCOME_LABELS = {
    "found": N_("Site found and operating"),
    "closed": N_("Site closed"),
    "not_found": N_("Not found at the address"),
    "refused": N_("Entry refused"),
}
#: Outcomes that end the checklist and feed the "site not found" gap rule.
SITE_ABSENT = frozenset({"closed", "not_found", "refused"})

MODES = ("kunjungan", "video")
MODE_LABELS = {"kunjungan": N_("On-site visit (kunjungan)"), "video": N_("Video, in a hybrid session")}

STATUS_LABELS = {"planned": N_("Planned"), "in_progress": N_("In progress"), "submitted": N_("Submitted")}

CLAIM_LABELS = {"met": N_("Claimed met"), "not_met": N_("Claimed not met")}

MAX_NOTE = 2000


def label(labels: dict[str, str], value: str | None) -> str:
    return _(labels[value]) if value in labels else (value or "")


def ends_checklist(outcome: str | None) -> bool:
    """Closed, not found and refused end the checklist (the "site not found" rule)."""
    return outcome in SITE_ABSENT


# --- who may do what (visibility itself is the evaluation's rule, rounds.queries) -------


def may_record(role: Role) -> bool:
    """Record findings, check in, set the outcome, submit, plan: admin or assigned verifier
    (the caller has already scoped the visit to evaluations the user may see)."""
    return role in (Role.ADMIN, Role.VERIFIER)


def may_see_gps(role: Role) -> bool:
    """Check-in coordinates and distance: admins and assigned verifiers only (KLA.md)."""
    return role in (Role.ADMIN, Role.VERIFIER)


# --- provenance in exports ------------------------------------------------------------

PROVENANCE_LABELS = {
    "video": N_("Video session"),
    "located": N_("On site, location recorded"),
    "unlocated": N_("On site, no location"),
    "on_site": N_("On site"),
}


def provenance(mode: str, located: bool, *, may_see_location: bool) -> str:
    """How a finding was made, for an export: by video, or on site with or without a recorded
    location. Whether a location was recorded is for those who may see GPS (``may_see_gps``);
    the others read "on site". Never the coordinates themselves."""
    if mode == "video":
        return "video"
    if not may_see_location:
        return "on_site"
    return "located" if located else "unlocated"


def provenance_label(key: str) -> str:
    return _(PROVENANCE_LABELS[key])


# --- check-in ------------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
#: Farther than this from the site's coordinates, the check-in is flagged (KLA.md default radius).
NEAR_SITE_M = 200.0


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    accuracy_m: float | None = None


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def parse_position(latitude: str, longitude: str, accuracy: str = "") -> Position | None:
    """The browser's coordinates from the check-in form, or None when missing or unusable
    (no JavaScript, no permission, or garbage): the check-in then goes on without them."""
    try:
        lat, lon = float(latitude), float(longitude)
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    try:
        acc: float | None = float(accuracy) if accuracy else None
    except ValueError:
        acc = None
    if acc is not None and (not math.isfinite(acc) or acc < 0):
        acc = None
    return Position(lat, lon, acc)


def check_in_distance(site_latitude: float | None, site_longitude: float | None,
                      position: Position | None) -> float | None:
    if position is None or site_latitude is None or site_longitude is None:
        return None
    return round(haversine_m(site_latitude, site_longitude, position.latitude, position.longitude), 1)


# --- findings: one UUID names one saved version ----------------------------------------


def content_hash(item_code: str, result: str, note: str) -> str:
    """What a save says, for comparing a repeated UUID with the version it named."""
    return hashlib.sha256("\x1f".join((item_code, result, note)).encode()).hexdigest()


class SaveDecision(enum.Enum):
    NEW = "new"  # a new version
    REPLAY = "replay"  # the same save again: answer as the first time, change nothing
    CONFLICT = "conflict"  # the UUID already names another content: 409


@dataclass(frozen=True)
class StoredSave:
    visit_id: int
    item_code: str
    content_hash: str


def decide_save(stored: StoredSave | None, *, visit_id: int, item_code: str, digest: str) -> SaveDecision:
    """What to do with a save whose UUID may already be stored (as ODK Central's instanceID)."""
    if stored is None:
        return SaveDecision.NEW
    if (stored.visit_id, stored.item_code, stored.content_hash) == (visit_id, item_code, digest):
        return SaveDecision.REPLAY
    return SaveDecision.CONFLICT


def next_version(latest: int | None) -> int:
    return 1 if latest is None else latest + 1


_NEXT_UUID_NS = uuid.UUID("5b0a6f0e-2f57-4b8e-9a5c-6f1d1c2b7e11")


def next_client_uuid(saved: uuid.UUID, user_id: int) -> uuid.UUID:
    """The UUID the form carries after a save: derived from the save and the user, so that
    answering a repeated save again gives the same page, and two users never share one."""
    return uuid.uuid5(_NEXT_UUID_NS, f"{saved}:{user_id}")


@dataclass(frozen=True)
class VisitState:
    checked_in: bool
    outcome: str | None
    submitted: bool = False


def finding_problem(state: VisitState) -> str | None:
    """Why no finding can be recorded now, or None."""
    if not state.checked_in:
        return _("Check in first: the visit's time window starts at check-in.")
    if state.outcome is None:
        return _("Say first whether the site was found at the address.")
    if ends_checklist(state.outcome):
        return _("The checklist ended with the visit's outcome (%(outcome)s); change the outcome to record items.") % {
            "outcome": label(OUTCOME_LABELS, state.outcome)}
    return None


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def complete(self) -> bool:
        return self.done >= self.total


def progress(item_codes: list[str], answered: set[str]) -> Progress:
    return Progress(sum(1 for code in item_codes if code in answered), len(item_codes))


def submit_problems(state: VisitState, done: Progress) -> list[str]:
    """What stops the visit from being submitted (empty: it may be)."""
    if not state.checked_in:
        return [_("Check in before submitting the visit.")]
    if state.outcome is None:
        return [_("Record the visit's outcome before submitting.")]
    if state.outcome == "found" and not done.complete:
        return [_("Record a result for every checklist item (%(left)d left); use “Not observed” for what you could not check.")
                % {"left": done.total - done.done}]
    return []


# --- planning and the verifier's day -------------------------------------------------------


def local_today(now: datetime, utc_offset: str) -> date:
    """Today in a district's time zone, from its UTC offset such as ``+07:00``."""
    sign = -1 if utc_offset.startswith("-") else 1
    hours, _sep, minutes = utc_offset.lstrip("+-").partition(":")
    try:
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0)) * sign
    except ValueError:
        offset = timedelta(hours=7)
    return now.astimezone(timezone(offset)).date()


RECENT_DAYS = 14


def day_bucket(planned_on: date, today: date) -> str | None:
    """Where a visit goes on the verifier's home page: today, upcoming, recent, or nowhere."""
    if planned_on == today:
        return "today"
    if planned_on > today:
        return "upcoming"
    if today - planned_on <= timedelta(days=RECENT_DAYS):
        return "recent"
    return None


@dataclass(frozen=True)
class MapsLinks:
    geo: str  # opens the phone's maps app
    web: str  # https fallback (OpenStreetMap)


def maps_links(latitude: float | None, longitude: float | None, name: str) -> MapsLinks | None:
    if latitude is None or longitude is None:
        return None
    lat, lon = f"{latitude:.6f}", f"{longitude:.6f}"
    label_text = quote(name.replace("(", " ").replace(")", " ").strip(), safe="")
    return MapsLinks(
        geo=f"geo:{lat},{lon}?q={lat},{lon}({label_text})",
        web=f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}",
    )


def plan_problems(site_ids: list[int], district_sites: set[int], team_ids: list[int],
                  evaluation_verifiers: set[int]) -> dict[str, str]:
    """Field -> message for a visit plan whose sites or team are not the evaluation's."""
    problems: dict[str, str] = {}
    if any(site not in district_sites for site in site_ids):
        problems["site"] = _("Choose sites of this kab/kota from the list.")
    if not team_ids:
        problems["team"] = _("Choose at least one verifier for the team.")
    elif any(member not in evaluation_verifiers for member in team_ids):
        problems["team"] = _("The team can only have verifiers assigned to this evaluation.")
    return problems

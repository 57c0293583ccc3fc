"""Pure rules of photo evidence: the idempotent upload, the distance and capture time kept on
the row, and the provenance badges verifiers see. No Litestar, no Piccolo, no clock."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from fieldvisit.visits.domain import haversine_m
from fieldvisit.web.i18n import N_, _

SOURCES = ("camera", "gallery")  # what a visit's upload form may say; "video" is set by a session note
SOURCE_LABELS = {"camera": N_("Camera"), "gallery": N_("From the gallery"), "video": N_("From video")}
#: Blob kinds of the photo pipeline (``storage.base.new_key``): the sweep of orphans looks only here.
KINDS = ("photo", "display", "thumb")
#: A blob with no row after this long is an orphan (its request died between store and row).
ORPHAN_AGE = timedelta(hours=1)


class UploadDecision(enum.Enum):
    NEW = "new"
    REPLAY = "replay"  # the same photo under the same UUID again: answer success, change nothing
    CONFLICT = "conflict"  # the UUID already names another photo: 409


@dataclass(frozen=True)
class StoredPhoto:
    visit_id: int
    item_code: str
    sha256: str


def decide_upload(stored: StoredPhoto | None, *, visit_id: int, item_code: str, sha256: str) -> UploadDecision:
    """A UUID names one photo of one visit item (as ODK Central's instanceID names a submission)."""
    if stored is None:
        return UploadDecision.NEW
    if (stored.visit_id, stored.item_code, stored.sha256) == (visit_id, item_code, sha256):
        return UploadDecision.REPLAY
    return UploadDecision.CONFLICT


def photo_distance(site: tuple[float | None, float | None], exif: tuple[float | None, float | None],
                   check_in_distance_m: float | None) -> float | None:
    """Metres from the site: from the photo's EXIF GPS, else the visit's check-in distance."""
    (site_lat, site_lon), (lat, lon) = site, exif
    if None not in (site_lat, site_lon, lat, lon):
        return round(haversine_m(site_lat, site_lon, lat, lon), 1)  # type: ignore[arg-type]
    return check_in_distance_m


class BadgeKind(enum.StrEnum):
    OUTSIDE_WINDOW = "outside_window"
    FAR = "far"
    GALLERY = "gallery"
    REUSED = "reused"
    VIDEO = "video"  # a screenshot of the video call: evidence without location provenance


@dataclass(frozen=True)
class Badge:
    kind: BadgeKind
    text: str  # in the current language


@dataclass(frozen=True)
class Provenance:
    """What a photo's badges are computed from (the reconciliation's provenance rule reads the
    same columns: ``reconcile.domain._provenance_gap``)."""

    taken_at: datetime | None
    window_start: datetime | None  # check-in
    window_end: datetime | None  # submit; None while the visit is open
    distance_m: float | None
    source: str
    video: bool
    reused_at: tuple[str, ...] = ()  # names of the other sites of the round with this photo


def badges(p: Provenance, *, now: datetime, radius_m: float, slack: timedelta) -> list[Badge]:
    """Warning badges for verifiers; a clean photo taken at the site during the visit has none."""
    found: list[Badge] = []
    end = p.window_end or now
    if p.taken_at and p.window_start and not (p.window_start - slack <= p.taken_at <= end + slack):
        found.append(Badge(BadgeKind.OUTSIDE_WINDOW, _("Taken outside the visit")))
    if not p.video and p.distance_m is not None and p.distance_m > radius_m:
        found.append(Badge(BadgeKind.FAR, _("%(distance)s m from the site") % {"distance": f"{p.distance_m:,.0f}"}))
    if p.source == "gallery":
        found.append(Badge(BadgeKind.GALLERY, _("From the gallery")))
    if p.source == "video":
        found.append(Badge(BadgeKind.VIDEO, _("From video")))
    for name in p.reused_at:
        found.append(Badge(BadgeKind.REUSED, _("Same photo as at %(site)s") % {"site": name}))
    return found


def site_names(reused: Iterable[int], names: Mapping[int, str]) -> tuple[str, ...]:
    return tuple(sorted(names.get(site, str(site)) for site in reused))

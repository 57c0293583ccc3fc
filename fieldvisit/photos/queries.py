"""Every query of photo evidence, scoped through the visit the user may see.

Who may upload is who may record on the visit (``visits.queries.get_visit_for_recording``);
who may see a photo's derivatives is who sees its visit (verifiers, note-takers and admins of
the evaluation, district staff of that kab/kota); everyone else gets NotFound.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser
from fieldvisit.audit import queries as audit
from fieldvisit.db import raw_records, raw_rows
from fieldvisit.errors import Conflict, NotFound
from fieldvisit.photos import domain
from fieldvisit.photos.domain import Provenance, StoredPhoto, UploadDecision
from fieldvisit.privacy.domain import site_is_sensitive
from fieldvisit.reconcile.queries import PHASH_BANDS, reused_sites
from fieldvisit.sessions.tables import NoteLink, SessionNote
from fieldvisit.sites.tables import Site
from fieldvisit.storage.images import PhotoInfo, capture_time_utc
from fieldvisit.visits.queries import UNIQUE_VIOLATIONS, get_visit_for_user
from fieldvisit.visits.tables import Photo
from fieldvisit.web.i18n import _


@dataclass(frozen=True)
class Upload:
    client_uuid: uuid.UUID
    item_code: str
    source: str
    filename: str
    session_note: int | None = None  # a screenshot attached to a hybrid-session note (source "video")


@dataclass(frozen=True)
class SavedPhoto:
    id: int
    client_uuid: uuid.UUID
    visit_id: int
    item_code: str
    sha256: str
    derivatives_ready: bool
    replay: bool


def _saved(row: dict[str, Any], *, replay: bool) -> SavedPhoto:
    return SavedPhoto(row["id"], uuid.UUID(str(row["client_uuid"])), row["visit"], row["item_code"], row["sha256"],
                      bool(row["derivatives_ready"]), replay)


async def by_uuid(client_uuid: uuid.UUID) -> dict[str, Any] | None:
    rows = await raw_rows("SELECT id, client_uuid, visit, item_code, sha256, derivatives_ready FROM photo "
                          "WHERE client_uuid = {}", client_uuid)
    return rows[0] if rows else None


def decide(row: dict[str, Any] | None, visit: dict[str, Any], upload: Upload, sha256: str) -> SavedPhoto | None:
    """The stored photo when this upload repeats it (None: a new photo); Conflict (409) when
    its UUID names another photo."""
    stored = StoredPhoto(row["visit"], row["item_code"], row["sha256"]) if row else None
    decision = domain.decide_upload(stored, visit_id=visit["id"], item_code=upload.item_code, sha256=sha256)
    if decision is UploadDecision.CONFLICT:
        raise Conflict(_("This photo's ID was already used for a different photo, so nothing was saved. "
                         "Take or choose the photo again."), title=_("Already saved differently"))
    return _saved(row, replay=True) if row is not None and decision is UploadDecision.REPLAY else None


async def record_upload(user: CurrentUser, visit: dict[str, Any], upload: Upload, info: PhotoInfo, original_key: str,
                        *, now: datetime, ip: str = "") -> SavedPhoto:
    """Write the row of a photo whose original is already in the store. Should the same UUID
    race in at once, the unique constraint refuses one and it is decided again (replay or 409);
    the caller then deletes the blob it stored for nothing."""
    taken_at = capture_time_utc(info.taken_at, visit["utc_offset"] or "+07:00") if info.taken_at else None
    distance = domain.photo_distance((visit["site_latitude"], visit["site_longitude"]),
                                     (info.latitude, info.longitude), visit["check_in_distance_m"])
    try:
        photo_id = await db.insert_row_with_event("photo", {
            "visit": visit["id"], "site": visit["site_id"], "district_evaluation": visit["evaluation_id"],
            "item_code": upload.item_code, "client_uuid": upload.client_uuid, "original_key": original_key,
            "content_type": info.content_type, "size_bytes": info.byte_size, "width": info.width,
            "height": info.height, "sha256": info.sha256, "taken_at": taken_at, "exif_latitude": info.latitude,
            "exif_longitude": info.longitude, "camera_make": (info.make or "")[:80],
            "camera_model": (info.model or "")[:80], "source": upload.source, "distance_m": distance,
            "derivatives_ready": False, "uploaded_by": user.id, "uploaded_at": now,
            "session_note": upload.session_note,
        }, audit.event_values(user, "visits.photo", object_type="photo", district_id=visit["district_id"], ip=ip,
                              after={"visit": visit["id"], "item": upload.item_code, "source": upload.source,
                                     "sha256": info.sha256, "client_uuid": str(upload.client_uuid),
                                     "session_note": upload.session_note}))
    except UNIQUE_VIOLATIONS:
        replay = decide(await by_uuid(upload.client_uuid), visit, upload, info.sha256)
        if replay is None:
            raise
        return replay
    return SavedPhoto(photo_id, upload.client_uuid, visit["id"], upload.item_code, info.sha256, False, replay=False)


# --- reading photos ------------------------------------------------------------------------------

PHOTO_COLUMNS = (Photo.id, Photo.visit, Photo.site, Photo.item_code, Photo.client_uuid, Photo.display_key,
                 Photo.thumb_key, Photo.original_key, Photo.content_type, Photo.sha256, Photo.phash, Photo.taken_at,
                 Photo.source, Photo.distance_m, Photo.derivatives_ready, Photo.uploaded_at, Photo.width,
                 Photo.height, Photo.session_note)


async def get_photo_for_user(user: CurrentUser, photo_id: int) -> dict[str, Any]:
    """The photo, if ``user`` sees its visit; else NotFound. A screenshot of a session note is
    seen as the note is (the session's team; district staff once the session is closed) until
    the note becomes a finding; from then on as the finding's other photos."""
    row: dict[str, Any] | None = await Photo.select(*PHOTO_COLUMNS).where(Photo.id == photo_id).first()
    if row is None:
        raise NotFound()
    if not await check_note_photo(user, row["session_note"]):
        await get_visit_for_user(user, row["visit"])  # NotFound for those who may not see the visit
    return row


async def check_note_photo(user: CurrentUser, note_id: int | None) -> bool:
    """For a screenshot of a session note not (yet) made a finding: NotFound unless ``user``
    reads the session's notes, else True. False when the visit's rule applies instead (not a
    note's, or its note became a finding)."""
    if note_id is None or await NoteLink.exists().where((NoteLink.note == note_id) & NoteLink.finding.is_not_null()):
        return False
    from fieldvisit.sessions.queries import get_session_for_notes  # sessions builds on visits and photos

    note = await SessionNote.select(SessionNote.session).where(SessionNote.id == note_id).first()
    if note is None:
        raise NotFound()
    await get_session_for_notes(user, note["session"])
    return True


# A visit's photos (PHOTO_COLUMNS; a session note's screenshot once its note became a finding).
# Raw SQL: every finding save shows its item's photos.
_VISIT_PHOTOS_SQL = """
SELECT id, visit, site, item_code, client_uuid, display_key, thumb_key, original_key, content_type, sha256, phash,
       taken_at, source, distance_m, derivatives_ready, uploaded_at, width, height, session_note
FROM photo
WHERE visit = {} AND (session_note IS NULL
                      OR session_note IN (SELECT note FROM session_note_link WHERE finding IS NOT NULL))"""


async def visit_photos(visit: dict[str, Any], *, now: datetime, radius_m: float, slack: timedelta,
                       item_code: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """The visit's photos by item code (``""``: of the visit), oldest first, each with its
    provenance badges (shown to verifiers and admins only: the template checks can_see_gps);
    with ``item_code``, that item's only."""
    if item_code is None:
        rows = await raw_rows(_VISIT_PHOTOS_SQL + " ORDER BY id", visit["id"])
    else:
        rows = await raw_rows(_VISIT_PHOTOS_SQL + " AND item_code = {} ORDER BY id", visit["id"], item_code)
    if not rows:
        return {}
    reused = await _reused(visit, rows)
    names = {}
    other_sites = {site for sites in reused.values() for site in sites}
    if other_sites:
        names = {r["id"]: r["name"] for r in await Site.select(Site.id, Site.name).where(Site.id.is_in(list(other_sites)))}
    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        provenance = Provenance(
            taken_at=row["taken_at"], window_start=visit["checked_in_at"], window_end=visit["submitted_at"],
            distance_m=row["distance_m"], source=row["source"], video=visit["mode"] == "video",
            reused_at=domain.site_names(reused.get(row["id"], set()) - {visit["site_id"]}, names))
        row["badges"] = domain.badges(provenance, now=now, radius_m=radius_m, slack=slack)
        by_item[row["item_code"]].append(row)
    return dict(by_item)


async def _reused(visit: dict[str, Any], mine: list[dict[str, Any]]) -> dict[int, set[int]]:
    """Photo id -> other sites of the round holding the same or a near-identical photo (the
    rule of ``reconcile.queries.reused_sites``), for the photos ``mine`` (rows with id, site,
    sha256 and phash): one index-driven look-up of the round's photos with one of their SHA-256s
    or dHash bands, the pairs checked here. A join let the planner start
    from the round's photos (stale statistics while photos arrive fast), and photos without a
    dHash yet all share the empty band: a second per save on a busy round."""
    hashes = sorted({r["sha256"] for r in mine if r["sha256"]})
    bands = {b: sorted({r["phash"][b - 1:b + 3] for r in mine if len(r["phash"] or "") == 16}) for b in PHASH_BANDS}
    parts: list[str] = []
    args: list[Any] = []
    if hashes:
        parts.append(f"sha256 IN ({', '.join('{}' for _ in hashes)})")
        args += hashes
    for b, values in bands.items():
        if values:
            parts.append(f"(length(phash) = 16 AND substr(phash, {b}, 4) IN ({', '.join('{}' for _ in values)}))")
            args += values
    if not parts:
        return {}
    others = await raw_records(
        "SELECT site, sha256, phash FROM photo WHERE district_evaluation IN "  # noqa: S608 - constants and {}
        f"(SELECT id FROM district_evaluation WHERE round = {{}}) AND ({' OR '.join(parts)})",
        visit["round_id"], *args)
    # Candidate pairs in REUSE_SQL's row shape (no phash: same bytes); reused_sites applies the rule.
    pairs: list[dict[str, Any]] = []
    for photo in mine:
        for other in others:
            if other["site"] == photo["site"]:
                continue
            if photo["sha256"] and other["sha256"] == photo["sha256"]:
                pairs.append({"id": photo["id"], "site": other["site"], "phash": "", "other": ""})
            elif len(photo["phash"] or "") == 16:
                pairs.append({"id": photo["id"], "site": other["site"], "phash": photo["phash"], "other": other["phash"]})
    return reused_sites(pairs)


# --- derivatives and orphans (the worker) --------------------------------------------------------


#: Photos waiting for their derivatives, with what decides how hard faces are looked for: the
#: site's own sensitivity setting and its site type's (privacy.domain.site_is_sensitive).
_PENDING_SQL = """
SELECT p.id, p.original_key, s.sensitive AS site_sensitive, t.sensitive AS type_sensitive
FROM photo p
JOIN site s ON s.id = p.site
JOIN district_evaluation e ON e.id = p.district_evaluation
JOIN evaluation_round r ON r.id = e.round
LEFT JOIN catalogue_site_type t ON t.version = r.catalogue_version AND t.code = s.site_type
WHERE p.derivatives_ready = {} AND p.original_purged_at IS NULL
ORDER BY p.id LIMIT {}"""


async def pending_derivatives(limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` photos without derivatives, oldest first: id, original_key, sensitive."""
    rows = await raw_records(_PENDING_SQL, False, limit)
    return [{"id": r["id"], "original_key": r["original_key"],
             "sensitive": site_is_sensitive(None if r["site_sensitive"] is None else bool(r["site_sensitive"]),
                                            bool(r["type_sensitive"]))} for r in rows]


async def set_derivatives(photo_id: int, *, display_key: str, thumb_key: str, phash: str) -> bool:
    """Record the derivatives unless another worker did first (then False: delete ours)."""
    done = await Photo.update({Photo.display_key: display_key, Photo.thumb_key: thumb_key, Photo.phash: phash,
                               Photo.derivatives_ready: True}).where(
        (Photo.id == photo_id) & (Photo.derivatives_ready == False)).returning(Photo.id)  # noqa: E712
    return bool(done)


async def referenced_keys(keys: list[str]) -> set[str]:
    """Which of ``keys`` a photo row names (original, display or thumbnail)."""
    found: set[str] = set()
    for start in range(0, len(keys), 300):
        chunk = keys[start:start + 300]
        rows = await Photo.select(Photo.original_key, Photo.display_key, Photo.thumb_key).where(
            Photo.original_key.is_in(chunk) | Photo.display_key.is_in(chunk) | Photo.thumb_key.is_in(chunk))
        for row in rows:
            found.update((row["original_key"], row["display_key"], row["thumb_key"]))
    return found & set(keys)

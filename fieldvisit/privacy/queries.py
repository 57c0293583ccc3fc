"""Every query of the privacy capability: the purge of originals, who may open a photo's
original (and the audit of each view), blurring by hand, sensitive sites, the export policy.

The purge of photo originals past retention: blob store first, then the photo's row.

A row is marked ``original_purged_at`` only after its blob is gone, in batches, each batch in
one transaction with its audit events; a crash between the two leaves a removed blob unmarked,
and the next run removes it again (a no-op) and marks it. So a run can be repeated at will.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from anyio import to_thread

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser
from fieldvisit.audit import queries as audit
from fieldvisit.catalogue.tables import CatalogueVersion, SiteType
from fieldvisit.errors import NotFound, RuleViolation
from fieldvisit.privacy import domain
from fieldvisit.rounds import queries as rounds
from fieldvisit.sites.tables import Site
from fieldvisit.storage import images
from fieldvisit.storage.base import BlobStore, StoreUnavailable, new_key
from fieldvisit.storage.images import Box
from fieldvisit.visits.tables import Photo
from fieldvisit.web.i18n import _

log = logging.getLogger("fieldvisit.privacy")
ACTOR = "fieldvisit purge-originals"
BATCH = 100


@dataclass(frozen=True)
class DueOriginal:
    photo_id: int
    original_key: str
    round_id: int
    district_id: int
    derivatives_ready: bool


async def originals_due(now: datetime, retention_days: int) -> list[DueOriginal]:
    """Originals not yet purged of photos whose round closed before the cutoff."""
    rnd = Photo.district_evaluation.round
    rows = await Photo.select(
        Photo.id, Photo.original_key, Photo.derivatives_ready, rnd.id.as_alias("round_id"),
        Photo.district_evaluation.district.id.as_alias("district_id"),
    ).where(
        Photo.original_purged_at.is_null() & rnd.closed_at.is_not_null()
        & (rnd.closed_at <= domain.purge_cutoff(now, retention_days))
    ).order_by(Photo.id)
    return [DueOriginal(r["id"], r["original_key"], r["round_id"], r["district_id"], bool(r["derivatives_ready"]))
            for r in rows]


async def purge_originals(store: BlobStore, *, now: datetime, retention_days: int,
                          dry_run: bool = False) -> domain.PurgeReport:
    """Remove the originals due from ``store``; a dry run only counts them. Audited: one event
    per run (not for a dry run, which changes nothing) and one per photo purged."""
    due = await originals_due(now, retention_days)
    ready = [item for item in due if item.derivatives_ready]
    rounds = len({item.round_id for item in due})
    removed, error, store_down = 0, "", False
    if not dry_run:
        for start in range(0, len(ready), BATCH):
            done: list[DueOriginal] = []
            for item in ready[start:start + BATCH]:
                try:
                    await store.delete(item.original_key)
                except StoreUnavailable as exc:  # the store is down: stop, the rest stays for the next run
                    error, store_down = f"blob store unavailable: {exc}", True
                    break
                except ValueError as exc:  # a key that is not one of ours: leave the row alone
                    error = str(exc)
                    continue
                done.append(item)
            await _mark_purged(done, now)
            removed += len(done)
            if store_down:
                break
    failed = 0 if dry_run else len(ready) - removed
    report = domain.PurgeReport(dry_run=dry_run, retention_days=retention_days,
                                cutoff=domain.purge_cutoff(now, retention_days), due=len(ready), removed=removed,
                                not_ready=len(due) - len(ready), failed=failed, rounds=rounds, error=error)
    if not dry_run:
        async with db.transaction():
            await audit.record(None, "retention.purge_originals", object_type="retention",
                               after=report.counts(), reason=error, actor_email=ACTOR)
    log.info(report.summary())
    return report


async def _mark_purged(items: list[DueOriginal], now: datetime) -> int:
    """Mark the photos whose blobs are gone; returns how many this run marked (a concurrent
    run may have marked some first: they are neither counted nor audited twice)."""
    if not items:
        return 0
    by_id = {item.photo_id: item for item in items}
    async with db.transaction():
        marked = await Photo.update({Photo.original_purged_at: now}).where(
            Photo.id.is_in(list(by_id)) & Photo.original_purged_at.is_null()).returning(Photo.id)
        for row in marked:
            item = by_id[row["id"]]
            await audit.record(None, "photo.original_purged", object_type="photo", object_id=item.photo_id,
                               district_id=item.district_id, after={"round_id": item.round_id},
                               actor_email=ACTOR)
    return len(marked)


# --- photos: who may see what ----------------------------------------------------------------------

PHOTO_COLUMNS = (
    Photo.id, Photo.original_key, Photo.display_key, Photo.thumb_key, Photo.content_type, Photo.item_code,
    Photo.session_note,
    Photo.derivatives_ready, Photo.original_purged_at, Photo.shows_person, Photo.blur_boxes, Photo.uploaded_at,
    Photo.visit.id.as_alias("visit_id"), Photo.site.id.as_alias("site_id"), Photo.site.name.as_alias("site_name"),
    Photo.site.code.as_alias("site_code"), Photo.site.site_type.as_alias("site_type"),
    Photo.site.sensitive.as_alias("site_sensitive"),
    Photo.district_evaluation.id.as_alias("evaluation_id"),
    Photo.district_evaluation.district.id.as_alias("district_id"),
    Photo.district_evaluation.round.catalogue_version.id.as_alias("catalogue_version_id"),
)


async def get_photo_for_user(user: CurrentUser, photo_id: int) -> dict[str, Any]:
    """The photo's row with ``sensitive`` (its site's setting, else its site type's) and
    ``may_see_original``, if ``user`` may see its evaluation; else NotFound (so district staff
    of another kab/kota get 404 for everything about it)."""
    row = await Photo.select(*PHOTO_COLUMNS).output(load_json=True).where(Photo.id == photo_id).first()
    if row is None or not await rounds.sees_evaluation(user, row["evaluation_id"]):
        raise NotFound()
    from fieldvisit.photos.queries import check_note_photo  # photos builds on this capability's neighbours

    await check_note_photo(user, row["session_note"])  # a session note's screenshot: as the note
    site_type = await SiteType.select(SiteType.sensitive).where(
        (SiteType.version == row["catalogue_version_id"]) & (SiteType.code == row["site_type"])).first()
    row["sensitive"] = domain.site_is_sensitive(row["site_sensitive"], bool(site_type and site_type["sensitive"]))
    row["may_see_original"] = domain.may_see_originals(user.role)
    row["blur_boxes"] = [tuple(box) for box in row["blur_boxes"] or []]
    return row


async def get_original_for_user(user: CurrentUser, photo_id: int) -> dict[str, Any]:
    """The photo, if ``user`` may open its original: the evaluation's verifiers and admins.
    Note-takers and district staff get NotFound, whatever the site (never confirm it exists)."""
    photo = await get_photo_for_user(user, photo_id)
    if not photo["may_see_original"]:
        raise NotFound()
    return photo


async def record_original_view(user: CurrentUser, photo: dict[str, Any], reason: str, *, download: bool,
                               ip: str = "") -> None:
    """Every view or download of an original is in the audit log, with the reason given."""
    async with db.transaction():
        await audit.record(user, "photo.original_downloaded" if download else "photo.original_viewed",
                           object_type="photo", object_id=photo["id"], district_id=photo["district_id"],
                           after={"site_id": photo["site_id"], "sensitive": photo["sensitive"]}, reason=reason, ip=ip)


# --- blurring by hand ------------------------------------------------------------------------------


async def reblur(user: CurrentUser, photo: dict[str, Any], store: BlobStore, *, shows_person: bool,
                 boxes: list[Box], ip: str = "") -> None:
    """Make the photo's derivatives again from its original, with the whole photo blurred
    (``shows_person``) and/or ``boxes`` blurred on top of the faces found; new keys, so no
    cache keeps the old copies; the old blobs are removed after the row points to the new ones."""
    if photo["original_purged_at"] is not None:
        raise RuleViolation(_("The original of this photo was removed under the retention policy, so its copies "
                              "cannot be made again."), title=_("The original is gone"))
    data = await store.get(photo["original_key"])
    out = await to_thread.run_sync(partial(images.make_derivatives, data, blur_boxes=boxes, blur_all=shows_person,
                                                 sensitive=photo["sensitive"]))
    display_key, thumb_key = new_key("photo"), new_key("photo")
    await store.put(display_key, out.display_jpeg, "image/jpeg")
    await store.put(thumb_key, out.thumb_jpeg, "image/jpeg")
    async with db.transaction():
        await Photo.update({Photo.display_key: display_key, Photo.thumb_key: thumb_key,
                            Photo.shows_person: shows_person, Photo.blur_boxes: [list(b) for b in boxes],
                            Photo.derivatives_ready: True}).where(Photo.id == photo["id"])
        await audit.record(user, "photo.blur_changed", object_type="photo", object_id=photo["id"],
                           district_id=photo["district_id"],
                           before={"shows_person": photo["shows_person"], "blur_boxes": photo["blur_boxes"]},
                           after={"shows_person": shows_person, "blur_boxes": boxes,
                                  "faces_found": len(out.faces)}, ip=ip)
    for old in (photo["display_key"], photo["thumb_key"]):
        if old:
            try:
                await store.delete(old)
            except (StoreUnavailable, ValueError):  # an orphan blob is harmless; the row is right
                log.warning("could not remove the old derivative %s of photo %s", old, photo["id"])


# --- sensitive sites (admins) ------------------------------------------------------------------------


def _require_admin(user: CurrentUser) -> None:
    if not user.is_admin:
        raise NotFound()


async def site_types_by_version(user: CurrentUser) -> list[dict[str, Any]]:
    """Each catalogue version with its site types and whether each is sensitive."""
    _require_admin(user)
    versions = await CatalogueVersion.select(CatalogueVersion.id, CatalogueVersion.code, CatalogueVersion.name).order_by(
        CatalogueVersion.id, ascending=False)
    types = await SiteType.select(SiteType.id, SiteType.version, SiteType.code, SiteType.name_id, SiteType.name_en,
                                  SiteType.sensitive).order_by(SiteType.position)
    for version in versions:
        version["site_types"] = [t for t in types if t["version"] == version["id"]]
    return versions


async def set_site_type_sensitive(user: CurrentUser, site_type_id: int, sensitive: bool, *, ip: str = "") -> None:
    _require_admin(user)
    row = await SiteType.select(SiteType.id, SiteType.code, SiteType.sensitive).where(
        SiteType.id == site_type_id).first()
    if row is None:
        raise NotFound()
    if row["sensitive"] == sensitive:
        return
    async with db.transaction():
        await SiteType.update({SiteType.sensitive: sensitive}).where(SiteType.id == site_type_id)
        await audit.record(user, "site_type.sensitive", object_type="site_type", object_id=site_type_id,
                           before={"code": row["code"], "sensitive": row["sensitive"]},
                           after={"code": row["code"], "sensitive": sensitive}, ip=ip)


async def find_sites(user: CurrentUser, text: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Sites whose name or code contains ``text`` (admins), with their own setting."""
    _require_admin(user)
    if len(text) < 2:
        return []
    return await Site.select(
        Site.id, Site.code, Site.name, Site.site_type, Site.sensitive, Site.district.name.as_alias("district_name"),
    ).where(db.icontains(Site.name, text) | db.icontains(Site.code, text)).order_by(Site.name).limit(limit)


async def set_site_sensitive(user: CurrentUser, site_id: int, sensitive: bool | None, *, ip: str = "") -> None:
    """One site: True (sensitive), False (not, whatever its type), None (as its type says)."""
    _require_admin(user)
    row = await Site.select(Site.id, Site.sensitive, Site.district.id.as_alias("district_id")).where(
        Site.id == site_id).first()
    if row is None:
        raise NotFound()
    if row["sensitive"] == sensitive:
        return
    async with db.transaction():
        await Site.update({Site.sensitive: sensitive}).where(Site.id == site_id)
        await audit.record(user, "site.sensitive", object_type="site", object_id=site_id,
                           district_id=row["district_id"], before={"sensitive": row["sensitive"]},
                           after={"sensitive": sensitive}, ip=ip)


# --- exports ---------------------------------------------------------------------------------------


async def export_scope(user: CurrentUser, what: str, *, want_originals: bool = False, want_gps: bool = False,
                       district_id: int | None = None, ip: str = "") -> domain.ExportScope:
    """What an export may include beyond blurred derivatives and findings (see
    :func:`fieldvisit.privacy.domain.export_scope`: only what an admin asks for explicitly).
    Call it once per export; when it grants originals or GPS, that is written to the audit log
    (action ``export.sensitive``, ``what`` names the export)."""
    scope = domain.export_scope(user.role, want_originals=want_originals, want_gps=want_gps)
    if scope.sensitive:
        async with db.transaction():
            await audit.record(user, "export.sensitive", object_type="export", object_id=what[:64],
                               district_id=district_id, after={"originals": scope.originals, "gps": scope.gps},
                               ip=ip)
    return scope

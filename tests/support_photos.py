"""Photo rows with real blobs, as the capture pipeline leaves them (the upload route is built on
another branch; these tests and seeds insert what it would write)."""

from __future__ import annotations

import uuid
from typing import Any

from fieldvisit.demo.photos import camera_exif, camera_jpeg, textured_photo
from fieldvisit.storage import images, new_key
from fieldvisit.storage.base import BlobStore
from tests.support import district_today


def phone_photo(seed: int = 0, *, size: tuple[int, int] = (900, 600)) -> bytes:
    """A small camera JPEG with EXIF (GPS included: the original keeps it, derivatives do not)."""
    return camera_jpeg(textured_photo(*size, seed=seed), camera_exif())


async def make_photo(store: BlobStore, *, evaluation_id: int, site_id: int, uploaded_by: int,
                     visit_id: int | None = None, original: bytes | None = None, detect_faces: bool = False,
                     **values: Any) -> dict[str, Any]:
    """A photo of a (new, submitted) visit of ``site_id`` with its original, display and thumbnail
    in ``store``; returns its id, visit_id, its keys (original, display, thumb) and the original's bytes (data)."""
    from fieldvisit.visits.tables import Photo, Visit

    if visit_id is None:
        rows = await Visit.insert(Visit(district_evaluation=evaluation_id, site=site_id, planned_on=await district_today(evaluation_id),
                                        status="submitted")).returning(Visit.id)
        visit_id = int(rows[0]["id"])
    data = original if original is not None else phone_photo()
    info = images.inspect(data)
    out = images.make_derivatives(data, detect_faces=detect_faces)
    keys = {name: new_key("photo") for name in ("original", "display", "thumb")}
    await store.put(keys["original"], data, info.content_type)
    await store.put(keys["display"], out.display_jpeg, "image/jpeg")
    await store.put(keys["thumb"], out.thumb_jpeg, "image/jpeg")
    rows = await Photo.insert(Photo(
        visit=visit_id, site=site_id, district_evaluation=evaluation_id, client_uuid=uuid.uuid4(),
        original_key=keys["original"], display_key=keys["display"], thumb_key=keys["thumb"],
        content_type=info.content_type, size_bytes=len(data), width=out.width, height=out.height,
        sha256=info.sha256, exif_latitude=info.latitude, exif_longitude=info.longitude, derivatives_ready=True,
        uploaded_by=uploaded_by, **values,
    )).returning(Photo.id)
    return {"id": int(rows[0]["id"]), "visit_id": visit_id, "data": data, **keys}

"""Parse the photo upload's fields into typed values or field errors."""

from __future__ import annotations

import uuid

from litestar.datastructures import UploadFile

from fieldvisit.photos import domain
from fieldvisit.photos.queries import Upload
from fieldvisit.web.forms import Errors, FormData
from fieldvisit.web.i18n import _


def parse_upload(form: FormData) -> tuple[list[tuple[Upload, UploadFile]], Errors]:
    """The photos of the request with their fields. A client sends one photo per request; a
    plain form (no JavaScript) may send several: the first takes ``client_uuid``, the others a
    UUID derived from it and their position, so a re-sent form is still idempotent."""
    errors = Errors()
    try:
        client_uuid = uuid.UUID(form.get("client_uuid"))
    except ValueError:
        errors.add("client_uuid", _("The photo has no valid ID. Reload the page and add the photo again."))
    source = form.get("source") or "camera"
    if source not in domain.SOURCES:
        errors.add("source", _("The photo's source must be camera or gallery."))
    files = [f for f in form.files.get("photo", []) if f.filename]
    if not files:
        errors.add("photo", _("Choose a photo to upload."))
    if errors:
        return [], errors
    uuids = [client_uuid] + [uuid.uuid5(client_uuid, str(n)) for n in range(1, len(files))]
    return [(Upload(u, form.get("item_code"), source, (f.filename or "")[:200]), f) for u, f in zip(uuids, files, strict=True)], errors

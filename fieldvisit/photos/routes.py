"""Photo evidence: the upload of a visit's photos, and their display image and thumbnail.

The upload contract (kept stable: ``static/capture.js`` and the offline outbox both post to it)
----------------------------------------------------------------------------------------------
``POST /visits/{visit_id}/photos`` as ``multipart/form-data``, one photo per request, with the
CSRF token in the ``x-csrftoken`` header (or a ``_csrf_token`` field for a plain form):

- ``client_uuid``: a UUID the client makes once per photo and keeps for every retry;
- ``item_code``: the checklist item the photo is evidence for; empty or absent: the visit's;
- ``source``: ``camera`` (default) or ``gallery``;
- ``photo``: the file (JPEG, PNG, WebP or HEIC; at most ``MAX_UPLOAD_MB``).

Answers, by what the client asks for:

- ``Accept: application/json``: ``201`` (stored) or ``200`` (this UUID with this photo was
  already stored: nothing changed) with ``{"id", "client_uuid", "visit_id", "item_code",
  "sha256", "status": "created"|"replay", "thumb_url", "display_url"}``; errors as
  ``{"error": {"status", "title", "message"}}``;
- ``HX-Request: true``: the item's photos block (``visits/_photos.html``);
- otherwise (a plain form): ``303`` back to the visit page at the item.

Errors: ``404`` the visit is not one the user sees (``403`` seen read-only); ``409`` the UUID
already names another photo; ``413`` too large (refused before the body is read); ``422`` not
a usable photo, or an item not on the site type's checklist; ``503`` the store is down:
nothing was saved, send the same request again later. The client keeps the photo until it
gets a 200/201.

The request only checks, stores the original, reads the EXIF and writes the row; the display
image and thumbnail are made right after by ``photos.worker``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from anyio import to_thread
from litestar import Controller, Request, Response, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from fieldvisit.errors import AppError, NotFound, RuleViolation
from fieldvisit.photos import forms, queries
from fieldvisit.photos.queries import SavedPhoto, Upload
from fieldvisit.settings import Settings
from fieldvisit.storage import images
from fieldvisit.storage.base import new_key
from fieldvisit.visits import queries as visits
from fieldvisit.web.auth import SettingsDep, StoreDep, UserDep
from fieldvisit.web.blobs import blob_response
from fieldvisit.web.errors import DEFAULTS
from fieldvisit.web.forms import read_form
from fieldvisit.web.i18n import _
from fieldvisit.web.render import is_htmx, see_other
from fieldvisit.web.security import client_address

Req = Request[Any, Any, Any]
MB = 1024 * 1024
PHOTOS_BLOCK = "visits/_photos.html"


def _now() -> datetime:
    return datetime.now(UTC)


def photo_uuid(seed: uuid.UUID | None, form: str) -> uuid.UUID:
    """The UUID of a plain (no-JS) photo form: derived from the item's next finding UUID when
    there is one, so a page rendered again for the same state is the same page."""
    return uuid.uuid5(seed, form) if seed else uuid.uuid4()


def wants_json(request: Req) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def photos_context(user: Any, visit: dict[str, Any], settings: Settings,
                         item_code: str | None = None) -> dict[str, Any]:
    """The photos of a visit by item, with their provenance badges (for the visit page); with
    ``item_code``, that item's only (for its block alone: a save answers one item)."""
    return {"photos_by_item": await queries.visit_photos(
        visit, now=_now(), radius_m=settings.provenance_radius_m,
        slack=timedelta(minutes=settings.provenance_window_slack_minutes), item_code=item_code),
        "photo_long_edge": settings.photo_client_long_edge, "photo_uuid": photo_uuid}


class PhotosController(Controller):
    @post("/visits/{visit_id:int}/photos", name="photos:upload")
    async def upload(self, request: Req, user: UserDep, settings: SettingsDep, store: StoreDep,
                     visit_id: FromPath[int]) -> Response[Any] | Template | Redirect:
        try:
            saved, visit = await self._store_upload(request, user, settings, store, visit_id)
        except AppError as exc:
            if wants_json(request):
                return _json_error(exc)
            raise
        if wants_json(request):
            return Response(_json(request, saved), status_code=200 if saved.replay else 201)
        if is_htmx(request):
            return Template(template_name=PHOTOS_BLOCK, context={
                "visit": visit, "item_code": saved.item_code,
                **await photos_context(user, visit, settings, saved.item_code)})
        anchor = f"#item-{saved.item_code}" if saved.item_code else "#checklist"
        return see_other(request.app.route_reverse("visits:detail", visit_id=visit_id) + anchor)

    @staticmethod
    async def _store_upload(request: Req, user: UserDep, settings: Settings, store: StoreDep,
                            visit_id: int) -> tuple[SavedPhoto, dict[str, Any]]:
        """Check, store the original, then the row (a store that is down leaves nothing)."""
        visit = await visits.get_visit_for_recording(user, visit_id)
        uploads, errors = forms.parse_upload(await read_form(request))
        if errors:
            raise RuleViolation(next(iter(errors.values())))
        item_code = uploads[0][0].item_code
        if item_code:
            await visits.checklist_item(visit, item_code)  # 422 when not an item of this site's type
        saved = [await store_photo(request, user, settings, store, visit, upload, await file.read())
                 for upload, file in uploads]
        return saved[-1], visit

    @get("/photos/{photo_id:int}/display", name="photos:display")
    async def display(self, user: UserDep, store: StoreDep, photo_id: FromPath[int]) -> Response[Any]:
        return await self._derivative(user, store, photo_id, "display_key")

    @get("/photos/{photo_id:int}/thumb", name="photos:thumb")
    async def thumb(self, user: UserDep, store: StoreDep, photo_id: FromPath[int]) -> Response[Any]:
        return await self._derivative(user, store, photo_id, "thumb_key")

    @staticmethod
    async def _derivative(user: UserDep, store: StoreDep, photo_id: int, column: str) -> Response[Any]:
        """A stripped derivative (never the original): S3 redirects to a presigned URL, the
        local store streams it. Not made yet: a placeholder that is not cached."""
        photo = await queries.get_photo_for_user(user, photo_id)
        if not photo["derivatives_ready"]:
            return Redirect(path="/static/photo-pending.svg", status_code=302, headers={"Cache-Control": "no-store"})
        if not photo[column]:
            raise NotFound(_("This photo could not be processed."))
        name = f"photo-{photo_id}-{'display' if column == 'display_key' else 'thumb'}.jpg"
        return await blob_response(store, photo[column], content_type="image/jpeg", filename=name)


async def check_photo(settings: Settings, data: bytes) -> images.PhotoInfo:
    """What the pipeline needs of an upload; RuleViolation (422) when it is not a usable photo
    or larger than MAX_UPLOAD_MB. Nothing is stored."""
    return await to_thread.run_sync(lambda: images.inspect(data, max_bytes=settings.max_upload_mb * MB))


async def store_photo(request: Req, user: Any, settings: Settings, store: Any, visit: dict[str, Any],
                      upload: Upload, data: bytes, info: images.PhotoInfo | None = None) -> SavedPhoto:
    """The pipeline's one write path (the visit page's upload and a session note's screenshots):
    check (unless ``info`` says it was), answer a replay, store the original, then the row."""
    info = info or await check_photo(settings, data)
    replay = queries.decide(await queries.by_uuid(upload.client_uuid), visit, upload, info.sha256)
    if replay is not None:
        return replay
    key = new_key("photo")
    await store.put(key, data, info.content_type)  # StoreUnavailable: 503, nothing saved
    saved = await queries.record_upload(user, visit, upload, info, key, now=_now(), ip=client_address(request, settings))
    if saved.replay:  # the same UUID raced in at once: keep the first, drop our copy
        await store.delete(key)
    return saved


def _json(request: Req, saved: SavedPhoto) -> dict[str, Any]:
    return {"id": saved.id, "client_uuid": str(saved.client_uuid), "visit_id": saved.visit_id,
            "item_code": saved.item_code, "sha256": saved.sha256, "status": "replay" if saved.replay else "created",
            "thumb_url": request.app.route_reverse("photos:thumb", photo_id=saved.id),
            "display_url": request.app.route_reverse("photos:display", photo_id=saved.id)}


def _json_error(exc: AppError) -> Response[Any]:
    title, message = DEFAULTS.get(exc.status_code, DEFAULTS[400])
    if exc.status_code == 503:
        message = _("The photo was not saved: the photo store is not reachable. It is kept on this phone and "
                    "sent again.")
    return Response({"error": {"status": exc.status_code, "title": exc.title or _(title),
                               "message": exc.message or _(message)}}, status_code=exc.status_code)


def router(settings: Settings) -> Router:
    """The photo routes, with a body limit a little above MAX_UPLOAD_MB (the form's other
    fields): a larger upload is refused from its Content-Length, before the body is read."""
    return Router(path="/", route_handlers=[PhotosController],
                  request_max_body_size=settings.max_upload_mb * MB + 64 * 1024,
                  opt={"upload_limit_mb": settings.max_upload_mb})

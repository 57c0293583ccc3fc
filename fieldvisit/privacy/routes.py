"""Personal data: the public privacy notice, photo originals (verifiers and admins, each view
audited with its reason), blurring a photo by hand, and the admin's page of sensitive sites."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from fieldvisit.errors import RuleViolation
from fieldvisit.privacy import domain, forms, queries
from fieldvisit.web.auth import SettingsDep, StoreDep, UserDep, admin_only
from fieldvisit.web.blobs import blob_response
from fieldvisit.web.forms import Errors, read_form
from fieldvisit.web.render import form_errors, page, see_other
from fieldvisit.web.security import client_address

Req = Request[Any, Any, Any]
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}


class PrivacyController(Controller):
    @get("/privacy", name="privacy:notice", opt={"public": True})
    async def notice(self, request: Req, settings: SettingsDep) -> Template:
        return page(request, "privacy/notice.html", retention_days=settings.originals_retention_days,
                    contact=settings.privacy_contact)


class OriginalsController(Controller):
    """A photo's original: the reason form, then the file itself (404 for whoever may not)."""

    @get("/photos/{photo_id:int}/original/reason", name="privacy:original-form")
    async def reason_form(self, request: Req, user: UserDep, settings: SettingsDep,
                          photo_id: FromPath[int]) -> Template:
        photo = await queries.get_original_for_user(user, photo_id)
        return _original_page(request, photo, settings, Errors(), {})

    @get("/photos/{photo_id:int}/original", name="privacy:original")
    async def original(self, request: Req, user: UserDep, settings: SettingsDep, store: StoreDep,
                       photo_id: FromPath[int], reason: FromQuery[str] = "",
                       download: FromQuery[str] = "") -> Response[Any] | Template:
        photo = await queries.get_original_for_user(user, photo_id)
        if photo["original_purged_at"] is not None:
            return _original_page(request, photo, settings, Errors(), {}, status_code=410)
        try:
            given = domain.check_reason(reason, sensitive=photo["sensitive"])
        except RuleViolation as exc:
            return _original_page(request, photo, settings, Errors(reason=exc.message),
                                  {"reason": reason, "download": download}, status_code=422)
        await queries.record_original_view(user, photo, given, download=download in ("on", "1"),
                                           ip=client_address(request, settings))
        filename = f"photo-{photo['id']}-original.{EXTENSIONS.get(photo['content_type'], 'bin')}"
        response = await blob_response(store, photo["original_key"], content_type=photo["content_type"],
                                       filename=filename, attachment=download in ("on", "1"))
        response.headers["Cache-Control"] = "private, no-store"  # each view is audited: never from a cache
        return response


def _original_page(request: Req, photo: dict[str, Any], settings: Any, errors: Errors, values: dict[str, str], *,
                   status_code: int = 200) -> Template:
    purged = photo["original_purged_at"] is not None
    return page(request, "privacy/original.html", status_code=status_code, photo=photo, errors=errors,
                values=values, min_reason=domain.MIN_REASON,
                purged_notice=domain.original_removed_notice(settings.originals_retention_days) if purged else "")


class BlurController(Controller):
    """A verifier marks a photo "shows a person" or draws boxes; the derivatives are made again."""

    @get("/photos/{photo_id:int}/blur", name="privacy:blur-form")
    async def blur_form(self, request: Req, user: UserDep, photo_id: FromPath[int]) -> Template:
        photo = await queries.get_original_for_user(user, photo_id)
        return _blur_page(request, photo, Errors(), forms.box_values(photo["shows_person"], photo["blur_boxes"]))

    @post("/photos/{photo_id:int}/blur", name="privacy:blur")
    async def blur(self, request: Req, user: UserDep, settings: SettingsDep, store: StoreDep,
                   photo_id: FromPath[int]) -> Redirect | Template:
        photo = await queries.get_original_for_user(user, photo_id)
        form = await read_form(request)
        shows_person, boxes, errors = forms.parse_blur(form)
        if not errors:
            try:
                await queries.reblur(user, photo, store, shows_person=shows_person, boxes=boxes,
                                     ip=client_address(request, settings))
            except RuleViolation as exc:
                errors = Errors(shows_person=exc.message)
        if errors:
            return form_errors(request, "privacy/blur.html", **_blur_context(photo, errors, form.values))
        return see_other(f"/photos/{photo_id}/blur", saved=1)


def _blur_context(photo: dict[str, Any], errors: Errors, values: dict[str, str]) -> dict[str, Any]:
    rows = max(forms.BOX_ROWS, len(photo["blur_boxes"]) + 1)
    return {"photo": photo, "errors": errors, "values": values, "box_rows": range(min(rows, domain.MAX_BOXES)),
            "sides": forms.SIDES, "box_field": forms.box_field, "max_boxes": domain.MAX_BOXES}


def _blur_page(request: Req, photo: dict[str, Any], errors: Errors, values: dict[str, str]) -> Template:
    return page(request, "privacy/blur.html", **_blur_context(photo, errors, values))


class SensitiveSitesController(Controller):
    """Admins: which site types, and which single sites, are sensitive."""

    path = "/admin/sensitive"
    guards = [admin_only]

    @get("/", name="privacy:sensitive")
    async def sensitive(self, request: Req, user: UserDep, q: FromQuery[str] = "") -> Template:
        return page(request, "privacy/sensitive.html", block="sites", versions=await queries.site_types_by_version(user),
                    q=q.strip()[:100], sites=await queries.find_sites(user, q.strip()[:100]))

    @post("/site-types/{site_type_id:int}", name="privacy:site-type-sensitive")
    async def site_type(self, request: Req, user: UserDep, settings: SettingsDep,
                        site_type_id: FromPath[int]) -> Redirect:
        form = await read_form(request)
        await queries.set_site_type_sensitive(user, site_type_id, form.get("sensitive") == "1",
                                              ip=client_address(request, settings))
        return see_other("/admin/sensitive", saved=1)

    @post("/sites/{site_id:int}", name="privacy:site-sensitive")
    async def site(self, request: Req, user: UserDep, settings: SettingsDep, site_id: FromPath[int]) -> Redirect:
        form = await read_form(request)
        try:
            setting = forms.parse_site_setting(form)
        except KeyError:
            raise RuleViolation("setting: yes, no or type") from None
        await queries.set_site_sensitive(user, site_id, setting, ip=client_address(request, settings))
        return see_other("/admin/sensitive", q=form.get("q") or None, saved=1)

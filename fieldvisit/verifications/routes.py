"""The verification page of one indicator claim: verifiers record the verified value; the team's
note-takers and the district's staff read it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from fieldvisit.errors import Forbidden
from fieldvisit.storage.base import new_key
from fieldvisit.verifications import domain, queries
from fieldvisit.verifications.forms import parse_verification
from fieldvisit.web.auth import SettingsDep, StoreDep, UserDep
from fieldvisit.web.blobs import blob_response
from fieldvisit.web.forms import read_form
from fieldvisit.web.render import form_errors, page, see_other
from fieldvisit.web.security import client_address

Req = Request[Any, Any, Any]
#: The whole request: MAX_DOCUMENTS files of up to MAX_UPLOAD_MB (25 MB by default) and the form.
BODY_LIMIT = domain.MAX_DOCUMENTS * 25 * 1024 * 1024 + 1024 * 1024


class VerificationController(Controller):
    path = "/evaluations/{evaluation_id:int}"

    @get("/indicators/{indicator_code:str}/verify", name="verifications:verify")
    async def show(self, request: Req, user: UserDep, evaluation_id: FromPath[int], indicator_code: FromPath[str],
                   saved: FromQuery[str] = "") -> Template:
        view = await queries.claim_for_user(user, evaluation_id, indicator_code)
        current = view.current
        values = {"value": domain.display_value(current["verified_value"], view.claim["value_kind"]) if current else ""}
        return page(request, "verifications/verify.html", v=view, values=values, errors={}, saved=saved == "1")

    @post("/indicators/{indicator_code:str}/verify", name="verifications:save", request_max_body_size=BODY_LIMIT)
    async def save(self, request: Req, user: UserDep, settings: SettingsDep, store: StoreDep,
                   evaluation_id: FromPath[int], indicator_code: FromPath[str]) -> Template | Redirect:
        view = await queries.claim_for_user(user, evaluation_id, indicator_code)
        if not view.may_verify:
            raise Forbidden()
        form = await read_form(request)
        data, errors = await parse_verification(form, kind=view.claim["value_kind"],
                                                max_bytes=settings.max_upload_mb * 1024 * 1024)
        if data is None:
            return form_errors(request, "verifications/verify.html", v=view, values=form.values, errors=errors,
                               saved=False)
        stored = []
        for upload in data.uploads:  # into the blob store first: a row never points at a missing file
            key = new_key("document")
            await store.put(key, upload.data, upload.content_type)
            stored.append({"title": upload.file_name, "blob_key": key, "content_type": upload.content_type,
                           "size_bytes": len(upload.data), "sha256": hashlib.sha256(upload.data).hexdigest()})
        await queries.record_verification(user, view, data, stored, now=datetime.now(UTC),
                                          ip=client_address(request, settings))
        return see_other(f"/evaluations/{evaluation_id}/indicators/{view.claim['indicator_code']}/verify", saved="1")

    @get("/verifications/{verification_id:int}/documents/{document_index:int}", name="verifications:document")
    async def document(self, user: UserDep, store: StoreDep, evaluation_id: FromPath[int],
                       verification_id: FromPath[int], document_index: FromPath[int]) -> Response[Any]:
        doc = await queries.document_for_user(user, evaluation_id, verification_id, document_index)
        return await blob_response(store, doc["blob_key"], content_type=doc["content_type"], filename=doc["title"],
                                   attachment=doc["content_type"] == "application/pdf")

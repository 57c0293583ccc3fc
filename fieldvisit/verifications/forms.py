"""Parse the verification form: the value, the note, links, and document files."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from fieldvisit.verifications import domain
from fieldvisit.web.forms import Errors, FormData
from fieldvisit.web.i18n import _


@dataclass(frozen=True)
class Upload:
    file_name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class VerificationInput:
    value: Decimal
    note: str
    links: list[dict[str, str]]
    uploads: list[Upload] = field(default_factory=list)


async def parse_verification(form: FormData, *, kind: str, max_bytes: int) -> tuple[VerificationInput | None, Errors]:
    errors = Errors()
    value, problem = domain.parse_verified_value(form.get("value"), kind)
    if problem:
        errors.add("value", problem)
    note = form.get("note")
    if len(note) < 3:
        errors.add("note", _("Say where the verified value comes from (for example: Disdukcapil data of 30 April)."))
    elif len(note) > domain.MAX_NOTE:
        errors.add("note", _("The note is too long (at most %(n)d characters).") % {"n": domain.MAX_NOTE})
    links, problem = domain.parse_links(form.values.get("links", ""))
    if problem:
        errors.add("links", problem)
    files = [f for f in form.files.get("documents", []) if f.filename]
    uploads: list[Upload] = []
    if len(files) > domain.MAX_DOCUMENTS:
        errors.add("documents", _("At most %(n)d files at once.") % {"n": domain.MAX_DOCUMENTS})
    else:
        for upload in files:
            data = await upload.read(max_bytes + 1)
            name = (upload.filename or "document")[-200:]
            if len(data) > max_bytes:
                errors.add("documents", _("%(name)s is too large (at most %(mb)d MB).") % {
                    "name": name, "mb": max_bytes // (1024 * 1024)})
                break
            content_type = domain.document_type(data)
            if content_type is None:
                errors.add("documents", _("%(name)s is not a PDF, JPEG or PNG file.") % {"name": name})
                break
            uploads.append(Upload(name, content_type, data))
    if errors or value is None:
        return None, errors
    return VerificationInput(value, note, links, uploads), errors

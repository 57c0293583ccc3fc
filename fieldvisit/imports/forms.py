"""Parse the import forms (upload, confirm choices) into typed values or field errors."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.datastructures import UploadFile

from fieldvisit.imports.domain import normalise_district_code
from fieldvisit.web.forms import Errors, FormData
from fieldvisit.web.i18n import _


@dataclass(frozen=True)
class SiteUpload:
    file: UploadFile | None
    district: str | None
    round_id: int | None


def _int(text: str) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def parse_site_upload(form: FormData) -> tuple[SiteUpload, Errors]:
    errors = Errors()
    upload = form.file("file")
    if upload is None:
        errors.add("file", _("Choose a CSV or XLSX file."))
    district = normalise_district_code(form.get("district")) if form.get("district") else None
    round_id = _int(form.get("round"))
    if form.get("round") and round_id is None:
        errors.add("round", _("Choose a round from the list."))
    return SiteUpload(upload, district, round_id), errors


@dataclass(frozen=True)
class ClaimsUpload:
    file: UploadFile | None
    evaluation_id: int | None


def parse_claims_upload(form: FormData) -> tuple[ClaimsUpload, Errors]:
    errors = Errors()
    upload = form.file("file")
    evaluation_id = _int(form.get("evaluation"))
    if evaluation_id is None:
        errors.add("evaluation", _("Choose the district evaluation the claims belong to."))
    if upload is None:
        errors.add("file", _("Choose a CSV or XLSX file."))
    return ClaimsUpload(upload, evaluation_id), errors


def parse_site_ids(form: FormData) -> list[int]:
    return sorted({i for i in (_int(v) for v in form.getlist("site")) if i is not None})

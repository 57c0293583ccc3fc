"""Helpers for capability forms: read a submitted form, collect field errors.

A capability's forms.py turns raw fields into typed values or ``field -> message`` errors;
the template shows each message beside its field and all of them in a summary on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile


@dataclass
class FormData:
    """Submitted fields as text (first value), files kept apart."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[UploadFile]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def getlist(self, name: str) -> list[str]:
        return self.lists.get(name, [])

    def file(self, name: str) -> UploadFile | None:
        found = [f for f in self.files.get(name, []) if f.filename]
        return found[0] if found else None


async def read_form(request: Request[Any, Any, Any]) -> FormData:
    form = await request.form()
    data = FormData()
    for key, value in form.multi_items():
        if key == "_csrf_token":
            continue
        if isinstance(value, UploadFile):
            data.files.setdefault(key, []).append(value)
            continue
        text = str(value).strip()
        data.lists.setdefault(key, []).append(text)
        data.values.setdefault(key, text)
    return data


class Errors(dict[str, str]):
    """field name -> message; falsy when the form is valid."""

    def add(self, name: str, message: str) -> None:
        self.setdefault(name, message)


def as_context(values: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    return {"values": dict(values), "errors": errors}


def parse_decimal(text: str) -> Decimal | None:
    """A number as people type it: ``92.5``, ``92,5`` (Indonesian decimal comma), ``1.234,5``,
    ``1,234.5``, with an optional trailing ``%``. None when it is not a number."""
    raw = text.strip().removesuffix("%").strip().replace(" ", "")
    if not raw:
        return None
    if "," in raw and "." in raw:
        # The later separator is the decimal one; the other groups thousands.
        thousands = "." if raw.rfind(",") > raw.rfind(".") else ","
        raw = raw.replace(thousands, "").replace(",", ".")
    elif raw.count(",") == 1:
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_day(text: str) -> date | None:
    """An ISO date (what ``<input type=date>`` sends); None when empty or not a date."""
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None

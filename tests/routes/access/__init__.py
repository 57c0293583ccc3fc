"""The access model as a table: every route, every persona, the expected outcome.

Each capability has a module here with ``ROWS`` ({(method, path): {persona: outcome}}) and,
if its paths have parameters, ``async def params(world) -> dict[str, object]`` giving values
that belong to Kota Tangerang (so district staff of Serang must get 404).
Outcomes: "ok" (the guards let it through: any 2xx/3xx that is not the login redirect, or a
422/409 validation answer), "login" (303 to /login), "404", "403", "401" (the JSON API's answer
without a valid token).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from typing import Any

PERSONAS = ("anonymous", "admin", "verifier", "notetaker", "tangerang", "serang")
Outcome = str
Row = dict[str, Outcome]


def everyone(outcome: Outcome = "ok") -> Row:
    return dict.fromkeys(PERSONAS, outcome)


def signed_in(outcome: Outcome = "ok") -> Row:
    return {**dict.fromkeys(PERSONAS, outcome), "anonymous": "login"}


def only(*allowed: str, denied: Outcome = "404") -> Row:
    row = {p: ("ok" if p in allowed else denied) for p in PERSONAS}
    row["anonymous"] = "login"
    return row


def admin_only() -> Row:
    return only("admin")


def modules() -> list[Any]:
    return [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]


def all_rows() -> dict[tuple[str, str], Row]:
    rows: dict[tuple[str, str], Row] = {}
    for module in modules():
        for key, row in module.ROWS.items():
            assert key not in rows, f"{key} has two rows"
            assert set(row) == set(PERSONAS), f"{key}: a row names every persona"
            rows[key] = row
    return rows


def param_builders() -> list[Callable[[Any], Awaitable[dict[str, Any]]]]:
    return [m.params for m in modules() if hasattr(m, "params")]

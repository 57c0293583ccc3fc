"""One response protocol: a page, a block of it for htmx, or 303 to a GET."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request
from litestar.response import Redirect, Template


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """An htmx request that wants a fragment (a boosted navigation, or htmx restoring a page
    from history after the back button, wants the whole page)."""
    headers = request.headers
    return (headers.get("hx-request") == "true" and headers.get("hx-boosted") != "true"
            and headers.get("hx-history-restore-request") != "true")


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    """Render ``template``; for an htmx request naming ``block``, only that block.

    A page that can answer either way says so with ``Vary: HX-Request``.
    """
    all_headers = {"Vary": "HX-Request", **(headers or {})}
    if block and is_htmx(request):
        return HTMXBlockTemplate(
            template_name=template, block_name=block, context=context, status_code=status_code, headers=all_headers
        )
    return Template(template_name=template, context=context, status_code=status_code, headers=all_headers)


def form_errors(
    request: Request[Any, Any, Any], template: str, *, block: str | None = None, **context: Any
) -> Template:
    """A form that failed validation: re-rendered with its errors, status 422."""
    return page(request, template, block=block, status_code=422, **context)


def see_other(path: str, **query: Any) -> Redirect:
    """303 after a POST (Litestar's Redirect defaults to 302)."""
    target = path + ("?" + urlencode({k: v for k, v in query.items() if v is not None}) if query else "")
    return Redirect(path=target, status_code=303)


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only same-site relative paths are followed after login (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target

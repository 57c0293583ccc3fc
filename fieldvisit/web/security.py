"""Security headers on every response, and the client address."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.types import Message, Scope

from fieldvisit.settings import Settings


def content_security_policy(settings: Settings) -> str:
    img = ["'self'", "data:", "blob:"]
    for url in (settings.s3_public_url, settings.s3_endpoint_url):
        if url:
            parts = urlsplit(url)
            img.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {' '.join(dict.fromkeys(img))}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "worker-src 'self'",
        "manifest-src 'self'",
    ])


def security_headers_hook(settings: Settings) -> Any:
    """A ``before_send`` hook: it sees every response, error pages for unknown URLs too."""
    headers = [
        (b"content-security-policy", content_security_policy(settings).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"camera=(self), geolocation=(self), microphone=()"),
    ]
    if settings.secure_cookies:
        headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            message["headers"] = list(message.get("headers", [])) + [(n, v) for n, v in headers if n not in present]

    return before_send


def client_address(request: Request[Any, Any, Any], settings: Settings) -> str:
    if settings.trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first[:45]
    return request.client.host if request.client else ""

"""The blob store the app keeps photos and documents in, and what every implementation shares.

Two implementations answer the same contract (tests/storage/test_contract.py): a local folder
(the embedded default, ``local.py``) and any S3-compatible endpoint (``s3.py``). Their methods
are async; the blocking work (boto3, file I/O) runs in a worker thread.

Serving a blob to a browser, for either store::

    url = await store.download_url(key, content_type="image/jpeg")
    if url is not None:
        return Redirect(url)                       # S3: a fresh presigned GET, valid <= 5 min
    return Response(await store.get(key), ...)     # local: the app streams the bytes itself

(``fieldvisit.web.blobs.blob_response`` does exactly this.)
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import quote

from fieldvisit.errors import NotFound, StoreUnavailable

if TYPE_CHECKING:
    from fieldvisit.settings import Settings

__all__ = ["BlobNotFound", "BlobStore", "StoreUnavailable", "check_key", "check_prefix", "content_disposition", "make_store",
           "new_key", "PRESIGNED_SECONDS"]

#: Lifetime of a presigned download link; pages link to an app route that makes a fresh one.
PRESIGNED_SECONDS = 300

_KIND = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# Lower-case segments that start with a letter or digit: no "..", no leading "/", no "\\".
_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]*(?:/[a-z0-9][a-z0-9_.-]*)*")


class BlobNotFound(NotFound):
    """No blob under this key (a 404 if it reaches a handler)."""


def new_key(kind: str) -> str:
    """An opaque key for a new blob, e.g. ``photo/3f/3f9a…`` (128 random bits; the two-letter
    folder keeps local directories small). It carries no user input and no site name."""
    if not _KIND.fullmatch(kind):
        raise ValueError(f"blob kind must be a short lower-case word, got {kind!r}")
    token = secrets.token_hex(16)
    return f"{kind}/{token[:2]}/{token}"


def check_key(key: str) -> str:
    """Refuse a key that is not one of ours (path tricks included); returns it unchanged."""
    if len(key) > 512 or not _KEY.fullmatch(key):
        raise ValueError(f"not a valid blob key: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty, or the start of a valid key (``photo/``, ``photo/3f``)."""
    if prefix and not _KEY.fullmatch(prefix.removesuffix("/")):
        raise ValueError(f"not a valid blob key prefix: {prefix!r}")
    return prefix


def content_disposition(filename: str | None, *, attachment: bool) -> str:
    """``inline`` / ``attachment`` with a safe ASCII filename and the UTF-8 original (RFC 6266)."""
    kind = "attachment" if attachment else "inline"
    if not filename:
        return kind
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", filename)[:100] or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename[:200], safe='')}"


@runtime_checkable  # Litestar checks a dependency's value against its declared type
class BlobStore(Protocol):
    """Where photos and documents live. Keys come from :func:`new_key`.

    Every method raises :class:`StoreUnavailable` when the store does not answer, and
    ``ValueError`` for a key that is not valid (see :func:`check_key`).
    """

    async def prepare(self) -> None:
        """Make the store ready at start-up (local: the folder; S3: the private bucket)."""

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` whole or not at all; an existing blob is replaced."""

    async def get(self, key: str) -> bytes:
        """The blob's bytes; :class:`BlobNotFound` if there is none."""

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing key is not an error."""

    async def download_url(self, key: str, *, content_type: str, filename: str | None = None,
                           attachment: bool = False) -> str | None:
        """A fresh link the browser may fetch the blob from (S3: presigned GET valid
        ``PRESIGNED_SECONDS``, answering with this content type and disposition), or ``None``
        when the app must send the bytes itself (local store)."""

    async def list_keys(self, prefix: str = "", *, older_than: datetime | None = None) -> list[str]:
        """Keys under ``prefix``, sorted; with ``older_than`` (aware), only blobs stored before
        it, so a sweep of orphans never takes a blob whose database row is still coming."""

    async def is_reachable(self) -> bool:
        """For /healthz: can the store be used right now? Never raises."""


def make_store(settings: Settings) -> BlobStore:
    """S3 when ``S3_ENDPOINT_URL`` is set, else the local folder ``settings.blob_dir``."""
    if settings.uses_s3:
        from fieldvisit.storage.s3 import S3Store

        return S3Store.from_settings(settings)
    from fieldvisit.storage.local import LocalStore

    return LocalStore(settings.blob_dir)

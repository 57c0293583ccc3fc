"""Answer a request for a stored blob, after the route has checked access to it."""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.response import Redirect

from fieldvisit.storage.base import PRESIGNED_SECONDS, BlobStore, content_disposition


async def blob_response(store: BlobStore, key: str, *, content_type: str, filename: str | None = None,
                        attachment: bool = False) -> Response[Any]:
    """S3: a redirect to a fresh presigned URL (the page links to the app route, never to a URL
    that expires while the page is open). Local store: the bytes themselves."""
    url = await store.download_url(key, content_type=content_type, filename=filename, attachment=attachment)
    if url is not None:
        # Cached a little less long than the link lives, and only by this browser.
        return Redirect(path=url, status_code=302, headers={"Cache-Control": "private, max-age=60"})
    return Response(await store.get(key), media_type=content_type, headers={
        "Cache-Control": f"private, max-age={PRESIGNED_SECONDS}",
        "Content-Disposition": content_disposition(filename, attachment=attachment),
    })

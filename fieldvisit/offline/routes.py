"""The service worker, served from the site's root so that it may control every page.

The script itself is ``static/sw.js``; it is served here (not under /static/) because a worker's
scope cannot be wider than the folder of its script, and with ``no-cache`` so that a new version
of the app reaches the phones at the next visit with a connection.
"""

from __future__ import annotations

from litestar import Controller, Response, get

from fieldvisit.settings import PROJECT_ROOT

SERVICE_WORKER = PROJECT_ROOT / "static" / "sw.js"


class OfflineController(Controller):
    @get("/sw.js", name="offline:service-worker", opt={"public": True}, include_in_schema=False,
         exclude_from_csrf=True)
    async def service_worker(self) -> Response[bytes]:
        return Response(SERVICE_WORKER.read_bytes(), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})

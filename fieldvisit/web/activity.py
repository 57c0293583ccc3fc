"""Requests in flight in this process, for background work that should wait its turn; and kept-
alive connections ended now and then, so that the worker processes share the load.

The photo worker makes derivatives when the server has been without requests for a moment
(:data:`ACTIVITY`): a burst of uploads is answered first, at full speed, and the derivatives
(~150 ms of processor each) catch up when it is over. The kernel's idle scheduling class alone
let them take the processor in the short gaps of a busy load, which cost the uploads ~14 % of
their rate on two cores (bench/bench_photo_ingest.py)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from litestar.types import ASGIApp, Message, Receive, Scope, Send


class Activity:
    def __init__(self) -> None:
        self.in_flight = 0
        self.last_seen = time.monotonic()

    def quiet_for(self) -> float:
        """Seconds since the last request ended; 0 while one is in flight."""
        return 0.0 if self.in_flight else time.monotonic() - self.last_seen


ACTIVITY = Activity()


def activity_middleware(app: ASGIApp) -> ASGIApp:
    """Counts the HTTP requests in flight in :data:`ACTIVITY`."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        ACTIVITY.in_flight += 1
        try:
            await app(scope, receive, send)
        finally:
            ACTIVITY.in_flight -= 1
            ACTIVITY.last_seen = time.monotonic()

    return middleware


#: A kept-alive connection carries this many requests on average, then the answer says
#: "Connection: close" and the client connects again (as Apache's MaxKeepAliveRequests, 100, and
#: nginx's keepalive_requests). The server's worker processes share one listening socket and a
#: connection stays with the worker that accepted it: without this, 50 busy connections split
#: 22/28 at start-up stayed so, and the clients of the busier worker waited 25 % longer
#: (bench/bench_photo_ingest.py). A new connection goes to whichever worker accepts it first,
#: usually the less busy one.
REQUESTS_PER_CONNECTION = 25


def rebalance_middleware(app: ASGIApp, *, chance: Callable[[], float] = random.random,
                         per_connection: int = REQUESTS_PER_CONNECTION) -> ASGIApp:
    """Ends a kept-alive connection after ``per_connection`` requests on average: each answer
    asks to close with probability 1/per_connection (no state per connection; ASGI does not
    name connections, and behind a proxy the client address names none)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or chance() * per_connection >= 1:
            await app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await app(scope, receive, send_closing)

    return middleware

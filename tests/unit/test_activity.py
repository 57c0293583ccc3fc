"""Requests in flight (the photo worker waits for a quiet moment) and kept-alive connections
ended now and then (the worker processes share the load)."""

from __future__ import annotations

import asyncio
import random

import pytest

from fieldvisit.photos.worker import BATCH, MAX_DEFER, QUIET, batch_size
from fieldvisit.web.activity import Activity, activity_middleware, rebalance_middleware


def run(app, scope=None):  # type: ignore[no-untyped-def]
    """Call an ASGI app once; the messages it sent."""
    sent: list[dict] = []

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    asyncio.run(app(scope or {"type": "http"}, receive, send))
    return sent


async def answer(scope, receive, send):  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"Connection", b"keep-alive")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_a_request_in_flight_is_counted_and_the_quiet_starts_when_it_ends(monkeypatch) -> None:
    from fieldvisit.web import activity

    tracked = Activity()
    monkeypatch.setattr(activity, "ACTIVITY", tracked)
    seen: list[tuple[int, float]] = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        seen.append((tracked.in_flight, tracked.quiet_for()))
        await answer(scope, receive, send)

    run(activity_middleware(app))
    assert seen == [(1, 0.0)]
    assert tracked.in_flight == 0
    assert 0 <= tracked.quiet_for() < 1


def test_a_request_that_fails_still_ends(monkeypatch) -> None:
    from fieldvisit.web import activity

    tracked = Activity()
    monkeypatch.setattr(activity, "ACTIVITY", tracked)

    async def broken(scope, receive, send):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run(activity_middleware(broken))
    assert tracked.in_flight == 0


class Quiet(Activity):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def quiet_for(self) -> float:
        return self.seconds


@pytest.mark.parametrize(("quiet", "deferred_since", "now", "expected"), [
    (QUIET, None, 100.0, BATCH),                         # quiet long enough: a batch
    (10.0, 50.0, 100.0, BATCH),                          # quiet (whatever waited)
    (0.0, None, 100.0, 0),                               # a request in flight: wait
    (QUIET / 2, None, 100.0, 0),                         # just ended: wait a little
    (0.0, 100.0 - MAX_DEFER / 2, 100.0, 0),              # busy, deferred for a while
    (0.0, 100.0 - MAX_DEFER, 100.0, 1),                  # busy, deferred MAX_DEFER: one photo
])
def test_derivatives_wait_for_a_quiet_moment_but_not_forever(quiet, deferred_since, now, expected) -> None:
    assert batch_size(Quiet(quiet), deferred_since, now) == expected


def test_an_answer_now_and_then_closes_its_connection_and_says_so_once() -> None:
    closing = run(rebalance_middleware(answer, chance=lambda: 0.01, per_connection=25))
    kept = run(rebalance_middleware(answer, chance=lambda: 0.5, per_connection=25))
    assert [h for h in closing[0]["headers"] if h[0].lower() == b"connection"] == [(b"connection", b"close")]
    assert (b"content-type", b"text/plain") in closing[0]["headers"]
    assert closing[1] == {"type": "http.response.body", "body": b"ok"}
    assert kept[0]["headers"] == [(b"content-type", b"text/plain"), (b"Connection", b"keep-alive")]


def test_a_connection_carries_about_per_connection_requests() -> None:
    rng = random.Random(7)
    closes = sum(
        any(h == (b"connection", b"close") for h in run(rebalance_middleware(answer, chance=rng.random))[0]["headers"])
        for _ in range(2000))
    assert 50 <= closes <= 115  # 2000 / 25 = 80 expected


def test_lifespan_and_websocket_scopes_pass_untouched() -> None:
    seen: list[str] = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        seen.append(scope["type"])

    run(rebalance_middleware(app, chance=lambda: 0.0), {"type": "lifespan"})
    run(activity_middleware(app), {"type": "lifespan"})
    assert seen == ["lifespan", "lifespan"]

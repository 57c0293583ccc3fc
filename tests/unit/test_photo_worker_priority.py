"""The derivatives are made on a thread of their own at background priority (Linux nice), so
that a burst of uploads is answered before face detection runs."""

from __future__ import annotations

import os
import threading

from fieldvisit.photos import worker


def _nice_here() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_the_derivative_thread_is_nicer_than_the_request_threads() -> None:
    ours = _nice_here()
    theirs, name = worker._derivative_pool().submit(lambda: (_nice_here(), threading.current_thread().name)).result()
    assert theirs == min(19, ours + worker.NICE)
    assert name.startswith("fieldvisit-derivatives")
    assert _nice_here() == ours  # the caller's thread is untouched

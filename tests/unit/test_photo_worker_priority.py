"""The derivatives are made in a child process at background priority (Linux's idle scheduling
class), so that a burst of uploads is answered before the derivatives are made; where the idle
class is refused, at a higher nice value. (That the child is in the idle class and the server is
not: tests/routes/test_photos.py.)"""

from __future__ import annotations

import os
import threading

from fieldvisit.photos import worker


def _nice_here() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def _policy_here() -> int:
    return os.sched_getscheduler(threading.get_native_id())


def test_the_initializer_puts_its_caller_in_the_idle_class() -> None:
    ours = _policy_here()
    theirs = threading_result(worker._background_priority, _policy_here)
    assert ours == os.SCHED_OTHER
    assert theirs == os.SCHED_IDLE
    assert _policy_here() == ours  # (on Linux, per thread: the caller's thread is untouched)


def test_without_the_idle_class_the_derivative_process_is_nicer(monkeypatch) -> None:
    def refused(*_args: object) -> None:
        raise PermissionError("not allowed here")

    monkeypatch.setattr(os, "sched_setscheduler", refused)
    ours = _nice_here()
    theirs = threading_result(worker._background_priority, _nice_here)
    assert theirs == min(19, ours + worker.NICE)
    assert _nice_here() == ours


def threading_result(first, then):  # type: ignore[no-untyped-def]
    """Run ``first`` then ``then`` on a new thread; ``then``'s result."""
    out: list[int] = []
    thread = threading.Thread(target=lambda: (first(), out.append(then())))
    thread.start()
    thread.join()
    return out[0]

"""Start-up moves what it made out of the garbage collector's sight (see fieldvisit.app.settle_heap)."""

import gc

from fieldvisit.app import settle_heap


def test_settle_heap_freezes_what_start_up_made() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        settle_heap()
        assert gc.get_freeze_count() > 1000  # the modules, classes and functions loaded so far
        assert gc.get_count()[0] < 100  # collected just before freezing
    finally:
        gc.unfreeze()

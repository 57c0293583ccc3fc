"""A stand-in for ``images.make_derivatives`` that kills the derivative process on a marked
photo (as a decoder crash would), for the photo worker's tests. A module of its own: the child
process imports it by name."""

from __future__ import annotations

import os

from fieldvisit.storage import images

MARKER = b"kill the derivative process"


def make_derivatives_or_die(data: bytes, **options: object) -> images.Derivatives:
    if MARKER in data:
        os._exit(70)
    return images.make_derivatives(data, **options)  # type: ignore[arg-type]

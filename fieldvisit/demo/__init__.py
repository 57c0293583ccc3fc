"""`fieldvisit demo`: the four cities of the seed articles and one user per role.

Idempotent: running it again changes nothing. Later capabilities add their parts here.
"""

from __future__ import annotations

from fieldvisit.catalogue import domain as catalogue_domain
from fieldvisit.catalogue import queries as catalogue
from fieldvisit.demo import evaluation, gaps, people, visits
from fieldvisit.demo import sessions as hybrid_sessions


async def load() -> list[str]:
    """Load every part in order; returns the lines to print (logins and what was made)."""
    lines: list[str] = []
    await catalogue.load_version(catalogue_domain.parse_catalogue(catalogue_domain.shipped()))
    lines += await people.load()
    lines += await evaluation.load()
    lines += await visits.load()  # after the evaluation part (round, sites, claims)
    lines += await hybrid_sessions.load()  # a closed hybrid session in Kota Serang
    lines += await gaps.load()  # after the visits (reconciles them)
    return lines

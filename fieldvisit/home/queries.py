"""What each role's home page shows. Capabilities add their counts here as they arrive."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fieldvisit.accounts.domain import CurrentUser
from fieldvisit.accounts.tables import User
from fieldvisit.gaps import queries as gaps
from fieldvisit.gaps.domain import local_today
from fieldvisit.regions import queries as regions
from fieldvisit.rounds import queries as rounds
from fieldvisit.rounds.tables import Round
from fieldvisit.visits import domain as visit_domain
from fieldvisit.visits import queries as visits


async def home_for(user: CurrentUser) -> dict[str, Any]:
    action = await gaps.needs_action(user, today=local_today(datetime.now(UTC), "+07:00"))
    if user.is_admin:
        return {"region_counts": await regions.counts(), "user_count": await User.count(),
                "round_count": await Round.count(), "action": action}
    if user.is_verifier:
        return {"action": action, "visits": await visits.my_visits(user, datetime.now(UTC)),
                "evaluations": await rounds.evaluations_for(user),
                "visit_labels": {"mode": visit_domain.MODE_LABELS, "status": visit_domain.STATUS_LABELS}}
    # Note-takers: the evaluations they are assigned to; district staff: their own.
    return {"evaluations": await rounds.evaluations_for(user), "action": action}

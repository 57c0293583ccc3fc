"""Who may move a gap where: the district answers, the team decides; each from the statuses
it starts from, and nothing else."""

from __future__ import annotations

import pytest

from fieldvisit.errors import Forbidden, RuleViolation
from fieldvisit.gaps.domain import Action, EventKind, next_step
from fieldvisit.reconcile.domain import GapStatus

DISTRICT = {"may_judge": False, "is_district": True}
TEAM = {"may_judge": True, "is_district": False}


@pytest.mark.parametrize(("action", "status", "who", "to", "event"), [
    (Action.RESPOND, "open", DISTRICT, GapStatus.RESPONDED, EventKind.RESPONDED),
    (Action.RESPOND, "rejected", DISTRICT, GapStatus.RESPONDED, EventKind.RESPONDED),
    (Action.RESPOND, "more_info", DISTRICT, GapStatus.RESPONDED, EventKind.RESPONDED),
    (Action.RESPOND, "responded", DISTRICT, GapStatus.RESPONDED, EventKind.RESPONDED),  # adds to its answer
    (Action.ACCEPT, "responded", TEAM, GapStatus.ACCEPTED, EventKind.ACCEPTED),
    (Action.REJECT, "responded", TEAM, GapStatus.REJECTED, EventKind.REJECTED),
    (Action.MORE_INFO, "responded", TEAM, GapStatus.MORE_INFO, EventKind.MORE_INFO),
    (Action.CLOSE, "open", TEAM, GapStatus.CLOSED, EventKind.CLOSED),
    (Action.CLOSE, "responded", TEAM, GapStatus.CLOSED, EventKind.CLOSED),
    (Action.CLOSE, "more_info", TEAM, GapStatus.CLOSED, EventKind.CLOSED),
])
def test_allowed_steps(action, status, who, to, event):
    step = next_step(action, status, **who)
    assert (step.status, step.event) == (to, event)


@pytest.mark.parametrize(("action", "status", "who", "error"), [
    (Action.ACCEPT, "responded", DISTRICT, Forbidden),  # only the team decides
    (Action.CLOSE, "open", DISTRICT, Forbidden),
    (Action.REJECT, "responded", DISTRICT, Forbidden),
    (Action.RESPOND, "open", TEAM, Forbidden),  # the team does not answer for the district
    (Action.ACCEPT, "open", TEAM, RuleViolation),  # nothing to accept yet
    (Action.REJECT, "open", TEAM, RuleViolation),
    (Action.MORE_INFO, "rejected", TEAM, RuleViolation),
    (Action.ACCEPT, "accepted", TEAM, RuleViolation),
    (Action.CLOSE, "closed", TEAM, RuleViolation),
    (Action.CLOSE, "resolved", TEAM, RuleViolation),  # settled by reconciliation
    (Action.RESPOND, "accepted", DISTRICT, RuleViolation),
    (Action.RESPOND, "orphaned", DISTRICT, RuleViolation),
    (Action.RESPOND, "resolved", DISTRICT, RuleViolation),
])
def test_refused_steps(action, status, who, error):
    with pytest.raises(error):
        next_step(action, status, **who)

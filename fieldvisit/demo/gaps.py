"""Demo gaps in Kota Tangerang: the birth-certificate indicator (I04, claimed 92.5 %) verified at
83.0 % (a value mismatch, left open for the district), reconciliation of the demo visit
(contradicted, partly met), the district's answer to the contradicted gap (waiting for
the verifier), and the partly-met gap answered and accepted by the demo verifier (closed).

Goes through the same queries as the app (timeline and audit log included). Nothing without the
evaluation, its demo visit or the two demo users. Idempotent: once the district has answered, a
second run changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.accounts.tables import User
from fieldvisit.demo import visits as demo_visits
from fieldvisit.errors import NotFound
from fieldvisit.gaps import queries
from fieldvisit.gaps.domain import Action
from fieldvisit.reconcile import queries as reconcile
from fieldvisit.verifications import queries as verifications
from fieldvisit.verifications.forms import VerificationInput

DISTRICT_USER = "tangerang@demo.fieldvisit.id"
ANSWERS = {
    "contradicted": "Psikolog dari RSUD Kota Tangerang bertugas di Puspaga setiap Selasa dan Kamis sejak Maret; "
                    "SK penugasan menyusul.",
    "partial": "Catatan sesi Januari sampai Juni sudah dipindai dan diunggah ke sistem Puspaga.",
}


async def _user(email: str, role: Role) -> CurrentUser | None:
    row = await User.select(User.id, User.email, User.name, User.district).where(User.email == email).first()
    if row is None:
        return None
    return CurrentUser(row["id"], row["email"], row["name"], role, row["district"], None, None, None, False, 0)


async def load() -> list[str]:
    evaluation = await demo_visits._evaluation()  # noqa: SLF001 - the same evaluation the demo visits use
    district = await _user(DISTRICT_USER, Role.DISTRICT)
    verifier = await _user(demo_visits.VERIFIER, Role.VERIFIER)
    if evaluation is None or district is None or verifier is None:
        return []
    if await db.raw_rows(
            "SELECT 1 AS yes FROM gap_event e JOIN gap g ON g.id = e.gap WHERE g.district_evaluation = {} "
            "AND e.kind = {}", evaluation["id"], "responded"):
        return []
    now = datetime.now(UTC)
    try:
        view = await verifications.claim_for_user(verifier, evaluation["id"], "I04")
    except NotFound:  # the demo evaluation without its indicator claims
        view = None
    if view is not None and view.current is None:
        await verifications.record_verification(verifier, view, VerificationInput(
            Decimal("83.0"), "Data Disdukcapil Kota Tangerang per 30 April 2025", []), [], now=now)
    await reconcile.reconcile_evaluation(evaluation["id"], now=now)
    gaps: dict[str, Any] = {r["rule"]: r["id"] for r in await db.raw_rows(
        "SELECT id, rule FROM gap WHERE district_evaluation = {} AND status = {} AND visible_to_district = {} "
        "ORDER BY id DESC", evaluation["id"], "open", True)}
    if "contradicted" not in gaps:
        return []
    district_access = await queries.gap_access(district, evaluation["id"])
    verifier_access = await queries.gap_access(verifier, evaluation["id"])
    lines = []
    for rule, text in ANSWERS.items():
        if rule in gaps:
            await queries.respond(district, gaps[rule], district_access, text, [], now=now)
    lines.append("Demo gaps: Kota Tangerang answered its contradicted gap (waiting for the verifier).")
    if "partial" in gaps:
        await queries.decide(verifier, gaps["partial"], verifier_access, Action.ACCEPT, "", now=now)
        lines.append("Demo gaps: the verifier accepted the answer to the partly met gap.")
    return lines

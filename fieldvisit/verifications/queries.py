"""Indicator verifications: load an indicator claim with its verification versions for the
user asking, and append a new version.

Who (KLA.md): admins and the verifiers on the team record verified values; the note-takers on
the team and the district's own staff see them read-only (the verified value is the evidence
behind a value-mismatch gap, which the district sees and answers); anyone else gets NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.audit import queries as audit
from fieldvisit.claims.tables import IndicatorVerification
from fieldvisit.errors import Forbidden, NotFound
from fieldvisit.reconcile.domain import Tolerance, verification_factor
from fieldvisit.reconcile.queries import (
    Evaluation,
    as_datetime,
    as_decimal,
    json_value,
    load_meta,
    raw_rows,
)
from fieldvisit.verifications.forms import VerificationInput


@dataclass(frozen=True)
class ClaimView:
    evaluation: Evaluation
    claim: dict[str, Any]  # the indicator claim with its catalogue names
    versions: list[dict[str, Any]]  # newest first
    may_verify: bool
    tolerance: Tolerance

    @property
    def factor(self) -> tuple[Decimal | None, bool | None]:
        """(VF, inside the tolerance) of the current version; (None, None) without one."""
        current, claimed = self.current, self.claim["value"]
        if current is None or claimed is None:
            return None, None
        vf, inside = verification_factor(claimed, current["verified_value"], self.tolerance)
        return vf, inside

    @property
    def current(self) -> dict[str, Any] | None:
        return self.versions[0] if self.versions else None


def _may_see(user: CurrentUser, evaluation: Evaluation) -> bool:
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.DISTRICT:
        return user.district_id == evaluation.district_id
    return evaluation.assigned  # verifiers and note-takers on the team


async def claim_for_user(user: CurrentUser, evaluation_id: int, indicator_code: str) -> ClaimView:
    """The indicator claim (not withdrawn) and its verification versions; NotFound if the
    user may not see the evaluation or there is no such claim."""
    team_role = user.role in (Role.VERIFIER, Role.NOTETAKER)
    evaluation = await load_meta(evaluation_id, user_id=user.id if team_role else None)
    if evaluation is None or not _may_see(user, evaluation):
        raise NotFound()
    rows = await raw_rows(
        "SELECT c.id, c.indicator_code, c.value_kind, c.value, c.unit, c.claimed_score, c.max_score, c.documents, "
        "i.short_id, i.name_id, i.name_en FROM indicator_claim c LEFT JOIN catalogue_indicator i "
        "ON i.code = c.indicator_code AND i.version = {} "
        "WHERE c.district_evaluation = {} AND c.indicator_code = {} AND c.deleted_at IS NULL",
        evaluation.catalogue_version_id, evaluation_id, indicator_code.upper())
    if not rows:
        raise NotFound()
    claim = rows[0]
    claim["documents"] = json_value(claim["documents"]) or []
    for key in ("value", "claimed_score", "max_score"):
        claim[key] = as_decimal(claim[key])
    may_verify = user.role is Role.ADMIN or user.role is Role.VERIFIER
    band = await raw_rows("SELECT low, high FROM indicator_tolerance WHERE round = {} AND indicator_code = {}",
                          evaluation.round_id, claim["indicator_code"])
    tolerance = Tolerance(claim["indicator_code"], as_decimal(band[0]["low"]) or Decimal("0.90"),
                          as_decimal(band[0]["high"]) or Decimal("1.10")) if band else Tolerance(claim["indicator_code"])
    return ClaimView(evaluation, claim, await versions(evaluation_id, claim["indicator_code"]), may_verify, tolerance)


async def versions(evaluation_id: int, indicator_code: str) -> list[dict[str, Any]]:
    rows = await raw_rows(
        "SELECT v.id, v.version, v.verified_value, v.note, v.documents, v.source, v.verified_at, "
        "u.name AS verified_by_name FROM indicator_verification v JOIN app_user u ON u.id = v.verified_by "
        "WHERE v.district_evaluation = {} AND v.indicator_code = {} ORDER BY v.version DESC",
        evaluation_id, indicator_code)
    for r in rows:
        r["verified_value"] = as_decimal(r["verified_value"])
        r["verified_at"] = as_datetime(r["verified_at"])
        r["documents"] = json_value(r["documents"]) or []
    return rows


async def record_verification(user: CurrentUser, view: ClaimView, data: VerificationInput,
                              stored: list[dict[str, Any]], *, now: datetime, ip: str = "") -> int:
    """Append the next version. ``stored``: the documents already put in the blob store
    ({title, blob_key, content_type, size_bytes, sha256}); links come from ``data``.
    Versions are numbered under a lock on the claim, so two saves at once never collide."""
    if not view.may_verify:
        raise Forbidden()
    claim = view.claim
    async with db.transaction():
        if isinstance(db.engine(), PostgresEngine):
            await raw_rows("SELECT id FROM indicator_claim WHERE id = {} FOR UPDATE", claim["id"])
        last = await raw_rows("SELECT MAX(version) AS v FROM indicator_verification "
                              "WHERE district_evaluation = {} AND indicator_code = {}",
                              view.evaluation.id, claim["indicator_code"])
        version = int(last[0]["v"] or 0) + 1
        previous = view.current
        [row] = await IndicatorVerification.insert(IndicatorVerification(
            district_evaluation=view.evaluation.id, indicator_code=claim["indicator_code"], version=version,
            verified_value=data.value, note=data.note, documents=[*data.links, *stored], source="verifier",
            verified_by=user.id, verified_at=now,
        )).returning(IndicatorVerification.id)
        await audit.record(
            user, "indicator_verification.create", object_type="indicator_claim", object_id=claim["id"],
            district_id=view.evaluation.district_id, ip=ip,
            before={"version": previous["version"], "verified_value": str(previous["verified_value"])}
            if previous else None,
            after={"version": version, "indicator_code": claim["indicator_code"], "verified_value": str(data.value),
                   "documents": len(data.links) + len(stored)},
        )
    return int(row["id"])


async def document_for_user(user: CurrentUser, evaluation_id: int, verification_id: int,
                            index: int) -> dict[str, Any]:
    """A stored document of a verification version, for someone who may see the claim."""
    rows = await raw_rows("SELECT indicator_code, documents FROM indicator_verification "
                          "WHERE id = {} AND district_evaluation = {}", verification_id, evaluation_id)
    if not rows:
        raise NotFound()
    await claim_for_user(user, evaluation_id, rows[0]["indicator_code"])
    documents = json_value(rows[0]["documents"]) or []
    if not 0 <= index < len(documents) or not documents[index].get("blob_key"):
        raise NotFound()
    return documents[index]  # type: ignore[no-any-return]


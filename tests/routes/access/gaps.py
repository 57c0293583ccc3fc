"""Reconciliation, indicator verification and gaps: dashboard, reconcile now, verify, documents,
gap list, gap page."""

from datetime import UTC, datetime

from fieldvisit import db
from fieldvisit.gaps.tables import GapAttachment, GapEvent
from fieldvisit.reconcile import queries
from fieldvisit.settings import Settings
from fieldvisit.storage.base import make_store, new_key
from tests.routes.access import PERSONAS, admin_only, only
from tests.support import make_indicator_claim
from tests.support_reconcile import make_verification


def team_and_district(denied_to_notetaker: str = "404") -> dict[str, str]:
    return {**only("admin", "verifier", "tangerang"), "notetaker": denied_to_notetaker}


ROWS = {
    ("GET", "/evaluations/{evaluation_id}/dashboard"): only("admin", "verifier"),
    ("POST", "/evaluations/{evaluation_id}/reconcile"): only("admin", "verifier"),
    # note-takers of the team and the district's staff read the verified value; only the team's
    # verifiers (and admins) record one: the others see the page, so saving is 403
    ("GET", "/evaluations/{evaluation_id}/indicators/{indicator_code}/verify"):
        only("admin", "verifier", "notetaker", "tangerang"),
    ("POST", "/evaluations/{evaluation_id}/indicators/{indicator_code}/verify"):
        {**only("admin", "verifier"), "notetaker": "403", "tangerang": "403"},
    ("GET", "/evaluations/{evaluation_id}/verifications/{verification_id}/documents/{document_index}"):
        only("admin", "verifier", "notetaker", "tangerang"),
    # gaps: the team's verifiers and admins see all, the district its own; note-takers none
    ("GET", "/evaluations/{evaluation_id}/gaps"): team_and_district(),
    ("GET", "/gaps/{gap_id}"): team_and_district(),
    # the district answers (the team does not answer for it: 403); the team decides (the
    # district, which sees the gap, gets 403 there)
    ("POST", "/gaps/{gap_id}/respond"): {**only("tangerang"), "admin": "403", "verifier": "403"},
    ("POST", "/gaps/{gap_id}/decide"): {**only("admin", "verifier"), "tangerang": "403"},
    ("POST", "/gaps/{gap_id}/due"): {**only("admin", "verifier"), "tangerang": "403"},
    ("POST", "/evaluations/{evaluation_id}/gaps/bulk"): {**only("admin", "verifier"), "tangerang": "403"},
    ("GET", "/gap-attachments/{attachment_id}"): team_and_district(),
    ("GET", "/evaluations/{evaluation_id}/gaps.csv"): team_and_district(),
    ("GET", "/evaluations/{evaluation_id}/gaps.xlsx"): team_and_district(),
    ("GET", "/evaluations/{evaluation_id}/report"): only("admin", "verifier"),
    # a whole round's gaps, every kab/kota: admins only
    ("GET", "/admin/rounds/{round_id}/gaps.csv"): admin_only(),
    ("GET", "/admin/rounds/{round_id}/gaps.xlsx"): admin_only(),
}
assert all(set(row) == set(PERSONAS) for row in ROWS.values())


async def params(world):
    """Tangerang's I04 claim (92.5 %) verified at 83.0 % with a PDF in the blob store, and the
    value-mismatch gap that follows (visible to the district)."""
    await make_indicator_claim(world.tangerang_evaluation, "I04", "38", value="92.5", kind="percent", unit="%")
    key = new_key("document")
    await make_store(Settings.from_env()).put(key, b"%PDF-1.4 test", "application/pdf")
    verification = await make_verification(world.tangerang_evaluation, "I04", "83.0", verified_by=world.verifier.id,
                                           documents=[{"title": "akta.pdf", "blob_key": key,
                                                       "content_type": "application/pdf"}])
    await queries.reconcile_evaluation(world.tangerang_evaluation, now=datetime.now(UTC))
    [gap] = await db.raw_rows("SELECT id FROM gap WHERE rule = 'value_mismatch'")
    answer_key = new_key("gapfile")
    await make_store(Settings.from_env()).put(answer_key, b"%PDF-1.4 answer", "application/pdf")
    event = await GapEvent.insert(GapEvent(gap=gap["id"], kind="responded", actor=world.tangerang.id,
                                           text="Data terlampir", status_before="open", status_after="responded"))
    attachment = await GapAttachment.insert(GapAttachment(
        event=event[0]["id"], kind="document", blob_key=answer_key, file_name="jawaban.pdf",
        content_type="application/pdf", size_bytes=15, uploaded_by=world.tangerang.id))
    return {"attachment_id": attachment[0]["id"], "evaluation_id": world.tangerang_evaluation, "indicator_code": "I04", "verification_id": verification,
            "document_index": 0, "gap_id": gap["id"]}

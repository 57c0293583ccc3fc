"""The findings of a district evaluation (or of a whole round, for admins) as CSV and XLSX, in
the reader's language, streamed a batch at a time (``fieldvisit.web.spreadsheet``).

One row per finding, its current version: site, site type, checklist item, result, note, how it
was made (video, on site with or without a location), the number of photos, who saved it and
when. Never GPS coordinates, photo blob keys or originals: the privacy export policy
(``privacy.domain.export_scope``) grants those only to an admin who asks, and this export asks
for neither. Whether a check-in recorded a location is shown only to those who may see GPS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fieldvisit.reconcile.queries import as_datetime
from fieldvisit.visits import domain, queries
from fieldvisit.web.i18n import N_, current_language
from fieldvisit.web.spreadsheet import neutralise, plain_time, with_first_column

BATCH = 1000

COLUMNS = (
    N_("Site code"), N_("Site"), N_("Site type"), N_("Item code"), N_("Checklist item"), N_("Result"), N_("Note"),
    N_("How it was verified"), N_("Number of photos"), N_("Verifier"), N_("Saved at (UTC)"),
)
ROUND_COLUMNS = (N_("Kab/kota"), *COLUMNS)


def cells(finding: dict[str, Any], *, may_see_location: bool, lang: str) -> list[Any]:
    """One finding's row, labels in ``lang`` (the reader's)."""
    english = lang == "en"
    row = [
        finding["site_code"], finding["site_name"],
        (finding["site_type_en"] if english else finding["site_type_id"]) or finding["site_type"],
        finding["item_code"], (finding["text_en"] if english else finding["text_id"]) or "",
        domain.label(domain.RESULT_LABELS, finding["result"]), finding["note"] or "",
        domain.provenance_label(domain.provenance(finding["mode"], bool(finding["located"]),
                                                  may_see_location=may_see_location)),
        int(finding["photos"] or 0), finding["saved_by_name"], plain_time(as_datetime(finding["saved_at"])),
    ]
    return [neutralise(c) for c in row]


async def rows(evaluation: dict[str, Any], *, may_see_location: bool) -> AsyncIterator[list[Any]]:
    """An evaluation's current findings, a batch at a time (keyset by id)."""
    after = 0
    while True:
        batch = await queries.findings_for_export(evaluation, after_id=after, limit=BATCH)
        if not batch:
            return
        lang = current_language()
        for finding in batch:
            yield cells(finding, may_see_location=may_see_location, lang=lang)
        after = batch[-1]["id"]


async def round_rows(evaluations: AsyncIterator[dict[str, Any]]) -> AsyncIterator[list[Any]]:
    """Every finding of a round (admins, who may see locations), kab/kota first."""
    async for evaluation in evaluations:
        async for row in with_first_column(evaluation["district_name"], rows(evaluation, may_see_location=True)):
            yield row

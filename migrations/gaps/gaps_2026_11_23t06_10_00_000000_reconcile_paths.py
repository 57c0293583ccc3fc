"""Hand-written: the read paths of reconciliation and of its background worker.

- photo counts per (evaluation, visit, item) and reused-photo lookups by dHash band
  (expression indexes, same SQL on both engines);
- "what changed since" polls: one index per change timestamp, so a poll reads only the
  recent rows, never a whole table.
"""

from fieldvisit.db import raw_migration

ID = "2026-11-23T06:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reconciliation read paths"

forwards = raw_migration("gaps", ID, DESCRIPTION, [
    "CREATE INDEX IF NOT EXISTS photo_evaluation_visit_item ON photo (district_evaluation, visit, item_code)",
    *[f"CREATE INDEX IF NOT EXISTS photo_phash_band_{n} ON photo (substr(phash, {start}, 4))"
      for n, start in enumerate((1, 5, 9, 13), start=1)],
    "CREATE INDEX IF NOT EXISTS finding_saved_at ON finding (saved_at)",
    "CREATE INDEX IF NOT EXISTS photo_uploaded_at ON photo (uploaded_at)",
    "CREATE INDEX IF NOT EXISTS indicator_claim_updated_at ON indicator_claim (updated_at)",
    "CREATE INDEX IF NOT EXISTS indicator_claim_deleted_at ON indicator_claim (deleted_at)",
    "CREATE INDEX IF NOT EXISTS site_item_claim_updated_at ON site_item_claim (updated_at)",
    "CREATE INDEX IF NOT EXISTS site_item_claim_deleted_at ON site_item_claim (deleted_at)",
    "CREATE INDEX IF NOT EXISTS indicator_verification_verified_at ON indicator_verification (verified_at)",
    "CREATE INDEX IF NOT EXISTS visit_submitted_at ON visit (submitted_at)",
    "CREATE INDEX IF NOT EXISTS visit_checked_in_at ON visit (checked_in_at)",
    "CREATE INDEX IF NOT EXISTS gap_site ON gap (site)",
])

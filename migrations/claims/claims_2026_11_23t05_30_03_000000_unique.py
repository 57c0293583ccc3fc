"""Hand-written: composite unique indexes (both engines)."""

from fieldvisit.db import raw_migration

ID = "2026-11-23T05:30:03:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique indexes"

forwards = raw_migration("claims", ID, DESCRIPTION, [
    "CREATE UNIQUE INDEX IF NOT EXISTS indicator_claim_evaluation_indicator_uniq ON indicator_claim (district_evaluation, indicator_code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS site_item_claim_evaluation_site_item_uniq ON site_item_claim (district_evaluation, site, item_code)",
])

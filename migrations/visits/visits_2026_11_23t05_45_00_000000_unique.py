"""Hand-written: composite unique indexes (both engines) and the read path of current findings."""

from fieldvisit.db import raw_migration

ID = "2026-11-23T05:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique indexes"

forwards = raw_migration("visits", ID, DESCRIPTION, [
    "CREATE UNIQUE INDEX IF NOT EXISTS visit_member_uniq ON visit_member (visit, \"user\")",
    "CREATE UNIQUE INDEX IF NOT EXISTS finding_version_uniq ON finding (visit, item_code, version)",
    "CREATE INDEX IF NOT EXISTS finding_evaluation_site_item ON finding (district_evaluation, site, item_code)",
    "CREATE INDEX IF NOT EXISTS visit_evaluation_site ON visit (district_evaluation, site)",
])

"""Hand-written: indicator verification versions are unique."""

from fieldvisit.db import raw_migration

ID = "2026-11-23T05:50:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "indicator verification versions"

forwards = raw_migration("claims", ID, DESCRIPTION, [
    "CREATE UNIQUE INDEX IF NOT EXISTS indicator_verification_version_uniq "
    "ON indicator_verification (district_evaluation, indicator_code, version)",
])

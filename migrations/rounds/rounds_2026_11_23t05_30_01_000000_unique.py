"""Hand-written: composite unique indexes (both engines)."""

from fieldvisit.db import raw_migration

ID = "2026-11-23T05:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique indexes"

forwards = raw_migration("rounds", ID, DESCRIPTION, [
    "CREATE UNIQUE INDEX IF NOT EXISTS district_evaluation_round_district_uniq ON district_evaluation (round, district)",
    "CREATE UNIQUE INDEX IF NOT EXISTS assignment_member_uniq ON assignment (district_evaluation, \"user\")",
    "CREATE UNIQUE INDEX IF NOT EXISTS indicator_tolerance_round_indicator_uniq ON indicator_tolerance (round, indicator_code)",
])

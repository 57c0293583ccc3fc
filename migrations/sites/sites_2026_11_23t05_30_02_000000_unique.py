"""Hand-written: composite unique indexes (both engines)."""

from fieldvisit.db import raw_migration

ID = "2026-11-23T05:30:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique indexes"

forwards = raw_migration("sites", ID, DESCRIPTION, [
    "CREATE UNIQUE INDEX IF NOT EXISTS site_district_code_uniq ON site (district, code)",
])

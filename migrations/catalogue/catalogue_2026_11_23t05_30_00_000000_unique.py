"""Hand-written: composite unique indexes (both engines)."""

from fieldvisit.db import raw_migration

ID = "2026-11-23T05:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique indexes"

forwards = raw_migration("catalogue", ID, DESCRIPTION, [
    "CREATE UNIQUE INDEX IF NOT EXISTS catalogue_cluster_version_code_uniq ON catalogue_cluster (version, code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS catalogue_indicator_version_code_uniq ON catalogue_indicator (version, code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS catalogue_predicate_version_code_uniq ON catalogue_predicate (version, code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS catalogue_site_type_version_code_uniq ON catalogue_site_type (version, code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS catalogue_checklist_item_version_code_uniq ON catalogue_checklist_item (version, code)",
])

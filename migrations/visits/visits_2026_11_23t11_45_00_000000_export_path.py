"""Hand-written: the findings export pages through one evaluation's findings by id."""

from fieldvisit.db import raw_migration

ID = "2026-11-23T11:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "findings export path"

forwards = raw_migration("visits", ID, DESCRIPTION, [
    "CREATE INDEX IF NOT EXISTS finding_evaluation_id ON finding (district_evaluation, id)",
])

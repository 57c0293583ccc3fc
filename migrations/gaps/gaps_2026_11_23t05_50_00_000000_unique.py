"""Hand-written: the gap's stable identity, and read paths."""

from fieldvisit.db import raw_migration

ID = "2026-11-23T05:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "gap identity"

forwards = raw_migration("gaps", ID, DESCRIPTION, [
    "CREATE UNIQUE INDEX IF NOT EXISTS gap_identity_uniq ON gap (district_evaluation, rule, subject)",
    "CREATE INDEX IF NOT EXISTS gap_evaluation_status ON gap (district_evaluation, status)",
    "CREATE INDEX IF NOT EXISTS gap_event_gap ON gap_event (gap, at)",
])

"""Hand-written: an overdue gap is e-mailed to one person at most once a day. The unique index
is what makes a second (or a parallel) `fieldvisit remind-overdue` skip it."""

from fieldvisit.db import raw_migration

ID = "2026-11-23T11:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "gap reminder once a day"

forwards = raw_migration("gaps", ID, DESCRIPTION, [
    "CREATE UNIQUE INDEX IF NOT EXISTS gap_reminder_once_a_day ON gap_reminder (gap, \"user\", sent_on)",
])

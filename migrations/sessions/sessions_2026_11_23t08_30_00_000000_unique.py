"""Hand-written: one number per note in a session, one member per user, one video visit per
session and site, and the live feed's read paths."""

from fieldvisit.db import raw_migration

ID = "2026-11-23T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "session unique indexes"

forwards = raw_migration("sessions", ID, DESCRIPTION, [
    "CREATE UNIQUE INDEX IF NOT EXISTS session_note_number_uniq ON session_note (session, number)",
    "CREATE INDEX IF NOT EXISTS session_note_changed ON session_note (session, changed_seq)",
    "CREATE UNIQUE INDEX IF NOT EXISTS session_member_uniq ON session_member (session, \"user\")",
    "CREATE UNIQUE INDEX IF NOT EXISTS session_visit_uniq ON session_visit (session, site)",
    "CREATE INDEX IF NOT EXISTS hybrid_session_evaluation ON hybrid_session (district_evaluation)",
])

"""Hand-written: the uploaded file is stored as the app gives it (zlib-compressed already: pglz
on top would only cost time)."""

from fieldvisit.db import raw_migration

ID = "2026-11-23T06:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "import file stored without compression"

forwards = raw_migration("imports", ID, DESCRIPTION, [], postgres_only=[
    "ALTER TABLE import_batch ALTER COLUMN content SET STORAGE EXTERNAL",
])

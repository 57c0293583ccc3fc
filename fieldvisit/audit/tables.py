from piccolo.columns import JSON, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from fieldvisit.accounts.tables import User
from fieldvisit.regions.tables import Region


class AuditEvent(Table, tablename="audit_event"):
    """Append-only: a database trigger refuses UPDATE and DELETE."""

    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    actor_email = Varchar(length=254, default="")  # kept as written, also for failed logins
    action = Varchar(length=64, index=True)  # e.g. user.create, login.failed
    object_type = Varchar(length=32, default="")
    object_id = Varchar(length=64, default="")
    district = ForeignKey(references=Region, null=True, on_delete=OnDelete.restrict)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    reason = Text(default="")
    ip = Varchar(length=45, default="")

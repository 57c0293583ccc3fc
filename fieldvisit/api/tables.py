from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from fieldvisit.accounts.tables import User


class ApiClient(Table, tablename="api_client"):
    """A program allowed to call /api/v1; the token is shown once, only its sha256 is kept."""

    name = Varchar(length=120)
    token_hash = Varchar(length=64, unique=True, index=True)
    token_hint = Varchar(length=12, default="")  # the first characters, to tell tokens apart
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)

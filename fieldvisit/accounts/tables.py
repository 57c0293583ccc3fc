from piccolo.columns import Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from fieldvisit.regions.tables import Region


class User(Table, tablename="app_user"):
    email = Varchar(length=254, unique=True, index=True)  # stored lower-case
    name = Varchar(length=200)
    role = Varchar(length=16)  # accounts.domain.Role
    district = ForeignKey(references=Region, null=True, on_delete=OnDelete.restrict)  # district staff only
    password_hash = Varchar(length=200)
    must_change_password = Boolean(default=True)
    is_active = Boolean(default=True)
    language = Varchar(length=2, null=True, default=None)  # id | en | None (follow the browser)
    created_at = Timestamptz(default=TimestamptzNow())


class UserSession(Table, tablename="user_session"):
    """A login; the cookie holds a random token, the table only its sha256."""

    token_hash = Varchar(length=64, unique=True, index=True)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    ip = Varchar(length=45, default="")
    user_agent = Varchar(length=300, default="")


class LoginAttempt(Table, tablename="login_attempt"):
    """Failed logins, for throttling by account and by client address."""

    email = Varchar(length=254, index=True)
    ip = Varchar(length=45, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)

"""Pure rules of accounts: roles, passwords, login throttling. No I/O, no clock."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fieldvisit.web.i18n import N_, _


class Role(enum.StrEnum):
    ADMIN = "admin"
    VERIFIER = "verifier"
    NOTETAKER = "notetaker"
    DISTRICT = "district"

    @property
    def label(self) -> str:
        return _(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: N_("Admin (evaluation coordinator)"),
    Role.VERIFIER: N_("Verifier"),
    Role.NOTETAKER: N_("Note-taker"),
    Role.DISTRICT: N_("District staff"),
}


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user as every request sees it."""

    id: int
    email: str
    name: str
    role: Role
    district_id: int | None
    district_code: str | None
    district_name: str | None
    language: str | None
    must_change_password: bool
    session_id: int

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_verifier(self) -> bool:
        return self.role is Role.VERIFIER

    @property
    def is_notetaker(self) -> bool:
        return self.role is Role.NOTETAKER

    @property
    def is_district(self) -> bool:
        return self.role is Role.DISTRICT


# --- passwords -------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)
# Verified when the email is unknown, so both paths cost the same time.
DUMMY_HASH = _hasher.hash("not a real password, timing only")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(n)d characters.") % {"n": MIN_PASSWORD_LENGTH}
    if len(password) > 200:
        return _("Use at most 200 characters.")
    if email and password.lower() == email.lower():
        return _("Do not use your email address as the password.")
    return None


def temporary_password() -> str:
    """Readable, 12 characters, ~60 bits: handed over once, changed at first login."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def looks_like_email(email: str) -> bool:
    local, _sep, domain = email.partition("@")
    return bool(local) and "." in domain and " " not in email and len(email) <= 254


# --- throttling --------------------------------------------------------------------


def retry_after(failures: list[datetime], *, limit: int, window: timedelta, now: datetime) -> datetime | None:
    """When the next login may be tried, if ``failures`` (times within the window) reach the limit.

    The lock lifts when the oldest of the last ``limit`` failures leaves the window.
    """
    recent = sorted(t for t in failures if now - t < window)
    if len(recent) < limit:
        return None
    return recent[-limit] + window


def session_expired(*, created_at: datetime, last_seen_at: datetime, now: datetime,
                    idle: timedelta, max_age: timedelta) -> bool:
    return now - last_seen_at >= idle or now - created_at >= max_age

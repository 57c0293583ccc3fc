"""Every query of accounts. Reads for admin pages check the viewer is an admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread

from fieldvisit import db
from fieldvisit.accounts import domain
from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.accounts.tables import LoginAttempt, User, UserSession
from fieldvisit.audit import queries as audit
from fieldvisit.errors import NotFound, RuleViolation, TooManyRequests
from fieldvisit.regions.tables import Region
from fieldvisit.settings import Settings
from fieldvisit.web.i18n import _

# A session's last_seen_at is written at most this often (not on every request).
TOUCH_EVERY = timedelta(minutes=5)


# The one query every request runs. Written as SQL: building it with Piccolo's joins costs
# ~2 ms of Python per request (measured with pyinstrument), more than the query itself.
SESSION_SQL = """
SELECT s.id, s.created_at, s.last_seen_at, u.id AS user_id, u.email, u.name, u.role, u.is_active,
       u.language, u.must_change_password, r.id AS district_id, r.code AS district_code,
       r.name AS district_name
FROM user_session s JOIN app_user u ON u.id = s."user" LEFT JOIN region r ON r.id = u.district
WHERE s.token_hash = {}
LIMIT 1
"""


async def user_for_session(token: str, *, now: datetime, settings: Settings) -> CurrentUser | None:
    rows = await db.raw_rows(SESSION_SQL, domain.token_hash(token))
    if not rows:
        return None
    row = rows[0]
    for key in ("created_at", "last_seen_at"):  # SQLite gives text for a raw query
        if isinstance(row[key], str):
            row[key] = datetime.fromisoformat(row[key])
    row["is_active"], row["must_change_password"] = bool(row["is_active"]), bool(row["must_change_password"])
    if not row["is_active"] or domain.session_expired(
        created_at=row["created_at"], last_seen_at=row["last_seen_at"], now=now,
        idle=timedelta(minutes=settings.session_idle_minutes), max_age=timedelta(hours=settings.session_max_hours),
    ):
        await UserSession.delete().where(UserSession.id == row["id"])
        return None
    if now - row["last_seen_at"] >= TOUCH_EVERY:
        await UserSession.update({UserSession.last_seen_at: now}).where(UserSession.id == row["id"])
    return CurrentUser(
        id=row["user_id"], email=row["email"], name=row["name"], role=Role(row["role"]),
        district_id=row["district_id"], district_code=row["district_code"], district_name=row["district_name"],
        language=row["language"], must_change_password=row["must_change_password"], session_id=row["id"],
    )


@dataclass(frozen=True)
class LoginResult:
    token: str
    user_id: int
    must_change_password: bool
    language: str | None


async def login(
    email: str, password: str, *, ip: str, user_agent: str, now: datetime, settings: Settings,
    old_session_id: int | None = None,
) -> LoginResult:
    """Check throttles and credentials; on success a new session (the old one is dropped)."""
    email = domain.normalise_email(email)
    window = timedelta(minutes=settings.login_window_minutes)
    since = now - window
    by_account = await LoginAttempt.select(LoginAttempt.at).where(
        (LoginAttempt.email == email) & (LoginAttempt.at > since)
    )
    by_address = await LoginAttempt.select(LoginAttempt.at).where((LoginAttempt.ip == ip) & (LoginAttempt.at > since))
    for failures, limit in ((by_account, settings.login_max_failures),
                            (by_address, settings.login_max_failures_per_address)):
        until = domain.retry_after([r["at"] for r in failures], limit=limit, window=window, now=now)
        if until is not None:
            raise TooManyRequests(
                _("Too many failed logins. Try again after %(time)s.") % {"time": until.strftime("%H:%M UTC")},
                title=_("Too many attempts"), retry_after=max(1, int((until - now).total_seconds())),
            )
    found = await User.select(User.id, User.password_hash, User.is_active, User.must_change_password,
                              User.language).where(User.email == email).first()
    ok = await anyio.to_thread.run_sync(
        domain.verify_password, found["password_hash"] if found else domain.DUMMY_HASH, password
    )
    if not found or not ok:
        async with db.transaction():
            await LoginAttempt.insert(LoginAttempt(email=email, ip=ip, at=now))
            await audit.record(None, "login.failed", actor_email=email, ip=ip, object_type="user",
                               object_id=found["id"] if found else "")
        raise RuleViolation(_("The email or the password is wrong."), title=_("Could not sign in"))
    if not found["is_active"]:
        raise RuleViolation(_("This account is disabled. Ask your evaluation coordinator."),
                            title=_("Could not sign in"))
    token = domain.new_session_token()
    async with db.transaction():
        if old_session_id is not None:
            await UserSession.delete().where(UserSession.id == old_session_id)
        await UserSession.insert(UserSession(
            token_hash=domain.token_hash(token), user=found["id"], created_at=now, last_seen_at=now,
            ip=ip, user_agent=user_agent[:300],
        ))
        await LoginAttempt.delete().where(LoginAttempt.email == email)
        await audit.record(None, "login", actor_email=email, ip=ip, object_type="user", object_id=found["id"])
    return LoginResult(token, found["id"], found["must_change_password"], found["language"])


async def logout(user: CurrentUser) -> None:
    async with db.transaction():
        await UserSession.delete().where(UserSession.id == user.session_id)
        await audit.record(user, "logout", object_type="user", object_id=user.id)


async def change_password(user: CurrentUser, current: str, new: str) -> None:
    row = await User.select(User.password_hash).where(User.id == user.id).first()
    if row is None:
        raise NotFound()
    if not await anyio.to_thread.run_sync(domain.verify_password, row["password_hash"], current):
        raise RuleViolation(_("The current password is wrong."))
    new_hash = await anyio.to_thread.run_sync(domain.hash_password, new)
    async with db.transaction():
        await User.update({User.password_hash: new_hash, User.must_change_password: False}).where(User.id == user.id)
        # Other logins of this user end; this one stays.
        await UserSession.delete().where((UserSession.user == user.id) & (UserSession.id != user.session_id))
        await audit.record(user, "user.password_change", object_type="user", object_id=user.id)


async def set_language(user: CurrentUser, language: str | None) -> None:
    await User.update({User.language: language}).where(User.id == user.id)


# --- administration ----------------------------------------------------------------


def _require_admin(viewer: CurrentUser) -> None:
    if not viewer.is_admin:
        raise NotFound()


USER_COLUMNS = (
    User.id, User.email, User.name, User.role, User.is_active, User.must_change_password, User.language,
    User.created_at, User.district.id.as_alias("district_id"), User.district.code.as_alias("district_code"),
    User.district.name.as_alias("district_name"),
)


async def list_users(viewer: CurrentUser, *, search: str = "", role: str = "") -> list[dict[str, Any]]:
    _require_admin(viewer)
    query = User.select(*USER_COLUMNS)
    if search:
        query = query.where(db.icontains(User.email, search) | db.icontains(User.name, search))
    if role:
        query = query.where(User.role == role)
    return await query.order_by(User.email)


async def get_user_for_admin(viewer: CurrentUser, user_id: int) -> dict[str, Any]:
    _require_admin(viewer)
    row = await User.select(*USER_COLUMNS).where(User.id == user_id).first()
    if row is None:
        raise NotFound()
    return row


async def district_id_for_code(code: str) -> int | None:
    row = await Region.select(Region.id).where((Region.code == code) & (Region.level != "province")).first()
    return row["id"] if row else None


@dataclass(frozen=True)
class NewUser:
    email: str
    name: str
    role: Role
    district_id: int | None
    language: str | None = None


async def email_taken(email: str, *, except_id: int | None = None) -> bool:
    query = User.exists().where(User.email == domain.normalise_email(email))
    if except_id is not None:
        query = query.where(User.id != except_id)
    return await query


async def create_users(viewer: CurrentUser | None, users: list[NewUser], *, ip: str = "",
                       passwords: list[str] | None = None, must_change: bool = True) -> list[tuple[int, str]]:
    """Create users with temporary passwords, all or none; returns (id, password) pairs."""
    if viewer is not None:
        _require_admin(viewer)
    passwords = passwords or [domain.temporary_password() for _ in users]
    hashes = [await anyio.to_thread.run_sync(domain.hash_password, p) for p in passwords]
    created: list[tuple[int, str]] = []
    async with db.transaction():
        for new, password, password_hash in zip(users, passwords, hashes, strict=True):
            if await email_taken(new.email):
                raise RuleViolation(_("A user with the email %(email)s already exists.") % {"email": new.email})
            rows = await User.insert(User(
                email=domain.normalise_email(new.email), name=new.name, role=new.role.value,
                district=new.district_id, password_hash=password_hash, must_change_password=must_change,
                language=new.language,
            )).returning(User.id)
            user_id = rows[0]["id"]
            await audit.record(viewer, "user.create", object_type="user", object_id=user_id, ip=ip,
                               after={"email": new.email, "name": new.name, "role": new.role.value,
                                      "district_id": new.district_id})
            created.append((user_id, password))
    return created


async def update_user(viewer: CurrentUser, user_id: int, *, name: str, role: Role, district_id: int | None,
                      is_active: bool, ip: str = "") -> None:
    before = await get_user_for_admin(viewer, user_id)
    if user_id == viewer.id and (not is_active or role is not Role.ADMIN):
        raise RuleViolation(_("You cannot disable yourself or take away your own admin role."))
    after = {"name": name, "role": role.value, "district_id": district_id, "is_active": is_active}
    async with db.transaction():
        await User.update({User.name: name, User.role: role.value, User.district: district_id,
                           User.is_active: is_active}).where(User.id == user_id)
        if not is_active:
            await UserSession.delete().where(UserSession.user == user_id)
        await audit.record(viewer, "user.update", object_type="user", object_id=user_id, ip=ip,
                           before={k: before[k] for k in ("name", "role", "district_id", "is_active")}, after=after)


async def reset_password(viewer: CurrentUser, user_id: int, *, ip: str = "") -> str:
    await get_user_for_admin(viewer, user_id)
    password = domain.temporary_password()
    password_hash = await anyio.to_thread.run_sync(domain.hash_password, password)
    async with db.transaction():
        await User.update({User.password_hash: password_hash, User.must_change_password: True}).where(
            User.id == user_id)
        await UserSession.delete().where(UserSession.user == user_id)
        await audit.record(viewer, "user.password_reset", object_type="user", object_id=user_id, ip=ip)
    return password

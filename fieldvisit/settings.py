"""Every setting of FieldVisit, read from the environment once.

Each field names its environment variable and carries a one-line doc; the README's
settings table is checked against this list by a test. A bad value stops start-up with
a message naming the setting. Nothing else in the project reads ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting has a value FieldVisit cannot use; the message names the setting."""


def setting(env: str, default: Any, doc: str) -> Any:
    return field(default=default, metadata={"env": env, "doc": doc})


@dataclass(frozen=True)
class Settings:
    database_url: str = setting(
        "DATABASE_URL",
        "sqlite:///var/fieldvisit.sqlite",
        "Database: `sqlite:///path` (relative to the project) or `postgresql://user:pass@host:port/db`.",
    )
    db_pool_max: int = setting("DB_POOL_MAX", 10, "Largest PostgreSQL connection pool per worker.")
    secret_key: str = setting(
        "SECRET_KEY",
        "",
        "Key for CSRF tokens. Empty: a random key is made once and kept in `var/secret_key`.",
    )
    var_dir: Path = setting("VAR_DIR", PROJECT_ROOT / "var", "Folder for the SQLite file, local photos and the generated key.")
    photo_dir: str = setting("PHOTO_DIR", "", "Local photo store folder; empty means `VAR_DIR/blobs`. Ignored when S3 is set.")
    s3_endpoint_url: str = setting("S3_ENDPOINT_URL", "", "S3-compatible endpoint (e.g. `http://minio:9000`); set it to store photos in S3.")
    s3_bucket: str = setting("S3_BUCKET", "fieldvisit", "Private bucket for photos and documents.")
    s3_access_key_id: str = setting("S3_ACCESS_KEY_ID", "", "S3 access key.")
    s3_secret_access_key: str = setting("S3_SECRET_ACCESS_KEY", "", "S3 secret key.")
    s3_region: str = setting("S3_REGION", "us-east-1", "S3 region name.")
    s3_public_url: str = setting(
        "S3_PUBLIC_URL", "", "Endpoint browsers use for presigned links when it differs from S3_ENDPOINT_URL; empty means the same."
    )
    host: str = setting("HOST", "127.0.0.1", "Address `fieldvisit serve` listens on.")
    port: int = setting("PORT", 8000, "Port `fieldvisit serve` listens on.")
    workers: int = setting("WORKERS", 1, "Worker processes for `fieldvisit serve`.")
    secure_cookies: bool = setting("SECURE_COOKIES", False, "Mark cookies Secure (set true behind HTTPS).")
    trust_proxy_headers: bool = setting(
        "TRUST_PROXY_HEADERS", False, "Read the client address from `X-Forwarded-For` (only behind a proxy you run)."
    )
    session_idle_minutes: int = setting("SESSION_IDLE_MINUTES", 12 * 60, "A session not used for this long ends.")
    session_max_hours: int = setting("SESSION_MAX_HOURS", 7 * 24, "A session ends this long after login, used or not.")
    login_max_failures: int = setting("LOGIN_MAX_FAILURES", 5, "Failed logins per account within the window before a 429.")
    login_max_failures_per_address: int = setting(
        "LOGIN_MAX_FAILURES_PER_ADDRESS", 200, "Failed logins per client address within the window before a 429."
    )
    login_window_minutes: int = setting("LOGIN_WINDOW_MINUTES", 15, "Window for the two login limits above.")
    default_language: Literal["id", "en"] = setting("DEFAULT_LANGUAGE", "id", "Language when neither the user nor the browser asks for English.")
    log_level: Literal["debug", "info", "warning", "error"] = setting("LOG_LEVEL", "info", "Log level.")
    max_upload_mb: int = setting("MAX_UPLOAD_MB", 25, "Largest photo or document upload, in MB (refused before the body is read).")
    max_import_mb: int = setting("MAX_IMPORT_MB", 20, "Largest CSV/XLSX import file, in MB.")
    photo_client_long_edge: int = setting(
        "PHOTO_CLIENT_LONG_EDGE", 2048, "Long edge in px the browser downscales photos to before upload."
    )
    originals_retention_days: int = setting(
        "ORIGINALS_RETENTION_DAYS", 180,
        "Days photo originals are kept after their round closes; then `fieldvisit purge-originals` removes them.",
    )
    privacy_contact: str = setting(
        "PRIVACY_CONTACT", "Kementerian PPPA, Jl. Medan Merdeka Barat No. 15, Jakarta Pusat 10110",
        "Whom people ask about their personal data (shown on /privacy); set the data protection officer's email.",
    )
    reconcile_poll_seconds: float = setting(
        "RECONCILE_POLL_SECONDS", 2.0,
        "How often each server process looks for changed evaluations to reconcile in the background; 0 turns it off.",
    )
    reconcile_debounce_seconds: float = setting(
        "RECONCILE_DEBOUNCE_SECONDS", 2.0,
        "Quiet time after the last change of an evaluation before it is reconciled (a burst of saves runs once).",
    )
    photo_poll_seconds: float = setting(
        "PHOTO_POLL_SECONDS", 1.0,
        "How often each server process looks for new photos to make their display image and thumbnail; 0 turns it off.",
    )
    provenance_radius_m: float = setting(
        "PROVENANCE_RADIUS_M", 200.0, "A photo taken farther than this from its site is flagged for verifiers (metres)."
    )
    provenance_window_slack_minutes: int = setting(
        "PROVENANCE_WINDOW_SLACK_MINUTES", 120,
        "A photo taken more than this before check-in or after submit is flagged for verifiers.",
    )

    gap_max_attachment_mb: int = setting(
        "GAP_MAX_ATTACHMENT_MB", 10, "Largest file a district attaches to its answer to a gap (PDF, JPEG, PNG), in MB."
    )
    smtp_host: str = setting("SMTP_HOST", "", "Mail server for gap notifications and `fieldvisit remind-overdue`; empty sends no e-mail.")
    smtp_port: int = setting("SMTP_PORT", 587, "Mail server port.")
    smtp_username: str = setting("SMTP_USERNAME", "", "Mail server login; empty: no login.")
    smtp_password: str = setting("SMTP_PASSWORD", "", "Mail server password.")
    smtp_starttls: bool = setting("SMTP_STARTTLS", True, "Upgrade the mail connection with STARTTLS (turn off only for a local relay).")
    smtp_from: str = setting("SMTP_FROM", "fieldvisit@localhost", "Sender address of gap notifications.")
    public_url: str = setting(
        "PUBLIC_URL", "", "The app's address as users reach it (e.g. `https://kla.example.go.id`), for links in e-mails; "
        "empty: taken from the request."
    )

    # --- derived -----------------------------------------------------------------
    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path:
        raw = Path(self.database_url.removeprefix("sqlite:///"))
        return raw if raw.is_absolute() else PROJECT_ROOT / raw

    @property
    def blob_dir(self) -> Path:
        if not self.photo_dir:
            return self.var_dir / "blobs"
        path = Path(self.photo_dir)
        return path if path.is_absolute() else PROJECT_ROOT / path

    @property
    def uses_s3(self) -> bool:
        return bool(self.s3_endpoint_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Parse every setting from ``env`` (default: the process environment)."""
        env = os.environ if env is None else env
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = f.metadata["env"]
            if name in env:
                values[f.name] = _parse(name, env[name], hints[f.name])
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        url = self.database_url
        if url.startswith("sqlite:///"):
            if not url.removeprefix("sqlite:///"):
                raise SettingsError("DATABASE_URL: the SQLite form is sqlite:///path/to/file.sqlite")
        elif url.startswith(("postgresql://", "postgres://")):
            parts = urlsplit(url)
            if not parts.hostname or not parts.path.strip("/"):
                raise SettingsError(
                    "DATABASE_URL: a PostgreSQL URL needs a host and a database name, "
                    "e.g. postgresql://user:password@127.0.0.1:5432/fieldvisit"
                )
            try:
                parts.port  # noqa: B018 - raises on a bad port
            except ValueError as exc:
                raise SettingsError(f"DATABASE_URL: bad port ({exc})") from None
        else:
            raise SettingsError("DATABASE_URL must start with sqlite:/// or postgresql:// (got %r)" % _redact(url))
        if self.s3_endpoint_url and not self.s3_endpoint_url.startswith(("http://", "https://")):
            raise SettingsError("S3_ENDPOINT_URL must start with http:// or https://")
        if self.s3_endpoint_url and not (3 <= len(self.s3_bucket) <= 63):
            raise SettingsError("S3_BUCKET must be 3 to 63 characters long")
        for name, value in (("PORT", self.port), ("WORKERS", self.workers), ("DB_POOL_MAX", self.db_pool_max)):
            if value < 1:
                raise SettingsError(f"{name} must be at least 1")
        for name, value in (("MAX_UPLOAD_MB", self.max_upload_mb), ("MAX_IMPORT_MB", self.max_import_mb)):
            if value < 1:
                raise SettingsError(f"{name} must be at least 1")
        if not 0 <= self.originals_retention_days <= 36500:
            raise SettingsError("ORIGINALS_RETENTION_DAYS must be between 0 and 36500 (days)")
        if not self.privacy_contact.strip():
            raise SettingsError("PRIVACY_CONTACT must say whom to contact about personal data")
        for name, seconds in (("RECONCILE_POLL_SECONDS", self.reconcile_poll_seconds),
                              ("RECONCILE_DEBOUNCE_SECONDS", self.reconcile_debounce_seconds),
                              ("PHOTO_POLL_SECONDS", self.photo_poll_seconds),
                              ("PROVENANCE_WINDOW_SLACK_MINUTES", self.provenance_window_slack_minutes)):
            if seconds < 0:
                raise SettingsError(f"{name} must not be negative")
        if self.provenance_radius_m <= 0:
            raise SettingsError("PROVENANCE_RADIUS_M must be more than 0")
        if not 640 <= self.photo_client_long_edge <= 8192:
            raise SettingsError("PHOTO_CLIENT_LONG_EDGE must be between 640 and 8192 (px)")


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(parts.password, "***")
    return url


def _parse(name: str, raw: str, kind: Any) -> Any:
    raw = raw.strip()
    origin = typing.get_origin(kind)
    if origin is Literal:
        choices = typing.get_args(kind)
        if raw.lower() not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)} (got {raw!r})")
        return raw.lower()
    if kind is bool:
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"{name} must be true or false (got {raw!r})")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number (got {raw!r})") from None
    if kind is float:
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number (got {raw!r})") from None
    if kind is Path:
        path = Path(raw)
        return path if path.is_absolute() else PROJECT_ROOT / path
    if kind is str:
        return raw
    if isinstance(kind, types.UnionType):  # pragma: no cover - not used yet
        raise SettingsError(f"{name}: unsupported type")
    raise SettingsError(f"{name}: unsupported type {kind!r}")


def documented_settings() -> list[tuple[str, str, str]]:
    """(environment name, default, doc) for the README table."""
    rows = []
    for f in dataclasses.fields(Settings):
        default = f.default
        if isinstance(default, Path):
            default = default.relative_to(PROJECT_ROOT) if default.is_absolute() else default
        rows.append((f.metadata["env"], str(default), f.metadata["doc"]))
    return rows

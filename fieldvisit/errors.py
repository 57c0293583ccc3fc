"""The small hierarchy of errors raised below the handlers; mapped to pages in web/errors.py."""

from __future__ import annotations


class AppError(Exception):
    status_code = 400

    def __init__(self, message: str = "", *, title: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.title = title


class NotFound(AppError):
    """The object does not exist or the user may not see it (never say which)."""

    status_code = 404


class Forbidden(AppError):
    """The user sees the object but may not do this to it."""

    status_code = 403


class RuleViolation(AppError):
    """A domain rule refuses the action; the message says why, in the user's language."""

    status_code = 422


class Conflict(AppError):
    """The request clashes with the current state (e.g. same id, other content)."""

    status_code = 409


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, message: str = "", *, title: str = "", retry_after: int = 60) -> None:
        super().__init__(message, title=title)
        self.retry_after = retry_after


class Unavailable(AppError):
    """A dependency (blob store, database) is down; the client may retry."""

    status_code = 503


class StoreUnavailable(Unavailable):
    """The blob store did not answer (down, refused, timed out): nothing was stored.

    The page is the 503 default ("nothing was saved; try again"); ``detail`` names the
    technical cause for the log only and is never shown to the user.
    """

    def __init__(self, detail: str = "") -> None:
        super().__init__()
        self.detail = detail

    def __str__(self) -> str:
        return self.detail or "blob store unavailable"

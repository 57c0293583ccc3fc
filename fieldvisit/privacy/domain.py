"""Retention of photo originals, as pure rules (no clock: ``now`` is passed in).

A photo's original (the file as uploaded, with its EXIF and GPS) is evidence while a round is
open and for ``ORIGINALS_RETENTION_DAYS`` after it closes; then it is removed from the blob
store. Its derivatives (faces blurred, no metadata), the findings, the photo's row and the audit
log stay as long as the evaluation records are kept.

What is out of scope, on purpose: documents attached to a district's response to a gap
(``GapAttachment`` of kind ``document``). They have no derivative to fall back on: removing
them would remove the district's answer itself, so they are kept with the evaluation records.
Photos attached to a response go through the photo pipeline and are purged like any photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fieldvisit.errors import RuleViolation
from fieldvisit.web.i18n import _


def purge_cutoff(now: datetime, retention_days: int) -> datetime:
    """Rounds closed at or before this moment have had their originals long enough."""
    return now - timedelta(days=retention_days)


def is_due(closed_at: datetime | None, now: datetime, retention_days: int) -> bool:
    """Whether the originals of a round closed at ``closed_at`` (None: still open) are due."""
    return closed_at is not None and closed_at <= purge_cutoff(now, retention_days)


def original_removed_notice(retention_days: int) -> str:
    """What a page says instead of an original that the retention policy removed (a photo with
    ``original_purged_at`` set): gone on purpose, not missing."""
    return _("The original of this photo was removed under the retention policy, {days} days after the "
             "evaluation round closed. The blurred copy, the findings and the audit log are kept.").format(
        days=retention_days)


@dataclass(frozen=True)
class PurgeReport:
    """What one run of the purge did (or, for a dry run, would do)."""

    dry_run: bool
    retention_days: int
    cutoff: datetime
    due: int  # originals due whose derivatives are ready
    removed: int  # removed and marked purged (0 on a dry run)
    not_ready: int  # due, but derivatives not made yet: kept, or the photo would be lost
    failed: int  # due but not removed (store down, bad key): not marked, the next run tries again
    rounds: int  # rounds with originals due
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.failed == 0

    @property
    def exit_code(self) -> int:
        """For cron: 0 when every due original is gone (or a dry run), 1 when some are left."""
        return 0 if self.ok else 1

    def counts(self) -> dict[str, int | str | bool]:
        return {"dry_run": self.dry_run, "retention_days": self.retention_days,
                "cutoff": self.cutoff.isoformat(timespec="seconds"), "due": self.due, "removed": self.removed,
                "not_ready": self.not_ready, "failed": self.failed, "rounds": self.rounds}

    def summary(self) -> str:
        """One line for cron's mail and the log."""
        closed = f"rounds closed before {self.cutoff:%Y-%m-%d} (retention {self.retention_days} days)"
        if self.dry_run:
            line = f"purge-originals (dry run): would remove {self.due} originals of {self.rounds} {closed}"
        else:
            line = f"purge-originals: removed {self.removed} of {self.due} originals of {self.rounds} {closed}"
        if self.not_ready:
            line += f"; kept {self.not_ready} whose derivatives are not made yet"
        if self.failed:
            line += f"; FAILED: {self.failed} not removed, left for the next run ({self.error})"
        return line


# --- sensitive sites and originals --------------------------------------------------------------

#: Site types whose photos are restricted unless an admin says otherwise (the catalogue's data
#: file marks them; an admin can mark any other type, or one site, sensitive).
SENSITIVE_SITE_TYPES = ("UPTD_PPA", "LKSA")
MIN_REASON = 10  # characters: "audit" or "cek" is not a reason
MAX_REASON = 500


def site_is_sensitive(site_setting: bool | None, type_sensitive: bool) -> bool:
    """A site's own setting (True/False, set by an admin) wins; None follows its site type."""
    return type_sensitive if site_setting is None else site_setting


def may_see_originals(role: str) -> bool:
    """Originals (the photo as taken, with its EXIF and GPS) are for the ministry's verifiers
    and admins; note-takers and district staff only ever see the blurred derivatives."""
    return role in ("admin", "verifier")


def check_reason(text: str, *, sensitive: bool) -> str:
    """The reason a viewer gives for opening an original, trimmed. Required (at least
    ``MIN_REASON`` characters) for photos of sensitive sites; RuleViolation otherwise."""
    reason = " ".join(text.split())[:MAX_REASON]
    if sensitive and len(reason) < MIN_REASON:
        raise RuleViolation(
            _("Say why you need the original (at least {count} characters): it is a photo of a sensitive site, "
              "and every view is recorded with its reason.").format(count=MIN_REASON),
            title=_("A reason is required"))
    return reason


# --- blurring by hand ------------------------------------------------------------------------------

MAX_BOXES = 8


def percent_box(left: str, top: str, right: str, bottom: str) -> tuple[float, float, float, float] | None:
    """A box drawn as four percentages of the photo (left, top, right, bottom) -> fractions;
    None when all four are blank; ValueError when it is not a box inside the photo."""
    parts = [p.strip().replace(",", ".") for p in (left, top, right, bottom)]
    if not any(parts):
        return None
    try:
        values = [float(p) / 100 for p in parts]
    except ValueError:
        raise ValueError("not a number") from None
    l, t, r, b = values  # noqa: E741
    if not all(0 <= v <= 1 for v in values) or not (l < r and t < b):
        raise ValueError("not a box inside the photo")
    return (l, t, r, b)


# --- exports -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportScope:
    """What one export may contain beyond the blurred derivatives and the findings."""

    originals: bool = False
    gps: bool = False

    @property
    def sensitive(self) -> bool:
        return self.originals or self.gps


def export_scope(role: str, *, want_originals: bool = False, want_gps: bool = False) -> ExportScope:
    """Exports never hold originals or GPS unless an admin asks for them explicitly; anyone
    else asking gets neither (the export is made without them, not refused)."""
    if role != "admin":
        return ExportScope()
    return ExportScope(originals=want_originals, gps=want_gps)

"""Parse the forms of the response loop: the district's answer (text and files), a verifier's
decision, a due date, and the bulk actions of the gap list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fieldvisit.gaps import domain
from fieldvisit.gaps.domain import Action
from fieldvisit.verifications.domain import document_type
from fieldvisit.web.forms import Errors, FormData, parse_day
from fieldvisit.web.i18n import _


@dataclass(frozen=True)
class Upload:
    file_name: str
    content_type: str  # from the first bytes, never the name or the browser's word
    data: bytes

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@dataclass(frozen=True)
class Answer:
    text: str
    uploads: list[Upload] = field(default_factory=list)


async def parse_answer(form: FormData, *, max_bytes: int) -> tuple[Answer | None, Errors]:
    """Text, files, or both; each file a PDF, JPEG or PNG of at most ``max_bytes``."""
    errors = Errors()
    text = form.get("text")
    if len(text) > domain.MAX_TEXT:
        errors.add("text", _("The text is too long (at most %(n)d characters).") % {"n": domain.MAX_TEXT})
    files = [f for f in form.files.get("attachments", []) if f.filename]
    uploads: list[Upload] = []
    if len(files) > domain.MAX_ATTACHMENTS:
        errors.add("attachments", _("At most %(n)d files at once.") % {"n": domain.MAX_ATTACHMENTS})
    else:
        for upload in files:
            data = await upload.read(max_bytes + 1)
            name = (upload.filename or "document")[-200:]
            if len(data) > max_bytes:
                errors.add("attachments", _("%(name)s is too large (at most %(mb)d MB).") % {
                    "name": name, "mb": max_bytes // (1024 * 1024)})
                break
            content_type = document_type(data)
            if content_type is None:
                errors.add("attachments", _("%(name)s is not a PDF, JPEG or PNG file.") % {"name": name})
                break
            uploads.append(Upload(name, content_type, data))
    if not text and not files and not errors:
        errors.add("text", _("Write an answer or attach a document."))
    if errors:
        return None, errors
    return Answer(text, uploads), errors


def parse_decision(form: FormData) -> tuple[tuple[Action, str] | None, Errors]:
    """A verifier's decision: accept, reject, ask for more information, or close; the last
    three need a reason."""
    errors = Errors()
    try:
        action = Action(form.get("action"))
    except ValueError:
        errors.add("action", _("Choose a decision."))
        return None, errors
    if action is Action.RESPOND:
        errors.add("action", _("Choose a decision."))
        return None, errors
    text = form.get("text")
    if action in domain.NEEDS_TEXT and not text:
        errors.add("text", _("Give the reason: the district reads it."))
    elif len(text) > domain.MAX_TEXT:
        errors.add("text", _("The text is too long (at most %(n)d characters).") % {"n": domain.MAX_TEXT})
    if errors:
        return None, errors
    return (action, text), errors


def parse_due(form: FormData, *, today: date) -> tuple[date | None, Errors]:
    errors = Errors()
    due = parse_day(form.get("due_on"))
    if due is None:
        errors.add("due_on", _("Enter a date."))
    elif due < today:
        errors.add("due_on", _("The due date cannot be in the past."))
    return (None if errors else due), errors


@dataclass(frozen=True)
class Bulk:
    action: str  # accept | close | due
    gap_ids: list[int]
    text: str = ""
    due_on: date | None = None


def parse_bulk(form: FormData, *, today: date, filtered_ids: list[int] | None = None) -> tuple[Bulk | None, Errors]:
    """The gap list's bulk form: the ticked gaps (or, with "every gap the filter shows",
    ``filtered_ids``), one action, one reason or one date."""
    errors = Errors()
    ids = sorted(set(filtered_ids) if form.get("every") in ("1", "on") and filtered_ids is not None
                 else {int(v) for v in form.getlist("gap") if v.isdigit()})
    if not ids:
        errors.add("gap", _("Tick at least one gap."))
    action = form.get("bulk_action")
    text = form.get("text")
    due = None
    if action not in ("accept", "close", "due"):
        errors.add("bulk_action", _("Choose what to do with the ticked gaps."))
    elif action == "close" and not text:
        errors.add("text", _("Give the reason: the district reads it."))
    elif action == "due":
        due, due_errors = parse_due(form, today=today)
        errors.update(due_errors)
    if len(text) > domain.MAX_TEXT:
        errors.add("text", _("The text is too long (at most %(n)d characters).") % {"n": domain.MAX_TEXT})
    if errors:
        return None, errors
    return Bulk(action, ids, text, due), errors

"""E-mail about gaps, when SMTP settings are given: the district hears of a decision on its
gap, the team of a district's answer. Each message is in its recipient's language. Sending
runs in a worker thread (smtplib blocks) as a background task: no request waits for the mail
server, and a mail server that is down is logged, never shown to the user."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from fieldvisit.gaps import domain
from fieldvisit.gaps.queries import Changed
from fieldvisit.reconcile.queries import placeholders, raw_rows
from fieldvisit.settings import Settings
from fieldvisit.web.i18n import _, language

log = logging.getLogger("fieldvisit.notify")
_TASKS: set[asyncio.Task[None]] = set()  # keeps running sends referenced until they finish


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def compose(change: Changed, recipient: dict[str, Any], district_name: str, link: str) -> Mail:
    """One message for one person, in that person's language (Indonesian by default)."""
    with language(recipient.get("language") or "id"):
        what = domain.event_label(change.event)
        subject = _("%(what)s: a gap of %(district)s") % {"what": what, "district": district_name}
        lines = [subject, "", _("Status") + ": " + domain.status_label(change.status)]
        if change.text:
            lines += ["", change.text]
        lines += ["", link]
    return Mail(recipient["email"], subject, "\n".join(lines))


async def recipients(change: Changed) -> list[dict[str, Any]]:
    """The district's staff for a decision; the evaluation's verifiers for an answer."""
    if change.event == domain.EventKind.RESPONDED:
        return await raw_rows(
            'SELECT u.email, u.language FROM assignment a JOIN app_user u ON u.id = a."user" '
            "WHERE a.district_evaluation = {} AND u.role = {} AND u.is_active = {}",
            change.evaluation_id, "verifier", True)
    return await raw_rows("SELECT email, language FROM app_user WHERE district = {} AND role = {} AND is_active = {}",
                          change.district_id, "district", True)


def send_all(settings: Settings, mails: Iterable[Mail]) -> None:
    """Blocking: one SMTP session for the batch."""
    mails = list(mails)
    if not mails:
        return
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        for mail in mails:
            message = EmailMessage()
            message["From"] = settings.smtp_from
            message["To"] = mail.to
            message["Subject"] = mail.subject
            message.set_content(mail.body)
            smtp.send_message(message)


async def notify(settings: Settings, changes: list[Changed], base_url: str) -> None:
    """E-mail everyone a change concerns (nothing without SMTP_HOST)."""
    if not settings.smtp_host or not changes:
        return
    base = (settings.public_url or base_url).rstrip("/")
    ids = sorted({c.district_id for c in changes})
    names = {int(r["id"]): r["name"] for r in await raw_rows(
        f"SELECT id, name FROM region WHERE id IN ({placeholders(ids)})", *ids)}  # noqa: S608
    mails = [compose(c, r, names.get(c.district_id, ""), f"{base}/gaps/{c.gap_id}")
             for c in changes for r in await recipients(c)]
    try:
        await asyncio.to_thread(send_all, settings, mails)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("gap notification not sent (%d messages): %s", len(mails), exc)


def notify_later(settings: Settings, changes: list[Changed], base_url: str) -> None:
    """Start ``notify`` without waiting for it."""
    if not settings.smtp_host or not changes:
        return
    task = asyncio.get_running_loop().create_task(notify(settings, changes, base_url))
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


async def drain() -> None:
    """Wait for the sends under way (tests, shutdown)."""
    while _TASKS:
        await asyncio.gather(*list(_TASKS), return_exceptions=True)

"""E-mail about gaps, when SMTP settings are given: the district hears of a decision on its
gap, the team of a district's answer; and, from `fieldvisit remind-overdue` (cron, daily), the
district's staff and the evaluation's verifiers hear of the gaps past their due date. Each message is in its recipient's language. Sending
runs in a worker thread (smtplib blocks) as a background task: no request waits for the mail
server, and a mail server that is down is logged, never shown to the user."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from fieldvisit.db import placeholders, raw_rows
from fieldvisit.gaps import domain, queries
from fieldvisit.gaps.domain import GapFilter, OverdueGap, Reminder, plan_reminders
from fieldvisit.gaps.queries import Changed
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


def send_all(settings: Settings, mails: Iterable[Mail], sent: list[Mail] | None = None) -> None:
    """Blocking: one SMTP session for the batch. ``sent`` collects the messages the server
    accepted, so a caller knows which were not sent when the session fails half-way."""
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
            if sent is not None:
                sent.append(mail)


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


# ---- overdue reminders ------------------------------------------------------------------------------


def compose_reminder(reminder: Reminder, recipient: dict[str, Any], gaps: dict[int, dict[str, Any]],
                     base: str) -> Mail:
    """The overdue gaps of one district evaluation, for one person in that person's language:
    the district's staff are asked to answer, the verifiers to chase."""
    first = gaps[reminder.gap_ids[0]]
    names = {"district": first["district_name"], "round": first["round_name"]}
    with language(recipient.get("language") or "id"):
        if reminder.role == "district":
            subject = _("Gaps past their due date: %(district)s, %(round)s") % names
            intro = _("These gaps still wait for your answer and are past their due date:")
        else:
            subject = _("Overdue gaps to chase: %(district)s, %(round)s") % names
            intro = _("The district has not answered these gaps by their due date:")
        lines = [subject, "", intro, ""]
        for gap_id in reminder.gap_ids:
            gap = gaps[gap_id]
            what = " · ".join(p for p in (domain.rule_label(gap["rule"]), gap["site_name"] or gap["indicator_code"])
                              if p)
            due = gap["due_on"].isoformat() if gap["due_on"] else ""
            lines.append(f"- {what} · {_('Due date')} {due} · {domain.status_label(gap['status'])}")
            lines.append(f"  {base}/gaps/{gap_id}")
        lines += ["", _("Every overdue gap of this evaluation:"),
                  f"{base}/evaluations/{reminder.evaluation_id}/gaps?{GapFilter(overdue=True).url_query()}"]
    return Mail(recipient["email"], subject, "\n".join(lines))


@dataclass
class ReminderReport:
    """What one run of ``remind_overdue`` did."""

    dry_run: bool
    overdue: int = 0  # gaps past their due date
    mails: int = 0  # e-mails sent (on a dry run: that would be sent)
    gaps_mailed: int = 0  # (gap, person) pairs in them
    failed: int = 0  # e-mails not sent (left for the next run)
    error: str = ""
    recipients: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> str:
        verb = "would send" if self.dry_run else "sent"
        line = (f"remind-overdue{' (dry run)' if self.dry_run else ''}: {self.overdue} overdue gaps; {verb} "
                f"{self.mails} e-mails about {self.gaps_mailed} gap reminders")
        if self.failed:
            line += f"; FAILED: {self.failed} e-mails not sent, left for the next run ({self.error})"
        return line


async def remind_overdue(settings: Settings, *, now: datetime, dry_run: bool = False) -> ReminderReport:
    """E-mail each district's staff their overdue gaps and each evaluation's verifiers the
    overdue gaps they must chase, each gap at most once a day per person. What is sent is
    recorded first (``gap_reminder``); an e-mail the server did not take is forgotten again, so
    the next run sends it."""
    rows = await queries.overdue_gaps(now)
    report = ReminderReport(dry_run=dry_run)
    gaps = {int(r["id"]): r for r in rows}
    overdue = [OverdueGap(int(r["id"]), int(r["evaluation_id"]), int(r["district_id"]), r["status"], r["due_on"],
                          r["today"]) for r in rows]
    report.overdue = sum(1 for g in overdue if domain.is_overdue(g.status, g.due_on, g.today))
    if not report.overdue:
        return report
    staff, teams, people = await queries.reminder_people(sorted({g.district_id for g in overdue}),
                                                         sorted({g.evaluation_id for g in overdue}))
    sent_before = await queries.reminders_sent_since(min(g.today for g in overdue))
    base = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    planned = plan_reminders(overdue, staff, teams, sent_before)
    claimed: list[tuple[Reminder, Mail]] = []
    for reminder in planned:
        if not dry_run:
            ids = await queries.claim_reminder(reminder, now)
            if not ids:
                continue
            reminder = Reminder(reminder.user_id, reminder.evaluation_id, reminder.role, ids, reminder.sent_on)
        claimed.append((reminder, compose_reminder(reminder, people[reminder.user_id], gaps, base)))
    report.mails = len(claimed)
    report.gaps_mailed = sum(len(r.gap_ids) for r, _m in claimed)
    report.recipients = [m.to for _r, m in claimed]
    if dry_run or not claimed:
        return report
    sent: list[Mail] = []
    try:
        await asyncio.to_thread(send_all, settings, [m for _r, m in claimed], sent)
    except (OSError, smtplib.SMTPException) as exc:
        report.error = str(exc) or type(exc).__name__
        unsent = [(r, m) for r, m in claimed if not any(m is s for s in sent)]
        for reminder, _mail in unsent:
            await queries.unclaim_reminder(reminder.user_id, reminder.gap_ids, reminder.sent_on)
        report.failed = len(unsent)
        report.mails -= len(unsent)
        report.gaps_mailed -= sum(len(r.gap_ids) for r, _m in unsent)
        log.warning("overdue reminders not sent (%d e-mails): %s", len(unsent), exc)
    return report

"""`fieldvisit remind-overdue`: the district's staff get their overdue gaps, the evaluation's
verifiers the gaps to chase, through a real (local) SMTP server, each gap once a day per person,
nobody another district's."""

from __future__ import annotations

import dataclasses
import os
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

from fieldvisit.accounts.tables import User
from fieldvisit.gaps import notify
from fieldvisit.gaps.tables import Gap, GapReminder
from tests.routes.test_cli import fieldvisit
from tests.routes.test_gap_notifications import smtp_server, subject_of  # noqa: F401 - the fixture
from tests.routes.test_gap_pages import reconciled_example
from tests.support import World, make_user

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 10:00 WIB
YESTERDAY = (NOW - timedelta(days=1)).date()


def mail_settings(settings, port: int):
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                               smtp_from="kla@example.go.id", public_url="https://kla.example.go.id")


def body_of(raw: bytes) -> str:
    return message_from_bytes(raw).get_payload(decode=True).decode().replace("\r\n", "\n")


def inbox_by_recipient(inbox) -> dict[str, list[bytes]]:
    found: dict[str, list[bytes]] = {}
    for tos, raw in inbox.messages:
        for to in tos:
            found.setdefault(to, []).append(raw)
    return found


async def overdue_example(world: World) -> dict[str, int]:
    """Tangerang: contradicted and partial overdue, value mismatch due tomorrow, a provenance gap
    overdue (verifiers only); Serang: one overdue gap of its own."""
    gaps = await reconciled_example(world)
    await Gap.update({Gap.due_on: YESTERDAY}).where(Gap.id.is_in(
        [gaps["contradicted"], gaps["partial"], *(v for k, v in gaps.items() if k.startswith("provenance"))]))
    await Gap.update({Gap.due_on: NOW.date() + timedelta(days=1)}).where(Gap.id == gaps["value_mismatch"])
    [serang] = await Gap.insert(Gap(district_evaluation=world.serang_evaluation, rule="site_not_found",
                                    subject=f"site:{world.serang_site}", severity="high", site=world.serang_site,
                                    due_on=YESTERDAY - timedelta(days=3))).returning(Gap.id)
    return gaps | {"serang": serang["id"]}


async def test_each_person_gets_their_overdue_gaps_once_a_day(settings, world: World, smtp_server):  # noqa: F811
    inbox, port = smtp_server
    gaps = await overdue_example(world)
    await User.update({User.language: "en"}).where(User.id == world.verifier.id)
    inactive = await make_user("gone@tangerangkota.test", "district", district_id=world.regions["36.71"])
    await User.update({User.is_active: False}).where(User.id == inactive)
    report = await notify.remind_overdue(mail_settings(settings, port), now=NOW)
    assert report.failed == 0 and report.mails == 3, report.summary()
    mails = inbox_by_recipient(inbox)
    assert set(mails) == {world.tangerang.email, world.verifier.email, world.serang.email}
    [district] = mails[world.tangerang.email]
    assert subject_of(district) == "Celah lewat tenggat: Kota Tangerang, KLA 2025"
    text = body_of(district)
    for key in ("contradicted", "partial"):
        assert f"https://kla.example.go.id/gaps/{gaps[key]}\n" in text
    assert f"/gaps/{gaps['value_mismatch']}\n" not in text, "not due yet"
    assert f"/gaps/{gaps['serang']}\n" not in text, "another district's"
    assert "/gaps?overdue=1" in text
    [team] = mails[world.verifier.email]
    assert subject_of(team) == "Overdue gaps to chase: Kota Tangerang, KLA 2025"
    team_text = body_of(team)
    assert f"/gaps/{gaps['contradicted']}\n" in team_text and f"/gaps/{gaps['serang']}\n" not in team_text
    for key in (k for k in gaps if k.startswith("provenance")):
        assert f"/gaps/{gaps[key]}\n" not in team_text, "the district is not chased for what it cannot see"
    [serang] = mails[world.serang.email]
    assert f"/gaps/{gaps['serang']}\n" in body_of(serang) and "Tangerang" not in body_of(serang)
    assert await GapReminder.count() == 2 + 2 + 1

    again = await notify.remind_overdue(mail_settings(settings, port), now=NOW + timedelta(hours=5))
    assert again.mails == 0 and len(inbox.messages) == 3, "nothing twice on the same day"

    next_day = await notify.remind_overdue(mail_settings(settings, port), now=NOW + timedelta(days=1))
    assert next_day.mails == 3 and len(inbox.messages) == 6


async def test_a_gap_answered_or_newly_overdue_is_handled_by_the_next_run(settings, world: World,
                                                                          smtp_server):  # noqa: F811
    inbox, port = smtp_server
    gaps = await overdue_example(world)
    await notify.remind_overdue(mail_settings(settings, port), now=NOW)
    inbox.messages.clear()
    await Gap.update({Gap.status: "responded"}).where(Gap.id == gaps["partial"])
    await Gap.update({Gap.due_on: YESTERDAY}).where(Gap.id == gaps["value_mismatch"])
    await notify.remind_overdue(mail_settings(settings, port), now=NOW + timedelta(hours=1))
    mails = inbox_by_recipient(inbox)
    [district] = mails[world.tangerang.email]
    text = body_of(district)
    assert f"/gaps/{gaps['value_mismatch']}\n" in text, "overdue since the first run: sent today"
    assert f"/gaps/{gaps['contradicted']}\n" not in text, "already sent today"
    assert world.serang.email not in mails


async def test_a_mail_server_that_is_down_records_nothing_so_the_next_run_sends(settings, world: World,
                                                                                smtp_server, caplog):  # noqa: F811
    inbox, port = smtp_server
    await overdue_example(world)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    down = await notify.remind_overdue(mail_settings(settings, dead_port), now=NOW)
    assert down.failed == 3 and down.exit_code == 1 and "FAILED" in down.summary()
    assert await GapReminder.count() == 0
    assert "overdue reminders not sent" in caplog.text
    up = await notify.remind_overdue(mail_settings(settings, port), now=NOW)
    assert up.mails == 3 and len(inbox.messages) == 3


async def test_the_command_sends_once_and_says_what_it_did(world: World, smtp_server):  # noqa: F811
    inbox, port = smtp_server
    await overdue_example(world)
    await Gap.update({Gap.due_on: datetime.now(UTC).date() - timedelta(days=2)}).where(Gap.due_on.is_not_null())
    without_smtp = fieldvisit("remind-overdue")
    assert without_smtp.returncode == 2 and "SMTP_HOST" in without_smtp.stderr
    dry = fieldvisit("remind-overdue", "--dry-run")
    assert dry.returncode == 0 and "(dry run)" in dry.stdout and world.tangerang.email in dry.stdout
    assert not inbox.messages and await GapReminder.count() == 0
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false"}
    os.environ.update(env)
    try:
        first = fieldvisit("remind-overdue")
        second = fieldvisit("remind-overdue")
    finally:
        for key in env:
            os.environ.pop(key)
    assert first.returncode == 0, first.stderr
    assert "sent 3 e-mails" in first.stdout and len(inbox.messages) == 3
    assert second.returncode == 0 and "sent 0 e-mails" in second.stdout and len(inbox.messages) == 3

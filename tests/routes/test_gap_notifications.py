"""Gap events reach people: "needs my action" on the home pages, e-mail through a real (local)
SMTP server in each recipient's language, and the WhatsApp share link."""

from __future__ import annotations

import dataclasses
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from urllib.parse import unquote

import pytest
from aiosmtpd.controller import Controller

from fieldvisit.accounts.tables import User
from fieldvisit.gaps import domain, notify
from fieldvisit.gaps.queries import Changed
from fieldvisit.gaps.tables import Gap
from tests.routes.test_dashboard import text_of
from tests.routes.test_gap_pages import reconciled_example
from tests.support import World


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def subject_of(raw: bytes) -> str:
    return str(make_header(decode_header(message_from_bytes(raw)["Subject"])))


async def test_a_decision_mails_the_district_and_an_answer_mails_the_team(settings, world: World, smtp_server):
    inbox, port = smtp_server
    gaps = await reconciled_example(world)
    await User.update({User.language: "en"}).where(User.id == world.verifier.id)
    mail_settings = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                                        smtp_from="kla@example.go.id", public_url="https://kla.example.go.id")
    gap_id = gaps["contradicted"]
    answered = Changed(gap_id, world.tangerang_evaluation, world.regions["36.71"], "responded", "responded",
                       "Sudah berjalan.")
    rejected = Changed(gap_id, world.tangerang_evaluation, world.regions["36.71"], "rejected", "rejected",
                       "Foto tidak jelas")
    await notify.notify(mail_settings, [answered, rejected], "http://testserver")
    by_recipient = {tuple(to): raw for to, raw in inbox.messages}
    to_team = by_recipient[(world.verifier.email,)]
    assert subject_of(to_team) == "District responded: a gap of Kota Tangerang"
    assert f"https://kla.example.go.id/gaps/{gap_id}".encode() in to_team
    to_district = by_recipient[(world.tangerang.email,)]
    assert subject_of(to_district) == "Jawaban ditolak: celah Kota Tangerang"
    assert "Foto tidak jelas" in message_from_bytes(to_district).get_payload(decode=True).decode()
    assert world.serang.email not in {to for tos, _raw in inbox.messages for to in tos}


async def test_without_smtp_settings_nothing_is_sent_and_a_dead_server_is_only_logged(settings, world: World,
                                                                                     caplog):
    change = Changed(1, world.tangerang_evaluation, world.regions["36.71"], "accepted", "accepted", "")
    await notify.notify(settings, [change], "http://testserver")  # no SMTP_HOST: returns at once
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    dead = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=dead_port, smtp_starttls=False)
    await notify.notify(dead, [change], "http://testserver")
    assert "gap notification not sent" in caplog.text


def test_the_whatsapp_link_prefills_the_text_and_the_gap_link():
    link = domain.whatsapp_link("Celah: Bertentangan, Kota Tangerang", "https://kla.example.go.id/gaps/7")
    assert link.startswith("https://wa.me/?text=")
    assert unquote(link.removeprefix("https://wa.me/?text=")) == (
        "Celah: Bertentangan, Kota Tangerang\nhttps://kla.example.go.id/gaps/7")


async def test_home_pages_list_what_needs_my_action(make_client, world: World):
    gaps = await reconciled_example(world)
    await Gap.update({Gap.due_on: datetime.now(UTC).date() - timedelta(days=1)}).where(Gap.id == gaps["partial"])
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        page = text_of((await district.get("/")).text)
        assert "Perlu tindakan saya 3" in page and "1 lewat tenggat" in page
        await district.post_form(f"/gaps/{gaps['contradicted']}/respond", {"text": "Sudah."})
    async with make_client() as verifier:
        await verifier.sign_in_as(world.verifier)
        html = (await verifier.get("/")).text
        assert f'href="/gaps/{gaps["contradicted"]}"' in html and f'href="/gaps/{gaps["partial"]}"' in html
        assert "1 jawaban untuk dinilai" in text_of(html)
    async with make_client() as serang:
        await serang.sign_in_as(world.serang)
        assert "/gaps/" not in (await serang.get("/")).text

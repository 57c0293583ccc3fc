"""The privacy notice (issue 8): public, in Bahasa Indonesia and English, with the retention and
contact from the settings, linked from the login page and every page's footer."""

from __future__ import annotations

import re

import pytest

from tests.support import World


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_anyone_can_read_it_in_indonesian_without_signing_in(client, settings):
    response = await client.get("/privacy")
    assert response.status_code == 200
    page = text(response.text)
    assert "Pemberitahuan privasi" in page
    assert f"{settings.originals_retention_days} hari setelah putaran evaluasi ditutup" in page
    assert settings.privacy_contact in page
    for words in ("Nama dan nomor telepon narahubung", "UPTD PPA", "Undang-Undang Nomor 27 Tahun 2022",
                  "Undang-Undang Nomor 35 Tahun 2014", "Notulis", "Petugas daerah"):
        assert words in page, words


async def test_it_is_in_english_when_the_browser_asks(client, settings):
    response = await client.get("/privacy", headers={"accept-language": "en-GB,en;q=0.9"})
    page = text(response.text)
    assert "Privacy notice" in page and '<html lang="en">' in response.text
    assert f"{settings.originals_retention_days} days after the evaluation round closes" in page
    for words in ("Names and phone numbers", "check-in", "login records", "Law 27 of 2022", "Law 35 of 2014",
                  "as long as the ministry keeps the records of the evaluation"):
        assert words in page, words


@pytest.mark.parametrize("signed_in", [False, True])
async def test_the_login_page_and_the_footer_link_to_it(client, world: World, signed_in):
    if signed_in:
        await client.sign_in_as(world.tangerang)
    response = await client.get("/" if signed_in else "/login")
    assert response.status_code == 200
    assert response.text.count('href="/privacy"') == (1 if signed_in else 2)

"""The Indonesian catalogues are complete and up to date with the code."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from fieldvisit.web import i18n

# Words that are the same in both languages.
SAME_IN_BOTH = {"Email", "Menu", "kab/kota", "Kab/kota", "FieldVisit", "OK", "Hybrid", "hybrid", "Status", "Admin",
                "Puspaga", "Total", "CSV", "XLSX", "PDF", "ID", "Id", "GPS", "Kode", "Video", "Link", "Foto"}


def catalogue(domain: str):
    path = i18n.po_path(domain)
    assert path.exists(), f"{path} is missing: run `fieldvisit messages`"
    with path.open("rb") as fh:
        return read_po(fh, locale="id")


@pytest.mark.parametrize("domain", sorted(i18n.domains()))
def test_the_catalogue_has_every_string_of_the_code(domain):
    extracted = {m.id for m in i18n.extract(i18n.domains()[domain]) if m.id}
    if not extracted:
        return
    known = {m.id for m in catalogue(domain) if m.id}
    missing = extracted - known
    assert not missing, f"{domain}.po is stale, run `fieldvisit messages` and translate: {sorted(missing)[:10]}"


@pytest.mark.parametrize("domain", sorted(i18n.domains()))
def test_every_indonesian_entry_is_a_real_translation(domain):
    if not i18n.po_path(domain).exists():
        return
    bad = []
    for message in catalogue(domain):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            bad.append(f"empty: {ids[0]!r}")
        elif strings[0] == ids[0] and ids[0] not in SAME_IN_BOTH:
            bad.append(f"same as English: {ids[0]!r}")
        if message.fuzzy:
            bad.append(f"fuzzy: {ids[0]!r}")
    assert not bad, "\n".join(bad)


def test_placeholders_survive_translation():
    for domain in i18n.domains():
        if not i18n.po_path(domain).exists():
            continue
        for message in catalogue(domain):
            if not message.id or not message.string:
                continue
            source = message.id[0] if isinstance(message.id, tuple) else message.id
            target = message.string[0] if isinstance(message.string, tuple) else message.string
            import re

            names = set(re.findall(r"%\((\w+)\)[sdrf]", source))
            assert names == set(re.findall(r"%\((\w+)\)[sdrf]", target)), (domain, source, target)


def test_a_string_used_by_several_capabilities_has_one_translation():
    """The catalogues are merged at start-up: two translations of one string would make the
    page depend on which file loaded first."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for domain in sorted(i18n.domains()):
        if not i18n.po_path(domain).exists():
            continue
        for message in catalogue(domain):
            if not message.id or isinstance(message.id, tuple) or not message.string:
                continue
            if message.id in seen and seen[message.id][1] != message.string:
                clashes.append(f"{message.id!r}: {seen[message.id][0]} says {seen[message.id][1]!r}, "
                               f"{domain} says {message.string!r}")
            seen.setdefault(message.id, (domain, message.string))
    assert not clashes, "\n".join(clashes)

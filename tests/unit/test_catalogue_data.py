"""The shipped KLA catalogue reads into 24 indicators, 6 predicates, 16 site types."""

from __future__ import annotations

import pytest

from fieldvisit.catalogue.domain import CatalogueError, parse_catalogue, shipped


def test_the_shipped_catalogue_has_the_perpres_structure():
    data = parse_catalogue(shipped())
    assert data.code == "perpres-25-2021"
    assert [c.code for c in data.clusters] == ["KL", "K1", "K2", "K3", "K4", "K5"]
    assert len(data.indicator_codes) == 24
    assert [p.code for p in data.predicates] == ["NONE", "PRATAMA", "MADYA", "NINDYA", "UTAMA", "KLA"]
    assert len(data.site_types) == 16
    assert {t.code for t in data.site_types if t.sensitive} == {"UPTD_PPA", "LKSA"}
    assert data.sources["seed_tangerang"].endswith(".txt")  # sources are kept


def test_items_count_for_their_types_first_related_indicator():
    data = parse_catalogue(shipped())
    sra = next(t for t in data.site_types if t.code == "SRA")
    assert sra.related_indicators[0] == "I19"
    assert {i.indicator_code for i in sra.items} == {"I19"}
    signboard = next(i for i in sra.items if i.code == "SRA-05")
    assert signboard.wants_photo and signboard.component == "C1"
    decree = next(i for i in sra.items if i.code == "SRA-01")
    assert not decree.wants_photo


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("just: text", "catalogue_version"),
        ("catalogue_version: x\nclusters: []\nsite_types:\n  - {code: A, name_id: a, name_en: a, related_indicators: [I99], checklist: []}\n",
         "related_indicators"),
        (":\n - [", "YAML"),
    ],
)
def test_a_broken_catalogue_file_is_refused_with_the_place(text, fragment):
    with pytest.raises(CatalogueError, match=fragment):
        parse_catalogue(text.encode())

"""The access rule for district evaluations, at the query level."""

from __future__ import annotations

import pytest

from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.errors import NotFound
from fieldvisit.rounds import queries
from tests.support import Persona, World


def as_user(p: Persona) -> CurrentUser:
    return CurrentUser(p.id, p.email, p.key, Role(p.role), p.district_id, None, None, None, False, 0)


async def test_each_persona_sees_exactly_its_district_evaluations(world: World):
    both = {world.tangerang_evaluation, world.serang_evaluation}
    expected = {
        "admin": both,
        "verifier": {world.tangerang_evaluation},
        "notetaker": {world.tangerang_evaluation},
        "tangerang": {world.tangerang_evaluation},
        "serang": {world.serang_evaluation},
    }
    for key, persona in world.personas.items():
        assert set(await queries.visible_evaluation_ids(as_user(persona))) == expected[key], key


async def test_the_raw_sql_twin_of_the_rule_sees_exactly_what_the_rule_sees(world: World):
    """evaluation_scope_sql (the hot paths' raw SQL) and scope_evaluations are one rule."""
    from fieldvisit.db import raw_rows

    for key, persona in world.personas.items():
        user = as_user(persona)
        condition, args = queries.evaluation_scope_sql(user, "e.id")
        rows = await raw_rows(f"SELECT e.id FROM district_evaluation e WHERE {condition}", *args)  # noqa: S608
        assert {r["id"] for r in rows} == set(await queries.visible_evaluation_ids(user)), key
        for evaluation in (world.tangerang_evaluation, world.serang_evaluation):
            assert await queries.sees_evaluation(user, evaluation) == (evaluation in {r["id"] for r in rows}), key


async def test_serang_staff_cannot_load_tangerangs_evaluation(world: World):
    with pytest.raises(NotFound):
        await queries.get_evaluation_for_user(as_user(world.serang), world.tangerang_evaluation)
    row = await queries.get_evaluation_for_user(as_user(world.tangerang), world.tangerang_evaluation)
    assert row["district_code"] == "36.71" and row["round_name"] == "KLA 2025"


async def test_only_assigned_ministry_staff_are_on_the_team(world: World):
    assert await queries.is_on_team(as_user(world.verifier), world.tangerang_evaluation)
    assert not await queries.is_on_team(as_user(world.verifier), world.serang_evaluation)
    assert not await queries.is_on_team(as_user(world.tangerang), world.tangerang_evaluation)
    assert await queries.is_on_team(as_user(world.admin), world.serang_evaluation)

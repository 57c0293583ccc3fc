"""Factories, personas and an HTTP client that handles login and CSRF like a browser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import httpx

from fieldvisit import db
from fieldvisit.accounts import domain as accounts_domain
from fieldvisit.accounts.tables import User, UserSession
from fieldvisit.regions.tables import Region

PASSWORD = "correct horse battery"


@cache
def password_hash() -> str:
    return accounts_domain.hash_password(PASSWORD)


REGIONS = [
    ("36", "Banten", "province", "36", "WIB", "+07:00"),
    ("36.71", "Kota Tangerang", "kota", "36", "WIB", "+07:00"),
    ("36.73", "Kota Serang", "kota", "36", "WIB", "+07:00"),
    ("35", "Jawa Timur", "province", "35", "WIB", "+07:00"),
    ("35.75", "Kota Pasuruan", "kota", "35", "WIB", "+07:00"),
    ("16", "Sumatera Selatan", "province", "16", "WIB", "+07:00"),
    ("16.71", "Kota Palembang", "kota", "16", "WIB", "+07:00"),
    ("51", "Bali", "province", "51", "WITA", "+08:00"),
    ("51.71", "Kota Denpasar", "kota", "51", "WITA", "+08:00"),
]


async def make_region(code: str, name: str, level: str, province: str, zone: str, offset: str) -> int:
    rows = await Region.insert(Region(code=code, name=name, level=level, province_code=province, time_zone=zone,
                                      utc_offset=offset)).returning(Region.id)
    return int(rows[0]["id"])


async def make_user(email: str, role: str, *, name: str = "", district_id: int | None = None,
                    must_change_password: bool = False, is_active: bool = True, language: str | None = None) -> int:
    rows = await User.insert(User(
        email=email, name=name or email.split("@")[0].title(), role=role, district=district_id,
        password_hash=password_hash(), must_change_password=must_change_password, is_active=is_active,
        language=language,
    )).returning(User.id)
    return int(rows[0]["id"])


async def make_session(user_id: int) -> str:
    token = accounts_domain.new_session_token()
    now = datetime.now(UTC)
    await UserSession.insert(UserSession(token_hash=accounts_domain.token_hash(token), user=user_id,
                                         created_at=now, last_seen_at=now))
    return token


async def make_round(name: str = "KLA 2025", year: int = 2025, *, catalogue: str = "perpres-25-2021",
                     **values: Any) -> int:
    from fieldvisit.catalogue.tables import CatalogueVersion
    from fieldvisit.rounds.tables import Round

    version = await CatalogueVersion.select(CatalogueVersion.id).where(CatalogueVersion.code == catalogue).first()
    rows = await Round.insert(Round(name=name, year=year, catalogue_version=version["id"], **values)).returning(Round.id)
    return int(rows[0]["id"])


async def make_evaluation(round_id: int, district_id: int, *, stage: str = "verifikasi_lapangan",
                          field_mode: str = "kunjungan", **values: Any) -> int:
    from fieldvisit.rounds.tables import DistrictEvaluation

    rows = await DistrictEvaluation.insert(DistrictEvaluation(
        round=round_id, district=district_id, stage=stage, field_mode=field_mode, **values)).returning(
        DistrictEvaluation.id)
    return int(rows[0]["id"])


async def assign(evaluation_id: int, user_id: int, role: str) -> None:
    from fieldvisit.rounds.tables import Assignment

    await Assignment.insert(Assignment(district_evaluation=evaluation_id, user=user_id, role=role))


async def make_site(district_id: int, code: str, name: str, site_type: str, *, latitude: float | None = None,
                    longitude: float | None = None, **values: Any) -> int:
    from fieldvisit.sites.tables import Site

    rows = await Site.insert(Site(district=district_id, code=code, name=name, site_type=site_type,
                                  latitude=latitude, longitude=longitude, **values)).returning(Site.id)
    return int(rows[0]["id"])


async def make_indicator_claim(evaluation_id: int, indicator: str, score: str, *, value: str | None = None,
                               kind: str = "number", unit: str = "", **values: Any) -> int:
    from decimal import Decimal

    from fieldvisit.claims.tables import IndicatorClaim

    rows = await IndicatorClaim.insert(IndicatorClaim(
        district_evaluation=evaluation_id, indicator_code=indicator, claimed_score=Decimal(score),
        value=Decimal(value) if value is not None else None, value_kind=kind, unit=unit, **values,
    )).returning(IndicatorClaim.id)
    return int(rows[0]["id"])


async def make_site_item_claim(evaluation_id: int, site_id: int, item: str, status: str = "met",
                               **values: Any) -> int:
    from fieldvisit.claims.tables import SiteItemClaim

    rows = await SiteItemClaim.insert(SiteItemClaim(
        district_evaluation=evaluation_id, site=site_id, item_code=item, claimed_status=status, **values,
    )).returning(SiteItemClaim.id)
    return int(rows[0]["id"])


async def make_visit(evaluation_id: int, site_id: int, *, team: list[int] | None = None, planned_on: Any = None,
                     mode: str = "kunjungan", checked_in: bool = False, outcome: str | None = None,
                     **values: Any) -> int:
    """A visit (planned today in its district's time zone unless told), with its team;
    ``checked_in``/``outcome`` move it on."""
    from fieldvisit.visits.tables import Visit, VisitMember

    if planned_on is None:
        planned_on = await district_today(evaluation_id)

    if checked_in or outcome:
        values.setdefault("checked_in_at", datetime.now(UTC))
        values.setdefault("status", "in_progress")
    rows = await Visit.insert(Visit(district_evaluation=evaluation_id, site=site_id,
                                    planned_on=planned_on, mode=mode, outcome=outcome,
                                    **values)).returning(Visit.id)
    visit_id = int(rows[0]["id"])
    for user_id in team or []:
        await VisitMember.insert(VisitMember(visit=visit_id, user=user_id))
    return visit_id


async def district_today(evaluation_id: int) -> Any:
    """Today as the app counts it for an evaluation: in its district's time zone (not the
    machine's, which is UTC here: the two differ from 17:00 UTC on)."""
    from fieldvisit.rounds.tables import DistrictEvaluation
    from fieldvisit.visits.domain import local_today

    row = await DistrictEvaluation.select(DistrictEvaluation.district.utc_offset.as_alias("utc_offset")).where(
        DistrictEvaluation.id == evaluation_id).first()
    return local_today(datetime.now(UTC), (row or {}).get("utc_offset") or "+07:00")


@dataclass
class Persona:
    key: str
    email: str
    role: str
    id: int
    district_id: int | None = None


@dataclass
class World:
    """Kota Tangerang and Kota Serang evaluated in round KLA 2025; the verifier and the
    note-taker are on Tangerang's team only."""

    regions: dict[str, int]
    round_id: int
    tangerang_evaluation: int
    serang_evaluation: int
    tangerang_site: int  # a Puspaga in Tangerang, with a site-item claim
    serang_site: int
    admin: Persona
    verifier: Persona  # of Tangerang
    notetaker: Persona  # of Tangerang
    tangerang: Persona  # district staff of Tangerang
    serang: Persona  # district staff of Serang
    extra: dict[str, Any]

    @property
    def personas(self) -> dict[str, Persona]:
        return {p.key: p for p in (self.admin, self.verifier, self.notetaker, self.tangerang, self.serang)}


async def build_world() -> World:
    regions = {r[0]: await make_region(*r) for r in REGIONS}

    async def persona(key: str, email: str, role: str, district: str | None = None) -> Persona:
        district_id = regions[district] if district else None
        user_id = await make_user(email, role, district_id=district_id)
        return Persona(key, email, role, user_id, district_id)

    admin = await persona("admin", "admin@kemenpppa.test", "admin")
    verifier = await persona("verifier", "vera@kemenpppa.test", "verifier")
    notetaker = await persona("notetaker", "nina@kemenpppa.test", "notetaker")
    round_id = await make_round()
    tangerang_evaluation = await make_evaluation(round_id, regions["36.71"])
    serang_evaluation = await make_evaluation(round_id, regions["36.73"])
    await assign(tangerang_evaluation, verifier.id, "verifier")
    await assign(tangerang_evaluation, notetaker.id, "notetaker")
    tangerang_site = await make_site(regions["36.71"], "PSPG-01", "Puspaga Kota Tangerang", "PUSPAGA",
                                     latitude=-6.1783, longitude=106.6319, address="Jl. Satria Sudirman No. 1")
    serang_site = await make_site(regions["36.73"], "PSPG-01", "Puspaga Kota Serang", "PUSPAGA",
                                  latitude=-6.1200, longitude=106.1503)
    await make_indicator_claim(tangerang_evaluation, "I08", "34")
    await make_site_item_claim(tangerang_evaluation, tangerang_site, "PUSPAGA-02")
    return World(
        regions=regions, round_id=round_id, tangerang_evaluation=tangerang_evaluation,
        serang_evaluation=serang_evaluation, tangerang_site=tangerang_site, serang_site=serang_site,
        admin=admin, verifier=verifier, notetaker=notetaker,
        tangerang=await persona("tangerang", "dinas@tangerangkota.test", "district", "36.71"),
        serang=await persona("serang", "dinas@serangkota.test", "district", "36.73"),
        extra={},
    )


async def reset_database() -> None:
    """Empty every table (the audit log's append-only triggers are lifted for this only)."""
    from piccolo.engine.postgres import PostgresEngine

    from fieldvisit.db import all_tables

    engine = db.engine()
    # The catalogue is reference data loaded once per run (conftest); everything else is emptied.
    names = [t._meta.tablename for t in all_tables()
             if t._meta.tablename != "migration" and not t._meta.tablename.startswith("catalogue_")]
    if isinstance(engine, PostgresEngine):
        await engine.run_ddl("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE")  # noqa: S608 - names from the code
        return
    await engine.run_ddl("DROP TRIGGER IF EXISTS audit_event_no_update")
    await engine.run_ddl("DROP TRIGGER IF EXISTS audit_event_no_delete")
    for name in reversed(names):  # children before parents (apps list parents first)
        await engine.run_ddl(f'DELETE FROM "{name}"')  # noqa: S608
    from importlib import import_module

    append_only = import_module("migrations.audit.audit_2026_11_23t05_10_00_000000_append_only")
    for statement in append_only.SQLITE:
        await engine.run_ddl(statement)


CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


class Client(httpx.AsyncClient):
    """An in-process client (same event loop as the app) that behaves like a browser:
    it keeps cookies and sends the CSRF token with every unsafe request."""

    @classmethod
    def for_app(cls, app: Any) -> Client:
        return cls(transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 40000)),
                   base_url="http://testserver", follow_redirects=False)

    async def csrf_token(self) -> str:
        """The double-submit token: the cookie's value, fetched with a first GET if needed."""
        token = self.cookies.get("csrftoken")
        if token is None:
            await self.get("/healthz")
            await self.get("/login")
            token = self.cookies.get("csrftoken")
        assert token, "no CSRF cookie was set"
        return token

    async def post_form(self, url: str, data: dict[str, Any] | None = None, *, files: Any = None,
                        headers: dict[str, str] | None = None, csrf: bool = True) -> httpx.Response:
        all_headers = dict(headers or {})
        if csrf:
            all_headers["x-csrftoken"] = await self.csrf_token()
        return await self.post(url, data=data or {}, files=files, headers=all_headers)

    async def sign_in_as(self, persona: Persona | int) -> None:
        """Sign in without the password round trip (login itself is tested on its own)."""
        user_id = persona if isinstance(persona, int) else persona.id
        self.cookies.set("fv_session", await make_session(user_id), domain="testserver.local")

    async def login(self, email: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
        return await self.post_form("/login", {"email": email, "password": password, **extra})

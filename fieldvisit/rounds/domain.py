"""Pure rules of rounds and district evaluations: stages, field modes, tolerances, dates."""

from __future__ import annotations

import enum
import re
from datetime import date
from decimal import Decimal

from fieldvisit.web.i18n import N_, _


class Stage(enum.StrEnum):
    """The stages of a district's evaluation, in order (KLA.md, "The evaluation")."""

    EVALUASI_MANDIRI = "evaluasi_mandiri"
    VERIFIKASI_ADMINISTRASI = "verifikasi_administrasi"
    VERIFIKASI_LAPANGAN = "verifikasi_lapangan"
    VERIFIKASI_FINAL = "verifikasi_final"
    SELESAI = "selesai"

    @property
    def label(self) -> str:
        return _(STAGE_LABELS[self])

    @property
    def number(self) -> int:
        return list(Stage).index(self) + 1


STAGE_LABELS = {
    Stage.EVALUASI_MANDIRI: N_("Self-assessment"),
    Stage.VERIFIKASI_ADMINISTRASI: N_("Administrative verification"),
    Stage.VERIFIKASI_LAPANGAN: N_("Field verification"),
    Stage.VERIFIKASI_FINAL: N_("Final verification"),
    Stage.SELESAI: N_("Finished"),
}


class FieldMode(enum.StrEnum):
    """How the field verification is done by default; each visit can still choose."""

    HYBRID = "hybrid"
    KUNJUNGAN = "kunjungan"

    @property
    def label(self) -> str:
        return _(FIELD_MODE_LABELS[self])


FIELD_MODE_LABELS = {
    FieldMode.HYBRID: N_("Hybrid (video session with the district)"),
    FieldMode.KUNJUNGAN: N_("On-site visit (kunjungan)"),
}

#: Team roles: the user's role when assigned.
TEAM_ROLES = ("verifier", "notetaker")

DEFAULT_LOW = Decimal("0.90")
DEFAULT_HIGH = Decimal("1.10")
#: Numeric(5, 3) in the table: at most 99.999.
TOLERANCE_LIMIT = Decimal("99.999")


def stage_label(value: str) -> str:
    try:
        return Stage(value).label
    except ValueError:
        return value


def field_mode_label(value: str) -> str:
    try:
        return FieldMode(value).label
    except ValueError:
        return value


def tolerance_problem(low: Decimal | None, high: Decimal | None) -> str | None:
    """Why a verification-factor band cannot be used, or None. Both bounds are needed,
    both above 0, and low below high (KLA.md: default 0.90-1.10)."""
    if low is None or high is None:
        return _("Enter both bounds, such as 0.90 and 1.10, or leave both empty for the default.")
    if low <= 0 or high <= 0:
        return _("Both bounds must be greater than 0.")
    if low >= high:
        return _("The lower bound must be below the upper bound.")
    if high > TOLERANCE_LIMIT:
        return _("The upper bound must be at most 99.999.")
    if low.as_tuple().exponent < -3 or high.as_tuple().exponent < -3:  # type: ignore[operator]
        return _("Use at most three decimals.")
    return None


def is_default_tolerance(low: Decimal, high: Decimal) -> bool:
    return low == DEFAULT_LOW and high == DEFAULT_HIGH


def dates_problem(starts_on: date | None, ends_on: date | None) -> str | None:
    if starts_on and ends_on and ends_on < starts_on:
        return _("The end date is before the start date.")
    return None


CODE = re.compile(r"^\d{2}\.\d{2}$")


def split_codes(text: str) -> list[str]:
    """Kemendagri kab/kota codes typed in one field (commas, spaces, semicolons or new lines),
    in the order given, without repeats."""
    return list(dict.fromkeys(part for part in re.split(r"[\s,;]+", text.strip()) if part))


def bad_codes(codes: list[str]) -> list[str]:
    return [code for code in codes if not CODE.match(code)]


def team_problem(role: str, is_active: bool) -> str | None:
    """Only active verifiers and note-takers join a district evaluation's team."""
    if role not in TEAM_ROLES:
        return _("Only verifiers and note-takers can be on a team.")
    if not is_active:
        return _("This account is disabled.")
    return None

"""Parse account forms into typed values or field errors."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from fieldvisit.accounts import domain
from fieldvisit.accounts.domain import Role
from fieldvisit.web.forms import Errors, FormData
from fieldvisit.web.i18n import _


@dataclass(frozen=True)
class Login:
    email: str
    password: str
    next: str


def parse_login(form: FormData) -> tuple[Login, Errors]:
    errors = Errors()
    email = domain.normalise_email(form.get("email"))
    password = form.values.get("password", "")
    if not email:
        errors.add("email", _("Enter your email address."))
    if not password:
        errors.add("password", _("Enter your password."))
    return Login(email, password, form.get("next")), errors


@dataclass(frozen=True)
class PasswordChange:
    current: str
    new: str


def parse_password_change(form: FormData, *, email: str) -> tuple[PasswordChange, Errors]:
    errors = Errors()
    current, new, repeat = (form.values.get(k, "") for k in ("current", "new", "repeat"))
    if not current:
        errors.add("current", _("Enter your current password."))
    problem = domain.password_problem(new, email=email)
    if problem:
        errors.add("new", problem)
    elif new != repeat:
        errors.add("repeat", _("The two new passwords are not the same."))
    elif new == current:
        errors.add("new", _("Choose a password different from the current one."))
    return PasswordChange(current, new), errors


@dataclass(frozen=True)
class UserInput:
    email: str
    name: str
    role: Role | None
    district_code: str
    is_active: bool


def parse_user(form: FormData, *, editing: bool = False) -> tuple[UserInput, Errors]:
    errors = Errors()
    email = domain.normalise_email(form.get("email"))
    name = form.get("name")
    if not editing:
        if not email:
            errors.add("email", _("Enter an email address."))
        elif not domain.looks_like_email(email):
            errors.add("email", _("Enter an email address like name@example.go.id."))
    if not name:
        errors.add("name", _("Enter the person's name."))
    elif len(name) > 200:
        errors.add("name", _("Use at most 200 characters."))
    role = _role(form.get("role"))
    if role is None:
        errors.add("role", _("Choose a role."))
    district_code = form.get("district").strip()
    if role is Role.DISTRICT and not district_code:
        errors.add("district", _("District staff belong to one kab/kota: choose it."))
    if role is not Role.DISTRICT:
        district_code = ""
    is_active = form.get("is_active", "on" if not editing else "") in ("on", "true", "1")
    return UserInput(email, name, role, district_code, is_active), errors


def _role(raw: str) -> Role | None:
    try:
        return Role(raw.strip().lower())
    except ValueError:
        return None


@dataclass(frozen=True)
class UserRow:
    line: int
    email: str
    name: str
    role: Role
    district_code: str
    language: str | None


ROLE_ALIASES = {"admin": Role.ADMIN, "verifier": Role.VERIFIER, "verifikator": Role.VERIFIER,
                "notetaker": Role.NOTETAKER, "note-taker": Role.NOTETAKER, "notulis": Role.NOTETAKER,
                "district": Role.DISTRICT, "daerah": Role.DISTRICT, "kabkota": Role.DISTRICT}
HEADER_ALIASES = {"email": "email", "surel": "email", "e-mail": "email", "name": "name", "nama": "name",
                  "role": "role", "peran": "role", "district": "district", "kabkota": "district",
                  "kab/kota": "district", "kode_kabkota": "district", "kode kab/kota": "district",
                  "language": "language", "bahasa": "language"}


def parse_users_csv(raw: bytes) -> tuple[list[UserRow], list[str]]:
    """Rows of a users CSV (email, name, role, district code, optional language), or messages."""
    problems: list[str] = []
    if not raw.strip():
        return [], [_("The file is empty.")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, [])
    columns = {HEADER_ALIASES.get(h.strip().lower()): i for i, h in enumerate(header)}
    missing = [c for c in ("email", "name", "role") if c not in columns]
    if missing:
        return [], [_("Missing column(s): %(cols)s. Expected: email, name, role, district, language.")
                    % {"cols": ", ".join(missing)}]
    rows: list[UserRow] = []
    seen: set[str] = set()
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue

        def cell(key: str, record: list[str] = record) -> str:
            index = columns.get(key)
            return record[index].strip() if index is not None and index < len(record) else ""

        email = domain.normalise_email(cell("email"))
        role = ROLE_ALIASES.get(cell("role").lower())
        language = cell("language").lower() or None
        if not domain.looks_like_email(email):
            problems.append(_("Row %(line)d: %(value)r is not an email address.") % {"line": line, "value": email})
        elif email in seen:
            problems.append(_("Row %(line)d: %(value)s appears twice in the file.") % {"line": line, "value": email})
        if not cell("name"):
            problems.append(_("Row %(line)d: the name is empty.") % {"line": line})
        if role is None:
            problems.append(_("Row %(line)d: unknown role %(value)r (admin, verifier, notetaker, district).")
                            % {"line": line, "value": cell("role")})
        if role is Role.DISTRICT and not cell("district"):
            problems.append(_("Row %(line)d: district staff need a kab/kota code such as 36.71.") % {"line": line})
        if language not in (None, "id", "en"):
            problems.append(_("Row %(line)d: language must be id or en.") % {"line": line})
            language = None
        seen.add(email)
        if role is not None:
            rows.append(UserRow(line, email, cell("name"), role,
                                cell("district") if role is Role.DISTRICT else "", language))
    if not rows and not problems:
        problems.append(_("The file has a header but no users."))
    return rows, problems

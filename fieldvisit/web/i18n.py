"""Bahasa Indonesia by default, English on request.

Source strings are English. Each capability keeps its Indonesian catalogue in
``fieldvisit/locale/id/LC_MESSAGES/<domain>.po`` (one file a capability, so parallel work
does not collide); they are merged when the app starts, no compile step needed.
``fieldvisit messages`` re-extracts every domain and updates its catalogue.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from fieldvisit.settings import PROJECT_ROOT

LANGUAGES = ("id", "en")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current: ContextVar[str] = ContextVar("fieldvisit_language", default="id")


def choose_language(preference: str | None, cookie: str | None, accept_language: str | None, default: str) -> str:
    """User preference first, then the language cookie, then the browser: ``en*`` is
    English, anything else Indonesian; with no browser header, the default."""
    for choice in (preference, cookie):
        if choice in LANGUAGES:
            return choice
    if accept_language:
        first = accept_language.split(",")[0].split(";")[0].strip().lower()
        if first:
            return "en" if first.startswith("en") else "id"
    return default if default in LANGUAGES else "id"


@cache
def translations(language: str) -> _gettext.NullTranslations:
    if language == "en":
        return _gettext.NullTranslations()
    merged = Catalog(locale=language)
    for po in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                merged[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(fp=buffer)


def current_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else "id")


@contextmanager
def language(lang: str) -> Iterator[None]:
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a string for extraction without translating it now (module-level labels)."""
    return message


_ = gettext


# --- catalogue maintenance (used by `fieldvisit messages` and the staleness test) ----

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def domains() -> dict[str, list[Path]]:
    """Each capability package with sources is a domain; 'core' holds the shared parts."""
    pkg = PROJECT_ROOT / "fieldvisit"
    templates = PROJECT_ROOT / "templates"
    result: dict[str, list[Path]] = {"core": []}
    result["core"] += [p for p in pkg.glob("*.py")]
    result["core"] += list((pkg / "web").rglob("*.py"))
    result["core"] += [p for p in templates.glob("*.html")]
    result["core"] += list((templates / "errors").rglob("*.html"))
    for sub in sorted(pkg.iterdir()):
        if not sub.is_dir() or sub.name in ("web", "locale", "__pycache__"):
            continue
        files = list(sub.rglob("*.py")) + list((templates / sub.name).rglob("*.html"))
        if files:
            result[sub.name] = files
    return result


def extract(files: list[Path]) -> Catalog:
    from babel.messages.extract import extract as babel_extract

    catalog = Catalog(locale=None, project="FieldVisit", charset="utf-8")
    for path in sorted(files):
        method = "jinja2" if path.suffix == ".html" else "python"
        options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"} if method == "jinja2" else {}
        with path.open("rb") as fh:
            for lineno, message, comments, context in babel_extract(
                method, fh, keywords=KEYWORDS, options=options
            ):
                catalog.add(message, None, [(str(path.relative_to(PROJECT_ROOT)), lineno)],
                            auto_comments=comments, context=context)
    return catalog


def po_path(domain: str, language: str = "id") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def update_catalogues() -> dict[str, int]:
    """Extract each domain and merge into its Indonesian catalogue; returns untranslated counts."""
    from babel.messages.pofile import write_po

    report: dict[str, int] = {}
    for domain, files in domains().items():
        template = extract(files)
        path = po_path(domain)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale="id")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale="id", project="FieldVisit", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if not len(template):
            if path.exists():
                path.unlink()
            continue
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)
        # Rewrite only when an entry changed: the header dates alone must not churn the file.
        if not path.exists() or _without_dates(path.read_bytes()) != _without_dates(buffer.getvalue()):
            path.write_bytes(buffer.getvalue())
        report[domain] = sum(1 for m in catalog if m.id and not m.string)
    translations.cache_clear()
    return report


def _without_dates(po: bytes) -> bytes:
    return b"\n".join(line for line in po.splitlines()
                      if not line.startswith((b'"POT-Creation-Date', b'"PO-Revision-Date')))

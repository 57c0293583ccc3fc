"""Browser tests: a real server process, Debian's Chromium through Playwright, at 360x800.

Every page a test visits goes through ``check_page``: a screenshot into test-artifacts/, axe-core
(from node_modules, injected with CSP bypassed) must find no violation, no horizontal scrolling
at 360 px, and no tap target under 44 px.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screens"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 360, "height": 800}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 800}}
DEMO_PASSWORD = "fieldvisit-demo"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """`fieldvisit demo` then `fieldvisit serve` in a subprocess (never a thread: see STACK-NOTES).

    ``extra_env`` points a module at a database of its own (see test_dashboard_browser)."""
    env = {**os.environ, "LOG_LEVEL": "warning", **(extra_env or {})}
    subprocess.run([sys.executable, "-m", "fieldvisit", "demo"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fieldvisit", "serve", "--port", str(port)], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("the server did not start")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def own_database_env(name: str, **extra: str) -> dict[str, str]:
    """The environment of a browser-test module that needs a database of its own (its data would
    crowd the shared demo's pages): a SQLite file, or a PostgreSQL database dropped at the end."""
    from tests.conftest import EXTRA_PG_DATABASES, PG_NAME, RUN_DIR, TEST_DB, _pg_admin, _pg_url

    folder = RUN_DIR / f"browser-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    if TEST_DB == "postgres":
        database = f"{PG_NAME}_{name}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{database}"'))
        EXTRA_PG_DATABASES.append(database)
        url = _pg_url(database)
    else:
        url = f"sqlite:///{folder / 'test.sqlite'}"
    return {"DATABASE_URL": url, "VAR_DIR": str(folder / "var"), **extra}


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The demo, served once for every browser test module that does not bring its own."""
    with running_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian chromium is missing: `make chromium`"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _context(browser: Browser, live_server: str, **options: object) -> BrowserContext:
    context = browser.new_context(base_url=live_server, bypass_csp=True, locale="id-ID", **options)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    context = _context(browser, live_server, **PHONE)
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture
def new_context(browser: Browser, live_server: str):
    contexts: list[BrowserContext] = []

    def make(device: str = "phone", **options: object) -> Page:
        context = _context(browser, live_server, **(PHONE if device == "phone" else LAPTOP), **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


TAP_TARGETS_JS = """
() => {
  const small = [];
  const nodes = document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]');
  for (const el of nodes) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
    // WCAG 2.5.8 exception: a link inside a sentence.
    if (el.tagName === 'A' && style.display === 'inline') {
      const parentText = (el.parentElement.innerText || '').trim();
      if (parentText.length > (el.innerText || '').trim().length + 1) continue;
    }
    const h = (el.type === 'checkbox' || el.type === 'radio') ? Math.max(r.height, el.parentElement.getBoundingClientRect().height) : r.height;
    if (h < 44 || r.width < 24) small.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.value || el.name || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(h)}`);
  }
  return small;
}
"""


def check_page(page: Page, name: str, *, full_page: bool = True) -> None:
    """Screenshot, then the three page checks: axe, no horizontal scroll, tap targets."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [f"{v['id']}: {v['help']} ({len(v['nodes'])}x: {v['nodes'][0]['target']})" for v in result["violations"]]
    assert not violations, f"{name}: axe violations:\n" + "\n".join(violations)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"
    small = page.evaluate(TAP_TARGETS_JS)
    assert not small, f"{name}: tap targets under 44px: {small}"


def login(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.locator("#f-password").fill(password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def demo_evaluation_card(page: Page, district: str = "Kota Tangerang") -> Locator:
    """The district's card of the demo round "KLA 2025" on a home page or the evaluations list."""
    return page.locator(".card").filter(has_text="KLA 2025 ·").filter(has_text=district)


def open_demo_evaluation(page: Page, district: str = "Kota Tangerang") -> None:
    demo_evaluation_card(page, district).get_by_role("link", name=district).click()

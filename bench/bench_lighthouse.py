"""Lighthouse (npm, pinned) with Debian's Chromium, mobile form factor: performance,
accessibility and best-practices scores of the login page and a role home page, and the page
weight in bytes (HTML, CSS, JS as transferred, compressed) without htmx (issue 2).
Targets: >= 95, 100, 100; <= 30 KB."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import httpx

from bench.common import ROOT, Figure, migrate_and_demo, scratch_postgres, server

LIGHTHOUSE_VERSION = "12.8.2"
PREFIX = ROOT / ".cache" / "lighthouse"
BINARY = PREFIX / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                "--disable-background-networking --disable-component-update --disable-sync")


def ensure_lighthouse() -> Path:
    if not BINARY.exists():
        PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(PREFIX), "--no-fund", "--no-audit", "--silent",
                        f"lighthouse@{LIGHTHOUSE_VERSION}"], check=True, stdout=subprocess.DEVNULL)
    return BINARY


def audit(url: str, *, headers: dict[str, str] | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        args = [str(ensure_lighthouse()), url, f"--chrome-flags={CHROME_FLAGS}",
                "--only-categories=performance,accessibility,best-practices", "--output=json",
                f"--output-path={out}", "--quiet", "--form-factor=mobile"]
        if headers:
            args.append(f"--extra-headers={json.dumps(headers)}")
        subprocess.run(args, check=True, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)
        return json.loads(out.read_text())


def page_weight(report: dict) -> tuple[int, int]:
    """(bytes of HTML+CSS+JS without htmx, bytes of htmx) as transferred."""
    items = report["audits"]["network-requests"]["details"]["items"]
    ours = htmx = 0
    for item in items:
        if item.get("resourceType") not in ("Document", "Stylesheet", "Script"):
            continue
        if "htmx" in item["url"]:
            htmx += int(item.get("transferSize", 0))
        else:
            ours += int(item.get("transferSize", 0))
    return ours, htmx


def run(smoke: bool) -> list[Figure]:
    figures: list[Figure] = []
    with scratch_postgres() as url:
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench"}
        migrate_and_demo(env)
        with server(env) as base:
            with httpx.Client(base_url=base) as client:
                client.get("/login")
                response = client.post("/login", data={"email": "verifier@demo.fieldvisit.id",
                                                       "password": "fieldvisit-demo",
                                                       "_csrf_token": client.cookies["csrftoken"]})
                assert response.status_code == 303
                cookie = f"fv_session={client.cookies['fv_session']}"
            pages = [("login", base + "/login", None), ("verifier home", base + "/", {"Cookie": cookie})]
            for name, page_url, headers in pages[:1] if smoke else pages:
                report = audit(page_url, headers=headers)
                assert report["finalDisplayedUrl"].rstrip("/") == page_url.rstrip("/"), report["finalDisplayedUrl"]
                scores = {key: round(report["categories"][key]["score"] * 100) for key in
                          ("performance", "accessibility", "best-practices")}
                ours, htmx = page_weight(report)
                for key, target in (("performance", 95), ("accessibility", 100), ("best-practices", 100)):
                    figures.append(Figure(f"{name}: {key}", scores[key], "score", target=f">= {target}",
                                          ok=scores[key] >= target))
                failing = [a["id"] for a in report["audits"].values()
                           if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"]
                figures.append(Figure(f"{name}: page weight without htmx", ours, "bytes", target="<= 30720",
                                      ok=ours <= 30 * 1024, notes=f"htmx {htmx} bytes; failing audits: {failing}"))
    return figures

"""Requests/s and p50/p95 of an authenticated role home page, served by a real server process
on PostgreSQL at 50 concurrent connections, next to a bare "hello" endpoint of the same app in
the same run (issue 2). Load generator: wrk (C, event-driven; not the bottleneck)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx

from bench.common import Figure, migrate_and_demo, scratch_postgres, server

WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "socket_errors": %d, "non_2xx_3xx": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n', summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
"""


def wrk(url: str, *, seconds: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: `make system-packages`")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script.name]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    match = re.search(r"WRKJSON (\{.*\})", out)
    if not match:
        raise RuntimeError(f"wrk printed no report:\n{out}")
    data = json.loads(match.group(1))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def run(smoke: bool) -> list[Figure]:
    seconds, connections = (2, 10) if smoke else (15, 50)
    with scratch_postgres() as url:
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench", "WORKERS": "1"}
        migrate_and_demo(env)
        with server(env) as base:
            with httpx.Client(base_url=base) as client:
                client.get("/login")
                token = client.cookies["csrftoken"]
                response = client.post("/login", data={"email": "verifier@demo.fieldvisit.id",
                                                       "password": "fieldvisit-demo", "_csrf_token": token})
                assert response.status_code == 303, response.text
                session = client.cookies["fv_session"]
                home = client.get("/", cookies={"fv_session": session})
                assert home.status_code == 200 and "Kunjungan saya" in home.text or "My visits" in home.text
            # warm up both, then measure
            wrk(base + "/hello", seconds=1, connections=connections, headers={})
            hello = wrk(base + "/hello", seconds=seconds, connections=connections, headers={})
            cookie = {"Cookie": f"fv_session={session}", "Accept-Language": "id"}
            wrk(base + "/", seconds=1, connections=connections, headers=cookie)
            home_page = wrk(base + "/", seconds=seconds, connections=connections, headers=cookie)
    notes = f"{connections} connections, {seconds}s each, 1 uvicorn worker, PostgreSQL, verifier home"
    errors = home_page["socket_errors"] + home_page["non_2xx_3xx"] + hello["socket_errors"] + hello["non_2xx_3xx"]
    return [
        Figure("hello: requests/s", hello["rps"], "req/s", notes=notes),
        Figure("hello: p50", hello["p50_us"] / 1000, "ms"),
        Figure("hello: p95", hello["p95_us"] / 1000, "ms"),
        Figure("home page: requests/s", home_page["rps"], "req/s", notes=notes),
        Figure("home page: p50", home_page["p50_us"] / 1000, "ms"),
        Figure("home page: p95", home_page["p95_us"] / 1000, "ms"),
        Figure("home page / hello throughput ratio", home_page["rps"] / hello["rps"], "ratio"),
        Figure("errors (socket + non-2xx/3xx)", errors, "count", target="0", ok=errors == 0),
    ]

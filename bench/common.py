"""Shared benchmark plumbing: figures, hardware description, JSON output, a server process."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


@dataclass
class Figure:
    """One measured number. ``target`` is what the issue asks for, as text (e.g. '<= 1.3')."""

    name: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def hardware() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def write_results(name: str, figures: list[Figure], *, smoke: bool) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "smoke": smoke, "date": datetime.now(UTC).isoformat(timespec="seconds"),
               "hardware": hardware(), "figures": [asdict(f) for f in figures]}
    path = RESULTS / f"{name}{'-smoke' if smoke else ''}.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(env: dict[str, str], *, workers: int = 1, port: int | None = None) -> Iterator[str]:
    """A real `fieldvisit serve` process; yields its base URL once /healthz answers."""
    port = port or free_port()
    full_env = {**os.environ, **env, "LOG_LEVEL": "warning"}
    proc = subprocess.Popen([sys.executable, "-m", "fieldvisit", "serve", "--port", str(port), "--workers", str(workers)],
                            cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start in 30 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


PG_ADMIN_URL = os.environ.get("FIELDVISIT_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def scratch_postgres(prefix: str = "fv_bench") -> Iterator[str]:
    """A fresh PostgreSQL database for one benchmark, dropped afterwards; yields its URL."""
    import asyncio
    import uuid

    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rpartition("/")[0] + "/" + name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def migrate_and_demo(env: dict[str, str], *, demo: bool = True) -> None:
    """Run `fieldvisit migrate` (and `demo`) in a subprocess against ``env``'s database."""
    full_env = {**os.environ, **env}
    subprocess.run([sys.executable, "-m", "fieldvisit", "demo" if demo else "migrate"], cwd=ROOT, env=full_env,
                   check=True, stdout=subprocess.DEVNULL)


def cpu_by_group(groups: dict[str, str]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the processes whose command line, or an
    ancestor's, contains each pattern (``{"server": "fieldvisit serve"}`` counts uvicorn's
    worker processes too), summed per group, plus ``"this process"`` (the load generator) and
    ``"machine"`` (every core's busy time). Take it before and after a load: the differences
    say who used the processors."""
    ticks = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    used: dict[int, float] = {}
    command: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        pid = int(stat.parent.name)
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command[pid] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parent[pid], used[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks
    out = dict.fromkeys(groups, 0.0)
    for pid, seconds in used.items():
        line, seen = pid, 0
        while line in command and seen < 20:
            group = next((g for g, pattern in groups.items() if pattern in command[line]), None)
            if group is not None:
                out[group] += seconds
                break
            line, seen = parent.get(line, 0), seen + 1
    usage = os.times()
    out["this process"] = usage.user + usage.system
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    out["machine"] = (sum(map(int, cpu)) - int(cpu[3]) - int(cpu[4])) / ticks  # all but idle and iowait
    return out

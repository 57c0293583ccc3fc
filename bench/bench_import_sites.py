"""Site list import, the whole way, into PostgreSQL: a generated CSV of 100 000 sites spread over
the 514 kab/kota (semicolons and decimal commas, as Indonesian Excel writes them) is read,
checked, previewed (stored under an import id) and committed, in a process of its own; its time
and peak RSS are measured, and the same file loaded by PostgreSQL ``COPY`` in the same run is the
floor. Targets (issue 3): ≤ 10 s, ≤ 300 MB, ≤ 20× COPY. Smoke: 500 rows.

``python -m bench import_sites`` (or ``python -m bench.bench_import_sites child FILE`` for the
measured process alone).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Figure, scratch_postgres

REGIONS_CSV = "regions-kemendagri-2025.csv"
HEADER = ["kode_lokasi", "nama", "jenis", "kab_kota", "alamat", "kecamatan", "kelurahan", "lintang", "bujur",
          "narahubung", "telepon"]
TYPES = ["PUSPAGA", "SRA", "PUSKESMAS_RA", "RBRA", "PISA_PERPUS", "PKA", "UPTD_PPA", "LKSA", "FORUM_ANAK", "KTR",
         "ZOSS_RASS", "RUANG_ASI", "RIRA", "PAUD_HI", "KANTOR_OPD", "GUGUS_TUGAS_KLA"]


def regions_file() -> Path:
    """../shared/domain/regions-kemendagri-2025.csv beside the checkout (or a worktree of it)."""
    for parent in ROOT.parents:
        path = parent / "shared" / "domain" / REGIONS_CSV
        if path.exists():
            return path
    raise FileNotFoundError(f"{REGIONS_CSV} not found in a shared/domain folder above {ROOT}")


def kabkota_codes(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return [r["code"] for r in csv.DictReader(fh) if r["level"] != "province"]


def generate(rows: int, codes: list[str], path: Path) -> None:
    rng = random.Random(25)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, delimiter=";")
        out.writerow(HEADER)
        for n in range(rows):
            kind = TYPES[n % len(TYPES)]
            lat, lon = rng.uniform(-10.5, 5.5), rng.uniform(95.5, 140.5)
            out.writerow([f"{kind[:4]}-{n:06d}", f"{kind.title()} {n}", kind, codes[n % len(codes)],
                          f"Jl. Contoh No. {n % 300 + 1}", f"Kecamatan {n % 40}", f"Kelurahan {n % 400}",
                          f"{lat:.6f}".replace(".", ","), f"{lon:.6f}".replace(".", ","), f"Petugas {n % 97}",
                          f"08{rng.randrange(10**9, 10**10)}"])


def fieldvisit(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "fieldvisit", *args], cwd=ROOT, env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)


async def copy_floor(url: str, data: bytes) -> float:
    """The same file loaded by COPY into a plain table: PostgreSQL's floor for these rows."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        times = []
        for _run in range(3):  # the median of three: one COPY is short and the machine is shared
            await conn.execute("CREATE UNLOGGED TABLE site_copy_floor ("
                               + ", ".join(f"{c} text" for c in HEADER) + ")")
            started = time.perf_counter()
            await conn.copy_to_table("site_copy_floor", source=io.BytesIO(data), format="csv", header=True,
                                     delimiter=";")
            times.append(time.perf_counter() - started)
            await conn.execute("DROP TABLE site_copy_floor")
        return sorted(times)[1]
    finally:
        await conn.close()


async def copy_site_shaped(url: str, data: bytes) -> float:
    """The same rows by COPY into a table shaped like ``site`` (its defaults, primary key, unique
    (kab/kota, code) index and foreign key to region), kab/kota ids and numbers resolved before
    the clock starts: what the rows cost the database as a site table holds them."""
    from datetime import UTC, datetime

    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        ids = {r["code"]: r["id"] for r in await conn.fetch("SELECT id, code FROM region")}
        now = datetime.now(UTC)
        records = [(ids[r["kab_kota"]], r["kode_lokasi"], r["nama"], r["jenis"], r["alamat"], r["kecamatan"],
                    r["kelurahan"], float(r["lintang"].replace(",", ".")), float(r["bujur"].replace(",", ".")),
                    r["narahubung"], r["telepon"], True, now, now)
                   for r in csv.DictReader(io.StringIO(data.decode()), delimiter=";")]
        await conn.execute("CREATE TABLE site_floor (LIKE site INCLUDING DEFAULTS INCLUDING INDEXES)")
        await conn.execute("ALTER TABLE site_floor ADD FOREIGN KEY (district) REFERENCES region (id)")
        started = time.perf_counter()
        await conn.copy_records_to_table("site_floor", records=records, columns=[
            "district", "code", "name", "site_type", "address", "kecamatan", "kelurahan", "latitude", "longitude",
            "contact_person", "phone", "is_active", "created_at", "updated_at"])
        elapsed = time.perf_counter() - started
        await conn.execute("DROP TABLE site_floor")
        return elapsed
    finally:
        await conn.close()


async def count_sites(url: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM site"))
    finally:
        await conn.close()


def run(smoke: bool) -> list[Figure]:
    rows = 500 if smoke else 100_000
    regions = regions_file()
    with scratch_postgres("fv_bench_import") as url, tempfile.TemporaryDirectory() as tmp:
        env = {"DATABASE_URL": url, "VAR_DIR": tmp, "LOG_LEVEL": "warning"}
        fieldvisit(env, "migrate")
        fieldvisit(env, "load-catalogue")
        fieldvisit(env, "import-regions", str(regions))
        csv_path = Path(tmp) / "sites.csv"
        generate(rows, kabkota_codes(regions), csv_path)
        floor = asyncio.run(copy_floor(url, csv_path.read_bytes()))
        site_shaped = asyncio.run(copy_site_shaped(url, csv_path.read_bytes()))
        started = time.perf_counter()
        child = subprocess.run([sys.executable, "-m", "bench.bench_import_sites", "child", str(csv_path)], cwd=ROOT,
                               env={**os.environ, **env}, check=True, capture_output=True)
        wall = time.perf_counter() - started
        children_peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far
        measured = json.loads(child.stdout.decode().strip().splitlines()[-1])
        stored = asyncio.run(count_sites(url))
    if stored != rows:
        raise RuntimeError(f"expected {rows} sites stored, found {stored}")
    seconds = measured["preview_s"] + measured["confirm_s"]
    peak_mb = measured["peak_rss_kb"] / 1024
    ratio = seconds / floor
    notes = f"{rows} rows over the 514 kab/kota, {measured['file_mb']:.1f} MB CSV"
    return [
        Figure("import sites: read, check, preview, commit", seconds, "s", "<= 10", seconds <= 10 if not smoke else None,
               notes, {"preview_s": measured["preview_s"], "confirm_s": measured["confirm_s"],
                       "cpu_s_of_the_importing_process": measured["cpu_s"], "process_wall_s": wall,
                       "rows_per_s": rows / seconds, "file_mb": measured["file_mb"],
                       "load_average_1min": os.getloadavg()[0]}),
        Figure("import sites: peak RSS of the importing process", peak_mb, "MB", "<= 300",
               peak_mb <= 300 if not smoke else None, "VmHWM of the process, Python and imports included",
               {"rusage_children_max_mb": children_peak_kb / 1024, "ru_maxrss_mb": measured["ru_maxrss_kb"] / 1024}),
        Figure("PostgreSQL COPY of the same file (floor)", floor, "s", "", None,
               "COPY … FROM STDIN (csv, ';') into an unlogged table of text columns; median of 3"),
        Figure("import / COPY", ratio, "x", "<= 20", ratio <= 20 if not smoke else None),
        Figure("COPY of the same rows into a site-shaped table (its indexes and foreign key)", site_shaped, "s", "",
               None, "for reference: what the site table itself costs"),
        Figure("import / site-shaped COPY", seconds / site_shaped, "x", "", None, "for reference"),
    ]


def peak_rss_kb() -> int:
    """This process's own high-water RSS (VmHWM). Not ru_maxrss: Linux carries the parent's RSS
    at fork into the child's ru_maxrss, so a `python -m bench` that ran the face benchmark first
    (~700 MB) made this process look as large."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(path: str) -> None:
    """The measured process: the whole import as `fieldvisit import-sites --yes` does it."""
    import resource

    from fieldvisit import db
    from fieldvisit.imports import queries
    from fieldvisit.imports.reader import MB
    from fieldvisit.settings import Settings

    settings = Settings.from_env()

    async def main() -> dict[str, float]:
        async with db.connected(settings):
            actor = queries.cli_actor()
            started = time.perf_counter()
            raw = await asyncio.to_thread(Path(path).read_bytes)
            batch_id = await queries.preview_sites(actor, raw, Path(path).name, queries.SiteOptions(),
                                                   max_bytes=settings.max_import_mb * MB)
            previewed = time.perf_counter()
            del raw
            outcome = await queries.confirm(actor, batch_id, max_bytes=settings.max_import_mb * MB)
            confirmed = time.perf_counter()
            assert outcome["status"] == "committed", outcome
            return {"preview_s": previewed - started, "confirm_s": confirmed - previewed}

    before = resource.getrusage(resource.RUSAGE_SELF)
    figures = asyncio.run(main())
    after = resource.getrusage(resource.RUSAGE_SELF)
    figures["cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    figures["file_mb"] = Path(path).stat().st_size / MB
    figures["peak_rss_kb"] = peak_rss_kb()
    figures["ru_maxrss_kb"] = after.ru_maxrss
    print(json.dumps(figures))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "child":
        child(sys.argv[2])
    else:
        raise SystemExit("usage: python -m bench import_sites  (or: python -m bench.bench_import_sites child FILE)")

"""``make bench``: Dougal's performance figures on this machine, printed (not a test).

- ingest, end to end from the SQS message to committed rows, each in a fresh
  worker process (peak memory measured there): a 10,000-shot 2-source P1/11
  sequence, a ~100 MB P1/11 file, a 1,000,000-point SPS preplot; rows/s next to a
  bare COPY of the same rows into a table of the same shape;
- ``GET /project/{project}`` on a 1M-point project with 500 sequences: through
  the Chalice test client, and over HTTP with keep-alive through the local API
  server ``make run`` uses (in its own process, the clients in theirs), next to
  the handler's own time from the server's request log; the throughput of 8
  concurrent keep-alive clients against one; ``GET /health`` over HTTP;
- the event log's first page and a changes poll;
- the planner: ``GET …/plan`` with 200 planned sequences and ``GET …/forecast`` on the
  1M-point project, next to the bare query of the same plan rows;
- the navigation feed: 50 headers/s sustained for 60 s in batches of 10 through the ``POST /navdata``
  handler, each batch's time next to a bare INSERT of the same rows; then ``q`` by time on 10M stored
  headers (made with ``generate_series``, the time that took printed) next to its bare query.

``python -m scripts.bench navdata`` runs only the navigation feed's part (``DOUGAL_BENCH_NAV_SECONDS``,
default 60, and ``DOUGAL_BENCH_NAV_ROWS``, default 10,000,000, make it shorter).
``python -m scripts.bench planner`` runs only what the planner's figures need (the preplot
ingest, the 500 sequences, the planner); ``python -m scripts.bench ingest`` only the first two
imports, each with its phases (the worker's own "import timings") and its ratios to a bare parse
and a bare COPY of the same rows measured in the same run.

Runs against the private cluster (database ``dougal_bench``, recreated) and a
local AWS endpoint on a free port.
"""

from __future__ import annotations

import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PID = "bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def say(label: str, value: str) -> None:
    print(f"{label:<58} {value}", flush=True)


def ingest(files: list[tuple[str, Path]], env: dict[str, str]) -> list[dict[str, Any]]:
    """Import the files in turn in one worker process (``scripts.bench_worker``): the first meets a cold
    worker, the next a warm one. Each file's figures (seconds: the handler's run with the file's message;
    phases, memory, records imported)."""
    from chalicelib import db

    result = subprocess.run(
        [sys.executable, "-m", "scripts.bench_worker", *(f"{key}={path}" for key, path in files)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"key"')]
    for figures in found:
        row = (
            db.connection()
            .execute("SELECT status, message, records FROM upload WHERE key = %s", (figures["key"],))
            .fetchone()
        )
        if row is None or row["status"] != "imported":
            raise SystemExit(
                f"{figures['key']} was not imported: {row}\nworker: {result.stdout[-2000:]}{result.stderr[-3000:]}"
            )
        figures["records"] = row["records"]
    return found


def bare_copy(conn, rows: list[bytes], table: str, columns: str) -> float:
    conn.execute(f"DROP TABLE IF EXISTS bench_{table}")
    conn.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
    started = time.perf_counter()
    with conn.transaction(), conn.cursor().copy(f"COPY bench_{table} ({columns}) FROM STDIN") as copy:
        for chunk in rows:
            copy.write(chunk)
    elapsed = time.perf_counter() - started
    conn.execute(f"DROP TABLE bench_{table}")
    return elapsed


def main() -> int:
    from scripts import localdb

    only = sys.argv[1] if len(sys.argv) > 1 else None
    if only not in (None, "planner", "ingest", "cold", "events", "navdata"):
        raise SystemExit(f"unknown part {only!r}; `python -m scripts.bench [planner|ingest|cold|events|navdata]`")
    if only == "cold":
        bench_cold_start()
        return 0

    cluster = localdb.default_cluster()
    started_pg = localdb.start(cluster)
    url = localdb.ensure_database(cluster, "dougal_bench", recreate=True)
    port = free_port()
    os.environ.update(
        {
            "DOUGAL_DATABASE_URL": url,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "DOUGAL_JWT_SECRET": "bench-signing-key-long-enough-for-hs256-0123456789",
            "DOUGAL_LOG_LEVEL": "WARNING",
        }
    )
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        run(url, only)
    finally:
        server.stop()
        from chalicelib import db

        db.close()
        if started_pg:
            localdb.stop(cluster)
    return 0


def run(url: str, only: str | None = None) -> None:
    from chalicelib import db
    from chalicelib.db.migrate import migrate
    from chalicelib.models.projects import ProjectCreate
    from chalicelib.services import projects
    from chalicelib.settings import get_settings
    from scripts.awsresources import provision
    from scripts.demo import DEMO_CONFIGURATION

    migrate(db.connection())
    provision(get_settings())
    projects.create_project(ProjectCreate(pid=PID, name="Benchmark", configuration=DEMO_CONFIGURATION))
    env = dict(os.environ)
    conn = db.connection()
    work = Path(tempfile.mkdtemp(prefix="dougal-bench-"))
    try:
        run_figures(conn, env, work, only)
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


def run_figures(conn: Any, env: dict[str, str], work: Path, only: str | None = None) -> None:
    from dougal_sim import simulator as sim

    print(f"Dougal benchmark — {os.cpu_count()} cores — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n", flush=True)
    if only == "events":
        from chalicelib.models.auth import Identity
        from chalicelib.services import auth

        bench_event_log(conn, auth.issue_token(Identity(name="bench", role="guest")))
        return
    if only == "navdata":
        bench_navdata(conn)
        return
    bench_cold_start()

    # 1M-point SPS preplot: 100 lines x 10,000 points.
    big = sim.Survey(num_lines=100, points_per_line=10_000, line_step=2, first_point=1000, line_spacing=25.0)
    sps = work / "preplot.sps"
    with sps.open("w") as out:
        sim.write_sps_preplot(big, out=out)
    (figures,) = ingest([(f"{PID}/preplot/preplot.sps", sps)], env)
    rows = [
        "".join(f"{PID}\t{p.line}\t{p.point}\t{p.easting}\t{p.northing}\t2.0\t59.0\n" for p in chunk).encode()
        for chunk in _chunked(big.preplot(), 50_000)
    ]
    bare = bare_copy(conn, rows, "preplot_point", "pid, line, point, easting, northing, lon, lat")
    say("SPS preplot, 1,000,000 points: end to end", f"{figures['seconds']:.2f} s (goal <= 15 s)")
    say("  rows/s, ingest vs bare COPY", f"{figures['records'] / figures['seconds']:,.0f} vs {1e6 / bare:,.0f}")
    say_ratios(figures, bare, bare_parse(sps, "sps21"))
    say("  worker peak memory", f"{figures['peak_mb']:.0f} MB ({figures['baseline_mb']:.0f} MB before the file)")
    # A survey's first sequence comes days after its preplot: autovacuum has long gone over the million new
    # points. Done here, so its work (and the checkpoint of the load) does not land in the imports measured next.
    started = time.perf_counter()
    conn.execute("VACUUM ANALYZE preplot_point")
    conn.execute("CHECKPOINT")
    say(
        "  then VACUUM ANALYZE and a CHECKPOINT, as the days before a first sequence",
        f"{time.perf_counter() - started:.1f} s",
    )
    if only == "planner":
        _fill_sequences(conn, 400)  # a fifth of the points left to shoot: a forecast with work to do
        from chalicelib.models.auth import Identity
        from chalicelib.services import auth

        bench_planner(conn, auth.issue_token(Identity(name="bench", role="guest")))
        return

    # 10,000-shot, 2-source P1/11 sequences (about 30k records with the vessel records), on seven lines.
    start = datetime(2021, 10, 8, 10, 0, tzinfo=UTC)
    sequences = {1: big.lines[10], **{number: big.lines[number + 19] for number in range(11, 17)}}
    paths = []
    for number, line in sequences.items():
        truth = big.sequence(number, line, start=start + timedelta(days=number))
        path = work / f"seq{number:03d}.p111"
        with path.open("w") as out:
            sim.write_p111(truth, kind="raw", out=out)
        paths.append((f"{PID}/raw/{path.name}", path))
        if number == 1:
            ten_k, p111 = truth, path
    records = sum(1 for _ in p111.open())
    # A warm worker: a small sequence first (its imports, clients and connection made), then the seven;
    # the median of the seven is the figure (one import of a quarter second is at the mercy of the machine).
    small = work / "seq900.p111"
    with small.open("w") as out:
        warm_up = big.sequence(900, big.lines[20], start=datetime(2021, 10, 9, tzinfo=UTC), last_point=1019)
        sim.write_p111(warm_up, out=out)
    shots = [
        f"{PID}\t1\traw\t{s.line}\t{s.point}\t{s.objref}\t{s.tstamp.isoformat()}\t{s.easting}\t{s.northing}\t"
        f"{s.lon}\t{s.lat}\t1\t\\N\n"
        for s in ten_k.shots
    ]
    from chalicelib.db.sequences import SHOT_COLUMNS

    rows = ["".join(shots).encode()]
    # The bare COPY five times before the imports and five times after: the machine's pace drifts.
    bares = [bare_copy(conn, rows, "shot", SHOT_COLUMNS) for _ in range(5)]
    _, *imports = ingest([(f"{PID}/raw/seq900.p111", small), *paths], env)
    warm = sorted(imports, key=lambda figures: figures["seconds"])[len(imports) // 2]
    bares += [bare_copy(conn, rows, "shot", SHOT_COLUMNS) for _ in range(5)]
    bare = statistics.median(bares)
    say(
        f"P1/11 sequence, 10,000 shots, {records:,} records, warm worker",
        f"{warm['seconds']:.3f} s, median of {len(imports)} (each: "
        + ", ".join(f"{figures['seconds']:.3f}" for figures in imports)
        + ") (goal <= 1 s)",
    )
    say("  shots/s, ingest vs bare COPY", f"{warm['records'] / warm['seconds']:,.0f} vs {len(shots) / bare:,.0f}")
    say_ratios(warm, bare, bare_parse(p111, "p111"))
    say(
        "  with the local queue's receive and delete around it",
        f"{statistics.median(figures['with_queue_seconds'] for figures in imports):.3f} s "
        "(Lambda's event source does them, outside the function)",
    )
    other = work / "seq003.p111"  # the same size on another line: content seen before is not imported again
    with other.open("w") as out:
        sim.write_p111(big.sequence(3, big.lines[12], start=datetime(2021, 10, 10, tzinfo=UTC)), kind="raw", out=out)
    (cold,) = ingest([(f"{PID}/raw/seq003.p111", other)], env)
    say("  a file of the same size in a cold worker (its first file)", f"{cold['seconds']:.2f} s")
    if only == "ingest":
        return

    # QC of that sequence against the 1M-point preplot.
    from chalicelib.services import qc

    conn.execute("ANALYZE shot")
    runs = []
    for _ in range(5):
        conn.execute("DELETE FROM event WHERE meta ? 'qc'")
        conn.execute("DELETE FROM qc_run")
        t0 = time.perf_counter()
        qc.run_sequence(PID, 1)
        runs.append(time.perf_counter() - t0)
    best = min(runs)
    say(
        "QC of the 10,000-shot sequence, 1M-point preplot",
        f"{best:.2f} s, {len(ten_k.shots) / best:,.0f} shots/s (goal <= 1 s)",
    )

    # ~100 MB P1/11 file.
    large = sim.Survey(num_lines=1, points_per_line=200_000, first_line=line + 2, first_point=1000).sequence(
        2, line + 2, start=datetime(2021, 10, 9, 0, 0, tzinfo=UTC)
    )
    p111_big = work / "seq002.p111"
    with p111_big.open("w") as out:
        sim.write_p111(large, kind="raw", out=out)
    size_mb = p111_big.stat().st_size / 1e6
    (figures,) = ingest([(f"{PID}/raw/seq002.p111", p111_big)], env)
    rows = [
        "".join(
            f"{PID}\t2\traw\t{s.line}\t{s.point}\t{s.objref}\t{s.tstamp.isoformat()}\t{s.easting}\t{s.northing}\t"
            f"{s.lon}\t{s.lat}\t1\t\\N\n"
            for s in chunk
        ).encode()
        for chunk in _chunked(large.shots, 50_000)
    ]
    del large
    bare = bare_copy(conn, rows, "shot", SHOT_COLUMNS)
    del rows
    say(f"P1/11 file, {size_mb:.0f} MB: end to end", f"{figures['seconds']:.2f} s")
    say_ratios(figures, bare, bare_parse(p111_big, "p111"), goal="<= 2x of bare parse + bare COPY")
    say(
        "  worker peak memory",
        f"{figures['peak_mb']:.0f} MB ({figures['baseline_mb']:.0f} MB before the file; goal <= 150 MB)",
    )

    # 500 sequences over the 1M-point preplot, then the project summary.
    started = time.perf_counter()
    _fill_sequences(conn, 500)
    say("500 sequences of 2,000 shots loaded for the summary test", f"{time.perf_counter() - started:.1f} s")
    from chalice.test import Client

    import app
    from chalicelib.models.auth import Identity
    from chalicelib.services import auth

    token = auth.issue_token(Identity(name="bench", role="guest"))
    with Client(app.app) as client:
        timings = []
        for _ in range(100):
            t0 = time.perf_counter()
            response = client.http.get(f"/project/{PID}", headers={"Authorization": f"Bearer {token}"})
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
    timings.sort()
    summary = json.loads(response.body)
    say(
        f"GET /project/{PID} ({summary['total']:,} points, {summary['seq_final']} final sequences)",
        f"p50 {statistics.median(timings):.1f} ms, p99 {timings[98]:.1f} ms (goal <= 50 ms)",
    )
    bench_http(token, work)
    bench_event_log(conn, token)
    bench_planner(conn, token)
    bench_navdata(conn)


def bench_planner(conn: Any, token: str) -> None:
    """200 planned sequences of 5,000 points each over the 1M-point preplot, written through the service;
    then the plan and the forecast through the Chalice test client, next to the bare query of the plan rows."""
    from chalice.test import Client

    import app
    from chalicelib.db import planner as db_planner
    from chalicelib.models.planner import PlannedSequenceIn
    from chalicelib.services.planner import plan

    started = time.perf_counter()
    for n in range(200):
        line = 5210 + 2 * (n % 100)
        fsp, lsp = (1000, 5999) if n < 100 else (10999, 6000)
        plan.create(PID, PlannedSequenceIn(sequence=2000 + n, line=line, fsp=fsp, lsp=lsp))
    elapsed = time.perf_counter() - started
    say("200 planned sequences of 5,000 points written", f"{elapsed:.1f} s, {elapsed * 5:.0f} ms each")
    bare = []
    for _ in range(200):
        t0 = time.perf_counter()
        rows = db_planner.list_planned_text(conn, PID)
        bare.append((time.perf_counter() - t0) * 1000)
    assert len(rows) == 200
    b50, b99 = percentiles(bare)
    with Client(app.app) as client:
        p50, p99, response = _latency(client, f"/project/{PID}/plan", token)
        assert len(json.loads(response.body)) == 200
        say(f"GET /project/{PID}/plan (200 planned sequences)", f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal <= 50 ms)")
        say("  the bare query of the same 200 rows", f"p50 {b50:.1f} ms, p99 {b99:.1f} ms")
        p50, p99, response = _latency(client, f"/project/{PID}/forecast", token)
        found = json.loads(response.body)
        say(
            f"GET /project/{PID}/forecast ({found['remaining_points']:,} points to go)",
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal <= 50 ms)",
        )
        s50, s99, _ = _latency(client, f"/project/{PID}", token)
        say(f"  GET /project/{PID} in the same run", f"p50 {s50:.1f} ms, p99 {s99:.1f} ms")


def bare_parse(path: Path, fmt: str) -> float:
    """Seconds the reader alone takes over the file (best of 3): the parse baseline of an import."""
    from chalicelib import parsers

    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        with path.open("rb") as raw:
            # As the import reads a file: in columns.
            reader = parsers.open_shots(fmt, raw) if fmt == "p111" else parsers.open_preplot(fmt, raw)
            for _ in reader.columns():
                pass
        best = min(best, time.perf_counter() - started)
    return best


def say_ratios(
    figures: dict[str, Any], bare_copy_s: float, bare_parse_s: float, goal: str = "<= 2x of a bare COPY"
) -> None:
    """An import next to its same-run baselines, and where its time went (the worker's own phases)."""
    seconds = figures["seconds"]
    say("  bare parse, bare COPY (same run)", f"{bare_parse_s:.3f} s, {bare_copy_s:.3f} s")
    say(
        "  end to end vs bare COPY, vs bare parse + bare COPY",
        f"{seconds / bare_copy_s:.2f}x, {seconds / (bare_parse_s + bare_copy_s):.2f}x (goal {goal})",
    )
    phases = sorted((figures.get("phases_ms") or {}).items(), key=lambda item: -item[1])
    # Milliseconds for an import of under a second: its phases are a few of them each.
    shown = (lambda ms: f"{ms:.0f} ms") if seconds < 1 else (lambda ms: f"{ms / 1000:.2f} s")
    say("  phases", ", ".join(f"{name} {shown(ms)}" for name, ms in phases) or "(not reported)")


COLD_BASELINE = (
    "import chalice\nfrom pydantic import BaseModel, Field, field_validator\n"
    "from aws_lambda_powertools import Logger\nLogger(service='dougal')"
)


def _import_seconds(statement: str) -> float:
    """CPU seconds a fresh interpreter spends on ``statement`` (the interpreter's own start excluded).

    CPU time, not wall time: on a shared machine the wall time of a 200 ms import doubles whenever another
    process takes the core, and the ratio to the baseline then says more about the neighbours than the code."""
    probe = f"import time\nt0 = time.process_time()\n{statement}\nprint(time.process_time() - t0)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=_BYTECODE_ENV
    )
    return float(result.stdout.split()[-1])


# Every module imported from bytecode, ours and the libraries' alike, as in the deployed package (which ships
# compiled modules: the Lambda file system is read-only, so a module without bytecode is compiled again at
# every cold start). The probes keep their bytecode apart, so a machine that writes none still measures this.
_BYTECODE_ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "dougal-bench-bytecode"),
}


def bench_cold_start(runs: int = 15) -> None:
    """A Lambda cold start's imports, next to chalice + pydantic + the powertools logger alone (interleaved)."""
    base, cold = [], {"app": [], "chalicelib.handlers.ingest": [], "chalicelib.handlers.qc": []}
    for statement in (COLD_BASELINE, *(f"import {module}" for module in cold)):
        _import_seconds(statement)  # writes the bytecode
    for _ in range(runs):
        base.append(_import_seconds(COLD_BASELINE))
        for module, timings in cold.items():
            timings.append(_import_seconds(f"import {module}"))
    floor = statistics.median(base) * 1000
    say("cold start: chalice + pydantic + powertools logger alone", f"{floor:.0f} ms CPU (median of {runs})")
    for module, timings in cold.items():
        ms = statistics.median(timings) * 1000
        say(f"  import {module}", f"{ms:.0f} ms CPU, {ms / floor:.2f}x the baseline (goal <= 1.5x)")


def percentiles(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.99) - 1)]


def http_clients(port: int, path: str, token: str | None, count: int = 1, **how: Any) -> list[dict[str, Any]]:
    """Run ``count`` keep-alive clients (``scripts.bench_http``), each in its own process, side by side."""
    args = [sys.executable, "-m", "scripts.bench_http", str(port), path]
    if token:
        args += ["--token", token]
    for name, value in how.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    clients = [subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(count)]
    results = []
    for client in clients:
        out, _ = client.communicate(timeout=600)
        if client.returncode != 0:
            raise SystemExit(f"HTTP client failed on {path}")
        results.append(json.loads(out))
    return results


def handler_ms(log: Path, tag: str) -> list[float]:
    """The request log's own ``ms`` (auth, view, response) for the requests whose correlation id starts with ``tag``."""
    found = []
    for line in log.read_text().splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("message") == "request" and str(entry.get("correlation_id", "")).startswith(f"{tag}-"):
            found.append(float(entry["ms"]))
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU time (user + system) used so far by each process."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def bench_http(token: str, work: Path) -> None:
    """The summary over HTTP through the local API server, its handler's time from the same requests' log lines."""
    import urllib.request

    from scripts import localdb

    port = free_port()
    log = work / "api.log"
    env = {**os.environ, "DOUGAL_PORT": str(port), "DOUGAL_LOG_LEVEL": "INFO"}
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "scripts.local_api"], cwd=ROOT, env=env, stdout=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the local API server did not start:\n" + log.read_text()[-2000:]) from None
                time.sleep(0.2)
        path = f"/project/{PID}"
        http_clients(port, path, token, requests=100, tag="warmup")
        (latency,) = http_clients(port, path, token, requests=1000, tag="latency")
        h50, h99 = percentiles(handler_ms(log, "latency"))
        c50, c99 = percentiles(latency["ms"])
        say(f"GET {path} over HTTP, keep-alive, 1 client, 1,000 requests", "")
        say("  handler (the request log's ms)", f"p50 {h50:.1f} ms, p99 {h99:.1f} ms")
        say("  HTTP client", f"p50 {c50:.1f} ms, p99 {c99:.1f} ms (goal p99 <= 2x handler's, <= 20 ms)")
        say("  p99 HTTP / handler", f"{c99 / h99:.2f}x")
        cluster = localdb.default_cluster()

        def cpu() -> tuple[dict[int, float], dict[int, float]]:
            return cpu_seconds([server.pid]), cpu_seconds(localdb.server_processes(cluster.data))

        api0, pg0 = cpu()
        (one,) = http_clients(port, path, token, requests=10**9, seconds=5, tag="one")
        api1, pg1 = cpu()
        start_at = time.time() + 1.5  # every client connected and warm before the clock starts
        eight = http_clients(port, path, token, count=8, requests=10**9, seconds=5, start_at=start_at, tag="eight")
        api2, pg2 = cpu()
        single = one["requests"] / one["seconds"]
        together = sum(r["requests"] for r in eight) / max(r["seconds"] for r in eight)
        e50, e99 = percentiles([ms for r in eight for ms in r["ms"]])
        say(
            "  throughput, 1 client vs 8 concurrent clients",
            f"{single:,.0f} vs {together:,.0f} requests/s: {together / single:.1f}x (goal >= 4x)",
        )
        say("  latency with 8 concurrent clients", f"p50 {e50:.1f} ms, p99 {e99:.1f} ms")
        api_ms = cpu_used(api0, api1) / one["requests"] * 1000
        pg_ms = cpu_used(pg0, pg1) / one["requests"] * 1000
        cores = os.cpu_count() or 1
        ceiling = cores * 1000 / (api_ms + pg_ms)
        say(
            "  CPU per request (1 client): API server + PostgreSQL",
            f"{api_ms:.1f} + {pg_ms:.1f} ms: {cores} idle cores allow about {ceiling:,.0f} requests/s"
            f" ({ceiling / single:.1f}x one client)",
        )
        seconds = max(r["seconds"] for r in eight)
        busy_api, busy_pg = cpu_used(api1, api2) / seconds, cpu_used(pg1, pg2) / seconds
        say(
            "  cores kept busy by 8 clients: API server + PostgreSQL",
            f"{busy_api:.2f} + {busy_pg:.2f} = {busy_api + busy_pg:.2f} of {cores}",
        )
        (health,) = http_clients(port, "/health", None, requests=1000, tag="health")
        p50, p99 = percentiles(health["ms"])
        say("GET /health over HTTP, keep-alive, 1,000 requests", f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal <= 20 ms)")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _latency(client: Any, path: str, token: str, runs: int = 200) -> tuple[float, float, Any]:
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.http.get(path, headers={"Authorization": f"Bearer {token}"})
        timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.body
    timings.sort()
    return statistics.median(timings), timings[int(runs * 0.99) - 1], response


def bench_event_log(conn: Any, token: str) -> None:
    """200,000 events (a fifth of them edited once), then the first page and a typical changes poll."""
    from chalice.test import Client

    import app
    from chalicelib.services import events

    started = time.perf_counter()
    with conn.transaction():
        conn.execute(
            """
            INSERT INTO event (uid, id, pid, tstamp, sequence, point, remarks, labels, meta, validity, edited)
            SELECT v, v, %(pid)s, timestamptz '2022-01-01' + g * interval '7 second', 100 + g %% 500,
                   1000 + g %% 1000, 'event ' || g, ARRAY['Nav'], '{"bench": true}',
                   tstzrange(now() - interval '2 days' + g * interval '100 microseconds', NULL), false
            FROM (SELECT g, nextval(pg_get_serial_sequence('event', 'uid')) AS v
                  FROM generate_series(1, 200000) g) s
            """,
            {"pid": PID},
        )
    with conn.transaction():  # a fifth of them edited once, a day ago
        at = conn.execute("SELECT now() - interval '1 day' AS at").fetchone()["at"]
        edited = conn.execute(
            "UPDATE event SET validity = tstzrange(lower(validity), %(at)s) "
            "WHERE pid = %(pid)s AND meta ? 'bench' AND id %% 5 = 0 RETURNING id",
            {"pid": PID, "at": at},
        ).fetchall()
        conn.execute(
            """
            INSERT INTO event (uid, id, pid, tstamp, sequence, point, remarks, labels, meta, validity, edited)
            SELECT nextval(pg_get_serial_sequence('event', 'uid')), id, pid, tstamp, sequence, point,
                   remarks || ' (edited)', labels, meta, tstzrange(%(at)s, NULL), true
            FROM event WHERE pid = %(pid)s AND meta ? 'bench' AND id %% 5 = 0
            """,
            {"pid": PID, "at": at},
        )
    conn.execute("VACUUM ANALYZE event")
    before = conn.execute("SELECT clock_timestamp() AS t").fetchone()["t"]
    for row in edited[:100]:  # 100 recent edits: what a client polling every few seconds would fetch
        events.update_event(PID, row["id"], {"remarks": "edited again"}, "bench")
    say("200,000 events (+40,000 earlier instances) loaded", f"{time.perf_counter() - started:.1f} s")
    with Client(app.app) as client:
        p50, p99, response = _latency(client, f"/project/{PID}/event?limit=100", token)
        assert len(json.loads(response.body)) == 100
        say(
            f"GET /project/{PID}/event first page (100 of {response.headers['X-Total-Count']})",
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal <= 25 ms)",
        )
        since = before.isoformat().replace("+", "%2B")
        p50, p99, response = _latency(client, f"/project/{PID}/changes/{since}", token)
        say(
            f"GET /project/{PID}/changes/{{since}} ({len(json.loads(response.body))} changes)",
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal <= 50 ms)",
        )


def bench_navdata(conn: Any) -> None:
    """The navigation feed: a sustained feed through the ``POST /navdata`` handler, then ``q`` by time on a
    large table. Each figure next to a baseline of the same run: a bare INSERT of the same rows (one
    statement a batch, into a table of the same shape) and the bare queries of the page and its count."""
    import random

    from chalice.test import Client

    import app
    from chalicelib.db.queries import queries
    from chalicelib.models.auth import Identity
    from chalicelib.services import auth
    from dougal_sim import simulator as sim

    seconds = int(os.environ.get("DOUGAL_BENCH_NAV_SECONDS", "60"))
    total_rows = int(os.environ.get("DOUGAL_BENCH_NAV_ROWS", "10000000"))
    rate, per_batch = 50, 10
    survey = sim.Survey(num_lines=2, points_per_line=rate * seconds, point_interval=0.05, first_point=1000)
    truth = survey.sequence(
        7, survey.lines[0], start=datetime.now(UTC), shot_interval_s=1.0 / rate, sources=(1,), jitter_ms=0
    )
    headers = sim.nav_headers(truth, line_prefix="NS21-")
    batches = list(_chunked(headers, per_batch))
    user = {"Authorization": f"Bearer {auth.issue_token(Identity(name='bench', role='user'))}"}
    user["Content-Type"] = "application/json"
    timings: list[float] = []
    late = 0.0
    with Client(app.app) as client:
        started = time.perf_counter()
        for i, batch in enumerate(batches):
            due = started + i * per_batch / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            else:
                late = max(late, -wait)
            t0 = time.perf_counter()
            response = client.http.post("/navdata", headers=user, body=json.dumps(batch).encode())
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 201, response.body
        elapsed = time.perf_counter() - started
    stored = conn.execute("SELECT count(*) AS n FROM navdata").fetchone()["n"]
    p50, p99 = percentiles(timings)
    say(
        f"POST /navdata, {rate} headers/s for {seconds} s, batches of {per_batch}",
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms per batch (goal p99 <= 100 ms)",
    )
    say(
        "  sustained",
        f"{stored:,} headers stored in {elapsed:.1f} s ({stored / elapsed:.1f}/s), at most {late * 1000:.0f} ms late",
    )
    conn.execute("DROP TABLE IF EXISTS bench_navdata")
    conn.execute("CREATE TABLE bench_navdata (LIKE navdata INCLUDING ALL)")
    bare: list[float] = []
    columns = "tstamp, received, lon, lat, online, pid, sequence, line, point, attempt, line_name, data"
    values = ", ".join(["(%s, now(), %s, %s, true, %s, 7, 5210, %s, 0, %s, %s::jsonb)"] * per_batch)
    for batch in batches:
        params: list[Any] = []
        for h in batch:
            params += [h["tstamp"], h["lon"], h["lat"], PID, h["point"], h["lineName"], json.dumps(h)]
        if len(batch) < per_batch:
            continue
        t0 = time.perf_counter()
        conn.execute(f"INSERT INTO bench_navdata ({columns}) VALUES {values}", params)
        bare.append((time.perf_counter() - t0) * 1000)
    conn.execute("DROP TABLE bench_navdata")
    b50, b99 = percentiles(bare)
    say("  baseline: bare INSERT of the same batches", f"p50 {b50:.1f} ms, p99 {b99:.1f} ms ({p99 / b99:.1f}x at p99)")

    # q by time on a large feed: four headers a second, offline, made in the database.
    conn.execute("TRUNCATE navdata, navdata_sequence")
    kept = conn.execute(
        "SELECT conname AS name, pg_get_constraintdef(oid) AS ddl FROM pg_constraint "
        "WHERE conrelid = 'navdata'::regclass AND contype = 'u'"
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexname AS name, indexdef AS ddl FROM pg_indexes WHERE tablename = 'navdata' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'navdata'::regclass)"
    ).fetchall()
    for c in kept:
        conn.execute(f"ALTER TABLE navdata DROP CONSTRAINT {c['name']}")
    for ix in indexes:
        conn.execute(f"DROP INDEX {ix['name']}")
    first = datetime(2026, 1, 1, tzinfo=UTC)
    t0 = time.perf_counter()
    conn.execute(
        """
        INSERT INTO navdata (tstamp, received, lon, lat, online, data)
        SELECT t, t + interval '1 second', lon, lat, false,
               jsonb_build_object('tstamp', to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                  'lat', lat, 'lon', lon, 'lineName', 'TRANSIT', 'point', i, 'speed', 4.6,
                                  'heading', 60.0, '_received', t + interval '1 second', '_latency', 1000,
                                  '_online', false)
        FROM (SELECT i, %(first)s::timestamptz + i * interval '250 milliseconds' AS t,
                     2.0 + (i %% 100000) * 1e-5 AS lon, 59.0 + (i / 100000) * 1e-4 AS lat
              FROM generate_series(0, %(n)s - 1) i) g
        """,
        {"first": first, "n": total_rows},
    )
    loaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    for c in kept:
        conn.execute(f"ALTER TABLE navdata ADD CONSTRAINT {c['name']} {c['ddl']}")
    for ix in indexes:
        conn.execute(ix["ddl"])
    conn.execute("ANALYZE navdata")
    indexed = time.perf_counter() - t0
    say(
        f"{total_rows:,} feed rows made (generate_series), then indexed",
        f"{loaded:.1f} s + {indexed:.1f} s (indexes, ANALYZE)",
    )
    guest = {"Authorization": f"Bearer {auth.issue_token(Identity(name='bench', role='guest'))}"}
    rng = random.Random(13)  # noqa: S311 - times to query, not secrets
    span_ms = total_rows * 250
    moments = [first.timestamp() + rng.randrange(span_ms) / 1000 for _ in range(300)]
    q_timings: list[float] = []
    sizes: list[int] = []
    with Client(app.app) as client:
        for moment in moments:
            at = datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")
            t0 = time.perf_counter()
            response = client.http.get(f"/navdata?q=tstamp:{at}", headers=guest)
            q_timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.body
            sizes.append(int(response.headers["X-Total-Count"]))
    q50, q99 = percentiles(q_timings)
    say(
        f"GET /navdata?q=tstamp:… (±1 s) on {total_rows:,} rows",
        f"p50 {q50:.1f} ms, p99 {q99:.1f} ms, {statistics.mean(sizes):.1f} items each (goal p99 <= 20 ms)",
    )
    q = queries("navdata")
    raw: list[float] = []
    for moment in moments:
        at = datetime.fromtimestamp(moment, UTC)
        params = {"t0": at - timedelta(seconds=1), "t1": at + timedelta(seconds=1), "lon": None, "lat": None}
        params.update({"radius": 1.0, "limit": 1000, "offset": 0})
        t0 = time.perf_counter()
        conn.execute(q.list_navdata, params).fetchall()
        conn.execute(q.count_navdata, params).fetchone()
        raw.append((time.perf_counter() - t0) * 1000)
    r50, r99 = percentiles(raw)
    say("  baseline: its bare page and count queries", f"p50 {r50:.1f} ms, p99 {r99:.1f} ms")
    conn.execute("TRUNCATE navdata, navdata_sequence")  # gives the disk back


def _chunked(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _fill_sequences(conn, count: int) -> None:
    """Final sequences written straight into the tables (the summary is what is measured here)."""
    with conn.transaction():
        upload = conn.execute(
            "INSERT INTO upload (pid, bucket, key, etag, status, sha256) "
            "VALUES (%s, 'bench', 'bench/final/synthetic', 'x', 'imported', 'synthetic') RETURNING id",
            (PID,),
        ).fetchone()["id"]
        conn.execute(
            """
            INSERT INTO sequence (pid, sequence, line, final_upload_id, raw_upload_id)
            SELECT %(pid)s, 100 + g, 5210 + 2 * (g %% 100), %(upload)s, %(upload)s FROM generate_series(0, %(n)s - 1) g
            """,
            {"pid": PID, "upload": upload, "n": count},
        )
        conn.execute(
            """
            INSERT INTO shot (pid, sequence, kind, line, point, objref, tstamp, easting, northing, lon, lat, upload_id)
            SELECT %(pid)s, q.sequence, k.kind, p.line, p.point, 1 + (p.point %% 2),
                   timestamptz '2022-01-01' + (q.sequence * 86400 + p.point * 10) * interval '1 second',
                   p.easting, p.northing, p.lon, p.lat, %(upload)s
            FROM sequence q
            JOIN preplot_point p ON p.pid = q.pid AND p.line = q.line
                 AND p.point BETWEEN 1000 + ((q.sequence - 100) / 100) * 2000
                                 AND 1000 + ((q.sequence - 100) / 100) * 2000 + 1999
            CROSS JOIN (VALUES ('raw'), ('final')) k(kind)
            WHERE q.pid = %(pid)s AND q.sequence >= 100
            """,
            {"pid": PID, "upload": upload},
        )
    for table in ("shot", "sequence", "preplot_point", "preplot_line"):  # as autovacuum would after this load
        conn.execute(f"ANALYZE {table}")
    from chalicelib.db import preplots, sequences

    with conn.transaction():
        sequences.refresh_sequence_stats(conn, PID, None)
        preplots.refresh_line_stats(conn, PID, None)
    conn.execute("VACUUM ANALYZE sequence")
    conn.execute("VACUUM ANALYZE preplot_line")


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Benchmark: the seed hunt on 10 million rows of Parquet, Quarry against DuckDB running the
equivalent SQL (check.py's, with exact term semantics), in the same run on the same file.

usage: bench.py --data DIR [--rows 10000000] [--runs 3] [--quarry CMD]

Makes DIR/bench/DeviceNetworkEvents.parquet from gen.py's 1M-row Parquet (DIR/parquet/...),
repeated with distinct device ids and report ids, unless it exists. Each engine runs the query
--runs times in a fresh process; the report gives the median wall time, the ratio, and each
engine's peak resident memory (DuckDB's measured in a Python process, minus that process's
memory with DuckDB loaded and idle).
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from check import NOW, SQL  # noqa: E402


def make_data(data, rows):
    import duckdb
    src = os.path.join(data, "parquet", "DeviceNetworkEvents.parquet")
    out_dir = os.path.join(data, "bench")
    out = os.path.join(out_dir, "DeviceNetworkEvents.parquet")
    if os.path.exists(out):
        return out
    os.makedirs(out_dir, exist_ok=True)
    copies = max(1, rows // 1_000_000)
    con = duckdb.connect()
    con.execute(f"""
        COPY (
          SELECT Timestamp, DeviceId || '-' || k AS DeviceId, DeviceName, ActionType, RemoteIP,
                 RemotePort, RemoteUrl, InitiatingProcessFileName,
                 InitiatingProcessVersionInfoCompanyName, ReportId + k * 10000000 AS ReportId
          FROM read_parquet('{src}'), range({copies}) AS t(k)
        ) TO '{out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)
    """)
    return out


def timed(cmd):
    """Runs a command under /usr/bin/time; returns (seconds, peak RSS in MB, stdout)."""
    start = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {p.stderr[-500:]}")
    peak_kb = int(p.stderr.strip().splitlines()[-1])
    return elapsed, peak_kb / 1024, p.stdout


DUCKDB_RUN = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET TimeZone='UTC'")
if sys.argv[2] == 'query':
    rows = con.execute(sys.argv[3], [sys.argv[1]]).fetchall()
    print(len(rows))
else:
    print(con.execute("select 1").fetchall()[0][0])
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quarry", default="target/release/quarry")
    args = ap.parse_args()
    parquet = make_data(args.data, args.rows)
    folder = os.path.dirname(parquet)
    quarry = shlex.split(args.quarry) + ["query", "--now", NOW, "--data", folder, "--file",
                                         os.path.join(HERE, "atera.kql"), "--format", "csv"]
    duck = [sys.executable, "-c", DUCKDB_RUN, parquet, "query", SQL]
    idle = [sys.executable, "-c", DUCKDB_RUN, parquet, "idle", ""]

    _, idle_mb, _ = timed(idle)
    q_times, q_mem, d_times, d_mem = [], [], [], []
    q_rows = d_rows = None
    for _ in range(args.runs):
        t, m, out = timed(quarry)
        q_times.append(t)
        q_mem.append(m)
        q_rows = len(out.strip().splitlines()) - 1
        t, m, out = timed(duck)
        d_times.append(t)
        d_mem.append(m - idle_mb)
        d_rows = int(out.strip())
    qt, dt = statistics.median(q_times), statistics.median(d_times)
    size_mb = os.path.getsize(parquet) / 1e6
    print(f"data: {parquet} ({size_mb:.0f} MB, {args.rows:,} rows), {args.runs} runs each, median")
    print(f"quarry: {qt:6.2f} s, peak {max(q_mem):6.0f} MB, {q_rows} result rows")
    print(f"duckdb: {dt:6.2f} s, peak {max(d_mem):6.0f} MB, {d_rows} result rows")
    print(f"ratio quarry/duckdb: {qt / dt:.2f} (below 1 means Quarry is faster)")
    return 0 if q_rows == d_rows else 1


if __name__ == "__main__":
    sys.exit(main())

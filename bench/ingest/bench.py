#!/usr/bin/env python3
"""Benchmark: reading a large NDJSON export (2 GB by default), Quarry beside DuckDB's read_json
on the same file in the same run, with both peak memories.

usage: bench.py --data DIR [--gigabytes 2] [--runs 3] [--quarry CMD]

DIR holds gen.py's output (DIR/ndjson/DeviceNetworkEvents.ndjson, 1M rows); the script
concatenates copies of it into DIR/big/DeviceNetworkEvents.ndjson up to the size asked, unless
that file exists. Both engines answer the same aggregate over every row, which makes them read
and convert four columns: row count, distinct devices, latest time, sum of ports. Each runs
--runs times in a fresh process; the report gives median wall time, MB/s, peak resident memory
(DuckDB's measured in a Python process, less that process's memory with DuckDB loaded and
idle), and checks that both answers agree.
"""
import argparse
import os
import shlex
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "seed"))
from bench import timed  # noqa: E402

KQL = ("DeviceNetworkEvents | summarize Rows = count(), Devices = dcount(DeviceId), "
       "Latest = max(Timestamp), Ports = sum(RemotePort)")
SQL = ("SELECT count(*), count(DISTINCT DeviceId), max(Timestamp::TIMESTAMP), sum(RemotePort) "
       "FROM read_json(?, format = 'newline_delimited')")

DUCKDB_RUN = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET TimeZone='UTC'")
if sys.argv[2] == 'query':
    print(con.execute(sys.argv[3], [sys.argv[1]]).fetchall()[0])
else:
    print(con.execute("select 1").fetchall()[0][0])
"""


def make_data(data, gigabytes):
    src = os.path.join(data, "ndjson", "DeviceNetworkEvents.ndjson")
    out_dir = os.path.join(data, "big")
    out = os.path.join(out_dir, "DeviceNetworkEvents.ndjson")
    if os.path.exists(out):
        return out
    os.makedirs(out_dir, exist_ok=True)
    want = gigabytes * 1e9
    with open(src, "rb") as f:
        chunk = f.read()
    with open(out, "wb") as f:
        written = 0
        while written < want:
            f.write(chunk)
            written += len(chunk)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--gigabytes", type=float, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quarry", default="target/release/quarry")
    args = ap.parse_args()
    path = make_data(args.data, args.gigabytes)
    size_mb = os.path.getsize(path) / 1e6
    quarry = shlex.split(args.quarry) + ["query", "--strict", "--format", "csv", "--data", path, KQL]
    duck = [sys.executable, "-c", DUCKDB_RUN, path, "query", SQL]
    idle = [sys.executable, "-c", DUCKDB_RUN, path, "idle", ""]
    _, idle_mb, _ = timed(idle)
    q_t, q_m, d_t, d_m = [], [], [], []
    for _ in range(args.runs):
        t, m, q_out = timed(quarry)
        q_t.append(t)
        q_m.append(m)
        t, m, d_out = timed(duck)
        d_t.append(t)
        d_m.append(m - idle_mb)
    q_rows, q_devices, _, q_ports = q_out.strip().splitlines()[-1].split(",")
    d = eval(d_out.strip(), {"datetime": __import__("datetime")})
    agree = (int(q_rows), int(q_devices), int(q_ports)) == (d[0], d[1], d[3])
    qt, dt = statistics.median(q_t), statistics.median(d_t)
    print(f"data: {path} ({size_mb:.0f} MB, {int(q_rows):,} rows), {args.runs} runs each, median")
    print(f"quarry: {qt:6.2f} s = {size_mb / qt:6.0f} MB/s, peak {max(q_m):6.0f} MB")
    print(f"duckdb: {dt:6.2f} s = {size_mb / dt:6.0f} MB/s, peak {max(d_m):6.0f} MB")
    print(f"ratio quarry/duckdb time: {qt / dt:.2f}; answers {'agree' if agree else 'DIFFER'}: "
          f"quarry {q_rows} rows, {q_devices} devices, {q_ports} ports; duckdb {d[0]}, {d[1]}, {d[3]}")
    return 0 if agree and max(q_m) < 1024 else 1


if __name__ == "__main__":
    sys.exit(main())

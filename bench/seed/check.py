#!/usr/bin/env python3
"""Checks the seed hunt against an independent implementation: DuckDB running SQL written by
hand with KQL's term semantics for `has`, on the same rows.

usage: check.py --data DIR [--quarry CMD] [--rule FILE] [--no-convert]

DIR is the output of gen.py (csv/, ndjson/, parquet/, streaming/, streaming-gz/, sentinel/
subfolders; those present are checked), plus converted/: the Parquet that `quarry convert`
makes of csv/. Quarry runs the seed query (atera.kql) on each; DuckDB runs the equivalent SQL on the Parquet file. Every result
must equal DuckDB's, row for row (the ReportId set compared as a set). Then `quarry hunt` runs
the seed rule (--rule, default rules/atera-network-connection.yaml, without its exclusions) on
the Parquet data: it must raise one alert per DuckDB row, holding that row, with Host and URL
entities and T1219 / CommandAndControl. Exit status 1 on any difference.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = "2024-06-15T12:00:00Z"

# `x has 'term'`: case-insensitive, the needle aligned to term boundaries (a term being a run
# of letters and digits; the data is ASCII).
def has(column, needle):
    escaped = "".join("\\" + c if not c.isalnum() and c != " " else c for c in needle.lower())
    return f"regexp_matches(lower(coalesce({column}, '')), '(^|[^a-z0-9]){escaped}($|[^a-z0-9])')"


SQL = f"""
SELECT DeviceId,
       coalesce(DeviceName, '') AS DeviceName,
       coalesce(RemoteUrl, '') AS RemoteUrl,
       epoch_ns(min(Timestamp)) AS FirstSeen,
       epoch_ns(max(Timestamp)) AS LastSeen,
       list(DISTINCT ReportId) AS Report,
       count(*) AS Count
FROM read_parquet(?)
WHERE Timestamp::TIMESTAMP_NS >= TIMESTAMP_NS '2024-06-10 12:00:00'
  AND Timestamp::TIMESTAMP_NS <= TIMESTAMP_NS '2024-06-15 12:00:00'
  AND ({has('RemoteUrl', 'atera.com')} OR {has('RemoteUrl', 'atera-agent-heartbeat')})
  AND {has('InitiatingProcessVersionInfoCompanyName', 'Atera Networks')}
GROUP BY 1, 2, 3
"""


def iso_ns(ns):
    """Nanoseconds since 1970 as KQL prints datetimes (to 100 ns, trailing zeros dropped)."""
    import datetime as dt
    secs, frac = divmod(ns, 1_000_000_000)
    base = dt.datetime.fromtimestamp(secs, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{frac // 100:07d}".rstrip("0")
    return f"{base}.{digits}Z" if digits else f"{base}Z"


def duckdb_rows(parquet):
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    rows = con.execute(SQL, [parquet]).fetchall()
    return sorted((r[0], r[1], r[2], iso_ns(r[3]), iso_ns(r[4]), tuple(sorted(r[5])), r[6]) for r in rows)


def quarry_rows(quarry, folder):
    cmd = quarry + ["query", "--now", NOW, "--data", folder, "--file",
                    os.path.join(HERE, "atera.kql"), "--format", "json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    doc = json.loads(out)
    names = [c["name"] for c in doc["columns"]]
    want = ["DeviceId", "DeviceName", "RemoteUrl", "FirstSeen", "LastSeen", "Report", "Count"]
    if names != want:
        raise SystemExit(f"columns {names} != {want}")
    return sorted((r[0], r[1], r[2], r[3], r[4], tuple(sorted(r[5])), r[6]) for r in doc["rows"])


def hunt_alerts(quarry, folder, rule):
    cmd = quarry + ["hunt", "--rules", rule, "--data", folder, "--now", NOW, "--format", "ndjson",
                    "--no-exclusions"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def check_alerts(alerts, expected):
    """Problems with the alerts: one per expected row, each ATT&CK-mapped with its entities."""
    problems = []
    rows = []
    for a in alerts:
        if len(a["rows"]) != 1:
            problems.append(f"alert with {len(a['rows'])} rows")
            continue
        r = a["rows"][0]
        rows.append((r["DeviceId"], r["DeviceName"], r["RemoteUrl"], r["FirstSeen"], r["LastSeen"],
                     tuple(sorted(r["Report"])), r["Count"]))
        kinds = {e["type"] for e in a["entities"]}
        urls = [e["properties"].get("Url") for e in a["entities"] if e["type"] == "URL"]
        if not {"Host", "URL"} <= kinds and r["DeviceName"] and r["RemoteUrl"]:
            problems.append(f"entities {sorted(kinds)} for {r['DeviceName']} {r['RemoteUrl']}")
        if r["RemoteUrl"] and urls != [r["RemoteUrl"]]:
            problems.append(f"URL entity {urls} for {r['RemoteUrl']}")
        if [t["id"] for t in a["techniques"]] != ["T1219"] or a["tactics"] != ["CommandAndControl"]:
            problems.append(f"ATT&CK {a['techniques']} {a['tactics']}")
    if sorted(rows) != expected:
        problems.append(f"alert rows differ from DuckDB's: {len(rows)} alerts, {len(expected)} rows")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--quarry", default="target/release/quarry")
    ap.add_argument("--no-convert", dest="convert", action="store_false",
                    help="do not check the Parquet that `quarry convert` makes of the CSV")
    ap.add_argument("--rule", default=os.path.join(HERE, "..", "..", "rules", "atera-network-connection.yaml"))
    args = ap.parse_args()
    quarry = shlex.split(args.quarry)
    t = time.monotonic()
    expected = duckdb_rows(os.path.join(args.data, "parquet", "DeviceNetworkEvents.parquet"))
    print(f"duckdb: {len(expected)} rows ({time.monotonic() - t:.1f} s)")
    ok = True
    if args.convert and os.path.isdir(os.path.join(args.data, "csv")):
        converted = os.path.join(args.data, "converted")
        subprocess.run(quarry + ["convert", "--data", os.path.join(args.data, "csv"), "--out", converted],
                       check=True, capture_output=True)
    for fmt in ("parquet", "csv", "ndjson", "streaming", "streaming-gz", "sentinel", "converted"):
        folder = os.path.join(args.data, fmt)
        if not os.path.isdir(folder):
            continue
        t = time.monotonic()
        got = quarry_rows(quarry, folder)
        same = got == expected
        ok &= same
        print(f"quarry {fmt}: {len(got)} rows ({time.monotonic() - t:.1f} s): {'same' if same else 'DIFFERENT'}")
        if not same:
            missing = [r for r in expected if r not in set(got)][:3]
            extra = [r for r in got if r not in set(expected)][:3]
            print(f"  missing: {missing}\n  unexpected: {extra}")
    edge = [r for r in expected if r[3] in ("2024-06-10T12:00:00Z",) or r[4] == "2024-06-15T12:00:00Z"]
    print(f"rows touching the window's edges: {len(edge)}")
    t = time.monotonic()
    alerts = hunt_alerts(quarry, os.path.join(args.data, "parquet"), args.rule)
    problems = check_alerts(alerts, expected)
    ok &= not problems
    verdict = "one alert per row, with Host, URL and T1219" if not problems else "; ".join(problems[:5])
    print(f"quarry hunt: {len(alerts)} alerts ({time.monotonic() - t:.1f} s): {verdict}")
    print("seed check: " + ("all formats agree with DuckDB" if ok else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

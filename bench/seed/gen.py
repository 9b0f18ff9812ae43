#!/usr/bin/env python3
"""Generates DeviceNetworkEvents rows for the seed hunt (Atera agents calling home), with the
cases that trip up `has` and `between` planted among benign noise.

usage: gen.py --rows N --out DIR [--formats csv,ndjson,parquet,streaming,sentinel] [--seed S]

Writes DIR/csv/DeviceNetworkEvents.csv (the Defender advanced-hunting export),
DIR/ndjson/DeviceNetworkEvents.ndjson, DIR/parquet/DeviceNetworkEvents.parquet, and with
`streaming` DIR/streaming/export.json and DIR/streaming-gz/export.json.gz (the Defender
streaming API envelope, `category` naming the table, with a few DeviceProcessEvents records
mixed in), with `sentinel` DIR/sentinel/query-results.json (Log Analytics rows: TimeGenerated
and a Type column). The same DeviceNetworkEvents rows in each. The query's time window ends at
NOW (below), so run it with `--now 2024-06-15T12:00:00Z`.

Planted cases:
- URLs where `has 'atera.com'` must match (`atera.com.evil.net`, `PS.ATERA.COM`) and must not
  (`notatera.com`, `atera-com.net`, `ateracom.net`);
- company names with and without term boundaries (`Atera Networks Ltd` vs `AteraNetworks`);
- timestamps exactly on the window's edges, and one tick (100 ns) outside them;
- empty device names and URLs, and ReportIds repeated across rows.
"""
import argparse
import datetime as dt
import json
import os
import random

NOW = dt.datetime(2024, 6, 15, 12, 0, 0, tzinfo=dt.timezone.utc)
NOW_NS = int(NOW.timestamp()) * 1_000_000_000
DAY_NS = 86_400 * 1_000_000_000
WINDOW_START_NS = NOW_NS - 5 * DAY_NS

POSITIVE_URLS = ["agent-api.atera.com", "atera.com", "PS.ATERA.COM", "atera.com.evil.net",
                 "app.atera.com:443", "x.atera-agent-heartbeat.net", "ATERA-AGENT-HEARTBEAT",
                 "atera-agent-heartbeat.servicebus.windows.net"]
NEGATIVE_URLS = ["notatera.com", "atera-com.net", "ateracom.net", "myatera.com.au",
                 "atera.comx", "heartbeat.atera-agent.net", ""]
NOISE_URLS = ["www.microsoft.com", "login.microsoftonline.com", "update.googleapis.com",
              "cdn.example.org", "api.github.com", "teams.live.com", "s3.amazonaws.com", ""]
POSITIVE_COMPANIES = ["Atera Networks", "ATERA NETWORKS LTD", "atera networks", "(Atera Networks)"]
NEGATIVE_COMPANIES = ["AteraNetworks", "Atera Networksx", "Atera", "Networks Atera", ""]
NOISE_COMPANIES = ["Microsoft Corporation", "Google LLC", "Mozilla Corporation", "", "Zoom Video"]
PROCESSES = ["AteraAgent.exe", "svchost.exe", "chrome.exe", "AgentPackageMonitoring.exe"]


def iso(ns):
    secs, frac = divmod(ns, 1_000_000_000)
    base = dt.datetime.fromtimestamp(secs, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{frac // 100:07d}Z"


def rows(n, rng):
    devices = [(f"dev{i:05d}", f"host-{i:05d}.corp.example" if i % 97 else "") for i in range(2000)]
    edges = [WINDOW_START_NS, NOW_NS, WINDOW_START_NS - 100, NOW_NS + 100,
             WINDOW_START_NS + 100, NOW_NS - 100]
    report_id = 1000
    for i in range(n):
        device_id, device_name = devices[rng.randrange(len(devices))]
        roll = rng.random()
        if roll < 0.02:
            url = rng.choice(POSITIVE_URLS)
            company = rng.choice(POSITIVE_COMPANIES) if rng.random() < 0.8 else rng.choice(NEGATIVE_COMPANIES)
        elif roll < 0.04:
            url = rng.choice(NEGATIVE_URLS)
            company = rng.choice(POSITIVE_COMPANIES)
        else:
            url = rng.choice(NOISE_URLS)
            company = rng.choice(NOISE_COMPANIES)
        if i < len(edges) * 4:
            ts = edges[i % len(edges)]
            url, company = POSITIVE_URLS[i % 3], POSITIVE_COMPANIES[0]
        else:
            ts = NOW_NS - rng.randrange(0, 8 * DAY_NS)
            ts -= ts % 100
        if rng.random() < 0.1:
            report_id = report_id  # a repeated ReportId
        else:
            report_id += 1
        yield {
            "Timestamp": ts,
            "DeviceId": device_id,
            "DeviceName": device_name,
            "ActionType": rng.choice(["ConnectionSuccess", "ConnectionFailed", "ConnectionRequest"]),
            "RemoteIP": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
            "RemotePort": rng.choice([443, 80, 8080, 53]),
            "RemoteUrl": url,
            "InitiatingProcessFileName": rng.choice(PROCESSES),
            "InitiatingProcessVersionInfoCompanyName": company,
            "ReportId": report_id,
        }


COLUMNS = ["Timestamp", "DeviceId", "DeviceName", "ActionType", "RemoteIP", "RemotePort",
           "RemoteUrl", "InitiatingProcessFileName", "InitiatingProcessVersionInfoCompanyName",
           "ReportId"]


def csv_field(v):
    s = str(v)
    if any(c in s for c in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--formats", default="csv,ndjson,parquet")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    formats = args.formats.split(",")
    data = list(rows(args.rows, random.Random(args.seed)))
    if "csv" in formats:
        os.makedirs(os.path.join(args.out, "csv"), exist_ok=True)
        with open(os.path.join(args.out, "csv", "DeviceNetworkEvents.csv"), "w", encoding="utf-8") as f:
            f.write(",".join(COLUMNS) + "\n")
            for r in data:
                f.write(",".join(csv_field(iso(r[c]) if c == "Timestamp" else r[c]) for c in COLUMNS) + "\n")
    if "ndjson" in formats:
        os.makedirs(os.path.join(args.out, "ndjson"), exist_ok=True)
        with open(os.path.join(args.out, "ndjson", "DeviceNetworkEvents.ndjson"), "w", encoding="utf-8") as f:
            for r in data:
                f.write(json.dumps({c: (iso(r[c]) if c == "Timestamp" else r[c]) for c in COLUMNS}) + "\n")
    if "streaming" in formats:
        import gzip
        for folder, name, opener in (("streaming", "export.json", open), ("streaming-gz", "export.json.gz", gzip.open)):
            os.makedirs(os.path.join(args.out, folder), exist_ok=True)
            with opener(os.path.join(args.out, folder, name), "wt", encoding="utf-8") as f:
                for i, r in enumerate(data):
                    properties = {c: (iso(r[c]) if c == "Timestamp" else r[c]) for c in COLUMNS}
                    f.write(json.dumps({"time": iso(r["Timestamp"]), "tenantId": "00000000-0000-0000-0000-000000000000",
                                        "operationName": "Publish", "category": "AdvancedHunting-DeviceNetworkEvents",
                                        "properties": properties}) + "\n")
                    if i % 100_000 == 0:
                        f.write(json.dumps({"time": iso(r["Timestamp"]), "operationName": "Publish",
                                            "category": "AdvancedHunting-DeviceProcessEvents",
                                            "properties": {"Timestamp": iso(r["Timestamp"]), "FileName": "cmd.exe"}}) + "\n")
    if "sentinel" in formats:
        os.makedirs(os.path.join(args.out, "sentinel"), exist_ok=True)
        with open(os.path.join(args.out, "sentinel", "query-results.json"), "w", encoding="utf-8") as f:
            for r in data:
                row = {("TimeGenerated" if c == "Timestamp" else c): (iso(r[c]) if c == "Timestamp" else r[c]) for c in COLUMNS}
                row["Type"] = "DeviceNetworkEvents"
                f.write(json.dumps(row) + "\n")
    if "parquet" in formats:
        import pyarrow as pa
        import pyarrow.parquet as pq
        os.makedirs(os.path.join(args.out, "parquet"), exist_ok=True)
        columns = {c: [r[c] for r in data] for c in COLUMNS}
        table = pa.table({
            **{c: pa.array(v, pa.string()) for c, v in columns.items() if c not in ("Timestamp", "RemotePort", "ReportId")},
            "Timestamp": pa.array(columns["Timestamp"], pa.timestamp("ns", tz="UTC")),
            "RemotePort": pa.array(columns["RemotePort"], pa.int32()),
            "ReportId": pa.array(columns["ReportId"], pa.int64()),
        }).select(COLUMNS)
        pq.write_table(table, os.path.join(args.out, "parquet", "DeviceNetworkEvents.parquet"),
                       row_group_size=1_000_000, compression="zstd")
    print(f"wrote {len(data)} rows to {args.out} ({', '.join(formats)})")


if __name__ == "__main__":
    main()

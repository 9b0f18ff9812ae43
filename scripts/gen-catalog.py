#!/usr/bin/env python3
"""Builds crates/sources/catalog/tables.tsv, the bundled table catalog, from the JSON schemas of
Defender advanced-hunting and Sentinel tables (a folder of {"table", "columns": [{"name",
"type"}]} files, with the Sentinel copies of Defender tables in its `sentinel/` subfolder).

usage: scripts/gen-catalog.py SCHEMAS_DIR > crates/sources/catalog/tables.tsv

Output: one line per table, `table<TAB>name:type,name:type,...`, sorted by table. A Defender
table that Sentinel also holds gets the Defender columns followed by the Sentinel-only ones
(TimeGenerated, TenantId, ...), so that queries written for either place bind.
"""
import json
import os
import sys


def load(folder):
    tables = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                d = json.load(f)
            tables[d["table"]] = [(c["name"], c["type"]) for c in d["columns"]]
    return tables


def main():
    root = sys.argv[1]
    defender = load(root)
    sentinel = load(os.path.join(root, "sentinel"))
    out = []
    for table in sorted(set(defender) | set(sentinel)):
        if table in defender and table in sentinel:
            # A column that Sentinel stores as dynamic (AdditionalFields, ...) is dynamic: rules
            # written for either product use its properties directly.
            sentinel_types = dict(sentinel[table])
            cols = [
                (n, "dynamic" if sentinel_types.get(n) == "dynamic" else t)
                for n, t in defender[table]
            ]
            seen = {n for n, _ in cols}
            cols += [(n, t) for n, t in sentinel[table] if n not in seen]
        else:
            cols = defender.get(table) or sentinel[table]
        out.append(f"{table}\t" + ",".join(f"{n}:{t}" for n, t in cols))
    print("\n".join(out))


if __name__ == "__main__":
    main()

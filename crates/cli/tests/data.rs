//! Telemetry as users export it: every format and shape loads, and every unreadable row or
//! value is counted, with its place, in the summary; `--strict` makes that a failure.

mod common;
use common::{quarry, stderr, stdout, write};

use std::io::Write;
use std::path::Path;
use std::process::Command;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

const QUERY: &str = "DeviceNetworkEvents | summarize n = count(), urls = make_set(RemoteUrl), ports = make_set(RemotePort) by DeviceName | order by DeviceName asc";

/// The same three rows as every export format writes them.
fn exports(dir: &Path) {
    write(dir, "csv/DeviceNetworkEvents.csv", b"\xEF\xBB\xBFTimestamp,DeviceName,RemoteUrl,RemotePort\n2026-11-30T10:00:00.1234567Z,ws-01,a.example.com,443\n2026-11-30T10:05:00Z,ws-01,b.example.com,80\n2026-11-30T10:10:00Z,ws-02,\"c,example.com\",\n");
    let rows = [
        r#"{"Timestamp":"2026-11-30T10:00:00.1234567Z","DeviceName":"ws-01","RemoteUrl":"a.example.com","RemotePort":443}"#,
        r#"{"Timestamp":"2026-11-30T10:05:00Z","DeviceName":"ws-01","RemoteUrl":"b.example.com","RemotePort":"80"}"#,
        r#"{"Timestamp":"2026-11-30T10:10:00Z","DeviceName":"ws-02","RemoteUrl":"c,example.com","RemotePort":null}"#,
    ];
    write(dir, "ndjson/DeviceNetworkEvents.ndjson", (rows.join("\n") + "\n").as_bytes());
    write(dir, "array/DeviceNetworkEvents.json", format!("[{}]", rows.join(",\n")).as_bytes());
    let envelope = |r: &str| {
        format!(
            r#"{{"time":"2026-11-30T11:00:00Z","tenantId":"t","operationName":"Publish","category":"AdvancedHunting-DeviceNetworkEvents","properties":{r}}}"#
        )
    };
    let streaming: Vec<String> = rows.iter().map(|r| envelope(r)).collect();
    let mut mixed = streaming.join("\n");
    mixed.push_str("\n{\"time\":\"x\",\"category\":\"AdvancedHunting-DeviceProcessEvents\",\"properties\":{\"FileName\":\"cmd.exe\"}}\n");
    write(dir, "streaming/export.log", mixed.as_bytes());
    write(dir, "streaming-gz/export.json.gz", &gzip(mixed.as_bytes()));
    write(
        dir,
        "csv-zst/DeviceNetworkEvents.csv.zst",
        &zstd::encode_all(&std::fs::read(dir.join("csv/DeviceNetworkEvents.csv")).unwrap()[..], 3)
            .unwrap(),
    );
    let batched = format!("{{\"records\": [{}]}}\n", streaming.join(","));
    write(dir, "batched/hub.json", batched.as_bytes());
    let sentinel: Vec<String> = rows
        .iter()
        .map(|r| {
            r.replace("\"Timestamp\"", "\"TimeGenerated\"").replacen(
                '{',
                "{\"Type\":\"DeviceNetworkEvents\",",
                1,
            )
        })
        .collect();
    write(dir, "sentinel/query-results.json", (sentinel.join("\n") + "\n").as_bytes());
}

#[test]
fn every_export_format_gives_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    exports(dir.path());
    let want = r#"{"columns":[{"name":"DeviceName","type":"string"},{"name":"n","type":"long"},{"name":"urls","type":"dynamic"},{"name":"ports","type":"dynamic"}],"rows":[["ws-01",2,["a.example.com","b.example.com"],[443,80]],["ws-02",1,["c,example.com"],[]]]}"#;
    for folder in
        ["csv", "csv-zst", "ndjson", "array", "streaming", "streaming-gz", "batched", "sentinel"]
    {
        let out =
            quarry(&["query", "--strict", "--format", "json", "--data", folder, QUERY], dir.path());
        assert_eq!(out.status.code(), Some(0), "{folder}: {}", stderr(&out));
        let got: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let mut got = got;
        for row in got["rows"].as_array_mut().unwrap() {
            for cell in row.as_array_mut().unwrap() {
                if let Some(a) = cell.as_array_mut() {
                    a.sort_by_key(|v| v.to_string());
                }
            }
        }
        let mut want: serde_json::Value = serde_json::from_str(want).unwrap();
        want["rows"][0][3] = serde_json::json!([443, 80]);
        want["rows"][0][3].as_array_mut().unwrap().sort_by_key(|v| v.to_string());
        assert_eq!(got, want, "{folder}");
    }
    // A glob, standard input, and --table.
    let out = quarry(
        &["query", "--format", "csv", "--data", "nd*/*.ndjson", "DeviceNetworkEvents | count"],
        dir.path(),
    );
    assert_eq!(stdout(&out), "Count\n3\n", "{}", stderr(&out));
    let input = std::fs::read(dir.path().join("streaming/export.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_quarry"))
        .args(["query", "--format", "csv", "--data", "-", "DeviceProcessEvents | project FileName"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "FileName\ncmd.exe\n");
    let out = quarry(
        &[
            "query",
            "--format",
            "csv",
            "--table",
            "DeviceNetworkEvents=csv/DeviceNetworkEvents.csv",
            "DeviceNetworkEvents | count",
        ],
        dir.path(),
    );
    assert_eq!(stdout(&out), "Count\n3\n", "{}", stderr(&out));
}

#[test]
fn tables_lists_what_the_data_holds() {
    let dir = tempfile::tempdir().unwrap();
    exports(dir.path());
    write(
        dir.path(),
        "streaming/extra/DeviceNetworkEvents.ndjson",
        br#"{"Timestamp":"2026-11-30T09:00:00Z","DeviceName":"ws-09","Mystery":1}"#,
    );
    let out = quarry(&["tables", "--format", "json", "--data", "streaming"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out), @r#"
    [
      {
        "table": "DeviceNetworkEvents",
        "known": true,
        "files": [
          "streaming/export.log",
          "streaming/extra/DeviceNetworkEvents.ndjson"
        ],
        "rows": 4,
        "first_time": "2026-11-30T09:00:00Z",
        "last_time": "2026-11-30T10:10:00Z",
        "unknown_columns": [
          "Mystery"
        ]
      },
      {
        "table": "DeviceProcessEvents",
        "known": true,
        "files": [
          "streaming/export.log"
        ],
        "rows": 1,
        "first_time": null,
        "last_time": null,
        "unknown_columns": []
      }
    ]
    "#);
}

#[test]
fn unreadable_input_is_counted_with_its_places() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "data/DeviceNetworkEvents/a.ndjson", b"{\"DeviceName\":\"ws-01\",\"RemotePort\":443}\n{\"DeviceName\": ws-02}\n{\"DeviceName\":\"ws-03\",\"RemotePort\":\"https\"}\n\n{\"DeviceName\":\"ws-04\",\"Timestamp\":\"yesterday\"}\n");
    write(
        d,
        "data/DeviceNetworkEvents/b.csv",
        b"DeviceName,RemotePort\nws-05,22\nws-06,22,extra\n",
    );
    let mut truncated = gzip(b"{\"DeviceName\":\"ws-07\"}\n{\"DeviceName\":\"ws-08\"}\n");
    truncated.truncate(truncated.len() - 6);
    write(d, "data/DeviceNetworkEvents/c.ndjson.gz", &truncated);
    write(d, "data/DeviceNetworkEvents/d.json", b"");
    // Values are checked as a query reads them: this one reads the port and the time.
    let query = "DeviceNetworkEvents | summarize count(), max(RemotePort), max(Timestamp)";
    let out = quarry(&["query", "--format", "csv", "--data", "data", query], d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out), @r"
    count_,max_RemotePort,max_Timestamp
    6,443,
    ");
    insta::assert_snapshot!(stderr(&out), @r"
    data/DeviceNetworkEvents/a.ndjson: 3 rows or values unreadable: 1 a value that is not a datetime, 1 a value that is not an int, 1 not valid JSON
      data/DeviceNetworkEvents/a.ndjson:2: not valid JSON (expected value)
      data/DeviceNetworkEvents/a.ndjson:3: a value that is not an int (column RemotePort)
      data/DeviceNetworkEvents/a.ndjson:5: a value that is not a datetime (column Timestamp)
    data/DeviceNetworkEvents/b.csv: 1 row or value unreadable: 1 3 fields where the header has 2
      data/DeviceNetworkEvents/b.csv:3: 3 fields where the header has 2
    data/DeviceNetworkEvents/c.ndjson.gz: 1 row or value unreadable: 1 the compressed stream ends early or is corrupt
      data/DeviceNetworkEvents/c.ndjson.gz:3: the compressed stream ends early or is corrupt (unexpected end of file)
    data/DeviceNetworkEvents/d.json: 1 row or value unreadable: 1 the file is empty
      data/DeviceNetworkEvents/d.json: the file is empty
    ");
    let out = quarry(&["query", "--strict", "--format", "csv", "--data", "data", query], d);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).ends_with("error: --strict: 6 rows or values of the data could not be read\n"),
        "{}",
        stderr(&out)
    );
    // `tables` reads every column: it finds the bad values whatever the columns.
    let out = quarry(&["tables", "--strict", "--data", "data"], d);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("a.ndjson:3: a value that is not an int (column RemotePort)"),
        "{}",
        stderr(&out)
    );
    let out = quarry(&["query", "--strict", "--data", "data", "DeviceNetworkEvents | count"], d);
    assert!(!stderr(&out).contains("RemotePort"), "{}", stderr(&out));
}

#[test]
fn parquet_with_only_time_generated_answers_to_timestamp() {
    use datafusion::arrow::array::{StringArray, TimestampNanosecondArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("TimeGenerated", DataType::Timestamp(TimeUnit::Nanosecond, None), true),
        Field::new("DeviceName", DataType::Utf8, true),
    ]));
    let batch = datafusion::arrow::array::RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(TimestampNanosecondArray::from(vec![1_764_496_800_000_000_000])),
            Arc::new(StringArray::from(vec!["ws-01"])),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(dir.path().join("DeviceNetworkEvents.parquet")).unwrap();
    let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let out = quarry(
        &[
            "query",
            "--format",
            "csv",
            "--data",
            ".",
            "DeviceNetworkEvents | project Timestamp, DeviceName",
        ],
        dir.path(),
    );
    assert_eq!(
        stdout(&out),
        "Timestamp,DeviceName\n2025-11-30T10:00:00Z,ws-01\n",
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_large_file_read_in_ranges_gives_every_row_and_the_file_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 1..=1000 {
        match i {
            // Bad lines in the first and the last part of the file.
            10 | 990 => text.push_str("{not json\n"),
            500 => text.push_str("{\"DeviceName\":\"ws-500\",\"RemotePort\":\"x\"}\n"),
            _ => text.push_str(&format!("{{\"DeviceName\":\"ws-{i}\",\"RemotePort\":{i}}}\n")),
        }
    }
    write(dir.path(), "DeviceNetworkEvents.ndjson", &text);
    let query = "DeviceNetworkEvents | summarize count(), dcount(DeviceName), sum(RemotePort)";
    let run = |split: &str| {
        Command::new(env!("CARGO_BIN_EXE_quarry"))
            .args(["query", "--format", "csv", "--data", "DeviceNetworkEvents.ndjson", query])
            .env("QUARRY_SPLIT_BYTES", split)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let whole = run("1000000000");
    let ranges = run("1");
    assert_eq!(stdout(&whole), "count_,dcount_DeviceName,sum_RemotePort\n998,998,499000\n");
    assert_eq!(stdout(&ranges), stdout(&whole));
    assert_eq!(stderr(&ranges), stderr(&whole));
    insta::assert_snapshot!(stderr(&ranges), @r"
    DeviceNetworkEvents.ndjson: 3 rows or values unreadable: 1 a value that is not an int, 2 not valid JSON
      DeviceNetworkEvents.ndjson:10: not valid JSON (key must be a string)
      DeviceNetworkEvents.ndjson:500: a value that is not an int (column RemotePort)
      DeviceNetworkEvents.ndjson:990: not valid JSON (key must be a string)
    ");
}

#[test]
fn a_mixed_export_longer_than_the_sample_lists_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let envelope = |table: &str, name: &str| {
        format!(
            "{{\"category\":\"AdvancedHunting-{table}\",\"properties\":{{\"DeviceName\":\"{name}\"}}}}\n"
        )
    };
    let mut text = String::new();
    for i in 0..1100 {
        let table = if i % 2 == 0 { "DeviceNetworkEvents" } else { "DeviceProcessEvents" };
        text.push_str(&envelope(table, &format!("ws-{i}")));
    }
    for i in 0..100 {
        text.push_str(&envelope("DeviceFileEvents", &format!("ws-{i}")));
    }
    write(dir.path(), "export.json", &text);
    let out =
        quarry(&["tables", "--strict", "--format", "json", "--data", "export.json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let tables: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let counts: Vec<(String, u64)> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["table"].as_str().unwrap().to_string(), t["rows"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        counts,
        [
            ("DeviceFileEvents".to_string(), 100),
            ("DeviceNetworkEvents".to_string(), 550),
            ("DeviceProcessEvents".to_string(), 550)
        ]
    );
}

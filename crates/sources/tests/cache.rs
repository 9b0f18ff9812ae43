//! A hunt's cache of text tables: in memory or in a temporary Parquet file, the rows are the
//! same, and every unreadable value is counted while the table is read once.

use datafusion::prelude::SessionContext;
use quarry_plan::PlanOptions;
use quarry_sources::DataCatalog;

async fn rows(catalog: &DataCatalog, ctx: &SessionContext) -> Vec<serde_json::Value> {
    let kql = "DeviceNetworkEvents | summarize n = count(), ports = sum(RemotePort) by DeviceName | order by DeviceName asc";
    let run = quarry_plan::run(kql, catalog, ctx, PlanOptions { now: 0 }).await.unwrap();
    let t = &run.tables[0];
    quarry_plan::output::json_rows(&t.columns, &t.batches).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_tables_give_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"DeviceName\":\"ws-01\",\"RemotePort\":443}\n{\"DeviceName\":\"ws-01\",\"RemotePort\":\"x\"}\n{\"DeviceName\":\"ws-02\",\"RemotePort\":80}\n";
    std::fs::write(dir.path().join("DeviceNetworkEvents.ndjson"), text).unwrap();
    let ctx = SessionContext::new();
    let paths = [dir.path().to_path_buf()];
    let want = rows(&DataCatalog::load(&paths, &ctx).await.unwrap(), &ctx).await;
    assert_eq!(
        want,
        vec![serde_json::json!(["ws-01", 2, 443]), serde_json::json!(["ws-02", 1, 80])]
    );
    let tables = ["DeviceNetworkEvents".to_string()];
    for max_memory_bytes in [u64::MAX, 0] {
        let mut catalog = DataCatalog::load(&paths, &ctx).await.unwrap();
        catalog.cache(&tables, max_memory_bytes, &ctx).await.unwrap();
        assert_eq!(catalog.problems().total(), 1, "the bad port is counted while caching");
        assert_eq!(rows(&catalog, &ctx).await, want, "max_memory_bytes = {max_memory_bytes}");
        assert_eq!(catalog.problems().total(), 1, "and not again by the query");
    }
}

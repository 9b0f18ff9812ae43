//! Temporary folders and files Quarry writes while it works, removed when done.

use datafusion::dataframe::DataFrame;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use futures::StreamExt;
use std::path::{Path, PathBuf};

/// A folder of the temporary directory, its own in the process, removed when dropped.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    /// A new folder named `quarry-<purpose>-<process>-<n>`.
    pub fn new(purpose: &str) -> std::io::Result<TempDir> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("quarry-{purpose}-{}-{n}", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Streams a query's rows into a Parquet file; returns how many were written.
pub async fn write_parquet(
    frame: DataFrame,
    path: &Path,
    properties: WriterProperties,
) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    let mut stream = frame.execute_stream().await?;
    let file =
        std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut writer = ArrowWriter::try_new(file, stream.schema(), Some(properties))?;
    let mut rows = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        writer.write(&batch)?;
    }
    writer.close()?;
    Ok(rows)
}

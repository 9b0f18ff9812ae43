//! Data sources: the bundled catalog of table schemas, and telemetry files as tables.

pub mod bundled;
pub mod files;
pub mod ingest;
pub mod temp;

pub use files::{DataCatalog, DataError, TableSource};
pub use ingest::problems::Problems;

use quarry_functions::KqlType;
use quarry_plan::ColumnDef;

/// The column that times a table's rows: Defender's `Timestamp`, else `TimeGenerated`, when
/// it is a datetime.
pub fn time_column(columns: &[ColumnDef]) -> Option<&'static str> {
    ["Timestamp", "TimeGenerated"]
        .into_iter()
        .find(|name| columns.iter().any(|c| c.name == *name && c.ty == KqlType::DateTime))
}

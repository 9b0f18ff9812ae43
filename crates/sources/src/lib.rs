//! Data sources: the bundled catalog of table schemas, and telemetry files as tables.

pub mod bundled;
pub mod files;
pub mod ingest;

pub use files::{DataCatalog, DataError, TableSource};
pub use ingest::problems::Problems;

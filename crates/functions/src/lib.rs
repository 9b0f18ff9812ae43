//! KQL's function library, as DataFusion user-defined functions with Kusto's semantics.
pub use datafusion;

//! KQL's function library, as DataFusion user-defined functions with Kusto's semantics.

pub mod strings;
pub mod types;

pub use datafusion;
pub use types::KqlType;

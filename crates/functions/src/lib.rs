//! KQL's function library, as DataFusion user-defined functions with Kusto's semantics.

pub mod convert;
pub mod dynamic;
pub mod library;
pub mod math;
pub mod range;
pub mod regex;
pub mod scalar;
pub mod strings;
pub mod time;
pub mod types;
pub mod udf;

pub use datafusion;
pub use types::KqlType;

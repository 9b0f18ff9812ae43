//! KQL's function library, as DataFusion user-defined functions with Kusto's semantics.

pub mod convert;
pub mod dynamic;
pub mod geo;
pub mod library;
pub mod listagg;
pub mod math;
pub mod punycode;
pub mod range;
pub mod regex;
pub mod scalar;
pub mod series;
pub mod strings;
pub mod time;
pub mod types;
pub mod udf;
pub mod units;
pub mod window;

pub use datafusion;
pub use types::KqlType;

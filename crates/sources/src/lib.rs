//! placeholder
pub use datafusion;

//! Sentinel rule files: the query they carry, and where it sits in the file.

pub mod embedded;

pub use embedded::{EmbeddedQuery, QueryFieldError, find_query};

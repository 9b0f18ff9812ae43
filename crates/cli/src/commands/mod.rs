pub mod check;
pub mod fmt;
pub mod query;

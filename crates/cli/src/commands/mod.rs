pub mod check;
pub mod coverage;
pub mod fmt;
pub mod hunt;
pub mod import;
pub mod query;
pub mod tables;
pub mod test;

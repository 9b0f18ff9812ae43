//! KQL's scalar functions, grouped by what they work on.

pub mod datetime;
pub mod math;
pub mod strings;

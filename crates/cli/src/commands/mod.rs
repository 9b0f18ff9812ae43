pub mod check;
pub mod convert;
pub mod coverage;
pub mod fmt;
pub mod hunt;
pub mod import;
pub mod query;
pub mod tables;
pub mod test;

/// The runtime queries run on.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the query runtime")
}

//! What the planner knows about tables: their KQL schema, and where their rows come from.

use datafusion::catalog::TableProvider;
use quarry_functions::KqlType;
use std::sync::Arc;

/// A column of a table or of an intermediate result: a name and a KQL type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    pub ty: KqlType,
}

impl ColumnDef {
    pub fn new(name: impl Into<String>, ty: KqlType) -> ColumnDef {
        ColumnDef { name: name.into(), ty }
    }
}

/// A table as the planner sees it.
#[derive(Clone, Debug)]
pub struct TableInfo {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    /// Where the rows come from; `None` when only the schema is known (binding without data).
    /// A provider produces exactly `columns`, in order, with each type's Arrow representation.
    pub provider: Option<Arc<dyn TableProvider>>,
}

/// The tables a query can name.
pub trait Catalog {
    /// The table named `name` (exact, case-sensitive match, as in KQL).
    fn table(&self, name: &str) -> Option<TableInfo>;

    /// The names of all tables, for wildcards (`union Device*`) and suggestions.
    fn table_names(&self) -> Vec<String>;
}

/// A catalog with no tables: for queries that build their own data (`print`, `datatable`).
pub struct EmptyCatalog;

impl Catalog for EmptyCatalog {
    fn table(&self, _name: &str) -> Option<TableInfo> {
        None
    }

    fn table_names(&self) -> Vec<String> {
        Vec::new()
    }
}

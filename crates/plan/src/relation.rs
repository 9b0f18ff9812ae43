//! A planned tabular expression: a DataFusion plan and the KQL schema of its rows.

use crate::catalog::ColumnDef;
use datafusion::common::Column;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, SortExpr};
use quarry_functions::KqlType;

/// A tabular result being built: its plan and its columns, in order. The plan's output fields
/// carry exactly these names, unqualified, with each KQL type's Arrow representation.
#[derive(Clone, Debug)]
pub struct Relation {
    pub plan: LogicalPlan,
    pub columns: Vec<ColumnDef>,
    /// Rows are in a defined order (after `sort`, `top`, `serialize`), so that row-order
    /// functions such as `row_number()` and `prev()` may be used: the sort keys while they
    /// still hold over these columns, an empty list when the order has no keys here.
    pub order: Option<Vec<SortExpr>>,
}

impl Relation {
    pub fn new(plan: LogicalPlan, columns: Vec<ColumnDef>) -> Relation {
        Relation { plan, columns, order: None }
    }

    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn has(&self, name: &str) -> bool {
        self.column(name).is_some()
    }

    pub fn builder(&self) -> LogicalPlanBuilder {
        LogicalPlanBuilder::from(self.plan.clone())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }
}

/// A reference to a column by its exact name (dots and spaces are part of the name).
pub fn column(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// A reference to a column of one side of a join.
pub fn qualified(qualifier: &str, name: &str) -> Expr {
    Expr::Column(Column::new(Some(qualifier), name))
}

/// A scalar expression in DataFusion terms with its KQL type.
#[derive(Clone, Debug)]
pub struct Typed {
    pub expr: Expr,
    pub ty: KqlType,
}

impl Typed {
    pub fn new(expr: Expr, ty: KqlType) -> Typed {
        Typed { expr, ty }
    }
}

//! Running rules over telemetry: the rows each rule may see (its look-back window, its
//! exclusions), its query, and the alerts its results raise.
//!
//! A rule reads its tables through views: each table the data holds becomes
//! `T | where <time> between (now - queryPeriod .. now) | where <exclusion>...`, planned with the
//! same planner as the query. Exclusions thus apply to the rows a rule reads, before its own
//! operators, and work on rules that summarize.

use crate::alert::{Alert, alerts_for};
use crate::exclusion::Exclusion;
use crate::rule::Rule;
use datafusion::catalog::TableProvider;
use datafusion::catalog::view::ViewTable;
use datafusion::prelude::SessionContext;
use quarry_plan::{Catalog, PlanOptions, ResultTable, RunError, TableInfo};
use quarry_syntax::{Diagnostic, LineIndex};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The connector that provides a table, for tables a rule does not list itself.
fn default_connector(table: &str) -> &'static str {
    if table.starts_with("Device")
        || table.starts_with("Email")
        || table.starts_with("Identity")
        || table.starts_with("Cloud")
        || table.starts_with("Alert")
        || table.starts_with("Url")
    {
        "MicrosoftThreatProtection"
    } else if table.starts_with("AAD") || table == "SigninLogs" || table == "AuditLogs" {
        "AzureActiveDirectory"
    } else if table == "SecurityEvent" || table == "WindowsEvent" {
        "SecurityEvents"
    } else if table == "OfficeActivity" {
        "Office365"
    } else {
        "the connector that provides it"
    }
}

/// Why a rule produced no alerts without running.
#[derive(Clone, Debug)]
pub struct Skipped {
    pub rule_id: String,
    pub rule_name: String,
    pub reason: String,
}

/// A rule whose query or exclusions could not run.
#[derive(Clone, Debug)]
pub struct Failed {
    pub rule_id: String,
    pub rule_name: String,
    /// Each message already says where (`file:line:column: ...`).
    pub messages: Vec<String>,
}

/// What one exclusion did in a run.
#[derive(Clone, Debug)]
pub struct ExclusionEffect {
    pub rule_id: String,
    pub label: String,
    pub place: String,
    pub rows_removed: u64,
    pub alerts_suppressed: u64,
    /// The rule's alerts without any exclusion.
    pub alerts_without: u64,
}

#[derive(Default, Debug)]
pub struct HuntReport {
    pub alerts: Vec<Alert>,
    pub rules_run: usize,
    pub skipped: Vec<Skipped>,
    pub failed: Vec<Failed>,
    pub exclusions: Vec<ExclusionEffect>,
}

/// How exclusions take part in a run.
#[derive(Clone, Copy, Debug)]
pub enum Exclusions<'a> {
    /// Every exclusion of the rule, with a report of what each removed.
    All,
    /// None at all.
    Ignore,
    /// Only this one (for rule tests that weigh each exclusion).
    Only(&'a Exclusion),
}

/// Runs every rule over `data` at time `now` (nanoseconds since 1970), with their exclusions
/// unless `exclusions` is `Ignore`.
pub async fn hunt(
    rules: &[Rule],
    data: &dyn Catalog,
    ctx: &SessionContext,
    now: i64,
    exclusions: Exclusions<'_>,
) -> HuntReport {
    let mut report = HuntReport::default();
    for rule in rules {
        match run_rule(rule, data, ctx, now, exclusions).await {
            Ok(RuleOutcome::Skipped(reason)) => {
                tracing::debug!(rule = %rule.id, %reason, "rule skipped");
                report.skipped.push(Skipped {
                    rule_id: rule.id.clone(),
                    rule_name: rule.name.clone(),
                    reason,
                });
            }
            Ok(RuleOutcome::Ran { alerts, exclusions }) => {
                report.rules_run += 1;
                report.alerts.extend(alerts);
                report.exclusions.extend(exclusions);
            }
            Err(messages) => report.failed.push(Failed {
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                messages,
            }),
        }
    }
    report
}

pub enum RuleOutcome {
    Skipped(String),
    Ran { alerts: Vec<Alert>, exclusions: Vec<ExclusionEffect> },
}

/// Runs one rule. An error is a list of messages that say where.
pub async fn run_rule(
    rule: &Rule,
    data: &dyn Catalog,
    ctx: &SessionContext,
    now: i64,
    exclusions: Exclusions<'_>,
) -> Result<RuleOutcome, Vec<String>> {
    let tables = match tables_read(rule, data) {
        Ok(t) => t,
        Err(reason) => return Ok(RuleOutcome::Skipped(reason)),
    };
    let chosen: Vec<&Exclusion> = match exclusions {
        Exclusions::All => rule.exclusions.iter().collect(),
        Exclusions::Ignore => Vec::new(),
        Exclusions::Only(e) => vec![e],
    };
    let result = run_with(rule, data, ctx, now, &tables, &chosen).await?;
    let mut alerts = alerts_for(rule, &result)?;
    // Result rows come in no set order when DataFusion works in parallel; sort them so that
    // runs over the same data print the same alerts.
    alerts.sort_by_cached_key(|a| {
        (a.first_time.clone(), serde_json::to_string(&a.rows).unwrap_or_default())
    });
    let mut effects = Vec::new();
    if matches!(exclusions, Exclusions::All) && !rule.exclusions.is_empty() {
        let unexcluded = run_with(rule, data, ctx, now, &tables, &[]).await?;
        let base = alerts_for(rule, &unexcluded)?.len() as u64;
        for e in &rule.exclusions {
            let alone = run_with(rule, data, ctx, now, &tables, &[e]).await?;
            let with_it = alerts_for(rule, &alone)?.len() as u64;
            effects.push(ExclusionEffect {
                rule_id: rule.id.clone(),
                label: e.label().to_string(),
                place: format!("{}:{}:{}", e.file, e.line, e.column),
                rows_removed: rows_removed(rule, data, ctx, now, &tables, e).await?,
                alerts_suppressed: base.saturating_sub(with_it),
                alerts_without: base,
            });
        }
    }
    Ok(RuleOutcome::Ran { alerts, exclusions: effects })
}

/// The data tables a rule reads: those its connectors list and those its query names. A table
/// the data lacks skips the rule, with the connector that would provide it.
pub fn tables_read(rule: &Rule, data: &dyn Catalog) -> Result<Vec<String>, String> {
    let mut wanted: BTreeMap<String, String> = BTreeMap::new();
    for c in &rule.connectors {
        for t in &c.tables {
            wanted.insert(t.clone(), c.id.clone());
        }
    }
    let recorder = Recorder { data, seen: RefCell::new(BTreeSet::new()) };
    let parsed = quarry_syntax::parse(&rule.query.text);
    let _ = quarry_plan::plan_query(&parsed.query, &recorder, PlanOptions { now: 0 });
    for t in recorder.seen.into_inner() {
        wanted.entry(t.clone()).or_insert_with(|| default_connector(&t).to_string());
    }
    let missing: Vec<String> = wanted
        .iter()
        .filter(|(t, _)| data.table(t).is_none() && is_known_table(t))
        .map(|(t, c)| format!("table {t} (from connector {c})"))
        .collect();
    if !missing.is_empty() {
        return Err(format!("the data has no {}", missing.join(", no ")));
    }
    Ok(wanted.into_keys().filter(|t| data.table(t).is_some()).collect())
}

fn is_known_table(name: &str) -> bool {
    quarry_sources::bundled::schema(name).is_some()
}

/// A catalog that notes each table name the planner asks for, answering from the data or,
/// for a bundled table the data lacks, from its schema alone.
struct Recorder<'a> {
    data: &'a dyn Catalog,
    seen: RefCell<BTreeSet<String>>,
}

impl Catalog for Recorder<'_> {
    fn table(&self, name: &str) -> Option<TableInfo> {
        let found = self.data.table(name).or_else(|| {
            let columns = quarry_sources::bundled::schema(name)?.to_vec();
            Some(TableInfo { name: name.to_string(), columns, provider: None })
        });
        if found.is_some() {
            self.seen.borrow_mut().insert(name.to_string());
        }
        found
    }

    fn table_names(&self) -> Vec<String> {
        let mut names = self.data.table_names();
        names.extend(quarry_sources::bundled::tables().keys().cloned());
        names.sort();
        names.dedup();
        names
    }
}

/// The data's tables as a rule sees them: views for the tables it reads.
struct Views<'a> {
    data: &'a dyn Catalog,
    views: BTreeMap<String, TableInfo>,
}

impl Catalog for Views<'_> {
    fn table(&self, name: &str) -> Option<TableInfo> {
        self.views.get(name).cloned().or_else(|| self.data.table(name))
    }

    fn table_names(&self) -> Vec<String> {
        self.data.table_names()
    }
}

/// The KQL of the rows a rule sees of `table`: the window, then each exclusion.
fn view_query(
    rule: &Rule,
    table: &TableInfo,
    now: i64,
    exclusions: &[&Exclusion],
) -> Result<String, Vec<String>> {
    let mut kql = quarry_syntax::format::bracketed(&table.name);
    if let (Some(period), Some(column)) =
        (rule.query_period, quarry_sources::time_column(&table.columns))
    {
        let start = quarry_functions::time::format_datetime_full(now - period);
        let end = quarry_functions::time::format_datetime_full(now);
        kql.push_str(&format!("\n| where {column} between (datetime({start}) .. datetime({end}))"));
    }
    let has_column = |c: &str| table.columns.iter().any(|col| col.name == c);
    let mut errors = Vec::new();
    for e in exclusions {
        match e.condition_for(&table.name, &has_column) {
            Ok(condition) => kql.push_str(&format!("\n| where {}", e.predicate(&condition))),
            Err(d) => {
                errors.push(format!("{} (exclusion of rule {})", d.display(&e.file), rule.id))
            }
        }
    }
    if errors.is_empty() { Ok(kql) } else { Err(errors) }
}

fn views<'a>(
    rule: &Rule,
    data: &'a dyn Catalog,
    now: i64,
    tables: &[String],
    exclusions: &[&Exclusion],
) -> Result<Views<'a>, Vec<String>> {
    let mut views = BTreeMap::new();
    for name in tables {
        let Some(table) = data.table(name) else { continue };
        let kql = view_query(rule, &table, now, exclusions)?;
        if kql == quarry_syntax::format::bracketed(name) {
            continue;
        }
        tracing::debug!(rule = %rule.id, table = %name, view = %kql, "rows the rule reads");
        let plan = match plan_one(&kql, data, now, first_error) {
            Ok(plan) => plan,
            Err(_) => return Err(exclusion_errors(rule, &table, data, now, exclusions)),
        };
        let provider: Arc<dyn TableProvider> = Arc::new(ViewTable::new(plan.plan, None));
        views.insert(
            name.clone(),
            TableInfo { name: name.clone(), columns: plan.columns, provider: Some(provider) },
        );
    }
    Ok(Views { data, views })
}

/// The first error of a query's diagnostics.
fn first_error(d: &[Diagnostic]) -> Vec<String> {
    d.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).take(1).collect()
}

/// When a view does not plan, the exclusions that cannot run on the table, each tried alone,
/// at their places in their files.
fn exclusion_errors(
    rule: &Rule,
    table: &TableInfo,
    data: &dyn Catalog,
    now: i64,
    exclusions: &[&Exclusion],
) -> Vec<String> {
    let mut messages = Vec::new();
    for e in exclusions {
        let kql = match view_query(rule, table, now, &[e]) {
            Ok(kql) => kql,
            Err(m) => {
                messages.extend(m);
                continue;
            }
        };
        if let Err(m) = plan_one(&kql, data, now, first_error) {
            let why = m.first().cloned().unwrap_or_default();
            messages.push(format!(
                "{}:{}:{}: error: exclusion of rule {} cannot run on table {}: {why}",
                e.file, e.line, e.column, rule.id, table.name
            ));
        }
    }
    if messages.is_empty() {
        messages.push(format!(
            "{}: error: rule {}: the rows of table {} cannot be read",
            rule.file, rule.id, table.name
        ));
    }
    messages
}

struct PlannedResult {
    plan: datafusion::logical_expr::LogicalPlan,
    columns: Vec<quarry_plan::ColumnDef>,
}

fn plan_one(
    kql: &str,
    catalog: &dyn Catalog,
    now: i64,
    on_error: impl Fn(&[Diagnostic]) -> Vec<String>,
) -> Result<PlannedResult, Vec<String>> {
    let parsed = quarry_syntax::parse(kql);
    if parsed.has_errors() {
        return Err(on_error(&parsed.diagnostics));
    }
    let planned = quarry_plan::plan_query(&parsed.query, catalog, PlanOptions { now });
    if planned.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(on_error(&planned.diagnostics));
    }
    match planned.results.into_iter().last() {
        Some(r) => Ok(PlannedResult { plan: r.plan, columns: r.columns }),
        None => Err(on_error(&[])),
    }
}

/// Runs the rule's query with the given exclusions; returns its (last) result table.
async fn run_with(
    rule: &Rule,
    data: &dyn Catalog,
    ctx: &SessionContext,
    now: i64,
    tables: &[String],
    exclusions: &[&Exclusion],
) -> Result<ResultTable, Vec<String>> {
    let views = views(rule, data, now, tables, exclusions)?;
    match quarry_plan::run(&rule.query.text, &views, ctx, PlanOptions { now }).await {
        Ok(mut run) => run
            .tables
            .pop()
            .ok_or_else(|| vec![format!("{}: rule {} has no result", rule.file, rule.id)]),
        Err(RunError::Query(diagnostics)) => Err(query_messages(rule, &diagnostics)),
        Err(RunError::Execution(m)) => {
            Err(vec![format!("{}: error: rule {} failed: {m}", rule.file, rule.id)])
        }
    }
}

/// Query diagnostics at their places in the rule file.
pub fn query_messages(rule: &Rule, diagnostics: &[Diagnostic]) -> Vec<String> {
    let index = LineIndex::new(&rule.query.text);
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let local = index.line_col(&rule.query.text, d.span.start as usize);
            let at = rule.query.file_position(local);
            format!(
                "{}:{}:{}: error: {} (rule {})",
                rule.file, at.line, at.column, d.message, rule.id
            )
        })
        .collect()
}

/// How many rows of the rule's window one exclusion removes, over every table the rule reads.
async fn rows_removed(
    rule: &Rule,
    data: &dyn Catalog,
    ctx: &SessionContext,
    now: i64,
    tables: &[String],
    e: &Exclusion,
) -> Result<u64, Vec<String>> {
    let mut removed = 0;
    for name in tables {
        let Some(table) = data.table(name) else { continue };
        let before = view_query(rule, &table, now, &[])?;
        let after = view_query(rule, &table, now, &[e])?;
        removed += count(&before, data, ctx, now).await? - count(&after, data, ctx, now).await?;
    }
    Ok(removed)
}

async fn count(
    kql: &str,
    data: &dyn Catalog,
    ctx: &SessionContext,
    now: i64,
) -> Result<u64, Vec<String>> {
    let text = format!("{kql}\n| count");
    let run = quarry_plan::run(&text, data, ctx, PlanOptions { now })
        .await
        .map_err(|e| vec![format!("cannot count rows: {e:?}")])?;
    let table = run.tables.last().ok_or_else(|| vec!["cannot count rows".to_string()])?;
    let rows = quarry_plan::output::json_rows(&table.columns, &table.batches)
        .map_err(|e| vec![e.to_string()])?;
    Ok(rows.first().and_then(|r| r.get(0)).and_then(|v| v.as_u64()).unwrap_or(0))
}

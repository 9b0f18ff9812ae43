//! KQL's keywords, and where each may stand as a name.
//!
//! Most of KQL's keywords can also be names, but not everywhere. Three sets decide it:
//! - [`is_name_keyword`]: keywords usable as names anywhere (`count`, `bin`, `range`, `on`, ...);
//! - [`is_declarable_keyword`]: further keywords usable as declared names, on the left of `=`
//!   and in schemas (`by`, `to`, `where`, ...), but not as references;
//! - `kind`, `withsource` and `with_source` can be referenced but not declared.
//! Any other keyword must be written in brackets (`['project']`) to be a name.

/// Every keyword of the query language, dashed and typed ones included.
const KEYWORDS: &[&str] = &[
    "3Dchart", "__contextual_datatable", "__crossCluster", "__crossDB", "__executeAndCache",
    "__id", "__isFuzzy", "__noWithSource", "__packedColumn", "__partitionby", "__projectAway",
    "__sourceColumnIndex", "access", "accumulate", "alias", "and", "anomalychart", "areachart", "as",
    "asc", "assert-schema", "bagexpansion", "barchart", "best_effort", "between", "bin",
    "bin_legacy", "bool", "boolean", "by", "byte", "cachingpolicy", "callout", "cancel", "card",
    "char", "columnchart", "commands-and-queries", "consume", "contains", "contains_cs",
    "containscs", "count", "cycles", "database", "dataexport", "dataformat", "datascope",
    "datatable", "date", "datetime", "datetime_pattern", "decimal", "declare", "decodeblocks",
    "default", "desc", "distinct", "double", "dynamic", "earliest", "edges", "encodingpolicy",
    "endswith", "endswith_cs", "entity_group", "evaluate", "expandoutput", "extend",
    "extent_tags_retention", "external_data", "externaldata", "facet", "filter", "find", "first",
    "flags", "float", "force_remote", "fork", "from", "getschema", "granny-asc", "granny-desc",
    "graph", "graph-mark-components", "graph-match", "graph-shortest-paths", "graph-to-table",
    "graph-where-edges", "graph-where-nodes", "guid", "harddelete", "hardretention", "has",
    "has_all", "has_any", "has_cs", "hasprefix", "hasprefix_cs", "hassuffix", "hassuffix_cs",
    "hint.concurrency", "hint.distribution", "hint.materialized", "hint.num_partitions",
    "hint.progressive_top", "hint.remote", "hint.shufflekey", "hint.spread", "hint.strategy",
    "hotcache", "id", "in", "in~", "inline_external_table", "int", "int16", "int32", "int64",
    "int8", "invoke", "isfuzzy", "join", "journal", "kind", "ladderchart", "last", "latest", "let",
    "like", "likecs", "limit", "linechart", "long", "lookup", "macro-expand", "make-graph",
    "make-series", "matches regex", "materialize", "materialized-view-combine",
    "materialized-views", "mdm", "missing", "mv-apply", "mv-expand", "mvapply", "mvexpand",
    "nodes", "nooptimization", "notcontains", "notcontainscs", "notlike", "notlikecs", "null",
    "nulls", "of", "on", "optional", "or", "order", "others", "output", "pack", "parse",
    "parse-kv", "parse-where", "partition", "partitioned-by", "pathformat", "pattern", "piechart",
    "pivotchart", "plotly", "print", "project", "project-away", "project-by-names", "project-keep",
    "project-rename", "project-reorder", "project-smart", "queries", "query_parameters",
    "query_results", "range", "real", "reduce", "regex", "relaxed", "render", "restrict",
    "restricted_view_access", "row_level_security", "rowstore", "rowstore_references",
    "rowstore_sealinfo", "rowstorepolicy", "rowstores", "sample", "sample-distinct", "scan",
    "scatterchart", "seal", "seals", "search", "serialize", "set", "set-or-append",
    "set-or-replace", "shards", "simple", "softdelete", "softretention", "sort", "sql",
    "stackedareachart", "startswith", "startswith_cs", "statistics", "step",
    "storedqueryresultcontainers", "string", "summarize", "tablepurge", "take", "time",
    "timechart", "timeline", "timepivot", "timespan", "title", "to", "top", "top-hitters",
    "top-nested", "toscalar", "totable", "treemap", "typeof", "uint", "uint16", "uint32",
    "uint64", "uint8", "ulong", "union", "uniqueid", "unrestrictedviewers", "uuid", "verbose",
    "view", "viewers", "views", "where", "with", "with_itemindex", "with_match_id",
    "with_node_id", "with_source", "with_step_name", "withsource", "writeaheadlog",
];

/// Keywords that are names wherever a name may stand.
const NAME_KEYWORDS: &[&str] = &[
    "__partitionby", "access", "alias", "best_effort", "bin", "bool", "consume", "count",
    "database", "dataformat", "datetime_pattern", "declare", "default", "distinct", "edges",
    "entity_group", "evaluate", "extend", "facet", "filter", "fork", "from", "getschema", "graph",
    "guid", "id", "inline_external_table", "join", "let", "limit", "lookup", "mvapply",
    "mvexpand", "nodes", "null", "nulls", "on", "optional", "order", "output", "pack", "parse",
    "partition", "pattern", "plotly", "query_parameters", "range", "reduce", "regex", "render",
    "restrict", "scan", "serialize", "sort", "step", "summarize", "take", "top", "typeof",
    "uuid", "view", "with", "with_node_id",
];

/// Keywords that are names only where a name is declared (left of `=`, schemas).
const DECLARABLE_KEYWORDS: &[&str] = &[
    "accumulate", "as", "by", "contains", "datatable", "earliest", "externaldata", "find", "has",
    "in", "invoke", "latest", "materialize", "mdm", "of", "print", "sample", "sample-distinct",
    "search", "set", "sql", "title", "to", "top-hitters", "top-nested", "toscalar", "totable",
    "verbose", "viewers", "where",
];

/// Keywords that can be referenced but not declared.
const REFERENCE_ONLY_KEYWORDS: &[&str] = &["kind", "withsource", "with_source"];

/// Operator parameter names every operator with parameters accepts.
pub const GLOBAL_PARAMETERS: &[&str] = &[
    "bagexpansion", "bin_legacy", "__crossCluster", "__crossDB", "decodeblocks", "expandoutput",
    "hint.concurrency", "hint.distribution", "hint.materialized", "hint.num_partitions",
    "hint.pass_filters", "hint.pass_filters_column", "hint.progressive_top", "hint.remote",
    "hint.shufflekey", "hint.spread", "hint.strategy", "__id", "isfuzzy", "__isFuzzy", "kind",
    "__noWithSource", "__packedColumn", "__sourceColumnIndex", "cycles", "with_match_id",
    "with_itemindex", "withsource", "with_source", "with_step_name", "force_remote",
];

/// Chart types `render` knows by name (any plain identifier is accepted too).
pub const CHART_TYPES: &[&str] = &[
    "table", "list", "barchart", "piechart", "ladderchart", "timechart", "linechart",
    "anomalychart", "pivotchart", "areachart", "stackedareachart", "scatterchart", "timepivot",
    "columnchart", "timeline", "3Dchart", "card", "treemap", "plotly", "graph", "sankey",
];

/// Scalar type names accepted in schemas and parameter declarations.
pub const TYPE_NAMES: &[&str] = &[
    "bool", "boolean", "date", "datetime", "decimal", "double", "dynamic", "guid", "int", "int64",
    "int8", "long", "real", "string", "time", "timespan", "uniqueid",
];

pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

pub fn is_name_keyword(word: &str) -> bool {
    NAME_KEYWORDS.contains(&word)
}

pub fn is_declarable_keyword(word: &str) -> bool {
    NAME_KEYWORDS.contains(&word) || DECLARABLE_KEYWORDS.contains(&word)
}

/// Whether `word` may be used, unbracketed, to refer to a column, table or variable.
pub fn can_reference(word: &str) -> bool {
    !is_keyword(word) || is_name_keyword(word) || REFERENCE_ONLY_KEYWORDS.contains(&word)
}

/// Whether `word` may be declared, unbracketed: a column on the left of `=`, a schema column.
pub fn can_declare(word: &str) -> bool {
    !is_keyword(word) || is_declarable_keyword(word)
}

/// Whether `word` may name a `let` variable, a function, or an `as` result.
pub fn can_name(word: &str) -> bool {
    !is_keyword(word) || is_name_keyword(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_nest_as_documented() {
        for w in NAME_KEYWORDS.iter().chain(DECLARABLE_KEYWORDS).chain(REFERENCE_ONLY_KEYWORDS) {
            assert!(is_keyword(w), "{w} should be a keyword");
        }
        assert!(can_reference("count") && can_declare("count"));
        assert!(can_reference("kind") && !can_declare("kind"));
        assert!(!can_reference("where") && can_declare("where"));
        assert!(!can_reference("project") && !can_declare("project"));
        assert!(can_reference("DeviceName") && can_declare("Type"));
    }
}

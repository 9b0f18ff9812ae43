//! Rules on top of the engine: Sentinel rule files and their validation, exclusions, rule
//! tests, hunting (rules run over telemetry into ATT&CK-mapped alerts), coverage, and import
//! of rule cards.

pub mod alert;
pub mod attack;
pub mod card;
pub mod coverage;
pub mod diagnostic;
pub mod embedded;
pub mod exclusion;
pub mod fixture;
pub mod hunt;
pub mod rule;
pub mod ruleset;
pub mod yaml;

pub use alert::{Alert, Entity};
pub use diagnostic::{Level, RuleDiagnostic};
pub use embedded::{EmbeddedQuery, QueryFieldError, find_query};
pub use exclusion::Exclusion;
pub use hunt::{HuntReport, hunt};
pub use rule::{Rule, Severity, load_rule};
pub use ruleset::{RuleSet, Source};

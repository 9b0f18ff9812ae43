//! A Sentinel rule (Scheduled, NRT) or hunting query, loaded and validated field by field.

use crate::attack;
use crate::diagnostic::RuleDiagnostic;
use crate::embedded::{EmbeddedQuery, find_query};
use crate::exclusion::{Exclusion, parse_exclusion};
use crate::yaml::{self, Repaired, TOP_LEVEL_KEYS};
use marked_yaml::Node;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};

const NANOS_PER_MINUTE: i64 = 60_000_000_000;
const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;
const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
}

impl Severity {
    pub const ALL: [Severity; 4] =
        [Severity::Informational, Severity::Low, Severity::Medium, Severity::High];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Informational => "Informational",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
        }
    }

    /// A severity by name, ignoring case.
    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.name().eq_ignore_ascii_case(text))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    Scheduled,
    Nrt,
    /// A hunting query: no schedule, no look-back beyond the query's own filters.
    Hunting,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerOperator {
    GreaterThan,
    LessThan,
    Equal,
    NotEqual,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trigger {
    pub operator: TriggerOperator,
    pub threshold: u64,
}

impl Trigger {
    /// Whether a result of `rows` rows raises alerts.
    pub fn fires(&self, rows: u64) -> bool {
        match self.operator {
            TriggerOperator::GreaterThan => rows > self.threshold,
            TriggerOperator::LessThan => rows < self.threshold,
            TriggerOperator::Equal => rows == self.threshold,
            TriggerOperator::NotEqual => rows != self.threshold,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grouping {
    AlertPerResult,
    SingleAlert,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connector {
    pub id: String,
    pub tables: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityMapping {
    pub entity_type: String,
    /// `(identifier, column)` pairs.
    pub fields: Vec<(String, String)>,
}

/// A loaded rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The file, as the user named it.
    pub file: String,
    pub id: String,
    pub name: String,
    pub description: String,
    pub severity: Severity,
    pub kind: RuleKind,
    pub query: EmbeddedQuery,
    pub connectors: Vec<Connector>,
    /// How far back the rule looks, in nanoseconds; `None` for hunting queries.
    pub query_period: Option<i64>,
    pub query_frequency: Option<i64>,
    pub trigger: Trigger,
    pub tactics: Vec<String>,
    pub techniques: Vec<String>,
    pub entity_mappings: Vec<EntityMapping>,
    pub custom_details: Vec<(String, String)>,
    pub grouping: Grouping,
    pub tags: Vec<String>,
    pub version: Option<String>,
    pub exclusions: Vec<Exclusion>,
}

/// A rule file's outcome: the rule when it has no error, and every diagnostic.
pub struct LoadedRule {
    pub rule: Option<Rule>,
    pub diagnostics: Vec<RuleDiagnostic>,
}

/// The identifiers each entity type allows (Sentinel's entity-mapping table).
pub const ENTITY_IDENTIFIERS: &[(&str, &[&str])] = &[
    (
        "Account",
        &[
            "Name",
            "FullName",
            "NTDomain",
            "DnsDomain",
            "UPNSuffix",
            "Sid",
            "AadTenantId",
            "AadUserId",
            "PUID",
            "IsDomainJoined",
            "DisplayName",
            "ObjectGuid",
        ],
    ),
    (
        "Host",
        &[
            "DnsDomain",
            "NTDomain",
            "HostName",
            "FullName",
            "NetBiosName",
            "AzureID",
            "OMSAgentID",
            "OSFamily",
            "OSVersion",
            "IsDomainJoined",
        ],
    ),
    ("IP", &["Address"]),
    ("URL", &["Url"]),
    ("DNS", &["DomainName"]),
    ("File", &["Directory", "Name"]),
    ("FileHash", &["Algorithm", "Value"]),
    ("Process", &["ProcessId", "CommandLine", "ElevationToken", "CreationTimeUtc"]),
    ("RegistryKey", &["Hive", "Key"]),
    ("RegistryValue", &["Name", "Value", "ValueType"]),
    ("CloudApplication", &["AppId", "Name", "InstanceName"]),
    ("AzureResource", &["ResourceId"]),
    ("SecurityGroup", &["DistinguishedName", "SID", "ObjectGuid"]),
    ("Malware", &["Name", "Category"]),
    (
        "Mailbox",
        &["MailboxPrimaryAddress", "DisplayName", "Upn", "ExternalDirectoryObjectId", "RiskLevel"],
    ),
    (
        "MailMessage",
        &[
            "Recipient",
            "Urls",
            "Threats",
            "Sender",
            "P1Sender",
            "P1SenderDisplayName",
            "P1SenderDomain",
            "SenderIP",
            "P2Sender",
            "P2SenderDisplayName",
            "P2SenderDomain",
            "ReceivedDate",
            "NetworkMessageId",
            "InternetMessageId",
            "Subject",
            "BodyFingerprintBin1",
            "BodyFingerprintBin2",
            "BodyFingerprintBin3",
            "BodyFingerprintBin4",
            "BodyFingerprintBin5",
            "AntispamDirection",
            "DeliveryAction",
            "DeliveryLocation",
            "Language",
            "ThreatDetectionMethods",
        ],
    ),
    (
        "MailCluster",
        &[
            "NetworkMessageIds",
            "CountByDeliveryStatus",
            "CountByThreatType",
            "CountByProtectionStatus",
            "Threats",
            "Query",
            "QueryTime",
            "MailCount",
            "IsVolumeAnomaly",
            "Source",
            "ClusterSourceIdentifier",
            "ClusterSourceType",
            "ClusterQueryStartTime",
            "ClusterQueryEndTime",
            "ClusterGroup",
        ],
    ),
    (
        "SubmissionMail",
        &[
            "NetworkMessageId",
            "Timestamp",
            "Recipient",
            "Sender",
            "SenderIp",
            "Subject",
            "ReportType",
            "SubmissionId",
            "SubmissionDate",
            "Submitter",
        ],
    ),
    (
        "IoTDevice",
        &[
            "DeviceId",
            "DeviceName",
            "Manufacturer",
            "Model",
            "FirmwareVersion",
            "OperatingSystem",
            "MacAddress",
            "Protocols",
            "SerialNumber",
            "Source",
            "IoTSecurityAgentId",
            "DeviceType",
        ],
    ),
];

/// Loads one rule file's text. `file` is how messages name it.
pub fn load_rule(file: &str, text: &str) -> LoadedRule {
    let repaired = yaml::repair(text);
    let mut cx = Cx { repaired: &repaired, diagnostics: repaired.warnings.clone() };
    let rule = match yaml::parse(&repaired) {
        Ok(Node::Mapping(map)) => cx.rule(file, &map),
        Ok(_) => {
            cx.error_at("a rule file must be a YAML mapping", (1, 1));
            None
        }
        Err(d) => {
            cx.diagnostics.push(d);
            None
        }
    };
    let has_error = cx.diagnostics.iter().any(RuleDiagnostic::is_error);
    let mut diagnostics = cx.diagnostics;
    diagnostics.sort_by_key(|d| (d.line, d.column));
    LoadedRule { rule: rule.filter(|_| !has_error), diagnostics }
}

struct Cx<'a> {
    repaired: &'a Repaired,
    diagnostics: Vec<RuleDiagnostic>,
}

impl Cx<'_> {
    fn at(&self, node: &Node) -> (u32, u32) {
        yaml::position(node.span(), self.repaired)
    }

    fn key_at(&self, key: &MarkedScalarNode) -> (u32, u32) {
        yaml::position(key.span(), self.repaired)
    }

    fn error_at(&mut self, message: impl Into<String>, (line, column): (u32, u32)) {
        self.diagnostics.push(RuleDiagnostic::error(message, line, column));
    }

    fn warn_at(&mut self, message: impl Into<String>, (line, column): (u32, u32)) {
        self.diagnostics.push(RuleDiagnostic::warning(message, line, column));
    }

    /// A scalar field's text, or an error when it is a list or mapping.
    fn scalar<'n>(&mut self, node: &'n Node, field: &str) -> Option<&'n str> {
        match node {
            Node::Scalar(s) => Some(s.as_str()),
            other => {
                self.error_at(format!("`{field}` must be a single value"), self.at(other));
                None
            }
        }
    }

    /// A list of scalars; a single scalar is accepted with a warning (`tactics: X`).
    fn string_list(&mut self, node: &Node, field: &str) -> Vec<(String, (u32, u32))> {
        match node {
            Node::Scalar(s) if s.as_str().is_empty() => Vec::new(),
            Node::Scalar(s) => {
                self.warn_at(
                    format!("`{field}` should be a list; read the single value as a list of one"),
                    self.at(node),
                );
                s.as_str()
                    .split(',')
                    .map(|v| (v.trim().to_string(), self.at(node)))
                    .filter(|(v, _)| !v.is_empty())
                    .collect()
            }
            Node::Sequence(items) => items
                .iter()
                .filter_map(|item| {
                    let at = self.at(item);
                    self.scalar(item, field).map(|s| (s.trim().to_string(), at))
                })
                .collect(),
            Node::Mapping(_) => {
                self.error_at(format!("`{field}` must be a list"), self.at(node));
                Vec::new()
            }
        }
    }

    fn rule(&mut self, file: &str, map: &MarkedMappingNode) -> Option<Rule> {
        self.unknown_keys(map);
        let top = (1, 1);

        let id = self.required_text(map, "id", top);
        if let Some((id, at)) = &id
            && !is_guid(id)
        {
            self.error_at(format!("`id` must be a GUID, found `{id}`"), *at);
        }
        let name = self.required_text(map, "name", top);
        if let Some((name, at)) = &name
            && name.chars().count() > 256
        {
            self.error_at("`name` is longer than 256 characters", *at);
        }
        let description = self.optional_text(map, "description").unwrap_or_default();
        if description.chars().count() > 5000 {
            self.warn_at("`description` is longer than 5000 characters", top);
        }

        let kind = self.kind(map);
        let severity = self.severity(map, kind);
        let connectors = self.connectors(map);
        let (query_frequency, query_period) = self.schedule(map, kind);
        let trigger = self.trigger(map);
        let tactics = self.tactics(map);
        let techniques = self.techniques(map);
        let entity_mappings = self.entity_mappings(map);
        let custom_details = self.custom_details(map);
        let grouping = self.grouping(map);
        let tags = self.tags(map);
        let version = self.optional_text(map, "version");
        let exclusions = self.exclusions(map, file);

        let query = match find_query(&self.repaired.text) {
            Ok(mut q) => {
                q.shift_columns(&self.repaired.shifts);
                Some(q)
            }
            Err(_) => {
                match map.get_node("query") {
                    Some(n) => self.error_at("`query` is empty", self.at(n)),
                    None => self.error_at("missing required field `query`", top),
                }
                None
            }
        };

        Some(Rule {
            file: file.to_string(),
            id: id?.0,
            name: name?.0,
            description,
            severity,
            kind,
            query: query?,
            connectors,
            query_period,
            query_frequency,
            trigger,
            tactics,
            techniques,
            entity_mappings,
            custom_details,
            grouping,
            tags,
            version,
            exclusions,
        })
    }

    fn unknown_keys(&mut self, map: &MarkedMappingNode) {
        for key in map.keys() {
            if TOP_LEVEL_KEYS.contains(&key.as_str()) {
                continue;
            }
            let hint =
                quarry_syntax::suggest::closest(key.as_str(), TOP_LEVEL_KEYS.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
            self.warn_at(
                format!("unknown field `{}` is ignored{hint}", key.as_str()),
                self.key_at(key),
            );
        }
    }

    fn required_text(
        &mut self,
        map: &MarkedMappingNode,
        field: &str,
        top: (u32, u32),
    ) -> Option<(String, (u32, u32))> {
        let Some(node) = map.get_node(field) else {
            self.error_at(format!("missing required field `{field}`"), top);
            return None;
        };
        let at = self.at(node);
        let text = self.scalar(node, field)?.trim().to_string();
        if text.is_empty() {
            self.error_at(format!("`{field}` is empty"), at);
            return None;
        }
        Some((text, at))
    }

    fn optional_text(&mut self, map: &MarkedMappingNode, field: &str) -> Option<String> {
        let node = map.get_node(field)?;
        self.scalar(node, field).map(|s| s.trim().to_string())
    }

    fn kind(&mut self, map: &MarkedMappingNode) -> RuleKind {
        if let Some(node) = map.get_node("kind") {
            let at = self.at(node);
            return match self.scalar(node, "kind") {
                Some(k) if k.eq_ignore_ascii_case("Scheduled") => RuleKind::Scheduled,
                Some(k) if k.eq_ignore_ascii_case("NRT") => RuleKind::Nrt,
                Some(k) => {
                    self.error_at(
                        format!("rule kind `{k}` is not supported yet: Quarry runs `Scheduled` and `NRT` rules"),
                        at,
                    );
                    RuleKind::Scheduled
                }
                None => RuleKind::Scheduled,
            };
        }
        let scheduled =
            ["severity", "queryFrequency", "queryPeriod", "triggerOperator", "triggerThreshold"]
                .iter()
                .any(|k| map.get_node(k).is_some());
        if scheduled { RuleKind::Scheduled } else { RuleKind::Hunting }
    }

    fn severity(&mut self, map: &MarkedMappingNode, kind: RuleKind) -> Severity {
        let Some(node) = map.get_node("severity") else {
            if kind != RuleKind::Hunting {
                self.warn_at("no `severity`: alerts get `Medium`", (1, 1));
            }
            return Severity::Medium;
        };
        let at = self.at(node);
        match self.scalar(node, "severity") {
            Some(text) => Severity::parse(text.trim()).unwrap_or_else(|| {
                self.error_at(
                    format!(
                        "`severity` must be Informational, Low, Medium or High, found `{text}`"
                    ),
                    at,
                );
                Severity::Medium
            }),
            None => Severity::Medium,
        }
    }

    fn connectors(&mut self, map: &MarkedMappingNode) -> Vec<Connector> {
        let mut connectors = Vec::new();
        let Some(node) = map.get_node("requiredDataConnectors") else {
            return connectors;
        };
        let items: &[Node] = match node {
            Node::Sequence(s) => s,
            Node::Scalar(s) if s.as_str().is_empty() => &[],
            other => {
                self.error_at("`requiredDataConnectors` must be a list", self.at(other));
                &[]
            }
        };
        for item in items {
            let Node::Mapping(m) = item else {
                self.error_at(
                    "each required data connector must have `connectorId` and `dataTypes`",
                    self.at(item),
                );
                continue;
            };
            let id = m
                .get_node("connectorId")
                .and_then(|n| self.scalar(n, "connectorId"))
                .map(str::to_string);
            let Some(id) = id else {
                self.error_at("a required data connector has no `connectorId`", self.at(item));
                continue;
            };
            let tables = match m.get_node("dataTypes").or_else(|| m.get_node("datatypes")) {
                Some(n) => self.string_list(n, "dataTypes").into_iter().map(|(t, _)| t).collect(),
                None => Vec::new(),
            };
            connectors.push(Connector { id, tables });
        }
        // `dataTypes` at the top level, as the seed card writes it: it belongs to the connector.
        if let Some(node) = map.get_node("dataTypes") {
            let tables: Vec<String> =
                self.string_list(node, "dataTypes").into_iter().map(|(t, _)| t).collect();
            if let Some(last) = connectors.last_mut().filter(|c| c.tables.is_empty()) {
                last.tables = tables;
                self.warn_at(
                    format!(
                        "repaired: top-level `dataTypes` read as the tables of connector `{}`",
                        last.id
                    ),
                    self.at(node),
                );
            }
        }
        connectors
    }

    fn duration(&mut self, map: &MarkedMappingNode, field: &str) -> Option<(i64, (u32, u32))> {
        let node = map.get_node(field)?;
        let at = self.at(node);
        let text = self.scalar(node, field)?;
        match parse_duration(text) {
            Some(d) => Some((d, at)),
            None => {
                self.error_at(
                    format!("`{field}` must be a duration such as 5m, 1h, 1d, 01:00:00 or PT1H, found `{text}`"),
                    at,
                );
                None
            }
        }
    }

    fn schedule(&mut self, map: &MarkedMappingNode, kind: RuleKind) -> (Option<i64>, Option<i64>) {
        let frequency = self.duration(map, "queryFrequency");
        let period = self.duration(map, "queryPeriod");
        let min = 5 * NANOS_PER_MINUTE;
        let max = 14 * NANOS_PER_DAY;
        for (field, value) in [("queryFrequency", frequency), ("queryPeriod", period)] {
            if let Some((d, at)) = value
                && !(min..=max).contains(&d)
            {
                self.error_at(format!("`{field}` must be between 5 minutes and 14 days"), at);
            }
        }
        if let (Some((f, _)), Some((p, at))) = (frequency, period) {
            if p < f {
                self.error_at("`queryPeriod` must not be shorter than `queryFrequency`", at);
            }
            if p >= 2 * NANOS_PER_DAY && f < NANOS_PER_HOUR {
                self.error_at(
                    "a `queryPeriod` of 2 days or more needs a `queryFrequency` of at least 1 hour",
                    at,
                );
            }
        }
        let period = match (kind, period) {
            (RuleKind::Hunting, p) => p.map(|(d, _)| d),
            (RuleKind::Nrt, _) => None,
            (RuleKind::Scheduled, Some((d, _))) => Some(d),
            (RuleKind::Scheduled, None) => Some(NANOS_PER_DAY),
        };
        (frequency.map(|(d, _)| d), period)
    }

    fn trigger(&mut self, map: &MarkedMappingNode) -> Trigger {
        let mut trigger = Trigger { operator: TriggerOperator::GreaterThan, threshold: 0 };
        if let Some(node) = map.get_node("triggerOperator") {
            let at = self.at(node);
            if let Some(text) = self.scalar(node, "triggerOperator") {
                trigger.operator = match text.to_ascii_lowercase().as_str() {
                    "gt" | "greaterthan" => TriggerOperator::GreaterThan,
                    "lt" | "lessthan" => TriggerOperator::LessThan,
                    "eq" | "equal" => TriggerOperator::Equal,
                    "ne" | "notequal" => TriggerOperator::NotEqual,
                    _ => {
                        self.error_at(
                            format!("`triggerOperator` must be gt, lt, eq or ne, found `{text}`"),
                            at,
                        );
                        TriggerOperator::GreaterThan
                    }
                };
            }
        }
        if let Some(node) = map.get_node("triggerThreshold") {
            let at = self.at(node);
            match node.as_scalar().and_then(|s| s.as_str().trim().parse::<u64>().ok()) {
                Some(t) if t <= 10_000 => trigger.threshold = t,
                _ => self.error_at("`triggerThreshold` must be a whole number from 0 to 10000", at),
            }
        }
        trigger
    }

    fn tactics(&mut self, map: &MarkedMappingNode) -> Vec<String> {
        let Some(node) = map.get_node("tactics") else {
            return Vec::new();
        };
        let mut tactics = Vec::new();
        for (name, at) in self.string_list(node, "tactics") {
            if attack::tactic(&name).is_some() {
                tactics.push(name);
            } else if let Some(t) = attack::tactic_like(&name) {
                self.warn_at(
                    format!("tactic `{name}` is spelt `{}` in Sentinel; read it so", t.sentinel),
                    at,
                );
                tactics.push(t.sentinel.to_string());
            } else {
                self.error_at(format!("unknown tactic `{name}`"), at);
            }
        }
        tactics
    }

    fn techniques(&mut self, map: &MarkedMappingNode) -> Vec<String> {
        let Some(node) = map.get_node("relevantTechniques") else {
            return Vec::new();
        };
        let mut techniques = Vec::new();
        for (id, at) in self.string_list(node, "relevantTechniques") {
            if !attack::is_technique_id(&id) {
                self.error_at(
                    format!("`{id}` is not an ATT&CK technique id (T1234 or T1234.001)"),
                    at,
                );
                continue;
            }
            if attack::technique(&id).is_none() {
                self.warn_at(format!("technique {id} is not in the bundled ATT&CK table: alerts show it without a name"), at);
            }
            techniques.push(id);
        }
        techniques
    }

    fn entity_mappings(&mut self, map: &MarkedMappingNode) -> Vec<EntityMapping> {
        let Some(node) = map.get_node("entityMappings") else {
            return Vec::new();
        };
        let Node::Sequence(items) = node else {
            self.error_at("`entityMappings` must be a list", self.at(node));
            return Vec::new();
        };
        if items.len() > 10 {
            self.error_at("a rule can map at most 10 entities", self.at(node));
        }
        let mut mappings = Vec::new();
        for item in items.iter() {
            let Node::Mapping(m) = item else {
                self.error_at(
                    "an entity mapping needs `entityType` and `fieldMappings`",
                    self.at(item),
                );
                continue;
            };
            let Some(ty_node) = m.get_node("entityType") else {
                self.error_at("an entity mapping has no `entityType`", self.at(item));
                continue;
            };
            let ty_at = self.at(ty_node);
            let Some(ty) = self.scalar(ty_node, "entityType").map(str::to_string) else { continue };
            let allowed = ENTITY_IDENTIFIERS.iter().find(|(t, _)| *t == ty).map(|(_, ids)| *ids);
            if allowed.is_none() {
                let hint = quarry_syntax::suggest::closest(
                    &ty,
                    ENTITY_IDENTIFIERS.iter().map(|(t, _)| *t),
                )
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
                self.error_at(format!("unknown entity type `{ty}`{hint}"), ty_at);
            }
            let mut fields = Vec::new();
            match m.get_node("fieldMappings") {
                Some(Node::Sequence(fms)) => {
                    if fms.is_empty() || fms.len() > 3 {
                        self.error_at(
                            "an entity mapping needs 1 to 3 `fieldMappings`",
                            self.at(item),
                        );
                    }
                    for fm in fms.iter() {
                        if let Some(pair) = self.field_mapping(fm, &ty, allowed) {
                            if fields.iter().any(|(i, _): &(String, String)| *i == pair.0) {
                                self.error_at(
                                    format!("identifier `{}` is mapped twice", pair.0),
                                    self.at(fm),
                                );
                            }
                            fields.push(pair);
                        }
                    }
                }
                _ => self
                    .error_at("an entity mapping needs a list of `fieldMappings`", self.at(item)),
            }
            mappings.push(EntityMapping { entity_type: ty, fields });
        }
        mappings
    }

    fn field_mapping(
        &mut self,
        node: &Node,
        ty: &str,
        allowed: Option<&[&str]>,
    ) -> Option<(String, String)> {
        let Node::Mapping(m) = node else {
            self.error_at("a field mapping needs `identifier` and `columnName`", self.at(node));
            return None;
        };
        for key in m.keys() {
            if !["identifier", "columnName"].contains(&key.as_str()) {
                let hint =
                    quarry_syntax::suggest::closest(key.as_str(), ["identifier", "columnName"])
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                self.error_at(
                    format!("unknown field `{}` in a field mapping{hint}", key.as_str()),
                    self.key_at(key),
                );
            }
        }
        let identifier =
            m.get_node("identifier").and_then(|n| self.scalar(n, "identifier"))?.to_string();
        let id_at = m.get_node("identifier").map(|n| self.at(n)).unwrap_or((1, 1));
        if let Some(allowed) = allowed
            && !allowed.contains(&identifier.as_str())
        {
            self.error_at(
                format!("`{identifier}` is not an identifier of entity type {ty}"),
                id_at,
            );
        }
        let Some(col_node) = m.get_node("columnName") else {
            self.error_at("a field mapping has no `columnName`", self.at(node));
            return None;
        };
        let col_at = self.at(col_node);
        let column = self.scalar(col_node, "columnName")?.to_string();
        if !is_column_name(&column) {
            self.error_at(format!("`{column}` is not a column name"), col_at);
        }
        Some((identifier, column))
    }

    fn custom_details(&mut self, map: &MarkedMappingNode) -> Vec<(String, String)> {
        let Some(node) = map.get_node("customDetails") else {
            return Vec::new();
        };
        let Node::Mapping(m) = node else {
            if !matches!(node, Node::Scalar(s) if s.as_str().is_empty()) {
                self.error_at("`customDetails` must map names to columns", self.at(node));
            }
            return Vec::new();
        };
        if m.len() > 20 {
            self.error_at("a rule can have at most 20 custom details", self.at(node));
        }
        let mut details = Vec::new();
        for (key, value) in m.iter() {
            let name = key.as_str();
            let key_ok = name.len() <= 20
                && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !key_ok {
                self.error_at(
                    format!("custom detail name `{name}` must be letters, digits and `_`, start with a letter, and be at most 20 long"),
                    self.key_at(key),
                );
            }
            let at = self.at(value);
            let Some(column) = self.scalar(value, "customDetails") else { continue };
            if !is_column_name(column) {
                self.error_at(format!("`{column}` is not a column name"), at);
            }
            details.push((name.to_string(), column.to_string()));
        }
        details
    }

    fn grouping(&mut self, map: &MarkedMappingNode) -> Grouping {
        let Some(Node::Mapping(m)) = map.get_node("eventGroupingSettings") else {
            return Grouping::AlertPerResult;
        };
        let Some(node) = m.get_node("aggregationKind") else {
            return Grouping::AlertPerResult;
        };
        let at = self.at(node);
        match self.scalar(node, "aggregationKind") {
            Some("SingleAlert") => Grouping::SingleAlert,
            Some("AlertPerResult") => Grouping::AlertPerResult,
            Some(other) => {
                self.error_at(
                    format!(
                        "`aggregationKind` must be SingleAlert or AlertPerResult, found `{other}`"
                    ),
                    at,
                );
                Grouping::AlertPerResult
            }
            None => Grouping::AlertPerResult,
        }
    }

    fn tags(&mut self, map: &MarkedMappingNode) -> Vec<String> {
        let Some(node) = map.get_node("tags") else {
            return Vec::new();
        };
        match node {
            // ASIM rules tag with `{Schema: ..., SchemaVersion: ...}` maps: keep their values.
            Node::Sequence(items) => items
                .iter()
                .flat_map(|item| match item {
                    Node::Scalar(s) => vec![s.as_str().to_string()],
                    Node::Mapping(m) => m
                        .values()
                        .filter_map(|v| v.as_scalar())
                        .map(|s| s.as_str().to_string())
                        .collect(),
                    Node::Sequence(_) => Vec::new(),
                })
                .collect(),
            _ => self.string_list(node, "tags").into_iter().map(|(t, _)| t).collect(),
        }
    }

    fn exclusions(&mut self, map: &MarkedMappingNode, file: &str) -> Vec<Exclusion> {
        let Some(node) = map.get_node("exclusions") else {
            return Vec::new();
        };
        let Node::Sequence(items) = node else {
            self.error_at("`exclusions` must be a list", self.at(node));
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match parse_exclusion(item, file, self.repaired, false) {
                Ok((exclusion, _target)) => out.push(exclusion),
                Err(d) => self.diagnostics.push(d),
            }
        }
        out
    }
}

/// Whether `text` is a GUID: 8-4-4-4-12 hexadecimal digits.
pub fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_column_name(text: &str) -> bool {
    text.len() <= 500
        && text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A rule duration: `5m`, `1h`, `1d` (and other KQL timespan literals), .NET TimeSpan text
/// (`01:00:00`, `1.00:00:00`), or ISO 8601 (`PT1H`, `P1D`).
pub fn parse_duration(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(iso) = t.strip_prefix('P').or_else(|| t.strip_prefix('p')) {
        return parse_iso_duration(iso);
    }
    quarry_functions::time::parse_timespan(t).filter(|d| *d >= 0 && t.parse::<f64>().is_err())
}

fn parse_iso_duration(rest: &str) -> Option<i64> {
    let mut total = 0i64;
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    for c in rest.chars() {
        match c {
            'T' | 't' => in_time = true,
            '0'..='9' | '.' => number.push(c),
            unit => {
                let value: f64 = number.parse().ok()?;
                number.clear();
                let per = match (unit.to_ascii_uppercase(), in_time) {
                    ('W', false) => 7 * NANOS_PER_DAY,
                    ('D', false) => NANOS_PER_DAY,
                    ('H', true) => NANOS_PER_HOUR,
                    ('M', true) => NANOS_PER_MINUTE,
                    ('S', true) => 1_000_000_000,
                    _ => return None,
                };
                total += (value * per as f64).round() as i64;
                any = true;
            }
        }
    }
    (any && number.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (text, want) in [
            ("5m", Some(5 * NANOS_PER_MINUTE)),
            ("1h", Some(NANOS_PER_HOUR)),
            ("14d", Some(14 * NANOS_PER_DAY)),
            ("01:00:00", Some(NANOS_PER_HOUR)),
            ("1.00:00:00", Some(NANOS_PER_DAY)),
            ("PT1H", Some(NANOS_PER_HOUR)),
            ("P1D", Some(NANOS_PER_DAY)),
            ("P1DT12H", Some(NANOS_PER_DAY + 12 * NANOS_PER_HOUR)),
            ("PT5M", Some(5 * NANOS_PER_MINUTE)),
            ("5", None),
            ("soon", None),
            ("P1H", None),
        ] {
            assert_eq!(parse_duration(text), want, "{text}");
        }
    }

    #[test]
    fn guids() {
        assert!(is_guid("774bb5a8-c93b-4fa1-8ebf-4053b99622ed"));
        assert!(!is_guid("774bb5a8-c93b-4fa1-8ebf-4053b99622e"));
        assert!(!is_guid("rule-1"));
    }
}

//! The bundled catalog: the schemas of Defender advanced-hunting and Sentinel tables, shipped
//! as data inside the binary (`catalog/tables.tsv`, made by `scripts/gen-catalog.py`).

use quarry_functions::KqlType;
use quarry_plan::ColumnDef;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const TABLES: &str = include_str!("../catalog/tables.tsv");

/// Every bundled table's columns, by table name.
pub fn tables() -> &'static BTreeMap<String, Vec<ColumnDef>> {
    static PARSED: OnceLock<BTreeMap<String, Vec<ColumnDef>>> = OnceLock::new();
    PARSED.get_or_init(|| {
        TABLES
            .lines()
            .filter_map(|line| {
                let (table, columns) = line.split_once('\t')?;
                let columns = columns
                    .split(',')
                    .filter_map(|c| {
                        let (name, ty) = c.split_once(':')?;
                        Some(ColumnDef::new(name, KqlType::from_name(ty)?))
                    })
                    .collect();
                Some((table.to_string(), columns))
            })
            .collect()
    })
}

/// The columns of a bundled table.
pub fn schema(table: &str) -> Option<&'static [ColumnDef]> {
    tables().get(table).map(Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defender_and_sentinel_tables_are_there_with_types() {
        let t = tables();
        assert!(t.len() > 100, "{} tables", t.len());
        let network = schema("DeviceNetworkEvents").unwrap();
        let find = |n: &str| network.iter().find(|c| c.name == n).map(|c| c.ty);
        assert_eq!(find("Timestamp"), Some(KqlType::DateTime));
        assert_eq!(find("RemotePort"), Some(KqlType::Int));
        assert_eq!(find("TimeGenerated"), Some(KqlType::DateTime));
        assert_eq!(find("RemoteUrl"), Some(KqlType::String));
        assert!(schema("SigninLogs").is_some());
        // Every line parsed completely: no column lost to an unknown type.
        for line in TABLES.lines() {
            let (name, columns) = line.split_once('\t').unwrap();
            assert_eq!(schema(name).unwrap().len(), columns.split(',').count(), "{name}");
        }
    }
}

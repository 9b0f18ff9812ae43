//! KQL's scalar types, and how each is held in Arrow.
//!
//! Arrow has no guid or dynamic type, and KQL's types differ from Arrow's in ways that matter
//! (a KQL `string` is never null; a `timespan` is not an interval), so the binder tracks the
//! KQL type of every column itself; this module fixes the Arrow representation of each.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KqlType {
    Bool,
    Int,
    Long,
    Real,
    Decimal,
    String,
    DateTime,
    TimeSpan,
    Guid,
    Dynamic,
}

/// Decimal values are held with this precision and scale.
pub const DECIMAL_PRECISION: u8 = 38;
pub const DECIMAL_SCALE: i8 = 18;

impl KqlType {
    pub const ALL: [KqlType; 10] = [
        KqlType::Bool,
        KqlType::Int,
        KqlType::Long,
        KqlType::Real,
        KqlType::Decimal,
        KqlType::String,
        KqlType::DateTime,
        KqlType::TimeSpan,
        KqlType::Guid,
        KqlType::Dynamic,
    ];

    /// The type's name in KQL.
    pub fn name(self) -> &'static str {
        match self {
            KqlType::Bool => "bool",
            KqlType::Int => "int",
            KqlType::Long => "long",
            KqlType::Real => "real",
            KqlType::Decimal => "decimal",
            KqlType::String => "string",
            KqlType::DateTime => "datetime",
            KqlType::TimeSpan => "timespan",
            KqlType::Guid => "guid",
            KqlType::Dynamic => "dynamic",
        }
    }

    /// The type a name denotes in KQL, synonyms included (`double`, `boolean`, `date`, ...).
    pub fn from_name(name: &str) -> Option<KqlType> {
        Some(match name {
            "bool" | "boolean" => KqlType::Bool,
            "int" | "int32" | "int8" | "int16" | "uint8" | "uint16" | "byte" => KqlType::Int,
            "long" | "int64" | "uint32" | "uint" | "uint64" | "ulong" => KqlType::Long,
            "real" | "double" | "float" => KqlType::Real,
            "decimal" => KqlType::Decimal,
            "string" => KqlType::String,
            "datetime" | "date" => KqlType::DateTime,
            "timespan" | "time" => KqlType::TimeSpan,
            "guid" | "uuid" | "uniqueid" => KqlType::Guid,
            "dynamic" => KqlType::Dynamic,
            _ => return None,
        })
    }

    /// The Arrow type that holds values of this KQL type.
    pub fn arrow(self) -> DataType {
        match self {
            KqlType::Bool => DataType::Boolean,
            KqlType::Int => DataType::Int32,
            KqlType::Long => DataType::Int64,
            KqlType::Real => DataType::Float64,
            KqlType::Decimal => DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
            KqlType::String | KqlType::Guid | KqlType::Dynamic => DataType::Utf8,
            KqlType::DateTime => DataType::Timestamp(TimeUnit::Nanosecond, None),
            KqlType::TimeSpan => DataType::Duration(TimeUnit::Nanosecond),
        }
    }

    /// The KQL type for data that arrives as `data_type` (a file's own schema).
    pub fn from_arrow(data_type: &DataType) -> KqlType {
        match data_type {
            DataType::Boolean => KqlType::Bool,
            DataType::Int8 | DataType::Int16 | DataType::Int32 => KqlType::Int,
            DataType::UInt8 | DataType::UInt16 => KqlType::Int,
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => KqlType::Long,
            DataType::Float16 | DataType::Float32 | DataType::Float64 => KqlType::Real,
            DataType::Decimal32(..)
            | DataType::Decimal64(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..) => KqlType::Decimal,
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => KqlType::DateTime,
            DataType::Duration(_) | DataType::Time32(_) | DataType::Time64(_) => KqlType::TimeSpan,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => KqlType::String,
            _ => KqlType::Dynamic,
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal)
    }

    pub fn is_integer(self) -> bool {
        matches!(self, KqlType::Int | KqlType::Long)
    }

    /// Whether values of this type are held as text in Arrow.
    pub fn is_text(self) -> bool {
        matches!(self, KqlType::String | KqlType::Guid | KqlType::Dynamic)
    }

    /// The common type of two numeric types under KQL's promotion rules: decimal wins over
    /// real, real over long, long over int.
    pub fn numeric_join(a: KqlType, b: KqlType) -> Option<KqlType> {
        use KqlType::*;
        if !a.is_numeric() || !b.is_numeric() {
            return None;
        }
        Some(match (a, b) {
            (Decimal, _) | (_, Decimal) => Decimal,
            (Real, _) | (_, Real) => Real,
            (Long, _) | (_, Long) => Long,
            _ => Int,
        })
    }
}

impl fmt::Display for KqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Ticks of 100 ns in one nanosecond-based unit: KQL counts time in ticks, Arrow here in ns.
pub const NANOS_PER_TICK: i64 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_synonyms_resolve() {
        for t in KqlType::ALL {
            assert_eq!(KqlType::from_name(t.name()), Some(t));
        }
        assert_eq!(KqlType::from_name("double"), Some(KqlType::Real));
        assert_eq!(KqlType::from_name("boolean"), Some(KqlType::Bool));
        assert_eq!(KqlType::from_name("text"), None);
    }

    #[test]
    fn promotion() {
        use KqlType::*;
        assert_eq!(KqlType::numeric_join(Int, Long), Some(Long));
        assert_eq!(KqlType::numeric_join(Long, Real), Some(Real));
        assert_eq!(KqlType::numeric_join(String, Real), None);
    }
}

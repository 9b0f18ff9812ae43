//! `convert_length`, `convert_mass`, `convert_speed`, `convert_volume`, `convert_temperature`,
//! `convert_energy`, `convert_force`, `convert_angle`: a value from one unit to another, each
//! unit a factor to the SI unit of its quantity. An unknown unit gives null.

use crate::udf::{self, reals, strings};
use datafusion::arrow::array::ArrayRef;
use datafusion::error::Result;

const LENGTH: &[(&str, f64)] = &[
    ("Meter", 1.0),
    ("Angstrom", 1e-10),
    ("Nanometer", 1e-9),
    ("Micrometer", 1e-6),
    ("Millimeter", 1e-3),
    ("Centimeter", 1e-2),
    ("Decimeter", 0.1),
    ("Decameter", 10.0),
    ("Hectometer", 100.0),
    ("Kilometer", 1000.0),
    ("Microinch", 2.54e-8),
    ("Mil", 2.54e-5),
    ("Inch", 0.0254),
    ("Hand", 0.1016),
    ("Foot", 0.3048),
    ("UsSurveyFoot", 1200.0 / 3937.0),
    ("Yard", 0.9144),
    ("Fathom", 1.8288),
    ("Chain", 20.1168),
    ("Shackle", 27.432),
    ("Mile", 1609.344),
    ("NauticalMile", 1852.0),
    ("DataMile", 1828.8),
    ("Twip", 0.0254 / 1440.0),
    ("PrinterPoint", 0.0254 / 72.27),
    ("PrinterPica", 0.0254 / 6.0225),
    ("DtpPoint", 0.0254 / 72.0),
    ("DtpPica", 0.0254 / 6.0),
    ("AstronomicalUnit", 1.495978707e11),
    ("LightYear", 9.46073047258e15),
    ("KilolightYear", 9.46073047258e18),
    ("MegalightYear", 9.46073047258e21),
    ("Parsec", 3.08567758128e16),
    ("Kiloparsec", 3.08567758128e19),
    ("Megaparsec", 3.08567758128e22),
    ("SolarRadius", 6.95510e8),
];

const MASS: &[(&str, f64)] = &[
    ("Kilogram", 1.0),
    ("Nanogram", 1e-12),
    ("Microgram", 1e-9),
    ("Milligram", 1e-6),
    ("Centigram", 1e-5),
    ("Decigram", 1e-4),
    ("Gram", 1e-3),
    ("Decagram", 1e-2),
    ("Hectogram", 0.1),
    ("Tonne", 1000.0),
    ("Kilotonne", 1e6),
    ("Megatonne", 1e9),
    ("Grain", 6.479891e-5),
    ("Ounce", 0.028349523125),
    ("Pound", 0.45359237),
    ("Kilopound", 453.59237),
    ("Megapound", 453_592.37),
    ("Stone", 6.35029318),
    ("Slug", 14.593902937206364),
    ("ShortHundredweight", 45.359237),
    ("LongHundredweight", 50.80234544),
    ("ShortTon", 907.18474),
    ("LongTon", 1016.0469088),
    ("EarthMass", 5.9722e24),
    ("SolarMass", 1.98947e30),
];

const SPEED: &[(&str, f64)] = &[
    ("MeterPerSecond", 1.0),
    ("MeterPerMinute", 1.0 / 60.0),
    ("MeterPerHour", 1.0 / 3600.0),
    ("CentimeterPerSecond", 1e-2),
    ("CentimeterPerMinute", 1e-2 / 60.0),
    ("CentimeterPerHour", 1e-2 / 3600.0),
    ("MillimeterPerSecond", 1e-3),
    ("MillimeterPerMinute", 1e-3 / 60.0),
    ("MillimeterPerHour", 1e-3 / 3600.0),
    ("MicrometerPerSecond", 1e-6),
    ("NanometerPerSecond", 1e-9),
    ("DecimeterPerSecond", 0.1),
    ("KilometerPerSecond", 1000.0),
    ("KilometerPerMinute", 1000.0 / 60.0),
    ("KilometerPerHour", 1000.0 / 3600.0),
    ("InchPerSecond", 0.0254),
    ("InchPerMinute", 0.0254 / 60.0),
    ("InchPerHour", 0.0254 / 3600.0),
    ("FootPerSecond", 0.3048),
    ("FootPerMinute", 0.3048 / 60.0),
    ("FootPerHour", 0.3048 / 3600.0),
    ("YardPerSecond", 0.9144),
    ("YardPerMinute", 0.9144 / 60.0),
    ("YardPerHour", 0.9144 / 3600.0),
    ("MilePerHour", 1609.344 / 3600.0),
    ("Knot", 1852.0 / 3600.0),
    ("UsSurveyFootPerSecond", 1200.0 / 3937.0),
];

const VOLUME: &[(&str, f64)] = &[
    ("CubicMeter", 1.0),
    ("CubicMillimeter", 1e-9),
    ("CubicCentimeter", 1e-6),
    ("CubicDecimeter", 1e-3),
    ("CubicKilometer", 1e9),
    ("Milliliter", 1e-6),
    ("Centiliter", 1e-5),
    ("Deciliter", 1e-4),
    ("Liter", 1e-3),
    ("Decaliter", 1e-2),
    ("Hectoliter", 0.1),
    ("Kiloliter", 1.0),
    ("Megaliter", 1000.0),
    ("CubicInch", 1.6387064e-5),
    ("CubicFoot", 0.028316846592),
    ("CubicYard", 0.764554857984),
    ("CubicMile", 4_168_181_825.440_579_6),
    ("AcreFoot", 1233.48183754752),
    ("UsGallon", 0.003785411784),
    ("UsQuart", 0.000946352946),
    ("UsPint", 0.000473176473),
    ("UsCustomaryCup", 0.0002365882365),
    ("UsOunce", 2.95735295625e-5),
    ("UsTablespoon", 1.478676478125e-5),
    ("UsTeaspoon", 4.92892159375e-6),
    ("UsBeerBarrel", 0.117347765304),
    ("OilBarrel", 0.158987294928),
    ("ImperialGallon", 0.00454609),
    ("ImperialQuart", 0.0011365225),
    ("ImperialPint", 0.00056826125),
    ("ImperialOunce", 2.84130625e-5),
    ("ImperialBeerBarrel", 0.16365924),
];

fn factor(table: &[(&str, f64)], unit: &str) -> Option<f64> {
    table.iter().find(|(n, _)| n.eq_ignore_ascii_case(unit)).map(|(_, f)| *f)
}

/// A value converted between two units of a table; null for an unknown unit.
fn convert(a: &[ArrayRef], rows: usize, table: &[(&str, f64)]) -> Result<ArrayRef> {
    let values = reals(&a[0])?;
    let (from, to) = (strings(&a[1])?, strings(&a[2])?);
    Ok(udf::real_array((0..rows).map(|i| {
        let v = values[i]?;
        Some(v * factor(table, from[i])? / factor(table, to[i])?)
    })))
}

pub fn convert_length(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    convert(a, rows, LENGTH)
}

pub fn convert_mass(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    convert(a, rows, MASS)
}

pub fn convert_speed(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    convert(a, rows, SPEED)
}

pub fn convert_volume(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    convert(a, rows, VOLUME)
}

/// Temperatures do not scale: each unit converts through kelvins.
pub fn convert_temperature(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    fn to_kelvin(v: f64, unit: &str) -> Option<f64> {
        Some(match unit.to_ascii_lowercase().as_str() {
            "kelvin" => v,
            "degreecelsius" => v + 273.15,
            "degreefahrenheit" => (v + 459.67) * 5.0 / 9.0,
            "degreerankine" => v * 5.0 / 9.0,
            _ => return None,
        })
    }
    fn from_kelvin(k: f64, unit: &str) -> Option<f64> {
        Some(match unit.to_ascii_lowercase().as_str() {
            "kelvin" => k,
            "degreecelsius" => k - 273.15,
            "degreefahrenheit" => k * 9.0 / 5.0 - 459.67,
            "degreerankine" => k * 9.0 / 5.0,
            _ => return None,
        })
    }
    let values = reals(&a[0])?;
    let (from, to) = (strings(&a[1])?, strings(&a[2])?);
    Ok(udf::real_array((0..rows).map(|i| from_kelvin(to_kelvin(values[i]?, from[i])?, to[i]))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_convert_both_ways() {
        let f = |t, a, b| 1.2 * factor(t, a).unwrap() / factor(t, b).unwrap();
        assert!((f(LENGTH, "Meter", "Foot") - 3.937_007_874_015_75).abs() < 1e-12);
        assert!((f(MASS, "Kilogram", "Pound") - 2.645_547_146_218_53).abs() < 1e-12);
        assert!((f(SPEED, "MeterPerSecond", "CentimeterPerHour") - 432_000.0).abs() < 1e-6);
        // An acre-foot is 43,560 cubic feet.
        assert!((f(VOLUME, "AcreFoot", "CubicFoot") - 1.2 * 43_560.0).abs() < 1e-9);
        assert_eq!(factor(LENGTH, "Furlong"), None);
    }
}

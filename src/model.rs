//! The domain's shared types, at the bottom of the house: the villages of
//! the district, the data-point matrix (one value per village and data
//! point, with why a data point is unavailable), and an indicator's raw
//! values with each cell's status. Every stage from data points up reads
//! and writes these; this module imports none of them.

use std::collections::BTreeMap;

use crate::period::Quarter;

/// A village of the district, as read from `villages`.
#[derive(Debug, Clone, PartialEq)]
pub struct Village {
    pub code: String,
    pub name: String,
    pub township_code: String,
    pub township_name: String,
    pub population: i64,
    pub households: i64,
    pub unit_type: String,
}

/// Digits of a village code that name its county (province 2, city 2,
/// county 2).
pub const COUNTY_DIGITS: usize = 6;

impl Village {
    /// The county: the first [`COUNTY_DIGITS`] digits of the code.
    pub fn county_code(&self) -> &str {
        self.code.get(..COUNTY_DIGITS).unwrap_or(&self.code)
    }
}

/// Whether `villages` span more than one county (then the outputs carry a
/// county level).
pub fn several_counties(villages: &[Village]) -> bool {
    villages
        .first()
        .is_some_and(|f| villages.iter().any(|v| v.county_code() != f.county_code()))
}

/// Why a data point has no value for any village this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Available,
    /// A table it reads is absent from the data.
    SourceAbsent(String),
    /// A source it reads has no events in some quarter of its window (the
    /// extract starts later or ends earlier): counting there would be a
    /// silent zero.
    NotCovered(String),
}

/// The data-point matrix: one value per village (in `villages` order) per
/// data point.
#[derive(Debug, Clone)]
pub struct DataPointTable {
    pub quarter: Quarter,
    pub villages: Vec<Village>,
    pub values: BTreeMap<String, Vec<Option<f64>>>,
    pub availability: BTreeMap<String, Availability>,
}

impl DataPointTable {
    pub fn value(&self, datapoint: &str, village: usize) -> Option<f64> {
        self.values.get(datapoint).and_then(|v| v[village])
    }
}

/// Why a cell has, or has no, value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellStatus {
    /// Has a raw value.
    Value,
    /// A table the indicator reads is absent from this run's data.
    SourceAbsent,
    /// Nothing to compute from (for instance no closed petition to average).
    NoData,
    /// The denominator is below the indicator's `min_denominator`.
    BelowMinDenominator,
    /// A source it reads has no events in some quarter of its window.
    NotCovered,
    /// Set by scoring: every village has the same value this quarter, so
    /// the indicator cannot tell them apart and is left out.
    NoVariation,
    /// Set by scoring: no value of its own, filled by the framework's
    /// imputation (the township's mean or median).
    Imputed,
}

impl CellStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CellStatus::Value => "value",
            CellStatus::SourceAbsent => "source_absent",
            CellStatus::NoData => "no_data",
            CellStatus::BelowMinDenominator => "below_min_denominator",
            CellStatus::NotCovered => "not_covered",
            CellStatus::NoVariation => "no_variation",
            CellStatus::Imputed => "imputed",
        }
    }
}

/// One indicator's raw values, per village in data-point-table order.
#[derive(Debug, Clone)]
pub struct IndicatorValues {
    pub id: String,
    pub raw: Vec<Option<f64>>,
    pub status: Vec<CellStatus>,
    /// The numerator and denominator of a rate or share where the cell has
    /// a value (for shrinkage); empty for other formulas.
    pub numerator: Vec<Option<f64>>,
    pub denominator: Vec<Option<f64>>,
}

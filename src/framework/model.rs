//! The validated framework: what `Framework::load` hands the pipeline.
//! Every default is filled in and every reference checked, so the code
//! that reads these types never meets a missing value or an unknown id.
//! The enumerations (`Aggregate`, `Window`, `Formula`, ...) are read
//! straight from the TOML files, so they derive `Deserialize` here too.

use serde::Deserialize;

use crate::contract::Table;
use crate::engine::method::{IndicatorMethod, LevelMethod};

/// How the rows of an aggregate data point are summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    Count,
    CountDistinct,
    Sum,
    Mean,
    Min,
    Max,
    MeanDays,
    MinDays,
    MaxDays,
}

impl Aggregate {
    /// Whether a village without matching rows scores 0 (else unavailable).
    pub fn zero_when_empty(self) -> bool {
        matches!(
            self,
            Aggregate::Count | Aggregate::CountDistinct | Aggregate::Sum
        )
    }
}

/// Which rows of a source a data point reads, by date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    Quarter,
    PreviousQuarter,
    #[serde(rename = "trailing_4q")]
    Trailing4q,
    /// The assessed quarter and the three before it: a rolling year, for
    /// events too rare to count per quarter.
    RollingYear,
    ToDate,
    Active,
}

/// For day differences, what an open item (null end date) counts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenUntil {
    /// As of the quarter's last day: a null or later end counts as that day.
    QuarterEnd,
    /// Left out.
    Exclude,
}

/// What a village absent from an SQL data point's result gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    Zero,
    Null,
}

/// An indicator's formula over its data points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Formula {
    Value,
    #[serde(rename = "rate_per_1000")]
    RatePer1000,
    Share,
    Ratio,
}

impl Formula {
    /// The formula's arithmetic (for `value` the denominator is ignored);
    /// `None` when it has no finite result.
    pub fn apply(self, numerator: f64, denominator: Option<f64>) -> Option<f64> {
        let v = match (self, denominator) {
            (Formula::Value, _) => numerator,
            (_, None) => return None,
            (_, Some(d)) if d <= 0.0 => return None,
            (Formula::RatePer1000, Some(d)) => 1000.0 * numerator / d,
            (Formula::Share | Formula::Ratio, Some(d)) => numerator / d,
        };
        v.is_finite().then_some(v)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Formula::Value => "value",
            Formula::RatePer1000 => "rate_per_1000",
            Formula::Share => "share",
            Formula::Ratio => "ratio",
        }
    }
}

/// Whether a higher raw value is cleaner or worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
    /// Both extremes are signals: the distance from a target (the
    /// indicator's `target`, else the quarter's median over the villages
    /// with a value) is what scores, lower being better.
    TwoSided,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::HigherIsBetter => "higher_is_better",
            Direction::LowerIsBetter => "lower_is_better",
            Direction::TwoSided => "two_sided",
        }
    }
}

/// A named number of the framework (a threshold, a number of days), bound
/// as `$id` in filters and SQL data points, so an analyst changes it in one
/// place without touching the queries.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub id: String,
    pub value: f64,
    pub description: String,
}

/// Names bound by the pipeline itself; framework parameters may not reuse them.
pub const PERIOD_PARAMETERS: [&str; 6] = [
    "quarter_start",
    "quarter_end",
    "quarter_last",
    "previous_start",
    "trailing_start",
    "year_start",
];

/// Framework metadata.
#[derive(Debug, Clone)]
pub struct Meta {
    pub id: String,
    pub version: String,
    pub name_zh: String,
    pub name_en: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Dimension {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub weight: f64,
    pub description: Option<String>,
    /// How its indicators combine.
    pub method: LevelMethod,
}

/// A built-in data point read from `villages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Population,
    Households,
}

/// What a data point measures and how.
#[derive(Debug, Clone)]
pub enum DataPointSpec {
    Aggregate {
        source: &'static Table,
        aggregate: Aggregate,
        column: Option<String>,
        days: Option<(String, String, OpenUntil)>,
        filter: Option<String>,
        window: Window,
    },
    Sql {
        file: String,
        column: String,
        missing: Missing,
        /// The periods the SQL reads, for the coverage check only (the SQL
        /// itself applies the dates).
        window: Window,
    },
    Builtin(Builtin),
}

impl DataPointSpec {
    /// One line for people: what is counted, from where, over which rows.
    pub fn describe(&self) -> String {
        match self {
            DataPointSpec::Builtin(Builtin::Population) => "built in: villages.population".into(),
            DataPointSpec::Builtin(Builtin::Households) => "built in: villages.households".into(),
            DataPointSpec::Sql {
                file,
                column,
                missing,
                ..
            } => format!(
                "sql/{file}, column {column}; a village without a row is {}",
                if *missing == Missing::Zero {
                    "0"
                } else {
                    "unavailable"
                }
            ),
            DataPointSpec::Aggregate {
                source,
                aggregate,
                column,
                days,
                filter,
                window,
            } => {
                let what = match (aggregate, column, days) {
                    (Aggregate::Count, _, _) => "count of rows".to_string(),
                    (_, Some(c), _) => format!("{aggregate:?} of {c}").to_lowercase(),
                    (_, None, Some((from, to, open))) => format!(
                        "{} of days from {from} to {to}{}",
                        match aggregate {
                            Aggregate::MeanDays => "mean",
                            Aggregate::MinDays => "min",
                            _ => "max",
                        },
                        if *open == OpenUntil::QuarterEnd {
                            " (as of the quarter's last day)"
                        } else {
                            " (open items left out)"
                        }
                    ),
                    _ => format!("{aggregate:?}").to_lowercase(),
                };
                let window = match window {
                    Window::Quarter => "in the quarter",
                    Window::PreviousQuarter => "in the previous quarter",
                    Window::Trailing4q => "in the four quarters before",
                    Window::RollingYear => "in the assessed quarter and the three before",
                    Window::ToDate => "up to the quarter's end",
                    Window::Active => "active in the quarter",
                };
                let filter = filter
                    .as_ref()
                    .map(|f| format!(" where {f}"))
                    .unwrap_or_default();
                format!("{what} of {} {window}{filter}", source.name)
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct DataPoint {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub description: Option<String>,
    pub spec: DataPointSpec,
}

#[derive(Debug, Clone)]
pub struct Indicator {
    pub id: String,
    pub dimension: String,
    pub name_zh: String,
    pub name_en: String,
    pub definition: String,
    pub formula: Formula,
    pub numerator: String,
    pub denominator: Option<String>,
    /// `value` formula only: the count the value is computed over (the
    /// petitions a mean is taken of), held to `min_denominator`.
    pub basis: Option<String>,
    /// Below it (the denominator, or the basis) the village is unavailable.
    pub min_denominator: Option<f64>,
    pub direction: Direction,
    /// `two_sided` only: the value that scores best; else the median.
    pub target: Option<f64>,
    pub weight: f64,
    pub unit: Option<String>,
    pub rationale: Option<String>,
    /// Where the indicator comes from: regulations, seed documents, papers.
    pub sources: Vec<String>,
    /// What is deliberately left out of the count, and why.
    pub exclusions: Option<String>,
    /// A worked example, checked against the formula when loaded.
    pub example: Option<Example>,
    /// How it is scored.
    pub method: IndicatorMethod,
}

/// A worked example of an indicator: inputs and the value they give.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    pub numerator: f64,
    /// The denominator, or for `value` the basis.
    pub denominator: Option<f64>,
    pub value: f64,
}

impl Indicator {
    /// The data points the indicator reads: numerator, denominator, basis.
    pub fn datapoints(&self) -> impl Iterator<Item = &String> {
        [
            Some(&self.numerator),
            self.denominator.as_ref(),
            self.basis.as_ref(),
        ]
        .into_iter()
        .flatten()
    }

    /// The data point `min_denominator` applies to.
    pub fn gate(&self) -> Option<&String> {
        self.denominator.as_ref().or(self.basis.as_ref())
    }
}

/// What the report shows: `[report]` in framework.toml.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSettings {
    /// The length of the summons list (约谈名单): the lowest ranked villages.
    pub summons: usize,
    /// Public mode: petition counts from 1 to `small_cell_k - 1` show as
    /// `<k` (1 turns protection off).
    pub small_cell_k: u32,
    /// Quarters in the trend charts, the assessed one included.
    pub trend_quarters: usize,
    /// An index fall of at least this many points on the previous quarter
    /// raises an alert.
    pub alert_drop: f64,
    /// A PNG beside every village chart's SVG (the district charts always
    /// have theirs): several files per village, so off by default.
    pub village_png: bool,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            summons: 10,
            small_cell_k: 3,
            trend_quarters: 4,
            alert_drop: 10.0,
            village_png: false,
        }
    }
}

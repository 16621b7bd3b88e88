//! The indicator framework (`indicators/` and `sql/`): loaded in two stages,
//! raw serde structs (unknown keys refused and reported by their path), then
//! one validation pass that fills defaults in one place and reports every
//! problem together. The format is documented in `docs/framework-format.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Token;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::contract::{self, Kind, Table};
use crate::digest::hex;
use crate::engine::method::{self, Aggregation, IndicatorMethod, LevelMethod, Scoring, Shrinkage};
use crate::engine::rank::TierRule;
use crate::error::{Error, Result};

// ---------------------------------------------------------------- raw files

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrameworkFile {
    framework: RawMeta,
    tiers: Option<RawTiers>,
    #[serde(default, rename = "dimension")]
    dimensions: Vec<RawDimension>,
    #[serde(default, rename = "parameter")]
    parameters: Vec<RawParameter>,
    scoring: Option<method::RawScoring>,
    uncertainty: Option<method::RawUncertainty>,
    #[serde(default, rename = "veto")]
    vetoes: Vec<method::RawVeto>,
    report: Option<RawReport>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    summons: Option<i64>,
    small_cell_k: Option<i64>,
    trend_quarters: Option<i64>,
    alert_drop: Option<f64>,
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
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            summons: 10,
            small_cell_k: 3,
            trend_quarters: 4,
            alert_drop: 10.0,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    id: String,
    value: f64,
    description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    id: String,
    version: String,
    name_zh: String,
    name_en: String,
    description: Option<String>,
    sql_dir: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTiers {
    method: Option<TierMethod>,
    green: Option<f64>,
    yellow: Option<f64>,
    red: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TierMethod {
    Thresholds,
    Quantiles,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDimension {
    id: String,
    name_zh: String,
    name_en: String,
    weight: Option<f64>,
    description: Option<String>,
    aggregation: Option<Aggregation>,
    weights: Option<method::WeightKind>,
    #[serde(default)]
    comparisons: Vec<method::RawComparison>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataPointFile {
    #[serde(default, rename = "datapoint")]
    datapoints: Vec<RawDataPoint>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataPoint {
    id: String,
    name_zh: String,
    name_en: String,
    description: Option<String>,
    source: Option<String>,
    aggregate: Option<Aggregate>,
    column: Option<String>,
    days_from: Option<String>,
    days_to: Option<String>,
    open_until: Option<OpenUntil>,
    filter: Option<String>,
    window: Option<Window>,
    sql: Option<String>,
    missing: Option<Missing>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicatorFile {
    #[serde(default, rename = "indicator")]
    indicators: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: String,
    dimension: String,
    name_zh: String,
    name_en: String,
    definition: String,
    formula: Formula,
    numerator: String,
    denominator: Option<String>,
    basis: Option<String>,
    min_denominator: Option<f64>,
    direction: Direction,
    target: Option<f64>,
    weight: Option<f64>,
    unit: Option<String>,
    rationale: Option<String>,
    #[serde(default)]
    sources: Vec<String>,
    exclusions: Option<String>,
    example: Option<RawExample>,
    normalisation: Option<method::NormalisationKind>,
    goalposts: Option<method::RawGoalposts>,
    deduction: Option<method::RawDeduction>,
    treatment: Option<method::TreatmentKind>,
    shrinkage: Option<Shrinkage>,
    imputation: Option<method::ImputationKind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExample {
    text: String,
    numerator: f64,
    denominator: Option<f64>,
    value: f64,
}

// ------------------------------------------------------------ validated form

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

/// A loaded, validated framework.
#[derive(Debug, Clone)]
pub struct Framework {
    pub dir: PathBuf,
    pub meta: Meta,
    pub tiers: TierRule,
    pub dimensions: Vec<Dimension>,
    pub datapoints: Vec<DataPoint>,
    pub indicators: Vec<Indicator>,
    pub parameters: Vec<Parameter>,
    /// Minimum availability, the index level, vetoes, Monte Carlo.
    pub scoring: Scoring,
    /// SQL data point files, by file name, with their text.
    pub sql: BTreeMap<String, String>,
    /// What the report shows.
    pub report: ReportSettings,
    /// SHA-256 over every file read, in a fixed order.
    pub hash: String,
    /// Every file read (framework files and SQL files), as paths.
    pub files: Vec<PathBuf>,
}

const DEFAULT_TIERS: TierRule = TierRule::Thresholds {
    green: 85.0,
    yellow: 70.0,
};

impl Framework {
    pub fn datapoint(&self, id: &str) -> Option<&DataPoint> {
        self.datapoints.iter().find(|d| d.id == id)
    }

    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// Loads and validates the framework in `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let mut problems = Vec::new();
        let mut hasher = Sha256::new();
        let mut files = Vec::new();
        let mut read = |path: &Path, problems: &mut Vec<String>| -> Option<String> {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    let rel = path.strip_prefix(dir).unwrap_or(path);
                    hasher.update(rel.to_string_lossy().as_bytes());
                    hasher.update([0u8]);
                    hasher.update(text.as_bytes());
                    hasher.update([0u8]);
                    files.push(path.to_path_buf());
                    Some(text)
                }
                Err(e) => {
                    problems.push(format!("{}: cannot be read: {e}", path.display()));
                    None
                }
            }
        };

        if !dir.is_dir() {
            return Err(Error::Framework {
                dir: dir.to_path_buf(),
                problems: vec![
                    "the framework directory does not exist; pass --framework DIR (the default is indicators/)".into(),
                ],
            });
        }
        let main_file = dir.join("framework.toml");
        let main: Option<RawFrameworkFile> = read(&main_file, &mut problems)
            .and_then(|t| parse_toml(&main_file, dir, &t, &mut problems));

        let mut raw_dps = Vec::new();
        for f in toml_files(&dir.join("datapoints"), &mut problems) {
            if let Some(file) = read(&f, &mut problems)
                .and_then(|t| parse_toml::<RawDataPointFile>(&f, dir, &t, &mut problems))
            {
                raw_dps.extend(file.datapoints.into_iter().map(|d| (rel(&f, dir), d)));
            }
        }
        let mut raw_inds = Vec::new();
        for f in toml_files(&dir.join("definitions"), &mut problems) {
            if let Some(file) = read(&f, &mut problems)
                .and_then(|t| parse_toml::<RawIndicatorFile>(&f, dir, &t, &mut problems))
            {
                raw_inds.extend(file.indicators.into_iter().map(|i| (rel(&f, dir), i)));
            }
        }
        let Some(main) = main else {
            return Err(Error::Framework {
                dir: dir.to_path_buf(),
                problems,
            });
        };

        let sql_dir = dir.join(main.framework.sql_dir.as_deref().unwrap_or("../sql"));
        // After a file failed to parse, "no indicator" findings would be noise.
        let complete = problems.is_empty();
        let v = Validator {
            problems: &mut problems,
            complete,
        };
        let mut validated = v.validate(main, raw_dps, raw_inds);
        // SQL files, read in name order so the hash is stable.
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        for dp in &validated.datapoints {
            if let DataPointSpec::Sql { file, .. } = &dp.spec {
                wanted.insert(file.clone());
            }
        }
        let known = known_parameters(&validated.parameters);
        for name in wanted {
            let path = sql_dir.join(&name);
            if !path.is_file() {
                problems.push(format!(
                    "sql file '{name}' not found in {}; create it or fix the data point's `sql` key",
                    sql_dir.display()
                ));
                continue;
            }
            if let Some(text) = read(&path, &mut problems) {
                let mut v = Validator {
                    problems: &mut problems,
                    complete,
                };
                v.check_placeholders(&format!("sql/{name}"), &text, &known);
                validated.sql.insert(name, text);
            }
        }
        if !problems.is_empty() {
            return Err(Error::Framework {
                dir: dir.to_path_buf(),
                problems,
            });
        }
        Ok(Framework {
            dir: dir.to_path_buf(),
            meta: validated.meta,
            tiers: validated.tiers,
            dimensions: validated.dimensions,
            datapoints: validated.datapoints,
            indicators: validated.indicators,
            parameters: validated.parameters,
            scoring: validated.scoring,
            sql: validated.sql,
            report: validated.report,
            hash: hex(&hasher.finalize()),
            files,
        })
    }
}

fn rel(path: &Path, dir: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// `*.toml` files of a directory, in name order.
fn toml_files(dir: &Path, problems: &mut Vec<String>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(format!("{}: cannot be listed: {e}", dir.display()));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn parse_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    dir: &Path,
    text: &str,
    problems: &mut Vec<String>,
) -> Option<T> {
    let name = rel(path, dir);
    let de = match toml::Deserializer::parse(text) {
        Ok(de) => de,
        Err(e) => {
            problems.push(format!("{name}: {e}"));
            return None;
        }
    };
    match serde_path_to_error::deserialize(de) {
        Ok(v) => Some(v),
        Err(e) => {
            let at = e.path().to_string();
            problems.push(format!("{name}: {at}: {}", e.into_inner().message()));
            None
        }
    }
}

struct Validated {
    meta: Meta,
    tiers: TierRule,
    dimensions: Vec<Dimension>,
    datapoints: Vec<DataPoint>,
    indicators: Vec<Indicator>,
    parameters: Vec<Parameter>,
    scoring: Scoring,
    sql: BTreeMap<String, String>,
    report: ReportSettings,
}

struct Validator<'a> {
    problems: &'a mut Vec<String>,
    /// Every file parsed: cross-file completeness checks apply.
    complete: bool,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Validator<'_> {
    fn problem(&mut self, p: String) {
        self.problems.push(p);
    }

    fn check_id(&mut self, at: &str, id: &str, seen: &mut BTreeSet<String>) {
        if !valid_id(id) {
            self.problem(format!(
                "{at}.id: '{id}' is not a valid id; use lower-case ascii letters, digits and _ (starting with a letter, at most 64)"
            ));
        }
        if !seen.insert(id.to_string()) {
            self.problem(format!(
                "{at}.id: '{id}' is defined more than once; ids must be unique"
            ));
        }
    }

    fn check_weight(&mut self, at: &str, w: Option<f64>) -> f64 {
        let w = w.unwrap_or(1.0);
        if !(w.is_finite() && w > 0.0) {
            self.problem(format!(
                "{at}.weight: {w} is not a positive number; weights must be > 0 (remove the indicator to drop it)"
            ));
        }
        w
    }

    fn validate(
        mut self,
        main: RawFrameworkFile,
        raw_dps: Vec<(String, RawDataPoint)>,
        raw_inds: Vec<(String, RawIndicator)>,
    ) -> Validated {
        let m = main.framework;
        if m.id.trim().is_empty() || m.version.trim().is_empty() {
            self.problem(
                "framework.toml: framework.id and framework.version must not be empty".into(),
            );
        }
        let meta = Meta {
            id: m.id,
            version: m.version,
            name_zh: m.name_zh,
            name_en: m.name_en,
            description: m.description,
        };
        let tiers = self.tiers(main.tiers);
        let report = self.report(main.report);
        let parameters = self.parameters(main.parameters);
        let known_parameters = known_parameters(&parameters);

        let mut seen_dims = BTreeSet::new();
        let mut dimensions = Vec::new();
        let mut dimension_levels = Vec::new();
        for (i, d) in main.dimensions.into_iter().enumerate() {
            let at = format!("framework.toml: dimension[{i}]");
            self.check_id(&at, &d.id, &mut seen_dims);
            let weight = self.check_weight(&at, d.weight);
            dimension_levels.push(method::RawLevel {
                aggregation: d.aggregation,
                weights: d.weights,
                comparisons: d.comparisons,
            });
            dimensions.push(Dimension {
                id: d.id,
                name_zh: d.name_zh,
                name_en: d.name_en,
                weight,
                description: d.description,
                method: LevelMethod::default(),
            });
        }
        let dimension_ids: Vec<String> = dimensions.iter().map(|d| d.id.clone()).collect();
        let (defaults, min_availability, index_level) =
            method::scoring(main.scoring, &dimension_ids, self.problems);
        if dimensions.is_empty() {
            self.problem(
                "framework.toml: no [[dimension]] defined; an index needs at least one".into(),
            );
        }

        let mut seen_dps: BTreeSet<String> = ["population".to_string(), "households".to_string()]
            .into_iter()
            .collect();
        let mut datapoints = vec![
            DataPoint {
                id: "population".into(),
                name_zh: "户籍人口".into(),
                name_en: "Registered residents".into(),
                description: Some("villages.population (built in)".into()),
                spec: DataPointSpec::Builtin(Builtin::Population),
            },
            DataPoint {
                id: "households".into(),
                name_zh: "户数".into(),
                name_en: "Households".into(),
                description: Some("villages.households (built in)".into()),
                spec: DataPointSpec::Builtin(Builtin::Households),
            },
        ];
        let mut counters: BTreeMap<String, usize> = BTreeMap::new();
        for (file, d) in raw_dps {
            let n = counters.entry(file.clone()).or_default();
            let at = format!("{file}: datapoint[{n}] ({})", d.id);
            *n += 1;
            self.check_id(&at, &d.id, &mut seen_dps);
            if let Some(f) = &d.filter {
                self.check_placeholders(&format!("{at}.filter"), f, &known_parameters);
            }
            if let Some(spec) = self.datapoint_spec(&at, &d) {
                datapoints.push(DataPoint {
                    id: d.id,
                    name_zh: d.name_zh,
                    name_en: d.name_en,
                    description: d.description,
                    spec,
                });
            }
        }

        let mut seen_inds = BTreeSet::new();
        let mut indicators = Vec::new();
        let mut counters: BTreeMap<String, usize> = BTreeMap::new();
        for (file, r) in raw_inds {
            let n = counters.entry(file.clone()).or_default();
            let at = format!("{file}: indicator[{n}] ({})", r.id);
            *n += 1;
            self.check_id(&at, &r.id, &mut seen_inds);
            if !seen_dims.contains(&r.dimension) {
                self.problem(format!(
                    "{at}.dimension: '{}' is not a dimension of framework.toml; expected one of {}",
                    r.dimension,
                    seen_dims.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            for (key, dp) in [
                ("numerator", Some(&r.numerator)),
                ("denominator", r.denominator.as_ref()),
                ("basis", r.basis.as_ref()),
            ] {
                if let Some(dp) = dp
                    && !seen_dps.contains(dp)
                {
                    self.problem(format!(
                        "{at}.{key}: data point '{dp}' is not defined; define it under datapoints/ or fix the id"
                    ));
                }
            }
            let denominator = match (r.formula, r.denominator) {
                (Formula::RatePer1000, d) => Some(d.unwrap_or_else(|| "population".into())),
                (Formula::Share | Formula::Ratio, None) => {
                    self.problem(format!(
                        "{at}.denominator: formula '{}' needs a denominator data point",
                        r.formula.as_str()
                    ));
                    None
                }
                (Formula::Value, Some(_)) => {
                    self.problem(format!(
                        "{at}.denominator: formula 'value' takes no denominator; use 'ratio' or remove it"
                    ));
                    None
                }
                (_, d) => d,
            };
            if r.basis.is_some() && r.formula != Formula::Value {
                self.problem(format!(
                    "{at}.basis: only formula 'value' takes a basis; formula '{}' holds its denominator to min_denominator",
                    r.formula.as_str()
                ));
            }
            let min_denominator = match (r.formula, r.min_denominator) {
                (Formula::Share | Formula::Ratio, None) => Some(1.0),
                (_, Some(m)) if !(m.is_finite() && m >= 0.0) => {
                    self.problem(format!("{at}.min_denominator: {m} must be a number >= 0"));
                    None
                }
                (Formula::Value, Some(_)) if r.basis.is_none() => {
                    self.problem(format!(
                        "{at}.min_denominator: formula 'value' has no denominator; name the count the value is computed over as `basis` for min_denominator to apply to"
                    ));
                    None
                }
                (_, m) => m,
            };
            match (r.direction, r.target) {
                (_, Some(t)) if !t.is_finite() => {
                    self.problem(format!("{at}.target: {t} must be a finite number"));
                }
                (Direction::HigherIsBetter | Direction::LowerIsBetter, Some(_))
                    if r.normalisation != Some(method::NormalisationKind::Target) =>
                {
                    self.problem(format!(
                        "{at}.target: only direction = \"two_sided\" (the value that scores best) or normalisation = \"target\" (the value to reach) takes a target"
                    ));
                }
                _ => {}
            }
            let indicator_method = method::indicator(
                &at,
                method::RawIndicatorMethod {
                    normalisation: r.normalisation,
                    goalposts: r.goalposts,
                    deduction: r.deduction,
                    treatment: r.treatment,
                    shrinkage: r.shrinkage,
                    imputation: r.imputation,
                },
                method::IndicatorFacts {
                    two_sided: r.direction == Direction::TwoSided,
                    higher_is_better: r.direction == Direction::HigherIsBetter,
                    target: r.target,
                    proportion: matches!(r.formula, Formula::RatePer1000 | Formula::Share),
                },
                &defaults,
                self.problems,
            );
            if r.sources.iter().any(|s| s.trim().is_empty()) {
                self.problem(format!("{at}.sources: an entry is empty"));
            }
            let example = r.example.map(|e| Example {
                text: e.text,
                numerator: e.numerator,
                denominator: e.denominator,
                value: e.value,
            });
            if let Some(e) = &example {
                let gated = r.formula != Formula::Value || r.basis.is_some();
                let below = e
                    .denominator
                    .zip(min_denominator)
                    .is_some_and(|(d, m)| d < m);
                match (gated, e.denominator) {
                    (true, None) => self.problem(format!(
                        "{at}.example.denominator: the example needs the {} as well",
                        if r.formula == Formula::Value { "basis" } else { "denominator" }
                    )),
                    (false, Some(_)) => self.problem(format!(
                        "{at}.example.denominator: formula 'value' without a basis takes no denominator"
                    )),
                    _ if below => self.problem(format!(
                        "{at}.example.denominator: below min_denominator, the example would be unavailable; pick a larger one"
                    )),
                    _ => match r.formula.apply(e.numerator, e.denominator) {
                        Some(v) if (v - e.value).abs() <= 1e-6 * v.abs().max(1.0) => {}
                        got => self.problem(format!(
                            "{at}.example.value: {} does not follow from the formula ({}); fix the example",
                            e.value,
                            got.map(|g| format!("it gives {g}"))
                                .unwrap_or_else(|| "it gives no value".into())
                        )),
                    },
                }
            }
            if r.definition.trim().is_empty()
                || r.name_zh.trim().is_empty()
                || r.name_en.trim().is_empty()
            {
                self.problem(format!(
                    "{at}: name_zh, name_en and definition must not be empty"
                ));
            }
            let weight = self.check_weight(&at, r.weight);
            indicators.push(Indicator {
                id: r.id,
                dimension: r.dimension,
                name_zh: r.name_zh,
                name_en: r.name_en,
                definition: r.definition,
                formula: r.formula,
                numerator: r.numerator,
                denominator,
                basis: r.basis,
                min_denominator,
                direction: r.direction,
                target: r.target,
                weight,
                unit: r.unit,
                rationale: r.rationale,
                sources: r.sources,
                exclusions: r.exclusions,
                example,
                method: indicator_method,
            });
        }
        for ((d, raw), i) in dimensions.iter_mut().zip(dimension_levels).zip(0..) {
            let children: Vec<String> = indicators
                .iter()
                .filter(|x| x.dimension == d.id)
                .map(|x| x.id.clone())
                .collect();
            d.method = method::level(
                &format!("framework.toml: dimension[{i}] ({})", d.id),
                raw,
                method::dimension_default(&defaults),
                &children,
                self.problems,
            );
            if d.method.aggregation == Aggregation::Geometric {
                let floors: Vec<(String, Option<f64>)> = indicators
                    .iter()
                    .filter(|x| x.dimension == d.id)
                    .map(|x| (x.id.clone(), x.method.normalisation.floor()))
                    .collect();
                method::check_geometric(
                    &format!("framework.toml: dimension[{i}] ({})", d.id),
                    &floors,
                    self.problems,
                );
            }
        }
        if index_level.aggregation == Aggregation::Geometric {
            let floors: Vec<(String, Option<f64>)> = dimensions
                .iter()
                .map(|d| {
                    let floor = indicators
                        .iter()
                        .filter(|x| x.dimension == d.id)
                        .map(|x| x.method.normalisation.floor())
                        .try_fold(f64::INFINITY, |acc, f| f.map(|f| acc.min(f)));
                    (d.id.clone(), floor)
                })
                .collect();
            method::check_geometric("framework.toml: scoring.index", &floors, self.problems);
        }
        let indicator_ids: BTreeSet<String> = indicators.iter().map(|i| i.id.clone()).collect();
        let vetoes = method::vetoes(main.vetoes, &seen_dps, &indicator_ids, self.problems);
        let scoring = Scoring {
            min_availability,
            index: index_level,
            vetoes,
            uncertainty: method::uncertainty(main.uncertainty, self.problems),
        };
        let complete = self.complete;
        for d in dimensions.iter().filter(|_| complete) {
            if !indicators.iter().any(|i| i.dimension == d.id) {
                self.problem(format!(
                    "framework.toml: dimension '{}' has no indicator; add one under definitions/ or remove the dimension",
                    d.id
                ));
            }
        }
        if indicators.is_empty() && self.complete {
            self.problem("definitions/: no [[indicator]] defined".into());
        }
        Validated {
            meta,
            tiers,
            dimensions,
            datapoints,
            indicators,
            parameters,
            scoring,
            sql: BTreeMap::new(),
            report,
        }
    }

    /// `[report]`: defaults for what is left out, every bad value reported.
    fn report(&mut self, raw: Option<RawReport>) -> ReportSettings {
        let mut out = ReportSettings::default();
        let Some(r) = raw else {
            return out;
        };
        let mut count = |key: &str, v: Option<i64>, min: i64, max: i64, what: &str| match v {
            Some(v) if v < min || v > max => {
                self.problems.push(format!(
                        "framework.toml: report.{key} = {v}: {what}; use a whole number from {min} to {max}"
                    ));
                None
            }
            v => v,
        };
        if let Some(v) = count(
            "summons",
            r.summons,
            1,
            10_000,
            "the summons list needs at least one village",
        ) {
            out.summons = v as usize;
        }
        if let Some(v) = count(
            "small_cell_k",
            r.small_cell_k,
            1,
            100,
            "1 turns small-cell protection off",
        ) {
            out.small_cell_k = v as u32;
        }
        if let Some(v) = count(
            "trend_quarters",
            r.trend_quarters,
            1,
            8,
            "the trend covers the assessed quarter and up to 7 before",
        ) {
            out.trend_quarters = v as usize;
        }
        match r.alert_drop {
            Some(v) if !(v.is_finite() && v > 0.0) => self.problems.push(format!(
                "framework.toml: report.alert_drop = {v}: index points must be a number above 0"
            )),
            Some(v) => out.alert_drop = v,
            None => {}
        }
        out
    }

    fn parameters(&mut self, raw: Vec<RawParameter>) -> Vec<Parameter> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, p) in raw.into_iter().enumerate() {
            let at = format!("framework.toml: parameter[{i}]");
            self.check_id(&at, &p.id, &mut seen);
            if PERIOD_PARAMETERS.contains(&p.id.as_str()) {
                self.problem(format!(
                    "{at}.id: '{}' is bound by the pipeline to the assessed quarter; choose another name",
                    p.id
                ));
            }
            if !p.value.is_finite() {
                self.problem(format!("{at}.value: {} is not a finite number", p.value));
            }
            if p.description.trim().is_empty() {
                self.problem(format!(
                    "{at}.description: say what the number is and where it comes from"
                ));
            }
            out.push(Parameter {
                id: p.id,
                value: p.value,
                description: p.description,
            });
        }
        out
    }

    /// Every `$name` in `sql` must be a period parameter or a framework
    /// parameter.
    fn check_placeholders(&mut self, at: &str, sql: &str, known: &BTreeSet<String>) {
        for name in placeholders(sql) {
            if !known.contains(&name) {
                self.problem(format!(
                    "{at}: ${name} is not a parameter; define it as a [[parameter]] in framework.toml or use one of {}",
                    known
                        .iter()
                        .map(|k| format!("${k}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }

    fn tiers(&mut self, raw: Option<RawTiers>) -> TierRule {
        let Some(t) = raw else {
            return DEFAULT_TIERS;
        };
        match t.method.unwrap_or(TierMethod::Thresholds) {
            TierMethod::Thresholds => {
                if t.red.is_some() {
                    self.problem("framework.toml: tiers.red: only method = \"quantiles\" takes a red share; thresholds take green and yellow".into());
                }
                let (green, yellow) = (t.green.unwrap_or(85.0), t.yellow.unwrap_or(70.0));
                if !(0.0..=100.0).contains(&yellow)
                    || !(0.0..=100.0).contains(&green)
                    || yellow > green
                {
                    self.problem(format!(
                        "framework.toml: tiers: thresholds need 0 <= yellow <= green <= 100 (got yellow {yellow}, green {green})"
                    ));
                }
                TierRule::Thresholds { green, yellow }
            }
            TierMethod::Quantiles => {
                if t.green.is_some() {
                    self.problem("framework.toml: tiers.green: method = \"quantiles\" takes red and yellow shares; green is the rest".into());
                }
                let (red, yellow) = (t.red.unwrap_or(0.1), t.yellow.unwrap_or(0.2));
                if !(red > 0.0 && yellow >= 0.0 && red + yellow < 1.0) {
                    self.problem(format!(
                        "framework.toml: tiers: quantile shares need red > 0, yellow >= 0, red + yellow < 1 (got red {red}, yellow {yellow})"
                    ));
                }
                TierRule::Quantiles { red, yellow }
            }
        }
    }

    fn datapoint_spec(&mut self, at: &str, d: &RawDataPoint) -> Option<DataPointSpec> {
        if let Some(sql) = &d.sql {
            for (key, present) in [
                ("source", d.source.is_some()),
                ("aggregate", d.aggregate.is_some()),
                ("filter", d.filter.is_some()),
                ("days_from", d.days_from.is_some()),
                ("days_to", d.days_to.is_some()),
                ("open_until", d.open_until.is_some()),
            ] {
                if present {
                    self.problem(format!(
                        "{at}.{key}: an SQL data point takes no '{key}'; put that logic in {sql}"
                    ));
                }
            }
            if sql.contains(['/', '\\']) || !sql.ends_with(".sql") {
                self.problem(format!(
                    "{at}.sql: '{sql}' must be a plain file name ending in .sql inside the framework's sql_dir"
                ));
                return None;
            }
            return Some(DataPointSpec::Sql {
                file: sql.clone(),
                column: d.column.clone().unwrap_or_else(|| "value".into()),
                missing: d.missing.unwrap_or(Missing::Zero),
                window: d.window.unwrap_or(Window::Quarter),
            });
        }
        if d.missing.is_some() {
            self.problem(format!("{at}.missing: only SQL data points take 'missing'"));
        }
        let Some(source_name) = &d.source else {
            self.problem(format!(
                "{at}: a data point needs either `source` and `aggregate`, or `sql`"
            ));
            return None;
        };
        let source = match contract::table(source_name) {
            Some(t) if t.is_source() => t,
            _ => {
                self.problem(format!(
                    "{at}.source: '{source_name}' is not a source; expected one of {} (reference tables are read through SQL data points)",
                    contract::sources().map(|t| t.name).collect::<Vec<_>>().join(", ")
                ));
                return None;
            }
        };
        let Some(aggregate) = d.aggregate else {
            self.problem(format!("{at}.aggregate: missing; expected count, count_distinct, sum, mean, min, max, mean_days, min_days or max_days"));
            return None;
        };
        let window = d.window.unwrap_or(Window::Quarter);
        if window == Window::Active && source.name != "assistance" {
            self.problem(format!(
                "{at}.window: 'active' applies to assistance enrolments only"
            ));
        }
        let column_kind = |name: &str| source.column(name).map(|c| c.kind);
        let mut ok = true;
        let needs_column = matches!(
            aggregate,
            Aggregate::CountDistinct
                | Aggregate::Sum
                | Aggregate::Mean
                | Aggregate::Min
                | Aggregate::Max
        );
        match (&d.column, needs_column) {
            (None, true) => {
                self.problem(format!(
                    "{at}.column: aggregate {aggregate:?} needs a column of {}",
                    source.name
                ));
                ok = false;
            }
            (Some(c), false) => {
                self.problem(format!(
                    "{at}.column: aggregate {aggregate:?} takes no column (got '{c}')"
                ));
                ok = false;
            }
            (Some(c), true) => match column_kind(c) {
                None => {
                    self.problem(format!(
                        "{at}.column: '{c}' is not a column of {}; expected one of {}",
                        source.name,
                        source
                            .columns
                            .iter()
                            .map(|c| c.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    ok = false;
                }
                Some(k)
                    if aggregate != Aggregate::CountDistinct
                        && !matches!(k, Kind::Amount | Kind::Count) =>
                {
                    self.problem(format!("{at}.column: '{c}' is not numeric; {aggregate:?} needs an amount or count column"));
                    ok = false;
                }
                Some(_) => {}
            },
            (None, false) => {}
        }
        let is_days = matches!(
            aggregate,
            Aggregate::MeanDays | Aggregate::MinDays | Aggregate::MaxDays
        );
        let days = if is_days {
            match (&d.days_from, &d.days_to) {
                (Some(from), Some(to)) => {
                    for (key, c) in [("days_from", from), ("days_to", to)] {
                        if column_kind(c) != Some(Kind::Date) {
                            self.problem(format!(
                                "{at}.{key}: '{c}' is not a date column of {}",
                                source.name
                            ));
                            ok = false;
                        }
                    }
                    Some((
                        from.clone(),
                        to.clone(),
                        d.open_until.unwrap_or(OpenUntil::Exclude),
                    ))
                }
                _ => {
                    self.problem(format!(
                        "{at}: aggregate {aggregate:?} needs days_from and days_to"
                    ));
                    ok = false;
                    None
                }
            }
        } else {
            for (key, present) in [
                ("days_from", d.days_from.is_some()),
                ("days_to", d.days_to.is_some()),
                ("open_until", d.open_until.is_some()),
            ] {
                if present {
                    self.problem(format!(
                        "{at}.{key}: only mean_days, min_days and max_days take '{key}'"
                    ));
                    ok = false;
                }
            }
            None
        };
        if let Some(f) = &d.filter
            && let Err(e) = check_filter(f)
        {
            self.problem(format!("{at}.filter: {e}"));
            ok = false;
        }
        ok.then(|| DataPointSpec::Aggregate {
            source,
            aggregate,
            column: d.column.clone(),
            days,
            filter: d.filter.clone(),
            window,
        })
    }
}

/// The names a filter or SQL file may use as `$name`: the period
/// parameters and the framework's own.
fn known_parameters(parameters: &[Parameter]) -> BTreeSet<String> {
    PERIOD_PARAMETERS
        .iter()
        .map(|p| p.to_string())
        .chain(parameters.iter().map(|p| p.id.clone()))
        .collect()
}

/// The `$name` placeholders of an SQL text, in order of appearance (an
/// untokenisable text has none here; planning reports it).
pub fn placeholders(sql: &str) -> Vec<String> {
    let dialect = GenericDialect {};
    let Ok(tokens) =
        datafusion::sql::sqlparser::tokenizer::Tokenizer::new(&dialect, sql).tokenize()
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for t in tokens {
        if let Token::Placeholder(p) = t
            && let Some(name) = p.strip_prefix('$')
            && !out.iter().any(|o| o == name)
        {
            out.push(name.to_string());
        }
    }
    out
}

/// A filter must be exactly one SQL expression (no statement, no `;`, no
/// subquery): it is spliced into the source's compiled query.
pub fn check_filter(filter: &str) -> std::result::Result<(), String> {
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(filter)
        .map_err(|e| format!("'{filter}' is not valid SQL: {e}"))?;
    let expr = parser
        .parse_expr()
        .map_err(|e| format!("'{filter}' is not a valid SQL expression: {e}"))?;
    if parser.peek_token().token != Token::EOF {
        return Err(format!(
            "'{filter}' has text after the expression ('{}'); a filter is one boolean expression",
            parser.peek_token().token
        ));
    }
    // A SELECT keyword token (not inside a string literal) means a subquery.
    let tokens = datafusion::sql::sqlparser::tokenizer::Tokenizer::new(&dialect, filter)
        .tokenize()
        .map_err(|e| format!("'{filter}' is not valid SQL: {e}"))?;
    let _ = expr;
    if tokens.iter().any(|t| {
        matches!(t, Token::Word(w) if w.keyword == datafusion::sql::sqlparser::keywords::Keyword::SELECT)
    }) {
        return Err(format!(
            "'{filter}' contains a subquery; filters read only the source's own columns (use an SQL data point for joins)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_single_expressions() {
        assert!(check_filter("kind = 'accusation' AND accused_role IN ('secretary')").is_ok());
        assert!(check_filter("kind = 'a'; DROP TABLE x").is_err());
        assert!(check_filter("kind = ").is_err());
        assert!(check_filter("village_code IN (SELECT village_code FROM cadres)").is_err());
    }

    #[test]
    fn ids_are_checked() {
        assert!(valid_id("pet_accusations_1"));
        assert!(!valid_id("Pet"));
        assert!(!valid_id("1pet"));
        assert!(!valid_id("pet-x"));
    }
}

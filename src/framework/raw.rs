//! The framework's files as written: one serde struct per TOML table,
//! every key typed, unknown keys refused (`deny_unknown_fields`) and
//! reported by their path (`datapoints/x.toml: datapoint[3].fiter: unknown
//! field ...`). Nothing is checked here beyond the format; `validate`
//! checks the values and fills the defaults.

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::model::{Aggregate, Direction, Formula, Missing, OpenUntil, Window};
use crate::engine::method::{self, Aggregation, Shrinkage};
use crate::error::{At, FrameworkProblem, ProblemKind};

// ------------------------------------------------------------ framework.toml

/// framework.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFrameworkFile {
    pub(super) framework: RawMeta,
    pub(super) tiers: Option<RawTiers>,
    #[serde(default, rename = "dimension")]
    pub(super) dimensions: Vec<RawDimension>,
    #[serde(default, rename = "parameter")]
    pub(super) parameters: Vec<RawParameter>,
    pub(super) scoring: Option<method::RawScoring>,
    pub(super) uncertainty: Option<method::RawUncertainty>,
    #[serde(default, rename = "veto")]
    pub(super) vetoes: Vec<method::RawVeto>,
    pub(super) report: Option<RawReport>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReport {
    pub(super) summons: Option<i64>,
    pub(super) small_cell_k: Option<i64>,
    pub(super) trend_quarters: Option<i64>,
    pub(super) alert_drop: Option<f64>,
    pub(super) village_png: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParameter {
    pub(super) id: String,
    pub(super) value: f64,
    pub(super) description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeta {
    pub(super) id: String,
    pub(super) version: String,
    pub(super) name_zh: String,
    pub(super) name_en: String,
    pub(super) description: Option<String>,
    pub(super) sql_dir: Option<String>,
    /// A weights file, relative to the framework directory (module
    /// `weights`).
    pub(super) weights: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTiers {
    pub(super) method: Option<TierMethod>,
    pub(super) green: Option<f64>,
    pub(super) yellow: Option<f64>,
    pub(super) red: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum TierMethod {
    Thresholds,
    Quantiles,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDimension {
    pub(super) id: String,
    pub(super) name_zh: String,
    pub(super) name_en: String,
    pub(super) weight: Option<f64>,
    pub(super) description: Option<String>,
    pub(super) aggregation: Option<Aggregation>,
    pub(super) weights: Option<method::WeightKind>,
    #[serde(default)]
    pub(super) comparisons: Vec<method::RawComparison>,
}

// ------------------------------------------------------------- datapoints/

/// A file of `datapoints/`: its entries are read one by one, by kind (see
/// [`parse_datapoints`]); here only the file's own keys are checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataPointFile {
    #[serde(default, rename = "datapoint")]
    _datapoints: Vec<IgnoredAny>,
}

/// A `[[datapoint]]` entry: an SQL data point when it has an `sql` key,
/// else an aggregate one.
#[derive(Debug)]
pub(super) enum RawDataPoint {
    Aggregate(RawAggregateDataPoint),
    Sql(RawSqlDataPoint),
}

impl RawDataPoint {
    pub(super) fn id(&self) -> &str {
        match self {
            RawDataPoint::Aggregate(d) => &d.id,
            RawDataPoint::Sql(d) => &d.id,
        }
    }
}

/// A data point summarising the rows of one source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAggregateDataPoint {
    pub(super) id: String,
    pub(super) name_zh: String,
    pub(super) name_en: String,
    pub(super) description: Option<String>,
    pub(super) source: Option<String>,
    pub(super) aggregate: Option<Aggregate>,
    pub(super) column: Option<String>,
    pub(super) days_from: Option<String>,
    pub(super) days_to: Option<String>,
    pub(super) open_until: Option<OpenUntil>,
    pub(super) filter: Option<String>,
    pub(super) window: Option<Window>,
    /// Keys only an SQL data point takes, found here (see [`SQL_ONLY`]).
    #[serde(skip)]
    pub(super) misplaced: Vec<&'static str>,
}

/// A data point read from a column of an SQL file's result.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSqlDataPoint {
    pub(super) id: String,
    pub(super) name_zh: String,
    pub(super) name_en: String,
    pub(super) description: Option<String>,
    pub(super) column: Option<String>,
    pub(super) window: Option<Window>,
    pub(super) sql: String,
    pub(super) missing: Option<Missing>,
    /// Keys only an aggregate data point takes, found here (see
    /// [`AGGREGATE_ONLY`]).
    #[serde(skip)]
    pub(super) misplaced: Vec<&'static str>,
}

/// The keys only an aggregate data point takes, in the order an SQL data
/// point that has them is told so.
const AGGREGATE_ONLY: [&str; 6] = [
    "source",
    "aggregate",
    "filter",
    "days_from",
    "days_to",
    "open_until",
];

/// The keys only an SQL data point takes (besides `sql`, which makes one).
const SQL_ONLY: [&str; 1] = ["missing"];

/// Reads a file of `datapoints/`. Each entry is read as the struct of its
/// kind, chosen by its `sql` key, so a key neither kind takes is refused by
/// serde with the entry's path. A key of the other kind is taken off first
/// and kept in `misplaced`, for the validator to say which kind takes it
/// (the entry's other problems are found as well).
///
/// The entries are taken from the TOML parser's own tree (`DeTable`), not
/// from a `toml::Value`, so each deserializes exactly as it would within
/// the whole file: the same messages, the same types accepted.
pub(super) fn parse_datapoints(
    name: &str,
    text: &str,
) -> Result<Vec<RawDataPoint>, FrameworkProblem> {
    let root = DeTable::parse(text)
        .map_err(|e| At::file(name).problem(ProblemKind::Syntax, e.to_string()))?;
    let _: RawDataPointFile = read(name, None, toml::Deserializer::from(root.clone()))?;
    let Some(DeValue::Array(entries)) = root.get_ref().get("datapoint").map(Spanned::get_ref)
    else {
        return Ok(Vec::new());
    };
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| read_datapoint(name, &format!("datapoint[{i}]"), entry.clone()))
        .collect()
}

/// The entry at `at` (`datapoint[3]`) of the file `name`, by its kind.
fn read_datapoint(
    name: &str,
    at: &str,
    mut entry: Spanned<DeValue<'_>>,
) -> Result<RawDataPoint, FrameworkProblem> {
    let is_sql = matches!(entry.get_ref(), DeValue::Table(t) if t.contains_key("sql"));
    let other_kind: &[&'static str] = if is_sql { &AGGREGATE_ONLY } else { &SQL_ONLY };
    let mut misplaced = Vec::new();
    if let DeValue::Table(t) = entry.get_mut() {
        misplaced.extend(other_kind.iter().filter(|key| t.remove(**key).is_some()));
    }
    let de = ValueDeserializer::from(entry);
    Ok(if is_sql {
        RawDataPoint::Sql(RawSqlDataPoint {
            misplaced,
            ..read(name, Some(at), de)?
        })
    } else {
        RawDataPoint::Aggregate(RawAggregateDataPoint {
            misplaced,
            ..read(name, Some(at), de)?
        })
    })
}

// ------------------------------------------------------------ definitions/

/// A file of `definitions/`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIndicatorFile {
    #[serde(default, rename = "indicator")]
    pub(super) indicators: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIndicator {
    pub(super) id: String,
    pub(super) dimension: String,
    pub(super) name_zh: String,
    pub(super) name_en: String,
    pub(super) definition: String,
    pub(super) formula: Formula,
    pub(super) numerator: String,
    pub(super) denominator: Option<String>,
    pub(super) basis: Option<String>,
    pub(super) min_denominator: Option<f64>,
    pub(super) direction: Direction,
    pub(super) target: Option<f64>,
    pub(super) weight: Option<f64>,
    pub(super) unit: Option<String>,
    pub(super) rationale: Option<String>,
    #[serde(default)]
    pub(super) sources: Vec<String>,
    pub(super) exclusions: Option<String>,
    pub(super) example: Option<RawExample>,
    pub(super) normalisation: Option<method::NormalisationKind>,
    pub(super) goalposts: Option<method::RawGoalposts>,
    pub(super) deduction: Option<method::RawDeduction>,
    pub(super) treatment: Option<method::TreatmentKind>,
    pub(super) shrinkage: Option<Shrinkage>,
    pub(super) imputation: Option<method::ImputationKind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExample {
    pub(super) text: String,
    pub(super) numerator: f64,
    pub(super) denominator: Option<f64>,
    pub(super) value: f64,
}

// ------------------------------------------------------------------ reading

/// Reads `text`, the file `name` of the framework, as `T`.
pub(super) fn parse<T: DeserializeOwned>(name: &str, text: &str) -> Result<T, FrameworkProblem> {
    let root = DeTable::parse(text)
        .map_err(|e| At::file(name).problem(ProblemKind::Syntax, e.to_string()))?;
    read(name, None, toml::Deserializer::from(root))
}

/// Deserializes `T` from the file `name`, the first key serde refuses
/// reported by its path, under `prefix` for an entry read on its own.
fn read<'de, T: Deserialize<'de>>(
    name: &str,
    prefix: Option<&str>,
    de: impl serde::Deserializer<'de, Error = toml::de::Error>,
) -> Result<T, FrameworkProblem> {
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.path();
        let path = match prefix {
            None => inner.to_string(),
            Some(p) if inner.iter().next().is_none() => p.to_string(),
            Some(p) => format!("{p}.{inner}"),
        };
        At::file(name)
            .key(&path)
            .problem(ProblemKind::Syntax, e.into_inner().message())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

    use super::*;

    const AGGREGATE: &str = "id = \"a\"\nname_zh = \"a\"\nname_en = \"a\"\nsource = \"petitions\"\naggregate = \"count\"\n";
    const SQL: &str = "id = \"s\"\nname_zh = \"s\"\nname_en = \"s\"\nsql = \"s.sql\"\n";

    fn file(entries: &[&str]) -> String {
        entries
            .iter()
            .map(|e| format!("[[datapoint]]\n{e}\n"))
            .collect()
    }

    #[test]
    fn the_sql_key_chooses_the_kind() {
        let dps = parse_datapoints("datapoints/x.toml", &file(&[AGGREGATE, SQL])).unwrap();
        assert!(
            matches!(&dps[0], RawDataPoint::Aggregate(d) if d.id == "a" && d.misplaced.is_empty())
        );
        assert!(matches!(&dps[1], RawDataPoint::Sql(d) if d.id == "s" && d.sql == "s.sql"));
    }

    #[test]
    fn keys_of_the_other_kind_are_kept_for_the_validator() {
        let sql = format!("{SQL}filter = \"x > 1\"\nsource = \"trading\"\n");
        let aggregate = format!("{AGGREGATE}missing = \"zero\"\n");
        let dps = parse_datapoints("datapoints/x.toml", &file(&[&sql, &aggregate])).unwrap();
        let RawDataPoint::Sql(s) = &dps[0] else {
            panic!("{dps:?}")
        };
        assert_eq!(s.misplaced, ["source", "filter"]);
        let RawDataPoint::Aggregate(a) = &dps[1] else {
            panic!("{dps:?}")
        };
        assert_eq!(a.misplaced, ["missing"]);
    }

    #[test]
    fn an_entry_is_refused_by_its_path_in_the_file() {
        let problem = |text: &str| parse_datapoints("datapoints/x.toml", text).unwrap_err();
        let p = problem(&file(&[AGGREGATE, &format!("{AGGREGATE}fiter = 1")]));
        assert_eq!(p.kind, ProblemKind::Syntax);
        assert_eq!(p.file.as_deref(), Some("datapoints/x.toml"));
        assert_eq!(p.path.as_deref(), Some("datapoint[1].fiter"));
        assert!(p.message.starts_with("unknown field `fiter`"), "{p}");
        // An SQL data point lists its own keys.
        let p = problem(&file(&[&format!("{SQL}bogus = 1")]));
        assert!(p.message.ends_with("`sql`, `missing`"), "{p}");
        // A missing key is at the entry; a mis-typed value at its key.
        let p = problem(&file(&["id = \"a\""]));
        assert_eq!(
            p.to_string(),
            "datapoints/x.toml: datapoint[0]: missing field `name_zh`"
        );
        let p = problem(&file(&[&SQL.replace("\"s.sql\"", "5")]));
        assert_eq!(
            p.to_string(),
            "datapoints/x.toml: datapoint[0].sql: invalid type: integer `5`, expected a string"
        );
        // The file's own keys.
        let p = problem("[extra]\na = 1\n");
        assert_eq!(p.path.as_deref(), Some("extra"));
        let p = problem("datapoint = [");
        assert_eq!((p.kind, p.path), (ProblemKind::Syntax, None));
    }
}

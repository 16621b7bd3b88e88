//! Compiling aggregate data points into SQL: the parameters that bind each
//! quarter's bounds (by name, never pasted into SQL), the predicate of each
//! window, the expression of each aggregate, and the query that computes a
//! source's data points for every quarter in one scan ([`compile_for`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Date32Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;

use datafusion::common::{ParamValues, ScalarValue};

use crate::contract::{self, Table};
use crate::framework::{
    Aggregate, DataPoint, DataPointSpec, Framework, OpenUntil, Parameter, Window,
};
use crate::period::Quarter;

/// The exact type sums and means are computed in (yuan to 1/10000).
const EXACT: &str = "DECIMAL(38, 4)";

/// One source's compiled query.
#[derive(Debug, Clone)]
pub struct CompiledSource {
    pub source: &'static Table,
    /// Data point ids, in column order within each quarter.
    pub datapoints: Vec<String>,
    /// Quarters computed (the assessed one and those before it).
    pub quarters: usize,
    pub sql: String,
}

/// The quarter's bounds, by parameter name ([`QUARTER_PARAMETERS`]).
pub fn quarter_dates(quarter: Quarter) -> [(&'static str, chrono::NaiveDate); 6] {
    let last = quarter.end().pred_opt().expect("a quarter has a last day");
    [
        ("quarter_start", quarter.start()),
        ("quarter_end", quarter.end()),
        ("quarter_last", last),
        ("previous_start", quarter.previous().start()),
        ("trailing_start", quarter.offset(-4).start()),
        ("year_start", quarter.offset(-3).start()),
    ]
}

/// The table an SQL data point file reads to compute every quarter of the
/// run at once: one row per quarter, its name (`quarter`, e.g. `2026Q3`)
/// and its bounds under the names of the quarter parameters
/// (`quarter_start`, `quarter_end`, …).
pub const QUARTERS_TABLE: &str = "quarters";

/// The [`QUARTERS_TABLE`] of `quarters`.
pub fn quarters_batch(quarters: &[Quarter]) -> RecordBatch {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a date");
    let day = |d: chrono::NaiveDate| i32::try_from((d - epoch).num_days()).unwrap_or(i32::MAX);
    let mut fields = vec![Field::new("quarter", DataType::Utf8, false)];
    let mut columns: Vec<ArrayRef> = vec![Arc::new(StringArray::from_iter_values(
        quarters.iter().map(ToString::to_string),
    ))];
    for (i, (name, _)) in quarter_dates(Quarter::new(2000, 1).expect("a quarter"))
        .iter()
        .enumerate()
    {
        fields.push(Field::new(*name, DataType::Date32, false));
        columns.push(Arc::new(Date32Array::from_iter_values(
            quarters.iter().map(|q| day(quarter_dates(*q)[i].1)),
        )));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .expect("the quarters table's columns match its schema")
}

/// The named parameters bound to every framework query: the quarter's
/// bounds and the framework's own `[[parameter]]`s (as Float64).
pub fn parameters(quarter: Quarter, framework: &[Parameter]) -> ParamValues {
    let day = |d: chrono::NaiveDate| {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a date");
        ScalarValue::Date32(Some(
            i32::try_from((d - epoch).num_days()).unwrap_or(i32::MAX),
        ))
    };
    let map = quarter_dates(quarter).map(|(k, d)| (k, day(d)));
    ParamValues::Map(
        map.into_iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .chain(
                framework
                    .iter()
                    .map(|p| (p.id.clone(), ScalarValue::Float64(Some(p.value)).into())),
            )
            .collect(),
    )
}

/// The parameters that move with the assessed quarter. A query over
/// several quarters binds them once per quarter, the `k`-th quarter back
/// with the suffix `__k` (`$quarter_end__1`); the framework's own
/// parameters are shared.
pub const QUARTER_PARAMETERS: [&str; 6] = crate::framework::PERIOD_PARAMETERS;

/// The suffix of the `k`-th quarter back: none for the assessed quarter.
fn suffix(k: usize) -> String {
    if k == 0 {
        String::new()
    } else {
        format!("__{k}")
    }
}

/// `text` with every quarter parameter (`$quarter_end`, …) given the suffix
/// of the `k`-th quarter back.
pub fn shift_quarter_parameters(text: &str, k: usize) -> String {
    if k == 0 {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..len];
        out.push_str(name);
        if QUARTER_PARAMETERS.contains(&name) {
            out.push_str(&suffix(k));
        }
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

/// The parameters of several quarters at once (see [`QUARTER_PARAMETERS`]).
pub fn parameters_of(quarters: &[Quarter], framework: &[Parameter]) -> ParamValues {
    let mut map = std::collections::HashMap::new();
    for (k, q) in quarters.iter().enumerate() {
        if let ParamValues::Map(m) = parameters(*q, framework) {
            for (name, v) in m {
                if QUARTER_PARAMETERS.contains(&name.as_str()) {
                    map.insert(format!("{name}{}", suffix(k)), v);
                } else {
                    map.insert(name, v);
                }
            }
        }
    }
    ParamValues::Map(map)
}

/// The rows of `source` that fall in `window` for the `k`-th quarter back.
fn window_predicate(source: &Table, window: Window, k: usize) -> String {
    let e = format!("\"{}\"", source.event_date.unwrap_or("start_date"));
    let predicate = match window {
        Window::Quarter => format!("{e} >= $quarter_start AND {e} < $quarter_end"),
        Window::PreviousQuarter => format!("{e} >= $previous_start AND {e} < $quarter_start"),
        Window::Trailing4q => format!("{e} >= $trailing_start AND {e} < $quarter_start"),
        Window::RollingYear => format!("{e} >= $year_start AND {e} < $quarter_end"),
        Window::ToDate => format!("{e} < $quarter_end"),
        Window::Active => {
            "\"start_date\" < $quarter_end AND (\"end_date\" IS NULL OR \"end_date\" >= $quarter_start)".into()
        }
    };
    shift_quarter_parameters(&predicate, k)
}

/// How aggregate data points become queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// One query per source: every data point and quarter in one scan.
    Fused,
    /// One query per data point (for the benchmark's comparison).
    Naive,
}

/// The aggregate expression of one data point for the `k`-th quarter back,
/// and its window; `None` for data points that are not aggregates.
fn aggregate_expr(source: &Table, spec: &DataPointSpec, k: usize) -> Option<(String, Window)> {
    let DataPointSpec::Aggregate {
        aggregate,
        column,
        days,
        filter,
        window,
        ..
    } = spec
    else {
        return None;
    };
    let mut cond = window_predicate(source, *window, k);
    if let Some(f) = filter {
        cond = format!("{cond} AND ({})", shift_quarter_parameters(f, k));
    }
    let last = format!("$quarter_last{}", suffix(k));
    let col = |c: &Option<String>| format!("\"{}\"", c.as_deref().unwrap_or_default());
    let expr = match aggregate {
        Aggregate::Count => format!("COUNT(CASE WHEN {cond} THEN 1 END)"),
        Aggregate::CountDistinct => {
            format!("COUNT(DISTINCT CASE WHEN {cond} THEN {} END)", col(column))
        }
        // Sums and means in exact decimal arithmetic: a float sum
        // depends on the order rows arrive in, which depends on the
        // number of threads; outputs must not.
        Aggregate::Sum => format!(
            "SUM(CASE WHEN {cond} THEN CAST({} AS {EXACT}) END)",
            col(column)
        ),
        Aggregate::Mean => {
            let x = format!("CASE WHEN {cond} THEN CAST({} AS {EXACT}) END", col(column));
            format!("CAST(SUM({x}) AS DOUBLE) / CAST(COUNT({x}) AS DOUBLE)")
        }
        Aggregate::Min => format!(
            "MIN(CASE WHEN {cond} THEN CAST({} AS DOUBLE) END)",
            col(column)
        ),
        Aggregate::Max => format!(
            "MAX(CASE WHEN {cond} THEN CAST({} AS DOUBLE) END)",
            col(column)
        ),
        Aggregate::MeanDays | Aggregate::MinDays | Aggregate::MaxDays => {
            // Validation guarantees the day columns of a days aggregate.
            days_expr(*aggregate, days.as_ref()?, cond, &last)
        }
    };
    Some((expr, *window))
}

/// The expression of a days aggregate (mean, min or max of the days from
/// one date column to another) over the rows where `cond` holds; `last` is
/// the quarter's last day, where items still open end.
fn days_expr(
    aggregate: Aggregate,
    (from, to, open): &(String, String, OpenUntil),
    cond: String,
    last: &str,
) -> String {
    let (end, cond) = match open {
        // As of the quarter's last day: independent of when the data was extracted.
        OpenUntil::QuarterEnd => (
            format!(
                "CASE WHEN \"{to}\" IS NULL OR \"{to}\" > {last} THEN {last} ELSE \"{to}\" END"
            ),
            cond,
        ),
        OpenUntil::Exclude => (
            format!("\"{to}\""),
            format!("{cond} AND \"{to}\" IS NOT NULL"),
        ),
    };
    let days = format!("CASE WHEN {cond} THEN CAST({end} - \"{from}\" AS BIGINT) END");
    match aggregate {
        Aggregate::MeanDays => {
            format!("CAST(SUM({days}) AS DOUBLE) / CAST(COUNT({days}) AS DOUBLE)")
        }
        Aggregate::MinDays => format!("MIN({days})"),
        _ => format!("MAX({days})"),
    }
}

/// Compiles the aggregate data points of each source into one query for
/// the assessed quarter.
pub fn compile(framework: &Framework) -> Vec<CompiledSource> {
    compile_for(framework, 1, Plan::Fused)
}

/// Compiles the aggregate data points for `quarters` quarters (the
/// assessed one and those before it): with [`Plan::Fused`] one query per
/// source, one scan for every data point and quarter. The columns are
/// `village_code`, then per quarter back `k` every data point in order,
/// named `<id>` for the assessed quarter and `<id>__<k>` before it.
pub fn compile_for(framework: &Framework, quarters: usize, plan: Plan) -> Vec<CompiledSource> {
    let quarters = quarters.max(1);
    let mut out = Vec::new();
    for source in contract::sources() {
        let dps: Vec<&DataPoint> = framework
            .datapoints
            .iter()
            .filter(|dp| {
                matches!(&dp.spec, DataPointSpec::Aggregate { source: s, .. } if s.name == source.name)
            })
            .collect();
        let groups: Vec<Vec<&DataPoint>> = match plan {
            Plan::Fused if dps.is_empty() => Vec::new(),
            Plan::Fused => vec![dps],
            Plan::Naive => dps.into_iter().map(|d| vec![d]).collect(),
        };
        out.extend(
            groups
                .iter()
                .filter_map(|group| compile_group(source, group, quarters)),
        );
    }
    out
}

/// The one query that computes `group`, data points of `source`, for
/// `quarters` quarters; `None` when none of them is an aggregate.
fn compile_group(
    source: &'static Table,
    group: &[&DataPoint],
    quarters: usize,
) -> Option<CompiledSource> {
    let mut columns = Vec::new();
    let mut ids = Vec::new();
    let mut windows = BTreeSet::new();
    for k in 0..quarters {
        for dp in group {
            let Some((expr, window)) = aggregate_expr(source, &dp.spec, k) else {
                continue;
            };
            windows.insert((window, k));
            columns.push(format!(
                "  CAST({expr} AS DOUBLE) AS \"{}{}\"",
                dp.id,
                suffix(k)
            ));
            if k == 0 {
                ids.push(dp.id.clone());
            }
        }
    }
    if ids.is_empty() {
        return None;
    }
    // The scan reads only the rows some window needs.
    let mut scan: Vec<String> = Vec::new();
    for (w, k) in &windows {
        let p = format!("({})", window_predicate(source, *w, *k));
        if !scan.contains(&p) {
            scan.push(p);
        }
    }
    let scan = scan.join("\n   OR ");
    let sql = format!(
        "SELECT \"village_code\",\n{}\nFROM {}\nWHERE {scan}\nGROUP BY \"village_code\"",
        columns.join(",\n"),
        source.name
    );
    Some(CompiledSource {
        source,
        datapoints: ids,
        quarters,
        sql,
    })
}

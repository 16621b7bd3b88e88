//! Data points: the framework's raw measurements per village for the
//! assessed quarter. Aggregate data points of one source compile into one
//! query (one scan per source); SQL data points run their file once. The
//! quarter's bounds are bound as named parameters, never pasted into SQL.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::config::Dialect;
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;

use crate::contract::{self, Table};
use crate::error::{Error, Result};
use crate::framework::{
    Aggregate, Builtin, DataPointSpec, Framework, Missing, OpenUntil, Parameter, Window,
};
use crate::ingest::Ingested;
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

/// The exact type sums and means are computed in (yuan to 1/10000).
const EXACT: &str = "DECIMAL(38, 4)";

/// One source's compiled query.
#[derive(Debug, Clone)]
pub struct CompiledSource {
    pub source: &'static Table,
    /// Data point ids, in column order.
    pub datapoints: Vec<String>,
    pub sql: String,
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
    let last = quarter.end().pred_opt().expect("a quarter has a last day");
    let map = [
        ("quarter_start", day(quarter.start())),
        ("quarter_end", day(quarter.end())),
        ("quarter_last", day(last)),
        ("previous_start", day(quarter.previous().start())),
        ("trailing_start", day(quarter.offset(-4).start())),
        ("year_start", day(quarter.offset(-3).start())),
    ];
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

/// Options under which framework SQL runs: queries only.
pub fn framework_sql_options() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

fn window_predicate(source: &Table, window: Window) -> String {
    let e = format!("\"{}\"", source.event_date.unwrap_or("start_date"));
    match window {
        Window::Quarter => format!("{e} >= $quarter_start AND {e} < $quarter_end"),
        Window::PreviousQuarter => format!("{e} >= $previous_start AND {e} < $quarter_start"),
        Window::Trailing4q => format!("{e} >= $trailing_start AND {e} < $quarter_start"),
        Window::RollingYear => format!("{e} >= $year_start AND {e} < $quarter_end"),
        Window::ToDate => format!("{e} < $quarter_end"),
        Window::Active => {
            "\"start_date\" < $quarter_end AND (\"end_date\" IS NULL OR \"end_date\" >= $quarter_start)".into()
        }
    }
}

/// Compiles the aggregate data points of each source into one query.
pub fn compile(framework: &Framework) -> Vec<CompiledSource> {
    let mut out = Vec::new();
    for source in contract::sources() {
        let mut columns = Vec::new();
        let mut ids = Vec::new();
        let mut windows = BTreeSet::new();
        for dp in &framework.datapoints {
            let DataPointSpec::Aggregate {
                source: s,
                aggregate,
                column,
                days,
                filter,
                window,
            } = &dp.spec
            else {
                continue;
            };
            if s.name != source.name {
                continue;
            }
            windows.insert(*window);
            let mut cond = window_predicate(source, *window);
            if let Some(f) = filter {
                cond = format!("{cond} AND ({f})");
            }
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
                    let Some((from, to, open)) = days else {
                        continue;
                    };
                    let (end, cond) = match open {
                        // As of the quarter's last day: independent of when the data was extracted.
                        OpenUntil::QuarterEnd => (
                            format!(
                                "CASE WHEN \"{to}\" IS NULL OR \"{to}\" > $quarter_last THEN $quarter_last ELSE \"{to}\" END"
                            ),
                            cond,
                        ),
                        OpenUntil::Exclude => (
                            format!("\"{to}\""),
                            format!("{cond} AND \"{to}\" IS NOT NULL"),
                        ),
                    };
                    let days =
                        format!("CASE WHEN {cond} THEN CAST({end} - \"{from}\" AS BIGINT) END");
                    match aggregate {
                        Aggregate::MeanDays => {
                            format!("CAST(SUM({days}) AS DOUBLE) / CAST(COUNT({days}) AS DOUBLE)")
                        }
                        Aggregate::MinDays => format!("MIN({days})"),
                        _ => format!("MAX({days})"),
                    }
                }
            };
            columns.push(format!("  CAST({expr} AS DOUBLE) AS \"{}\"", dp.id));
            ids.push(dp.id.clone());
        }
        if ids.is_empty() {
            continue;
        }
        let scan = windows
            .iter()
            .map(|w| format!("({})", window_predicate(source, *w)))
            .collect::<Vec<_>>()
            .join("\n   OR ");
        let sql = format!(
            "SELECT \"village_code\",\n{}\nFROM {}\nWHERE {scan}\nGROUP BY \"village_code\"",
            columns.join(",\n"),
            source.name
        );
        out.push(CompiledSource {
            source,
            datapoints: ids,
            sql,
        });
    }
    out
}

/// Reads the villages (sorted by code).
pub async fn read_villages(ctx: &SessionContext) -> Result<Vec<Village>> {
    let batches = ctx
        .sql(
            "SELECT village_code, village_name, township_code, township_name, population, households, unit_type \
             FROM villages ORDER BY village_code",
        )
        .await
        .map_err(Error::query("reading villages"))?
        .collect()
        .await
        .map_err(Error::query("reading villages"))?;
    let mut out = Vec::new();
    for b in &batches {
        let s = |i: usize| strings(b, i);
        let (code, name, tc, tn, ut) = (s(0)?, s(1)?, s(2)?, s(3)?, s(6)?);
        let pop = b.column(4).as_primitive_opt::<Int64Type>();
        let hh = b.column(5).as_primitive_opt::<Int64Type>();
        let (Some(pop), Some(hh)) = (pop, hh) else {
            return Err(Error::Output {
                context: "reading villages".into(),
                message: "population or households is not Int64".into(),
            });
        };
        for r in 0..b.num_rows() {
            out.push(Village {
                code: code[r].clone(),
                name: name[r].clone(),
                township_code: tc[r].clone(),
                township_name: tn[r].clone(),
                population: pop.value(r),
                households: hh.value(r),
                unit_type: ut[r].clone(),
            });
        }
    }
    Ok(out)
}

fn strings(b: &RecordBatch, i: usize) -> Result<Vec<String>> {
    let col = datafusion::arrow::compute::cast(b.column(i), &DataType::Utf8).map_err(|e| {
        Error::Output {
            context: "reading strings".into(),
            message: e.to_string(),
        }
    })?;
    let arr = col.as_string::<i32>();
    Ok((0..arr.len())
        .map(|r| {
            if arr.is_null(r) {
                String::new()
            } else {
                arr.value(r).to_string()
            }
        })
        .collect())
}

fn doubles(b: &RecordBatch, i: usize, context: &str) -> Result<Vec<Option<f64>>> {
    let col = datafusion::arrow::compute::cast(b.column(i), &DataType::Float64).map_err(|e| {
        Error::Output {
            context: context.into(),
            message: e.to_string(),
        }
    })?;
    let arr = col.as_primitive::<Float64Type>();
    Ok((0..arr.len())
        .map(|r| (!arr.is_null(r)).then(|| arr.value(r)))
        .collect())
}

/// How many partitions a framework query may run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partitions {
    /// The session's setting: for compiled queries, whose arithmetic is exact.
    Session,
    /// One: for analyst-written SQL, whose float sums would otherwise depend
    /// on the order rows arrive in, and so on the number of threads.
    One,
}

/// Runs one query with the quarter's parameters bound.
async fn run_query(
    ctx: &SessionContext,
    sql: &str,
    params: &ParamValues,
    context: &str,
    partitions: Partitions,
) -> Result<Vec<RecordBatch>> {
    let single;
    let ctx = match partitions {
        Partitions::Session => ctx,
        Partitions::One => {
            let mut state = ctx.state();
            state.config_mut().options_mut().execution.target_partitions = 1;
            single = SessionContext::new_with_state(state);
            &single
        }
    };
    let df = ctx
        .sql_with_options(sql, framework_sql_options())
        .await
        .map_err(Error::query(context.to_string()))?
        .with_param_values(params.clone())
        .map_err(Error::query(context.to_string()))?;
    df.collect()
        .await
        .map_err(Error::query(context.to_string()))
}

/// The canonical tables an SQL text reads.
pub fn tables_read(ctx: &SessionContext, sql: &str) -> datafusion::error::Result<Vec<String>> {
    let state = ctx.state();
    let stmt = state.sql_to_statement(sql, &Dialect::Generic)?;
    let mut names: Vec<String> = state
        .resolve_table_references(&stmt)?
        .into_iter()
        .map(|t| t.table().to_string())
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Computes every data point of the framework for `quarter`.
pub async fn compute(
    ctx: &SessionContext,
    framework: &Framework,
    ingested: &Ingested,
    quarter: Quarter,
) -> Result<DataPointTable> {
    let villages = read_villages(ctx).await?;
    let index: BTreeMap<&str, usize> = villages
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code.as_str(), i))
        .collect();
    let n = villages.len();
    let mut values: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    let mut availability = BTreeMap::new();
    let spans = source_spans(ingested);
    let params = parameters(quarter, &framework.parameters);
    let covers = |source: &str, window: Window| {
        let (a, b) = window_quarters(window, quarter);
        spans
            .get(source)
            .is_some_and(|&(first, last)| first <= a && b <= last)
    };

    for dp in &framework.datapoints {
        if let DataPointSpec::Builtin(b) = dp.spec {
            let v = villages
                .iter()
                .map(|v| {
                    Some(match b {
                        Builtin::Population => v.population as f64,
                        Builtin::Households => v.households as f64,
                    })
                })
                .collect();
            values.insert(dp.id.clone(), v);
            availability.insert(dp.id.clone(), Availability::Available);
        }
    }

    for compiled in compile(framework) {
        let present = ingested.is_present(compiled.source.name);
        let context = format!("computing the data points of {}", compiled.source.name);
        let mut cols: Vec<Vec<Option<f64>>> = compiled
            .datapoints
            .iter()
            .map(|id| {
                let zero = framework
                    .datapoint(id)
                    .is_some_and(|d| matches!(d.spec, DataPointSpec::Aggregate { aggregate, .. } if aggregate.zero_when_empty()));
                vec![(present && zero).then_some(0.0); n]
            })
            .collect();
        if present {
            let started = std::time::Instant::now();
            let batches =
                run_query(ctx, &compiled.sql, &params, &context, Partitions::Session).await?;
            tracing::info!(
                source = compiled.source.name,
                ms = started.elapsed().as_millis() as u64,
                "aggregate data points"
            );
            for b in &batches {
                let codes = strings(b, 0)?;
                for (j, col) in cols.iter_mut().enumerate() {
                    let vals = doubles(b, j + 1, &context)?;
                    for (code, v) in codes.iter().zip(vals) {
                        if let (Some(&i), Some(v)) = (index.get(code.as_str()), v) {
                            col[i] = Some(v);
                        }
                    }
                }
            }
        }
        for (id, col) in compiled.datapoints.iter().zip(cols) {
            let window = match framework.datapoint(id).map(|d| &d.spec) {
                Some(DataPointSpec::Aggregate { window, .. }) => *window,
                _ => Window::Quarter,
            };
            let source = compiled.source.name;
            let (col, status) = if !present {
                (col, Availability::SourceAbsent(source.into()))
            } else if !covers(source, window) {
                (vec![None; n], Availability::NotCovered(source.into()))
            } else {
                (col, Availability::Available)
            };
            values.insert(id.clone(), col);
            availability.insert(id.clone(), status);
        }
    }

    // SQL data points: each file runs once.
    for (file, sql, dps) in sql_files(framework) {
        let context = format!("running sql/{file}");
        let reads = tables_read(ctx, sql).map_err(|e| Error::Framework {
            dir: framework.dir.clone(),
            problems: vec![format!("sql/{file}: {e}")],
        })?;
        let absent: Vec<&String> = reads
            .iter()
            .filter(|t| ingested.report(t).is_some_and(|r| !r.is_present()))
            .collect();
        if let Some(t) = absent.first() {
            for (id, _, _) in &dps {
                values.insert(id.to_string(), vec![None; n]);
                availability.insert(id.to_string(), Availability::SourceAbsent(t.to_string()));
            }
            continue;
        }
        // Every source the file reads must cover the window its data points declare.
        let uncovered = |id: &str| {
            let window = match framework.datapoint(id).map(|d| &d.spec) {
                Some(DataPointSpec::Sql { window, .. }) => *window,
                _ => Window::Quarter,
            };
            reads
                .iter()
                .filter_map(|t| contract::table(t).filter(|t| t.is_source()))
                .find(|t| !covers(t.name, window))
                .map(|t| t.name)
        };
        let started = std::time::Instant::now();
        let batches = run_query(ctx, sql, &params, &context, Partitions::One)
            .await
            .inspect(|_| {
                tracing::info!(file = %file, ms = started.elapsed().as_millis() as u64, "sql data point");
            })
            .map_err(|e| match e {
                Error::Query { source, .. } => Error::Framework {
                    dir: framework.dir.clone(),
                    problems: vec![format!("sql/{file}: {source}")],
                },
                other => other,
            })?;
        let schema = match batches.first() {
            Some(b) => b.schema(),
            None => {
                // No rows: plan again for the schema.
                let df = ctx
                    .sql_with_options(sql, framework_sql_options())
                    .await
                    .map_err(Error::query(context.clone()))?;
                std::sync::Arc::new(df.schema().as_arrow().clone())
            }
        };
        let problems = check_sql_schema(file, &schema, &dps);
        if !problems.is_empty() {
            return Err(Error::Framework {
                dir: framework.dir.clone(),
                problems,
            });
        }
        let vc = schema.index_of("village_code").unwrap_or(0);
        let mut seen = BTreeSet::new();
        let mut cols: Vec<Vec<Option<f64>>> = dps
            .iter()
            .map(|(_, _, missing)| vec![(*missing == Missing::Zero).then_some(0.0); n])
            .collect();
        for b in &batches {
            let codes = strings(b, vc)?;
            for code in &codes {
                if !seen.insert(code.clone()) {
                    return Err(Error::Framework {
                        dir: framework.dir.clone(),
                        problems: vec![format!(
                            "sql/{file}: returns more than one row for one village_code; GROUP BY village_code"
                        )],
                    });
                }
            }
            for (j, (_, column, _)) in dps.iter().enumerate() {
                let idx = schema.index_of(column).unwrap_or(0);
                for (code, v) in codes.iter().zip(doubles(b, idx, &context)?) {
                    if let Some(&i) = index.get(code.as_str()) {
                        // A returned NULL is unavailable; only absent villages get `missing`.
                        cols[j][i] = v;
                    }
                }
            }
        }
        for ((id, _, _), col) in dps.iter().zip(cols) {
            match uncovered(id) {
                Some(source) => {
                    values.insert(id.to_string(), vec![None; n]);
                    availability.insert(id.to_string(), Availability::NotCovered(source.into()));
                }
                None => {
                    values.insert(id.to_string(), col);
                    availability.insert(id.to_string(), Availability::Available);
                }
            }
        }
    }
    Ok(DataPointTable {
        quarter,
        villages,
        values,
        availability,
    })
}

/// Problems with the columns an SQL data point file returns.
fn check_sql_schema(
    file: &str,
    schema: &datafusion::arrow::datatypes::Schema,
    dps: &[SqlDataPoint<'_>],
) -> Vec<String> {
    let mut problems = Vec::new();
    if schema.index_of("village_code").is_err() {
        problems.push(format!(
            "sql/{file}: returns no `village_code` column (it returns {})",
            field_names(schema)
        ));
    }
    for (id, column, _) in dps {
        match schema.field_with_name(column) {
            Err(_) => problems.push(format!(
                "sql/{file}: data point '{id}' reads column `{column}`, which the query does not return (it returns {})",
                field_names(schema)
            )),
            Ok(f) if !f.data_type().is_numeric() => problems.push(format!(
                "sql/{file}: column `{column}` of data point '{id}' is {}, not numeric",
                f.data_type()
            )),
            Ok(_) => {}
        }
    }
    problems
}

/// An SQL data point: id, column read, what an absent village gets.
type SqlDataPoint<'a> = (&'a str, &'a str, Missing);

/// An SQL file: name, text, its data points.
type SqlFile<'a> = (&'a str, &'a str, Vec<SqlDataPoint<'a>>);

/// SQL data point files with their text and data points, by file name.
fn sql_files(framework: &Framework) -> Vec<SqlFile<'_>> {
    let mut by_file: BTreeMap<&str, Vec<SqlDataPoint<'_>>> = BTreeMap::new();
    for dp in &framework.datapoints {
        if let DataPointSpec::Sql {
            file,
            column,
            missing,
            ..
        } = &dp.spec
        {
            by_file
                .entry(file)
                .or_default()
                .push((&dp.id, column, *missing));
        }
    }
    by_file
        .into_iter()
        .map(|(file, dps)| {
            let sql = framework
                .sql
                .get(file)
                .map(String::as_str)
                .unwrap_or_default();
            (file, sql, dps)
        })
        .collect()
}

/// Plans every query of the framework against empty canonical tables, so a
/// filter naming a missing column, an SQL file with a syntax error or the
/// wrong result columns is reported (all together, by data point and file)
/// before any data is read.
pub async fn check(framework: &Framework) -> Result<()> {
    let ctx = SessionContext::new();
    for t in contract::TABLES {
        crate::ingest::register_empty(&ctx, t)?;
    }
    let mut problems = Vec::new();
    let q = Quarter::new(2000, 1).expect("a valid quarter");
    let params = parameters(q, &framework.parameters);
    for dp in &framework.datapoints {
        if let DataPointSpec::Aggregate {
            source,
            filter: Some(f),
            ..
        } = &dp.spec
        {
            let sql = format!("SELECT COUNT(*) FROM {} WHERE ({f})", source.name);
            if let Err(e) = plan(&ctx, &sql, &params).await {
                problems.push(format!(
                    "data point '{}': filter `{f}`: {}",
                    dp.id,
                    first_line(&e)
                ));
            }
        }
    }
    if problems.is_empty() {
        for c in compile(framework) {
            if let Err(e) = plan(&ctx, &c.sql, &params).await {
                problems.push(format!(
                    "the compiled query of source {} (see `qinglian run --explain`): {}",
                    c.source.name,
                    first_line(&e)
                ));
            }
        }
    }
    let tables: Vec<&str> = contract::TABLES.iter().map(|t| t.name).collect();
    for (file, sql, dps) in sql_files(framework) {
        // Only the contract's tables: a file path, a URL or a name of the
        // engine's own is refused by name, before planning.
        if let Ok(reads) = tables_read(&ctx, sql) {
            let foreign: Vec<&String> = reads
                .iter()
                .filter(|t| !tables.contains(&t.as_str()))
                .collect();
            if !foreign.is_empty() {
                problems.push(format!(
                    "sql/{file}: reads {}, not a table of the data contract; SQL data points read only {}",
                    foreign
                        .iter()
                        .map(|t| format!("'{t}'"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    tables.join(", ")
                ));
                continue;
            }
        }
        match plan(&ctx, sql, &params).await {
            Err(e) => problems.push(format!("sql/{file}: {}", first_line(&e))),
            Ok(schema) => problems.extend(check_sql_schema(file, &schema, &dps)),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Framework {
            dir: framework.dir.clone(),
            problems,
        })
    }
}

async fn plan(
    ctx: &SessionContext,
    sql: &str,
    params: &ParamValues,
) -> datafusion::error::Result<datafusion::arrow::datatypes::Schema> {
    let df = ctx
        .sql_with_options(sql, framework_sql_options())
        .await?
        .with_param_values(params.clone())?;
    Ok(df.schema().as_arrow().clone())
}

fn first_line(e: &datafusion::error::DataFusionError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

fn field_names(schema: &datafusion::arrow::datatypes::Schema) -> String {
    schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first and last quarter each present source has valid events in (a
/// source without any has no span).
pub fn source_spans(ingested: &Ingested) -> BTreeMap<&'static str, (Quarter, Quarter)> {
    contract::sources()
        .filter_map(|t| ingested.report(t.name)?.event_quarters.map(|q| (t.name, q)))
        .collect()
}

/// The quarters a source must have events in for a data point over
/// `window` to count: the window's quarters and the assessed one.
pub fn window_quarters(window: Window, quarter: Quarter) -> (Quarter, Quarter) {
    match window {
        Window::Quarter | Window::ToDate | Window::Active => (quarter, quarter),
        Window::PreviousQuarter => (quarter.previous(), quarter),
        Window::Trailing4q => (quarter.offset(-4), quarter),
        Window::RollingYear => (quarter.offset(-3), quarter),
    }
}

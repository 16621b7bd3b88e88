//! Data points: the framework's raw measurements per village for the
//! assessed quarter and the quarters before it that the run scores.
//! Aggregate data points of one source compile into one query for all
//! those quarters (one scan per source); SQL data points run their file
//! once per quarter. The queries run concurrently. The quarters' bounds are
//! bound as named parameters, never pasted into SQL.

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
use crate::model::{Availability, DataPointTable, Village};
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

/// Options under which framework SQL runs: queries only.
pub fn framework_sql_options() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
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
            let (from, to, open) = days.as_ref()?;
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
    };
    Some((expr, *window))
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
        let dps: Vec<&crate::framework::DataPoint> = framework
            .datapoints
            .iter()
            .filter(|dp| {
                matches!(&dp.spec, DataPointSpec::Aggregate { source: s, .. } if s.name == source.name)
            })
            .collect();
        let groups: Vec<Vec<&crate::framework::DataPoint>> = match plan {
            Plan::Fused if dps.is_empty() => Vec::new(),
            Plan::Fused => vec![dps],
            Plan::Naive => dps.into_iter().map(|d| vec![d]).collect(),
        };
        for group in groups {
            let mut columns = Vec::new();
            let mut ids = Vec::new();
            let mut windows = BTreeSet::new();
            for k in 0..quarters {
                for dp in &group {
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
                continue;
            }
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
            out.push(CompiledSource {
                source,
                datapoints: ids,
                quarters,
                sql,
            });
        }
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
            return Err(Error::Internal {
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
        Error::Arrow {
            context: "reading strings".into(),
            source: e,
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
        Error::Arrow {
            context: context.into(),
            source: e,
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
    /// The session's setting when the result cannot depend on the order
    /// rows arrive in ([`order_insensitive`]) and memory is not limited,
    /// else one partition: for analyst-written SQL, whose float sums would
    /// otherwise depend on the number of threads.
    Auto,
}

/// Whether a query's result cannot depend on the order its rows arrive in:
/// its aggregates are counts, minima, maxima, and sums or means of exact
/// (integer or decimal) values, with no window function, LIMIT, top-k sort
/// or DISTINCT ON, in the query and its subqueries. The types are read
/// after DataFusion's type coercion (a CASE or UNION that mixes integers
/// and floats is a float). Conservative: anything else is not.
fn order_insensitive(ctx: &SessionContext, plan: &datafusion::logical_expr::LogicalPlan) -> bool {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::{Distinct, Expr, ExprSchemable, LogicalPlan};
    let state = ctx.state();
    let Ok(plan) =
        state
            .analyzer()
            .execute_and_check(plan.clone(), state.config_options(), |_, _| {})
    else {
        return false;
    };
    let mut insensitive = true;
    let visited = plan.apply_with_subqueries(|node| {
        match node {
            LogicalPlan::Window(_)
            | LogicalPlan::Limit(_)
            | LogicalPlan::Distinct(Distinct::On(_)) => insensitive = false,
            LogicalPlan::Sort(sort) if sort.fetch.is_some() => insensitive = false,
            LogicalPlan::Aggregate(agg) => {
                let schema = agg.input.schema();
                for e in &agg.aggr_expr {
                    e.apply(|x| {
                        if let Expr::AggregateFunction(f) = x {
                            let exact = f.params.args.iter().all(|a| {
                                a.get_type(schema).is_ok_and(|t| {
                                    t.is_integer()
                                        || matches!(
                                            t,
                                            DataType::Decimal128(..) | DataType::Decimal256(..)
                                        )
                                })
                            });
                            let fine = match f.func.name().to_ascii_lowercase().as_str() {
                                "count" | "min" | "max" => true,
                                "sum" | "avg" => exact,
                                _ => false,
                            };
                            if !fine || !f.params.order_by.is_empty() {
                                insensitive = false;
                            }
                        }
                        Ok(TreeNodeRecursion::Continue)
                    })?;
                }
            }
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    });
    visited.is_ok() && insensitive
}

/// Whether the session runs under `--memory-limit` (a finite pool).
fn memory_limited(ctx: &SessionContext) -> bool {
    matches!(
        ctx.runtime_env().memory_pool.memory_limit(),
        datafusion::execution::memory_pool::MemoryLimit::Finite(_)
    )
}

/// Runs one query with the quarter's parameters bound.
async fn run_query(
    ctx: &SessionContext,
    sql: &str,
    params: &ParamValues,
    context: &str,
    partitions: Partitions,
) -> Result<Vec<RecordBatch>> {
    let plan = |ctx: &SessionContext| {
        let ctx = ctx.clone();
        async move {
            ctx.sql_with_options(sql, framework_sql_options())
                .await
                .map_err(Error::query(context.to_string()))?
                .with_param_values(params.clone())
                .map_err(Error::query(context.to_string()))
        }
    };
    let mut df = plan(ctx).await?;
    // Under a memory limit the joins and nested aggregates of analyst SQL
    // run in one partition: their operators' shares of the pool would
    // otherwise be split per partition, too thin to spill with.
    if partitions == Partitions::Auto
        && (memory_limited(ctx) || !order_insensitive(ctx, df.logical_plan()))
    {
        let mut state = ctx.state();
        state.config_mut().options_mut().execution.target_partitions = 1;
        df = plan(&SessionContext::new_with_state(state)).await?;
        tracing::debug!(
            context,
            "one partition: the result could depend on row order, or memory is limited"
        );
    }
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
    let mut tables = compute_quarters(ctx, framework, ingested, &[quarter], Plan::Fused).await?;
    Ok(tables.remove(0))
}

/// One query of the data-point stage.
enum Job<'a> {
    /// A compiled source query, every quarter at once.
    Compiled(CompiledSource),
    /// An SQL data point file for the `k`-th quarter.
    Sql(SqlFile<'a>, usize),
}

/// What one job gives: per quarter, data point values and availability.
type JobResult = Vec<(usize, String, Vec<Option<f64>>, Availability)>;

/// Computes every data point for each of `quarters` (the assessed quarter
/// first, then earlier ones). Aggregate data points take one scan per
/// source for all the quarters ([`compile_for`]); SQL files run once per
/// quarter. The queries run concurrently, as many at a time as the session
/// has partitions (one at a time under a memory limit); results do not
/// depend on the order they finish in.
pub async fn compute_quarters(
    ctx: &SessionContext,
    framework: &Framework,
    ingested: &Ingested,
    quarters: &[Quarter],
    plan: Plan,
) -> Result<Vec<DataPointTable>> {
    use futures::StreamExt;

    let villages = read_villages(ctx).await?;
    let index: BTreeMap<&str, usize> = villages
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code.as_str(), i))
        .collect();
    let mut tables: Vec<DataPointTable> = quarters
        .iter()
        .map(|q| DataPointTable {
            quarter: *q,
            villages: villages.clone(),
            values: BTreeMap::new(),
            availability: BTreeMap::new(),
        })
        .collect();
    for table in &mut tables {
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
                table.values.insert(dp.id.clone(), v);
                table
                    .availability
                    .insert(dp.id.clone(), Availability::Available);
            }
        }
    }
    let mut jobs: Vec<Job<'_>> = compile_for(framework, quarters.len(), plan)
        .into_iter()
        .map(Job::Compiled)
        .collect();
    for k in 0..quarters.len() {
        jobs.extend(sql_files(framework).into_iter().map(|f| Job::Sql(f, k)));
    }
    // Under a memory limit the queries run one at a time, each with the
    // whole pool: a concurrent query's reservations would leave the others
    // too little to spill with.
    let at_once = if memory_limited(ctx) {
        1
    } else {
        ctx.state().config().target_partitions().max(1)
    };
    let env = Env {
        ctx,
        framework,
        ingested,
        quarters,
        index: &index,
        n: villages.len(),
    };
    let results: Vec<Result<JobResult>> = futures::stream::iter(jobs.iter().map(|j| env.run(j)))
        .buffered(at_once)
        .collect()
        .await;
    for result in results {
        for (k, id, col, status) in result? {
            tables[k].values.insert(id.clone(), col);
            tables[k].availability.insert(id, status);
        }
    }
    Ok(tables)
}

/// What every job of one data-point stage shares.
struct Env<'a> {
    ctx: &'a SessionContext,
    framework: &'a Framework,
    ingested: &'a Ingested,
    quarters: &'a [Quarter],
    index: &'a BTreeMap<&'a str, usize>,
    n: usize,
}

impl Env<'_> {
    /// Whether `source` has events in every quarter `window` needs for the
    /// `k`-th quarter.
    fn covers(&self, source: &str, window: Window, k: usize) -> bool {
        let (a, b) = window_quarters(window, self.quarters[k]);
        self.ingested
            .report(source)
            .and_then(|r| r.event_quarters)
            .is_some_and(|(first, last)| first <= a && b <= last)
    }

    async fn run(&self, job: &Job<'_>) -> Result<JobResult> {
        match job {
            Job::Compiled(c) => self.compiled(c).await,
            Job::Sql(file, k) => self.sql_file(file, *k).await,
        }
    }

    async fn compiled(&self, compiled: &CompiledSource) -> Result<JobResult> {
        let (framework, n) = (self.framework, self.n);
        let present = self.ingested.is_present(compiled.source.name);
        let context = format!("computing the data points of {}", compiled.source.name);
        let d = compiled.datapoints.len();
        let zero: Vec<bool> = compiled
            .datapoints
            .iter()
            .map(|id| {
                framework.datapoint(id).is_some_and(|d| {
                    matches!(d.spec, DataPointSpec::Aggregate { aggregate, .. } if aggregate.zero_when_empty())
                })
            })
            .collect();
        let mut cols: Vec<Vec<Option<f64>>> = (0..compiled.quarters * d)
            .map(|c| vec![(present && zero[c % d]).then_some(0.0); n])
            .collect();
        if present {
            let started = std::time::Instant::now();
            let params = parameters_of(self.quarters, &framework.parameters);
            let batches = run_query(
                self.ctx,
                &compiled.sql,
                &params,
                &context,
                Partitions::Session,
            )
            .await?;
            tracing::info!(
                source = compiled.source.name,
                quarters = compiled.quarters,
                datapoints = d,
                ms = started.elapsed().as_millis() as u64,
                "aggregate data points"
            );
            for b in &batches {
                let codes = strings(b, 0)?;
                for (c, col) in cols.iter_mut().enumerate() {
                    let vals = doubles(b, c + 1, &context)?;
                    for (code, v) in codes.iter().zip(vals) {
                        if let (Some(&i), Some(v)) = (self.index.get(code.as_str()), v) {
                            col[i] = Some(v);
                        }
                    }
                }
            }
        }
        let source = compiled.source.name;
        let mut out = Vec::new();
        for (c, col) in cols.into_iter().enumerate() {
            let (k, id) = (c / d, &compiled.datapoints[c % d]);
            let window = match framework.datapoint(id).map(|d| &d.spec) {
                Some(DataPointSpec::Aggregate { window, .. }) => *window,
                _ => Window::Quarter,
            };
            let (col, status) = if !present {
                (col, Availability::SourceAbsent(source.into()))
            } else if !self.covers(source, window, k) {
                (vec![None; n], Availability::NotCovered(source.into()))
            } else {
                (col, Availability::Available)
            };
            out.push((k, id.clone(), col, status));
        }
        Ok(out)
    }

    /// One SQL file for the `k`-th quarter.
    async fn sql_file(&self, (file, sql, dps): &SqlFile<'_>, k: usize) -> Result<JobResult> {
        let (framework, n) = (self.framework, self.n);
        let quarter = self.quarters[k];
        let context = format!("running sql/{file} for {quarter}");
        let reads = tables_read(self.ctx, sql).map_err(|e| Error::Framework {
            dir: framework.dir.clone(),
            problems: vec![crate::error::FrameworkProblem::sql(
                format!("sql/{file}"),
                e.to_string(),
            )],
        })?;
        let absent = reads
            .iter()
            .find(|t| self.ingested.report(t).is_some_and(|r| !r.is_present()));
        if let Some(t) = absent {
            return Ok(dps
                .iter()
                .map(|(id, _, _)| {
                    (
                        k,
                        id.to_string(),
                        vec![None; n],
                        Availability::SourceAbsent(t.to_string()),
                    )
                })
                .collect());
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
                .find(|t| !self.covers(t.name, window, k))
                .map(|t| t.name)
        };
        let started = std::time::Instant::now();
        let params = parameters(quarter, &framework.parameters);
        let batches = run_query(self.ctx, sql, &params, &context, Partitions::Auto)
            .await
            .inspect(|_| {
                tracing::info!(file = %file, %quarter, ms = started.elapsed().as_millis() as u64, "sql data point");
            })
            .map_err(|e| match e {
                Error::Query { source, .. } => Error::Framework {
                    dir: framework.dir.clone(),
                    problems: vec![crate::error::FrameworkProblem::sql(format!("sql/{file}"), source.to_string())],
                },
                other => other,
            })?;
        let schema = match batches.first() {
            Some(b) => b.schema(),
            None => {
                // No rows: plan again for the schema.
                let df = self
                    .ctx
                    .sql_with_options(sql, framework_sql_options())
                    .await
                    .map_err(Error::query(context.clone()))?;
                std::sync::Arc::new(df.schema().as_arrow().clone())
            }
        };
        let problems = check_sql_schema(file, &schema, dps);
        if !problems.is_empty() {
            return Err(Error::Framework {
                dir: framework.dir.clone(),
                problems: problems
                    .into_iter()
                    .map(crate::error::FrameworkProblem::sql_line)
                    .collect(),
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
                        problems: vec![crate::error::FrameworkProblem::sql(
                            format!("sql/{file}"),
                            "returns more than one row for one village_code; GROUP BY village_code",
                        )],
                    });
                }
            }
            for (j, (_, column, _)) in dps.iter().enumerate() {
                let idx = schema.index_of(column).unwrap_or(0);
                for (code, v) in codes.iter().zip(doubles(b, idx, &context)?) {
                    if let Some(&i) = self.index.get(code.as_str()) {
                        // A returned NULL is unavailable; only absent villages get `missing`.
                        cols[j][i] = v;
                    }
                }
            }
        }
        Ok(dps
            .iter()
            .zip(cols)
            .map(|((id, _, _), col)| match uncovered(id) {
                Some(source) => (
                    k,
                    id.to_string(),
                    vec![None; n],
                    Availability::NotCovered(source.into()),
                ),
                None => (k, id.to_string(), col, Availability::Available),
            })
            .collect())
    }
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
            problems: problems
                .into_iter()
                .map(crate::error::FrameworkProblem::sql_line)
                .collect(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_exact_aggregates_run_in_parallel() {
        let ctx = SessionContext::new();
        for t in contract::TABLES {
            crate::ingest::register_empty(&ctx, t).expect("empty tables register");
        }
        let check = |sql: &'static str| {
            let ctx = ctx.clone();
            async move {
                let df = ctx.sql(sql).await.expect("the query plans");
                order_insensitive(&ctx, df.logical_plan())
            }
        };
        for sql in [
            "SELECT village_code, COUNT(*) AS value FROM petitions GROUP BY village_code",
            "SELECT village_code, SUM(n) AS value FROM (SELECT village_code, COUNT(*) AS n FROM trading GROUP BY village_code, winner_id) t GROUP BY village_code",
            "SELECT village_code, MAX(budget) AS value FROM trading GROUP BY village_code",
        ] {
            assert!(check(sql).await, "{sql}");
        }
        for sql in [
            "SELECT village_code, SUM(budget) AS value FROM trading GROUP BY village_code",
            "SELECT village_code, AVG(monthly_amount) AS value FROM assistance GROUP BY village_code",
            "SELECT village_code, ROW_NUMBER() OVER (PARTITION BY village_code) AS value FROM trading",
            "SELECT village_code, 1 AS value FROM trading LIMIT 5",
            "SELECT village_code, COUNT(*) AS value FROM trading WHERE budget > (SELECT SUM(budget) FROM trading) GROUP BY village_code",
            // Integer-looking until coerced: the CASE and the UNION are floats.
            "SELECT village_code, SUM(CASE WHEN budget IS NULL THEN 0 ELSE budget END) AS value FROM trading GROUP BY village_code",
            "SELECT village_code, SUM(x) AS value FROM (SELECT village_code, bidder_count AS x FROM trading UNION ALL SELECT village_code, budget AS x FROM trading) u GROUP BY village_code",
            // Which row is kept depends on arrival order.
            "SELECT DISTINCT ON (village_code) village_code, budget AS value FROM trading",
            "SELECT village_code, COUNT(*) AS value FROM (SELECT village_code FROM trading ORDER BY village_code LIMIT 3) t GROUP BY village_code",
        ] {
            assert!(!check(sql).await, "{sql}");
        }
    }
}

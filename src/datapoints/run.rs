//! Running the stage: [`compute_quarters`] makes one job of each compiled
//! query, one of each SQL file that reads the quarters table and one of
//! each other SQL file per quarter, runs the jobs concurrently
//! with what they share ([`Env`]), and reads their result columns into one
//! [`DataPointTable`] per quarter. How many partitions a query may run in
//! depends on whether its result could depend on the order rows arrive in
//! ([`order_insensitive`]) and on whether memory is limited
//! ([`memory_limited`]).

use std::collections::{BTreeMap, BTreeSet};

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ParamValues;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{DataFrame, SessionContext};

use super::check::{
    SqlDataPoint, SqlFile, check_sql_schema, reads_quarters, sql_files, tables_read,
};
use super::compile::{
    CompiledSource, Plan, QUARTERS_TABLE, compile_for, parameters, parameters_of, quarters_batch,
};
use super::villages::read_villages;
use super::window_quarters;
use crate::contract;
use crate::error::{Error, FrameworkProblem, Result};
use crate::framework::{Builtin, DataPointSpec, Framework, Missing, Window};
use crate::ingest::Ingested;
use crate::model::{Availability, DataPointTable, Village};
use crate::period::Quarter;

/// Options under which framework SQL runs: queries only.
pub fn framework_sql_options() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
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
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion::logical_expr::{Distinct, LogicalPlan};
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
            LogicalPlan::Aggregate(agg) => insensitive &= exact_aggregates(agg)?,
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    });
    visited.is_ok() && insensitive
}

/// Whether every aggregate function of `agg` gives the same result in any
/// row order: a count, minimum or maximum, or a sum or mean of integers or
/// decimals, with no ORDER BY of its own.
fn exact_aggregates(agg: &datafusion::logical_expr::Aggregate) -> datafusion::error::Result<bool> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::{Expr, ExprSchemable};
    let schema = agg.input.schema();
    let mut exact_all = true;
    for e in &agg.aggr_expr {
        e.apply(|x| {
            if let Expr::AggregateFunction(f) = x {
                let exact = f.params.args.iter().all(|a| {
                    a.get_type(schema).is_ok_and(|t| {
                        t.is_integer()
                            || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..))
                    })
                });
                let fine = match f.func.name().to_ascii_lowercase().as_str() {
                    "count" | "min" | "max" => true,
                    "sum" | "avg" => exact,
                    _ => false,
                };
                if !fine || !f.params.order_by.is_empty() {
                    exact_all = false;
                }
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
    }
    Ok(exact_all)
}

/// Whether the session runs under `--memory-limit` (a finite pool).
fn memory_limited(ctx: &SessionContext) -> bool {
    matches!(
        ctx.runtime_env().memory_pool.memory_limit(),
        datafusion::execution::memory_pool::MemoryLimit::Finite(_)
    )
}

/// `sql` planned under [`framework_sql_options`] with `params` bound.
pub(super) async fn planned(
    ctx: &SessionContext,
    sql: &str,
    params: &ParamValues,
) -> datafusion::error::Result<DataFrame> {
    ctx.sql_with_options(sql, framework_sql_options())
        .await?
        .with_param_values(params.clone())
}

/// Runs one query with the quarter's parameters bound.
async fn run_query(
    ctx: &SessionContext,
    sql: &str,
    params: &ParamValues,
    context: &str,
    partitions: Partitions,
) -> Result<Vec<RecordBatch>> {
    let mut df = planned(ctx, sql, params)
        .await
        .map_err(Error::query(context))?;
    // Under a memory limit the joins and nested aggregates of analyst SQL
    // run in one partition: their operators' shares of the pool would
    // otherwise be split per partition, too thin to spill with.
    if partitions == Partitions::Auto
        && (memory_limited(ctx) || !order_insensitive(ctx, df.logical_plan()))
    {
        let mut state = ctx.state();
        state.config_mut().options_mut().execution.target_partitions = 1;
        df = planned(&SessionContext::new_with_state(state), sql, params)
            .await
            .map_err(Error::query(context))?;
        tracing::debug!(
            context,
            "one partition: the result could depend on row order, or memory is limited"
        );
    }
    if !tracing::enabled!(tracing::Level::TRACE) {
        return df.collect().await.map_err(Error::query(context));
    }
    // At trace level (`QINGLIAN_LOG=qinglian=trace`), every query's
    // physical plan with its operators' rows and times, for tuning SQL.
    let task = df.task_ctx();
    let plan = df
        .create_physical_plan()
        .await
        .map_err(Error::query(context))?;
    let batches = datafusion::physical_plan::collect(plan.clone(), std::sync::Arc::new(task))
        .await
        .map_err(Error::query(context))?;
    let shown =
        datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(plan.as_ref())
            .indent(true)
            .to_string();
    tracing::trace!(context, "the query's plan, with metrics:\n{shown}");
    Ok(batches)
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
    /// An SQL data point file for the `k`-th quarter, or (none) for every
    /// quarter at once when it reads the quarters table.
    Sql(SqlFile<'a>, Option<usize>),
}

/// One data point's values for the `k`-th quarter back, with its
/// availability: `(k, id, values by village, availability)`.
type Column = (usize, String, Vec<Option<f64>>, Availability);

/// What one job gives: per quarter, data point values and availability.
type JobResult = Vec<Column>;

/// Computes every data point for each of `quarters` (the assessed quarter
/// first, then earlier ones). Aggregate data points take one scan per
/// source for all the quarters ([`compile_for`]); SQL files that read the
/// quarters table run once for all of them, others once per quarter. The
/// queries run concurrently, as many at a time as the session
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
    let mut tables = builtin_tables(framework, &villages, quarters);
    ctx.deregister_table(QUARTERS_TABLE)
        .map_err(Error::query("replacing the quarters table"))?;
    ctx.register_batch(QUARTERS_TABLE, quarters_batch(quarters))
        .map_err(Error::query("registering the quarters table"))?;
    let jobs = jobs(ctx, framework, quarters.len(), plan);
    let env = Env {
        ctx,
        framework,
        ingested,
        quarters,
        index: &index,
        n: villages.len(),
    };
    let progress = crate::progress::Progress::new("data-point queries", jobs.len() as u64);
    let results: Vec<Result<JobResult>> = futures::stream::iter(jobs.iter().map(|j| env.run(j)))
        .buffered(at_once(ctx))
        .inspect(|_| progress.inc(1))
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

/// One table per quarter with the villages and the built-in data points
/// (population, households), ready for the jobs' columns.
fn builtin_tables(
    framework: &Framework,
    villages: &[Village],
    quarters: &[Quarter],
) -> Vec<DataPointTable> {
    let mut tables: Vec<DataPointTable> = quarters
        .iter()
        .map(|q| DataPointTable {
            quarter: *q,
            villages: villages.to_vec(),
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
    tables
}

/// The stage's jobs: the compiled queries, then the SQL files that read
/// the quarters table, then every other SQL file per quarter.
fn jobs<'a>(
    ctx: &SessionContext,
    framework: &'a Framework,
    quarters: usize,
    plan: Plan,
) -> Vec<Job<'a>> {
    let mut jobs: Vec<Job<'_>> = compile_for(framework, quarters, plan)
        .into_iter()
        .map(Job::Compiled)
        .collect();
    // A file that does not parse runs per quarter, where running reports it.
    let (all_at_once, per_quarter): (Vec<_>, Vec<_>) = sql_files(framework)
        .into_iter()
        .partition(|(_, sql, _)| tables_read(ctx, sql).is_ok_and(|r| reads_quarters(&r)));
    jobs.extend(all_at_once.into_iter().map(|f| Job::Sql(f, None)));
    for k in 0..quarters {
        jobs.extend(per_quarter.iter().map(|f| Job::Sql(f.clone(), Some(k))));
    }
    jobs
}

/// How many jobs run at once: as many as the session has partitions.
/// Under a memory limit the queries run one at a time, each with the
/// whole pool: a concurrent query's reservations would leave the others
/// too little to spill with.
fn at_once(ctx: &SessionContext) -> usize {
    if memory_limited(ctx) {
        1
    } else {
        ctx.state().config().target_partitions().max(1)
    }
}

/// The window data point `id` declares (the quarter if it declares none).
fn declared_window(framework: &Framework, id: &str) -> Window {
    match framework.datapoint(id).map(|d| &d.spec) {
        Some(DataPointSpec::Aggregate { window, .. } | DataPointSpec::Sql { window, .. }) => {
            *window
        }
        _ => Window::Quarter,
    }
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

    /// Data point `id` unavailable in the `k`-th quarter, for `status`.
    fn unavailable(&self, k: usize, id: &str, status: Availability) -> Column {
        (k, id.to_string(), vec![None; self.n], status)
    }

    async fn run(&self, job: &Job<'_>) -> Result<JobResult> {
        match job {
            Job::Compiled(c) => self.compiled(c).await,
            Job::Sql(file, k) => self.sql_file(file, *k).await,
        }
    }

    /// One compiled source query: its data points for every quarter.
    async fn compiled(&self, compiled: &CompiledSource) -> Result<JobResult> {
        let present = self.ingested.is_present(compiled.source.name);
        let mut cols = self.initial_columns(compiled, present);
        if present {
            self.fill_compiled(compiled, &mut cols).await?;
        }
        Ok(self.compiled_results(compiled, present, cols))
    }

    /// The compiled query's columns before it runs: 0 for a village
    /// without rows where the aggregate is 0 when empty (a count) and the
    /// source is present, else unavailable.
    fn initial_columns(&self, compiled: &CompiledSource, present: bool) -> Vec<Vec<Option<f64>>> {
        let (framework, n) = (self.framework, self.n);
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
        (0..compiled.quarters * d)
            .map(|c| vec![(present && zero[c % d]).then_some(0.0); n])
            .collect()
    }

    /// Runs the compiled query and writes its values into `cols`.
    async fn fill_compiled(
        &self,
        compiled: &CompiledSource,
        cols: &mut [Vec<Option<f64>>],
    ) -> Result<()> {
        let context = format!("computing the data points of {}", compiled.source.name);
        let d = compiled.datapoints.len();
        let started = std::time::Instant::now();
        let params = parameters_of(self.quarters, &self.framework.parameters);
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
        Ok(())
    }

    /// The compiled query's columns with their availability: the source
    /// absent, not covering a data point's window, or available.
    fn compiled_results(
        &self,
        compiled: &CompiledSource,
        present: bool,
        cols: Vec<Vec<Option<f64>>>,
    ) -> JobResult {
        let d = compiled.datapoints.len();
        let source = compiled.source.name;
        let mut out = Vec::new();
        for (c, col) in cols.into_iter().enumerate() {
            let (k, id) = (c / d, &compiled.datapoints[c % d]);
            let window = declared_window(self.framework, id);
            // Without the source every column is still unavailable.
            out.push(if !present {
                self.unavailable(k, id, Availability::SourceAbsent(source.into()))
            } else if !self.covers(source, window, k) {
                self.unavailable(k, id, Availability::NotCovered(source.into()))
            } else {
                (k, id.clone(), col, Availability::Available)
            });
        }
        out
    }

    /// One SQL file for the `k`-th quarter, or (none) for every quarter.
    async fn sql_file(
        &self,
        (file, sql, dps): &SqlFile<'_>,
        k: Option<usize>,
    ) -> Result<JobResult> {
        let framework = self.framework;
        let ks: Vec<usize> = match k {
            Some(k) => vec![k],
            None => (0..self.quarters.len()).collect(),
        };
        let context = match k {
            Some(k) => format!("running sql/{file} for {}", self.quarters[k]),
            None => format!("running sql/{file} for every quarter"),
        };
        let reads = tables_read(self.ctx, sql).map_err(|e| Error::Framework {
            dir: framework.dir.clone(),
            problems: vec![FrameworkProblem::sql(format!("sql/{file}"), e.to_string())],
        })?;
        let absent = reads
            .iter()
            .find(|t| self.ingested.report(t).is_some_and(|r| !r.is_present()));
        if let Some(t) = absent {
            return Ok(ks
                .iter()
                .flat_map(|&k| {
                    dps.iter().map(move |(id, _, _)| {
                        self.unavailable(k, id, Availability::SourceAbsent(t.to_string()))
                    })
                })
                .collect());
        }
        let (batches, schema) = self.run_sql_file(file, sql, dps, k, &context).await?;
        let cols = self.sql_columns(file, dps, &batches, &schema, k, &context)?;
        Ok(ks
            .iter()
            .zip(cols)
            .flat_map(|(&k, cols)| {
                let reads = &reads;
                dps.iter().zip(cols).map(move |((id, _, _), col)| {
                    match self.uncovered(reads, id, k) {
                        Some(source) => {
                            self.unavailable(k, id, Availability::NotCovered(source.into()))
                        }
                        None => (k, id.to_string(), col, Availability::Available),
                    }
                })
            })
            .collect())
    }

    /// The first source an SQL file reads that does not cover, in the
    /// `k`-th quarter, the window data point `id` declares: every source
    /// the file reads must.
    fn uncovered(&self, reads: &[String], id: &str, k: usize) -> Option<&'static str> {
        let window = declared_window(self.framework, id);
        reads
            .iter()
            .filter_map(|t| contract::table(t).filter(|t| t.is_source()))
            .find(|t| !self.covers(t.name, window, k))
            .map(|t| t.name)
    }

    /// Runs an SQL file for the `k`-th quarter (or every quarter); its
    /// result and the schema, checked against the columns its data points
    /// read.
    async fn run_sql_file(
        &self,
        file: &str,
        sql: &str,
        dps: &[SqlDataPoint<'_>],
        k: Option<usize>,
        context: &str,
    ) -> Result<(Vec<RecordBatch>, SchemaRef)> {
        let framework = self.framework;
        // A file over every quarter uses no quarter parameter (`check`).
        let quarter = self.quarters[k.unwrap_or(0)];
        let started = std::time::Instant::now();
        let params = parameters(quarter, &framework.parameters);
        let batches = run_query(self.ctx, sql, &params, context, Partitions::Auto)
            .await
            .inspect(|_| {
                let ms = started.elapsed().as_millis() as u64;
                match k {
                    Some(_) => tracing::info!(file = %file, %quarter, ms, "sql data point"),
                    None => tracing::info!(file = %file, quarters = self.quarters.len(), ms, "sql data point"),
                }
            })
            .map_err(|e| match e {
                Error::Query { source, .. } => Error::Framework {
                    dir: framework.dir.clone(),
                    problems: vec![FrameworkProblem::sql(
                        format!("sql/{file}"),
                        source.to_string(),
                    )],
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
                    .map_err(Error::query(context))?;
                std::sync::Arc::new(df.schema().as_arrow().clone())
            }
        };
        let problems = check_sql_schema(file, &schema, dps, k.is_none());
        if !problems.is_empty() {
            return Err(Error::Framework {
                dir: framework.dir.clone(),
                problems: problems
                    .into_iter()
                    .map(FrameworkProblem::sql_line)
                    .collect(),
            });
        }
        Ok((batches, schema))
    }

    /// An SQL file's values of its data points by village, one set per
    /// quarter computed (the `k`-th, or every quarter by its `quarter`
    /// column): a village without a row gets the data point's `missing`,
    /// one with two rows (in one quarter) is an error.
    fn sql_columns(
        &self,
        file: &str,
        dps: &[SqlDataPoint<'_>],
        batches: &[RecordBatch],
        schema: &SchemaRef,
        k: Option<usize>,
        context: &str,
    ) -> Result<Vec<Vec<Vec<Option<f64>>>>> {
        let (framework, n) = (self.framework, self.n);
        let problem = |message: String| Error::Framework {
            dir: framework.dir.clone(),
            problems: vec![FrameworkProblem::sql(format!("sql/{file}"), message)],
        };
        let vc = schema.index_of("village_code").unwrap_or(0);
        let names: Vec<String> = self.quarters.iter().map(ToString::to_string).collect();
        let sets = if k.is_some() { 1 } else { names.len() };
        let mut seen = BTreeSet::new();
        let empty: Vec<Vec<Option<f64>>> = dps
            .iter()
            .map(|(_, _, missing)| vec![(*missing == Missing::Zero).then_some(0.0); n])
            .collect();
        let mut cols = vec![empty; sets];
        for b in batches {
            let codes = strings(b, vc)?;
            let set: Vec<usize> = match k {
                Some(_) => vec![0; codes.len()],
                None => {
                    let q = schema.index_of("quarter").unwrap_or(0);
                    strings(b, q)?
                        .iter()
                        .map(|q| {
                            names.iter().position(|n| n == q).ok_or_else(|| {
                                problem(format!(
                                    "returns quarter '{q}', which is not in the {QUARTERS_TABLE} table ({}); return {QUARTERS_TABLE}.quarter",
                                    names.join(", ")
                                ))
                            })
                        })
                        .collect::<Result<_>>()?
                }
            };
            for (code, &q) in codes.iter().zip(&set) {
                if !seen.insert((q, code.clone())) {
                    return Err(problem(match k {
                        Some(_) => {
                            "returns more than one row for one village_code; GROUP BY village_code"
                                .into()
                        }
                        None => format!(
                            "returns more than one row for one quarter and village_code; GROUP BY {QUARTERS_TABLE}.quarter, village_code"
                        ),
                    }));
                }
            }
            for (j, (_, column, _)) in dps.iter().enumerate() {
                let idx = schema.index_of(column).unwrap_or(0);
                for ((code, &q), v) in codes.iter().zip(&set).zip(doubles(b, idx, context)?) {
                    if let Some(&i) = self.index.get(code.as_str()) {
                        // A returned NULL is unavailable; only absent villages get `missing`.
                        cols[q][j][i] = v;
                    }
                }
            }
        }
        Ok(cols)
    }
}

/// Column `i` of `b` cast to `to`.
fn cast_column(b: &RecordBatch, i: usize, to: &DataType, context: &str) -> Result<ArrayRef> {
    datafusion::arrow::compute::cast(b.column(i), to).map_err(|e| Error::Arrow {
        context: context.into(),
        source: e,
    })
}

/// Column `i` of `b` as strings (a NULL as the empty string).
pub(super) fn strings(b: &RecordBatch, i: usize) -> Result<Vec<String>> {
    let col = cast_column(b, i, &DataType::Utf8, "reading strings")?;
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

/// Column `i` of `b` as numbers.
fn doubles(b: &RecordBatch, i: usize, context: &str) -> Result<Vec<Option<f64>>> {
    let col = cast_column(b, i, &DataType::Float64, context)?;
    let arr = col.as_primitive::<Float64Type>();
    Ok((0..arr.len())
        .map(|r| (!arr.is_null(r)).then(|| arr.value(r)))
        .collect())
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

//! Measurements for the benchmark (`scripts/bench`): the data-point stage
//! alone under the fused or the naive plan, the scan floor (reading just the
//! columns the framework's SQL names, nothing else), and the stage's SQL
//! exported for DuckDB. The hidden `qinglian bench` subcommands call these;
//! nothing here runs in a normal job.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use datafusion::prelude::SessionContext;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::contract;
use crate::datapoints::{self, Plan};
use crate::error::{Error, Result};
use crate::framework::{DataPointSpec, Framework};
use crate::ingest;
use crate::period::Quarter;

/// The data-point stage, timed apart from ingest.
#[derive(Debug, Clone, Serialize)]
pub struct StageTiming {
    pub ingest_ms: f64,
    pub stage_ms: f64,
    /// The aggregate data points alone, without the SQL files.
    pub aggregate_ms: f64,
    pub quarters: usize,
    pub queries: usize,
    /// The compiled queries of the aggregate data points.
    pub aggregate_queries: usize,
    pub aggregate_datapoints: usize,
    pub sql_files: usize,
}

/// `quarters` quarters ending with `quarter`, newest first.
fn quarters_back(quarter: Quarter, quarters: usize) -> Vec<Quarter> {
    (0..quarters.max(1))
        .map(|k| quarter.offset(-i32::try_from(k).unwrap_or(i32::MAX)))
        .collect()
}

/// Ingests `data`, then times the data-point stage for `quarters` quarters
/// ending with `quarter`.
pub async fn stage(
    data: &Path,
    framework_dir: &Path,
    quarter: Quarter,
    quarters: usize,
    plan: Plan,
    threads: Option<usize>,
) -> Result<StageTiming> {
    let framework = Framework::load(framework_dir)?;
    let catalog = Catalog::load(data, None)?;
    let ctx = crate::pipeline::context(threads, None)?;
    let started = Instant::now();
    let ingested = ingest::ingest(&ctx, &catalog).await?;
    let ingest_ms = started.elapsed().as_secs_f64() * 1e3;
    let list = quarters_back(quarter, quarters);
    let started = Instant::now();
    datapoints::compute_quarters(&ctx, &framework, &ingested, &list, plan).await?;
    let stage_ms = started.elapsed().as_secs_f64() * 1e3;
    // The aggregate data points alone (the part the plan changes): the
    // same stage without the SQL data point files.
    let mut aggregates = framework.clone();
    aggregates
        .datapoints
        .retain(|d| !matches!(d.spec, DataPointSpec::Sql { .. }));
    let started = Instant::now();
    datapoints::compute_quarters(&ctx, &aggregates, &ingested, &list, plan).await?;
    let aggregate_ms = started.elapsed().as_secs_f64() * 1e3;
    let compiled = datapoints::compile_for(&framework, list.len(), plan).len();
    let files: BTreeSet<&str> = framework
        .datapoints
        .iter()
        .filter_map(|d| match &d.spec {
            DataPointSpec::Sql { file, .. } => Some(file.as_str()),
            _ => None,
        })
        .collect();
    // A file that reads the quarters table runs once for all quarters.
    let all_at_once = files
        .iter()
        .filter(|f| {
            framework
                .sql
                .get(**f)
                .is_some_and(|sql| reads_quarters(&ctx, sql))
        })
        .count();
    let files = files.len();
    Ok(StageTiming {
        ingest_ms,
        stage_ms,
        aggregate_ms,
        quarters: list.len(),
        queries: compiled + all_at_once + (files - all_at_once) * list.len(),
        aggregate_queries: compiled,
        aggregate_datapoints: framework
            .datapoints
            .iter()
            .filter(|d| matches!(d.spec, DataPointSpec::Aggregate { .. }))
            .count(),
        sql_files: files,
    })
}

/// The words of an SQL text (identifiers and keywords, unquoted).
fn words(sql: &str) -> BTreeSet<&str> {
    sql.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The SQL of the stage for one quarter: (name, text) of every compiled
/// query and SQL file.
fn stage_sql(framework: &Framework, plan: Plan) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = datapoints::compile_for(framework, 1, plan)
        .into_iter()
        .enumerate()
        .map(|(i, c)| (format!("compiled {} #{i}", c.source.name), c.sql))
        .collect();
    out.extend(
        framework
            .sql
            .iter()
            .map(|(file, sql)| (format!("sql/{file}"), sql.clone())),
    );
    out
}

/// Per table, the canonical columns the framework's SQL names (a word of a
/// query that reads the table equal to one of its columns): what the scan
/// floor reads.
pub fn used_columns(
    framework: &Framework,
) -> Result<BTreeMap<&'static str, BTreeSet<&'static str>>> {
    let ctx = SessionContext::new();
    let mut used: BTreeMap<&'static str, BTreeSet<&'static str>> = BTreeMap::new();
    for (name, sql) in stage_sql(framework, Plan::Fused) {
        let reads = datapoints::tables_read(&ctx, &sql).map_err(|e| Error::Framework {
            dir: framework.dir.clone(),
            problems: vec![crate::error::FrameworkProblem::sql_line(format!(
                "{name}: {e}"
            ))],
        })?;
        let w = words(&sql);
        for t in reads.iter().filter_map(|t| contract::table(t)) {
            let cols = used.entry(t.name).or_default();
            cols.extend(t.columns.iter().map(|c| c.name).filter(|c| w.contains(c)));
        }
    }
    Ok(used)
}

/// The scan floor: every row of every table the framework reads, decoded
/// from Parquet, just the columns it names; nothing computed.
#[derive(Debug, Clone, Serialize)]
pub struct ScanTiming {
    pub ms: f64,
    pub rows: u64,
    pub decoded_bytes: u64,
    pub columns: BTreeMap<String, Vec<String>>,
}

/// The scan floor and the DuckDB export read the sources' Parquet files
/// themselves: a CSV extract is refused by name (benchmark a canonical
/// district, as `qinglian generate` writes by default).
fn parquet_only(catalog: &Catalog, tables: impl Fn(&str) -> bool) -> Result<&Catalog> {
    match catalog
        .tables
        .iter()
        .find(|loc| tables(loc.table.name) && loc.format != crate::catalog::Format::Parquet)
    {
        Some(loc) => Err(Error::Input {
            path: loc.path.clone(),
            message: format!(
                "the {} source is a CSV extract; the benchmark's scan floor and DuckDB export read Parquet only: \
                 benchmark a district in canonical Parquet (`qinglian generate --out DIR`)",
                loc.table.name
            ),
        }),
        None => Ok(catalog),
    }
}

pub fn scan_floor(data: &Path, framework_dir: &Path, threads: usize) -> Result<ScanTiming> {
    let framework = Framework::load(framework_dir)?;
    let catalog = Catalog::load(data, None)?;
    let used = used_columns(&framework)?;
    let catalog = parquet_only(&catalog, |t| used.contains_key(t))?;
    // Work items: (file, row group, source column names).
    let mut work: Vec<(PathBuf, usize, Vec<String>)> = Vec::new();
    let mut columns = BTreeMap::new();
    for loc in &catalog.tables {
        let Some(cols) = used.get(loc.table.name) else {
            continue;
        };
        let names: Vec<String> = cols
            .iter()
            .map(|c| loc.source_column(c).to_string())
            .collect();
        columns.insert(loc.table.name.to_string(), names.clone());
        for file in ingest::list_files(loc)? {
            let f = std::fs::File::open(&file).map_err(Error::unreadable(&file))?;
            let groups = ParquetRecordBatchReaderBuilder::try_new(f)
                .map_err(|e| Error::Input {
                    path: file.clone(),
                    message: e.to_string(),
                })?
                .metadata()
                .num_row_groups();
            work.extend((0..groups).map(|g| (file.clone(), g, names.clone())));
        }
    }
    let started = Instant::now();
    let threads = threads.max(1);
    let totals: Vec<Result<(u64, u64)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<&(PathBuf, usize, Vec<String>)> =
                    work.iter().skip(t).step_by(threads).collect();
                s.spawn(move || {
                    let (mut rows, mut bytes) = (0u64, 0u64);
                    for (file, group, names) in mine {
                        let fail = |e: &dyn std::fmt::Display| Error::Input {
                            path: file.clone(),
                            message: e.to_string(),
                        };
                        let f = std::fs::File::open(file).map_err(Error::unreadable(file))?;
                        let builder =
                            ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| fail(&e))?;
                        let mask = ProjectionMask::columns(
                            builder.parquet_schema(),
                            names.iter().map(String::as_str),
                        );
                        let reader = builder
                            .with_projection(mask)
                            .with_row_groups(vec![*group])
                            .build()
                            .map_err(|e| fail(&e))?;
                        for batch in reader {
                            let batch = batch.map_err(|e| fail(&e))?;
                            rows += batch.num_rows() as u64;
                            bytes += batch.get_array_memory_size() as u64;
                        }
                    }
                    Ok((rows, bytes))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a scan thread panicked"))
            .collect()
    });
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let (mut rows, mut decoded_bytes) = (0, 0);
    for t in totals {
        let (r, b) = t?;
        rows += r;
        decoded_bytes += b;
    }
    Ok(ScanTiming {
        ms,
        rows,
        decoded_bytes,
        columns,
    })
}

/// A query for DuckDB: its text and the named parameters it uses.
#[derive(Debug, Clone, Serialize)]
struct ExportedQuery {
    name: String,
    sql: String,
    /// name -> `{"date": "2026-07-01"}` or `{"number": 100000.0}`.
    params: BTreeMap<String, serde_json::Value>,
}

/// A table for DuckDB: its files, and per column the canonical name, the
/// extract's name and the SQL type ingest casts it to.
#[derive(Debug, Clone, Serialize)]
struct ExportedTable {
    files: Vec<String>,
    columns: Vec<(String, String, &'static str)>,
}

#[derive(Debug, Clone, Serialize)]
struct Export {
    quarter: String,
    tables: BTreeMap<String, ExportedTable>,
    queries: Vec<ExportedQuery>,
}

/// Whether an SQL text reads the data-point stage's quarters table.
fn reads_quarters(ctx: &SessionContext, sql: &str) -> bool {
    datapoints::tables_read(ctx, sql)
        .is_ok_and(|r| r.iter().any(|t| t == datapoints::QUARTERS_TABLE))
}

/// `sql` with the quarters table of `quarter` alone written in as its
/// first common table expression, so DuckDB runs it without the table
/// (and beside the analyst script's own `quarters`).
fn with_quarters_table(sql: &str, quarter: Quarter) -> String {
    let columns: Vec<String> = std::iter::once(format!("'{quarter}' AS quarter"))
        .chain(
            datapoints::quarter_dates(quarter)
                .iter()
                .map(|(name, d)| format!("DATE '{d}' AS {name}")),
        )
        .collect();
    let cte = format!(
        "{} AS (SELECT {})",
        datapoints::QUARTERS_TABLE,
        columns.join(", ")
    );
    // After the leading comments: a WITH of the file's own gains one more
    // expression, otherwise the query gains a WITH.
    let mut body = 0;
    for line in sql.split_inclusive('\n') {
        let l = line.trim();
        if !l.is_empty() && !l.starts_with("--") {
            break;
        }
        body += line.len();
    }
    let (comments, query) = sql.split_at(body);
    match query.get(..4).filter(|w| w.eq_ignore_ascii_case("with")) {
        Some(_) => format!("{comments}WITH {cte},{}", &query[4..]),
        None => format!("{comments}WITH {cte}\n{query}"),
    }
}

/// Writes the stage's SQL for `quarter` (fused plan), the parameters each
/// query uses and where each table's Parquet is, as JSON, for the
/// benchmark to run the same SQL in DuckDB.
pub fn export_for_duckdb(
    data: &Path,
    framework_dir: &Path,
    quarter: Quarter,
    out: &Path,
) -> Result<()> {
    let framework = Framework::load(framework_dir)?;
    let catalog = Catalog::load(data, None)?;
    let catalog = parquet_only(&catalog, |_| true)?;
    let mut values: BTreeMap<String, serde_json::Value> = datapoints::quarter_dates(quarter)
        .into_iter()
        .map(|(k, d)| (k.to_string(), serde_json::json!({ "date": d.to_string() })))
        .collect();
    for p in &framework.parameters {
        values.insert(p.id.clone(), serde_json::json!({ "number": p.value }));
    }
    let ctx = SessionContext::new();
    let queries = stage_sql(&framework, Plan::Fused)
        .into_iter()
        .map(|(name, sql)| {
            let params = values
                .iter()
                .filter(|(k, _)| {
                    let needle = format!("${k}");
                    sql.match_indices(&needle).any(|(i, _)| {
                        !sql[i + needle.len()..]
                            .starts_with(|c: char| c.is_alphanumeric() || c == '_')
                    })
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let sql = if reads_quarters(&ctx, &sql) {
                with_quarters_table(&sql, quarter)
            } else {
                sql
            };
            ExportedQuery { name, sql, params }
        })
        .collect();
    let mut tables = BTreeMap::new();
    for loc in &catalog.tables {
        let files = ingest::list_files(loc)?;
        if files.is_empty() {
            continue;
        }
        let files = ingest::canonical_paths(&files)?;
        let columns = loc
            .table
            .columns
            .iter()
            .map(|c| {
                let sql_type = match c.kind.canonical_type() {
                    datafusion::arrow::datatypes::DataType::Date32 => "DATE",
                    datafusion::arrow::datatypes::DataType::Float64 => "DOUBLE",
                    datafusion::arrow::datatypes::DataType::Int64 => "BIGINT",
                    datafusion::arrow::datatypes::DataType::Boolean => "BOOLEAN",
                    _ => "VARCHAR",
                };
                (
                    c.name.to_string(),
                    loc.source_column(c.name).to_string(),
                    sql_type,
                )
            })
            .collect();
        tables.insert(loc.table.name.to_string(), ExportedTable { files, columns });
    }
    let export = Export {
        quarter: quarter.to_string(),
        tables,
        queries,
    };
    let json = serde_json::to_string_pretty(&export).map_err(|e| Error::Write {
        context: "writing the DuckDB export".into(),
        source: e.into(),
    })?;
    std::fs::write(out, json + "\n").map_err(Error::io("writing", out))
}

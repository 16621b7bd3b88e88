//! Ingest: finds each table's extract files through the catalog (Parquet,
//! or CSV in UTF-8 or GB18030: `text`), checks every file's schema against
//! the contract (all problems reported at once), maps, normalises and casts
//! columns onto the canonical names and types (`columns`), and validates
//! rows. Valid rows are registered as the canonical tables (`villages`,
//! `petitions`, …) for the data-point stage; rejected rows are counted per
//! reason and kept for inspection with person keys masked.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Int64Type, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{Expr, JoinType, cast};
use datafusion::prelude::{ParquetReadOptions, SessionContext, ident, lit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub mod cache;
pub mod columns;
mod ids;
pub mod text;

use crate::catalog::{Catalog, Format, TableLocation};
use crate::contract::{Check, Column, Conversion, Kind, Table};
use crate::digest::hex;
use crate::error::{Error, Result, SchemaProblem};
use crate::period::Quarter;
pub use cache::{Validation, ValidationCache};

/// A function of ingest's queries as a cluster sends it to the scheduler
/// and executors (`cluster::codec`): its payload, `None` when it is not one
/// of qinglian's.
pub fn function_to_wire(udf: &datafusion::logical_expr::ScalarUDF) -> Option<Vec<u8>> {
    columns::function_to_wire(udf).or_else(|| ids::function_to_wire(udf))
}

/// The function [`function_to_wire`] sent; `None` for a name that is not
/// one of qinglian's.
pub fn function_from_wire(
    name: &str,
    payload: &[u8],
) -> Option<datafusion::error::Result<datafusion::logical_expr::ScalarUDF>> {
    columns::function_from_wire(name, payload).or_else(|| ids::function_from_wire(name).map(Ok))
}

/// Source dates outside these bounds are rejected as `out_of_range`.
pub const EARLIEST_DATE: &str = "1949-10-01";
pub const LATEST_DATE: &str = "2099-12-31";
/// Amounts above this many yuan (10 billion, 100亿) are rejected as
/// `out_of_range`: no village case, project or benefit comes near it, and a
/// value past it is a unit or keying error (fen for yuan, a pasted id) that
/// would swamp every sum and mean it entered.
pub const MAX_AMOUNT: f64 = 1e10;

/// One input file, for the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    /// Path relative to the data directory.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    pub rows: u64,
}

/// What ingest did with one table.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub table: String,
    /// `present` or `absent`.
    pub status: &'static str,
    pub files: Vec<InputFile>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    /// Rejected rows by reason (`bad_enum:channel`, `unknown_village`, …).
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Sources: the first and last quarter with a valid event; none when
    /// the source is absent or has no valid row.
    pub event_quarters: Option<(Quarter, Quarter)>,
    /// Per column, values the normalisation changed, by step (trimmed,
    /// full-width folded, mapped by the catalog, case folded); columns and
    /// steps with none are left out.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub normalised: BTreeMap<String, BTreeMap<&'static str, u64>>,
    /// Whether the validation was taken from the validation cache (not in
    /// the manifest, which is the same either way).
    #[serde(skip)]
    pub from_cache: bool,
}

impl TableReport {
    pub fn is_present(&self) -> bool {
        self.status == "present"
    }
}

/// Rejected rows of one table, person keys already masked: the first
/// column is `reason`.
#[derive(Debug, Clone)]
pub struct Rejects {
    pub table: &'static str,
    pub batches: Vec<RecordBatch>,
}

/// The outcome of ingest: canonical tables registered in the context.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub tables: Vec<TableReport>,
    pub rejects: Vec<Rejects>,
    /// Where the CSV extracts' columnar copies live while the canonical tables are read.
    pub scratch: Option<Arc<tempfile::TempDir>>,
}

/// A label that is neither mapped nor canonical, with how many rows carry
/// it (from the rejects, as it arrived).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    pub table: &'static str,
    pub column: String,
    pub value: String,
    pub rows: u64,
}

impl Ingested {
    /// Every label rejected as `bad_enum:<col>`, by table, column and
    /// value, most frequent first: what a catalog's value maps still lack.
    pub fn unmapped(&self) -> Vec<Unmapped> {
        let mut counts: BTreeMap<(&'static str, String, String), u64> = BTreeMap::new();
        for r in &self.rejects {
            for b in &r.batches {
                let Some(reasons) = b.column(0).as_string_opt::<i32>() else {
                    continue;
                };
                let schema = b.schema();
                for i in 0..b.num_rows() {
                    let Some(column) = reasons.value(i).strip_prefix("bad_enum:") else {
                        continue;
                    };
                    let Ok(j) = schema.index_of(column) else {
                        continue;
                    };
                    let Ok(text) =
                        datafusion::arrow::compute::cast(&b.column(j).slice(i, 1), &DataType::Utf8)
                    else {
                        continue;
                    };
                    let value = text.as_string::<i32>().value(0).to_string();
                    *counts
                        .entry((r.table, column.to_string(), value))
                        .or_default() += 1;
                }
            }
        }
        let mut out: Vec<Unmapped> = counts
            .into_iter()
            .map(|((table, column, value), rows)| Unmapped {
                table,
                column,
                value,
                rows,
            })
            .collect();
        out.sort_by(|a, b| {
            (a.table, &a.column)
                .cmp(&(b.table, &b.column))
                .then(b.rows.cmp(&a.rows))
                .then(a.value.cmp(&b.value))
        });
        out
    }

    pub fn report(&self, table: &str) -> Option<&TableReport> {
        self.tables.iter().find(|t| t.table == table)
    }

    pub fn is_present(&self, table: &str) -> bool {
        self.report(table).is_some_and(TableReport::is_present)
    }
}

/// Mask written over person keys in rejects.
pub const MASK: &str = "***";

/// A table of the catalog with its files, their descriptions, and for CSV
/// the text the engine reads.
struct Found<'a> {
    loc: &'a TableLocation,
    files: Vec<PathBuf>,
    infos: Vec<InputFile>,
    csv: Vec<text::PreparedCsv>,
}

/// Registers every canonical table of the catalog in `ctx`, validating
/// every table.
pub async fn ingest(ctx: &SessionContext, catalog: &Catalog) -> Result<Ingested> {
    ingest_cached(ctx, catalog, None).await
}

/// [`ingest`], taking a table's validation from `cache` when neither its
/// files nor anything else it depends on changed, and storing the
/// validations it computes there.
pub async fn ingest_cached(
    ctx: &SessionContext,
    catalog: &Catalog,
    cache: Option<&ValidationCache>,
) -> Result<Ingested> {
    columns::register(ctx);
    ids::register(ctx);
    let scratch = catalog
        .tables
        .iter()
        .any(|t| t.format == Format::Csv)
        .then(|| {
            tempfile::Builder::new()
                .prefix("qinglian-extracts-")
                .tempdir()
                .map(Arc::new)
                .map_err(Error::io(
                    "creating a scratch directory in",
                    std::env::temp_dir(),
                ))
        })
        .transpose()?;
    // The files are hashed for the manifest on a thread of their own,
    // while the others decode and validate them.
    let mut every_file = Vec::new();
    for loc in &catalog.tables {
        every_file.extend(list_files(loc)?);
    }
    let (sender, hashes) = std::sync::mpsc::channel();
    let hashing = std::thread::spawn(move || {
        for f in &every_file {
            if sender.send(sha256_of(f)).is_err() {
                return;
            }
        }
    });
    let next_hash = || {
        hashes.recv().unwrap_or_else(|_| {
            Err(Error::Internal {
                context: "hashing the input files".into(),
                message: "the hashing thread stopped before hashing every file".into(),
            })
        })
    };
    let found = locate(catalog, scratch.as_ref().map(|d| d.path()))?;
    let mut tables: Vec<TableReport> = Vec::new();
    let mut rejects = Vec::new();
    let progress = crate::progress::Progress::new("validating tables", found.len() as u64);
    for mut f in found {
        let started = std::time::Instant::now();
        let rows: u64 = f.infos.iter().map(|i| i.rows).sum();
        progress.message(&format!("validating {} ({rows} rows)", f.loc.table.name));
        // With a cache the table's key needs its hashes (and the villages'),
        // so they are awaited first; without one they are taken after, and
        // the hashing keeps running beside the validation.
        let cached = match cache {
            Some(cache) => {
                for info in &mut f.infos {
                    info.sha256 = next_hash()?;
                }
                let villages = tables
                    .iter()
                    .find(|t| t.table == "villages")
                    .map(|t| t.files.as_slice());
                Some((cache, villages))
            }
            None => None,
        };
        let hashed = cached.is_some();
        let (mut report, rejected) = ingest_table(ctx, f, cached).await?;
        if !hashed {
            for info in &mut report.files {
                info.sha256 = next_hash()?;
            }
        }
        tracing::debug!(
            table = report.table.as_str(),
            rows = report.rows_read,
            ms = started.elapsed().as_millis() as u64,
            "table validated"
        );
        tables.push(report);
        rejects.extend(rejected);
        progress.inc(1);
    }
    hashing.join().map_err(|_| Error::Internal {
        context: "hashing the input files".into(),
        message: "the hashing thread panicked".into(),
    })?;
    Ok(Ingested {
        tables,
        rejects,
        scratch,
    })
}

/// Stage 1: every table's files and schemas, every problem at once; the
/// villages table must be there.
fn locate<'c>(catalog: &'c Catalog, scratch: Option<&Path>) -> Result<Vec<Found<'c>>> {
    let mut problems = Vec::new();
    let mut found: Vec<Found> = Vec::new();
    for loc in &catalog.tables {
        let files = list_files(loc)?;
        let mut infos = Vec::new();
        let mut csv = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let (schema, rows) = match (loc.format, scratch) {
                (Format::Csv, Some(scratch)) => {
                    let prepared = text::prepare(loc, f, i, scratch)?;
                    let out = (prepared.schema.clone(), prepared.rows);
                    csv.push(prepared);
                    out
                }
                _ => read_footer(loc.table, f)?,
            };
            check_schema(loc, f, &schema, &mut problems);
            infos.push(describe(&catalog.data_dir, f, rows)?);
        }
        found.push(Found {
            loc,
            files,
            infos,
            csv,
        });
    }
    if !problems.is_empty() {
        return Err(Error::Schema { problems });
    }
    if found
        .iter()
        .any(|f| f.loc.table.name == "villages" && f.files.is_empty())
    {
        return Err(Error::Input {
            path: catalog.data_dir.join("villages.parquet"),
            message: "the villages reference table is required and was not found; every score is per village".into(),
        });
    }
    Ok(found)
}

/// A table's validation cache and the villages' files (for its key).
type CacheFor<'a> = Option<(&'a ValidationCache, Option<&'a [InputFile]>)>;

/// Stage 2 for one table: map, validate (or take the validation from the
/// cache), register the canonical table; its report and its rejected rows.
async fn ingest_table(
    ctx: &SessionContext,
    found: Found<'_>,
    cache: CacheFor<'_>,
) -> Result<(TableReport, Option<Rejects>)> {
    let Found {
        loc,
        files,
        infos,
        csv,
    } = found;
    let t = loc.table;
    let rows_read: u64 = infos.iter().map(|i| i.rows).sum();
    if files.is_empty() {
        register_empty(ctx, t)?;
        let report = TableReport {
            table: t.name.into(),
            status: "absent",
            files: infos,
            rows_read: 0,
            rows_accepted: 0,
            rows_rejected: 0,
            rejected_by_reason: BTreeMap::new(),
            event_quarters: None,
            normalised: BTreeMap::new(),
            from_cache: false,
        };
        return Ok((report, None));
    }
    let source = Source {
        files: &files,
        csv: &csv,
    };
    let mapped = register_mapped(ctx, loc, &source, &[], &format!("__mapped_{}", t.name)).await?;
    let sql = validation_sql(t);
    let keyed = cache.map(|(cache, villages)| {
        let key = cache.key(&cache::KeyParts {
            loc,
            files: &infos,
            villages: villages.filter(|_| t.has_village),
            validation_sql: &sql,
            mapping: &mapped.plan,
        });
        (cache, key)
    });
    let validated = format!("__validated_{}", t.name);
    let stored = keyed.as_ref().and_then(|(cache, key)| cache.load(key));
    let from_cache = stored.is_some();
    let validation = match stored {
        Some(v) => {
            tracing::info!(table = t.name, "validation taken from the cache");
            // Reference tables without an id read their valid rows through
            // the validation view.
            if t.id.is_none() {
                register_validated(ctx, t, &sql, &validated).await?;
            }
            v
        }
        None => {
            let v = validate(ctx, t, &sql, &validated, &mapped).await?;
            if let Some((cache, key)) = &keyed
                && let Err(e) = cache.store(key, &v)
            {
                tracing::warn!(table = t.name, "the validation could not be cached: {e}");
            }
            v
        }
    };
    let Validation {
        by_reason,
        event_span,
        changes,
        rejects: batches,
    } = validation;
    let rows_rejected: u64 = by_reason.values().sum();
    // Text columns no value of which the normalisation changed are read as
    // they are by the canonical table, so its queries do not normalise
    // again what needs nothing.
    let unchanged: Vec<&str> = mapped
        .counters
        .iter()
        .filter(|k| k.step.is_none() && changes.get(k.name.as_str()).copied().unwrap_or(0) == 0)
        .map(|k| k.column)
        .collect();
    let canonical_source = format!("__canonical_{}", t.name);
    register_mapped(ctx, loc, &source, &unchanged, &canonical_source).await?;
    let null_ids = by_reason.keys().any(|r| r.starts_with("null_id:"));
    let clean = canonical(ctx, t, &canonical_source, &validated, null_ids, &batches).await?;
    ctx.register_table(t.name, clean.into_view())
        .map_err(Error::query("registering a canonical table"))?;
    let batches: Vec<RecordBatch> = batches
        .iter()
        .map(|b| b.project(&(0..b.num_columns() - 1).collect::<Vec<_>>()))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Arrow {
            context: format!("collecting rejects of {}", t.name),
            source: e,
        })?;
    let rejects = (rows_rejected > 0).then_some(Rejects {
        table: t.name,
        batches,
    });
    let report = TableReport {
        table: t.name.into(),
        status: "present",
        files: infos,
        rows_read,
        rows_accepted: rows_read.saturating_sub(rows_rejected),
        rows_rejected,
        rejected_by_reason: by_reason,
        event_quarters: event_span,
        normalised: normalised(&mapped.counters, &changes),
        from_cache,
    };
    Ok((report, rejects))
}

/// Registers `name`, the validation view of `t` (`sql`): its mapped rows
/// with a `__reject` reason, null when the row is valid.
async fn register_validated(ctx: &SessionContext, t: &Table, sql: &str, name: &str) -> Result<()> {
    let df = ctx
        .sql(sql)
        .await
        .map_err(Error::query(format!("validating {}", t.name)))?;
    ctx.register_table(name, df.into_view())
        .map_err(Error::query("registering a validated table"))?;
    Ok(())
}

/// Validates `t`: finds its duplicate ids, registers the validation view
/// `validated`, counts its rejected rows by reason and collects them.
async fn validate(
    ctx: &SessionContext,
    t: &Table,
    sql: &str,
    validated: &str,
    mapped: &Mapped,
) -> Result<Validation> {
    if let Some(id) = t.id {
        let started = std::time::Instant::now();
        ids::register_duplicates(ctx, t.name, id).await?;
        tracing::debug!(
            table = t.name,
            ms = started.elapsed().as_millis() as u64,
            "duplicate ids found"
        );
    }
    // The validation is a view, never held in memory: it is scanned once
    // for the counts, once more for the rejected rows when there are any,
    // and the canonical table reads the Parquet again through the mapping,
    // so memory stays bounded by DataFusion's pool whatever the size of
    // the source.
    register_validated(ctx, t, sql, validated).await?;
    let (by_reason, event_span, changes) =
        validation_counts(ctx, t, validated, &mapped.counters).await?;
    let rejects = if by_reason.values().sum::<u64>() > 0 {
        collect_rejects(ctx, t, validated, &mapped.from_text).await?
    } else {
        Vec::new()
    };
    Ok(Validation {
        by_reason,
        event_span,
        changes,
        rejects,
    })
}

/// The canonical table of `t`: its valid rows, the contract's columns.
/// `rejected` are the rejected rows (their id last); `null_ids` whether
/// some row had no id.
async fn canonical(
    ctx: &SessionContext,
    t: &Table,
    mapped: &str,
    validated: &str,
    null_ids: bool,
    rejected: &[RecordBatch],
) -> Result<datafusion::dataframe::DataFrame> {
    let Some(id) = t.id else {
        // Reference tables without an id are small: the validation view.
        return ctx
            .sql(&format!(
                "SELECT {} FROM {validated} WHERE __reject IS NULL",
                t.columns
                    .iter()
                    .map(|c| format!("\"{}\"", c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .await
            .map_err(Error::query(format!("selecting valid rows of {}", t.name)));
    };
    // Rejection is by row, and every copy of a duplicate id is rejected,
    // so the ids of rejected rows pick out exactly the rejected rows: the
    // canonical table is the mapped Parquet less those ids, and a query
    // reads only the columns it needs.
    let selecting = || Error::query(format!("selecting valid rows of {}", t.name));
    let mut mapped = ctx
        .table(mapped)
        .await
        .map_err(Error::query("reading a mapped table"))?;
    // A null id is always rejected (`null_id:<id>` is the first check), so
    // the filter is needed only when some were found; without it a query
    // that does not name the id never decodes the id column.
    if null_ids {
        mapped = mapped
            .filter(ident(id).is_not_null())
            .map_err(selecting())?;
    }
    if !rejected.is_empty() {
        let key_type = mapped
            .schema()
            .field_with_unqualified_name(id)
            .map_err(Error::query("reading a mapped table"))?
            .data_type()
            .clone();
        let ids = rejected_ids(rejected, t, &key_type)?;
        let ids = ctx
            .read_batch(ids)
            .map_err(Error::query("registering rejected ids"))?;
        mapped = mapped
            .join(ids, JoinType::LeftAnti, &[id], &[REJECTED_ID], None)
            .map_err(selecting())?;
    }
    let columns: Vec<Expr> = t.columns.iter().map(|c| ident(c.name)).collect();
    mapped.select(columns).map_err(selecting())
}

/// Column of the rejects query that carries the row's id (dropped before
/// the rejects are written) and of the table of rejected ids.
const REJECTED_ID: &str = "__rejected_id";

/// Rejected rows by reason, the first and last quarter of the valid
/// events (sources only), and each counter's total.
type Counts = (
    BTreeMap<String, u64>,
    Option<(Quarter, Quarter)>,
    BTreeMap<String, u64>,
);

/// One pass over the validation view: rejected rows by reason, the first
/// and last quarter of the valid events, and the normalisation counters.
async fn validation_counts(
    ctx: &SessionContext,
    t: &Table,
    validated: &str,
    counters: &[Counter],
) -> Result<Counts> {
    let context = format!("validating {}", t.name);
    let (lo, hi) = match t.event_date {
        Some(e) => (
            format!("CAST(MIN(\"{e}\") AS INT)"),
            format!("CAST(MAX(\"{e}\") AS INT)"),
        ),
        None => ("CAST(NULL AS INT)".into(), "CAST(NULL AS INT)".into()),
    };
    let batches = ctx
        .sql(&format!(
            "SELECT CAST(__reject AS VARCHAR) AS reason, COUNT(*) AS n, {lo} AS first_day, {hi} AS last_day{} FROM {validated} GROUP BY __reject",
            counters
                .iter()
                .map(|k| format!(", SUM(CASE WHEN \"{0}\" THEN 1 ELSE 0 END) AS \"{0}\"", k.name))
                .collect::<String>()
        ))
        .await
        .map_err(Error::query(context.clone()))?
        .collect()
        .await
        .map_err(Error::query(context.clone()))?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a date");
    let quarter = |days: i32| Quarter::containing(epoch + chrono::Duration::days(i64::from(days)));
    let mut by_reason = BTreeMap::new();
    let mut span = None;
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for b in &batches {
        for (j, k) in counters.iter().enumerate() {
            let n = b.column(4 + j).as_primitive::<Int64Type>();
            let sum: i64 = n.iter().flatten().sum();
            *totals.entry(k.name.clone()).or_default() += u64::try_from(sum).unwrap_or(0);
        }
        let reasons =
            datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).map_err(|e| {
                Error::Arrow {
                    context: context.clone(),
                    source: e,
                }
            })?;
        let reasons = reasons.as_string::<i32>();
        let counts = b.column(1).as_primitive::<Int64Type>();
        let (lo, hi) = (
            b.column(2).as_primitive::<Int32Type>(),
            b.column(3).as_primitive::<Int32Type>(),
        );
        for i in 0..b.num_rows() {
            if reasons.is_valid(i) {
                by_reason.insert(reasons.value(i).to_string(), counts.value(i) as u64);
            } else if t.event_date.is_some() && lo.is_valid(i) && hi.is_valid(i) {
                span = Some((quarter(lo.value(i)), quarter(hi.value(i))));
            }
        }
    }
    Ok((by_reason, span, totals))
}

/// The rejected rows, person keys masked, ordered by every column so that
/// identical inputs give identical rejects files. The last column is the
/// row's id (null for tables without one), for [`rejected_ids`].
async fn collect_rejects(
    ctx: &SessionContext,
    t: &Table,
    validated: &str,
    from_text: &[&str],
) -> Result<Vec<RecordBatch>> {
    let masked: Vec<String> = t
        .columns
        .iter()
        .map(|c| {
            if c.person_key {
                format!(
                    "CASE WHEN \"{0}\" IS NULL THEN NULL ELSE '{MASK}' END AS \"{0}\"",
                    c.name
                )
            } else if from_text.contains(&c.name) {
                // The text as it arrived, so a value that failed to cast can be seen.
                format!("\"{}\" AS \"{}\"", raw_text(c), c.name)
            } else {
                format!("\"{}\"", c.name)
            }
        })
        .collect();
    let id = match t.id {
        Some(id) => format!("\"{id}\""),
        None => "CAST(NULL AS VARCHAR)".into(),
    };
    let order = (1..=masked.len() + 1)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    ctx.sql(&format!(
        "SELECT __reject AS reason, {}, {id} AS {REJECTED_ID} FROM {validated} WHERE __reject IS NOT NULL ORDER BY {order}",
        masked.join(", ")
    ))
    .await
    .map_err(Error::query(format!("collecting rejects of {}", t.name)))?
    .collect()
    .await
    .map_err(Error::query(format!("reading {}", t.name)))
}

/// The distinct non-null ids of the rejected rows, as a one-column batch.
fn rejected_ids(rejects: &[RecordBatch], t: &Table, key_type: &DataType) -> Result<RecordBatch> {
    let fail = |message: String| Error::Internal {
        context: format!("collecting the rejected ids of {}", t.name),
        message,
    };
    let mut ids = std::collections::BTreeSet::new();
    for b in rejects {
        let col = datafusion::arrow::compute::cast(b.column(b.num_columns() - 1), &DataType::Utf8)
            .map_err(|e| fail(e.to_string()))?;
        ids.extend(col.as_string::<i32>().iter().flatten().map(str::to_string));
    }
    let array = datafusion::arrow::array::StringArray::from_iter_values(ids);
    // The join key's own string type (Utf8, LargeUtf8 or Utf8View).
    let array =
        datafusion::arrow::compute::cast(&array, key_type).map_err(|e| fail(e.to_string()))?;
    RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new(
            REJECTED_ID,
            key_type.clone(),
            false,
        )])),
        vec![array],
    )
    .map_err(|e| fail(e.to_string()))
}

/// The files' absolute paths, as the Parquet readers are given them.
pub fn canonical_paths(files: &[PathBuf]) -> Result<Vec<String>> {
    files
        .iter()
        .map(|f| {
            std::fs::canonicalize(f)
                .map(|p| p.to_string_lossy().into_owned())
                .map_err(Error::unreadable(f))
        })
        .collect()
}

/// The extract files of a table location (`.parquet`, or `.csv` for a CSV
/// source), sorted; empty when absent.
pub fn list_files(loc: &TableLocation) -> Result<Vec<PathBuf>> {
    let extension = format!(".{}", loc.extension());
    let p = &loc.path;
    if p.is_file() {
        return Ok(vec![p.clone()]);
    }
    if !p.exists() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut stack = vec![p.clone()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(Error::unreadable(&dir))?;
        for e in entries {
            let e = e.map_err(Error::unreadable(&dir))?;
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(['.', '_']) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if name.ends_with(&extension) {
                out.push(path);
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(Error::Input {
            path: p.clone(),
            message: format!(
                "the {} directory holds no {extension} file; put the extract there, or remove the directory if the source is not available this run",
                loc.table.name
            ),
        });
    }
    Ok(out)
}

fn read_footer(table: &Table, path: &Path) -> Result<(Arc<Schema>, u64)> {
    let file = File::open(path).map_err(Error::unreadable(path))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| Error::Input {
        path: path.to_path_buf(),
        message: format!(
            "not a readable Parquet file for table {} ({e}); re-export the extract as Parquet",
            table.name
        ),
    })?;
    let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    Ok((builder.schema().clone(), rows))
}

/// An input file for the manifest, its hash filled in by `ingest` once
/// the hashing thread is done.
fn describe(data_dir: &Path, path: &Path, rows: u64) -> Result<InputFile> {
    let bytes = std::fs::metadata(path)
        .map_err(Error::unreadable(path))?
        .len();
    let rel = path.strip_prefix(data_dir).unwrap_or(path);
    Ok(InputFile {
        path: rel.to_string_lossy().replace('\\', "/"),
        bytes,
        sha256: String::new(),
        rows,
    })
}

/// The SHA-256 of a file's bytes, in hex.
fn sha256_of(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(Error::unreadable(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(Error::unreadable(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn check_schema(
    loc: &TableLocation,
    file: &Path,
    schema: &Schema,
    problems: &mut Vec<SchemaProblem>,
) {
    for c in loc.table.columns {
        let src = loc.source_column(c.name);
        let problem = |found: Option<String>| SchemaProblem {
            table: loc.table.name.into(),
            file: file.to_path_buf(),
            column: c.name.into(),
            source_column: src.into(),
            expected: c.kind.expected().into(),
            found,
        };
        match schema.field_with_name(src) {
            Err(_) => problems.push(problem(None)),
            Ok(f) => {
                if c.kind.conversion(f.data_type()).is_none() {
                    problems.push(problem(Some(f.data_type().to_string())));
                }
            }
        }
    }
}

/// A table's extract files: Parquet, or CSV prepared by `text`.
struct Source<'a> {
    files: &'a [PathBuf],
    csv: &'a [text::PreparedCsv],
}

/// A count the validation pass takes of a mapped text column: rows where
/// normalisation step `step` changed its value, or (`step` none) where the
/// canonical text differs from the text as it arrived.
#[derive(Debug, Clone)]
struct Counter {
    column: &'static str,
    step: Option<usize>,
    /// The flag column of the mapped view.
    name: String,
}

/// What `register_mapped` registered.
struct Mapped {
    /// Columns cast from text: the rejects show their text as it arrived.
    from_text: Vec<&'static str>,
    counters: Vec<Counter>,
    /// The view's plan, as text: part of the validation cache's key.
    plan: String,
}

/// Registers `name`: the canonical names and types, a `__bad_<col>` flag
/// per column, `__raw_<col>` text for columns built from text, and the
/// normalisation counters. Text columns named in `as_they_are` are read
/// without normalisation (the canonical table, where nothing needs it).
async fn register_mapped(
    ctx: &SessionContext,
    loc: &TableLocation,
    source: &Source<'_>,
    as_they_are: &[&str],
    name: &str,
) -> Result<Mapped> {
    let t = loc.table;
    let df = read_source(ctx, loc, source).await?;
    let schema = df.schema().clone();
    let mut exprs: Vec<Expr> = Vec::new();
    let mut flags: Vec<Expr> = Vec::new();
    let mut extra: Vec<Expr> = Vec::new();
    let mut mapped = Mapped {
        from_text: Vec::new(),
        counters: Vec::new(),
        plan: String::new(),
    };
    for c in t.columns {
        let src = loc.source_column(c.name);
        let found = schema
            .field_with_unqualified_name(src)
            .map_err(Error::query(format!("resolving {}.{src}", t.name)))?
            .data_type()
            .clone();
        let raw = ident(src);
        let is_text = matches!(
            found,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        );
        let Some(conversion) = c.kind.conversion(&found) else {
            return Err(Error::Input {
                path: loc.path.clone(),
                message: format!(
                    "column '{src}' of table {} has type {found}, which cannot become {}",
                    t.name,
                    c.kind.expected()
                ),
            });
        };
        if !is_text || as_they_are.contains(&c.name) {
            let value = match conversion {
                Conversion::Keep => raw,
                Conversion::Cast | Conversion::TryCast => cast(raw, c.kind.canonical_type()),
            };
            exprs.push(value.alias(c.name));
            flags.push(lit(false).alias(bad_flag(c)));
            continue;
        }
        let built = columns::from_text(loc, c, raw.clone());
        let arrived = cast(raw, DataType::Utf8);
        if !matches!(c.kind, Kind::Text | Kind::Enum(_))
            || built.changed.iter().any(Option::is_some)
        {
            mapped.from_text.push(c.name);
            extra.push(arrived.clone().alias(raw_text(c)));
        }
        for (i, changed) in built.changed.iter().enumerate() {
            if let Some(e) = changed {
                let counter = format!("__step{i}_{}", c.name);
                extra.push(e.clone().alias(&counter));
                mapped.counters.push(Counter {
                    column: c.name,
                    step: Some(i),
                    name: counter,
                });
            }
        }
        if matches!(c.kind, Kind::Text | Kind::Enum(_)) {
            let counter = format!("__changed_{}", c.name);
            extra.push(built.any_change.clone().alias(&counter));
            mapped.counters.push(Counter {
                column: c.name,
                step: None,
                name: counter,
            });
        }
        exprs.push(built.value.alias(c.name));
        flags.push(built.bad.alias(bad_flag(c)));
    }
    exprs.extend(flags);
    exprs.extend(extra);
    let view = df
        .select(exprs)
        .map_err(Error::query(format!("mapping the columns of {}", t.name)))?;
    mapped.plan = view.logical_plan().display_indent().to_string();
    ctx.register_table(name, view.into_view())
        .map_err(Error::query("registering a mapped table"))?;
    Ok(mapped)
}

/// The extract files as one table: Parquet as it is, CSV as text.
async fn read_source(
    ctx: &SessionContext,
    loc: &TableLocation,
    source: &Source<'_>,
) -> Result<datafusion::dataframe::DataFrame> {
    let t = loc.table;
    let unreadable = |e: datafusion::error::DataFusionError| Error::Input {
        path: loc.path.clone(),
        message: format!(
            "the files of table {} cannot be read together ({e}); give every file of a source the same columns and types",
            t.name
        ),
    };
    match loc.format {
        Format::Parquet => ctx
            .read_parquet(
                canonical_paths(source.files)?,
                ParquetReadOptions::default(),
            )
            .await
            .map_err(unreadable),
        Format::Csv => {
            let first = &source.csv[0];
            for (p, f) in source.csv.iter().zip(source.files).skip(1) {
                if p.schema != first.schema {
                    return Err(Error::Input {
                        path: f.clone(),
                        message: format!(
                            "its header differs from the first file's of table {}; give every file of a source the same header",
                            t.name
                        ),
                    });
                }
            }
            let paths: Vec<PathBuf> = source
                .csv
                .iter()
                .flat_map(|p| p.parquet.iter().cloned())
                .collect();
            ctx.read_parquet(canonical_paths(&paths)?, ParquetReadOptions::default())
                .await
                .map_err(unreadable)
        }
    }
}

/// The manifest's normalisation counts from the validation pass's totals.
fn normalised(
    counters: &[Counter],
    totals: &BTreeMap<String, u64>,
) -> BTreeMap<String, BTreeMap<&'static str, u64>> {
    let mut out: BTreeMap<String, BTreeMap<&'static str, u64>> = BTreeMap::new();
    for k in counters {
        let (Some(step), Some(&n)) = (k.step, totals.get(&k.name)) else {
            continue;
        };
        if n > 0 {
            out.entry(k.column.to_string())
                .or_default()
                .insert(columns::STEPS[step], n);
        }
    }
    out
}

fn raw_text(c: &Column) -> String {
    format!("__raw_{}", c.name)
}

fn bad_flag(c: &Column) -> String {
    format!("__bad_{}", c.name)
}

pub(crate) fn register_empty(ctx: &SessionContext, t: &Table) -> Result<()> {
    let fields: Vec<Field> = t
        .columns
        .iter()
        .map(|c| Field::new(c.name, c.kind.canonical_type(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let mem = MemTable::try_new(schema, vec![vec![]])
        .map_err(Error::query("registering an absent table"))?;
    ctx.register_table(t.name, Arc::new(mem))
        .map_err(Error::query("registering an absent table"))?;
    Ok(())
}

fn quote_list(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SQL that adds a `__reject` reason (null when the row is valid) to a
/// mapped table. The first failing check wins, in this order: null id,
/// missing value, unparseable value, enumeration, range, code format,
/// township code, unknown village, duplicate id.
pub fn validation_sql(t: &Table) -> String {
    let mut whens: Vec<(String, String)> = Vec::new();
    let q = |c: &str| format!("\"{c}\"");
    if let Some(id) = t.id {
        whens.push((format!("{} IS NULL", q(id)), format!("null_id:{id}")));
    }
    for c in t
        .columns
        .iter()
        .filter(|c| !c.nullable && Some(c.name) != t.id)
    {
        whens.push((
            format!("{} IS NULL AND NOT {}", q(c.name), q(&bad_flag(c))),
            format!("missing_value:{}", c.name),
        ));
    }
    for c in t.columns {
        whens.push((q(&bad_flag(c)), format!("bad_value:{}", c.name)));
    }
    for c in t.columns {
        if let Kind::Enum(values) = c.kind {
            whens.push((
                format!(
                    "{} IS NOT NULL AND {} NOT IN ({})",
                    q(c.name),
                    q(c.name),
                    quote_list(values)
                ),
                format!("bad_enum:{}", c.name),
            ));
        }
    }
    for c in t.columns.iter().filter(|c| c.kind == Kind::Amount) {
        // NaN and infinities: x - x is 0 only for finite x.
        whens.push((
            format!("{0} IS NOT NULL AND NOT ({0} - {0} = 0)", q(c.name)),
            format!("not_finite:{}", c.name),
        ));
    }
    for c in t.columns.iter().filter(|c| c.kind == Kind::Amount) {
        whens.push((
            format!("{} > {MAX_AMOUNT:.1}", q(c.name)),
            format!("out_of_range:{}", c.name),
        ));
    }
    // Event dates no system of record can hold (typos such as 0026 or
    // 2206): before the People's Republic, or past 2099.
    for c in t
        .columns
        .iter()
        .filter(|c| c.kind == Kind::Date && t.is_source())
    {
        whens.push((
            format!(
                "({0} < DATE '{EARLIEST_DATE}' OR {0} > DATE '{LATEST_DATE}')",
                q(c.name)
            ),
            format!("out_of_range:{}", c.name),
        ));
    }
    for c in t.columns {
        let cond = match c.check {
            Some(Check::NonNegative) => Some((format!("{} < 0", q(c.name)), "negative")),
            Some(Check::Positive) => Some((format!("{} <= 0", q(c.name)), "not_positive")),
            Some(Check::Range(lo, hi)) => Some((
                format!("({0} < {lo} OR {0} > {hi})", q(c.name)),
                "out_of_range",
            )),
            Some(Check::Digits(n)) => Some((
                format!(
                    "(length({0}) <> {n} OR translate({0}, '0123456789', '') <> '')",
                    q(c.name)
                ),
                "bad_code",
            )),
            None => None,
        };
        if let Some((cond, reason)) = cond {
            whens.push((cond, format!("{reason}:{}", c.name)));
        }
    }
    if t.name == "villages" {
        whens.push((
            "\"township_code\" <> substr(\"village_code\", 1, 9)".into(),
            "township_mismatch:township_code".into(),
        ));
    }
    if t.name == "dispositions" {
        // An alert id opens with its village's code (`lifecycle`).
        whens.push((
            "substr(\"alert_id\", 1, length(\"village_code\") + 1) <> concat(\"village_code\", ':')"
                .into(),
            "bad_value:alert_id".into(),
        ));
    }
    if t.has_village {
        whens.push(("NOT __known_village".into(), "unknown_village".into()));
    }
    if t.id.is_some() {
        whens.push(("__is_dup".into(), "duplicate_id".into()));
    }
    let case = whens
        .iter()
        .map(|(cond, reason)| format!("WHEN {cond} THEN '{reason}'"))
        .collect::<Vec<_>>()
        .join("\n    ");
    // Ids found more than once (`ids::register_duplicates`): a join with a
    // small table, not a window over the whole source.
    let (dups, dup_join) = match t.id {
        Some(id) => (
            ", d.__dup IS NOT NULL AS __is_dup".to_string(),
            format!(
                " LEFT JOIN __dups_{name} d ON m.\"{id}\" = d.__dup",
                name = t.name
            ),
        ),
        None => (String::new(), String::new()),
    };
    let (known, join) = if t.has_village {
        (
            ", v.__vc IS NOT NULL AS __known_village",
            " LEFT JOIN (SELECT DISTINCT village_code AS __vc FROM villages) v ON m.village_code = v.__vc",
        )
    } else {
        ("", "")
    };
    format!(
        "SELECT *, CASE\n    {case}\n  END AS __reject\nFROM (SELECT m.*{dups}{known} FROM __mapped_{name} m{join}{dup_join}) AS checked",
        name = t.name
    )
}

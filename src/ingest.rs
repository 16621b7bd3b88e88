//! Ingest: finds each table's Parquet files through the catalog, checks
//! every file's schema against the contract (all problems reported at once),
//! maps and casts columns onto the canonical names and types, and validates
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
use datafusion::logical_expr::{Expr, JoinType, cast, try_cast};
use datafusion::prelude::{ParquetReadOptions, SessionContext, ident, lit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::catalog::{Catalog, TableLocation};
use crate::contract::{Check, Column, Conversion, Kind, Table};
use crate::digest::hex;
use crate::error::{Error, Result, SchemaProblem};
use crate::period::Quarter;

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
}

impl Ingested {
    pub fn report(&self, table: &str) -> Option<&TableReport> {
        self.tables.iter().find(|t| t.table == table)
    }

    pub fn is_present(&self, table: &str) -> bool {
        self.report(table).is_some_and(TableReport::is_present)
    }
}

/// Mask written over person keys in rejects.
pub const MASK: &str = "***";

/// A table of the catalog with its files and their descriptions.
type Found<'a> = (&'a TableLocation, Vec<PathBuf>, Vec<InputFile>);

/// Registers every canonical table of the catalog in `ctx`.
pub async fn ingest(ctx: &SessionContext, catalog: &Catalog) -> Result<Ingested> {
    let found = locate(catalog)?;
    let mut tables = Vec::new();
    let mut rejects = Vec::new();
    for (loc, files, infos) in found {
        let (report, rejected) = ingest_table(ctx, loc, &files, infos).await?;
        tables.push(report);
        rejects.extend(rejected);
    }
    Ok(Ingested { tables, rejects })
}

/// Stage 1: every table's files and schemas, every problem at once; the
/// villages table must be there.
fn locate(catalog: &Catalog) -> Result<Vec<Found<'_>>> {
    let mut problems = Vec::new();
    let mut found: Vec<Found> = Vec::new();
    for loc in &catalog.tables {
        let files = list_parquet(loc)?;
        let mut infos = Vec::new();
        for f in &files {
            let (schema, rows) = read_footer(loc.table, f)?;
            check_schema(loc, f, &schema, &mut problems);
            infos.push(describe(&catalog.data_dir, f, rows)?);
        }
        found.push((loc, files, infos));
    }
    if !problems.is_empty() {
        return Err(Error::Schema { problems });
    }
    if found
        .iter()
        .any(|(l, files, _)| l.table.name == "villages" && files.is_empty())
    {
        return Err(Error::Input {
            path: catalog.data_dir.join("villages.parquet"),
            message: "the villages reference table is required and was not found; every score is per village".into(),
        });
    }
    Ok(found)
}

/// Stage 2 for one table: map, validate, register the canonical table;
/// its report and its rejected rows.
async fn ingest_table(
    ctx: &SessionContext,
    loc: &TableLocation,
    files: &[PathBuf],
    infos: Vec<InputFile>,
) -> Result<(TableReport, Option<Rejects>)> {
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
        };
        return Ok((report, None));
    }
    let from_text = register_mapped(ctx, loc, files).await?;
    if let Some(id) = t.id {
        register_duplicate_ids(ctx, t.name, id).await?;
    }
    // The validation is a view, never held in memory: it is scanned once
    // for the counts, once more for the rejected rows when there are any,
    // and the canonical table reads the Parquet again through the mapping,
    // so memory stays bounded by DataFusion's pool whatever the size of
    // the source.
    let validated = format!("__validated_{}", t.name);
    let df = ctx
        .sql(&validation_sql(t))
        .await
        .map_err(Error::query(format!("validating {}", t.name)))?;
    ctx.register_table(&validated, df.into_view())
        .map_err(Error::query("registering a validated table"))?;

    let (by_reason, event_span) = validation_counts(ctx, t, &validated).await?;
    let rows_rejected: u64 = by_reason.values().sum();
    let batches = if rows_rejected > 0 {
        collect_rejects(ctx, t, &validated, &from_text).await?
    } else {
        Vec::new()
    };
    let null_ids = by_reason.keys().any(|r| r.starts_with("null_id:"));
    let clean = canonical(ctx, t, &validated, null_ids, &batches).await?;
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
    };
    Ok((report, rejects))
}

/// The canonical table of `t`: its valid rows, the contract's columns.
/// `rejected` are the rejected rows (their id last); `null_ids` whether
/// some row had no id.
async fn canonical(
    ctx: &SessionContext,
    t: &Table,
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
        .table(format!("__mapped_{}", t.name))
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

/// Registers `__dups_<table>`: the ids that occur more than once, over every
/// file of the table. Reads the id column alone.
async fn register_duplicate_ids(ctx: &SessionContext, table: &str, id: &str) -> Result<()> {
    let context = format!("finding duplicate ids of {table}");
    let df = ctx
        .sql(&format!(
            "SELECT \"{id}\" AS __dup FROM __mapped_{table} WHERE \"{id}\" IS NOT NULL GROUP BY \"{id}\" HAVING COUNT(*) > 1"
        ))
        .await
        .map_err(Error::query(context.clone()))?;
    let schema = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await.map_err(Error::query(context.clone()))?;
    let mem = MemTable::try_new(schema, vec![batches]).map_err(Error::query(context.clone()))?;
    ctx.register_table(format!("__dups_{table}"), Arc::new(mem))
        .map_err(Error::query(context))?;
    Ok(())
}

/// One pass over the validation view: rejected rows by reason, and the
/// first and last quarter of the valid events (sources only).
async fn validation_counts(
    ctx: &SessionContext,
    t: &Table,
    validated: &str,
) -> Result<(BTreeMap<String, u64>, Option<(Quarter, Quarter)>)> {
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
            "SELECT CAST(__reject AS VARCHAR) AS reason, COUNT(*) AS n, {lo} AS first_day, {hi} AS last_day FROM {validated} GROUP BY __reject"
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
    for b in &batches {
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
    Ok((by_reason, span))
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

/// The Parquet files of a table location, sorted; empty when absent.
pub fn list_parquet(loc: &TableLocation) -> Result<Vec<PathBuf>> {
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
            } else if name.ends_with(".parquet") {
                out.push(path);
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(Error::Input {
            path: p.clone(),
            message: format!(
                "the {} directory holds no .parquet file; put the extract there, or remove the directory if the source is not available this run",
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

fn describe(data_dir: &Path, path: &Path, rows: u64) -> Result<InputFile> {
    let mut file = File::open(path).map_err(Error::unreadable(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(Error::unreadable(path))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buf[..n]);
    }
    let rel = path.strip_prefix(data_dir).unwrap_or(path);
    Ok(InputFile {
        path: rel.to_string_lossy().replace('\\', "/"),
        bytes,
        sha256: hex(&hasher.finalize()),
        rows,
    })
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

/// Registers `__mapped_<table>`: canonical names and types, a `__bad_<col>`
/// flag per column, and `__raw_<col>` text for columns cast from strings.
/// Returns the columns cast from strings.
async fn register_mapped(
    ctx: &SessionContext,
    loc: &TableLocation,
    files: &[PathBuf],
) -> Result<Vec<&'static str>> {
    let t = loc.table;
    let paths = canonical_paths(files)?;
    let df = ctx
        .read_parquet(paths, ParquetReadOptions::default())
        .await
        .map_err(|e| Error::Input {
            path: loc.path.clone(),
            message: format!(
                "the files of table {} cannot be read together ({e}); give every file of a source the same column types",
                t.name
            ),
        })?;
    let schema = df.schema().clone();
    // Canonical columns first, then one `__bad_<col>` flag per column: true
    // where a string failed to cast, a constant false elsewhere, so the
    // validation SQL has one shape.
    let mut exprs: Vec<Expr> = Vec::new();
    let mut flags: Vec<Expr> = Vec::new();
    let mut raws: Vec<Expr> = Vec::new();
    let mut from_text = Vec::new();
    for c in t.columns {
        let src = loc.source_column(c.name);
        let found = schema
            .field_with_unqualified_name(src)
            .map_err(Error::query(format!("resolving {}.{src}", t.name)))?
            .data_type()
            .clone();
        let raw = ident(src);
        let target = c.kind.canonical_type();
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
        match conversion {
            Conversion::Keep => {
                exprs.push(raw.alias(c.name));
                flags.push(lit(false).alias(bad_flag(c)));
            }
            Conversion::Cast => {
                exprs.push(cast(raw, target).alias(c.name));
                flags.push(lit(false).alias(bad_flag(c)));
            }
            Conversion::TryCast => {
                from_text.push(c.name);
                raws.push(cast(raw.clone(), DataType::Utf8).alias(raw_text(c)));
                exprs.push(try_cast(raw.clone(), target.clone()).alias(c.name));
                flags.push(
                    raw.clone()
                        .is_not_null()
                        .and(try_cast(raw, target).is_null())
                        .alias(bad_flag(c)),
                );
            }
        }
    }
    exprs.extend(flags);
    exprs.extend(raws);
    let mapped = df
        .select(exprs)
        .map_err(Error::query(format!("mapping the columns of {}", t.name)))?;
    ctx.register_table(format!("__mapped_{}", t.name), mapped.into_view())
        .map_err(Error::query("registering a mapped table"))?;
    Ok(from_text)
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
    // Ids found more than once (`register_duplicate_ids`): a join with a
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

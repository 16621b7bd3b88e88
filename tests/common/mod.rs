//! Test fixtures: tiny districts written as Parquet into a temporary
//! directory, built from the data contract's own table definitions so each
//! test states only the cells its case is about.

#![allow(dead_code)]

pub mod handcalc;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use qinglian::contract::{self, Kind, Table};

#[allow(unused_imports)]
pub use qinglian::contract::{ASSISTANCE, CADRES, CASES, PETITIONS, RELATIONS, TRADING, VILLAGES};

/// A cell: `None` writes null.
pub type Row<'a> = &'a [(&'a str, Option<&'a str>)];

fn days(s: &str) -> i32 {
    let d =
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("bad date {s}: {e}"));
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    (d - epoch).num_days() as i32
}

/// Default for a column left out of a row: a valid value, unique for ids.
fn default_cell(table: &Table, col: &contract::Column, row: usize) -> Option<String> {
    if col.nullable {
        return None;
    }
    if Some(col.name) == table.id {
        return Some(format!("{}-{row}", table.name));
    }
    Some(match (col.name, col.kind) {
        ("village_code", _) => "990101001201".into(),
        ("township_code", _) => "990101001".into(),
        ("population", _) => "1000".into(),
        ("households", _) => "350".into(),
        (_, Kind::Enum(values)) => values[0].into(),
        (_, Kind::Text) => format!("{}-{row}", col.name),
        (_, Kind::Date) => "2026-08-01".into(),
        (_, Kind::Amount) => "100".into(),
        (_, Kind::Count) => "1".into(),
        (_, Kind::Bool) => "false".into(),
    })
}

/// A canonical batch of `table` from rows of (column, value) pairs.
pub fn batch(table: &Table, rows: &[Row]) -> RecordBatch {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for col in table.columns {
        let cells: Vec<Option<String>> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| match r.iter().find(|(c, _)| *c == col.name) {
                Some((_, v)) => v.map(str::to_string),
                None => default_cell(table, col, i),
            })
            .collect();
        let arr: ArrayRef = match col.kind {
            Kind::Text | Kind::Enum(_) => Arc::new(StringArray::from(cells.clone())),
            Kind::Date => Arc::new(Date32Array::from(
                cells
                    .iter()
                    .map(|c| c.as_deref().map(days))
                    .collect::<Vec<_>>(),
            )),
            Kind::Amount => Arc::new(Float64Array::from(
                cells
                    .iter()
                    .map(|c| c.as_deref().map(|v| v.parse().unwrap()))
                    .collect::<Vec<_>>(),
            )),
            Kind::Count => Arc::new(Int64Array::from(
                cells
                    .iter()
                    .map(|c| c.as_deref().map(|v| v.parse().unwrap()))
                    .collect::<Vec<_>>(),
            )),
            Kind::Bool => Arc::new(BooleanArray::from(
                cells
                    .iter()
                    .map(|c| c.as_deref().map(|v| v == "true"))
                    .collect::<Vec<_>>(),
            )),
        };
        fields.push(Field::new(col.name, arr.data_type().clone(), true));
        arrays.push(arr);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

/// Writes a batch as Parquet at `path` (parents created).
pub fn write(path: &Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

/// A batch from explicit columns (for off-contract schemas).
pub fn raw_batch(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        cols.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

/// Replaces or removes a column of a batch.
pub fn with_column(b: &RecordBatch, name: &str, array: Option<ArrayRef>) -> RecordBatch {
    let mut cols: Vec<(String, ArrayRef)> = b
        .schema()
        .fields()
        .iter()
        .zip(b.columns())
        .map(|(f, a)| (f.name().clone(), a.clone()))
        .collect();
    match array {
        Some(a) => {
            if let Some(c) = cols.iter_mut().find(|(n, _)| n == name) {
                c.1 = a;
            } else {
                cols.push((name.to_string(), a));
            }
        }
        None => cols.retain(|(n, _)| n != name),
    }
    raw_batch(cols.iter().map(|(n, a)| (n.as_str(), a.clone())).collect())
}

/// A tiny district: three villages in two townships, written with the
/// contract's layout. Sources are added by each test.
#[derive(Debug)]
pub struct District {
    pub dir: tempfile::TempDir,
}

pub const V1: &str = "990101001201";
pub const V2: &str = "990101001202";
pub const V3: &str = "990101002201";

impl District {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = Self { dir };
        d.put(
            &VILLAGES,
            &[
                &[
                    ("village_code", Some(V1)),
                    ("village_name", Some("青石村")),
                    ("township_code", Some("990101001")),
                    ("township_name", Some("云岭镇")),
                    ("population", Some("2000")),
                ],
                &[
                    ("village_code", Some(V2)),
                    ("village_name", Some("柳溪村")),
                    ("township_code", Some("990101001")),
                    ("township_name", Some("云岭镇")),
                    ("population", Some("1000")),
                ],
                &[
                    ("village_code", Some(V3)),
                    ("village_name", Some("桃源社区")),
                    ("township_code", Some("990101002")),
                    ("township_name", Some("桃源乡")),
                    ("population", Some("4000")),
                    ("unit_type", Some("community")),
                ],
            ],
        );
        d
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `<table>.parquet`.
    pub fn put(&self, table: &Table, rows: &[Row]) -> PathBuf {
        let path = self.path().join(format!("{}.parquet", table.name));
        write(&path, &batch(table, rows));
        path
    }

    /// Writes a raw batch at a path relative to the data directory.
    pub fn put_raw(&self, rel: &str, b: &RecordBatch) -> PathBuf {
        let path = self.path().join(rel);
        write(&path, b);
        path
    }
}

pub fn utf8(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

pub fn dtype_of(b: &RecordBatch, col: &str) -> DataType {
    b.schema().field_with_name(col).unwrap().data_type().clone()
}

/// Every file below `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// The repository root (for the committed framework and samples).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies a directory tree (a framework fixture) into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The handcalc framework copied into `to`, its definitions replaced by
/// `definitions` (one file) when given, for tests that vary it.
pub fn handcalc_framework_copy(to: &Path, definitions: Option<&str>) -> PathBuf {
    let dir = to.join("framework");
    copy_dir(&repo().join("tests/fixtures/frameworks/handcalc"), &dir);
    if let Some(text) = definitions {
        std::fs::remove_dir_all(dir.join("definitions")).unwrap();
        std::fs::create_dir_all(dir.join("definitions")).unwrap();
        std::fs::write(dir.join("definitions/all.toml"), text).unwrap();
    }
    dir
}

/// The seed `data-samples/` is generated with (its README).
pub const SAMPLES_SEED: u64 = 20_261_123;

/// The generator's options for the committed samples: `data-samples/` is
/// their real export style; `canonical_samples` writes the same district as
/// canonical Parquet.
pub fn samples_options() -> qinglian::generate::GenerateOptions {
    qinglian::generate::GenerateOptions {
        seed: SAMPLES_SEED,
        defects: true,
        export_style: qinglian::generate::ExportStyle::Real,
        ..Default::default()
    }
}

/// The committed samples' district written into `to` as canonical Parquet
/// (hive-partitioned petitions, canonical labels), for tests that edit the
/// files or need the canonical layout: the same records as `data-samples/`,
/// which holds them as real-style extracts.
pub fn canonical_samples(to: &Path) -> PathBuf {
    let options = qinglian::generate::GenerateOptions {
        export_style: qinglian::generate::ExportStyle::Canonical,
        ..samples_options()
    };
    qinglian::generate::generate(&options, to).unwrap();
    to.to_path_buf()
}

/// Options that run the committed samples with the default framework into
/// `out`.
pub fn samples(out: &Path) -> qinglian::pipeline::RunOptions {
    qinglian::pipeline::RunOptions {
        data_dir: repo().join("data-samples"),
        framework_dir: repo().join("indicators"),
        out_dir: Some(out.to_path_buf()),
        ..Default::default()
    }
}

/// Runs a pipeline future on a private runtime (for plain `#[test]`s that
/// share one run through a `OnceLock`).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Runtime::new().unwrap().block_on(f)
}

/// Reads a whole Parquet file into one batch.
pub fn read_batch(path: &Path) -> RecordBatch {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let schema = arrow::record_batch::RecordBatchReader::schema(&reader);
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    arrow::compute::concat_batches(&schema, &batches).unwrap()
}

/// Ingests the district in `d` (its catalog, if any) into a new context.
pub async fn ingest_dir(
    d: &District,
) -> Result<
    (
        datafusion::prelude::SessionContext,
        qinglian::ingest::Ingested,
    ),
    qinglian::error::Error,
> {
    let catalog = qinglian::catalog::Catalog::load(d.path(), None)?;
    let ctx = datafusion::prelude::SessionContext::new();
    let ing = qinglian::ingest::ingest(&ctx, &catalog).await?;
    Ok((ctx, ing))
}

/// A table's rejected rows by reason.
pub fn reasons(ing: &qinglian::ingest::Ingested, table: &str) -> Vec<(String, u64)> {
    ing.report(table)
        .unwrap()
        .rejected_by_reason
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

/// The `rejects/<table>.csv` file ingest's rejects of `table` make, as text.
pub fn rejects_text(ing: &qinglian::ingest::Ingested, table: &str) -> String {
    let out = tempfile::tempdir().unwrap();
    let r = ing.rejects.iter().find(|r| r.table == table).unwrap();
    std::fs::read_to_string(qinglian::outputs::write_rejects(out.path(), r).unwrap()).unwrap()
}

/// Runs the `qinglian` binary in the repository with `args`.
pub fn qinglian(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_qinglian"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

/// What a command printed: standard output, then standard error.
pub fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

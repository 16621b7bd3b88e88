//! The validation cache: what validating a table found (rejected rows by
//! reason, the span of its events, the normalisation counts and the
//! rejected rows themselves, person keys already masked), kept between runs
//! so that next quarter's run does not validate again the extracts that
//! did not change.
//!
//! An entry is one Parquet file, `<dir>/validation/<key>.parquet`: the
//! rejected rows as its rows, the counts as JSON in its key-value metadata.
//! The key is the SHA-256 of everything the validation depends on: the
//! cache format, qinglian's version, the contract's version and the table's
//! contract, the catalog's settings for the table, the framework's hash,
//! the validation SQL and the column mapping, the table's files by path
//! and content hash, and for tables checked against the villages the
//! villages' files. Any change gives another key, so an entry is never
//! stale; old entries are only unused (deleting the directory is safe).
//!
//! Entries are written to a temporary file in the same directory and
//! renamed into place, so two runs sharing a cache never read a half
//! written entry; two runs that write the same key write the same bytes.
//! An entry that cannot be read is reported and validated afresh.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use super::InputFile;
use crate::catalog::TableLocation;
use crate::error::{Error, Result};
use crate::period::Quarter;

/// Bumped whenever what an entry holds, or how validation computes it,
/// changes in a way the key's other parts would not show.
const FORMAT: u32 = 1;

/// The key-value metadata entry holding the counts.
const META_KEY: &str = "qinglian.validation";

/// A validation cache in a directory.
#[derive(Debug, Clone)]
pub struct ValidationCache {
    dir: PathBuf,
    framework_hash: String,
}

/// What validating one table found.
#[derive(Debug, Clone)]
pub struct Validation {
    pub by_reason: BTreeMap<String, u64>,
    pub event_span: Option<(Quarter, Quarter)>,
    /// Each normalisation counter's total.
    pub changes: BTreeMap<String, u64>,
    /// The rejected rows as `collect_rejects` gives them (id last).
    pub rejects: Vec<RecordBatch>,
}

/// The counts, as stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    by_reason: BTreeMap<String, u64>,
    event_span: Option<(String, String)>,
    changes: BTreeMap<String, u64>,
    rows_rejected: u64,
}

/// What a table's validation depends on besides its own files.
#[derive(Debug)]
pub struct KeyParts<'a> {
    pub loc: &'a TableLocation,
    pub files: &'a [InputFile],
    /// The villages' files, for tables whose rows must name a known village.
    pub villages: Option<&'a [InputFile]>,
    pub validation_sql: &'a str,
    /// The mapped view's plan: how the columns are read and normalised.
    pub mapping: &'a str,
}

impl ValidationCache {
    /// A cache in `dir` (created when first written), for runs of the
    /// framework whose hash is `framework_hash`.
    pub fn new(dir: &Path, framework_hash: &str) -> Self {
        Self {
            dir: dir.join("validation"),
            framework_hash: framework_hash.to_string(),
        }
    }

    /// The entry's key: a hex SHA-256.
    pub fn key(&self, parts: &KeyParts<'_>) -> String {
        let mut text = format!(
            "qinglian validation cache {FORMAT}\nversion {}\ncontract {}\nframework {}\nlocation {:?}\nsql {}\nmapping {}\n",
            env!("CARGO_PKG_VERSION"),
            crate::contract::CONTRACT_VERSION,
            self.framework_hash,
            parts.loc,
            parts.validation_sql,
            parts.mapping,
        );
        for f in parts.files {
            text.push_str(&format!("file {} {} {}\n", f.path, f.bytes, f.sha256));
        }
        for f in parts.villages.unwrap_or_default() {
            text.push_str(&format!("villages {} {} {}\n", f.path, f.bytes, f.sha256));
        }
        crate::digest::sha256(text.as_bytes())
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.parquet"))
    }

    /// The entry for `key`, if there is one that reads; an unreadable
    /// entry is reported and counts as none.
    pub fn load(&self, key: &str) -> Option<Validation> {
        let path = self.path(key);
        if !path.is_file() {
            return None;
        }
        match read_entry(&path) {
            Ok(v) => Some(v),
            Err(message) => {
                tracing::warn!(
                    entry = %path.display(),
                    "the validation cache entry cannot be read ({message}); validating the table again and replacing it"
                );
                None
            }
        }
    }

    /// Stores `validation` under `key`, atomically.
    pub fn store(&self, key: &str, validation: &Validation) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(Error::io("creating", &self.dir))?;
        let stored = Stored {
            by_reason: validation.by_reason.clone(),
            event_span: validation
                .event_span
                .map(|(a, b)| (a.to_string(), b.to_string())),
            changes: validation.changes.clone(),
            rows_rejected: validation.by_reason.values().sum(),
        };
        let meta = serde_json::to_string(&stored).map_err(|e| Error::Internal {
            context: "writing a validation cache entry".into(),
            message: e.to_string(),
        })?;
        let schema = validation.rejects.first().map_or_else(
            || {
                Arc::new(Schema::new(vec![Field::new(
                    "reason",
                    DataType::Utf8,
                    true,
                )]))
            },
            RecordBatch::schema,
        );
        let props = WriterProperties::builder()
            .set_key_value_metadata(Some(vec![KeyValue::new(META_KEY.to_string(), meta)]))
            .build();
        let tmp = tempfile::NamedTempFile::new_in(&self.dir)
            .map_err(Error::io("creating a temporary file in", &self.dir))?;
        let failed = |e: parquet::errors::ParquetError| Error::Write {
            context: format!("writing the validation cache entry {key}"),
            source: Box::new(e),
        };
        let mut writer =
            ArrowWriter::try_new(tmp.as_file(), schema, Some(props)).map_err(failed)?;
        for b in &validation.rejects {
            writer.write(b).map_err(failed)?;
        }
        writer.close().map_err(failed)?;
        let path = self.path(key);
        tmp.persist(&path).map_err(|e| Error::Io {
            action: "renaming a validation cache entry to",
            path,
            source: e.error,
        })?;
        Ok(())
    }
}

fn read_entry(path: &Path) -> std::result::Result<Validation, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| e.to_string())?;
    let meta = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == META_KEY))
        .and_then(|k| k.value.clone())
        .ok_or("it has no counts")?;
    let stored: Stored = serde_json::from_str(&meta).map_err(|e| e.to_string())?;
    let quarter = |s: &str| s.parse::<Quarter>().map_err(|e| e.to_string());
    let event_span = match &stored.event_span {
        Some((a, b)) => Some((quarter(a)?, quarter(b)?)),
        None => None,
    };
    let rejects = if stored.rows_rejected == 0 {
        Vec::new()
    } else {
        builder
            .build()
            .map_err(|e| e.to_string())?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?
    };
    let rows: usize = rejects.iter().map(RecordBatch::num_rows).sum();
    if rows as u64 != stored.rows_rejected {
        return Err(format!(
            "it holds {rows} rejected rows where its counts say {}",
            stored.rows_rejected
        ));
    }
    Ok(Validation {
        by_reason: stored.by_reason,
        event_span,
        changes: stored.changes,
        rejects,
    })
}

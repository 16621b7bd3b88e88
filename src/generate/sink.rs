//! Writing tables: one Parquet file per sink, filled batch by batch through
//! a single `ArrowWriter`, with fixed writer properties so that the same
//! rows always give the same bytes.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::GenerateError;

/// Rows per record batch handed to the writer.
pub(crate) const BATCH_ROWS: usize = 32 * 1024;
/// Rows per Parquet row group.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// One Parquet file being written.
pub(crate) struct ParquetSink {
    path: PathBuf,
    writer: ArrowWriter<BufWriter<File>>,
    rows: u64,
}

impl std::fmt::Debug for ParquetSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetSink")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .finish()
    }
}

impl ParquetSink {
    /// Creates `path` (and its parent directories) for rows of `schema`.
    pub(crate) fn create(path: &Path, schema: SchemaRef) -> Result<Self, GenerateError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(GenerateError::io(parent))?;
        }
        let file = File::create(path).map_err(GenerateError::io(path))?;
        let level = ZstdLevel::try_new(3).map_err(GenerateError::parquet(path))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by("qinglian synthetic district generator".to_string())
            .build();
        let writer =
            ArrowWriter::try_new(BufWriter::with_capacity(1 << 20, file), schema, Some(props))
                .map_err(GenerateError::parquet(path))?;
        Ok(Self {
            path: path.to_path_buf(),
            writer,
            rows: 0,
        })
    }

    /// Rows written so far.
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), GenerateError> {
        self.writer
            .write(batch)
            .map_err(GenerateError::parquet(&self.path))?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Finishes the file; returns the rows written.
    pub(crate) fn close(self) -> Result<u64, GenerateError> {
        let Self { path, writer, rows } = self;
        let inner = writer.into_inner().map_err(GenerateError::parquet(&path))?;
        // Dropping the file after the flush closes it.
        inner.into_inner().map_err(|e| GenerateError::Io {
            path: path.clone(),
            source: e.into_error(),
        })?;
        Ok(rows)
    }
}

/// A column of a written schema; every column is nullable, as in most
/// extracts, so that the contract's non-null checks are the pipeline's job.
pub(crate) fn field(name: &str, data_type: arrow::datatypes::DataType) -> Field {
    Field::new(name, data_type, true)
}

pub(crate) fn schema(fields: Vec<Field>) -> SchemaRef {
    Arc::new(Schema::new(fields))
}

/// Rows of one table, accumulated column by column.
pub(crate) trait Rows {
    type Row;
    /// What the table is called, for messages.
    const TABLE: &'static str;
    fn schema(&self) -> SchemaRef;
    fn push(&mut self, row: &Self::Row);
    fn len(&self) -> usize;
    /// The columns accumulated so far (the builders are emptied).
    fn take_columns(&mut self) -> Vec<ArrayRef>;
}

/// A table's rows on their way into one Parquet file.
#[derive(Debug)]
pub(crate) struct TableWriter<R: Rows> {
    rows: R,
    sink: ParquetSink,
}

impl<R: Rows> TableWriter<R> {
    pub(crate) fn create(path: &Path, rows: R) -> Result<Self, GenerateError> {
        let sink = ParquetSink::create(path, rows.schema())?;
        Ok(Self { rows, sink })
    }

    pub(crate) fn push(&mut self, row: &R::Row) -> Result<(), GenerateError> {
        self.rows.push(row);
        if self.rows.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Rows pushed so far (written or buffered).
    pub(crate) fn rows(&self) -> u64 {
        self.sink.rows() + self.rows.len() as u64
    }

    fn flush(&mut self) -> Result<(), GenerateError> {
        if self.rows.len() == 0 {
            return Ok(());
        }
        let columns = self.rows.take_columns();
        let batch = RecordBatch::try_new(self.rows.schema(), columns)
            .map_err(|e| GenerateError::Arrow(R::TABLE.to_string(), e))?;
        self.sink.write(&batch)
    }

    /// Writes what is buffered and finishes the file; returns the rows written.
    pub(crate) fn close(mut self) -> Result<u64, GenerateError> {
        self.flush()?;
        self.sink.close()
    }
}

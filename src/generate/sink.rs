//! Writing tables: one schema-driven row builder for every table the
//! generator writes. A [`Layout`] takes a table's columns from the data
//! contract (`crate::contract`), in the contract's order, under their
//! canonical names and types or as an extract writes them; [`Rows`] builds
//! a record batch of that layout cell by cell, each cell named and checked
//! against the contract's column and kind; a [`TableWriter`] hands the
//! batches, [`BATCH_ROWS`] rows at a time, to one Parquet file
//! ([`ParquetSink`]) with fixed writer properties, so that the same rows
//! always give the same bytes.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int32Builder,
    Int64Builder, RecordBatch, StringBuilder, TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::GenerateError;
use crate::contract::{Column, Kind, Table};

/// Rows per record batch handed to the writer.
pub(crate) const BATCH_ROWS: usize = 32 * 1024;
/// Rows per Parquet row group.
const ROW_GROUP_ROWS: usize = 128 * 1024;
const MS_PER_DAY: i64 = 86_400_000;

/// How a table is written: the contract's columns, in the contract's
/// order, each under a header and with an Arrow type. Every written column
/// is nullable, as in most extracts, so that the contract's non-null
/// checks are the pipeline's job (and a defect row can hold a null id).
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    table: &'static Table,
    schema: SchemaRef,
}

impl Layout {
    /// The table as the contract names and types it.
    pub(crate) fn canonical(table: &'static Table) -> Self {
        Self::extract(table, |c| (c.name, c.kind.canonical_type()))
    }

    /// The table as an extract arrives: each column under the header and
    /// with the Arrow type `written` gives it (for [`Rows`] to accept it,
    /// one of the encodings of its kind, see `Cells::for_column`).
    pub(crate) fn extract(
        table: &'static Table,
        written: impl Fn(&Column) -> (&'static str, DataType),
    ) -> Self {
        let fields: Vec<Field> = table
            .columns
            .iter()
            .map(|c| {
                let (header, data_type) = written(c);
                Field::new(header, data_type, true)
            })
            .collect();
        Self {
            table,
            schema: Arc::new(Schema::new(fields)),
        }
    }

    pub(crate) fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// One column's values so far, in the Arrow encoding of its layout.
#[derive(Debug)]
enum Cells {
    Utf8(StringBuilder),
    Date32(Date32Builder),
    /// A day written as its midnight, in milliseconds.
    TimestampMs(TimestampMillisecondBuilder),
    Float64(Float64Builder),
    /// Yuan with two decimals, appended in cents.
    Decimal(Decimal128Builder),
    Int64(Int64Builder),
    Int32(Int32Builder),
    Boolean(BooleanBuilder),
}

impl Cells {
    /// The builder for a column of `kind` written as `data_type`, or `None`
    /// when the generator cannot write that kind that way.
    fn for_column(kind: Kind, data_type: &DataType) -> Option<Self> {
        Some(match (kind, data_type) {
            (Kind::Text | Kind::Enum(_), DataType::Utf8) => Self::Utf8(StringBuilder::new()),
            (Kind::Date, DataType::Date32) => Self::Date32(Date32Builder::new()),
            (Kind::Date, DataType::Timestamp(TimeUnit::Millisecond, None)) => {
                Self::TimestampMs(TimestampMillisecondBuilder::new())
            }
            (Kind::Amount, DataType::Float64) => Self::Float64(Float64Builder::new()),
            (Kind::Amount, DataType::Decimal128(_, 2)) => {
                Self::Decimal(Decimal128Builder::new().with_data_type(data_type.clone()))
            }
            (Kind::Count, DataType::Int64) => Self::Int64(Int64Builder::new()),
            (Kind::Count, DataType::Int32) => Self::Int32(Int32Builder::new()),
            (Kind::Bool, DataType::Boolean) => Self::Boolean(BooleanBuilder::new()),
            _ => return None,
        })
    }

    /// The values so far, as an array (the builder is emptied).
    fn finish(&mut self) -> ArrayRef {
        match self {
            Self::Utf8(b) => Arc::new(b.finish()),
            Self::Date32(b) => Arc::new(b.finish()),
            Self::TimestampMs(b) => Arc::new(b.finish()),
            Self::Float64(b) => Arc::new(b.finish()),
            Self::Decimal(b) => Arc::new(b.finish()),
            Self::Int64(b) => Arc::new(b.finish()),
            Self::Int32(b) => Arc::new(b.finish()),
            Self::Boolean(b) => Arc::new(b.finish()),
        }
    }
}

/// Rows of one table on their way into a record batch. A row is appended
/// cell by cell, in the layout's column order, each cell naming its
/// column: [`text`](Self::text) for text and enumerations,
/// [`date`](Self::date) (days since 1970-01-01), [`amount`](Self::amount)
/// (yuan) or [`cents`](Self::cents), [`count`](Self::count) and
/// [`flag`](Self::flag). A cell out of order, of the wrong kind or
/// missing makes [`end_row`](Self::end_row) fail.
#[derive(Debug)]
pub(crate) struct Rows {
    layout: Layout,
    columns: Vec<Cells>,
    /// Complete rows so far.
    len: usize,
    /// The column the next cell goes into.
    next: usize,
    /// What went wrong in the current row, if anything.
    error: Option<String>,
    /// A row was refused: its cells are in the builders, so no batch can
    /// be finished any more.
    broken: bool,
}

impl Rows {
    /// Empty rows of `layout`; fails when a column's written type is not
    /// one the generator writes for its kind.
    pub(crate) fn new(layout: Layout) -> Result<Self, GenerateError> {
        let mut columns = Vec::with_capacity(layout.table.columns.len());
        for (c, f) in layout.table.columns.iter().zip(layout.schema.fields()) {
            let Some(cells) = Cells::for_column(c.kind, f.data_type()) else {
                return Err(arrow_error(
                    layout.table,
                    format!(
                        "column {} ({:?}) cannot be written as {}",
                        c.name,
                        c.kind,
                        f.data_type()
                    ),
                ));
            };
            columns.push(cells);
        }
        Ok(Self {
            layout,
            columns,
            len: 0,
            next: 0,
            error: None,
            broken: false,
        })
    }

    /// Complete rows so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The builder of the column the next cell goes into, if it is `name`.
    fn cell(&mut self, name: &str) -> Option<&mut Cells> {
        let i = self.next;
        self.next += 1;
        let expected = self.layout.table.columns.get(i).map(|c| c.name);
        if expected != Some(name) {
            let at = expected.map_or("past the last column".to_string(), |e| format!("at {e}"));
            self.fail(format!("cell {name} {at}"));
            return None;
        }
        self.columns.get_mut(i)
    }

    fn fail(&mut self, message: String) {
        self.error.get_or_insert(message);
    }

    /// The cell just taken (`name`, in its place) was given a value of
    /// another kind.
    fn wrong_kind(&mut self, name: &str, value: &str) {
        let kind = self.layout.table.columns[self.next - 1].kind;
        self.fail(format!("cell {name} ({kind:?}) given {value}"));
    }

    /// A text or enumeration cell.
    pub(crate) fn text<'v>(&mut self, name: &str, value: impl Into<Option<&'v str>>) {
        let value = value.into();
        match self.cell(name) {
            Some(Cells::Utf8(b)) => b.append_option(value),
            Some(_) => self.wrong_kind(name, "a text"),
            None => {}
        }
    }

    /// A date cell: days since 1970-01-01.
    pub(crate) fn date(&mut self, name: &str, value: impl Into<Option<i32>>) {
        let value = value.into();
        match self.cell(name) {
            Some(Cells::Date32(b)) => b.append_option(value),
            Some(Cells::TimestampMs(b)) => {
                b.append_option(value.map(|d| i64::from(d) * MS_PER_DAY));
            }
            Some(_) => self.wrong_kind(name, "a date"),
            None => {}
        }
    }

    /// An amount cell in yuan.
    pub(crate) fn amount(&mut self, name: &str, value: impl Into<Option<f64>>) {
        let value = value.into();
        match self.cell(name) {
            Some(Cells::Float64(b)) => b.append_option(value),
            Some(Cells::Decimal(b)) => {
                b.append_option(value.map(|y| (y * 100.0).round() as i128));
            }
            Some(_) => self.wrong_kind(name, "an amount"),
            None => {}
        }
    }

    /// An amount cell in cents (hundredths of a yuan).
    pub(crate) fn cents(&mut self, name: &str, value: impl Into<Option<i64>>) {
        let value = value.into();
        match self.cell(name) {
            Some(Cells::Decimal(b)) => b.append_option(value.map(i128::from)),
            Some(Cells::Float64(b)) => b.append_option(value.map(|c| c as f64 / 100.0)),
            Some(_) => self.wrong_kind(name, "an amount in cents"),
            None => {}
        }
    }

    /// A whole-number cell.
    pub(crate) fn count(&mut self, name: &str, value: impl Into<Option<i64>>) {
        let value = value.into();
        match self.cell(name) {
            Some(Cells::Int64(b)) => b.append_option(value),
            Some(Cells::Int32(b)) => match value.map(i32::try_from).transpose() {
                Ok(v) => b.append_option(v),
                Err(_) => self.fail(format!("cell {name}: {value:?} does not fit 32 bits")),
            },
            Some(_) => self.wrong_kind(name, "a count"),
            None => {}
        }
    }

    /// A true-or-false cell.
    pub(crate) fn flag(&mut self, name: &str, value: impl Into<Option<bool>>) {
        let value = value.into();
        match self.cell(name) {
            Some(Cells::Boolean(b)) => b.append_option(value),
            Some(_) => self.wrong_kind(name, "a flag"),
            None => {}
        }
    }

    /// Completes the row begun by the cells appended since the last one;
    /// fails when a cell was out of order, of the wrong kind or missing,
    /// and from then on (the refused row's cells cannot be taken back).
    pub(crate) fn end_row(&mut self) -> Result<(), GenerateError> {
        let columns = self.layout.table.columns;
        if self.next < columns.len() {
            self.fail(format!("no cell {}", columns[self.next].name));
        }
        self.next = 0;
        if let Some(message) = self.error.take() {
            self.broken = true;
            return Err(arrow_error(self.layout.table, message));
        }
        self.check_whole()?;
        self.len += 1;
        Ok(())
    }

    fn check_whole(&self) -> Result<(), GenerateError> {
        if self.broken {
            let message = "an earlier row was refused".to_string();
            return Err(arrow_error(self.layout.table, message));
        }
        Ok(())
    }

    /// The rows so far as a record batch of the layout's schema (the rows
    /// are emptied).
    pub(crate) fn finish(&mut self) -> Result<RecordBatch, GenerateError> {
        self.check_whole()?;
        let columns: Vec<ArrayRef> = self.columns.iter_mut().map(Cells::finish).collect();
        self.len = 0;
        RecordBatch::try_new(self.layout.schema(), columns)
            .map_err(|e| GenerateError::Arrow(self.layout.table.name.to_string(), e))
    }
}

fn arrow_error(table: &Table, message: String) -> GenerateError {
    GenerateError::Arrow(
        table.name.to_string(),
        ArrowError::InvalidArgumentError(message),
    )
}

/// A value that makes one row of a contract table.
pub(crate) trait Row {
    /// The table the row belongs to.
    const TABLE: &'static Table;

    /// How the table is written: as the contract names and types it,
    /// unless the source arrives as an extract.
    fn layout() -> Layout {
        Layout::canonical(Self::TABLE)
    }

    /// Appends the row's cells to `rows`, one per column in the
    /// contract's order.
    fn append_to(&self, rows: &mut Rows);
}

/// A table's rows on their way into one Parquet file.
#[derive(Debug)]
pub(crate) struct TableWriter {
    rows: Rows,
    sink: ParquetSink,
}

impl TableWriter {
    /// Creates `path` (and its parent directories) for rows of `layout`.
    pub(crate) fn create(path: &Path, layout: Layout) -> Result<Self, GenerateError> {
        let rows = Rows::new(layout)?;
        let sink = ParquetSink::create(path, rows.layout.schema())?;
        Ok(Self { rows, sink })
    }

    /// Creates `path` for rows of type `R`, in `R`'s layout.
    pub(crate) fn for_rows<R: Row>(path: &Path) -> Result<Self, GenerateError> {
        Self::create(path, R::layout())
    }

    /// Appends one row (of the table the writer was created for).
    pub(crate) fn push<R: Row>(&mut self, row: &R) -> Result<(), GenerateError> {
        let table = self.rows.layout.table;
        if !std::ptr::eq(R::TABLE, table) {
            let message = format!("a row of {} written to {}", R::TABLE.name, table.name);
            return Err(arrow_error(table, message));
        }
        self.row(|r| row.append_to(r))
    }

    /// Appends the row whose cells `cells` appends.
    pub(crate) fn row(&mut self, cells: impl FnOnce(&mut Rows)) -> Result<(), GenerateError> {
        cells(&mut self.rows);
        self.rows.end_row()?;
        if self.rows.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Rows appended so far (written or buffered).
    pub(crate) fn rows(&self) -> u64 {
        self.sink.rows() + self.rows.len() as u64
    }

    fn flush(&mut self) -> Result<(), GenerateError> {
        if self.rows.len() == 0 {
            return Ok(());
        }
        let batch = self.rows.finish()?;
        self.sink.write(&batch)
    }

    /// Writes what is buffered and finishes the file; returns the rows written.
    pub(crate) fn close(mut self) -> Result<u64, GenerateError> {
        self.flush()?;
        self.sink.close()
    }
}

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use arrow::array::{Array, Date32Array, StringArray};

    use super::*;
    use crate::contract;

    fn relation(r: &mut Rows, person: &str, related: &str, relation: &str) {
        r.text("person_id", person);
        r.text("related_id", related);
        r.text("relation", relation);
    }

    #[test]
    fn a_canonical_layout_is_the_contracts_columns() {
        for table in contract::TABLES {
            let schema = Layout::canonical(table).schema();
            assert_eq!(schema.fields().len(), table.columns.len(), "{}", table.name);
            for (f, c) in schema.fields().iter().zip(table.columns) {
                assert_eq!(f.name(), c.name);
                assert_eq!(f.data_type(), &c.kind.canonical_type(), "{}", c.name);
                assert!(f.is_nullable(), "{}", c.name);
            }
            assert!(
                Rows::new(Layout::canonical(table)).is_ok(),
                "{}",
                table.name
            );
        }
    }

    #[test]
    fn rows_finish_into_a_batch_of_the_layout() {
        let mut r = Rows::new(Layout::canonical(&contract::RELATIONS)).unwrap();
        relation(&mut r, "P1", "P2", "spouse");
        r.end_row().unwrap();
        relation(&mut r, "P1", "S1", "legal_rep");
        r.end_row().unwrap();
        assert_eq!(r.len(), 2);
        let b = r.finish().unwrap();
        assert_eq!(r.len(), 0);
        assert_eq!(b.num_rows(), 2);
        let related = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(related.value(1), "S1");
    }

    #[test]
    fn cells_out_of_order_of_the_wrong_kind_or_missing_are_refused() {
        let mut r = Rows::new(Layout::canonical(&contract::RELATIONS)).unwrap();
        r.text("related_id", "P2");
        r.text("person_id", "P1");
        r.text("relation", "spouse");
        let err = r.end_row().unwrap_err().to_string();
        assert!(err.contains("cell related_id at person_id"), "{err}");

        let mut r = Rows::new(Layout::canonical(&contract::CADRES)).unwrap();
        r.text("person_id", "P1");
        r.text("village_code", "990101001001");
        r.text("role", "secretary");
        r.text("term_start", "2024-01-01");
        r.date("term_end", None);
        let err = r.end_row().unwrap_err().to_string();
        assert!(err.contains("term_start (Date) given a text"), "{err}");

        let mut r = Rows::new(Layout::canonical(&contract::RELATIONS)).unwrap();
        r.text("person_id", "P1");
        let err = r.end_row().unwrap_err().to_string();
        assert!(err.contains("no cell related_id"), "{err}");
        // Its cells cannot be taken back: the rows are done for.
        relation(&mut r, "P1", "P2", "child");
        assert!(r.end_row().is_err());
        assert!(r.finish().is_err());
    }

    #[test]
    fn an_extract_layout_renames_and_retypes() {
        let layout = Layout::extract(&contract::CADRES, |c| match c.name {
            "term_start" => ("任期开始", DataType::Timestamp(TimeUnit::Millisecond, None)),
            _ => (c.name, c.kind.canonical_type()),
        });
        let mut r = Rows::new(layout).unwrap();
        r.text("person_id", "P1");
        r.text("village_code", "990101001001");
        r.text("role", "secretary");
        r.date("term_start", 2);
        r.date("term_end", 3);
        r.end_row().unwrap();
        let b = r.finish().unwrap();
        assert_eq!(b.schema().field(3).name(), "任期开始");
        let ends = b.column(4).as_any().downcast_ref::<Date32Array>().unwrap();
        assert_eq!(ends.value(0), 3);

        let bad = Layout::extract(&contract::CADRES, |c| (c.name, DataType::Int64));
        assert!(Rows::new(bad).is_err());
    }
}

//! CSV extracts as the district systems export them: UTF-8 (with or
//! without a byte-order mark) or GB18030, any one-character delimiter.
//! Each file is read once, here, and written as Parquet (every column a
//! string, named by the header) into the run's scratch directory; the
//! query engine then reads that columnar copy as often as validation and
//! the data points need, never the text again. On the way the encoding is
//! checked (a file not valid in its declared encoding stops the run with
//! the byte offset and line, and the hint to set `encoding`), GB18030 is
//! decoded as a stream, the records are counted and an empty field becomes
//! null, as the engine's own CSV reader does. A large file is split at
//! record boundaries into one part per core, decoded in parallel; in each
//! part parsing runs on one thread, Parquet encoding on another. `columns` then casts the
//! strings per the contract.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;

use crate::catalog::{Encoding, TableLocation};
use crate::error::{Error, Result};

/// A CSV file ready for the query engine.
#[derive(Debug, Clone)]
pub struct PreparedCsv {
    /// Its columnar copy in the scratch directory, which the engine reads:
    /// one file per part decoded, in the file's order.
    pub parquet: Vec<PathBuf>,
    /// Every column a string, named by the header.
    pub schema: Arc<Schema>,
    /// Records after the header.
    pub rows: u64,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";
/// Records per batch of the columnar copy.
const BATCH_ROWS: usize = 64 * 1024;

fn wrong_encoding(path: &Path, loc: &TableLocation, at: String, found: &str) -> Error {
    let hint = match loc.encoding {
        Encoding::Utf8 => format!(
            "if the system exported it in GB18030 (GBK), set encoding = \"gb18030\" under [sources.{}] in the catalog",
            loc.table.name
        ),
        Encoding::Gb18030 => format!(
            "if it is UTF-8, remove encoding = \"gb18030\" from [sources.{}] in the catalog",
            loc.table.name
        ),
    };
    Error::Input {
        path: path.to_path_buf(),
        message: format!(
            "is not valid {} at {at} ({found}); {hint}",
            loc.encoding.as_str()
        ),
    }
}

/// Files smaller than this are decoded by one thread.
const SPLIT_BYTES: u64 = 16 << 20;

/// Checks and decodes the `index`th CSV file of `loc` and writes its
/// columnar copy into `scratch`: a large file in one part per core, split
/// at record boundaries (`split_points`), the parts decoded in parallel.
pub fn prepare(
    loc: &TableLocation,
    path: &Path,
    index: usize,
    scratch: &Path,
) -> Result<PreparedCsv> {
    let size = std::fs::metadata(path)
        .map_err(Error::unreadable(path))?
        .len();
    let parts = if size < SPLIT_BYTES {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
    };
    prepare_in_parts(loc, path, index, scratch, parts)
}

/// `prepare` with the number of parts given.
fn prepare_in_parts(
    loc: &TableLocation,
    path: &Path,
    index: usize,
    scratch: &Path,
    parts: usize,
) -> Result<PreparedCsv> {
    let started = std::time::Instant::now();
    let header = read_header(loc, path)?;
    let fields: Vec<Field> = header
        .iter()
        .map(|h| Field::new(h, DataType::Utf8, true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let ranges = split_points(path, parts)?;
    let targets: Vec<PathBuf> = (0..ranges.len())
        .map(|k| scratch.join(format!("{}-{index:05}-{k:02}.parquet", loc.table.name)))
        .collect();
    let results: Vec<Result<u64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .zip(&targets)
            .map(|(part, target)| {
                let schema = &schema;
                scope.spawn(move || decode_part(loc, path, *part, schema, target, scratch))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::Internal {
                        context: format!("decoding {}", path.display()),
                        message: "a CSV decoding thread panicked".into(),
                    })
                })
            })
            .collect()
    });
    let mut rows = 0;
    for r in results {
        rows += r?;
    }
    tracing::debug!(
        table = loc.table.name,
        file = %path.display(),
        rows,
        parts = ranges.len(),
        ms = started.elapsed().as_millis() as u64,
        "CSV extract decoded into its columnar copy"
    );
    Ok(PreparedCsv {
        parquet: targets,
        schema,
        rows,
    })
}

/// The decoded text of `path`, from its start or from a part's start.
fn decoded(
    loc: &TableLocation,
    path: &Path,
    part: Part,
) -> Result<BufReader<Box<dyn Read + Send>>> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path).map_err(Error::unreadable(path))?;
    file.seek(SeekFrom::Start(part.start))
        .map_err(Error::unreadable(path))?;
    let raw = file.take(part.end - part.start);
    let input: Box<dyn Read + Send> = match loc.encoding {
        Encoding::Utf8 => Box::new(raw),
        Encoding::Gb18030 => Box::new(Gb18030Reader::new(raw)),
    };
    Ok(BufReader::with_capacity(1 << 20, input))
}

/// The header's names, trimmed, a byte-order mark dropped.
fn read_header(loc: &TableLocation, path: &Path) -> Result<Vec<String>> {
    let whole = Part {
        start: 0,
        end: u64::MAX,
        lines_before: 0,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(loc.delimiter)
        .has_headers(true)
        .from_reader(decoded(loc, path, whole)?);
    let header = reader
        .byte_headers()
        .map_err(|e| csv_error(loc, path, e, whole))?
        .clone();
    if let Err(e) = std::str::from_utf8(header.as_slice()) {
        let bad = e.valid_up_to() as u64;
        let at = format!("byte {bad}, line {}", line_at(path, bad));
        return Err(wrong_encoding(
            path,
            loc,
            at,
            "a byte sequence UTF-8 does not allow",
        ));
    }
    Ok(header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = String::from_utf8_lossy(h);
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                &h
            };
            h.trim().to_string()
        })
        .collect())
}

/// A byte range of a CSV file that holds whole records, and the line
/// ends before it (for positions in messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Part {
    start: u64,
    end: u64,
    lines_before: u64,
}

/// `parts` ranges of about equal size, each ending just after a line end
/// outside quotes: an even number of `"` before a `\n` puts it between
/// records (a quote inside a field is doubled, so the parity holds). Both
/// bytes are ASCII, and neither is ever part of a multi-byte character in
/// UTF-8 or GB18030, so the raw bytes can be split before decoding.
fn split_points(path: &Path, parts: usize) -> Result<Vec<Part>> {
    let size = std::fs::metadata(path)
        .map_err(Error::unreadable(path))?
        .len();
    let mut out = Vec::with_capacity(parts);
    let mut start = Part {
        start: 0,
        end: size,
        lines_before: 0,
    };
    if parts <= 1 || size == 0 {
        return Ok(vec![start]);
    }
    let mut file =
        BufReader::with_capacity(1 << 20, File::open(path).map_err(Error::unreadable(path))?);
    let (mut offset, mut quotes, mut lines) = (0u64, 0u64, 0u64);
    let mut next_target = 1;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(Error::unreadable(path))?;
        if n == 0 || next_target == parts {
            break;
        }
        let chunk = &buf[..n];
        let target = size * next_target as u64 / parts as u64;
        if offset + (n as u64) <= target {
            quotes += chunk.iter().filter(|&&b| b == b'"').count() as u64;
            lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
            offset += n as u64;
            continue;
        }
        for (i, &b) in chunk.iter().enumerate() {
            match b {
                b'"' => quotes += 1,
                b'\n' => {
                    lines += 1;
                    let at = offset + i as u64 + 1;
                    let target = size * next_target as u64 / parts as u64;
                    if at >= target && quotes % 2 == 0 && next_target < parts && at < size {
                        out.push(Part { end: at, ..start });
                        start = Part {
                            start: at,
                            end: size,
                            lines_before: lines,
                        };
                        next_target += 1;
                    }
                }
                _ => {}
            }
        }
        offset += n as u64;
    }
    out.push(start);
    Ok(out)
}

/// Decodes one part into its Parquet file (`target`): parsing on this
/// thread, encoding on another; the records decoded.
fn decode_part(
    loc: &TableLocation,
    path: &Path,
    part: Part,
    schema: &Arc<Schema>,
    target: &Path,
    scratch: &Path,
) -> Result<u64> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(loc.delimiter)
        .has_headers(part.start == 0)
        .flexible(true)
        .from_reader(decoded(loc, path, part)?);
    let (tx, rx) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
    let writer = {
        let (schema, target) = (schema.clone(), target.to_path_buf());
        std::thread::spawn(move || write_parquet(&schema, &target, rx))
    };
    let parsed = parse(&mut reader, schema, &tx);
    drop(tx);
    let written = writer
        .join()
        .unwrap_or_else(|_| Err("the Parquet writer thread panicked".to_string()));
    let rows = match parsed {
        Ok(rows) => rows,
        Err(Parsed::Csv(e)) => return Err(csv_error(loc, path, e, part)),
        Err(Parsed::Utf8 { record_start }) => {
            let bad = first_invalid_utf8(path, part.start + record_start);
            let at = format!("byte {bad}, line {}", line_at(path, bad));
            return Err(wrong_encoding(
                path,
                loc,
                at,
                "a byte sequence UTF-8 does not allow",
            ));
        }
        Err(Parsed::Width { record_start, len }) => {
            return Err(unequal_lengths(
                loc,
                path,
                record_line(path, part.start + record_start),
                len,
                schema.fields().len(),
            ));
        }
    };
    written.map_err(|message| Error::Write {
        context: format!(
            "writing the columnar copy of {} into the scratch directory {}",
            path.display(),
            scratch.display()
        ),
        source: message.into(),
    })?;
    Ok(rows)
}

/// Why parsing stopped.
enum Parsed {
    Csv(csv::Error),
    /// A record of a UTF-8 file holds bytes UTF-8 does not allow.
    Utf8 {
        record_start: u64,
    },
    /// A record with another number of fields than the header.
    Width {
        record_start: u64,
        len: usize,
    },
}

/// Parses every record into batches of strings (an empty field is null)
/// sent to the writer; the number of records.
fn parse<R: Read>(
    reader: &mut csv::Reader<R>,
    schema: &Arc<Schema>,
    tx: &std::sync::mpsc::SyncSender<RecordBatch>,
) -> std::result::Result<u64, Parsed> {
    let width = schema.fields().len();
    let builders = || -> Vec<StringBuilder> {
        (0..width)
            .map(|_| StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8))
            .collect()
    };
    let mut columns = builders();
    let mut record = csv::ByteRecord::new();
    let mut text: csv::StringRecord;
    let (mut rows, mut in_batch) = (0u64, 0usize);
    let send = |columns: &mut Vec<StringBuilder>| -> bool {
        let arrays: Vec<ArrayRef> = columns
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        // The writer only goes away on an error of its own, reported then.
        RecordBatch::try_new(schema.clone(), arrays)
            .map(|b| tx.send(b).is_ok())
            .unwrap_or(false)
    };
    while reader.read_byte_record(&mut record).map_err(Parsed::Csv)? {
        // One check of the record's bytes: a UTF-8 file's, or the text
        // `Gb18030Reader` decoded (valid by construction).
        if record.len() != width {
            return Err(Parsed::Width {
                record_start: record.position().map_or(0, csv::Position::byte),
                len: record.len(),
            });
        }
        text = match csv::StringRecord::from_byte_record(std::mem::take(&mut record)) {
            Ok(t) => t,
            Err(e) => {
                let pos = e.into_byte_record().position().cloned();
                return Err(Parsed::Utf8 {
                    record_start: pos.as_ref().map_or(0, csv::Position::byte),
                });
            }
        };
        for (b, field) in columns.iter_mut().zip(text.iter()) {
            if field.is_empty() {
                b.append_null();
            } else {
                b.append_value(field);
            }
        }
        record = std::mem::take(&mut text).into_byte_record();
        rows += 1;
        in_batch += 1;
        if in_batch == BATCH_ROWS {
            in_batch = 0;
            if !send(&mut columns) {
                return Ok(rows);
            }
        }
    }
    if in_batch > 0 {
        send(&mut columns);
    }
    Ok(rows)
}

/// The writer thread: every batch received into one uncompressed Parquet
/// file without statistics (dictionary-encoded where the values repeat).
fn write_parquet(
    schema: &Arc<Schema>,
    target: &Path,
    rx: std::sync::mpsc::Receiver<RecordBatch>,
) -> std::result::Result<(), String> {
    let file = File::create(target).map_err(|e| format!("cannot be created ({e})"))?;
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::UNCOMPRESSED)
        // Nothing prunes on the copy's text: no min/max to compute.
        .set_statistics_enabled(parquet::file::properties::EnabledStatistics::None)
        .set_max_row_group_row_count(Some(4 * BATCH_ROWS))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema.clone(), Some(props))
        .map_err(|e| e.to_string())?;
    for batch in rx {
        w.write(&batch).map_err(|e| e.to_string())?;
    }
    w.close().map(|_| ()).map_err(|e| e.to_string())
}

fn csv_error(loc: &TableLocation, path: &Path, e: csv::Error, part: Part) -> Error {
    if let csv::ErrorKind::Io(io) = e.kind()
        && let Some(m) = io.get_ref().and_then(|x| x.downcast_ref::<Malformed>())
    {
        let at = Malformed {
            byte: part.start + m.byte,
            line: part.lines_before + m.line,
        };
        return wrong_encoding(
            path,
            loc,
            at.to_string(),
            "a byte sequence GB18030 does not allow",
        );
    }
    match e.kind() {
        csv::ErrorKind::Utf8 { pos, .. } => {
            let from = pos.as_ref().map_or(0, csv::Position::byte);
            let bad = first_invalid_utf8(path, part.start + from);
            let at = format!("byte {bad}, line {}", line_at(path, bad));
            wrong_encoding(path, loc, at, "a byte sequence UTF-8 does not allow")
        }
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => unequal_lengths(
            loc,
            path,
            line_at(
                path,
                part.start + pos.as_ref().map_or(0, csv::Position::byte),
            ),
            *len as usize,
            *expected_len as usize,
        ),
        _ => Error::Input {
            path: path.to_path_buf(),
            message: format!("cannot be read as CSV ({e})"),
        },
    }
}

fn unequal_lengths(
    loc: &TableLocation,
    path: &Path,
    line: u64,
    len: usize,
    expected: usize,
) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        message: format!(
            "line {line}: {len} fields where the header has {expected}; check the delimiter (delimiter = \"{}\" under [sources.{}]) and the quoting",
            char::from(loc.delimiter).escape_default(),
            loc.table.name
        ),
    }
}

/// The line (from 1) of `path` that byte `at` is on: what an editor
/// shows, counting the line ends inside quoted fields too.
fn line_at(path: &Path, at: u64) -> u64 {
    let Ok(file) = File::open(path) else {
        return 0;
    };
    let mut lines = 1;
    let mut reader = BufReader::with_capacity(1 << 20, file.take(at));
    let mut buf = vec![0u8; 1 << 20];
    while let Ok(n) = reader.read(&mut buf) {
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    lines
}

/// The line of the record the reader placed at `start`: the reader may
/// place it on the line end before it, which is skipped.
fn record_line(path: &Path, start: u64) -> u64 {
    use std::io::{Seek, SeekFrom};
    let mut skipped = 0;
    if let Ok(mut file) = File::open(path)
        && file.seek(SeekFrom::Start(start)).is_ok()
    {
        let mut buf = [0u8; 2];
        let n = file.read(&mut buf).unwrap_or(0);
        skipped = buf[..n]
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count() as u64;
    }
    line_at(path, start + skipped)
}

/// The offset of the first byte that is not valid UTF-8 at or after
/// `from` (the start of the record the reader stopped in).
fn first_invalid_utf8(path: &Path, from: u64) -> u64 {
    use std::io::{Seek, SeekFrom};
    let Ok(mut file) = File::open(path) else {
        return from;
    };
    if file.seek(SeekFrom::Start(from)).is_err() {
        return from;
    }
    let mut buf = vec![0u8; 1 << 16];
    let n = file.read(&mut buf).unwrap_or(0);
    let valid = match std::str::from_utf8(&buf[..n]) {
        Ok(_) => n,
        Err(e) => e.valid_up_to(),
    };
    from + valid as u64
}

/// A GB18030 byte stream read as UTF-8, decoded chunk by chunk; a byte
/// sequence GB18030 does not allow ends it with a `Malformed` error.
struct Gb18030Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    /// Decoded, not yet read: `output[at..]`.
    output: Vec<u8>,
    at: usize,
    /// Bytes of the file consumed and newlines decoded so far.
    offset: u64,
    lines: u64,
    start: bool,
    done: bool,
}

/// Where a GB18030 file stops being valid.
#[derive(Debug)]
struct Malformed {
    byte: u64,
    line: u64,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "byte {}, line {}", self.byte, self.line)
    }
}

impl std::error::Error for Malformed {}

impl<R: Read> Gb18030Reader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            decoder: encoding_rs::GB18030.new_decoder_without_bom_handling(),
            input: vec![0; 1 << 20],
            output: Vec::with_capacity(2 << 20),
            at: 0,
            offset: 0,
            lines: 1,
            start: true,
            done: false,
        }
    }

    /// Decodes the next chunk of the file into `output`.
    fn fill(&mut self) -> std::io::Result<()> {
        let n = self.inner.read(&mut self.input)?;
        let last = n == 0;
        let mut chunk = &self.input[..n];
        if self.start && chunk.starts_with(BOM) {
            chunk = &chunk[BOM.len()..];
            self.offset += BOM.len() as u64;
        }
        self.start = false;
        self.output.clear();
        self.at = 0;
        self.output.reserve(
            self.decoder
                .max_utf8_buffer_length_without_replacement(chunk.len())
                .unwrap_or(chunk.len() * 3),
        );
        loop {
            let before = self.output.len();
            let spare = self.output.capacity() - before;
            self.output.resize(before + spare, 0);
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                chunk,
                &mut self.output[before..],
                last,
            );
            self.output.truncate(before + written);
            self.lines += self.output[before..]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            match result {
                encoding_rs::DecoderResult::InputEmpty => {
                    self.offset += read as u64;
                    break;
                }
                encoding_rs::DecoderResult::OutputFull => {
                    self.offset += read as u64;
                    chunk = &chunk[read..];
                    self.output.reserve(chunk.len() * 3 + 16);
                }
                encoding_rs::DecoderResult::Malformed(bad, extra) => {
                    let byte = self.offset + read as u64 - u64::from(bad) - u64::from(extra);
                    return Err(std::io::Error::other(Malformed {
                        byte,
                        line: self.lines,
                    }));
                }
            }
        }
        self.done = last;
        Ok(())
    }
}

impl<R: Read> Read for Gb18030Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.output.len() {
            if self.done {
                return Ok(0);
            }
            self.fill()?;
        }
        let n = buf.len().min(self.output.len() - self.at);
        buf[..n].copy_from_slice(&self.output[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use datafusion::arrow::array::{Array, AsArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;
    use crate::catalog::Catalog;

    /// A data directory whose petitions are `petitions.csv` holding
    /// `bytes`, in `encoding`; its petitions' location.
    fn extract(bytes: &[u8], encoding: &str) -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("petitions.csv"), bytes).unwrap();
        std::fs::write(
            dir.path().join("catalog.toml"),
            format!(
                "[sources.petitions]\npath = \"petitions.csv\"\nformat = \"csv\"\nencoding = \"{encoding}\"\n"
            ),
        )
        .unwrap();
        let catalog = Catalog::load(dir.path(), None).unwrap();
        (dir, catalog)
    }

    /// Every cell of the columnar copy, row by row.
    fn cells(p: &PreparedCsv) -> Vec<Vec<Option<String>>> {
        let mut out = Vec::new();
        for f in &p.parquet {
            let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(f).unwrap())
                .unwrap()
                .build()
                .unwrap();
            for b in reader {
                let b = b.unwrap();
                for r in 0..b.num_rows() {
                    out.push(
                        (0..b.num_columns())
                            .map(|c| {
                                let a = b.column(c).as_string::<i32>();
                                a.is_valid(r).then(|| a.value(r).to_string())
                            })
                            .collect(),
                    );
                }
            }
        }
        out
    }

    /// Records with quoted line ends, doubled quotes and empty cells.
    fn records(n: usize) -> String {
        let mut t = String::from("\u{feff}信访件编号,村社代码,内容\r\n");
        for i in 0..n {
            match i % 4 {
                0 => t.push_str(&format!("P{i},990101001201,\"第一行\n第二行\"\r\n")),
                1 => t.push_str(&format!("P{i},990101001202,\"他说\"\"不\"\"\"\r\n")),
                2 => t.push_str(&format!("P{i},,\r\n")),
                _ => t.push_str(&format!("P{i},990101001203,村务\r\n")),
            }
        }
        t
    }

    #[test]
    fn a_file_split_into_parts_decodes_as_the_whole_does() {
        let text = records(101);
        for (bytes, encoding) in [
            (text.clone().into_bytes(), "utf-8"),
            (encoding_rs::GB18030.encode(&text).0.into_owned(), "gb18030"),
        ] {
            let (dir, catalog) = extract(&bytes, encoding);
            let loc = catalog.location("petitions").unwrap();
            let path = dir.path().join("petitions.csv");
            let scratch = tempfile::tempdir().unwrap();
            let whole = prepare_in_parts(loc, &path, 0, scratch.path(), 1).unwrap();
            assert_eq!((whole.rows, whole.parquet.len()), (101, 1));
            assert_eq!(
                whole.schema.fields()[0].name(),
                "信访件编号",
                "the BOM is dropped"
            );
            let c = cells(&whole);
            assert_eq!(c[0][2].as_deref(), Some("第一行\n第二行"));
            assert_eq!(c[1][2].as_deref(), Some("他说\"不\""));
            assert_eq!((c[2][1].as_deref(), c[2][2].as_deref()), (None, None));
            for parts in [2, 3, 7] {
                let split = prepare_in_parts(loc, &path, 1, scratch.path(), parts).unwrap();
                assert_eq!(split.parquet.len(), parts, "{encoding}, {parts} parts");
                assert_eq!(split.rows, 101);
                assert_eq!(cells(&split), c, "{encoding}, {parts} parts");
            }
        }
    }

    #[test]
    fn split_points_never_fall_inside_quotes() {
        let text = records(40);
        let (dir, _) = extract(text.as_bytes(), "utf-8");
        let path = dir.path().join("petitions.csv");
        let parts = split_points(&path, 5).unwrap();
        assert_eq!(parts.first().unwrap().start, 0);
        assert_eq!(parts.last().unwrap().end, text.len() as u64);
        for w in parts.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            let before = &text.as_bytes()[..w[1].start as usize];
            assert!(before.ends_with(b"\r\n"));
            assert_eq!(before.iter().filter(|&&b| b == b'"').count() % 2, 0);
            let lines = before.iter().filter(|&&b| b == b'\n').count() as u64;
            assert_eq!(w[1].lines_before, lines);
        }
    }

    #[test]
    fn a_problem_in_a_later_part_is_located_in_the_whole_file() {
        // A record with one field too many, far into the file.
        let mut text = records(200);
        text.push_str("P-bad,990101001201,x,y\r\n");
        text.push_str(&records(20)[text.find('\n').unwrap()..]);
        let line = text[..text.find("P-bad").unwrap()].matches('\n').count() + 1;
        let (dir, catalog) = extract(text.as_bytes(), "utf-8");
        let loc = catalog.location("petitions").unwrap();
        let path = dir.path().join("petitions.csv");
        let scratch = tempfile::tempdir().unwrap();
        for parts in [1, 3] {
            let e = prepare_in_parts(loc, &path, 0, scratch.path(), parts).unwrap_err();
            assert!(
                e.to_string()
                    .contains(&format!("line {line}: 4 fields where the header has 3")),
                "{parts} parts: {e}"
            );
        }
        // A byte GB18030 does not allow, in the last part.
        let mut bytes = encoding_rs::GB18030.encode(&records(200)).0.into_owned();
        let at = bytes.len();
        bytes.extend_from_slice(b"P-x,\xFF\xFF,x\r\n");
        let (dir, catalog) = extract(&bytes, "gb18030");
        let loc = catalog.location("petitions").unwrap();
        let path = dir.path().join("petitions.csv");
        for parts in [1, 4] {
            let e = prepare_in_parts(loc, &path, 0, scratch.path(), parts).unwrap_err();
            assert!(
                e.to_string().contains(&format!("byte {}", at + 4)),
                "{parts} parts: {e}"
            );
        }
    }
}

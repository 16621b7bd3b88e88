//! CSV extracts as the district systems export them: UTF-8 (with or
//! without a byte-order mark) or GB18030, any one-character delimiter.
//! Each file is read once, here, and written as Parquet (every column a
//! string, named by the header) into the run's scratch directory; the
//! query engine then reads that columnar copy as often as validation and
//! the data points need, never the text again. On the way the encoding is
//! checked (a file not valid in its declared encoding stops the run with
//! the byte offset and line, and the hint to set `encoding`), GB18030 is
//! decoded as a stream, the records are counted and an empty field becomes
//! null, as the engine's own CSV reader does. Parsing and decoding run on
//! one thread, Parquet encoding on another. `columns` then casts the
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
    /// Its columnar copy in the scratch directory, which the engine reads.
    pub parquet: PathBuf,
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

/// Checks and decodes the `index`th CSV file of `loc` and writes its
/// columnar copy into `scratch`.
pub fn prepare(
    loc: &TableLocation,
    path: &Path,
    index: usize,
    scratch: &Path,
) -> Result<PreparedCsv> {
    let file = File::open(path).map_err(Error::unreadable(path))?;
    let input: Box<dyn Read + Send> = match loc.encoding {
        Encoding::Utf8 => Box::new(file),
        Encoding::Gb18030 => Box::new(Gb18030Reader::new(file)),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(loc.delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(BufReader::with_capacity(1 << 20, input));
    let header = reader
        .byte_headers()
        .map_err(|e| csv_error(loc, path, e))?
        .clone();
    let header = std::str::from_utf8(header.as_slice())
        .map_err(|e| {
            let at = format!("byte {}, line 1", e.valid_up_to());
            wrong_encoding(path, loc, at, "a byte sequence UTF-8 does not allow")
        })
        .map(|_| {
            header
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
                .collect::<Vec<String>>()
        })?;
    let fields: Vec<Field> = header
        .iter()
        .map(|h| Field::new(h, DataType::Utf8, true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let target = scratch.join(format!("{}-{index}.parquet", loc.table.name));
    let check_utf8 = loc.encoding == Encoding::Utf8;
    let (tx, rx) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
    let writer = {
        let (schema, target) = (schema.clone(), target.clone());
        std::thread::spawn(move || write_parquet(&schema, &target, rx))
    };
    let parsed = parse(&mut reader, &schema, check_utf8, &tx);
    drop(tx);
    let written = writer
        .join()
        .unwrap_or_else(|_| Err("the Parquet writer thread panicked".to_string()));
    let rows = match parsed {
        Ok(rows) => rows,
        Err(Parsed::Csv(e)) => return Err(csv_error(loc, path, e)),
        Err(Parsed::Utf8 { record_start, line }) => {
            let at = format!(
                "byte {}, line {line}",
                first_invalid_utf8(path, record_start)
            );
            return Err(wrong_encoding(
                path,
                loc,
                at,
                "a byte sequence UTF-8 does not allow",
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
    Ok(PreparedCsv {
        parquet: target,
        schema,
        rows,
    })
}

/// Why parsing stopped.
enum Parsed {
    Csv(csv::Error),
    /// A record of a UTF-8 file holds bytes UTF-8 does not allow.
    Utf8 {
        record_start: u64,
        line: u64,
    },
}

/// Parses every record into batches of strings (an empty field is null)
/// sent to the writer; the number of records.
fn parse<R: Read>(
    reader: &mut csv::Reader<R>,
    schema: &Arc<Schema>,
    check_utf8: bool,
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
        if check_utf8 && std::str::from_utf8(record.as_slice()).is_err() {
            let pos = record.position();
            return Err(Parsed::Utf8 {
                record_start: pos.map_or(0, csv::Position::byte),
                line: pos.map_or(0, csv::Position::line),
            });
        }
        for (b, field) in columns.iter_mut().zip(record.iter()) {
            if field.is_empty() {
                b.append_null();
            } else {
                // Checked above (UTF-8) or decoded by `Gb18030Reader`.
                b.append_value(String::from_utf8_lossy(field));
            }
        }
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
/// file (dictionary-encoded where the values repeat).
fn write_parquet(
    schema: &Arc<Schema>,
    target: &Path,
    rx: std::sync::mpsc::Receiver<RecordBatch>,
) -> std::result::Result<(), String> {
    let file = File::create(target).map_err(|e| format!("cannot be created ({e})"))?;
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::UNCOMPRESSED)
        .set_max_row_group_row_count(Some(4 * BATCH_ROWS))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema.clone(), Some(props))
        .map_err(|e| e.to_string())?;
    for batch in rx {
        w.write(&batch).map_err(|e| e.to_string())?;
    }
    w.close().map(|_| ()).map_err(|e| e.to_string())
}

fn csv_error(loc: &TableLocation, path: &Path, e: csv::Error) -> Error {
    if let csv::ErrorKind::Io(io) = e.kind()
        && let Some(m) = io.get_ref().and_then(|x| x.downcast_ref::<Malformed>())
    {
        return wrong_encoding(
            path,
            loc,
            m.to_string(),
            "a byte sequence GB18030 does not allow",
        );
    }
    match e.kind() {
        csv::ErrorKind::Utf8 { pos, .. } => {
            let (from, line) = pos.as_ref().map_or((0, 1), |p| (p.byte(), p.line()));
            let at = format!("byte {}, line {line}", first_invalid_utf8(path, from));
            wrong_encoding(path, loc, at, "a byte sequence UTF-8 does not allow")
        }
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => Error::Input {
            path: path.to_path_buf(),
            message: format!(
                "line {}: {len} fields where the header has {expected_len}; check the delimiter (delimiter = \"{}\" under [sources.{}]) and the quoting",
                pos.as_ref().map_or(0, csv::Position::line),
                char::from(loc.delimiter).escape_default(),
                loc.table.name
            ),
        },
        _ => Error::Input {
            path: path.to_path_buf(),
            message: format!("cannot be read as CSV ({e})"),
        },
    }
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

//! CSV extracts as the district systems export them: UTF-8 (with or
//! without a byte-order mark) or GB18030, any one-character delimiter.
//! Each file is read once here: its encoding checked (a file not valid in
//! its declared encoding stops the run with the byte offset and line, and
//! the hint to set `encoding`), a GB18030 file transcoded to UTF-8 in the
//! run's scratch directory, its header read and its records counted. The
//! query engine then reads the UTF-8 text with every column as a string;
//! `columns` casts them per the contract.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema};

use crate::catalog::{Encoding, TableLocation};
use crate::error::{Error, Result};

/// A CSV file ready for the query engine.
#[derive(Debug, Clone)]
pub struct PreparedCsv {
    /// The UTF-8 text the engine reads: the file itself, or its transcoded
    /// copy in the scratch directory.
    pub utf8: PathBuf,
    /// Every column a string, named by the header.
    pub schema: Arc<Schema>,
    /// Records after the header.
    pub rows: u64,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

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

/// Checks, transcodes (into `scratch`) and reads the header of one CSV
/// file of `loc`.
pub fn prepare(loc: &TableLocation, path: &Path, scratch: &Path) -> Result<PreparedCsv> {
    let utf8 = match loc.encoding {
        Encoding::Utf8 => path.to_path_buf(),
        Encoding::Gb18030 => transcode(loc, path, scratch)?,
    };
    let file = File::open(&utf8).map_err(Error::unreadable(&utf8))?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(loc.delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(BufReader::with_capacity(1 << 20, file));
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(loc, path, e))?
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                h
            };
            h.trim().to_string()
        })
        .collect();
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    let check_utf8 = loc.encoding == Encoding::Utf8;
    let mut text = csv::StringRecord::new();
    loop {
        let more = if check_utf8 {
            reader.read_record(&mut text)
        } else {
            reader.read_byte_record(&mut record)
        }
        .map_err(|e| csv_error(loc, path, e))?;
        if !more {
            break;
        }
        rows += 1;
    }
    let fields: Vec<Field> = header
        .iter()
        .map(|h| Field::new(h, DataType::Utf8, true))
        .collect();
    Ok(PreparedCsv {
        utf8,
        schema: Arc::new(Schema::new(fields)),
        rows,
    })
}

fn csv_error(loc: &TableLocation, path: &Path, e: csv::Error) -> Error {
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

/// GB18030 → UTF-8 into `scratch`, stopping at the first byte sequence
/// GB18030 does not allow.
fn transcode(loc: &TableLocation, path: &Path, scratch: &Path) -> Result<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let target = scratch.join(format!("{}-{name}.utf8.csv", loc.table.name));
    let mut input = File::open(path).map_err(Error::unreadable(path))?;
    let out = File::create(&target).map_err(Error::io("creating", &target))?;
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut buf = vec![0u8; 1 << 20];
    let mut text = String::with_capacity(2 << 20);
    let (mut offset, mut lines) = (0u64, 1u64);
    let mut first = true;
    loop {
        let n = input.read(&mut buf).map_err(Error::unreadable(path))?;
        let last = n == 0;
        let mut chunk = &buf[..n];
        if first && chunk.starts_with(BOM) {
            chunk = &chunk[BOM.len()..];
            offset += BOM.len() as u64;
        }
        first = false;
        loop {
            text.clear();
            let (result, read) =
                decoder.decode_to_string_without_replacement(chunk, &mut text, last);
            out.write_all(text.as_bytes())
                .map_err(Error::io("writing", &target))?;
            lines += text.bytes().filter(|&b| b == b'\n').count() as u64;
            match result {
                encoding_rs::DecoderResult::InputEmpty => {
                    offset += read as u64;
                    break;
                }
                encoding_rs::DecoderResult::OutputFull => {
                    offset += read as u64;
                    chunk = &chunk[read..];
                    text.reserve(chunk.len() * 2);
                }
                encoding_rs::DecoderResult::Malformed(bad, extra) => {
                    let at = offset + read as u64 - u64::from(bad) - u64::from(extra);
                    return Err(wrong_encoding(
                        path,
                        loc,
                        format!("byte {at}, line {lines}"),
                        "a byte sequence GB18030 does not allow",
                    ));
                }
            }
        }
        if last {
            break;
        }
    }
    out.flush().map_err(Error::io("writing", &target))?;
    Ok(target)
}

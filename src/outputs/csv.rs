//! The one CSV writer of a run's outputs: UTF-8 with a byte-order mark (so
//! Excel and WPS show Chinese), comma-separated, one header row, no cell a
//! spreadsheet would run as a formula; errors name the file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A cell as no spreadsheet evaluates it (OWASP's CSV-injection guidance):
/// text that begins with `=`, `+`, `-`, `@`, a tab or a carriage return
/// gets a leading apostrophe, which Excel and WPS show as text and do not
/// display; a number (`-1.5`, `+3`) stays a number. A village named
/// `=HYPERLINK("…","点此")` is written `'=HYPERLINK("…","点此")`. Text that
/// begins with an apostrophe gets one more, so [`original_text`] can
/// always undo it.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']);
    if risky && cell.trim().parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The text [`spreadsheet_safe`] was given: its cell less the apostrophe
/// it added (for the workbook, whose text cells are never evaluated).
pub fn original_text(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

/// [`spreadsheet_safe`] on bytes that may not be UTF-8 (left as they are).
fn safe_bytes(cell: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match std::str::from_utf8(cell).map(spreadsheet_safe) {
        Ok(std::borrow::Cow::Owned(s)) => std::borrow::Cow::Owned(s.into_bytes()),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// `path` created, its byte-order mark written: for a writer of its own
/// (Arrow's CSV writer for `rejects/`).
pub fn create_with_bom(path: &Path) -> Result<BufWriter<File>> {
    let file = File::create(path).map_err(Error::io("creating", path))?;
    let mut out = BufWriter::new(file);
    out.write_all(BOM).map_err(Error::io("writing", path))?;
    Ok(out)
}

/// A CSV file being written.
#[derive(Debug)]
pub struct CsvFile {
    path: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
}

impl CsvFile {
    /// Creates `path` and writes its header row.
    pub fn create<I, T>(path: &Path, header: I) -> Result<Self>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let mut file = Self {
            path: path.to_path_buf(),
            writer: csv::Writer::from_writer(create_with_bom(path)?),
        };
        file.row(header)?;
        Ok(file)
    }

    /// Writes one row, every cell [`spreadsheet_safe`].
    pub fn row<I, T>(&mut self, record: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let cells: Vec<Vec<u8>> = record
            .into_iter()
            .map(|c| safe_bytes(c.as_ref()).into_owned())
            .collect();
        self.writer.write_record(&cells).map_err(|e| Error::Write {
            context: format!("writing {}", self.path.display()),
            source: e.into(),
        })
    }

    /// Flushes the file.
    pub fn finish(mut self) -> Result<()> {
        self.writer
            .flush()
            .map_err(Error::io("writing", &self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x\",\"点此\")",
                "'=HYPERLINK(\"http://x\",\"点此\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-1.5", "-1.5"),
            ("+3", "+3"),
            ("-0", "-0"),
            ("东风村", "东风村"),
            ("a=b", "a=b"),
            ("'quoted", "''quoted"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), written, "{cell:?}");
            assert_eq!(super::original_text(&spreadsheet_safe(cell)), cell);
        }
    }
}

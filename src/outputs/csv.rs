//! The one CSV writer of a run's outputs: UTF-8 with a byte-order mark (so
//! Excel and WPS show Chinese), comma-separated, one header row; errors
//! name the file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

const BOM: &[u8] = b"\xEF\xBB\xBF";

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

    /// Writes one row.
    pub fn row<I, T>(&mut self, record: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer.write_record(record).map_err(|e| Error::Write {
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

//! The source catalog (data contract 1.1): where each canonical table's
//! extract lives (Parquet or CSV, UTF-8 or GB18030, a delimiter) and how it
//! maps onto the contract: the extract's headers, its labels (value maps
//! per canonical column), its text dates (a format per table, an override
//! per column; ISO 8601 always accepted), its boolean words, and the
//! normalisation of codes and labels as they really arrive (trimmed,
//! full-width folded, labels' case folded; each switchable, an extension).
//! Read in two stages: `read` walks the TOML and reports every problem
//! with its path, then one validation pass resolves paths and defaults.
//!
//! ```toml
//! # <data>/catalog.toml (optional; without it the contract's layout is used)
//! [sources.petitions]
//! path = "信访件.csv"
//! format = "csv"
//! encoding = "gb18030"
//! date_format = "%Y年%m月%d日"
//! booleans = { true = ["是"], false = ["否"] }
//! [sources.petitions.columns]
//! "信访件编号" = "petition_id"     # extract header = canonical name
//! [sources.petitions.values.channel]
//! "来信" = "letter"                # extract value = canonical value
//! ```

pub mod init;
pub mod read;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::contract::{self, Table};
use crate::error::{Error, Result};

/// File name of the catalog looked for in a data directory.
pub const CATALOG_FILE: &str = "catalog.toml";

/// How an extract is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Parquet,
    Csv,
}

/// The text encoding of a CSV extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// GB18030 (a superset of GBK and GB2312).
    Gb18030,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Gb18030 => "gb18030",
        }
    }
}

/// Which normalisations apply to values that arrive as text (extension
/// to the contract; all on by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Normalise {
    /// Surrounding whitespace (including the ideographic space) removed.
    pub trim: bool,
    /// Full-width digits and letters (０-９, Ａ-Ｚ, ａ-ｚ) folded to ASCII.
    pub fullwidth: bool,
    /// Enumeration labels and boolean words folded to lower case.
    pub case: bool,
}

impl Default for Normalise {
    fn default() -> Self {
        Self {
            trim: true,
            fullwidth: true,
            case: true,
        }
    }
}

/// Text booleans beyond true/false and 1/0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Booleans {
    pub yes: Vec<String>,
    pub no: Vec<String>,
}

/// Where one table is, and how to read it.
#[derive(Debug, Clone)]
pub struct TableLocation {
    pub table: &'static Table,
    /// A file or a directory of files.
    pub path: PathBuf,
    /// Named in the catalog: then it must exist.
    pub explicit: bool,
    /// canonical column -> the extract's column, for renamed columns only.
    pub rename: BTreeMap<&'static str, String>,
    pub format: Format,
    pub encoding: Encoding,
    pub delimiter: u8,
    /// The table's text date format, if not ISO 8601.
    pub date_format: Option<String>,
    /// Per date column, its own format.
    pub date_formats: BTreeMap<&'static str, String>,
    pub booleans: Booleans,
    /// Per canonical column, extract value -> canonical value.
    pub values: BTreeMap<&'static str, BTreeMap<String, String>>,
    pub normalise: Normalise,
}

impl TableLocation {
    /// The contract's layout for `table` in `data_dir`, read as it is.
    fn default_for(table: &'static Table, data_dir: &Path) -> Self {
        Self {
            table,
            path: default_path(data_dir, table.name),
            explicit: false,
            rename: BTreeMap::new(),
            format: Format::Parquet,
            encoding: Encoding::Utf8,
            delimiter: b',',
            date_format: None,
            date_formats: BTreeMap::new(),
            booleans: Booleans::default(),
            values: BTreeMap::new(),
            normalise: Normalise::default(),
        }
    }

    /// The extract's name for a canonical column.
    pub fn source_column<'a>(&'a self, canonical: &'a str) -> &'a str {
        self.rename.get(canonical).map_or(canonical, String::as_str)
    }

    /// The text date format of a column: its own, else the table's.
    pub fn date_format_of(&self, column: &str) -> Option<&str> {
        self.date_formats
            .get(column)
            .or(self.date_format.as_ref())
            .map(String::as_str)
    }

    /// The file extension of this table's extract files.
    pub fn extension(&self) -> &'static str {
        match self.format {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
        }
    }
}

/// Every canonical table's location, in contract order.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub data_dir: PathBuf,
    /// The catalog file read, if any.
    pub file: Option<PathBuf>,
    pub tables: Vec<TableLocation>,
}

impl Catalog {
    /// Loads `catalog` if given, else `<data_dir>/catalog.toml` if present,
    /// else the contract's default layout.
    pub fn load(data_dir: &Path, catalog: Option<&Path>) -> Result<Self> {
        if !data_dir.is_dir() {
            return Err(Error::Input {
                path: data_dir.to_path_buf(),
                message: "the data directory does not exist; pass --data DIR with the extracts (see README, \"Data contract\")".into(),
            });
        }
        let file = match catalog {
            Some(f) => Some(f.to_path_buf()),
            None => {
                let f = data_dir.join(CATALOG_FILE);
                f.is_file().then_some(f)
            }
        };
        let mut problems = Vec::new();
        let entries = match &file {
            None => BTreeMap::new(),
            Some(f) => {
                let text = std::fs::read_to_string(f).map_err(|e| Error::Catalog {
                    file: f.clone(),
                    problems: vec![format!(
                        "cannot be read ({e}); pass an existing file with --catalog, or leave it out to use <data>/catalog.toml"
                    )],
                })?;
                read::read(&text, &mut problems)
            }
        };
        let tables = validate(entries, data_dir, &mut problems);
        if !problems.is_empty() {
            return Err(Error::Catalog {
                file: file.unwrap_or_else(|| data_dir.join(CATALOG_FILE)),
                problems,
            });
        }
        Ok(Self {
            data_dir: data_dir.to_path_buf(),
            file,
            tables,
        })
    }

    pub fn location(&self, table: &str) -> Option<&TableLocation> {
        self.tables.iter().find(|t| t.table.name == table)
    }
}

/// The validation pass: every table of the contract, its entry's settings
/// over the defaults; a path the catalog names must exist.
fn validate(
    mut entries: BTreeMap<String, read::RawEntry>,
    data_dir: &Path,
    problems: &mut Vec<String>,
) -> Vec<TableLocation> {
    let mut out = Vec::new();
    for table in contract::TABLES {
        let mut loc = TableLocation::default_for(table, data_dir);
        let Some(entry) = entries.remove(table.name) else {
            out.push(loc);
            continue;
        };
        let column = |name: &str| table.column(name).map(|c| c.name);
        loc.rename = entry
            .columns
            .iter()
            .filter_map(|(extract, canonical)| Some((column(canonical)?, extract.clone())))
            .collect();
        if entry.format.as_deref() == Some("csv") {
            loc.format = Format::Csv;
        }
        if entry.encoding.as_deref() == Some("gb18030") {
            loc.encoding = Encoding::Gb18030;
        }
        if let Some(d) = &entry.delimiter {
            loc.delimiter = d.as_bytes()[0];
        }
        loc.date_format = entry.date_format.clone();
        loc.date_formats = entry
            .date_formats
            .iter()
            .filter_map(|(c, f)| Some((column(c)?, f.clone())))
            .collect();
        if let Some((yes, no)) = entry.booleans.clone() {
            loc.booleans = Booleans { yes, no };
        }
        loc.values = entry
            .values
            .iter()
            .filter_map(|(c, pairs)| Some((column(c)?, pairs.iter().cloned().collect())))
            .collect();
        let [trim, fullwidth, case] = entry.normalise;
        let d = Normalise::default();
        loc.normalise = Normalise {
            trim: trim.unwrap_or(d.trim),
            fullwidth: fullwidth.unwrap_or(d.fullwidth),
            case: case.unwrap_or(d.case),
        };
        match &entry.path {
            Some(p) => {
                loc.path = data_dir.join(p);
                loc.explicit = true;
                if !loc.path.exists() {
                    problems.push(format!(
                        "sources.{}.path: {} does not exist; fix the path (it is relative to the data directory) or remove the entry",
                        table.name,
                        loc.path.display()
                    ));
                }
            }
            None if loc.format == Format::Csv => {
                loc.path = data_dir.join(format!("{}.csv", table.name));
                if !loc.path.exists() {
                    loc.path = data_dir.join(table.name);
                }
            }
            None => {}
        }
        out.push(loc);
    }
    out
}

/// `<data>/<name>.parquet` if it exists, else `<data>/<name>/`.
fn default_path(data_dir: &Path, name: &str) -> PathBuf {
    let file = data_dir.join(format!("{name}.parquet"));
    if file.exists() {
        file
    } else {
        data_dir.join(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> std::result::Result<Catalog, Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CATALOG_FILE), text).unwrap();
        Catalog::load(dir.path(), None).map_err(|e| match e {
            Error::Catalog { problems, .. } => problems,
            other => vec![other.to_string()],
        })
    }

    #[test]
    fn unknown_keys_are_reported_by_path() {
        let problems = load("[sources.cases]\npaht = \"x\"\n").unwrap_err();
        assert_eq!(
            problems,
            ["sources.cases.paht: unknown key; did you mean path?"]
        );
    }

    #[test]
    fn every_mapping_problem_is_reported_together() {
        let problems = load(
            "[sources.cases]\npath = \"nope.parquet\"\n[sources.cases.columns]\n\"编号\" = \"case_no\"\n[sources.casse]\n",
        )
        .unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("sources.casse")));
        assert!(problems.iter().any(|p| p.contains("case_no")));
        assert!(problems.iter().any(|p| p.contains("nope.parquet")));
    }

    #[test]
    fn settings_fill_the_location_and_defaults_the_rest() {
        let c = load(
            "[sources.petitions]\nformat = \"csv\"\nencoding = \"GB18030\"\ndelimiter = \";\"\ndate_format = \"%Y年%m月%d日\"\nbooleans = { true = [\"是\"], false = [\"否\"] }\nnormalise = { case = false }\n[sources.petitions.values.channel]\n\"来信\" = \"letter\"\n[sources.petitions.date_formats]\ndue_date = \"%Y/%m/%d\"\n",
        )
        .unwrap();
        let p = c.location("petitions").unwrap();
        assert_eq!(
            (p.format, p.encoding, p.delimiter),
            (Format::Csv, Encoding::Gb18030, b';')
        );
        assert_eq!(p.date_format_of("received_date"), Some("%Y年%m月%d日"));
        assert_eq!(p.date_format_of("due_date"), Some("%Y/%m/%d"));
        assert_eq!(p.booleans.yes, ["是"]);
        assert_eq!(p.values["channel"]["来信"], "letter");
        assert_eq!(
            p.normalise,
            Normalise {
                trim: true,
                fullwidth: true,
                case: false
            }
        );
        let cases = c.location("cases").unwrap();
        assert_eq!(cases.format, Format::Parquet);
        assert_eq!(cases.normalise, Normalise::default());
    }
}

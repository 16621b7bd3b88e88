//! The source catalog: where each canonical table's Parquet lives and how an
//! extract's own column headers (often Chinese) map onto the contract's
//! names. Loaded in two stages: raw TOML, then one validation pass that
//! reports every problem at once.
//!
//! ```toml
//! # <data>/catalog.toml (optional; without it the contract's layout is used)
//! [sources.cases]
//! path = "cases.parquet"          # relative to the data directory
//! [sources.cases.columns]
//! "线索编号" = "case_id"           # extract header = canonical name
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::contract::{self, Table};
use crate::error::{Error, Result};

/// File name of the catalog looked for in a data directory.
pub const CATALOG_FILE: &str = "catalog.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    sources: BTreeMap<String, RawEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    path: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
}

/// Where one table is, and how to read it.
#[derive(Debug, Clone)]
pub struct TableLocation {
    pub table: &'static Table,
    /// A Parquet file or a directory of Parquet files.
    pub path: PathBuf,
    /// Named in the catalog: then it must exist.
    pub explicit: bool,
    /// canonical column -> the extract's column, for renamed columns only.
    pub rename: BTreeMap<&'static str, String>,
}

impl TableLocation {
    /// The extract's name for a canonical column.
    pub fn source_column<'a>(&'a self, canonical: &'a str) -> &'a str {
        self.rename.get(canonical).map_or(canonical, String::as_str)
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
        let raw = match &file {
            None => RawCatalog::default(),
            Some(f) => {
                let text = std::fs::read_to_string(f).map_err(|e| Error::Catalog {
                    file: f.clone(),
                    problems: vec![format!(
                        "cannot be read ({e}); pass an existing file with --catalog, or leave it out to use <data>/catalog.toml"
                    )],
                })?;
                parse(&text).map_err(|p| Error::Catalog {
                    file: f.clone(),
                    problems: vec![p],
                })?
            }
        };
        let tables = validate(raw, data_dir).map_err(|problems| Error::Catalog {
            file: file.clone().unwrap_or_else(|| data_dir.join(CATALOG_FILE)),
            problems,
        })?;
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

fn parse(text: &str) -> std::result::Result<RawCatalog, String> {
    let de = toml::Deserializer::parse(text).map_err(|e| e.to_string())?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        format!("{path}: {}", e.into_inner().message())
    })
}

fn validate(
    mut raw: RawCatalog,
    data_dir: &Path,
) -> std::result::Result<Vec<TableLocation>, Vec<String>> {
    let mut problems = Vec::new();
    for name in raw.sources.keys() {
        if contract::table(name).is_none() {
            problems.push(format!(
                "sources.{name}: no such table in the data contract; expected one of {}",
                contract::TABLES.map(|t| t.name).join(", ")
            ));
        }
    }
    let mut out = Vec::new();
    for table in contract::TABLES {
        let entry = raw.sources.remove(table.name).unwrap_or_default();
        let mut rename = BTreeMap::new();
        for (extract, canonical) in &entry.columns {
            match table.column(canonical) {
                None => problems.push(format!(
                    "sources.{}.columns.\"{extract}\": '{canonical}' is not a column of {}; expected one of {}",
                    table.name,
                    table.name,
                    table.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
                )),
                Some(c) => {
                    if let Some(prev) = rename.insert(c.name, extract.clone()) {
                        problems.push(format!(
                            "sources.{}.columns: both \"{prev}\" and \"{extract}\" map to '{canonical}'; keep one",
                            table.name
                        ));
                    }
                }
            }
        }
        let (path, explicit) = match &entry.path {
            Some(p) => (data_dir.join(p), true),
            None => (default_path(data_dir, table.name), false),
        };
        if explicit && !path.exists() {
            problems.push(format!(
                "sources.{}.path: {} does not exist; fix the path (it is relative to the data directory) or remove the entry",
                table.name,
                path.display()
            ));
        }
        out.push(TableLocation {
            table,
            path,
            explicit,
            rename,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
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

    #[test]
    fn unknown_keys_are_reported_by_path() {
        let err = parse("[sources.cases]\npaht = \"x\"\n").unwrap_err();
        assert!(err.starts_with("sources.cases"), "{err}");
        assert!(err.contains("paht"), "{err}");
    }

    #[test]
    fn every_mapping_problem_is_reported_together() {
        let dir = tempfile::tempdir().unwrap();
        let raw = parse(
            "[sources.cases]\npath = \"nope.parquet\"\n[sources.cases.columns]\n\"编号\" = \"case_no\"\n[sources.casse]\n",
        )
        .unwrap();
        let problems = validate(raw, dir.path()).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("sources.casse")));
        assert!(problems.iter().any(|p| p.contains("case_no")));
        assert!(problems.iter().any(|p| p.contains("nope.parquet")));
    }
}

//! The indicator framework (`indicators/` and `sql/`), its format documented
//! in `docs/framework-format.md`. [`Framework::load`] reads it in two
//! stages: the files into the raw serde structs of `raw` (unknown keys
//! refused and reported by their path), then one pass of `validate` into
//! the types of `model`, which fills the defaults in one place and reports
//! every problem together, each a [`FrameworkProblem`] with its kind, file
//! and key path.
//!
//! - `model`: the validated framework the pipeline reads (re-exported here);
//! - `raw`: the files as written;
//! - `validate`: from the one to the other.

pub mod defaults;
mod model;
mod raw;
mod validate;
mod weights;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use model::{
    Aggregate, Builtin, DataPoint, DataPointSpec, Dimension, Direction, Example, Formula,
    Indicator, Meta, Missing, OpenUntil, PERIOD_PARAMETERS, Parameter, ReportSettings, Window,
};
pub use validate::{check_filter, placeholders};
pub use weights::WeightsFile;

use crate::digest::hex;
use crate::engine::method::Scoring;
use crate::engine::rank::TierRule;
use crate::error::{At, Error, FrameworkProblem, ProblemKind, Result};
use raw::{RawDataPoint, RawFrameworkFile, RawIndicator, RawIndicatorFile};
use validate::{Validated, Validator, check_placeholders, known_parameters};

/// A loaded, validated framework.
#[derive(Debug, Clone)]
pub struct Framework {
    pub dir: PathBuf,
    pub meta: Meta,
    pub tiers: TierRule,
    pub dimensions: Vec<Dimension>,
    pub datapoints: Vec<DataPoint>,
    pub indicators: Vec<Indicator>,
    pub parameters: Vec<Parameter>,
    /// Minimum availability, the index level, vetoes, Monte Carlo.
    pub scoring: Scoring,
    /// SQL data point files, by file name, with their text.
    pub sql: BTreeMap<String, String>,
    /// What the report shows.
    pub report: ReportSettings,
    /// SHA-256 over every file read, in a fixed order.
    pub hash: String,
    /// Every file read (framework files and SQL files), as paths.
    pub files: Vec<PathBuf>,
    /// The weights file that replaced the definitions' weights (module
    /// `weights`), if any.
    pub weights: Option<WeightsFile>,
}

impl Framework {
    pub fn datapoint(&self, id: &str) -> Option<&DataPoint> {
        self.datapoints.iter().find(|d| d.id == id)
    }

    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// Loads and validates the framework in `dir`: every problem found is
    /// reported together in one [`Error::Framework`].
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_with_weights(dir, None)
    }

    /// [`Framework::load`], scoring with the weights file `weights`
    /// (`run --weights`) instead of the one `framework.toml` names, if any.
    pub fn load_with_weights(dir: &Path, weights: Option<&Path>) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::Framework {
                dir: dir.to_path_buf(),
                problems: vec![At::default().problem(
                    ProblemKind::MissingFile,
                    "the framework directory does not exist; pass --framework DIR (the default is indicators/)",
                )],
            });
        }
        let mut reader = Reader::new(dir);
        let main: Option<RawFrameworkFile> = reader.parse(&dir.join("framework.toml"));
        let datapoints = reader.datapoints(&dir.join("datapoints"));
        let indicators = reader.indicators(&dir.join("definitions"));
        let Some(main) = main else {
            return Err(reader.error());
        };
        let sql_dir = dir.join(main.framework.sql_dir.as_deref().unwrap_or("../sql"));
        let weights_path = weights
            .map(Path::to_path_buf)
            .or_else(|| main.framework.weights.as_deref().map(|w| dir.join(w)));
        // After a file failed to parse, "no indicator" findings would be noise.
        let complete = reader.problems.is_empty();
        let validated = Validator {
            problems: &mut reader.problems,
            complete,
        }
        .validate(main, datapoints, indicators);
        let mut validated = validated;
        let weights = weights_path.and_then(|path| reader.weights(&path, &mut validated));
        let sql = reader.sql_files(&sql_dir, &validated);
        if !reader.problems.is_empty() {
            return Err(reader.error());
        }
        Ok(Framework {
            dir: dir.to_path_buf(),
            meta: validated.meta,
            tiers: validated.tiers,
            dimensions: validated.dimensions,
            datapoints: validated.datapoints,
            indicators: validated.indicators,
            parameters: validated.parameters,
            scoring: validated.scoring,
            sql,
            report: validated.report,
            hash: hex(&reader.hasher.finalize()),
            files: reader.files,
            weights,
        })
    }
}

/// Reads the framework's files: each file read is hashed and listed, and
/// one that cannot be read or parsed is a problem.
struct Reader<'a> {
    dir: &'a Path,
    hasher: Sha256,
    files: Vec<PathBuf>,
    problems: Vec<FrameworkProblem>,
}

impl<'a> Reader<'a> {
    fn new(dir: &'a Path) -> Self {
        Reader {
            dir,
            hasher: Sha256::new(),
            files: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn error(self) -> Error {
        Error::Framework {
            dir: self.dir.to_path_buf(),
            problems: self.problems,
        }
    }

    /// The file's name as problems give it: relative to the framework.
    fn name(&self, path: &Path) -> String {
        path.strip_prefix(self.dir)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    fn read(&mut self, path: &Path) -> Option<String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                self.hasher.update(self.name(path).as_bytes());
                self.hasher.update([0u8]);
                self.hasher.update(text.as_bytes());
                self.hasher.update([0u8]);
                self.files.push(path.to_path_buf());
                Some(text)
            }
            Err(e) => {
                self.problems.push(
                    At::file(path.display().to_string())
                        .problem(ProblemKind::Unreadable, format!("cannot be read: {e}")),
                );
                None
            }
        }
    }

    /// Reads and parses one TOML file.
    fn parse<T: serde::de::DeserializeOwned>(&mut self, path: &Path) -> Option<T> {
        let text = self.read(path)?;
        raw::parse(&self.name(path), &text)
            .map_err(|p| self.problems.push(p))
            .ok()
    }

    /// Reads the weights file at `path` and lays its weights over the
    /// validated framework's; `None` (and a problem) when it cannot be read.
    fn weights(&mut self, path: &Path, v: &mut Validated) -> Option<WeightsFile> {
        if !path.is_file() {
            self.problems
                .push(At::file(path.display().to_string()).problem(
                    ProblemKind::MissingFile,
                    "the weights file does not exist; fix `[framework] weights` or `--weights`, \
                 or write one with `qinglian calibrate --fit`",
                ));
            return None;
        }
        let text = self.read(path)?;
        let name = self.name(path);
        let raw = match raw::parse::<weights::RawWeightsFile>(&name, &text) {
            Ok(raw) => raw,
            Err(p) => {
                self.problems.push(p);
                return None;
            }
        };
        let (about, dimensions, indicators) = weights::apply(
            &name,
            raw,
            &mut v.dimensions,
            &mut v.indicators,
            &v.scoring.index,
            &mut self.problems,
        );
        Some(WeightsFile {
            path: path.to_path_buf(),
            sha256: hex(&Sha256::digest(text.as_bytes())),
            about,
            dimensions,
            indicators,
        })
    }

    /// Every data point of the `*.toml` files of `datapoints/`, with its
    /// file's name.
    fn datapoints(&mut self, dir: &Path) -> Vec<(String, RawDataPoint)> {
        let mut out = Vec::new();
        for f in self.toml_files(dir) {
            let Some(text) = self.read(&f) else { continue };
            let name = self.name(&f);
            match raw::parse_datapoints(&name, &text) {
                Ok(dps) => out.extend(dps.into_iter().map(|d| (name.clone(), d))),
                Err(p) => self.problems.push(p),
            }
        }
        out
    }

    /// Every indicator of the `*.toml` files of `definitions/`, with its
    /// file's name.
    fn indicators(&mut self, dir: &Path) -> Vec<(String, RawIndicator)> {
        let mut out = Vec::new();
        for f in self.toml_files(dir) {
            if let Some(file) = self.parse::<RawIndicatorFile>(&f) {
                let name = self.name(&f);
                out.extend(file.indicators.into_iter().map(|i| (name.clone(), i)));
            }
        }
        out
    }

    /// `*.toml` files of a directory, in name order.
    fn toml_files(&mut self, dir: &Path) -> Vec<PathBuf> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.problems.push(
                    At::file(dir.display().to_string())
                        .problem(ProblemKind::Unreadable, format!("cannot be listed: {e}")),
                );
                return Vec::new();
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        files
    }

    /// The SQL files the data points name, by name, read in name order so
    /// the hash is stable; their `$names` checked against the parameters.
    fn sql_files(&mut self, sql_dir: &Path, validated: &Validated) -> BTreeMap<String, String> {
        let wanted: BTreeSet<&String> = validated
            .datapoints
            .iter()
            .filter_map(|dp| match &dp.spec {
                DataPointSpec::Sql { file, .. } => Some(file),
                _ => None,
            })
            .collect();
        let known = known_parameters(&validated.parameters);
        let mut sql = BTreeMap::new();
        for name in wanted {
            let path = sql_dir.join(name);
            if !path.is_file() {
                self.problems.push(At::default().problem(
                    ProblemKind::MissingFile,
                    format!(
                        "sql file '{name}' not found in {}; create it or fix the data point's `sql` key",
                        sql_dir.display()
                    ),
                ));
                continue;
            }
            if let Some(text) = self.read(&path) {
                let at = At::file(format!("sql/{name}"));
                check_placeholders(&mut self.problems, &at, &text, &known);
                sql.insert(name.clone(), text);
            }
        }
        sql
    }
}

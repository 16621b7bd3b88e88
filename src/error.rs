//! The library's error type. User mistakes (a bad framework, a bad catalog,
//! unreadable or mis-typed input) are kept apart from internal failures
//! (bugs), so the binary can tell the analyst which is which and exit with
//! the documented code.

use std::fmt;
use std::path::PathBuf;

use datafusion::error::DataFusionError;

/// Any error kept as the source of a [`Error::Write`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Result with the library's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One schema problem in one input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    pub table: String,
    pub file: PathBuf,
    /// The canonical column.
    pub column: String,
    /// The column's name in the file, when the catalog maps it.
    pub source_column: String,
    pub expected: String,
    /// What was found, or `None` when the column is missing.
    pub found: Option<String>,
}

impl fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.source_column == self.column {
            format!("column '{}'", self.column)
        } else {
            format!(
                "column '{}' (canonical '{}')",
                self.source_column, self.column
            )
        };
        match &self.found {
            None => write!(
                f,
                "table {}, file {}: {name} is missing; expected {}. Add it to the extract, or map the extract's own header to '{}' under [sources.{}.columns] in the catalog",
                self.table,
                self.file.display(),
                self.expected,
                self.column,
                self.table
            ),
            Some(found) => write!(
                f,
                "table {}, file {}: {name} has type {found}; expected {}. Fix the extract's type for this column",
                self.table,
                self.file.display(),
                self.expected
            ),
        }
    }
}

/// What kind of mistake a framework problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// A file or directory cannot be read or listed.
    Unreadable,
    /// A file is not in the format: a TOML syntax error, an unknown, missing
    /// or mis-typed key, a key the entry's kind does not take.
    Syntax,
    /// A value is out of range, or does not fit the values around it.
    Invalid,
    /// A name that is not defined: a dimension, data point, indicator,
    /// parameter, source table or column.
    Reference,
    /// An id defined more than once.
    Duplicate,
    /// A file or directory the framework needs does not exist.
    MissingFile,
    /// The framework's SQL (a filter, an SQL file) does not parse, plan or
    /// run as it must.
    Sql,
}

/// One problem of a framework: its kind, where it is, what is wrong. It
/// prints as the line the analyst reads, `file: path: message`, leaving out
/// the parts it lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkProblem {
    pub kind: ProblemKind,
    /// The file the problem is in, as the line names it: relative to the
    /// framework directory (`framework.toml`, `datapoints/x.toml`,
    /// `definitions/`), `sql/NAME.sql` for an SQL file, the whole path for
    /// a file that cannot be read; `None` when the problem is in no one
    /// file (a missing file, a compiled query).
    pub file: Option<String>,
    /// The key path in the file (`indicator[2].weight`, `report.summons`);
    /// `None` for the file as a whole.
    pub path: Option<String>,
    /// The path as the line shows it, where it shows more than `path` (the
    /// entry's id, `indicator[2] (pet_rate).weight`, or the value,
    /// `report.summons = 0`) or nothing at all (empty: the message names
    /// the place in its own words).
    pub shown_path: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl FrameworkProblem {
    /// A problem of the framework's SQL file `file` (`sql/NAME.sql`).
    pub fn sql(file: impl Into<String>, message: impl Into<String>) -> Self {
        At::file(file).problem(ProblemKind::Sql, message)
    }

    /// A problem of the framework's SQL from its line, `sql/NAME.sql:
    /// message` (the file is taken from the line), or a line that names no
    /// file (a filter, a compiled query).
    pub fn sql_line(line: impl Into<String>) -> Self {
        let line = line.into();
        let (file, message) = match line.split_once(": ") {
            Some((file, message)) if file.starts_with("sql/") => {
                (Some(file.to_string()), message.to_string())
            }
            _ => (None, line),
        };
        At {
            file,
            ..At::default()
        }
        .problem(ProblemKind::Sql, message)
    }
}

impl fmt::Display for FrameworkProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.shown_path.as_deref().or(self.path.as_deref());
        let mut separator = "";
        for part in [self.file.as_deref(), path, Some(self.message.as_str())]
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
        {
            write!(f, "{separator}{part}")?;
            separator = ": ";
        }
        Ok(())
    }
}

/// Where a framework problem is, while it is found: the validators carry
/// one down the file's keys and make the problem with [`At::problem`].
#[derive(Debug, Clone, Default)]
pub(crate) struct At {
    file: Option<String>,
    path: Option<String>,
    shown: Option<String>,
}

impl At {
    /// The top of a file.
    pub(crate) fn file(file: impl Into<String>) -> Self {
        At {
            file: Some(file.into()),
            ..At::default()
        }
    }

    /// One key further in: `scoring` and `range` give `scoring.range`.
    pub(crate) fn key(&self, key: &str) -> Self {
        let join = |p: &Option<String>| match p {
            Some(p) => format!("{p}.{key}"),
            None => key.to_string(),
        };
        At {
            file: self.file.clone(),
            path: Some(join(&self.path)),
            shown: self.shown.as_ref().map(|_| join(&self.shown)),
        }
    }

    /// The `index`-th entry of the list `list`, shown with its id:
    /// `indicator[2] (pet_rate)`.
    pub(crate) fn entry(&self, list: &str, index: usize, id: &str) -> Self {
        let path = match &self.path {
            Some(p) => format!("{p}.{list}[{index}]"),
            None => format!("{list}[{index}]"),
        };
        At {
            file: self.file.clone(),
            shown: Some(format!("{path} ({id})")),
            path: Some(path),
        }
    }

    /// Shown with the value found there: `report.summons = 0`.
    pub(crate) fn with_value(&self, value: impl fmt::Display) -> Self {
        let shown = self.shown.as_ref().or(self.path.as_ref());
        At {
            shown: shown.map(|s| format!("{s} = {value}")),
            ..self.clone()
        }
    }

    /// Not shown before the message, which names the place itself.
    pub(crate) fn named_in_message(&self) -> Self {
        At {
            shown: Some(String::new()),
            ..self.clone()
        }
    }

    pub(crate) fn problem(
        &self,
        kind: ProblemKind,
        message: impl Into<String>,
    ) -> FrameworkProblem {
        FrameworkProblem {
            kind,
            file: self.file.clone(),
            path: self.path.clone(),
            shown_path: self.shown.clone(),
            message: message.into(),
        }
    }
}

/// Errors of the qinglian library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The framework (indicators/, sql/) is wrong; every problem is listed.
    #[error("the framework in {} has {} problem(s):\n  - {}", dir.display(), problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  - "))]
    Framework {
        dir: PathBuf,
        problems: Vec<FrameworkProblem>,
    },

    /// The source catalog is wrong; every problem is listed.
    #[error("the source catalog {} has {} problem(s):\n  - {}", file.display(), problems.len(), problems.join("\n  - "))]
    Catalog {
        file: PathBuf,
        problems: Vec<String>,
    },

    /// Input files do not match the data contract; every problem is listed.
    #[error("the input does not match the data contract ({} problem(s)):\n  - {}", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  - "))]
    Schema { problems: Vec<SchemaProblem> },

    /// An input file or directory cannot be used.
    #[error("input {}: {message}", path.display())]
    Input { path: PathBuf, message: String },

    /// The run was asked for something the data cannot give.
    #[error("{0}")]
    Request(String),

    /// Reading or writing a file failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A query failed while the pipeline ran (an internal error unless the
    /// context says the framework's SQL is at fault).
    #[error("{context}: {source}")]
    Query {
        context: String,
        #[source]
        source: DataFusionError,
    },

    /// A query needed more memory than the run's `--memory-limit`, even
    /// after spilling to disk.
    #[error(
        "{context}: the query needed more memory than the run's memory limit allows, even spilling to disk ({message}); raise --memory-limit, or leave it out"
    )]
    Resources { context: String, message: String },

    /// Writing an output (CSV, Parquet, JSON, a chart or page) failed.
    #[error("{context}")]
    Write {
        context: String,
        #[source]
        source: BoxError,
    },

    /// An in-memory Arrow step on the run's own tables failed (a bug).
    #[error("{context}")]
    Arrow {
        context: String,
        #[source]
        source: datafusion::arrow::error::ArrowError,
    },

    /// What the program itself produced is not what it expects (a bug).
    #[error("{context}: {message}")]
    Internal { context: String, message: String },

    /// The cluster (`--cluster`, `qinglian cluster ...`) cannot be reached
    /// or failed: a scheduler that does not answer, an executor lost.
    #[error("cluster: {message}")]
    Cluster { message: String },

    /// The framework's scoring method cannot score this quarter's values
    /// (for instance entropy weights where no indicator varies).
    #[error("scoring: {message}")]
    Scoring { message: String },
}

/// What kind of failure, for exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The framework, the catalog or the command line is wrong (exit 2).
    Config,
    /// The input data is missing, unreadable or off-contract (exit 3).
    Data,
    /// A bug or an environment failure (exit 1).
    Internal,
    /// The memory limit was too small for the run (exit 5).
    Resources,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Framework { .. }
            | Error::Catalog { .. }
            | Error::Request(_)
            | Error::Scoring { .. } => ErrorKind::Config,
            Error::Schema { .. } | Error::Input { .. } => ErrorKind::Data,
            Error::Resources { .. } => ErrorKind::Resources,
            Error::Io { .. }
            | Error::Query { .. }
            | Error::Write { .. }
            | Error::Arrow { .. }
            | Error::Internal { .. }
            | Error::Cluster { .. } => ErrorKind::Internal,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// An input file or directory that cannot be read: a data error.
    pub(crate) fn unreadable(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |e| Error::Input {
            path,
            message: format!("cannot be read ({e}); check that it exists and is readable"),
        }
    }

    /// A failed query: out of memory under the limit (`Resources`), else
    /// `Query`.
    pub(crate) fn query(context: impl Into<String>) -> impl FnOnce(DataFusionError) -> Error {
        let context = context.into();
        move |source| match source.find_root() {
            DataFusionError::ResourcesExhausted(message) => Error::Resources {
                context,
                // DataFusion lists every memory consumer; keep what failed.
                message: message
                    .find("Failed to allocate")
                    .map_or_else(
                        || message.lines().next().unwrap_or_default(),
                        |i| &message[i..],
                    )
                    .trim()
                    .to_string(),
            },
            _ => Error::Query { context, source },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_prints_as_its_line() {
        let at = At::file("definitions/d.toml").entry("indicator", 2, "pet_rate");
        let p = at
            .key("example")
            .key("value")
            .problem(ProblemKind::Invalid, "15 does not follow");
        assert_eq!(p.path.as_deref(), Some("indicator[2].example.value"));
        assert_eq!(
            p.to_string(),
            "definitions/d.toml: indicator[2] (pet_rate).example.value: 15 does not follow"
        );
        let report = At::file("framework.toml").key("report").key("summons");
        let p = report
            .with_value(0)
            .problem(ProblemKind::Invalid, "use 1 to 10000");
        assert_eq!(p.path.as_deref(), Some("report.summons"));
        assert_eq!(
            p.to_string(),
            "framework.toml: report.summons = 0: use 1 to 10000"
        );
        let p = At::file("framework.toml")
            .key("dimension[0]")
            .named_in_message()
            .problem(ProblemKind::Invalid, "dimension 'd' has no indicator");
        assert_eq!(p.path.as_deref(), Some("dimension[0]"));
        assert_eq!(
            p.to_string(),
            "framework.toml: dimension 'd' has no indicator"
        );
        let p = At::default().problem(ProblemKind::MissingFile, "sql file 'x.sql' not found");
        assert_eq!(p.to_string(), "sql file 'x.sql' not found");
    }

    #[test]
    fn an_sql_line_names_its_file() {
        let p = FrameworkProblem::sql_line("sql/a.sql: SQL error: at Line: 1");
        assert_eq!(
            (p.kind, p.file.as_deref(), p.message.as_str()),
            (ProblemKind::Sql, Some("sql/a.sql"), "SQL error: at Line: 1")
        );
        assert_eq!(p.to_string(), "sql/a.sql: SQL error: at Line: 1");
        let p = FrameworkProblem::sql_line("data point 'x': filter `y`: no field y");
        assert_eq!(p.file, None);
        assert_eq!(p.to_string(), "data point 'x': filter `y`: no field y");
    }
}

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

/// Errors of the qinglian library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The framework (indicators/, sql/) is wrong; every problem is listed.
    #[error("the framework in {} has {} problem(s):\n  - {}", dir.display(), problems.len(), problems.join("\n  - "))]
    Framework { dir: PathBuf, problems: Vec<String> },

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
            | Error::Internal { .. } => ErrorKind::Internal,
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

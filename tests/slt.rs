//! SQL behaviour as sqllogictest files (`tests/slt/*.slt`), run on
//! DataFusion the way the pipeline runs it. Three kinds of record:
//!
//! - plain SQL sets up tables (`CREATE TABLE petitions AS ...`);
//! - `framework <sql>` runs SQL as the framework's SQL runs: queries only,
//!   the quarter's parameters bound (`$quarter_start`, …);
//! - `file <name>.sql` runs a data-point file of the default framework's
//!   `sql/` directory the same way;
//! - `quarter 2026Q2` changes the quarter bound (default 2026Q3), and the
//!   `quarters` table to that quarter alone;
//! - `quarters 2026Q3 2026Q2` sets the `quarters` table that files
//!   computing every quarter at once read (the pipeline's, for those
//!   quarters);
//! - `parameter <id> <value>` sets a framework parameter (bound as `$id`;
//!   the default framework's parameters are bound from the start).
//!
//! Cells print as text, `NULL` for null and `(empty)` for an empty string.
//!
//! `statement error` records on `framework` lines are the user mistakes the
//! engine must refuse; any other error fails the test as a bug.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::path::PathBuf;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use qinglian::datapoints::{QUARTERS_TABLE, framework_sql_options, parameters, quarters_batch};
use qinglian::framework::{Framework, Parameter};
use qinglian::period::Quarter;
use sqllogictest::{DBOutput, DefaultColumnType};

struct Engine {
    ctx: SessionContext,
    quarter: Quarter,
    parameters: Vec<Parameter>,
    rt: tokio::runtime::Runtime,
}

impl Engine {
    /// The `quarters` table the pipeline registers for `quarters`.
    fn set_quarters(&self, quarters: &[Quarter]) -> Result<(), DataFusionError> {
        self.ctx.deregister_table(QUARTERS_TABLE)?;
        self.ctx
            .register_batch(QUARTERS_TABLE, quarters_batch(quarters))?;
        Ok(())
    }
}

impl sqllogictest::DB for Engine {
    type Error = DataFusionError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DataFusionError> {
        let sql = sql.trim();
        if let Some(list) = sql.strip_prefix("quarters ") {
            let quarters = list
                .split_whitespace()
                .map(|q| q.parse().map_err(|e| DataFusionError::Plan(format!("{e}"))))
                .collect::<Result<Vec<Quarter>, _>>()?;
            self.set_quarters(&quarters)?;
            return Ok(DBOutput::StatementComplete(0));
        }
        if let Some(q) = sql.strip_prefix("quarter ") {
            self.quarter = q
                .trim()
                .parse()
                .map_err(|e| DataFusionError::Plan(format!("{e}")))?;
            self.set_quarters(&[self.quarter])?;
            return Ok(DBOutput::StatementComplete(0));
        }
        if let Some(rest) = sql.strip_prefix("parameter ") {
            let (id, value) = rest
                .trim()
                .split_once(' ')
                .ok_or_else(|| DataFusionError::Plan(format!("parameter <id> <value>: {rest}")))?;
            let value: f64 = value
                .trim()
                .parse()
                .map_err(|e| DataFusionError::Plan(format!("{value}: {e}")))?;
            self.parameters.retain(|p| p.id != id);
            self.parameters.push(Parameter {
                id: id.to_string(),
                value,
                description: String::new(),
            });
            return Ok(DBOutput::StatementComplete(0));
        }
        let framework_sql = if let Some(file) = sql.strip_prefix("file ") {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("sql")
                .join(file.trim());
            Some(
                std::fs::read_to_string(&path)
                    .map_err(|e| DataFusionError::Plan(format!("{}: {e}", path.display())))?,
            )
        } else {
            sql.strip_prefix("framework ").map(str::to_string)
        };
        let ctx = &self.ctx;
        let quarter = self.quarter;
        let params = parameters(quarter, &self.parameters);
        let batches = self.rt.block_on(async move {
            let df = match &framework_sql {
                Some(s) => ctx
                    .sql_with_options(s, framework_sql_options())
                    .await?
                    .with_param_values(params)?,
                None => ctx.sql(sql).await?,
            };
            df.collect().await
        })?;
        let Some(first) = batches.first() else {
            return Ok(DBOutput::StatementComplete(0));
        };
        let types = vec![DefaultColumnType::Any; first.num_columns()];
        let mut rows = Vec::new();
        for b in &batches {
            let cols: Vec<_> = b
                .columns()
                .iter()
                .map(|c| datafusion::arrow::compute::cast(c, &DataType::Utf8))
                .collect::<Result<_, _>>()?;
            for r in 0..b.num_rows() {
                rows.push(
                    cols.iter()
                        .map(|c| {
                            let s = c.as_string::<i32>();
                            if s.is_null(r) {
                                "NULL".to_string()
                            } else if s.value(r).is_empty() {
                                "(empty)".to_string()
                            } else {
                                s.value(r).to_string()
                            }
                        })
                        .collect(),
                );
            }
        }
        if sql.to_ascii_uppercase().starts_with("CREATE") {
            return Ok(DBOutput::StatementComplete(0));
        }
        Ok(DBOutput::Rows { types, rows })
    }
}

#[test]
fn sqllogictest_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in files {
        let mut runner = sqllogictest::Runner::new(|| async {
            let ctx = SessionContext::new();
            ctx.register_batch(QUARTERS_TABLE, quarters_batch(&["2026Q3".parse().unwrap()]))?;
            Ok(Engine {
                ctx,
                quarter: "2026Q3".parse().unwrap(),
                parameters: Framework::load(
                    &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("indicators"),
                )
                .unwrap()
                .parameters,
                rt: tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap(),
            })
        });
        runner
            .run_file(&f)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
}

//! Checking a framework's queries before any data is read (for `validate`
//! and before a run): every filter, compiled query and SQL file is planned
//! against empty canonical tables, and each SQL file must read only the
//! data contract's tables (and the quarters table) and return the columns
//! its data points name.
//! Also the SQL files with their data points ([`sql_files`]) and the
//! tables an SQL text reads ([`tables_read`]), which running shares.

use std::collections::BTreeMap;

use datafusion::arrow::datatypes::Schema;
use datafusion::common::ParamValues;
use datafusion::common::config::Dialect;
use datafusion::prelude::SessionContext;

use super::compile::{QUARTERS_TABLE, compile, parameters, quarters_batch};
use super::run::planned;
use crate::contract;
use crate::error::{Error, FrameworkProblem, Result};
use crate::framework::{DataPointSpec, Framework, Missing};
use crate::period::Quarter;

/// An SQL data point: id, column read, what an absent village gets.
pub(super) type SqlDataPoint<'a> = (&'a str, &'a str, Missing);

/// An SQL file: name, text, its data points.
pub(super) type SqlFile<'a> = (&'a str, &'a str, Vec<SqlDataPoint<'a>>);

/// Plans every query of the framework against empty canonical tables, so a
/// filter naming a missing column, an SQL file with a syntax error or the
/// wrong result columns is reported (all together, by data point and file)
/// before any data is read.
pub async fn check(framework: &Framework) -> Result<()> {
    let ctx = SessionContext::new();
    for t in contract::TABLES {
        crate::ingest::register_empty(&ctx, t)?;
    }
    let q = Quarter::new(2000, 1).expect("a valid quarter");
    ctx.register_batch(QUARTERS_TABLE, quarters_batch(&[q]))
        .map_err(Error::query("registering the quarters table"))?;
    let params = parameters(q, &framework.parameters);
    let mut problems = aggregate_problems(&ctx, framework, &params).await;
    for (file, sql, dps) in sql_files(framework) {
        problems.extend(sql_file_problems(&ctx, file, sql, &dps, &params).await);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Framework {
            dir: framework.dir.clone(),
            problems: problems
                .into_iter()
                .map(FrameworkProblem::sql_line)
                .collect(),
        })
    }
}

/// Problems with the aggregate data points: each filter planned alone,
/// then, when every filter plans, the compiled query of each source.
async fn aggregate_problems(
    ctx: &SessionContext,
    framework: &Framework,
    params: &ParamValues,
) -> Vec<String> {
    let mut problems = Vec::new();
    for dp in &framework.datapoints {
        if let DataPointSpec::Aggregate {
            source,
            filter: Some(f),
            ..
        } = &dp.spec
        {
            let sql = format!("SELECT COUNT(*) FROM {} WHERE ({f})", source.name);
            if let Err(e) = plan(ctx, &sql, params).await {
                problems.push(format!(
                    "data point '{}': filter `{f}`: {}",
                    dp.id,
                    first_line(&e)
                ));
            }
        }
    }
    if !problems.is_empty() {
        return problems;
    }
    for c in compile(framework) {
        if let Err(e) = plan(ctx, &c.sql, params).await {
            problems.push(format!(
                "the compiled query of source {} (see `qinglian run --explain`): {}",
                c.source.name,
                first_line(&e)
            ));
        }
    }
    problems
}

/// Problems with one SQL data point file: a table outside the data
/// contract, a query that does not plan, or the wrong result columns; for
/// a file that reads the quarters table, a quarter parameter too.
async fn sql_file_problems(
    ctx: &SessionContext,
    file: &str,
    sql: &str,
    dps: &[SqlDataPoint<'_>],
    params: &ParamValues,
) -> Vec<String> {
    let mut tables: Vec<&str> = contract::TABLES.iter().map(|t| t.name).collect();
    tables.push(QUARTERS_TABLE);
    // Only the contract's tables: a file path, a URL or a name of the
    // engine's own is refused by name, before planning.
    let mut quarter_keyed = false;
    if let Ok(reads) = tables_read(ctx, sql) {
        let foreign: Vec<&String> = reads
            .iter()
            .filter(|t| !tables.contains(&t.as_str()))
            .collect();
        if !foreign.is_empty() {
            return vec![format!(
                "sql/{file}: reads {}, not a table of the data contract; SQL data points read only {}",
                foreign
                    .iter()
                    .map(|t| format!("'{t}'"))
                    .collect::<Vec<_>>()
                    .join(", "),
                tables.join(", ")
            )];
        }
        quarter_keyed = reads_quarters(&reads);
    }
    if quarter_keyed {
        let bound: Vec<String> = crate::framework::placeholders(sql)
            .into_iter()
            .filter(|p| crate::framework::PERIOD_PARAMETERS.contains(&p.as_str()))
            .map(|p| format!("${p}"))
            .collect();
        if !bound.is_empty() {
            return vec![format!(
                "sql/{file}: reads the {QUARTERS_TABLE} table and uses {}; a file computes either every quarter at once (join {QUARTERS_TABLE}, use its columns {QUARTERS_TABLE}.quarter_start, …, return `quarter`) or one quarter (the parameters), not both",
                bound.join(", ")
            )];
        }
    }
    match plan(ctx, sql, params).await {
        Err(e) => vec![format!("sql/{file}: {}", first_line(&e))],
        Ok(schema) => check_sql_schema(file, &schema, dps, quarter_keyed),
    }
}

/// Whether an SQL file that reads `reads` computes every quarter at once:
/// it reads the [`QUARTERS_TABLE`].
pub(super) fn reads_quarters(reads: &[String]) -> bool {
    reads.iter().any(|t| t == QUARTERS_TABLE)
}

/// Problems with the columns an SQL data point file returns; a
/// `quarter_keyed` one must return `quarter` too.
pub(super) fn check_sql_schema(
    file: &str,
    schema: &Schema,
    dps: &[SqlDataPoint<'_>],
    quarter_keyed: bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    if schema.index_of("village_code").is_err() {
        problems.push(format!(
            "sql/{file}: returns no `village_code` column (it returns {})",
            field_names(schema)
        ));
    }
    if quarter_keyed && schema.index_of("quarter").is_err() {
        problems.push(format!(
            "sql/{file}: reads the {QUARTERS_TABLE} table but returns no `quarter` column (it returns {}); select {QUARTERS_TABLE}.quarter and GROUP BY it with village_code",
            field_names(schema)
        ));
    }
    for (id, column, _) in dps {
        match schema.field_with_name(column) {
            Err(_) => problems.push(format!(
                "sql/{file}: data point '{id}' reads column `{column}`, which the query does not return (it returns {})",
                field_names(schema)
            )),
            Ok(f) if !f.data_type().is_numeric() => problems.push(format!(
                "sql/{file}: column `{column}` of data point '{id}' is {}, not numeric",
                f.data_type()
            )),
            Ok(_) => {}
        }
    }
    problems
}

/// SQL data point files with their text and data points, by file name.
pub(super) fn sql_files(framework: &Framework) -> Vec<SqlFile<'_>> {
    let mut by_file: BTreeMap<&str, Vec<SqlDataPoint<'_>>> = BTreeMap::new();
    for dp in &framework.datapoints {
        if let DataPointSpec::Sql {
            file,
            column,
            missing,
            ..
        } = &dp.spec
        {
            by_file
                .entry(file)
                .or_default()
                .push((&dp.id, column, *missing));
        }
    }
    by_file
        .into_iter()
        .map(|(file, dps)| {
            let sql = framework
                .sql
                .get(file)
                .map(String::as_str)
                .unwrap_or_default();
            (file, sql, dps)
        })
        .collect()
}

/// The canonical tables an SQL text reads.
pub fn tables_read(ctx: &SessionContext, sql: &str) -> datafusion::error::Result<Vec<String>> {
    let state = ctx.state();
    let stmt = state.sql_to_statement(sql, &Dialect::Generic)?;
    let mut names: Vec<String> = state
        .resolve_table_references(&stmt)?
        .into_iter()
        .map(|t| t.table().to_string())
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// The result schema of `sql` planned with `params` bound.
async fn plan(
    ctx: &SessionContext,
    sql: &str,
    params: &ParamValues,
) -> datafusion::error::Result<Schema> {
    Ok(planned(ctx, sql, params).await?.schema().as_arrow().clone())
}

fn first_line(e: &datafusion::error::DataFusionError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

fn field_names(schema: &Schema) -> String {
    schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

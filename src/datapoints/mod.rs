//! Data points: the framework's raw measurements per village for the
//! assessed quarter and the quarters before it that the run scores.
//! Aggregate data points of one source compile into one query for all
//! those quarters (one scan per source); an SQL data point file that reads
//! the `quarters` table runs once for all of them (the quarter a group
//! key), any other once per quarter. The queries run concurrently. The quarters' bounds are
//! bound as named parameters, never pasted into SQL.
//!
//! The stage's entry points are [`compute`] and [`compute_quarters`] (run
//! the stage), [`check()`] (plan every query before any data is read),
//! [`compile()`] and [`compile_for`] (the SQL of the aggregate data points,
//! for `run --explain` and the benchmark) and [`source_spans`] (which
//! quarters each source covers). Its parts, one file each:
//!
//! - `compile.rs`: quarter parameters, window predicates, aggregate
//!   expressions, and the compiled query of each source;
//! - `run.rs`: the jobs that run the queries and SQL files concurrently,
//!   how many partitions each may use, and reading their result columns;
//! - `check.rs`: planning a framework's queries against empty tables, and
//!   which tables and columns its SQL files read and return;
//! - `villages.rs`: reading the villages table.

use std::collections::BTreeMap;

use crate::contract;
use crate::framework::Window;
use crate::ingest::Ingested;
use crate::period::Quarter;

mod check;
mod compile;
mod run;
mod villages;

pub use check::{check, tables_read};
pub use compile::{
    CompiledSource, Plan, QUARTER_PARAMETERS, QUARTERS_TABLE, compile, compile_for, parameters,
    parameters_of, quarter_dates, quarters_batch, shift_quarter_parameters,
};
pub use run::{compute, compute_quarters, framework_sql_options};
pub use villages::{county_names, read_villages, scope_to_county};

/// The first and last quarter each present source has valid events in (a
/// source without any has no span).
pub fn source_spans(ingested: &Ingested) -> BTreeMap<&'static str, (Quarter, Quarter)> {
    contract::sources()
        .filter_map(|t| ingested.report(t.name)?.event_quarters.map(|q| (t.name, q)))
        .collect()
}

/// The quarters every present source spans, first and last (`None`
/// without a source with events; the first may lie after the last when
/// the spans do not meet): where a quarter is scored on all the sources.
pub fn common_span(ingested: &Ingested) -> Option<(Quarter, Quarter)> {
    let spans = source_spans(ingested);
    Some((
        spans.values().map(|s| s.0).max()?,
        spans.values().map(|s| s.1).min()?,
    ))
}

/// The quarters a source must have events in for a data point over
/// `window` to count: the window's quarters and the assessed one.
pub fn window_quarters(window: Window, quarter: Quarter) -> (Quarter, Quarter) {
    match window {
        Window::Quarter | Window::ToDate | Window::Active => (quarter, quarter),
        Window::PreviousQuarter => (quarter.previous(), quarter),
        Window::Trailing4q => (quarter.offset(-4), quarter),
        Window::RollingYear => (quarter.offset(-3), quarter),
    }
}

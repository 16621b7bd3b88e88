//! Every data point and every indicator of the default framework (`indicators/`, `sql/`)
//! against a value computed by hand on a tiny district: the three villages
//! of `District::new()` (V1 pop 2000, V2 pop 1000, V3 pop 4000), quarter
//! 2026Q3 = [2026-07-01, 2026-10-01). The previous quarter is
//! [2026-04-01, 2026-07-01), the trailing four quarters
//! [2025-07-01, 2026-07-01). Every source has rows that count and rows that
//! must not (outside the quarter, wrong kind or programme, a cadre of another
//! village or out of office, a kin link where a business link is needed and
//! the reverse, an open item).
//!
//! The rows of each source, and the data points and indicators computed by
//! hand from them, are in this directory's module of that source; the
//! reference tables (cadres, relations) are here. A data point or indicator
//! added to the framework without a hand-checked value fails
//! `every_framework_data_point_and_indicator_is_hand_checked`.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

#[path = "../common/mod.rs"]
mod common;

mod assistance;
mod cases;
mod petitions;
mod trading;

use std::collections::BTreeSet;

pub(crate) use common::*;
use datafusion::prelude::SessionContext;
use qinglian::catalog::Catalog;
pub(crate) use qinglian::contract::Table;
use qinglian::datapoints;
use qinglian::framework::Framework;
use qinglian::indicators;
use qinglian::ingest;
use qinglian::model::{Availability, DataPointTable};
use qinglian::period::Quarter;

/// Writes `table` from a header and rows of cells in the header's order:
/// `-` is null, columns left out of the header get valid defaults.
pub fn put_table(d: &District, table: &Table, header: &[&str], rows: &[&[&str]]) {
    let rows: Vec<Vec<(&str, Option<&str>)>> = rows
        .iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{}: {r:?}", table.name);
            header
                .iter()
                .zip(r.iter())
                .map(|(h, c)| (*h, (*c != "-").then_some(*c)))
                .collect()
        })
        .collect();
    let rows: Vec<&[(&str, Option<&str>)]> = rows.iter().map(Vec::as_slice).collect();
    d.put(table, &rows);
}

/// The district. Person keys: K* cadres, B* beneficiaries related to a
/// cadre, X* other beneficiaries, S* suppliers.
#[rustfmt::skip]
fn district() -> District {
    let d = District::new();

    // K1 is secretary of V1 and, from the quarter's first day, also its
    // director (一肩挑: two serving rows, which must not double-count).
    // K2's term as V1 director ended the day before the quarter. K3 became
    // V2 director mid-quarter. K4's V2 term ended on the quarter's first day
    // (still serving in it). K5's V3 term starts on the day after the
    // quarter (not serving). K6 serves in V3.
    put_table(&d, &CADRES,
        &["person_id", "village_code", "role", "term_start", "term_end"],
        &[
            &["K1", V1, "secretary",  "2021-01-01", "-"],
            &["K1", V1, "director",   "2026-07-01", "-"],
            &["K2", V1, "director",   "2018-01-01", "2026-06-30"],
            &["K3", V2, "director",   "2026-07-15", "-"],
            &["K4", V2, "committee",  "2021-01-01", "2026-07-01"],
            &["K5", V3, "secretary",  "2026-10-01", "-"],
            &["K6", V3, "accountant", "2020-01-01", "-"],
        ],
    );
    put_table(&d, &RELATIONS,
        &["person_id", "related_id", "relation"],
        &[
            &["K1", "B1", "spouse"],
            &["K1", "S1", "legal_rep"],
            &["K1", "B7", "other_kin"],   // B7 is enrolled in V2, not K1's village
            &["K2", "B2", "child"],       // K2 out of office
            &["K2", "S2", "shareholder"], // K2 out of office (and S2 wins in V2)
            &["K3", "B3", "sibling"],
            &["K3", "S3", "employee"],
            &["K4", "B3", "in_law"],      // B3 is kin of two V2 cadres: counted once
            &["K4", "S3", "shareholder"], // S3 is linked to two V2 cadres: counted once
            &["K5", "B5", "parent"],      // K5 not yet serving
            &["K5", "S8", "legal_rep"],   // K5 not yet serving
            &["K6", "B6", "employee"],    // a business link to a beneficiary: not kin
            &["K6", "S6", "sibling"],     // a kin link to a supplier: not a business link
        ],
    );

    petitions::rows(&d);
    cases::rows(&d);
    trading::rows(&d);
    assistance::rows(&d);
    d
}

pub const fn n(v1: f64, v2: f64, v3: f64) -> [Option<f64>; 3] {
    [Some(v1), Some(v2), Some(v3)]
}

/// Every module's hand-computed data points.
fn expected_datapoints() -> Vec<(&'static str, [Option<f64>; 3])> {
    [
        petitions::DATAPOINTS,
        cases::DATAPOINTS,
        trading::DATAPOINTS,
        assistance::DATAPOINTS,
    ]
    .concat()
}

/// Every module's hand-computed indicators.
fn expected_indicators() -> Vec<(&'static str, [Option<f64>; 3])> {
    [
        petitions::INDICATORS,
        cases::INDICATORS,
        trading::INDICATORS,
        assistance::INDICATORS,
    ]
    .concat()
}
async fn compute(d: &District, fw: &Framework, q: &str) -> DataPointTable {
    let catalog = Catalog::load(d.path(), None).unwrap();
    let ctx = SessionContext::new();
    let ing = ingest::ingest(&ctx, &catalog).await.unwrap();
    for t in &ing.tables {
        // The counties and dispositions tables are optional; the fixture has neither.
        assert!(
            t.is_present() || t.table == "counties" || t.table == "dispositions",
            "{} absent",
            t.table
        );
        assert_eq!(
            t.rows_rejected, 0,
            "{}: {:?}",
            t.table, t.rejected_by_reason
        );
    }
    datapoints::compute(&ctx, fw, &ing, q.parse::<Quarter>().unwrap())
        .await
        .unwrap()
}

fn default_framework() -> Framework {
    Framework::load(&repo().join("indicators")).unwrap_or_else(|e| panic!("{e}"))
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
        (None, None) => true,
        _ => false,
    }
}

#[tokio::test]
async fn every_default_data_point_matches_hand_computation() {
    let d = district();
    let t = compute(&d, &default_framework(), "2026Q3").await;
    assert_eq!(
        t.villages
            .iter()
            .map(|v| v.code.as_str())
            .collect::<Vec<_>>(),
        [V1, V2, V3]
    );
    let mut wrong = Vec::new();
    for (id, want) in expected_datapoints() {
        assert_eq!(
            t.availability.get(id),
            Some(&Availability::Available),
            "{id}"
        );
        let got = &t.values[id];
        if got.len() != 3 || !got.iter().zip(&want).all(|(g, w)| same(*g, *w)) {
            wrong.push(format!("{id}: got {got:?}, want {want:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "data points differ from the hand computation:\n{}",
        wrong.join("\n")
    );
}

#[tokio::test]
async fn every_default_indicator_matches_hand_computation() {
    let d = district();
    let fw = default_framework();
    let t = compute(&d, &fw, "2026Q3").await;
    let values = indicators::compute(&fw, &t);
    let mut wrong = Vec::new();
    for (id, want) in expected_indicators() {
        let Some(got) = values.iter().find(|v| v.id == id) else {
            wrong.push(format!("{id}: not an indicator of the framework"));
            continue;
        };
        if !got.raw.iter().zip(&want).all(|(g, w)| same(*g, *w)) {
            wrong.push(format!(
                "{id}: got {:?} ({:?}), want {want:?}",
                got.raw, got.status
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "indicators differ from the hand computation:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_framework_data_point_and_indicator_is_hand_checked() {
    let fw = default_framework();
    let in_framework: BTreeSet<&str> = fw
        .datapoints
        .iter()
        .filter(|d| !["population", "households"].contains(&d.id.as_str()))
        .map(|d| d.id.as_str())
        .collect();
    let expected = expected_datapoints();
    let checked: BTreeSet<&str> = expected.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        checked.len(),
        expected.len(),
        "a data point is listed twice"
    );
    assert_eq!(
        checked, in_framework,
        "hand-checked data points differ from the framework's"
    );
    let expected = expected_indicators();
    let checked: BTreeSet<&str> = expected.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        checked.len(),
        expected.len(),
        "an indicator is listed twice"
    );
    let in_framework: BTreeSet<&str> = fw.indicators.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        checked, in_framework,
        "hand-checked indicators differ from the framework's"
    );
    for (id, want) in &expected {
        assert!(
            want.iter().any(Option::is_some),
            "{id}: the hand-made district must give it a value in at least one village"
        );
    }
}

//! Data points against hand computation on a tiny district
//! (`tests/fixtures/frameworks/handcalc`), every aggregate kind and window;
//! and the fused one-scan query against one naive query per data point.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use common::handcalc::{handcalc_district, handcalc_framework};
use common::*;
use datafusion::prelude::SessionContext;
use qinglian::catalog::Catalog;
use qinglian::datapoints;
use qinglian::framework::Framework;
use qinglian::ingest;
use qinglian::model::{Availability, DataPointTable};
use qinglian::period::Quarter;

async fn compute(d: &District, fw: &Framework, q: &str) -> DataPointTable {
    let catalog = Catalog::load(d.path(), None).unwrap();
    let ctx = SessionContext::new();
    let ing = ingest::ingest(&ctx, &catalog).await.unwrap();
    datapoints::compute(&ctx, fw, &ing, q.parse::<Quarter>().unwrap())
        .await
        .unwrap()
}

fn row(t: &DataPointTable, dp: &str) -> Vec<Option<f64>> {
    t.values[dp].clone()
}

#[tokio::test]
async fn every_aggregate_and_window_matches_hand_computation() {
    let d = handcalc_district();
    let t = compute(&d, &handcalc_framework(), "2026Q3").await;
    assert_eq!(
        t.villages
            .iter()
            .map(|v| v.code.as_str())
            .collect::<Vec<_>>(),
        [V1, V2, V3]
    );
    let s = |v: [f64; 3]| v.map(Some).to_vec();
    // p1, p2 | p4 | none
    assert_eq!(row(&t, "pet_all"), s([2.0, 1.0, 0.0]));
    assert_eq!(row(&t, "pet_acc"), s([1.0, 1.0, 0.0]));
    // p3 (2026-04-15) | none
    assert_eq!(row(&t, "pet_acc_prev"), s([1.0, 0.0, 0.0]));
    // [2025-07-01, 2026-07-01): p3 | p5 (p7 on 2025-06-30 is out)
    assert_eq!(row(&t, "pet_acc_trail"), s([1.0, 1.0, 0.0]));
    // before 2026-10-01: p1, p3 (p6 is on the end day) | p4, p5, p7
    assert_eq!(row(&t, "pet_acc_todate"), s([2.0, 3.0, 0.0]));
    // closed only: p1 20 days | p4 20 days | nothing to average
    assert_eq!(
        row(&t, "pet_days_closed"),
        vec![Some(20.0), Some(20.0), None]
    );
    // as of 2026-09-30: p2 open, 60 days, mean (20 + 60) / 2 | p4 closes after
    // the quarter, so 0 days as of its last day
    assert_eq!(row(&t, "pet_days_open"), vec![Some(40.0), Some(0.0), None]);
    assert_eq!(row(&t, "pet_days_max"), vec![Some(60.0), Some(0.0), None]);
    assert_eq!(row(&t, "pet_days_min"), vec![Some(20.0), Some(0.0), None]);
    // C1 twice | no key | none
    assert_eq!(row(&t, "pet_complainants"), s([1.0, 0.0, 0.0]));
    // t1 + t2 | t4 is in 2026Q2 | t3
    assert_eq!(row(&t, "trd_budget_sum"), s([145000.0, 0.0, 10000.0]));
    assert_eq!(
        row(&t, "trd_contract_mean"),
        vec![Some(90000.0), None, Some(10000.0)]
    );
    assert_eq!(
        row(&t, "trd_budget_max"),
        vec![Some(95000.0), None, Some(10000.0)]
    );
    assert_eq!(
        row(&t, "trd_budget_min"),
        vec![Some(50000.0), None, Some(10000.0)]
    );
    // active in the quarter: a1, a3 | a5 (ends on the first day), a6 | none
    assert_eq!(row(&t, "asst_active"), s([2.0, 2.0, 0.0]));
    // a1 is the secretary's spouse in the same village; a6 is the same person in another village
    assert_eq!(row(&t, "asst_kin_new"), s([1.0, 0.0, 0.0]));
    assert_eq!(row(&t, "population"), s([2000.0, 1000.0, 4000.0]));
}

#[tokio::test]
async fn quarter_bounds_move_with_the_quarter() {
    let d = handcalc_district();
    let t = compute(&d, &handcalc_framework(), "2026Q2").await;
    // 2026Q2: p3 | none; t4 for V2
    assert_eq!(row(&t, "pet_acc"), vec![Some(1.0), Some(0.0), Some(0.0)]);
    assert_eq!(
        row(&t, "trd_budget_sum"),
        vec![Some(0.0), Some(70000.0), Some(0.0)]
    );
}

#[tokio::test]
async fn an_absent_source_leaves_its_data_points_unavailable_not_zero() {
    let d = handcalc_district();
    std::fs::remove_file(d.path().join("trading.parquet")).unwrap();
    let t = compute(&d, &handcalc_framework(), "2026Q3").await;
    assert_eq!(row(&t, "trd_budget_sum"), vec![None, None, None]);
    assert!(matches!(
        t.availability["trd_budget_sum"],
        Availability::SourceAbsent(ref s) if s == "trading"
    ));
    assert_eq!(row(&t, "pet_acc"), vec![Some(1.0), Some(1.0), Some(0.0)]);
}

#[test]
fn the_quarter_is_bound_as_parameters_not_pasted() {
    let fw = handcalc_framework();
    for c in datapoints::compile(&fw) {
        assert!(!c.sql.contains("2026"), "{}", c.sql);
        assert!(c.sql.contains("$quarter_start"), "{}", c.sql);
    }
    // One query per source that has aggregate data points.
    assert_eq!(datapoints::compile(&fw).len(), 3);
}

#[tokio::test]
async fn a_source_that_ends_early_is_not_covered_not_zero() {
    let d = handcalc_district();
    // Trading ends in 2026Q2 (t4 only): in 2026Q3 its data points are not
    // covered, while petitions are.
    d.put(
        &TRADING,
        &[&[
            ("project_id", Some("t4")),
            ("village_code", Some(V2)),
            ("awarded_date", Some("2026-06-30")),
            ("budget", Some("70000")),
        ]],
    );
    let t = compute(&d, &handcalc_framework(), "2026Q3").await;
    assert_eq!(row(&t, "trd_budget_sum"), vec![None, None, None]);
    assert!(matches!(
        t.availability["trd_budget_sum"],
        Availability::NotCovered(ref s) if s == "trading"
    ));
    assert_eq!(row(&t, "pet_acc"), vec![Some(1.0), Some(1.0), Some(0.0)]);
    // The four quarters before 2026Q3 reach back to 2025Q3; petitions start
    // in 2025Q2 (p7), so the trailing window is covered.
    assert!(matches!(
        t.availability["pet_acc_trail"],
        Availability::Available
    ));
    // In 2025Q3 the window reaches back to 2024Q3, before the first petition.
    let t = compute(&d, &handcalc_framework(), "2025Q3").await;
    assert!(matches!(
        t.availability["pet_acc_trail"],
        Availability::NotCovered(_)
    ));
    assert!(matches!(t.availability["pet_acc"], Availability::Available));
}

#[tokio::test]
async fn framework_parameters_are_bound_in_filters_and_move_the_result() {
    let d = handcalc_district();
    let tmp = tempfile::tempdir().unwrap();
    let dir = handcalc_framework_copy(tmp.path(), None);
    std::fs::write(
        dir.join("datapoints/params.toml"),
        r#"
[[datapoint]]
id = "trd_big"
name_zh = "大额项目"
name_en = "Projects at or above the threshold"
source = "trading"
aggregate = "count"
filter = "budget >= $big_budget"

[[datapoint]]
id = "pet_acc_year"
name_zh = "滚动一年检举控告"
name_en = "Accusations, rolling year"
source = "petitions"
aggregate = "count"
filter = "kind = 'accusation'"
window = "rolling_year"
"#,
    )
    .unwrap();
    let main = dir.join("framework.toml");
    let text = std::fs::read_to_string(&main).unwrap();
    let with = |value: &str| {
        format!(
            "{text}\n[[parameter]]\nid = \"big_budget\"\nvalue = {value}\ndescription = \"Budget from which a project counts as big.\"\n"
        )
    };
    std::fs::write(&main, with("60000.0")).unwrap();
    let t = compute(&d, &Framework::load(&dir).unwrap(), "2026Q3").await;
    // Budgets in the quarter: V1 t1 95000, t2 50000 | none | V3 t3 10000.
    assert_eq!(row(&t, "trd_big"), vec![Some(1.0), Some(0.0), Some(0.0)]);
    // Rolling year [2025-10-01, 2026-10-01): p1 p3 (p6 on the end day) |
    // p4 p5 (p7 on 2025-06-30 is out) | none
    assert_eq!(
        row(&t, "pet_acc_year"),
        vec![Some(2.0), Some(2.0), Some(0.0)]
    );
    std::fs::write(&main, with("10000.0")).unwrap();
    let t = compute(&d, &Framework::load(&dir).unwrap(), "2026Q3").await;
    assert_eq!(row(&t, "trd_big"), vec![Some(2.0), Some(0.0), Some(1.0)]);
}

/// A quarter's window reads only that quarter's hive partition: the other
/// partitions' files are skipped by their statistics on the event date,
/// through the canonical view (mapping, rejected ids) of ingest.
#[tokio::test]
async fn a_quarter_window_skips_the_other_quarters_partitions() {
    // The samples' district in canonical Parquet: its petitions are
    // partitioned by quarter (the committed samples hold them as one CSV).
    let tmp = tempfile::tempdir().unwrap();
    let data = canonical_samples(tmp.path());
    let catalog = Catalog::load(&data, None).unwrap();
    let ctx = SessionContext::new();
    ingest::ingest(&ctx, &catalog).await.unwrap();
    let df = ctx
        .sql(
            "SELECT village_code, COUNT(*) FROM petitions \
             WHERE received_date >= DATE '2026-07-01' AND received_date < DATE '2026-10-01' \
             GROUP BY village_code",
        )
        .await
        .unwrap();
    let plan = df.create_physical_plan().await.unwrap();
    let rows: usize = datafusion::physical_plan::collect(plan.clone(), ctx.task_ctx())
        .await
        .unwrap()
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert!(rows > 0, "the window has petitions");
    let shown =
        datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(plan.as_ref())
            .indent(true)
            .to_string();
    // `<metric>=<total> total → <matched> matched`, summed over the scans.
    let sum = |metric: &str| -> (usize, usize) {
        let mut out = (0, 0);
        for part in shown.split(&format!("{metric}=")).skip(1) {
            let nums: Vec<usize> = part
                .split_whitespace()
                .take(4)
                .filter_map(|w| w.parse().ok())
                .collect();
            out.0 += nums[0];
            out.1 += nums[1];
        }
        out
    };
    let files = sum("files_ranges_pruned_statistics");
    let groups = sum("row_groups_pruned_statistics");
    // Eight quarter partitions of one file each: seven are skipped before
    // any of their rows is decoded, and one file (2026Q3) is read.
    assert_eq!(files, (8, 1), "{shown}");
    assert_eq!(groups.1, 1, "{shown}");
}

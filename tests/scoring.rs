//! Scoring through the real pipeline on the hand-computed district: every
//! normalised value, weight, contribution, index, rank and tier below was
//! worked out by hand (see the comments), and the files follow the contract.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Float64Type;
use common::*;
use qinglian::pipeline::{self, RunOptions};

const EPS: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < EPS
}

#[tokio::test]
async fn index_ranks_and_tiers_match_hand_computation() {
    let d = handcalc::handcalc_district();
    let out = d.path().join("out");
    let opts = RunOptions {
        data_dir: d.path().to_path_buf(),
        framework_dir: repo().join("tests/fixtures/frameworks/handcalc"),
        quarter: Some("2026Q3".parse().unwrap()),
        out_dir: Some(out.clone()),
        ..RunOptions::default()
    };
    let o = pipeline::run(&opts).await.unwrap();
    // i_rate = 1000·acc/pop: V1 0.5, V2 1.0, V3 0 → lower is better: 50, 0, 100.
    // i_share: only V1 has >= 2 petitions → no variation → left out.
    // i_active = 1000·active/pop: V1 1.0, V2 2.0, V3 0 → 50, 0, 100.
    // i_budget: 145000, 0, 10000 → 0, 100, 100·135000/145000.
    // dim a (W 1): V1 50, V2 0, V3 100.
    // dim b (W 2, w 1 and 3): V1 (50 + 0)/4 = 12.5; V2 (0 + 300)/4 = 75;
    //   V3 (100 + 3·93.103448…)/4 = 94.827586…
    // index = (a + 2b)/3: V1 25, V2 50, V3 96.551724…
    let b3 = (100.0 + 3.0 * (100.0 * 135000.0 / 145000.0)) / 4.0;
    let expected = [25.0, 50.0, (100.0 + 2.0 * b3) / 3.0];
    for (i, e) in expected.iter().enumerate() {
        let got = o.scores.villages[i].index.unwrap();
        assert!(close(got, *e), "village {i}: {got} vs {e}");
    }
    let ranks: Vec<_> = o.scores.villages.iter().map(|s| s.rank.unwrap()).collect();
    assert_eq!(ranks, [3, 2, 1]);
    let township: Vec<_> = o
        .scores
        .villages
        .iter()
        .map(|s| s.township_rank.unwrap())
        .collect();
    assert_eq!(township, [2, 1, 1]);
    let tiers: Vec<_> = o.scores.villages.iter().map(|s| s.tier.as_str()).collect();
    assert_eq!(tiers, ["red", "yellow", "green"]); // green >= 85, yellow >= 40

    // ranking.csv: BOM, contract columns, ordered by rank.
    let bytes = std::fs::read(out.join("ranking.csv")).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0]
            .starts_with("village_code,village_name,township_code,township_name,index,rank,tier")
    );
    assert!(
        lines[1].starts_with(&format!("{V3},桃源社区,990101002,桃源乡,96.5517,1,green")),
        "{}",
        lines[1]
    );
    assert!(
        lines[3].starts_with(&format!("{V1},青石村,990101001,云岭镇,25.0000,3,red")),
        "{}",
        lines[3]
    );

    // scores.parquet: contributions sum to the index; the share is no_variation.
    let file = std::fs::File::open(out.join("scores.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut sums = std::collections::BTreeMap::<String, f64>::new();
    let mut rows = 0;
    for b in reader {
        let b = b.unwrap();
        let code = b
            .column_by_name("village_code")
            .unwrap()
            .as_string::<i32>()
            .clone();
        let ind = b
            .column_by_name("indicator_id")
            .unwrap()
            .as_string::<i32>()
            .clone();
        let status = b
            .column_by_name("status")
            .unwrap()
            .as_string::<i32>()
            .clone();
        let contrib = b
            .column_by_name("contribution")
            .unwrap()
            .as_primitive::<Float64Type>()
            .clone();
        let weight = b
            .column_by_name("weight")
            .unwrap()
            .as_primitive::<Float64Type>()
            .clone();
        let norm = b
            .column_by_name("normalised")
            .unwrap()
            .as_primitive::<Float64Type>()
            .clone();
        for r in 0..b.num_rows() {
            rows += 1;
            *sums.entry(code.value(r).to_string()).or_default() += contrib.value(r);
            if ind.value(r) == "i_share" {
                assert!(norm.is_null(r));
                assert_eq!(weight.value(r), 0.0);
                let expect = if code.value(r) == V1 {
                    "no_variation"
                } else {
                    "below_min_denominator"
                };
                assert_eq!(status.value(r), expect);
            }
            if code.value(r) == V3 && ind.value(r) == "i_budget" {
                // effective weight (2/3)·(3/4)
                assert!(close(weight.value(r), 0.5), "{}", weight.value(r));
            }
        }
    }
    assert_eq!(rows, 3 * 4);
    for (i, code) in [V1, V2, V3].iter().enumerate() {
        assert!(
            close(sums[*code], expected[i]),
            "{code}: {} vs {}",
            sums[*code],
            expected[i]
        );
    }

    // manifest.json: inputs with hashes, the framework hash, the quarter.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["quarter"], "2026Q3");
    assert_eq!(m["framework"]["id"], "handcalc");
    assert_eq!(m["framework"]["sha256"].as_str().unwrap().len(), 64);
    let pet = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "petitions")
        .unwrap();
    assert_eq!(pet["rows_read"], 7);
    assert_eq!(pet["files"][0]["sha256"].as_str().unwrap().len(), 64);
    assert!(out.join("report.html").is_file());
}

#[tokio::test]
async fn a_failed_run_leaves_the_previous_output_intact() {
    let d = handcalc::handcalc_district();
    let out = d.path().join("out");
    let mut opts = RunOptions {
        data_dir: d.path().to_path_buf(),
        framework_dir: repo().join("tests/fixtures/frameworks/handcalc"),
        quarter: Some("2026Q3".parse().unwrap()),
        out_dir: Some(out.clone()),
        ..RunOptions::default()
    };
    pipeline::run(&opts).await.unwrap();
    let before = std::fs::read(out.join("ranking.csv")).unwrap();
    opts.quarter = Some("2030Q1".parse().unwrap());
    let err = pipeline::run(&opts).await.unwrap_err();
    assert!(err.to_string().contains("no data for 2030Q1"), "{err}");
    assert_eq!(std::fs::read(out.join("ranking.csv")).unwrap(), before);
}

#[tokio::test]
async fn a_run_never_replaces_a_directory_that_is_not_a_report() {
    let d = handcalc::handcalc_district();
    let out = d.path().join("precious");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "keep me").unwrap();
    let opts = RunOptions {
        data_dir: d.path().to_path_buf(),
        framework_dir: repo().join("tests/fixtures/frameworks/handcalc"),
        out_dir: Some(out.clone()),
        ..RunOptions::default()
    };
    let err = pipeline::run(&opts).await.unwrap_err();
    assert!(
        err.to_string().contains("is not a qinglian report"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "keep me"
    );
}

#[tokio::test]
async fn the_default_quarter_is_the_latest_every_source_reaches() {
    let d = handcalc::handcalc_district();
    // Petitions reach 2026Q4 (p6 on 2026-10-01); trading and assistance end in 2026Q3.
    let opts = RunOptions {
        data_dir: d.path().to_path_buf(),
        framework_dir: repo().join("tests/fixtures/frameworks/handcalc"),
        out_dir: Some(d.path().join("out")),
        ..RunOptions::default()
    };
    let o = pipeline::run(&opts).await.unwrap();
    assert_eq!(o.quarter.to_string(), "2026Q3");
}

/// Two indicators per dimension a and b, for the two-sided test.
const TWO_SIDED: &str = r#"
[[indicator]]
id = "i_two_median"
dimension = "a"
name_zh = "双向（中位数）"
name_en = "Two-sided, median"
definition = "Accusations per 1,000 residents, scored by distance from the median."
formula = "rate_per_1000"
numerator = "pet_acc"
direction = "two_sided"

[[indicator]]
id = "i_two_target"
dimension = "b"
name_zh = "双向（目标值）"
name_en = "Two-sided, target"
definition = "Accusations per 1,000 residents, scored by distance from 0.6."
formula = "rate_per_1000"
numerator = "pet_acc"
direction = "two_sided"
target = 0.6
"#;

#[tokio::test]
async fn two_sided_indicators_score_the_distance_from_median_or_target() {
    let d = handcalc::handcalc_district();
    let framework_dir = handcalc_framework_copy(d.path(), Some(TWO_SIDED));
    let opts = RunOptions {
        data_dir: d.path().to_path_buf(),
        framework_dir,
        quarter: Some("2026Q3".parse().unwrap()),
        out_dir: Some(d.path().join("out")),
        ..RunOptions::default()
    };
    let o = pipeline::run(&opts).await.unwrap();
    // Rates 1000·acc/pop: V1 1/2000 → 0.5, V2 1/1000 → 1.0, V3 0/4000 → 0.
    // Median 0.5: distances 0, 0.5, 0.5 → 100·(0.5 − d)/0.5: 100, 0, 0 (the
    // village far above and the one far below both score worst).
    // Target 0.6: distances 0.1, 0.4, 0.6 → 100·(0.6 − d)/0.5: 100, 40, 0.
    let norm = |k: usize| -> Vec<f64> {
        o.scores.cells[k]
            .iter()
            .map(|c| c.normalised.unwrap())
            .collect()
    };
    let raw: Vec<f64> = o.scores.cells[0].iter().map(|c| c.raw.unwrap()).collect();
    assert_eq!(raw, [0.5, 1.0, 0.0], "raw values stay as computed");
    for (got, want) in norm(0).iter().zip([100.0, 0.0, 0.0]) {
        assert!(close(*got, want), "median: {:?}", norm(0));
    }
    for (got, want) in norm(1).iter().zip([100.0, 40.0, 0.0]) {
        assert!(close(*got, want), "target: {:?}", norm(1));
    }
}

//! Detection: one zero-tolerance finding must move a village's index and
//! name itself, and the index must beat the naive analyst on fresh
//! districts of both generator profiles (seeds never used in tuning; see
//! docs/calibration.md, "Held-out seeds").
//!
//! The finding tests plant a single record into a copy of the committed
//! samples, through the real ingest, data points and scoring: one dibao
//! enrolment still paid months after its beneficiary's death, and one
//! invited tender won at the ceiling price by a firm whose legal
//! representative is the serving village secretary.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::record_batch::RecordBatch;
use common::{read_batch, repo, write};
use qinglian::pipeline::{self, Assessment, RunOptions};

fn assess(data: &Path) -> Assessment {
    let opts = RunOptions {
        data_dir: data.to_path_buf(),
        framework_dir: repo().join("indicators"),
        no_report: true,
        ..Default::default()
    };
    common::block_on(pipeline::assess(&opts)).expect("the samples assess")
}

/// One row in the schema of `like` (a Parquet file of the same table): each
/// value given as text and cast to the column's type; columns not named are
/// null.
fn row_like(like: &Path, values: &[(&str, &str)]) -> RecordBatch {
    let schema = read_batch(like).schema();
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| {
            let text = values.iter().find(|(c, _)| c == f.name()).map(|(_, v)| *v);
            let array: ArrayRef = Arc::new(StringArray::from(vec![text]));
            arrow::compute::cast(&array, f.data_type()).expect("a castable test value")
        })
        .collect();
    RecordBatch::try_new(schema, columns).expect("a one-row batch")
}

/// Turns the single-file table `<name>.parquet` into a directory holding it
/// and `extra`, one more row in the same schema.
fn add_row(data: &Path, name: &str, values: &[(&str, &str)]) {
    let file = data.join(format!("{name}.parquet"));
    let dir = data.join(name);
    let (existing, extra) = if file.is_file() {
        std::fs::create_dir_all(&dir).unwrap();
        let moved = dir.join("part-0.parquet");
        std::fs::rename(&file, &moved).unwrap();
        (moved, dir.join("planted.parquet"))
    } else {
        let first = common::files_under(&dir).into_iter().next().unwrap();
        (first, dir.join("planted.parquet"))
    };
    write(&extra, &row_like(&existing, values));
}

/// The clean village (no planted pattern) with the highest index.
fn cleanest(a: &Assessment, data: &Path) -> usize {
    let truth = std::fs::read_to_string(data.join("ground_truth.csv")).unwrap();
    (0..a.table.villages.len())
        .filter(|&v| !truth.contains(&a.table.villages[v].code))
        .filter(|&v| a.scores.villages[v].index.is_some())
        .max_by(|&x, &y| {
            let i = |v: usize| a.scores.villages[v].index.unwrap_or(f64::MIN);
            i(x).total_cmp(&i(y))
        })
        .expect("a clean village")
}

fn index_of(a: &Assessment, code: &str) -> (f64, usize) {
    let v = a
        .table
        .villages
        .iter()
        .position(|x| x.code == code)
        .unwrap();
    (a.scores.villages[v].index.unwrap(), v)
}

/// Prints every indicator cell of village `code` that the planted record
/// moved: raw value, shrunk value, normalised score, effective weight and
/// contribution, before and after (the trace in docs/calibration.md).
fn trace(before: &Assessment, after: &Assessment, code: &str) {
    let (_, vb) = index_of(before, code);
    let (_, va) = index_of(after, code);
    for (k, ind) in after.framework.indicators.iter().enumerate() {
        let (b, a) = (&before.scores.cells[k][vb], &after.scores.cells[k][va]);
        if (b.contribution - a.contribution).abs() > 1e-9 || b.raw != a.raw {
            println!(
                "  {}: raw {:?} -> {:?}, shrunk {:?} -> {:?}, normalised {:?} -> {:?}, effective weight {:.4} -> {:.4}, contribution {:.3} -> {:.3}",
                ind.id,
                b.raw,
                a.raw,
                b.shrunk,
                a.shrunk,
                b.normalised,
                a.normalised,
                b.effective_weight,
                a.effective_weight,
                b.contribution,
                a.contribution
            );
        }
    }
}

fn weakness_ids(a: &Assessment, v: usize) -> Vec<String> {
    a.scores.villages[v]
        .weaknesses
        .iter()
        .map(|d| a.framework.indicators[d.indicator].id.clone())
        .collect()
}

/// A copy of the samples, assessed before anything is planted.
fn samples_copy() -> (tempfile::TempDir, PathBuf, Assessment, String) {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::canonical_samples(&tmp.path().join("data"));
    let before = assess(&data);
    let v = cleanest(&before, &data);
    let code = before.table.villages[v].code.clone();
    (tmp, data, before, code)
}

#[test]
fn one_enrolment_paid_after_death_moves_the_index_and_names_itself() {
    let (_tmp, data, before, code) = samples_copy();
    let (index_before, _) = index_of(&before, &code);
    add_row(
        &data,
        "assistance",
        &[
            ("record_id", "PLANTED-DECEASED-1"),
            ("person_id", "PLANTED-PERSON-1"),
            ("household_id", "PLANTED-HOUSEHOLD-1"),
            ("village_code", &code),
            ("program", "dibao"),
            ("approved_date", "2024-03-01"),
            ("start_date", "2024-03-01"),
            ("monthly_amount", "620"),
            ("last_review_date", "2026-01-10"),
            ("death_date", "2026-02-01"),
            ("asset_flag", "false"),
            ("kin_filed", "false"),
        ],
    );
    let after = assess(&data);
    let (index_after, v) = index_of(&after, &code);
    let drop = index_before - index_after;
    println!(
        "one enrolment paid after death: {index_before:.2} -> {index_after:.2} ({drop:.2} points)"
    );
    trace(&before, &after, &code);
    assert!(
        drop >= 10.0,
        "one enrolment paid after death moved {code} by {drop:.2} points only"
    );
    assert!(
        weakness_ids(&after, v).contains(&"fd_deceased_paid_count".to_string()),
        "weaknesses {:?} do not name the finding",
        weakness_ids(&after, v)
    );
}

#[test]
fn one_ceiling_award_to_a_cadre_linked_firm_moves_the_index_and_names_itself() {
    let (_tmp, data, before, code) = samples_copy();
    let (index_before, _) = index_of(&before, &code);
    // The village's serving secretary.
    let cadres = read_batch(&data.join("cadres.parquet"));
    let col = |name: &str| {
        let c = cadres.column_by_name(name).unwrap();
        arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8).unwrap()
    };
    let (person, village, role, end) = (
        col("person_id"),
        col("village_code"),
        col("role"),
        col("term_end"),
    );
    let text = |a: &ArrayRef, i: usize| -> Option<String> {
        let s = a.as_any().downcast_ref::<StringArray>().unwrap();
        (!arrow::array::Array::is_null(s, i)).then(|| s.value(i).to_string())
    };
    let secretary = (0..cadres.num_rows())
        .find(|&i| {
            text(&village, i).as_deref() == Some(code.as_str())
                && text(&role, i).as_deref() == Some("secretary")
                && text(&end, i).is_none()
        })
        .and_then(|i| text(&person, i))
        .expect("the village has a serving secretary");
    add_row(
        &data,
        "relations",
        &[
            ("person_id", &secretary),
            ("related_id", "PLANTED-SUPPLIER-1"),
            ("relation", "legal_rep"),
        ],
    );
    add_row(
        &data,
        "trading",
        &[
            ("project_id", "PLANTED-PROJECT-1"),
            ("village_code", &code),
            ("category", "works"),
            ("method", "invited"),
            ("budget", "95000"),
            ("contract_amount", "94900"),
            ("bidder_count", "1"),
            ("winner_id", "PLANTED-SUPPLIER-1"),
            ("announced_date", "2026-07-20"),
            ("bid_deadline", "2026-07-22"),
            ("awarded_date", "2026-08-05"),
            ("start_date", "2026-08-10"),
            ("publicized", "true"),
        ],
    );
    let after = assess(&data);
    let (index_after, v) = index_of(&after, &code);
    let drop = index_before - index_after;
    println!(
        "one ceiling award to a cadre-linked firm: {index_before:.2} -> {index_after:.2} ({drop:.2} points)"
    );
    trace(&before, &after, &code);
    assert!(
        drop >= 10.0,
        "one ceiling award to a cadre-linked firm moved {code} by {drop:.2} points only"
    );
    assert!(
        weakness_ids(&after, v).contains(&"fd_linked_uncompetitive_count".to_string()),
        "weaknesses {:?} do not name the finding",
        weakness_ids(&after, v)
    );
}

/// Generates a district of `profile` with `seed` and calibrates it through
/// the command line; returns the comparison with the naive analyst.
fn calibrate(profile: &str, seed: u64) -> serde_json::Value {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("district");
    let bin = env!("CARGO_BIN_EXE_qinglian");
    let run = |args: &[&str]| {
        let o = std::process::Command::new(bin)
            .args(args)
            .current_dir(repo())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "qinglian {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let data_arg = data.to_str().unwrap();
    let seed = seed.to_string();
    run(&[
        "generate",
        "--profile",
        profile,
        "--seed",
        &seed,
        "--villages",
        "1000",
        "--townships",
        "20",
        "--planted-share",
        "0.15",
        "--out",
        data_arg,
    ]);
    let json = tmp.path().join("comparison.json");
    let md = tmp.path().join("calibration.md");
    run(&[
        "calibrate",
        "--data",
        data_arg,
        "--out",
        md.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let page = std::fs::read_to_string(&md).unwrap();
    assert!(
        page.contains("## The index against the naive analyst"),
        "{page}"
    );
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

/// The index beats the naive analyst by 0.02 AUC (or is within 0.005 of
/// perfect where the baseline leaves no such room) and finds at least as
/// many planted villages in its bottom decile, on a seed of `profile` that
/// no tuning ever saw.
fn beats_the_naive_analyst(c: &serde_json::Value, profile: &str, seed: u64) {
    let all = &c["overall"];
    let (index, baseline) = (
        all["index_auc"].as_f64().unwrap(),
        all["baseline_auc"].as_f64().unwrap(),
    );
    println!("{profile} seed {seed}: index AUC {index:.3}, naive analyst {baseline:.3}; {all}");
    // Where the baseline is already above 0.975 (the standard profile) the
    // margin cannot be 0.02: there the index must be within 0.005 of perfect.
    assert!(
        index >= (baseline + 0.02).min(0.995),
        "{profile} seed {seed}: index AUC {index:.3} against the naive analyst's {baseline:.3}"
    );
    let hits = |k: &str| all[k].as_u64().unwrap();
    assert!(
        hits("index_decile_hits") >= hits("baseline_decile_hits"),
        "{profile} seed {seed}: bottom-decile hits {all}"
    );
    // Honest look-alikes and clean villages: no more red than a few points
    // above the clean villages' rate.
    let groups = c["false_red"].as_array().unwrap();
    let rate = |g: &serde_json::Value| {
        g["red"].as_f64().unwrap() / g["villages"].as_f64().unwrap().max(1.0)
    };
    let clean = rate(&groups[0]);
    assert_eq!(groups[0]["group"], "clean");
    for g in groups {
        assert!(
            rate(g) <= clean + 0.05,
            "{profile} seed {seed}: {} red at {:.3} against clean {clean:.3}",
            g["group"],
            rate(g)
        );
    }
}

#[test]
fn the_index_beats_the_naive_analyst_on_a_fresh_standard_district() {
    let c = calibrate("standard", 4242);
    beats_the_naive_analyst(&c, "standard", 4242);
}

#[test]
fn the_index_beats_the_naive_analyst_on_a_fresh_field_district() {
    let c = calibrate("field", 4343);
    // The field profile plants its look-alikes: every group is measured.
    let groups: Vec<&str> = c["false_red"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(
        groups,
        [
            "clean",
            "background_deaths",
            "linked_fair_winner",
            "noisy_clean",
            "poor_high_dibao",
            "remote_single_bid"
        ]
    );
    beats_the_naive_analyst(&c, "field", 4343);
}

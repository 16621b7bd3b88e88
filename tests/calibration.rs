//! Calibration on a freshly generated district: every planted pattern is
//! caught (AUC ≥ 0.8) by the indicators built for it, measured on the
//! villages that show it alone; and truth-file mistakes are named.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use common::repo;
use qinglian::calibration::{self, CATCH_AUC};
use qinglian::generate::{self, GenerateOptions};
use qinglian::pipeline::{self, RunOptions};

#[tokio::test]
async fn every_planted_pattern_is_caught_by_its_indicators() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("district");
    generate::generate(
        &GenerateOptions {
            seed: 20261124,
            villages: 600,
            townships: 12,
            planted_share: 0.15,
            ..GenerateOptions::default()
        },
        &data,
    )
    .unwrap();
    let truth = calibration::read_truth(&data.join("ground_truth.csv")).unwrap();
    let a = pipeline::assess(&RunOptions {
        data_dir: data,
        framework_dir: repo().join("indicators"),
        ..RunOptions::default()
    })
    .await
    .unwrap();
    let c = calibration::measure(&a, &truth);
    assert_eq!(c.patterns.len(), 5, "{:?}", c.patterns);
    // The indicator built for each pattern, which must catch it.
    let intended = [
        ("petition_pressure", "pet_accusation_rate"),
        ("bid_splitting", "trd_split_cluster_share"),
        ("crony_contracts", "trd_cadre_linked_share"),
        ("benefit_capture", "asst_kin_active_share"),
        ("case_cluster", "case_clue_rate"),
    ];
    for (pattern, indicator) in intended {
        let p = c.patterns.iter().find(|p| p.pattern == pattern).unwrap();
        assert!(p.villages >= 3, "{pattern}: {} villages alone", p.villages);
        let x = p.catches.iter().find(|x| x.indicator == indicator).unwrap();
        assert!(
            x.catches(p.villages),
            "{pattern}: {indicator} AUC {:.3} ({} known villages)",
            x.auc,
            x.positives
        );
        assert!(p.index_auc.unwrap() >= CATCH_AUC, "{pattern}: index AUC");
    }
    let page = calibration::render(&c);
    assert!(page.contains("| bid_splitting |"), "{page}");
}

#[test]
fn truth_file_mistakes_name_the_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("truth.csv");
    std::fs::write(&p, "village,pattern\n").unwrap();
    let e = calibration::read_truth(&p).unwrap_err().to_string();
    assert!(
        e.contains("village_code,pattern,from_quarter,to_quarter"),
        "{e}"
    );
    std::fs::write(
        &p,
        "village_code,pattern,from_quarter,to_quarter\n990101001001,x,2026Q1,2026Q2\n990101001002,x,2026-3,2026Q3\n",
    )
    .unwrap();
    let e = calibration::read_truth(&p).unwrap_err().to_string();
    assert!(e.contains("line 3, column from_quarter: '2026-3'"), "{e}");
    std::fs::write(
        &p,
        "village_code,pattern,from_quarter,to_quarter\n990101001001,x,2026Q3,2026Q1\n",
    )
    .unwrap();
    let e = calibration::read_truth(&p).unwrap_err().to_string();
    assert!(e.contains("line 2: to_quarter 2026Q1 is before"), "{e}");
}

#[test]
fn lookalike_file_mistakes_name_the_header_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("lookalikes.csv");
    std::fs::write(&p, "village,kind\n").unwrap();
    let e = calibration::read_lookalikes(&p).unwrap_err().to_string();
    assert!(
        e.contains("a look-alike file has the columns village_code,group"),
        "{e}"
    );
    std::fs::write(
        &p,
        "village_code,group\n990101001001,noisy_clean\n990101001002,\n",
    )
    .unwrap();
    let e = calibration::read_lookalikes(&p).unwrap_err().to_string();
    assert!(
        e.contains("line 3: village_code and group must not be empty"),
        "{e}"
    );
    std::fs::write(&p, "village_code,group\n990101001001,noisy_clean\n").unwrap();
    let read = calibration::read_lookalikes(&p).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].group, "noisy_clean");
}

//! The alert lifecycle rule by rule (data contract 1.1, dispositions):
//! stable ids, status from the latest disposition, a false positive not
//! raised again, earlier alerts kept while open, substantiated alerts
//! holding the tier until rectified, no look-ahead, bad ids rejected, the
//! `case_id` never written, and the report's verification section.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use qinglian::pipeline::{self, RunOptions};

fn run(data: &Path, out: &Path) -> pipeline::RunOutcome {
    common::block_on(pipeline::run(&RunOptions {
        data_dir: data.to_path_buf(),
        framework_dir: common::repo().join("indicators"),
        out_dir: Some(out.to_path_buf()),
        ..RunOptions::default()
    }))
    .unwrap()
}

/// A CSV's rows as maps of header → cell.
fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let head: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    rdr.records()
        .map(|r| {
            head.iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn the_lifecycle_rules_one_by_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::canonical_samples(&tmp.path().join("data"));
    let before = tmp.path().join("before");
    run(&data, &before);
    let alerts = rows(&before.join("alerts.csv"));
    let ranking = rows(&before.join("ranking.csv"));

    // Without dispositions: every alert open, its id its village, kind and
    // first quarter.
    for a in &alerts {
        assert_eq!(a["status"], "open");
        let kind = if a["subject"].is_empty() {
            a["alert"].clone()
        } else {
            format!("{}.{}", a["alert"], a["subject"])
        };
        assert_eq!(
            a["alert_id"],
            format!("{}:{kind}:{}", a["village_code"], a["first_quarter"])
        );
        assert!(a["first_quarter"].as_str() <= "2026Q3");
    }
    let raised: Vec<&BTreeMap<String, String>> = alerts
        .iter()
        .filter(|a| a["alert"] == "red" || a["alert"] == "summons")
        .collect();
    let (fp, confirmed) = (raised[0], raised[1]);
    assert_ne!(fp["village_code"], confirmed["village_code"]);
    let green: Vec<&str> = ranking
        .iter()
        .filter(|r| r["tier"] == "green" && r["veto"].is_empty())
        .map(|r| r["village_code"].as_str())
        .collect();
    let (held, rectified, pending, closed_now, future) =
        (green[0], green[1], green[2], green[3], green[4]);
    let id = |v: &str, kind: &str, q: &str| format!("{v}:{kind}:{q}");
    let (held_id, rectified_id, pending_id, closed_id, future_id) = (
        id(held, "red", "2026Q1"),
        id(rectified, "red", "2026Q1"),
        id(pending, "index_drop", "2026Q2"),
        id(closed_now, "red", "2026Q1"),
        id(future, "red", "2026Q2"),
    );
    let bad_village = green[5];
    let d = |alert: &str, village: &str, outcome: &str, date: &str| {
        vec![
            ("alert_id", Some(alert.to_string())),
            ("village_code", Some(village.to_string())),
            ("outcome", Some(outcome.to_string())),
            ("decided_date", Some(date.to_string())),
            ("case_id", Some("case-secret-7".to_string())),
        ]
    };
    let records = [
        // A false positive decided last quarter: not raised again.
        d(
            &fp["alert_id"],
            &fp["village_code"],
            "false_positive",
            "2026-05-10",
        ),
        // Confirmed this quarter: listed as confirmed.
        d(
            &confirmed["alert_id"],
            &confirmed["village_code"],
            "pending",
            "2026-07-02",
        ),
        d(
            &confirmed["alert_id"],
            &confirmed["village_code"],
            "confirmed",
            "2026-08-01",
        ),
        // An earlier red alert confirmed and not rectified: held red.
        d(&held_id, held, "confirmed", "2026-04-15"),
        // Confirmed, then rectified before this quarter: off the list, free.
        d(&rectified_id, rectified, "confirmed", "2026-04-15"),
        d(&rectified_id, rectified, "rectified", "2026-06-20"),
        // Being verified: listed, the tier free.
        d(&pending_id, pending, "pending", "2026-07-20"),
        // A false positive decided this quarter: listed once, closed.
        d(&closed_id, closed_now, "false_positive", "2026-08-05"),
        // Decided after the quarter: not used (no look-ahead).
        d(&future_id, future, "confirmed", "2026-11-01"),
        // An id that is not the village's: rejected.
        d(
            &id("990101999999", "red", "2026Q1"),
            bad_village,
            "confirmed",
            "2026-04-15",
        ),
    ];
    let cells: Vec<Vec<(&str, Option<&str>)>> = records
        .iter()
        .map(|r| r.iter().map(|(c, v)| (*c, v.as_deref())).collect())
        .collect();
    let refs: Vec<&[(&str, Option<&str>)]> = cells.iter().map(Vec::as_slice).collect();
    let batch = common::batch(&qinglian::contract::DISPOSITIONS, &refs);
    common::write(&data.join("dispositions.parquet"), &batch);

    let after = tmp.path().join("after");
    let outcome = run(&data, &after);
    assert_eq!(outcome.rejected_by_table.get("dispositions"), Some(&1));
    let rejects = std::fs::read_to_string(after.join("rejects/dispositions.csv")).unwrap();
    assert!(rejects.contains("bad_value:alert_id"), "{rejects}");
    let listed = rows(&after.join("alerts.csv"));
    let by_id: BTreeMap<&str, &BTreeMap<String, String>> =
        listed.iter().map(|a| (a["alert_id"].as_str(), a)).collect();
    let ranked: BTreeMap<&str, &BTreeMap<String, String>> = rows(&after.join("ranking.csv"))
        .leak()
        .iter()
        .map(|r| (r["village_code"].as_str(), r))
        .collect();

    assert!(
        !by_id.contains_key(fp["alert_id"].as_str()),
        "a false positive is not raised again"
    );
    let c = by_id[confirmed["alert_id"].as_str()];
    assert_eq!(
        (c["status"].as_str(), c["last_decided"].as_str()),
        ("confirmed", "2026-08-01")
    );

    let h = by_id[held_id.as_str()];
    assert_eq!(
        (h["status"].as_str(), h["age_quarters"].as_str()),
        ("confirmed", "2")
    );
    assert_eq!(h["alert"], "red");
    assert_eq!(ranked[held]["tier"], "red", "整改不完成，预警不变色");
    assert_eq!(ranked[held]["tier_uncapped"], "green");
    assert!(ranked[held]["veto"].contains("unrectified_alert"));
    assert!(ranked[held]["veto_reason"].contains(&held_id));

    assert!(!by_id.contains_key(rectified_id.as_str()));
    assert_eq!(
        ranked[rectified]["tier"], "green",
        "rectified: the tier is free"
    );

    assert_eq!(by_id[pending_id.as_str()]["status"], "pending");
    assert_eq!(ranked[pending]["tier"], "green", "pending holds nothing");

    assert_eq!(by_id[closed_id.as_str()]["status"], "false_positive");

    assert!(!by_id.contains_key(future_id.as_str()));
    assert_eq!(ranked[future]["tier"], "green", "no look-ahead");

    // Alerts of earlier quarters that no longer fire stay listed while open.
    let raised_now: Vec<&str> = alerts.iter().map(|a| a["alert_id"].as_str()).collect();
    let kept = listed
        .iter()
        .filter(|a| a["status"] == "open" && !raised_now.contains(&a["alert_id"].as_str()))
        .count();
    assert!(kept > 0, "no earlier open alert kept on the list");

    // The report's verification section; the case id nowhere.
    let html = std::fs::read_to_string(after.join("report.html")).unwrap();
    assert!(html.contains("<section id=\"verification\">"));
    assert!(html.contains(&held_id));
    let page = std::fs::read_to_string(after.join("village").join(format!("{held}.html"))).unwrap();
    assert!(page.contains(&held_id), "the village page's alert history");
    for entry in walk(&after) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("case-secret-7"), "{}", entry.display());
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_generated_district_with_dispositions_shows_the_loop_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let options = qinglian::generate::GenerateOptions {
        seed: 9090,
        villages: 200,
        townships: 5,
        dispositions: true,
        ..Default::default()
    };
    qinglian::generate::generate(&options, &data).unwrap();
    let out = tmp.path().join("out");
    run(&data, &out);
    let truth = std::fs::read_to_string(data.join("ground_truth.csv")).unwrap();
    let planted: std::collections::BTreeSet<&str> = truth
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    let listed = rows(&out.join("alerts.csv"));
    let confirmed: Vec<&BTreeMap<String, String>> = listed
        .iter()
        .filter(|a| a["status"] == "confirmed")
        .collect();
    assert!(!confirmed.is_empty());
    // Consistent with the ground truth: confirmed only where planted,
    // false positives only where clean.
    for a in &listed {
        match a["status"].as_str() {
            "confirmed" | "rectified" | "pending" => {
                assert!(planted.contains(a["village_code"].as_str()), "{a:?}")
            }
            "false_positive" => assert!(!planted.contains(a["village_code"].as_str()), "{a:?}"),
            _ => {}
        }
    }
    let ranking = rows(&out.join("ranking.csv"));
    let held = ranking
        .iter()
        .filter(|r| r["veto"].contains("unrectified_alert"))
        .count();
    assert!(held > 0 && held <= confirmed.len(), "{held} held");

    // calibrate --prospective and the precision of the alerts.
    let o = common::qinglian(&[
        "calibrate",
        "--data",
        data.to_str().unwrap(),
        "--prospective",
    ]);
    assert!(o.status.success(), "{}", common::text(&o));
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(page.contains("## Prospective validation"), "{page}");
    let pooled = page
        .lines()
        .find(|l| l.starts_with("| pooled |"))
        .unwrap_or_else(|| panic!("{page}"));
    let cells: Vec<&str> = pooled.split('|').map(str::trim).collect();
    let auc: f64 = cells[4].parse().unwrap();
    assert!((0.0..=1.0).contains(&auc), "{pooled}");
    assert!(
        cells[3].parse::<usize>().unwrap() > 0,
        "cases to come: {pooled}"
    );
    assert!(page.contains("## Precision of the alerts"), "{page}");
    let red = page
        .lines()
        .find(|l| l.starts_with("| `red` |"))
        .unwrap_or_else(|| panic!("{page}"));
    let cells: Vec<&str> = red.split('|').map(str::trim).collect();
    let (checked, found): (usize, usize) = (cells[2].parse().unwrap(), cells[3].parse().unwrap());
    assert!(checked > found && found > 0, "{red}");
}

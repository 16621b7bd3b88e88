//! Weights learned from outcomes (`calibrate --fit`, issue 20 item 5) on a
//! generated district with dispositions, through the binary: learned
//! weights recover what a mis-weighted framework misses (out-of-sample,
//! with a bootstrap interval above 0); on the default framework the
//! verdict agrees with the figures; the weights file loads, `run
//! --weights` and `[framework] weights` score with it and the manifest
//! names it; a weights file's mistakes are named by file and key.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::path::{Path, PathBuf};

use qinglian::framework::Framework;

/// A field-profile district (the generator the framework was not tuned
/// on), misconduct planted over the last 5 of 8 quarters, with
/// dispositions: the seed is this test's own.
fn district(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let options = qinglian::generate::GenerateOptions {
        profile: qinglian::generate::Profile::Field,
        seed: 5151,
        villages: 240,
        townships: 6,
        planted_quarters: 5,
        dispositions: true,
        ..Default::default()
    };
    qinglian::generate::generate(&options, &data).unwrap();
    data
}

/// `calibrate --fit` on `data` with `framework`, the weights into `out`:
/// the page.
fn fit(data: &Path, framework: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "calibrate",
        "--data",
        data.to_str().unwrap(),
        "--framework",
        framework.to_str().unwrap(),
        "--fit",
        "--fit-out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = common::qinglian(&args);
    assert!(o.status.success(), "{}", common::text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The pooled test row's (expert AUC, learned AUC, interval low, high).
fn pooled(page: &str) -> (f64, f64, f64, f64) {
    let row = page
        .lines()
        .find(|l| l.starts_with("| pooled |") && l.contains(" to "))
        .unwrap_or_else(|| panic!("{page}"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    let (lo, hi) = cells[6].split_once(" to ").unwrap();
    (
        cells[4].parse().unwrap(),
        cells[5].parse().unwrap(),
        lo.parse().unwrap(),
        hi.parse().unwrap(),
    )
}

/// The default framework copied into `dir`, with `edit` applied to its
/// framework.toml.
fn framework_copy(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    common::copy_dir(&common::repo().join("indicators"), &dir.join("indicators"));
    common::copy_dir(&common::repo().join("sql"), &dir.join("sql"));
    let main = dir.join("indicators/framework.toml");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, edit(text)).unwrap();
    dir.join("indicators")
}

fn manifest_weights(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    m["framework"]["weights"].clone()
}

fn run(data: &Path, framework: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        "--data",
        data.to_str().unwrap(),
        "--framework",
        framework.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-report",
        "--no-cache",
    ];
    args.extend_from_slice(extra);
    let o = common::qinglian(&args);
    assert!(o.status.success(), "{}", common::text(&o));
}

#[test]
fn learned_weights_out_of_sample_and_scored_from_their_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = district(tmp.path());

    // A framework whose weights are wrong on purpose: the hard findings
    // almost weightless, procedural openness six dimensions' worth.
    let skewed = framework_copy(&tmp.path().join("skewed"), |t| {
        t.replace(
            "weight = 2.0\naggregation = \"deduction\"",
            "weight = 0.05\naggregation = \"deduction\"",
        )
        .replace(
            "name_en = \"Openness and procedural compliance\"\nweight = 1.0",
            "name_en = \"Openness and procedural compliance\"\nweight = 6.0",
        )
    });
    let skewed_text = std::fs::read_to_string(skewed.join("framework.toml")).unwrap();
    assert!(skewed_text.contains("weight = 0.05") && skewed_text.contains("weight = 6.0"));
    let learned_skewed = tmp.path().join("skewed-learned.toml");
    let page = fit(&data, &skewed, &learned_skewed, &[]);
    assert!(page.contains("## Weights learned from outcomes"), "{page}");
    assert!(
        page.contains("Labels: an alert of the village found true"),
        "{page}"
    );
    let (e, l, lo, _) = pooled(&page);
    assert!(
        l > e && lo > 0.0,
        "learning must recover what the skewed weights miss: {e} -> {l}, interval from {lo}\n{page}"
    );
    assert!(
        page.contains("The learned weights raise the out-of-sample AUC"),
        "{page}"
    );

    // The default framework: whatever the figures, the verdict says it.
    let learned = tmp.path().join("learned.toml");
    let page = fit(&data, &common::repo().join("indicators"), &learned, &[]);
    let (e, l, lo, hi) = pooled(&page);
    assert!(
        (0.5..=1.0).contains(&e) && (0.5..=1.0).contains(&l),
        "{page}"
    );
    let verdict = if lo > 0.0 {
        "raise the out-of-sample AUC ("
    } else if hi < 0.0 {
        "lower the out-of-sample AUC"
    } else {
        "do not clearly raise"
    };
    assert!(page.contains(verdict), "{verdict}\n{page}");
    assert!(page.contains(
        "| indicator | dimension | expert weight | fitted weight | learned weight (blended) |"
    ));

    // The file loads onto the framework: every weight at least 0, every
    // indicator and dimension listed, and its about line says how.
    let fw =
        Framework::load_with_weights(&common::repo().join("indicators"), Some(&learned)).unwrap();
    let w = fw.weights.clone().unwrap();
    assert_eq!(w.indicators, fw.indicators.len());
    assert_eq!(w.dimensions, fw.dimensions.len());
    assert!(w.about.as_deref().unwrap().contains("labels dispositions"));
    assert!(fw.indicators.iter().all(|i| i.weight >= 0.0));
    assert!(fw.indicators.iter().any(|i| i.weight > 0.0));
    let expert = Framework::load(&common::repo().join("indicators")).unwrap();
    assert_ne!(
        expert
            .indicators
            .iter()
            .map(|i| i.weight)
            .collect::<Vec<_>>(),
        fw.indicators.iter().map(|i| i.weight).collect::<Vec<_>>()
    );

    // run --weights: the manifest names the file; without, "framework".
    let (plain, weighted) = (tmp.path().join("plain"), tmp.path().join("weighted"));
    let default_fw = common::repo().join("indicators");
    run(&data, &default_fw, &plain, &[]);
    run(
        &data,
        &default_fw,
        &weighted,
        &["--weights", learned.to_str().unwrap()],
    );
    assert_eq!(manifest_weights(&plain), serde_json::json!("framework"));
    let named = manifest_weights(&weighted);
    assert_eq!(named["path"], serde_json::json!(learned.to_str().unwrap()));
    assert_eq!(named["sha256"], serde_json::json!(w.sha256));
    assert_ne!(
        std::fs::read(plain.join("ranking.csv")).unwrap(),
        std::fs::read(weighted.join("ranking.csv")).unwrap(),
        "the learned weights change the ranking"
    );

    // [framework] weights = "learned.toml" in a framework of its own.
    let own = framework_copy(&tmp.path().join("own"), |t| {
        t.replacen(
            "sql_dir = \"../sql\"",
            "sql_dir = \"../sql\"\nweights = \"learned.toml\"",
            1,
        )
    });
    std::fs::copy(&learned, own.join("learned.toml")).unwrap();
    let by_key = tmp.path().join("by-key");
    run(&data, &own, &by_key, &[]);
    assert_eq!(
        manifest_weights(&by_key)["sha256"],
        serde_json::json!(w.sha256)
    );
    assert_eq!(
        std::fs::read(weighted.join("ranking.csv")).unwrap(),
        std::fs::read(by_key.join("ranking.csv")).unwrap(),
        "the key and --weights score alike"
    );

    // Filed cases as the labels: learned and judged, or refused with the
    // counts that were too few.
    let o = common::qinglian(&[
        "calibrate",
        "--data",
        data.to_str().unwrap(),
        "--fit",
        "--labels",
        "cases",
        "--fit-out",
        tmp.path().join("cases.toml").to_str().unwrap(),
    ]);
    let said = common::text(&o);
    if o.status.success() {
        assert!(
            said.contains("Labels: a case filed (立案) about the village in the next two quarters"),
            "{said}"
        );
        // The last test quarter is two before the data's last.
        assert!(said.contains("tested on 2025Q4–2026Q1 only"), "{said}");
    } else {
        assert!(
            said.contains("no weights learned") && said.contains("positive and"),
            "{said}"
        );
    }

    // No truth file: calibrate says what to pass, unless --fit or
    // --prospective measures without one.
    std::fs::remove_file(data.join("ground_truth.csv")).unwrap();
    let o = common::qinglian(&["calibrate", "--data", data.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        common::text(&o).contains("--prospective or --fit"),
        "{}",
        common::text(&o)
    );
    let o = common::qinglian(&[
        "calibrate",
        "--data",
        data.to_str().unwrap(),
        "--prospective",
        "--json",
        tmp.path().join("c.json").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        common::text(&o).contains("no truth file for --json"),
        "{}",
        common::text(&o)
    );
}

/// A weights file beside the default framework.
fn load_with(dir: &Path, text: &str) -> String {
    let path = dir.join("w.toml");
    std::fs::write(&path, text).unwrap();
    match Framework::load_with_weights(&common::repo().join("indicators"), Some(&path)) {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn weights_file_mistakes_are_named_by_file_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let e = load_with(tmp.path(), "[indicator]\ntrd_nonexistent = 1.0\n");
    assert!(
        e.contains("indicator.trd_nonexistent") && e.contains("no indicator 'trd_nonexistent'"),
        "{e}"
    );
    let e = load_with(tmp.path(), "[dimension]\ntrading = -1.0\n");
    assert!(
        e.contains("dimension.trading = -1") && e.contains("at least 0"),
        "{e}"
    );
    let e = load_with(tmp.path(), "[dimensions]\ntrading = 1.0\n");
    assert!(e.contains("w.toml") && e.contains("unknown field"), "{e}");
    let e = load_with(
        tmp.path(),
        "[dimension]\npetitions = 0\ncases = 0\ntrading = 0\nassistance = 0\nfindings = 0\nopenness = 0\n",
    );
    assert!(e.contains("the index would be empty"), "{e}");
    // A missing file is named, with how to make one.
    let missing = tmp.path().join("none.toml");
    let e = Framework::load_with_weights(&common::repo().join("indicators"), Some(&missing))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("none.toml") && e.contains("calibrate --fit"),
        "{e}"
    );
    // A weight 0 is allowed and leaves the indicator out.
    assert_eq!(
        load_with(tmp.path(), "[indicator]\ntrd_single_bidder_share = 0\n"),
        ""
    );
    // A level that does not weigh by `weight` refuses weights it would ignore.
    let fw = framework_copy(&tmp.path().join("entropy"), |t| {
        t.replace(
            "name_en = \"Public-resource trading and small works\"\nweight = 1.0",
            "name_en = \"Public-resource trading and small works\"\nweight = 1.0\nweights = \"entropy\"",
        )
    });
    std::fs::write(
        tmp.path().join("t.toml"),
        "[indicator]\ntrd_single_bidder_share = 2.0\n",
    )
    .unwrap();
    let e = Framework::load_with_weights(&fw, Some(&tmp.path().join("t.toml")))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("'trading' weighs its indicators by the entropy method"),
        "{e}"
    );
}

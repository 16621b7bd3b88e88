#![allow(clippy::unwrap_used, reason = "tests fail loudly")]
//! Cross-check against COINr on its ASEM example (`tests/fixtures/coinr-asem`, a copy of the shared COINr peer results):
//! the unit × indicator table and the 4-level framework table are loaded
//! as precomputed indicators and scored by the engine under each method
//! combination COINr computed; every normalised indicator and every
//! aggregate of every unit must agree to 1e-9.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use qinglian::engine::method::{Aggregation, Normalisation, Treatment};
use qinglian::engine::treatment::OutlierRule;
use qinglian::precomputed::{self, Options};

fn peers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/coinr-asem")
}

/// `unit → column → value` of a COINr result file.
fn reference(file: &str) -> BTreeMap<String, BTreeMap<String, Option<f64>>> {
    let mut r = csv::Reader::from_path(peers().join(file)).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut out = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let mut row = BTreeMap::new();
        for (h, v) in header.iter().zip(rec.iter()).skip(1) {
            let v = v.trim();
            row.insert(
                h.clone(),
                (!v.is_empty() && v != "NA").then(|| v.parse::<f64>().unwrap()),
            );
        }
        out.insert(rec[0].to_string(), row);
    }
    out
}

fn load(options: &Options) -> precomputed::Precomputed {
    precomputed::load(
        &peers().join("iData.csv"),
        &peers().join("iMeta.csv"),
        "uCode",
        options,
    )
    .unwrap()
}

/// Scores ASEM with `options` and compares with `file`; returns the number
/// of values compared.
fn check(file: &str, options: Options) -> usize {
    check_loaded(file, load(&options))
}

fn check_loaded(file: &str, loaded: precomputed::Precomputed) -> usize {
    assert_eq!(loaded.units.len(), 51);
    assert_eq!(loaded.tree.leaves.len(), 49);
    assert_eq!(loaded.tree.nodes.len(), 11);
    let scored = precomputed::score(&loaded).unwrap();
    let want = reference(file);
    let mut compared = 0;
    let mut worst = 0.0f64;
    for (u, unit) in scored.units.iter().enumerate() {
        let row = want
            .get(unit)
            .unwrap_or_else(|| panic!("{file}: no row for {unit}"));
        let columns = scored
            .indicators
            .iter()
            .zip(&scored.normalised)
            .chain(scored.aggregates.iter().zip(&scored.values));
        for (id, values) in columns {
            let expected = *row
                .get(id)
                .unwrap_or_else(|| panic!("{file}: no column {id}"));
            match (values[u], expected) {
                (Some(got), Some(exp)) => {
                    let diff = (got - exp).abs();
                    worst = worst.max(diff);
                    assert!(
                        diff <= 1e-9,
                        "{file}: {unit} {id}: qinglian {got}, COINr {exp} (diff {diff:e})"
                    );
                }
                (None, None) => {}
                (got, exp) => panic!("{file}: {unit} {id}: qinglian {got:?}, COINr {exp:?}"),
            }
            compared += 1;
        }
    }
    println!("{file}: {compared} values, largest difference {worst:e}");
    compared
}

const MIN_MAX: Normalisation = Normalisation::MinMax {
    low: 0.0,
    high: 100.0,
};

#[test]
fn min_max_arithmetic_matches_coinr() {
    // 51 units × (49 indicators + 11 aggregates).
    let n = check(
        "result_minmax_arith.csv",
        Options {
            normalisation: MIN_MAX,
            treatment: Treatment::None,
            aggregation: Aggregation::Arithmetic,
        },
    );
    assert_eq!(n, 51 * 60);
}

#[test]
fn z_score_arithmetic_matches_coinr() {
    check(
        "result_zscore_arith.csv",
        Options {
            normalisation: Normalisation::ZScore {
                mean: 10.0,
                sd: 2.0,
            },
            treatment: Treatment::None,
            aggregation: Aggregation::Arithmetic,
        },
    );
}

#[test]
fn min_max_1_100_geometric_matches_coinr() {
    check(
        "result_minmax1_geom.csv",
        Options {
            normalisation: Normalisation::MinMax {
                low: 1.0,
                high: 100.0,
            },
            treatment: Treatment::None,
            aggregation: Aggregation::Geometric,
        },
    );
}

const PRANK: Options = Options {
    normalisation: Normalisation::PercentileRank {
        low: 0.0,
        high: 1.0,
    },
    treatment: Treatment::None,
    aggregation: Aggregation::Arithmetic,
};

/// Sets one raw cell of a loaded table.
fn set(p: &mut precomputed::Precomputed, indicator: &str, unit: &str, f: impl Fn(f64) -> f64) {
    let k = p
        .tree
        .leaves
        .iter()
        .position(|l| l.id == indicator)
        .unwrap();
    let u = p.units.iter().position(|x| x == unit).unwrap();
    let x = p.values[k][u].unwrap();
    p.values[k][u] = Some(f(x));
}

/// Percentile ranks depend on ties, and iData.csv was written with 15
/// significant digits: TolMin is 5.1 for BGR, CZE and GRC and 3.4 for NOR
/// and JPN in the file, but COINr, holding the unrounded values, ranked
/// GRC below BGR and CZE and JPN below NOR (TolMin points down, so GRC's
/// and JPN's values were the larger). The next test shows that these three
/// cells are the only difference on the file as written; this one restores
/// the order COINr saw by moving GRC's and JPN's values up one ulp, and
/// then every value of every unit agrees.
#[test]
fn percentile_rank_arithmetic_matches_coinr() {
    let mut loaded = load(&PRANK);
    set(&mut loaded, "TolMin", "GRC", f64::next_up);
    set(&mut loaded, "TolMin", "JPN", f64::next_up);
    check_loaded("result_prank_arith.csv", loaded);
}

#[test]
fn percentile_ranks_of_the_file_as_written_differ_only_at_the_rounded_ties() {
    let scored = precomputed::score(&load(&PRANK)).unwrap();
    let want = reference("result_prank_arith.csv");
    let mut differ = Vec::new();
    for (k, id) in scored.indicators.iter().enumerate() {
        for (u, unit) in scored.units.iter().enumerate() {
            let (got, exp) = (scored.normalised[k][u], want[unit][id]);
            if let (Some(g), Some(e)) = (got, exp) {
                if (g - e).abs() > 1e-9 {
                    differ.push(format!("{id} {unit} {g} {e}"));
                }
            } else {
                assert_eq!(got.is_some(), exp.is_some(), "{id} {unit}");
            }
        }
    }
    // One rank step of 51 units is 1/50: each tie got the lower rank here.
    assert_eq!(
        differ,
        [
            "TolMin BGR 0.5 0.52",
            "TolMin CZE 0.5 0.52",
            "TolMin NOR 0.82 0.84"
        ]
    );
}

#[test]
fn jrc_treatment_then_min_max_matches_coinr() {
    check(
        "result_treated_minmax_arith.csv",
        Options {
            normalisation: MIN_MAX,
            treatment: Treatment::Jrc(OutlierRule::default()),
            aggregation: Aggregation::Arithmetic,
        },
    );
}

#[test]
fn the_score_command_writes_what_the_library_computes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("asem.csv");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_qinglian"))
        .args(["score", "--table"])
        .arg(peers().join("iData.csv"))
        .arg("--meta")
        .arg(peers().join("iMeta.csv"))
        .args(["--normalisation", "min_max", "--range", "1,100"])
        .args(["--aggregation", "geometric", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let got = csv::Reader::from_path(&out)
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect::<Vec<_>>();
    let want = reference("result_minmax1_geom.csv");
    assert_eq!(got.len(), 51);
    let mut r = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = header.iter().position(|h| h == "Index").unwrap();
    for rec in &got {
        let exp = want[&rec[0]]["Index"].unwrap();
        let x: f64 = rec[col].parse().unwrap();
        assert!((x - exp).abs() <= 1e-9, "{}: {x} vs {exp}", &rec[0]);
    }
    // Geometric aggregation over scores that can be 0 is refused (exit 2).
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_qinglian"))
        .args(["score", "--table"])
        .arg(peers().join("iData.csv"))
        .arg("--meta")
        .arg(peers().join("iMeta.csv"))
        .args(["--aggregation", "geometric", "--out"])
        .arg(tmp.path().join("no.csv"))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--range 1,100"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[test]
fn framework_table_mistakes_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let meta = tmp.path().join("meta.csv");
    std::fs::write(
        &meta,
        "Level,iCode,Direction,Weight,Parent,Type\n1,LPI,1,1,Nowhere,Indicator\n1,Ship,2,0,P,Indicator\n2,P,1,1,,Aggregate\n",
    )
    .unwrap();
    let e = precomputed::load(
        &peers().join("iData.csv"),
        &meta,
        "uCode",
        &Options {
            normalisation: MIN_MAX,
            treatment: Treatment::None,
            aggregation: Aggregation::Arithmetic,
        },
    )
    .unwrap_err()
    .to_string();
    for want in [
        "Parent 'Nowhere' is not an aggregate",
        "row 3 (Ship): Weight 0 must be > 0",
        "row 3 (Ship): Direction 2 must be 1 or -1",
    ] {
        assert!(e.contains(want), "missing {want:?} in {e}");
    }
    let data = tmp.path().join("data.csv");
    std::fs::write(&data, "uCode,LPI,Ship\nA,1,x\n").unwrap();
    std::fs::write(
        &meta,
        "Level,iCode,Direction,Weight,Parent,Type\n1,LPI,1,1,P,Indicator\n1,Ship,1,1,P,Indicator\n2,P,1,1,,Aggregate\n",
    )
    .unwrap();
    let e = precomputed::load(
        &data,
        &meta,
        "uCode",
        &Options {
            normalisation: MIN_MAX,
            treatment: Treatment::None,
            aggregation: Aggregation::Arithmetic,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("row 2, column Ship: 'x' is not a number"), "{e}");
}

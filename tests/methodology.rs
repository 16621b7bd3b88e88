#![allow(clippy::unwrap_used, reason = "tests fail loudly")]
//! The scoring methodology through the real path: the default framework
//! (or a copy with one method changed) run on `data-samples/`, checked
//! against the definitions in docs/methodology.md: rank intervals, tier
//! probability, change on the last quarter, vetoes, availability,
//! imputation, entropy and AHP weights, geometric aggregation, goalposts,
//! deduction, shrinkage and outlier treatment.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{copy_dir, repo};
use qinglian::engine::rank::Tier;
use qinglian::engine::shrinkage::{self, Model};
use qinglian::engine::treatment::CellTreatment;
use qinglian::engine::weights;
use qinglian::model::CellStatus;
use qinglian::pipeline::{self, Assessment, RunOptions};

/// A copy of the default framework (and its SQL) with `edit` applied to
/// framework.toml and `keys` inserted into indicators (`(id, "key = value")`).
fn framework_with(tmp: &Path, edit: impl Fn(String) -> String, keys: &[(&str, &str)]) -> PathBuf {
    let dir = tmp.join("indicators");
    copy_dir(&repo().join("indicators"), &dir);
    copy_dir(&repo().join("sql"), &tmp.join("sql"));
    let main = dir.join("framework.toml");
    let text = std::fs::read_to_string(&main).unwrap();
    let edited = edit(text.clone());
    std::fs::write(&main, edited).unwrap();
    for (id, key) in keys {
        let mut found = false;
        for f in std::fs::read_dir(dir.join("definitions")).unwrap() {
            let p = f.unwrap().path();
            let s = std::fs::read_to_string(&p).unwrap();
            let anchor = format!("id = \"{id}\"\n");
            if s.contains(&anchor) {
                std::fs::write(&p, s.replace(&anchor, &format!("{anchor}{key}\n"))).unwrap();
                found = true;
            }
        }
        assert!(found, "no indicator {id}");
    }
    dir
}

fn set(text: String, from: &str, to: &str) -> String {
    assert!(text.contains(from), "framework.toml has no {from:?}");
    text.replacen(from, to, 1)
}

async fn assess(framework: &Path) -> Assessment {
    pipeline::assess(&RunOptions {
        data_dir: repo().join("data-samples"),
        framework_dir: framework.to_path_buf(),
        ..RunOptions::default()
    })
    .await
    .unwrap()
}

/// Assesses the samples with a changed copy of the default framework
/// (see `framework_with`).
async fn assess_changed(edit: impl Fn(String) -> String, keys: &[(&str, &str)]) -> Assessment {
    let tmp = tempfile::tempdir().unwrap();
    let fw = framework_with(tmp.path(), edit, keys);
    assess(&fw).await
}

fn load_error(framework: &Path) -> String {
    qinglian::framework::Framework::load(framework)
        .unwrap_err()
        .to_string()
}

fn ranking(dir: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(dir.join("ranking.csv")).unwrap();
    let header: Vec<String> = r
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn ranking_carries_rank_intervals_tier_probability_explanation_and_change() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = pipeline::run(&RunOptions {
        data_dir: repo().join("data-samples"),
        out_dir: Some(out.clone()),
        ..RunOptions::default()
    })
    .await
    .unwrap();
    assert_eq!(o.ranked, 60);
    // Contributions sum to the index.
    for (v, s) in o.scores.villages.iter().enumerate() {
        let sum: f64 = o.scores.cells.iter().map(|c| c[v].contribution).sum();
        let ew: f64 = o.scores.cells.iter().map(|c| c[v].effective_weight).sum();
        assert!(
            (sum - s.index.unwrap()).abs() < 1e-9,
            "{sum} vs {:?}",
            s.index
        );
        assert!((ew - 1.0).abs() < 1e-12, "{ew}");
    }
    let rows = ranking(&out);
    assert_eq!(rows.len(), 60);
    let mut uncertain = 0;
    for r in &rows {
        let n = |k: &str| {
            r[k].parse::<f64>()
                .unwrap_or_else(|_| panic!("{k}: {:?}", r[k]))
        };
        let (rank, median, p05, p95) = (n("rank"), n("rank_median"), n("rank_p05"), n("rank_p95"));
        assert!(
            1.0 <= p05 && p05 <= median && median <= p95 && p95 <= 60.0,
            "{r:?}"
        );
        let p = n("tier_probability");
        assert!((0.0..=1.0).contains(&p));
        assert_eq!(r["tier_uncertain"], (p < 0.8).to_string());
        uncertain += usize::from(p < 0.8);
        // Change: the previous quarter is in the samples.
        assert_eq!(n("rank_change"), n("rank_previous") - rank, "{r:?}");
        assert!((n("index_change") - (n("index") - n("index_previous"))).abs() < 2e-4);
        assert!(!r["tier_previous"].is_empty());
        // Explanation: strengths gain points, weaknesses lose them.
        for (key, sign) in [("strengths", 1.0), ("weaknesses", -1.0)] {
            for item in r[key].split(';').filter(|s| !s.is_empty()) {
                let (id, pts) = item.split_once(':').unwrap();
                assert!(o.framework.indicator(id).is_some(), "{id}");
                assert!(pts.parse::<f64>().unwrap() * sign > 0.0, "{key} {item}");
            }
        }
    }
    assert!(
        uncertain > 0 && uncertain < 60,
        "{uncertain} villages with an uncertain tier"
    );
    // weights.csv: shares of the index sum to 1.
    let text = std::fs::read_to_string(out.join("weights.csv")).unwrap();
    let total: f64 = text
        .lines()
        .filter(|l| l.starts_with("indicator,"))
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
        .sum();
    // Each share is written to six decimals: the sum may be off by half a
    // unit of the sixth decimal per indicator.
    let rows = text.lines().filter(|l| l.starts_with("indicator,")).count();
    assert!(
        (total - 1.0).abs() < 0.5e-6 * rows as f64,
        "{total} over {rows} rows"
    );
}

#[tokio::test]
async fn monte_carlo_is_reproducible_and_narrows_without_perturbation() {
    let a = assess(&repo().join("indicators")).await;
    let b = assess(&repo().join("indicators")).await;
    let ua: Vec<_> = a.scores.villages.iter().map(|s| s.uncertainty).collect();
    let ub: Vec<_> = b.scores.villages.iter().map(|s| s.uncertainty).collect();
    assert_eq!(ua, ub);
    // With nothing perturbed, every run is the published ranking.
    let tmp = tempfile::tempdir().unwrap();
    let fw = framework_with(
        tmp.path(),
        |t| {
            let t = set(t, "weight_spread = 0.25", "weight_spread = 0.0");
            let t = set(
                t,
                "normalisations = [\"min_max\", \"percentile_rank\"]",
                "normalisations = [\"min_max\"]",
            );
            set(
                t,
                "aggregations = [\"arithmetic\", \"geometric\"]",
                "aggregations = [\"arithmetic\"]",
            )
        },
        &[],
    );
    let c = assess(&fw).await;
    for s in &c.scores.villages {
        let u = s.uncertainty.unwrap();
        let r = s.rank.unwrap();
        assert_eq!((u.p05, u.median, u.p95), (r, r, r));
        assert_eq!(u.tier_probability, 1.0);
    }
}

#[tokio::test]
async fn a_veto_caps_the_tier_and_says_why() {
    let a = assess_changed(
        |t| {
            let t = set(
                t,
                "datapoint = \"case_prosecution_referrals\"",
                "datapoint = \"case_clues\"",
            );
            set(t, "cap = \"red\"", "cap = \"yellow\"")
        },
        &[],
    )
    .await;
    let mut capped = 0;
    for (v, s) in a.scores.villages.iter().enumerate() {
        let clues = a.table.value("case_clues", v).unwrap_or(0.0);
        assert_eq!(!s.vetoes.is_empty(), clues >= 1.0, "village {v}");
        if clues >= 1.0 {
            assert!(s.tier >= Tier::Yellow, "{:?}", s.tier);
            assert_eq!(s.tier, s.tier_uncapped.max(Tier::Yellow));
            capped += usize::from(s.tier_uncapped == Tier::Green);
        } else {
            assert_eq!(s.tier, s.tier_uncapped);
        }
    }
    assert!(capped > 0, "no green village had a clue");
}

#[tokio::test]
async fn villages_below_the_minimum_availability_are_not_ranked() {
    let a = assess_changed(
        |t| set(t, "min_availability = 0.0 ", "min_availability = 0.5 "),
        &[],
    )
    .await;
    let unranked: Vec<_> = a
        .scores
        .villages
        .iter()
        .filter(|s| s.rank.is_none())
        .collect();
    assert!(!unranked.is_empty());
    for s in &unranked {
        assert_eq!(s.tier, Tier::InsufficientData);
        assert!(s.index.is_none());
        assert!(
            s.availability.iter().flatten().any(|&x| x < 0.5),
            "{:?}",
            s.availability
        );
    }
    let ranked = a
        .scores
        .villages
        .iter()
        .filter(|s| s.rank.is_some())
        .count();
    assert_eq!(ranked + unranked.len(), 60);
    let max_rank = a
        .scores
        .villages
        .iter()
        .filter_map(|s| s.rank)
        .max()
        .unwrap();
    assert!(max_rank as usize <= ranked);
}

#[tokio::test]
async fn imputation_fills_a_village_gap_with_the_township_median() {
    let a = assess_changed(
        |t| {
            set(
                t,
                "imputation = \"none\"",
                "imputation = \"township_median\"",
            )
        },
        &[],
    )
    .await;
    let mut imputed = 0;
    for (k, cells) in a.scores.cells.iter().enumerate() {
        for (v, c) in cells.iter().enumerate() {
            if c.status != CellStatus::Imputed {
                continue;
            }
            imputed += 1;
            assert!(c.raw.is_none() && c.normalised.is_some());
            // The township median of the values of the same indicator.
            let town = &a.table.villages[v].township_code;
            // (of the values after shrinkage, which comes first)
            let shrunk = &a.scores.indicators[k].prepared.shrunk;
            let vals: Vec<Option<f64>> = a
                .table
                .villages
                .iter()
                .enumerate()
                .filter(|(_, x)| &x.township_code == town)
                .map(|(i, _)| shrunk[i])
                .collect();
            let m = qinglian::engine::rank::median(&vals).unwrap();
            assert_eq!(a.scores.indicators[k].prepared.values[v], Some(m));
        }
    }
    assert!(imputed > 0);
}

#[tokio::test]
async fn entropy_and_ahp_weights_are_resolved_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let comparisons = "comparisons = [\n  { a = \"cases\", b = \"petitions\", ratio = 2.0 },\n  { a = \"cases\", b = \"trading\", ratio = 1.0 },\n  { a = \"cases\", b = \"assistance\", ratio = 1.0 },\n  { a = \"cases\", b = \"openness\", ratio = 2.0 },\n  { a = \"trading\", b = \"petitions\", ratio = 2.0 },\n  { a = \"assistance\", b = \"petitions\", ratio = 2.0 },\n  { a = \"openness\", b = \"petitions\", ratio = 1.0 },\n  { a = \"trading\", b = \"assistance\", ratio = 1.0 },\n  { a = \"trading\", b = \"openness\", ratio = 2.0 },\n  { a = \"assistance\", b = \"openness\", ratio = 2.0 },\n  { a = \"findings\", b = \"petitions\", ratio = 4.0 },\n  { a = \"findings\", b = \"cases\", ratio = 2.0 },\n  { a = \"findings\", b = \"trading\", ratio = 2.0 },\n  { a = \"findings\", b = \"assistance\", ratio = 2.0 },\n  { a = \"findings\", b = \"openness\", ratio = 4.0 },\n]\n";
    let fw = framework_with(
        tmp.path(),
        |t| {
            let t = set(
                t,
                "weights = \"explicit\"           # indicators",
                "weights = \"entropy\"           # indicators",
            );
            set(
                t,
                "[scoring.index]                # dimensions into the index\naggregation = \"arithmetic\"\nweights = \"explicit\"\n",
                &format!(
                    "[scoring.index]\naggregation = \"arithmetic\"\nweights = \"ahp\"\n{comparisons}"
                ),
            )
        },
        &[],
    );
    let a = assess(&fw).await;
    let ids = [
        "petitions",
        "cases",
        "trading",
        "assistance",
        "findings",
        "openness",
    ];
    let c: Vec<weights::Comparison> = [
        ("cases", "petitions", 2.0),
        ("cases", "trading", 1.0),
        ("cases", "assistance", 1.0),
        ("cases", "openness", 2.0),
        ("trading", "petitions", 2.0),
        ("assistance", "petitions", 2.0),
        ("openness", "petitions", 1.0),
        ("trading", "assistance", 1.0),
        ("trading", "openness", 2.0),
        ("assistance", "openness", 2.0),
        ("findings", "petitions", 4.0),
        ("findings", "cases", 2.0),
        ("findings", "trading", 2.0),
        ("findings", "assistance", 2.0),
        ("findings", "openness", 4.0),
    ]
    .iter()
    .map(|(x, y, r)| weights::Comparison {
        a: x.to_string(),
        b: y.to_string(),
        ratio: *r,
    })
    .collect();
    let ahp = weights::ahp(&ids, &c).unwrap();
    assert!(ahp.cr < 0.1, "{}", ahp.cr);
    for (got, want) in a.scores.dimension_weights.iter().zip(&ahp.weights) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    // Entropy within each dimension, on the normalised scores.
    for d in &a.framework.dimensions {
        let members: Vec<usize> = (0..a.framework.indicators.len())
            .filter(|&k| a.framework.indicators[k].dimension == d.id)
            .filter(|&k| a.scores.cells[k].iter().any(|c| c.normalised.is_some()))
            .collect();
        let cols: Vec<Vec<Option<f64>>> = members
            .iter()
            .map(|&k| a.scores.cells[k].iter().map(|c| c.normalised).collect())
            .collect();
        let refs: Vec<&[Option<f64>]> = cols.iter().map(Vec::as_slice).collect();
        let want = weights::entropy(&refs).unwrap();
        for (&k, w) in members.iter().zip(want) {
            assert!(
                (a.scores.indicators[k].weight - w).abs() < 1e-12,
                "{}",
                a.framework.indicators[k].id
            );
        }
    }
}

#[test]
fn an_inconsistent_ahp_matrix_and_a_geometric_level_over_zeros_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let fw = framework_with(
        tmp.path(),
        |t| {
            let t = set(
                t,
                "[scoring.index]                # dimensions into the index\naggregation = \"arithmetic\"\nweights = \"explicit\"\n",
                "[scoring.index]\naggregation = \"geometric\"\nweights = \"ahp\"\ncomparisons = [\n  { a = \"cases\", b = \"petitions\", ratio = 9.0 },\n  { a = \"petitions\", b = \"trading\", ratio = 9.0 },\n  { a = \"trading\", b = \"cases\", ratio = 9.0 },\n]\n",
            );
            set(
                t,
                "weights = \"explicit\"           # indicators",
                "weights = \"wrong\"           # indicators",
            )
        },
        &[],
    );
    let e = load_error(&fw);
    // A parse error stops before validation: fix it and look again.
    assert!(
        e.contains("framework.toml: scoring.weights: unknown variant `wrong`"),
        "{e}"
    );
    let main = fw.join("framework.toml");
    let t = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        t.replace("weights = \"wrong\"", "weights = \"explicit\""),
    )
    .unwrap();
    let e = load_error(&fw);
    for want in [
        "framework.toml: scoring.index.comparisons: no comparison between `petitions` and `assistance`",
        "scoring.index.aggregation: geometric aggregation needs scores of at least 1",
    ] {
        assert!(e.contains(want), "missing {want:?} in {e}");
    }
    // Only the inconsistency left: named with its consistency ratio.
    let t = std::fs::read_to_string(&main).unwrap();
    let t = t.replace(
        "aggregation = \"geometric\"\nweights = \"ahp\"\ncomparisons = [\n  { a = \"cases\", b = \"petitions\", ratio = 9.0 },\n  { a = \"petitions\", b = \"trading\", ratio = 9.0 },\n  { a = \"trading\", b = \"cases\", ratio = 9.0 },\n]",
        "aggregation = \"arithmetic\"\nweights = \"ahp\"\ncomparisons = [\n  { a = \"cases\", b = \"petitions\", ratio = 9.0 },\n  { a = \"petitions\", b = \"trading\", ratio = 9.0 },\n  { a = \"trading\", b = \"cases\", ratio = 9.0 },\n  { a = \"assistance\", b = \"cases\", ratio = 1.0 },\n  { a = \"assistance\", b = \"petitions\", ratio = 1.0 },\n  { a = \"assistance\", b = \"trading\", ratio = 1.0 },\n  { a = \"openness\", b = \"cases\", ratio = 1.0 },\n  { a = \"openness\", b = \"petitions\", ratio = 1.0 },\n  { a = \"openness\", b = \"trading\", ratio = 1.0 },\n  { a = \"openness\", b = \"assistance\", ratio = 1.0 },\n  { a = \"findings\", b = \"cases\", ratio = 1.0 },\n  { a = \"findings\", b = \"petitions\", ratio = 1.0 },\n  { a = \"findings\", b = \"trading\", ratio = 1.0 },\n  { a = \"findings\", b = \"assistance\", ratio = 1.0 },\n  { a = \"findings\", b = \"openness\", ratio = 1.0 },\n]",
    );
    std::fs::write(&main, t).unwrap();
    let e = load_error(&fw);
    assert!(e.contains("scoring.index.comparisons: the AHP matrix over petitions, cases, trading, assistance, findings, openness is inconsistent (consistency ratio"), "{e}");
}

#[tokio::test]
async fn geometric_aggregation_runs_on_a_range_from_one() {
    let a = assess_changed(
        |t| {
            let t = set(t, "range = [0.0, 100.0]", "range = [1.0, 100.0]");
            let t = set(
                t,
                "aggregation = \"arithmetic\"     # indicators",
                "aggregation = \"geometric\"     # indicators",
            );
            set(
                t,
                "[scoring.index]                # dimensions into the index\naggregation = \"arithmetic\"",
                "[scoring.index]\naggregation = \"geometric\"",
            )
        },
        &[],
    )
    .await;
    for (v, s) in a.scores.villages.iter().enumerate() {
        let x = s.index.unwrap();
        assert!((1.0..=100.0).contains(&x));
        let sum: f64 = a.scores.cells.iter().map(|c| c[v].contribution).sum();
        assert!((sum - x).abs() < 1e-9, "{sum} vs {x}");
        // The index is the weighted geometric mean of the dimensions.
        let w = &a.scores.dimension_weights;
        let (sw, acc) = s
            .dimensions
            .iter()
            .zip(w)
            .filter_map(|(d, w)| d.map(|d| (*w, w * d.ln())))
            .fold((0.0, 0.0), |(a, b), (w, l)| (a + w, b + l));
        assert!(((acc / sw).exp() - x).abs() < 1e-9);
    }
}

#[tokio::test]
async fn goalposts_and_deduction_score_raw_values_on_fixed_scales() {
    let a = assess_changed(
        |t| t,
        &[
            (
                "pet_accusation_rate",
                "normalisation = \"goalposts\"\ngoalposts = { worst = 10.0, best = 0.0 }",
            ),
            (
                "case_clue_rate",
                "normalisation = \"deduction\"\ndeduction = { per_unit = 20.0, cap = 60.0 }",
            ),
        ],
    )
    .await;
    let k = a
        .framework
        .indicators
        .iter()
        .position(|i| i.id == "pet_accusation_rate")
        .unwrap();
    let d = a
        .framework
        .indicators
        .iter()
        .position(|i| i.id == "case_clue_rate")
        .unwrap();
    let (mut g, mut x) = (0, 0);
    // On the value after shrinkage (the default framework shrinks rates).
    for c in &a.scores.cells[k] {
        if let (Some(r), Some(n)) = (c.shrunk.or(c.raw), c.normalised) {
            assert!((n - (100.0 * (10.0 - r) / 10.0).clamp(0.0, 100.0)).abs() < 1e-9);
            g += 1;
        }
    }
    for c in &a.scores.cells[d] {
        if let (Some(r), Some(n)) = (c.shrunk.or(c.raw), c.normalised) {
            assert!((n - (100.0 - (20.0 * r).min(60.0))).abs() < 1e-9, "{r} {n}");
            x += 1;
        }
    }
    assert!(g > 30 && x > 30, "{g} {x}");
    // Wrong-way goalposts are refused.
    let tmp = tempfile::tempdir().unwrap();
    let fw = framework_with(
        tmp.path(),
        |t| t,
        &[(
            "pet_accusation_rate",
            "normalisation = \"goalposts\"\ngoalposts = { worst = 0.0, best = 10.0 }",
        )],
    );
    assert!(load_error(&fw).contains(
        "(pet_accusation_rate).goalposts: best 10 and worst 0 disagree with the direction"
    ));
}

#[tokio::test]
async fn shrinkage_keeps_raw_and_shrunk_values() {
    let a = assess_changed(
        |t| {
            set(
                t,
                "shrinkage = \"district\"         #",
                "shrinkage = \"township\"         #",
            )
        },
        &[],
    )
    .await;
    let k = a
        .framework
        .indicators
        .iter()
        .position(|i| i.id == "pet_accusation_rate")
        .unwrap();
    let y: Vec<Option<f64>> = (0..60)
        .map(|v| a.table.value("pet_accusations", v))
        .collect();
    let n: Vec<Option<f64>> = (0..60).map(|v| a.table.value("population", v)).collect();
    let groups: Vec<&str> = a
        .table
        .villages
        .iter()
        .map(|v| v.township_code.as_str())
        .collect();
    let want = shrinkage::shrink(&y, &n, &groups, Model::Poisson);
    let mut moved = 0;
    for (v, c) in a.scores.cells[k].iter().enumerate() {
        let (raw, shrunk) = (c.raw.unwrap(), c.shrunk.unwrap());
        assert!((shrunk - want[v].unwrap() * 1000.0).abs() < 1e-9);
        moved += usize::from((raw - shrunk).abs() > 1e-9);
    }
    assert!(moved > 0);
}

#[tokio::test]
async fn jrc_treatment_flags_the_cells_it_changes() {
    let a = assess_changed(
        |t| {
            set(
                t,
                "treatment = \"none\"             #",
                "treatment = \"jrc\"             #",
            )
        },
        &[],
    )
    .await;
    let mut flagged = 0;
    for (k, cells) in a.scores.cells.iter().enumerate() {
        let t = a.scores.indicators[k].prepared.treated.as_ref().unwrap();
        for (v, c) in cells.iter().enumerate() {
            if c.treatment != CellTreatment::None {
                flagged += 1;
                if c.treatment != CellTreatment::Log {
                    assert_ne!(t.values[v], c.raw, "{}", a.framework.indicators[k].id);
                }
            }
        }
    }
    assert!(flagged > 0);
}

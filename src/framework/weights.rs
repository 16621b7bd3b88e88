//! A weights file: weights for some or all of the framework's dimensions
//! and indicators that replace the ones their definitions give, such as
//! the weights `calibrate --fit` learns from outcomes. A framework names
//! one with `[framework] weights = "learned.toml"` (relative to the
//! framework directory), or a run is given one with `--weights FILE`; with
//! neither the framework scores with its own weights. The file is read like
//! the rest of the framework (unknown keys refused by their path, then one
//! pass of checks that reports every problem), is part of the framework's
//! hash, and the run's manifest names it.
//!
//! ```toml
//! about = "learned by qinglian calibrate --fit ..."   # optional
//! [dimension]
//! trading = 0.31
//! [indicator]
//! trd_single_bidder_share = 0.12
//! ```
//!
//! A weight may be 0 (the indicator or dimension then counts for nothing);
//! dimensions and indicators not listed keep their own weights.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::model::{Dimension, Indicator};
use crate::engine::method::{LevelMethod, WeightMethod};
use crate::error::{At, FrameworkProblem, ProblemKind};

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeightsFile {
    about: Option<String>,
    #[serde(default)]
    dimension: BTreeMap<String, f64>,
    #[serde(default)]
    indicator: BTreeMap<String, f64>,
}

/// The weights file a framework scores with, as the manifest names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightsFile {
    /// The file as given (`--weights`) or as the framework names it,
    /// joined to the framework directory.
    pub path: PathBuf,
    /// SHA-256 of its text.
    pub sha256: String,
    /// Its `about` line: how the weights were made.
    pub about: Option<String>,
    /// How many dimension and indicator weights it sets.
    pub dimensions: usize,
    pub indicators: usize,
}

/// Replaces the weights of `dimensions` and `indicators` with those of the
/// file `name`; every problem is pushed to `problems`. Weights only count
/// where the level weighs its children by their `weight` (`weights =
/// "explicit"`), so a file that sets a weight elsewhere is refused rather
/// than ignored.
pub(super) fn apply(
    name: &str,
    raw: RawWeightsFile,
    dimensions: &mut [Dimension],
    indicators: &mut [Indicator],
    index: &LevelMethod,
    problems: &mut Vec<FrameworkProblem>,
) -> (Option<String>, usize, usize) {
    let at = At::file(name);
    let mut check = |at: &At, w: f64| -> bool {
        let ok = w.is_finite() && w >= 0.0;
        if !ok {
            problems.push(at.with_value(w).problem(
                ProblemKind::Invalid,
                "a weight must be a number of at least 0 (0 leaves it out of the index)",
            ));
        }
        ok
    };
    let mut bad_method = Vec::new();
    for (id, &w) in &raw.dimension {
        let here = at.key("dimension").key(id);
        if !check(&here, w) {
            continue;
        }
        match dimensions.iter_mut().find(|d| &d.id == id) {
            Some(d) => d.weight = w,
            None => {
                bad_method.push(here.problem(
                    ProblemKind::Reference,
                    format!(
                        "no dimension '{id}' in the framework; the dimensions are {}",
                        dimensions
                            .iter()
                            .map(|d| d.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
    }
    if !raw.dimension.is_empty() && index.weights != WeightMethod::Explicit {
        bad_method.push(at.key("dimension").problem(
            ProblemKind::Invalid,
            format!(
                "the index weighs its dimensions by the {} method, which ignores these weights; \
                 set [scoring.index] weights = \"explicit\" or leave [dimension] out",
                index.weights.as_str()
            ),
        ));
    }
    for (id, &w) in &raw.indicator {
        let here = at.key("indicator").key(id);
        if !check(&here, w) {
            continue;
        }
        let Some(ind) = indicators.iter_mut().find(|i| &i.id == id) else {
            bad_method.push(here.problem(
                ProblemKind::Reference,
                format!("no indicator '{id}' in the framework; `qinglian indicators` lists them"),
            ));
            continue;
        };
        ind.weight = w;
        if let Some(d) = dimensions.iter().find(|d| d.id == ind.dimension)
            && d.method.weights != WeightMethod::Explicit
        {
            bad_method.push(here.problem(
                ProblemKind::Invalid,
                format!(
                    "dimension '{}' weighs its indicators by the {} method, which ignores this \
                     weight; set its weights = \"explicit\" or leave the indicator out",
                    d.id,
                    d.method.weights.as_str()
                ),
            ));
        }
    }
    problems.extend(bad_method);
    // Something must still count.
    let counts = |d: &Dimension| {
        d.weight > 0.0
            && indicators
                .iter()
                .any(|i| i.dimension == d.id && i.weight > 0.0)
    };
    if !dimensions.iter().any(counts) {
        problems.push(at.problem(
            ProblemKind::Invalid,
            "with these weights no dimension with a weight above 0 has an indicator with a weight above 0: the index would be empty",
        ));
    }
    (raw.about, raw.dimension.len(), raw.indicator.len())
}

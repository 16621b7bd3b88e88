//! Weights learned from outcomes (`calibrate --fit`): which indicators
//! foretold what verification confirmed (the `dispositions` table) or what
//! was filed as a case (`cases.filed_date`) in the next two quarters,
//! learned on earlier quarters and judged on later ones only.
//!
//! Each ranked village in each quarter is one example: its indicators'
//! suspicion (100 − the normalised score, so 0 is the best village and 100
//! the worst; an indicator the village lacks takes the training mean) and
//! its label. A logistic regression (linfa's, fitted by argmin's L-BFGS)
//! gives each indicator's log-odds per point of suspicion; weights must not
//! be negative (a red flag never makes a village cleaner), so an indicator
//! whose coefficient comes out below 0 is left out and the model fitted
//! again on the others until none is (an active-set reading of
//! non-negative least squares). The coefficients, scaled to sum to 1 and
//! blended with the expert's effective weights (the penalty and the
//! expert's share chosen on the last training quarter, scored by
//! [`Structure::index`], the engine's arithmetic), are the indicators'
//! effective weights in the index, and [`tree_weights`]
//! turns them into the dimension and indicator weights of a weights file
//! (`framework::WeightsFile`) that reproduce them exactly where a village
//! has every indicator. The learned index is then scored by the real
//! engine from that file, so what is judged is what a run would publish.
//!
//! No look-ahead: the test quarters are the last third of the quarters
//! with labels; a training quarter's label must be known by the end of the
//! first test quarter (a filed case within two quarters: the training
//! quarter is at least two before it; a verdict: decided by then).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};

use crate::calibration::low_score_auc;
use crate::engine::method::{Aggregation, WeightMethod};
use crate::error::{Error, Result};
use crate::framework::Framework;
use crate::lifecycle::{Disposition, Status};
use crate::period::{Quarter, day_number};
use crate::pipeline::Assessment;

/// What a village-quarter is labelled by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelSource {
    /// A case filed (立案) about the village in the next two quarters.
    Cases,
    /// A verified alert of the village found true (confirmed, partly,
    /// rectified) covering the quarter.
    Dispositions,
}

impl LabelSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelSource::Cases => "cases",
            LabelSource::Dispositions => "dispositions",
        }
    }
}

/// The outcomes a fit learns from and is judged on.
#[derive(Debug, Clone)]
pub enum Outcomes {
    /// Each village's quarters of filing.
    Cases(BTreeMap<String, BTreeSet<Quarter>>),
    Dispositions(Vec<Disposition>),
}

impl Outcomes {
    pub fn source(&self) -> LabelSource {
        match self {
            Outcomes::Cases(_) => LabelSource::Cases,
            Outcomes::Dispositions(_) => LabelSource::Dispositions,
        }
    }

    /// Each village's label in quarter `q` as known on day `known_by`
    /// (days since 1970-01-01; `None`: everything in the data): `None` when
    /// it is not known yet or undecided.
    pub fn labels(&self, q: Quarter, known_by: Option<i32>) -> Labeller<'_> {
        Labeller {
            outcomes: self,
            quarter: q,
            known_by,
            verdicts: match self {
                Outcomes::Dispositions(d) => verdicts(d, known_by),
                Outcomes::Cases(_) => BTreeMap::new(),
            },
        }
    }
}

/// One alert's verdict as known on a day: found true or not, and the
/// quarter of its rectification, if any.
#[derive(Debug, Clone, Copy)]
struct Verdict {
    first: Quarter,
    found: Option<bool>,
    rectified: Option<Quarter>,
}

/// The verdicts of every alert id the dispositions name, village by
/// village, from the decisions made by `known_by`.
fn verdicts(d: &[Disposition], known_by: Option<i32>) -> BTreeMap<&str, Vec<Verdict>> {
    let mut by_id: BTreeMap<&str, (&str, Verdict)> = BTreeMap::new();
    for row in d {
        let Some((village, _, first)) = crate::lifecycle::parse_id(&row.alert_id) else {
            continue;
        };
        let (_, v) = by_id.entry(row.alert_id.as_str()).or_insert((
            village,
            Verdict {
                first,
                found: None,
                rectified: None,
            },
        ));
        // A decision made later leaves the alert undecided as of the day.
        if known_by.is_some_and(|k| row.decided > k) {
            continue;
        }
        match row.outcome {
            Status::Confirmed | Status::Partly => v.found = Some(true),
            Status::Rectified => {
                v.found = Some(true);
                let q = Quarter::containing(crate::period::date_of(row.decided));
                v.rectified = Some(v.rectified.map_or(q, |r: Quarter| r.max(q)));
            }
            Status::FalsePositive if v.found.is_none() => v.found = Some(false),
            _ => {}
        }
    }
    let mut out: BTreeMap<&str, Vec<Verdict>> = BTreeMap::new();
    for (village, v) in by_id.into_values() {
        out.entry(village).or_default().push(v);
    }
    out
}

/// Labels of one quarter (see [`Outcomes::labels`]).
#[derive(Debug)]
pub struct Labeller<'a> {
    outcomes: &'a Outcomes,
    quarter: Quarter,
    known_by: Option<i32>,
    verdicts: BTreeMap<&'a str, Vec<Verdict>>,
}

impl Labeller<'_> {
    /// The label of village `code`: a case filed in the next two quarters;
    /// or an alert raised by this quarter, found true and not rectified
    /// before it (true), an alert raised by then and not decided (unknown),
    /// else false (false positives, and villages nobody found anything
    /// in).
    pub fn of(&self, code: &str) -> Option<bool> {
        let q = self.quarter;
        match self.outcomes {
            Outcomes::Cases(filed) => {
                let known = q.offset(2).end();
                if self.known_by.is_some_and(|k| day_number(known) - 1 > k) {
                    return None;
                }
                let f = filed.get(code);
                Some(f.is_some_and(|f| f.contains(&q.next()) || f.contains(&q.offset(2))))
            }
            Outcomes::Dispositions(_) => {
                let alerts: Vec<&Verdict> = self
                    .verdicts
                    .get(code)
                    .map(|v| v.iter().filter(|v| v.first <= q).collect())
                    .unwrap_or_default();
                if alerts
                    .iter()
                    .any(|v| v.found == Some(true) && v.rectified.is_none_or(|r| q <= r))
                {
                    Some(true)
                } else if alerts.iter().any(|v| v.found.is_none()) {
                    None
                } else {
                    Some(false)
                }
            }
        }
    }
}

/// The quarters a fit trains on and is tested on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<Quarter>,
    pub test: Vec<Quarter>,
    /// The day training labels must be known by: the last day of the
    /// first test quarter.
    pub known_by: i32,
}

/// Splits the labelled quarters `quarters` (oldest first): the last third
/// (at least one) to test on, the earlier ones whose labels are known by
/// the end of the first test quarter to train on.
pub fn split(quarters: &[Quarter], source: LabelSource) -> Option<Split> {
    if quarters.len() < 2 {
        return None;
    }
    let k = (quarters.len() / 3).max(1);
    let (train, test) = quarters.split_at(quarters.len() - k);
    let first_test = test[0];
    let train: Vec<Quarter> = train
        .iter()
        .copied()
        .filter(|&q| source == LabelSource::Dispositions || q.offset(2) <= first_test)
        .collect();
    (!train.is_empty()).then(|| Split {
        train,
        test: test.to_vec(),
        known_by: day_number(first_test.end()) - 1,
    })
}

/// One village in one quarter: its indicators' suspicion (framework
/// order; `None` where unavailable) and its label.
#[derive(Debug, Clone)]
pub struct Example {
    pub quarter: Quarter,
    pub suspicion: Vec<Option<f64>>,
    pub positive: bool,
}

/// The ranked villages of an assessment with a known label, as examples.
pub fn examples(a: &Assessment, labels: &Labeller<'_>) -> Vec<Example> {
    let mut out = Vec::new();
    for (v, village) in a.table.villages.iter().enumerate() {
        if a.scores.villages[v].rank.is_none() {
            continue;
        }
        let Some(positive) = labels.of(&village.code) else {
            continue;
        };
        let suspicion = a
            .scores
            .cells
            .iter()
            .map(|cells| cells[v].normalised.map(|x| (100.0 - x).clamp(0.0, 100.0)))
            .collect();
        out.push(Example {
            quarter: a.quarter,
            suspicion,
            positive,
        });
    }
    out
}

/// The learned model.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// Each indicator's effective weight in the index (framework order),
    /// summing to 1: the fitted weights shrunk toward the expert's by
    /// [`Fitted::blend`].
    pub effective: Vec<f64>,
    /// The fitted weights alone (summing to 1; 0 for the indicators left
    /// out).
    pub fitted: Vec<f64>,
    /// Indicators left out because they did not vary in training.
    pub constant: Vec<usize>,
    /// Indicators left out because their coefficient came out below 0.
    pub negative: Vec<usize>,
    /// Fits made for the final weights (one, plus one per round that left
    /// indicators out).
    pub rounds: usize,
    pub examples: usize,
    pub positives: usize,
    /// The L2 penalty and the expert weights' share chosen.
    pub penalty: f64,
    pub blend: f64,
    /// Each candidate penalty's best AUC on the last training quarter
    /// (fitted on the quarters before it), with the share that reached
    /// it; empty when there was only one training quarter and the
    /// defaults were taken.
    pub selection: Vec<(f64, f64, Option<f64>)>,
}

/// The L2 penalties tried (linfa's `alpha`, on suspicion scaled to 0–1,
/// against the summed log-loss): from almost none to strong shrinkage.
pub const PENALTIES: [f64; 5] = [0.1, 1.0, 10.0, 100.0, 1000.0];

/// The shares of the expert weights tried in the blend `(1 − s) ·
/// fitted + s · expert`: a fitted weight near 0 beside a large one lets
/// a village lacking the large one be scored on the small one alone (the
/// engine renormalises over what a village has), which the expert share
/// damps.
pub const BLENDS: [f64; 5] = [0.0, 0.1, 0.25, 0.5, 0.75];

/// The penalty and share taken when no quarter is left to choose them on.
pub const DEFAULT_PENALTY: f64 = 10.0;
pub const DEFAULT_BLEND: f64 = 0.25;

/// How the framework combines indicators into the index, for scoring
/// candidate weights as the engine would without running it: each
/// indicator's dimension, and which dimensions deduct.
#[derive(Debug, Clone)]
pub struct Structure {
    pub dimension: Vec<usize>,
    pub deducts: Vec<bool>,
}

impl Structure {
    pub fn of(f: &Framework) -> Self {
        Structure {
            dimension: f
                .indicators
                .iter()
                .map(|i| {
                    f.dimensions
                        .iter()
                        .position(|d| d.id == i.dimension)
                        .unwrap_or(0)
                })
                .collect(),
            deducts: f
                .dimensions
                .iter()
                .map(|d| d.method.aggregation == Aggregation::Deduction)
                .collect(),
        }
    }

    /// The index a village would get with effective weights `e` (summing
    /// to 1, laid out by [`tree_weights`]), by the engine's arithmetic:
    /// an arithmetic dimension the weighted mean of the indicators the
    /// village has, a deduction dimension 100 less its weighted
    /// deductions (no lower than its lowest indicator), the index the
    /// weighted mean of the dimensions it has; `None` with none.
    pub fn index(&self, e: &[f64], suspicion: &[Option<f64>]) -> Option<f64> {
        let dims = self.deducts.len();
        let mut total = vec![0.0; dims];
        let (mut sw, mut acc) = (vec![0.0; dims], vec![0.0; dims]);
        let mut floor = vec![f64::INFINITY; dims];
        for (k, &d) in self.dimension.iter().enumerate() {
            total[d] += e[k];
            let Some(s) = suspicion[k] else { continue };
            if e[k] <= 0.0 {
                continue;
            }
            sw[d] += e[k];
            acc[d] += e[k] * s;
            floor[d] = floor[d].min(100.0 - s);
        }
        let (mut weight, mut sum) = (0.0, 0.0);
        for d in 0..dims {
            if sw[d] <= 0.0 || total[d] <= 0.0 {
                continue;
            }
            let score = if self.deducts[d] {
                let deducted = acc[d] / total[d];
                let room = 100.0 - floor[d].min(100.0);
                100.0
                    - if deducted <= room {
                        deducted
                    } else {
                        room.max(0.0)
                    }
            } else {
                100.0 - acc[d] / sw[d]
            };
            weight += total[d];
            sum += total[d] * score;
        }
        (weight > 0.0).then(|| sum / weight)
    }

    /// AUC of a low index with weights `e` for the positives of `examples`.
    fn auc(&self, e: &[f64], examples: &[Example]) -> Option<f64> {
        low_score_auc(
            examples
                .iter()
                .filter_map(|x| Some((self.index(e, &x.suspicion)?, x.positive))),
        )
    }
}

/// `(1 − share) · fitted + share · expert`.
fn blended(fitted: &[f64], expert: &[f64], share: f64) -> Vec<f64> {
    fitted
        .iter()
        .zip(expert)
        .map(|(f, e)| (1.0 - share) * f + share * e)
        .collect()
}

/// Learns non-negative effective weights from `examples` (module docs):
/// the penalty and the expert weights' share (`expert`, summing to 1)
/// are chosen on the last training quarter, fitted on the earlier ones
/// and scored as the engine would score them (ties to the stronger
/// penalty and the larger share); then the weights are fitted on every
/// training quarter with that penalty and blended with that share.
pub fn fit(examples: &[Example], structure: &Structure, expert: &[f64]) -> Result<Fitted> {
    let indicators = expert.len();
    let positives = examples.iter().filter(|e| e.positive).count();
    if positives < 5 || examples.len() - positives < 5 {
        return Err(cannot(format!(
            "the training quarters hold {positives} positive and {} negative village-quarters; \
             at least 5 of each are needed (more quarters of data, or more verified alerts)",
            examples.len() - positives
        )));
    }
    let last = examples.iter().map(|e| e.quarter).max();
    let (earlier, held): (Vec<Example>, Vec<Example>) = examples
        .iter()
        .cloned()
        .partition(|e| Some(e.quarter) != last);
    let mut selection = Vec::new();
    let (mut penalty, mut blend) = (DEFAULT_PENALTY, DEFAULT_BLEND);
    let usable = |x: &[Example]| {
        let p = x.iter().filter(|e| e.positive).count();
        p >= 1 && p < x.len()
    };
    if usable(&held) && usable(&earlier) {
        let mut best: Option<f64> = None;
        for alpha in PENALTIES {
            let mut row = (alpha, 0.0, None::<f64>);
            if let Ok((fitted, ..)) = nonnegative(&earlier, indicators, alpha) {
                for share in BLENDS {
                    let Some(a) = structure.auc(&blended(&fitted, expert, share), &held) else {
                        continue;
                    };
                    if row.2.is_none_or(|b| a >= b) {
                        row = (alpha, share, Some(a));
                    }
                    if best.is_none_or(|b| a >= b) {
                        best = Some(a);
                        (penalty, blend) = (alpha, share);
                    }
                }
            }
            selection.push(row);
        }
    }
    let (fitted, constant, negative, rounds) = nonnegative(examples, indicators, penalty)?;
    Ok(Fitted {
        effective: blended(&fitted, expert, blend),
        fitted,
        constant,
        negative,
        rounds,
        examples: examples.len(),
        positives,
        penalty,
        blend,
        selection,
    })
}

fn cannot(why: String) -> Error {
    Error::Request(format!("calibrate --fit: no weights learned: {why}"))
}

/// Each indicator's mean suspicion over the examples that have it (0
/// when none has): what stands in where a village lacks it.
fn means(examples: &[Example], indicators: usize) -> Vec<f64> {
    (0..indicators)
        .map(|k| {
            let (n, sum) = examples
                .iter()
                .filter_map(|e| e.suspicion[k])
                .fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
            if n > 0 { sum / n as f64 } else { 0.0 }
        })
        .collect()
}

/// What [`nonnegative`] gives.
type NonNegative = (Vec<f64>, Vec<usize>, Vec<usize>, usize);

/// Effective weights (summing to 1), the indicators left out for no
/// variation and for a negative coefficient, and the fits made: the
/// logistic regression with L2 penalty `alpha`, refitted without the
/// indicators whose coefficient came out below 0 until none does.
fn nonnegative(examples: &[Example], indicators: usize, alpha: f64) -> Result<NonNegative> {
    let mean = means(examples, indicators);
    let constant: Vec<usize> = (0..indicators)
        .filter(|&k| {
            let (lo, hi) = examples
                .iter()
                .filter_map(|e| e.suspicion[k])
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
                    (l.min(x), h.max(x))
                });
            hi.is_nan() || lo.is_nan() || hi - lo <= 1e-9
        })
        .collect();
    let mut active: Vec<usize> = (0..indicators).filter(|k| !constant.contains(k)).collect();
    let y: Array1<bool> = examples.iter().map(|e| e.positive).collect();
    let mut negative = Vec::new();
    let mut rounds = 0;
    let coefficients = loop {
        if active.is_empty() {
            return Err(cannot(
                "no indicator raises the odds of an outcome in the training quarters".into(),
            ));
        }
        rounds += 1;
        let x = Array2::from_shape_fn((examples.len(), active.len()), |(r, c)| {
            examples[r].suspicion[active[c]].unwrap_or(mean[active[c]]) / 100.0
        });
        let model = LogisticRegression::default()
            .alpha(alpha)
            .max_iterations(500)
            .fit(&Dataset::new(x, y.clone()))
            .map_err(|e| cannot(format!("the logistic regression failed: {e}")))?;
        // linfa labels the larger class positive: turn the coefficients
        // toward the outcome.
        let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
        let coef: Vec<f64> = model.params().iter().map(|c| sign * c).collect();
        let below: Vec<usize> = (0..active.len()).filter(|&c| coef[c] < 0.0).collect();
        if below.is_empty() {
            break active.iter().copied().zip(coef).collect::<Vec<_>>();
        }
        negative.extend(below.iter().map(|&c| active[c]));
        active = (0..active.len())
            .filter(|c| !below.contains(c))
            .map(|c| active[c])
            .collect();
    };
    let total: f64 = coefficients.iter().map(|c| c.1).sum();
    if total.is_nan() || total <= 0.0 {
        return Err(cannot(
            "every indicator's coefficient is 0: nothing in the training quarters tells the outcomes apart".into(),
        ));
    }
    let mut effective = vec![0.0; indicators];
    for (k, c) in coefficients {
        effective[k] = c / total;
    }
    negative.sort_unstable();
    Ok((effective, constant, negative, rounds))
}

/// Checks that the framework's weights can carry effective weights:
/// explicit weights everywhere, the index an arithmetic mean, dimensions
/// arithmetic or deduction.
pub fn check_framework(f: &Framework) -> Result<()> {
    let mut why = Vec::new();
    if f.scoring.index.aggregation != Aggregation::Arithmetic {
        why.push("the index is not an arithmetic mean of its dimensions".to_string());
    }
    if f.scoring.index.weights != WeightMethod::Explicit {
        why.push("the index does not weigh its dimensions explicitly".to_string());
    }
    for d in &f.dimensions {
        if d.method.aggregation == Aggregation::Geometric {
            why.push(format!("dimension '{}' is a geometric mean", d.id));
        }
        if d.method.weights != WeightMethod::Explicit {
            why.push(format!(
                "dimension '{}' does not weigh its indicators explicitly",
                d.id
            ));
        }
    }
    if why.is_empty() {
        return Ok(());
    }
    Err(Error::Request(format!(
        "calibrate --fit learns weights for a linear index (arithmetic or deduction dimensions \
         under an arithmetic index, explicit weights), and in {}: {}; fit a framework that is",
        f.dir.display(),
        why.join("; ")
    )))
}

/// Each indicator's effective weight in the framework's index as the
/// definitions give it (framework order), scaled to sum to 1: within an
/// arithmetic dimension its share of the dimension times the dimension's
/// share of the index; in a deduction dimension its weight (points
/// deducted per point of score lost) times the dimension's share.
pub fn expert_effective(f: &Framework) -> Vec<f64> {
    let total: f64 = f.dimensions.iter().map(|d| d.weight).sum();
    let mut out: Vec<f64> = f
        .indicators
        .iter()
        .map(|i| {
            let Some(d) = f.dimensions.iter().find(|d| d.id == i.dimension) else {
                return 0.0;
            };
            let share = d.weight / total;
            if d.method.aggregation == Aggregation::Deduction {
                share * i.weight
            } else {
                let within: f64 = f
                    .indicators
                    .iter()
                    .filter(|j| j.dimension == d.id)
                    .map(|j| j.weight)
                    .sum();
                share * i.weight / within
            }
        })
        .collect();
    let sum: f64 = out.iter().sum();
    if sum > 0.0 {
        out.iter_mut().for_each(|x| *x /= sum);
    }
    out
}

/// Ids with their weights.
pub type Weights = Vec<(String, f64)>;

/// The dimension and indicator weights that give `effective` (framework
/// order, summing to 1) as the index's effective weights: a dimension
/// weighs the sum of its indicators' effective weights; within an
/// arithmetic dimension an indicator weighs its effective weight, within
/// a deduction dimension its share of the dimension's.
pub fn tree_weights(f: &Framework, effective: &[f64]) -> (Weights, Weights) {
    let mut dims = Vec::new();
    let mut inds = Vec::new();
    for d in &f.dimensions {
        let members: Vec<usize> = (0..f.indicators.len())
            .filter(|&k| f.indicators[k].dimension == d.id)
            .collect();
        let weight: f64 = members.iter().map(|&k| effective[k]).sum();
        dims.push((d.id.clone(), weight));
        for k in members {
            let w = if d.method.aggregation == Aggregation::Deduction {
                if weight > 0.0 {
                    effective[k] / weight
                } else {
                    0.0
                }
            } else {
                effective[k]
            };
            inds.push((f.indicators[k].id.clone(), w));
        }
    }
    (dims, inds)
}

/// The weights file's text (module `framework::weights`): a comment on
/// how to use it, the `about` line, then every dimension and indicator.
pub fn weights_file(f: &Framework, effective: &[f64], about: &str) -> String {
    let (dims, inds) = tree_weights(f, effective);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Weights learned from outcomes by `qinglian calibrate --fit` for the framework\n\
         # '{} {}' (docs/methodology.md, \"Weights learned from outcomes\").\n\
         # Score with them by `qinglian run --weights THIS_FILE`, or name the file in\n\
         # framework.toml as [framework] weights = \"learned.toml\". The expert weights\n\
         # in definitions/ are unchanged; the run's manifest names which were used.",
        f.meta.id, f.meta.version
    );
    let _ = writeln!(s, "about = {}", toml_string(about));
    let _ = writeln!(s, "\n[dimension]");
    for (id, w) in dims {
        let _ = writeln!(s, "{id} = {w:.6}");
    }
    let _ = writeln!(s, "\n[indicator]");
    for (id, w) in inds {
        let _ = writeln!(s, "{id} = {w:.6}");
    }
    s
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// How one ranking of the test quarters foretold their outcomes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TestRow {
    /// The quarter, or `pooled`.
    pub quarter: String,
    pub villages: usize,
    pub positives: usize,
    pub auc_expert: Option<f64>,
    pub auc_learned: Option<f64>,
    /// The 95 % bootstrap interval of learned − expert AUC
    /// ([`BOOTSTRAP_DRAWS`] resamples of the village-quarters).
    pub difference: Option<(f64, f64)>,
}

/// Resamples of the bootstrap interval, and its fixed seed (the same
/// inputs give the same interval).
pub const BOOTSTRAP_DRAWS: usize = 1000;
const BOOTSTRAP_SEED: u64 = 20_261_207;

/// AUC of a low index (expert, learned) for the positives of `rows`.
fn aucs(rows: &[(f64, f64, bool)]) -> (Option<f64>, Option<f64>) {
    (
        low_score_auc(rows.iter().map(|r| (r.0, r.2))),
        low_score_auc(rows.iter().map(|r| (r.1, r.2))),
    )
}

/// AUC of a low index for the positives, over the villages ranked by
/// both the expert and the learned framework with a label, and the
/// bootstrap interval of the difference (positives and negatives
/// resampled apart, so every draw has both).
pub fn test_row(quarter: &str, rows: &[(f64, f64, bool)]) -> TestRow {
    use rand::{Rng, SeedableRng};
    let (auc_expert, auc_learned) = aucs(rows);
    let (pos, neg): (Vec<_>, Vec<_>) = rows.iter().copied().partition(|r| r.2);
    let difference = (!pos.is_empty() && !neg.is_empty()).then(|| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(BOOTSTRAP_SEED);
        let mut diffs: Vec<f64> = (0..BOOTSTRAP_DRAWS)
            .map(|_| {
                let mut draw: Vec<(f64, f64, bool)> = Vec::with_capacity(rows.len());
                for group in [&pos, &neg] {
                    for _ in 0..group.len() {
                        draw.push(group[rng.random_range(0..group.len())]);
                    }
                }
                match aucs(&draw) {
                    (Some(e), Some(l)) => l - e,
                    _ => 0.0,
                }
            })
            .collect();
        diffs.sort_by(f64::total_cmp);
        let at = |p: f64| diffs[((diffs.len() - 1) as f64 * p).round() as usize];
        (at(0.025), at(0.975))
    });
    TestRow {
        quarter: quarter.to_string(),
        villages: rows.len(),
        positives: pos.len(),
        auc_expert,
        auc_learned,
        difference,
    }
}

/// The (expert index, learned index, label) of every village ranked by
/// both frameworks in one quarter and labelled.
pub fn paired(
    expert: &BTreeMap<String, f64>,
    learned: &BTreeMap<String, f64>,
    labels: &Labeller<'_>,
) -> Vec<(f64, f64, bool)> {
    expert
        .iter()
        .filter_map(|(code, &e)| Some((e, *learned.get(code)?, labels.of(code)?)))
        .collect()
}

/// Red, yellow and green villages of an assessment.
fn tiers(a: &Assessment) -> (usize, usize, usize) {
    use crate::engine::rank::Tier;
    let count = |t: Tier| a.scores.villages.iter().filter(|v| v.tier == t).count();
    (count(Tier::Red), count(Tier::Yellow), count(Tier::Green))
}

/// What `calibrate --fit` is asked for.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// The labels; default the dispositions when the data has them, else
    /// filed cases.
    pub labels: Option<LabelSource>,
    /// Where the weights file is written.
    pub out: std::path::PathBuf,
}

/// `calibrate --fit`: the quarters with every source present and a label
/// (at most twelve, up to the assessed quarter) split into training and
/// test quarters; the expert framework scored on each, the weights learned
/// on the training quarters and written to `fit.out`, then the test
/// quarters scored again from that file and both judged on their outcomes.
pub async fn learn(
    base: &crate::pipeline::RunOptions,
    assessed: &Assessment,
    fit_opts: &FitOptions,
) -> Result<FitReport> {
    use crate::pipeline::{RunOptions, assess};
    let framework = &assessed.framework;
    check_framework(framework)?;
    let source = fit_opts
        .labels
        .unwrap_or(if assessed.dispositions.is_some() {
            LabelSource::Dispositions
        } else {
            LabelSource::Cases
        });
    let outcomes = match source {
        LabelSource::Cases => Outcomes::Cases(
            crate::calibration::filed_cases(&RunOptions {
                quarter: None,
                ..base.clone()
            })
            .await?,
        ),
        LabelSource::Dispositions => {
            Outcomes::Dispositions(assessed.dispositions.clone().ok_or_else(|| {
                Error::Request(
                    "calibrate --fit --labels dispositions: the data has no dispositions table; \
                 add dispositions.parquet (data contract 1.1) or fit on --labels cases"
                        .into(),
                )
            })?)
        }
    };
    let Some((from, to)) = crate::datapoints::common_span(&assessed.ingested) else {
        return Err(Error::Request(
            "calibrate --fit: no quarter has events in every source".into(),
        ));
    };
    let last = match source {
        LabelSource::Cases => to.offset(-2).min(assessed.quarter),
        LabelSource::Dispositions => to.min(assessed.quarter),
    };
    let quarters = if from <= last {
        from.max(last.offset(-11)).through(last)
    } else {
        Vec::new()
    };
    let Some(split) = split(&quarters, source) else {
        return Err(Error::Request(format!(
            "calibrate --fit: {} quarter(s) with every source present and a known outcome \
             ({}); at least 2 are needed, and one to train on before the test quarters",
            quarters.len(),
            match source {
                LabelSource::Cases => "a case label needs the two quarters after it",
                LabelSource::Dispositions => "up to the assessed quarter",
            }
        )));
    };
    let scored = |q: Quarter, weights: Option<std::path::PathBuf>| RunOptions {
        quarter: Some(q),
        weights,
        ..base.clone()
    };
    let mut training = Vec::new();
    for &q in &split.train {
        let a = assess(&scored(q, None)).await?;
        training.extend(examples(&a, &outcomes.labels(q, Some(split.known_by))));
    }
    let expert = expert_effective(framework);
    let fitted = fit(&training, &Structure::of(framework), &expert)?;
    let mut test_expert = Vec::new();
    let mut expert_tiers = (0, 0, 0);
    for &q in &split.test {
        // The assessed quarter is scored already.
        let scored_now;
        let a = if q == assessed.quarter {
            assessed
        } else {
            scored_now = assess(&scored(q, None)).await?;
            &scored_now
        };
        expert_tiers = tiers(a);
        test_expert.push(crate::calibration::indices(a));
    }
    let about = format!(
        "calibrate --fit on {}: labels {}, trained on {}-{} ({} village-quarters, {} positive), \
         tested on {}-{}",
        base.data_dir.display(),
        source.as_str(),
        split.train[0],
        split.train[split.train.len() - 1],
        fitted.examples,
        fitted.positives,
        split.test[0],
        split.test[split.test.len() - 1],
    );
    let text = weights_file(framework, &fitted.effective, &about);
    if let Some(dir) = fit_opts.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(Error::io("creating", dir))?;
    }
    std::fs::write(&fit_opts.out, text).map_err(Error::io("writing", &fit_opts.out))?;
    let mut tests = Vec::new();
    let mut pooled = Vec::new();
    let mut learned_tiers = (0, 0, 0);
    for (&q, expert) in split.test.iter().zip(&test_expert) {
        let a = assess(&scored(q, Some(fit_opts.out.clone()))).await?;
        learned_tiers = tiers(&a);
        let rows = paired(
            expert,
            &crate::calibration::indices(&a),
            &outcomes.labels(q, None),
        );
        tests.push(test_row(&q.to_string(), &rows));
        pooled.extend(rows);
    }
    if split.test.len() > 1 {
        tests.push(test_row("pooled", &pooled));
    }
    Ok(FitReport {
        source,
        split,
        fitted,
        expert,
        tests,
        tiers: [expert_tiers, learned_tiers],
        written: fit_opts.out.display().to_string(),
    })
}

/// Everything `calibrate --fit` reports.
#[derive(Debug, Clone)]
pub struct FitReport {
    pub source: LabelSource,
    pub split: Split,
    pub fitted: Fitted,
    pub expert: Vec<f64>,
    pub tests: Vec<TestRow>,
    /// Villages red, yellow and green in the last test quarter by the
    /// expert and by the learned weights.
    pub tiers: [(usize, usize, usize); 2],
    /// Where the weights file was written.
    pub written: String,
}

impl FitReport {
    /// The pooled (or only) test row.
    pub fn overall(&self) -> Option<&TestRow> {
        self.tests.last()
    }

    /// One sentence: whether the learned weights foretold the test
    /// quarters' outcomes better (the bootstrap interval of the
    /// difference above 0), worse (below 0), or no differently, and what
    /// to do.
    pub fn verdict(&self) -> String {
        let Some(t) = self.overall() else {
            return "No test quarter: nothing to judge the learned weights on.".into();
        };
        let (Some(e), Some(l), Some((lo, hi))) = (t.auc_expert, t.auc_learned, t.difference) else {
            return format!(
                "The test quarters hold {} positive of {} village-quarters: no AUC to judge by; \
                 keep the expert weights.",
                t.positives, t.villages
            );
        };
        let figures = format!(
            "out-of-sample AUC {e:.3} expert, {l:.3} learned; difference {:+.3}, 95 % bootstrap \
             interval {lo:+.3} to {hi:+.3}; {} village-quarters, {} positive",
            l - e,
            t.villages,
            t.positives
        );
        if lo > 0.0 {
            format!(
                "The learned weights raise the out-of-sample AUC ({figures}). Review the tiers \
                 below before scoring with them."
            )
        } else if hi < 0.0 {
            format!(
                "The learned weights lower the out-of-sample AUC ({figures}): they fit the \
                 training quarters' {} positives of {} better than they foretell later ones; \
                 keep the expert weights.",
                self.fitted.positives, self.fitted.examples
            )
        } else {
            format!(
                "The learned weights do not clearly raise the out-of-sample AUC ({figures}): \
                 the interval holds 0, so the test quarters cannot tell the two apart (with \
                 {} positives to learn from, the outcomes hold little the expert weights do \
                 not already rank); keep the expert weights.",
                self.fitted.positives
            )
        }
    }
}

/// The report as Markdown: the split, the verdict, the test table, then
/// expert against learned effective weights.
pub fn render(r: &FitReport, framework: &Framework) -> String {
    let f = |x: Option<f64>| x.map_or("–".into(), |x| format!("{x:.3}"));
    let q = |qs: &[Quarter]| match (qs.first(), qs.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
        (Some(a), _) => a.to_string(),
        _ => "–".into(),
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## Weights learned from outcomes\n\n\
         Labels: {}. Trained on {} ({} village-quarters, {} positive, labels known by {}), \
         tested on {} only. Non-negative logistic regression (linfa) on each indicator's \
         suspicion (100 − normalised score), L2 penalty {}, blended with the expert weights \
         at a share of {} ({}); {} fit(s); indicators the fit left at 0: {} with no variation \
         in training, {} whose coefficient came out below 0. Weights written to `{}`; the \
         learned index is scored from that file by the same engine.\n",
        match r.source {
            LabelSource::Cases => "a case filed (立案) about the village in the next two quarters",
            LabelSource::Dispositions =>
                "an alert of the village found true by verification (confirmed, partly, rectified) \
                 and not yet rectified; undecided alerts left out",
        },
        q(&r.split.train),
        r.fitted.examples,
        r.fitted.positives,
        crate::period::date_of(r.split.known_by),
        q(&r.split.test),
        r.fitted.penalty,
        r.fitted.blend,
        if r.fitted.selection.is_empty() {
            "the defaults: one training quarter leaves none to choose on".to_string()
        } else {
            format!(
                "chosen on {}, fitted on the quarters before it and scored as the engine scores; \
                 best AUC by penalty (with its share): {}",
                r.split.train[r.split.train.len() - 1],
                r.fitted
                    .selection
                    .iter()
                    .map(|(a, b, x)| format!("{a} {} ({b})", f(*x)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        r.fitted.rounds,
        r.fitted.constant.len(),
        r.fitted.negative.len(),
        r.written,
    );
    let _ = writeln!(s, "**{}**\n", r.verdict());
    let _ = writeln!(
        s,
        "| test quarter | villages | positive | AUC expert | AUC learned | learned − expert, 95 % interval |\n|---|---|---|---|---|---|"
    );
    for t in &r.tests {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            t.quarter,
            t.villages,
            t.positives,
            f(t.auc_expert),
            f(t.auc_learned),
            t.difference
                .map_or("–".into(), |(lo, hi)| format!("{lo:+.3} to {hi:+.3}"))
        );
    }
    let [(er, ey, eg), (lr, ly, lg)] = r.tiers;
    let _ = writeln!(
        s,
        "\nTiers in the last test quarter (red / yellow / green): expert {er} / {ey} / {eg}, \
         learned {lr} / {ly} / {lg}. The learned effective weights sum to 1 with no deduction \
         beyond it, so the tier thresholds may need review before the learned weights are used.\n"
    );
    let _ = writeln!(
        s,
        "| indicator | dimension | expert weight | fitted weight | learned weight (blended) |\n|---|---|---|---|---|"
    );
    let mut order: Vec<usize> = (0..framework.indicators.len()).collect();
    order.sort_by(|&a, &b| {
        r.fitted.effective[b]
            .total_cmp(&r.fitted.effective[a])
            .then(r.expert[b].total_cmp(&r.expert[a]))
            .then(a.cmp(&b))
    });
    for k in order {
        let i = &framework.indicators[k];
        let _ = writeln!(
            s,
            "| `{}` | {} | {:.4} | {:.4} | {:.4} |",
            i.id, i.dimension, r.expert[k], r.fitted.fitted[k], r.fitted.effective[k]
        );
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(y: i32, n: u8) -> Quarter {
        Quarter::new(y, n).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn the_fit_finds_the_signal_and_keeps_weights_non_negative() {
        // Indicator 0 tells the outcome; 1 is noise; 2 points the wrong
        // way (higher suspicion, fewer outcomes); 3 never varies.
        let mut rng = 12345u64;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (rng >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut examples = Vec::new();
        for i in 0..400 {
            let positive = i % 5 == 0;
            let signal = if positive {
                60.0 + 30.0 * next()
            } else {
                40.0 * next()
            };
            let wrong = if positive {
                20.0 * next()
            } else {
                30.0 + 40.0 * next()
            };
            examples.push(Example {
                quarter: q(2025, 1 + (i % 4) as u8),
                suspicion: vec![Some(signal), Some(100.0 * next()), Some(wrong), Some(5.0)],
                positive,
            });
        }
        let structure = Structure {
            dimension: vec![0; 4],
            deducts: vec![false],
        };
        let fitted = fit(&examples, &structure, &[0.25; 4]).unwrap_or_else(|e| panic!("{e}"));
        assert!(fitted.effective.iter().all(|&w| w >= 0.0), "{fitted:?}");
        assert!((fitted.effective.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!((fitted.fitted.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(fitted.fitted[0] > 0.8, "{fitted:?}");
        assert_eq!(fitted.fitted[2], 0.0);
        // The blend: the share of the expert's equal weights chosen.
        assert!(BLENDS.contains(&fitted.blend));
        let want = (1.0 - fitted.blend) * fitted.fitted[0] + fitted.blend * 0.25;
        assert!((fitted.effective[0] - want).abs() < 1e-12);
        assert!(fitted.negative.contains(&2), "{fitted:?}");
        assert_eq!(fitted.constant, vec![3]);
        // The penalty was chosen on 2025Q4, fitted on the three before.
        assert_eq!(fitted.selection.len(), PENALTIES.len());
        assert!(PENALTIES.contains(&fitted.penalty));
        assert!(
            fitted
                .selection
                .iter()
                .all(|(_, _, a)| a.is_some_and(|a| a > 0.9)),
            "{fitted:?}"
        );
    }

    #[test]
    fn too_few_positives_is_said_not_fitted() {
        let examples: Vec<Example> = (0..50)
            .map(|i| Example {
                quarter: q(2025, 1),
                suspicion: vec![Some(f64::from(i))],
                positive: i < 2,
            })
            .collect();
        let structure = Structure {
            dimension: vec![0],
            deducts: vec![false],
        };
        let e = fit(&examples, &structure, &[1.0])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("2 positive and 48 negative"), "{e}");
    }

    #[test]
    fn the_split_leaves_no_look_ahead() {
        let quarters = q(2025, 1).through(q(2026, 2)); // 6 quarters
        let s = split(&quarters, LabelSource::Cases).unwrap_or_else(|| unreachable!());
        assert_eq!(s.test, vec![q(2026, 1), q(2026, 2)]);
        // A case label of Q is known at the end of Q+2: 2025Q3's by 2026Q1's end.
        assert_eq!(s.train, q(2025, 1).through(q(2025, 3)));
        let d = split(&quarters, LabelSource::Dispositions).unwrap_or_else(|| unreachable!());
        assert_eq!(d.train, q(2025, 1).through(q(2025, 4)));
        assert_eq!(crate::period::date_of(d.known_by).to_string(), "2026-03-31");
        assert_eq!(split(&quarters[..1], LabelSource::Cases), None);
    }

    #[test]
    fn verdicts_label_the_alerts_quarters_until_rectified() {
        let day = |s: &str| {
            day_number(
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{e}")),
            )
        };
        let d = |id: &str, outcome, decided: &str| Disposition {
            alert_id: id.into(),
            village_code: id[..12].into(),
            outcome,
            decided: day(decided),
        };
        let outcomes = Outcomes::Dispositions(vec![
            d("990101001201:red:2025Q2", Status::Confirmed, "2025-08-01"),
            d("990101001201:red:2025Q2", Status::Rectified, "2025-11-15"),
            d(
                "990101001202:red:2025Q2",
                Status::FalsePositive,
                "2025-08-01",
            ),
            d("990101001203:summons:2025Q3", Status::Pending, "2025-08-01"),
        ]);
        let at = |y, n, code: &str, known: Option<&str>| {
            outcomes.labels(q(y, n), known.map(day)).of(code)
        };
        assert_eq!(
            at(2025, 1, "990101001201", None),
            Some(false),
            "before the alert"
        );
        assert_eq!(at(2025, 3, "990101001201", None), Some(true));
        assert_eq!(
            at(2025, 4, "990101001201", None),
            Some(true),
            "rectified in it"
        );
        assert_eq!(at(2026, 1, "990101001201", None), Some(false), "after");
        assert_eq!(at(2025, 3, "990101001202", None), Some(false));
        assert_eq!(at(2025, 3, "990101001203", None), None, "pending");
        assert_eq!(
            at(2025, 3, "990101001299", None),
            Some(false),
            "never alerted"
        );
        // Known only by 2025-07-31: the alert is not decided yet.
        assert_eq!(at(2025, 3, "990101001201", Some("2025-07-31")), None);
    }

    #[test]
    fn cases_label_the_next_two_quarters() {
        let filed = BTreeMap::from([("v1".to_string(), BTreeSet::from([q(2025, 3)]))]);
        let o = Outcomes::Cases(filed);
        assert_eq!(o.labels(q(2025, 1), None).of("v1"), Some(true));
        assert_eq!(o.labels(q(2025, 2), None).of("v1"), Some(true));
        assert_eq!(o.labels(q(2025, 3), None).of("v1"), Some(false));
        assert_eq!(o.labels(q(2025, 1), None).of("v2"), Some(false));
        // 2025Q1's label is known at the end of 2025Q3.
        let end_q2 = day_number(q(2025, 2).end()) - 1;
        assert_eq!(o.labels(q(2025, 1), Some(end_q2)).of("v1"), None);
    }
}

#[cfg(test)]
mod structure_tests {
    use super::*;

    #[test]
    fn the_proxy_index_is_the_engines_arithmetic() {
        // Dimension 0 arithmetic (indicators 0, 1), dimension 1 deduction
        // (indicator 2); effective weights 0.3, 0.3, 0.4.
        let s = Structure {
            dimension: vec![0, 0, 1],
            deducts: vec![false, true],
        };
        let e = [0.3, 0.3, 0.4];
        // Scores 80, 60 and 90: dimension 0 = 70; dimension 1 deducts
        // w = 0.4 / 0.4 = 1 per point: 90; index (0.6·70 + 0.4·90) / 1.
        let x = [Some(20.0), Some(40.0), Some(10.0)];
        let got = s.index(&e, &x).unwrap_or(f64::NAN);
        assert!((got - 78.0).abs() < 1e-9, "{got}");
        // Indicator 1 missing: dimension 0 is indicator 0 alone.
        let got = s
            .index(&e, &[Some(20.0), None, Some(10.0)])
            .unwrap_or(f64::NAN);
        assert!((got - (0.6 * 80.0 + 0.4 * 90.0)).abs() < 1e-9, "{got}");
        // Nothing: no index.
        assert_eq!(s.index(&e, &[None, None, None]), None);
    }
}

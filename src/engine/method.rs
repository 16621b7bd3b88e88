//! The scoring methods a framework chooses, per indicator and per level:
//! normalisation, outlier treatment, shrinkage of small-village rates,
//! imputation, weighting, aggregation, vetoes and the Monte Carlo
//! uncertainty settings. Raw serde structs (unknown keys refused by path)
//! and the one validation pass that fills every default in one place; the
//! defaults are documented in `docs/methodology.md`.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::impute::Imputation;
use super::treatment::OutlierRule;
use super::weights::Comparison;
use crate::error::{At, FrameworkProblem, ProblemKind};

// ---------------------------------------------------------------- raw form

/// `[scoring]` in framework.toml: the defaults for every indicator and
/// dimension, and how dimensions combine into the index.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScoring {
    normalisation: Option<NormalisationKind>,
    range: Option<[f64; 2]>,
    z_score: Option<RawZScore>,
    treatment: Option<TreatmentKind>,
    outliers: Option<RawOutliers>,
    shrinkage: Option<Shrinkage>,
    imputation: Option<ImputationKind>,
    min_availability: Option<f64>,
    aggregation: Option<Aggregation>,
    weights: Option<WeightKind>,
    index: Option<RawLevel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZScore {
    mean: f64,
    sd: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutliers {
    max_winsorised: Option<usize>,
    skew: Option<f64>,
    kurtosis: Option<f64>,
}

/// How the children of one level combine: `[scoring.index]`, or the
/// `aggregation`, `weights` and `comparisons` keys of a `[[dimension]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLevel {
    pub aggregation: Option<Aggregation>,
    pub weights: Option<WeightKind>,
    #[serde(default)]
    pub comparisons: Vec<RawComparison>,
}

/// One AHP judgement: `a` is `ratio` times as important as `b`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawComparison {
    a: String,
    b: String,
    ratio: f64,
}

/// The scoring keys of one `[[indicator]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIndicatorMethod {
    pub normalisation: Option<NormalisationKind>,
    pub goalposts: Option<RawGoalposts>,
    pub deduction: Option<RawDeduction>,
    pub treatment: Option<TreatmentKind>,
    pub shrinkage: Option<Shrinkage>,
    pub imputation: Option<ImputationKind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGoalposts {
    worst: f64,
    best: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDeduction {
    per_unit: f64,
    cap: f64,
}

/// `[uncertainty]` in framework.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUncertainty {
    runs: Option<usize>,
    seed: Option<u64>,
    weight_spread: Option<f64>,
    normalisations: Option<Vec<NormalisationKind>>,
    aggregations: Option<Vec<Aggregation>>,
    certain_at: Option<f64>,
}

/// `[[veto]]` in framework.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVeto {
    id: String,
    datapoint: Option<String>,
    indicator: Option<String>,
    at_least: f64,
    cap: CapTier,
    reason_zh: String,
    reason_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NormalisationKind {
    MinMax,
    ZScore,
    PercentileRank,
    Goalposts,
    Target,
    Deduction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TreatmentKind {
    None,
    Jrc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ImputationKind {
    None,
    TownshipMean,
    TownshipMedian,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WeightKind {
    Explicit,
    Equal,
    Entropy,
    Ahp,
}

// ------------------------------------------------------------ validated form

/// How one indicator's values become 0–100 scores (higher is cleaner).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Normalisation {
    /// `low + (high − low)·(x − min)/(max − min)` within the quarter.
    MinMax { low: f64, high: f64 },
    /// `mean + sd·z`, z with the sample standard deviation.
    ZScore { mean: f64, sd: f64 },
    /// `(rank − 1)/(n − 1)` mapped to `[low, high]`, ties at the lowest rank.
    PercentileRank { low: f64, high: f64 },
    /// Fixed bounds kept across quarters: `worst` → 0, `best` → 100, clamped.
    Goalposts { worst: f64, best: f64 },
    /// Distance to the indicator's `target`, from the quarter's worst value
    /// (0) to the target (100), capped at 100.
    Target { target: f64 },
    /// Deduction scoring (扣分制): 100 less `per_unit` points per unit, at
    /// most `cap` points.
    Deduction { per_unit: f64, cap: f64 },
}

impl Normalisation {
    pub fn as_str(&self) -> &'static str {
        match self {
            Normalisation::MinMax { .. } => "min_max",
            Normalisation::ZScore { .. } => "z_score",
            Normalisation::PercentileRank { .. } => "percentile_rank",
            Normalisation::Goalposts { .. } => "goalposts",
            Normalisation::Target { .. } => "target",
            Normalisation::Deduction { .. } => "deduction",
        }
    }

    /// Scaled on the quarter's own values (so the Monte Carlo may swap it
    /// for another data-relative method), rather than on fixed bounds.
    pub fn is_relative(&self) -> bool {
        matches!(
            self,
            Normalisation::MinMax { .. }
                | Normalisation::ZScore { .. }
                | Normalisation::PercentileRank { .. }
        )
    }

    /// The lowest score it can give; `None` when unbounded (z-score).
    pub fn floor(&self) -> Option<f64> {
        match *self {
            Normalisation::MinMax { low, high } | Normalisation::PercentileRank { low, high } => {
                Some(low.min(high))
            }
            Normalisation::ZScore { .. } => None,
            Normalisation::Goalposts { .. } | Normalisation::Target { .. } => Some(0.0),
            Normalisation::Deduction { cap, .. } => Some((100.0 - cap).max(0.0)),
        }
    }
}

/// Outlier treatment of one indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Treatment {
    None,
    /// The JRC rule (COINr's default): winsorise while |skew| and kurtosis
    /// fail, then log-transform.
    Jrc(OutlierRule),
}

/// Empirical-Bayes shrinkage of rates and shares toward a pooled rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shrinkage {
    None,
    District,
    Township,
}

impl Shrinkage {
    pub fn as_str(self) -> &'static str {
        match self {
            Shrinkage::None => "none",
            Shrinkage::District => "district",
            Shrinkage::Township => "township",
        }
    }
}

/// How a level's children are weighted.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightMethod {
    /// The `weight` of each child.
    Explicit,
    Equal,
    /// Entropy weight method (熵权法) on the children's scores.
    Entropy,
    /// AHP from pairwise comparisons keyed by child id.
    Ahp(Vec<Comparison>),
}

impl WeightMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            WeightMethod::Explicit => "explicit",
            WeightMethod::Equal => "equal",
            WeightMethod::Entropy => "entropy",
            WeightMethod::Ahp(_) => "ahp",
        }
    }
}

/// How a level's children combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Σ w·x / Σ w.
    Arithmetic,
    /// exp(Σ w·ln x / Σ w); needs scores of at least 1.
    Geometric,
    /// Deduction scoring (扣分制): 100 − Σ w·(100 − x), never below the
    /// lowest child's score. Every
    /// child's shortfall from full marks is deducted in full, times its
    /// weight (weights are multipliers here, not shares), so one finding
    /// is not averaged away by the children without one. Meant for
    /// children scored on the fixed 0–100 scale of `deduction`
    /// normalisation. A level's own rule: the Monte Carlo's switch of
    /// aggregation leaves it as it is.
    Deduction,
}

impl Aggregation {
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Arithmetic => "arithmetic",
            Aggregation::Geometric => "geometric",
            Aggregation::Deduction => "deduction",
        }
    }
}

/// A level's method.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelMethod {
    pub aggregation: Aggregation,
    pub weights: WeightMethod,
}

impl Default for LevelMethod {
    fn default() -> Self {
        Self {
            aggregation: Aggregation::Arithmetic,
            weights: WeightMethod::Explicit,
        }
    }
}

/// An indicator's method.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorMethod {
    pub normalisation: Normalisation,
    pub treatment: Treatment,
    pub shrinkage: Shrinkage,
    pub imputation: Imputation,
}

impl Default for IndicatorMethod {
    fn default() -> Self {
        Self {
            normalisation: Normalisation::MinMax {
                low: 0.0,
                high: 100.0,
            },
            treatment: Treatment::None,
            shrinkage: Shrinkage::None,
            imputation: Imputation::None,
        }
    }
}

/// The most a veto lets a village reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapTier {
    Yellow,
    Red,
}

/// What a veto looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VetoOn {
    DataPoint(String),
    Indicator(String),
}

/// A negative-list rule (一票否决): a village whose data point or
/// indicator reaches `at_least` cannot be tiered above `cap`.
#[derive(Debug, Clone, PartialEq)]
pub struct Veto {
    pub id: String,
    pub on: VetoOn,
    pub at_least: f64,
    pub cap: CapTier,
    pub reason_zh: String,
    pub reason_en: String,
}

/// Monte Carlo settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncertainty {
    pub runs: usize,
    pub seed: u64,
    /// Each weight is multiplied by a factor drawn uniformly from
    /// [1 − spread, 1 + spread].
    pub weight_spread: f64,
    /// Alternatives for the data-relative indicators (on 0–100).
    pub normalisations: Vec<Normalisation>,
    pub aggregations: Vec<Aggregation>,
    /// A tier holding in fewer runs than this share is marked uncertain.
    pub certain_at: f64,
}

impl Default for Uncertainty {
    fn default() -> Self {
        Self {
            runs: 1000,
            seed: 20261123,
            weight_spread: 0.25,
            normalisations: vec![
                Normalisation::MinMax {
                    low: 0.0,
                    high: 100.0,
                },
                Normalisation::PercentileRank {
                    low: 0.0,
                    high: 100.0,
                },
            ],
            aggregations: vec![Aggregation::Arithmetic, Aggregation::Geometric],
            certain_at: 0.8,
        }
    }
}

/// The framework-wide scoring settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Scoring {
    /// Share of a dimension's scorable indicators a village needs in every
    /// dimension to be ranked.
    pub min_availability: f64,
    /// Dimensions into the index.
    pub index: LevelMethod,
    pub vetoes: Vec<Veto>,
    /// `None`: no Monte Carlo (`runs = 0`).
    pub uncertainty: Option<Uncertainty>,
}

impl Default for Scoring {
    fn default() -> Self {
        Self {
            min_availability: 0.0,
            index: LevelMethod::default(),
            vetoes: Vec::new(),
            uncertainty: Some(Uncertainty::default()),
        }
    }
}

// ---------------------------------------------------------------- validation

/// The framework-wide defaults after validation, used to resolve each
/// indicator and dimension.
#[derive(Debug, Clone)]
pub(crate) struct Defaults {
    kind: NormalisationKind,
    range: (f64, f64),
    z: (f64, f64),
    treatment: TreatmentKind,
    rule: OutlierRule,
    shrinkage: Shrinkage,
    imputation: ImputationKind,
    level: (Aggregation, WeightKind),
}

/// Validates `[scoring]`: the defaults, the index level and the minimum
/// availability. `dimensions` are the ids the index comparisons may name.
pub(crate) fn scoring(
    raw: Option<RawScoring>,
    dimensions: &[String],
    problems: &mut Vec<FrameworkProblem>,
) -> (Defaults, f64, LevelMethod) {
    let raw = raw.unwrap_or_default();
    let at = At::file("framework.toml").key("scoring");
    let range = raw.range.map_or((0.0, 100.0), |[a, b]| (a, b));
    if !(range.0.is_finite() && range.1.is_finite() && range.0 < range.1) {
        problems.push(at.key("range").problem(ProblemKind::Invalid, format!(
            "[{}, {}] must be two finite numbers, low < high (for example [0, 100], or [1, 100] for geometric aggregation)",
            range.0, range.1
        )));
    }
    let z = raw.z_score.map_or((50.0, 10.0), |z| (z.mean, z.sd));
    if !(z.0.is_finite() && z.1.is_finite() && z.1 > 0.0) {
        problems.push(at.key("z_score").problem(
            ProblemKind::Invalid,
            format!("mean {} and sd {} must be finite, sd > 0", z.0, z.1),
        ));
    }
    let mut rule = OutlierRule::default();
    if let Some(o) = raw.outliers {
        rule.max_winsorised = o.max_winsorised.unwrap_or(rule.max_winsorised);
        rule.skew = o.skew.unwrap_or(rule.skew);
        rule.kurtosis = o.kurtosis.unwrap_or(rule.kurtosis);
        if !(rule.skew.is_finite() && rule.skew > 0.0 && rule.kurtosis.is_finite()) {
            problems.push(at.key("outliers").problem(ProblemKind::Invalid, format!(
                "skew {} must be > 0 and kurtosis {} finite (the JRC rule is skew 2, kurtosis 3.5)",
                rule.skew, rule.kurtosis
            )));
        }
    }
    let min_availability = raw.min_availability.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&min_availability) {
        problems.push(at.key("min_availability").problem(
            ProblemKind::Invalid,
            format!("{min_availability} must be a share from 0 to 1"),
        ));
    }
    let level_default = (
        raw.aggregation.unwrap_or(Aggregation::Arithmetic),
        raw.weights.unwrap_or(WeightKind::Explicit),
    );
    let index = level(
        &at.key("index"),
        raw.index.unwrap_or_default(),
        (Aggregation::Arithmetic, WeightKind::Explicit),
        dimensions,
        problems,
    );
    (
        Defaults {
            kind: raw.normalisation.unwrap_or(NormalisationKind::MinMax),
            range,
            z,
            treatment: raw.treatment.unwrap_or(TreatmentKind::None),
            rule,
            shrinkage: raw.shrinkage.unwrap_or(Shrinkage::None),
            imputation: raw.imputation.unwrap_or(ImputationKind::None),
            level: level_default,
        },
        min_availability,
        index,
    )
}

/// Validates one level's method; `children` are the ids its comparisons
/// may name.
pub(crate) fn level(
    at: &At,
    raw: RawLevel,
    default: (Aggregation, WeightKind),
    children: &[String],
    problems: &mut Vec<FrameworkProblem>,
) -> LevelMethod {
    let aggregation = raw.aggregation.unwrap_or(default.0);
    let kind = raw.weights.unwrap_or(default.1);
    let weights = match kind {
        WeightKind::Explicit => WeightMethod::Explicit,
        WeightKind::Equal => WeightMethod::Equal,
        WeightKind::Entropy => WeightMethod::Entropy,
        WeightKind::Ahp => {
            let comparisons: Vec<Comparison> = raw
                .comparisons
                .iter()
                .map(|c| Comparison {
                    a: c.a.clone(),
                    b: c.b.clone(),
                    ratio: c.ratio,
                })
                .collect();
            let ids: Vec<&str> = children.iter().map(String::as_str).collect();
            match super::weights::ahp(&ids, &comparisons) {
                Ok(a) if a.cr >= 0.1 => problems.push(at.key("comparisons").problem(ProblemKind::Invalid, format!(
                    "the AHP matrix over {} is inconsistent (consistency ratio {:.3}, must be < 0.1); revise the judgements so that they agree (if a is 2× b and b is 3× c, a should be about 6× c)",
                    ids.join(", "),
                    a.cr
                ))),
                Ok(_) => {}
                Err(errs) => problems.extend(
                    errs.into_iter()
                        .map(|e| at.key("comparisons").problem(ahp_kind(&e), e)),
                ),
            }
            WeightMethod::Ahp(comparisons)
        }
    };
    if kind != WeightKind::Ahp && !raw.comparisons.is_empty() {
        problems.push(at.key("comparisons").problem(
            ProblemKind::Invalid,
            "only weights = \"ahp\" takes pairwise comparisons",
        ));
    }
    LevelMethod {
        aggregation,
        weights,
    }
}

/// The kind of a problem [`super::weights::ahp`] reports in words: an id
/// it does not know is a reference, a pair or id given twice a duplicate.
fn ahp_kind(problem: &str) -> ProblemKind {
    if problem.contains("unknown id") {
        ProblemKind::Reference
    } else if problem.contains("judged twice") || problem.contains("listed more than once") {
        ProblemKind::Duplicate
    } else {
        ProblemKind::Invalid
    }
}

/// The default method of a dimension's indicators.
pub(crate) fn dimension_default(d: &Defaults) -> (Aggregation, WeightKind) {
    d.level
}

/// What the indicator validation needs to know about the indicator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IndicatorFacts {
    pub two_sided: bool,
    pub higher_is_better: bool,
    pub target: Option<f64>,
    /// A rate or share of counts (shrinkage applies).
    pub proportion: bool,
}

/// Resolves one indicator's method against the defaults.
pub(crate) fn indicator(
    at: &At,
    raw: RawIndicatorMethod,
    facts: IndicatorFacts,
    d: &Defaults,
    problems: &mut Vec<FrameworkProblem>,
) -> IndicatorMethod {
    let kind = raw.normalisation.unwrap_or(d.kind);
    let lower_better = !facts.higher_is_better || facts.two_sided;
    if raw.goalposts.is_some() && kind != NormalisationKind::Goalposts {
        problems.push(at.key("goalposts").problem(
            ProblemKind::Invalid,
            "only normalisation = \"goalposts\" takes goalposts",
        ));
    }
    if raw.deduction.is_some() && kind != NormalisationKind::Deduction {
        problems.push(at.key("deduction").problem(
            ProblemKind::Invalid,
            "only normalisation = \"deduction\" takes a deduction",
        ));
    }
    let normalisation = match kind {
        NormalisationKind::MinMax => Normalisation::MinMax {
            low: d.range.0,
            high: d.range.1,
        },
        NormalisationKind::PercentileRank => Normalisation::PercentileRank {
            low: d.range.0,
            high: d.range.1,
        },
        NormalisationKind::ZScore => Normalisation::ZScore {
            mean: d.z.0,
            sd: d.z.1,
        },
        NormalisationKind::Goalposts => match raw.goalposts {
            Some(g) => {
                if !(g.worst.is_finite() && g.best.is_finite()) || g.worst == g.best {
                    problems.push(at.key("goalposts").problem(
                        ProblemKind::Invalid,
                        format!(
                            "worst {} and best {} must be finite and differ",
                            g.worst, g.best
                        ),
                    ));
                } else if lower_better != (g.best < g.worst) {
                    problems.push(at.key("goalposts").problem(
                        ProblemKind::Invalid,
                        format!(
                            "best {} and worst {} disagree with the direction ({}); swap them",
                            g.best,
                            g.worst,
                            if lower_better {
                                "lower is better, so best < worst"
                            } else {
                                "higher is better, so best > worst"
                            }
                        ),
                    ));
                }
                Normalisation::Goalposts {
                    worst: g.worst,
                    best: g.best,
                }
            }
            None => {
                problems.push(at.key("goalposts").problem(ProblemKind::Invalid, "normalisation = \"goalposts\" needs goalposts = { worst = .., best = .. } in the indicator's raw unit"));
                Normalisation::Goalposts {
                    worst: 0.0,
                    best: 1.0,
                }
            }
        },
        NormalisationKind::Target => {
            if facts.two_sided {
                problems.push(at.key("normalisation").problem(ProblemKind::Invalid, "a two_sided indicator is already scored on its distance from `target`; use another normalisation"));
            }
            match facts.target {
                Some(t) => Normalisation::Target { target: t },
                None => {
                    problems.push(at.key("target").problem(
                        ProblemKind::Invalid,
                        "normalisation = \"target\" needs the value to reach as `target`",
                    ));
                    Normalisation::Target { target: 0.0 }
                }
            }
        }
        NormalisationKind::Deduction => {
            if !lower_better {
                problems.push(at.key("normalisation").problem(ProblemKind::Invalid, "deduction scoring deducts points per unit of something bad; a higher_is_better indicator cannot use it"));
            }
            match raw.deduction {
                Some(x) => {
                    if !(x.per_unit.is_finite()
                        && x.per_unit > 0.0
                        && x.cap > 0.0
                        && x.cap <= 100.0)
                    {
                        problems.push(at.key("deduction").problem(
                            ProblemKind::Invalid,
                            format!(
                                "per_unit {} must be > 0 and cap {} from above 0 to 100 points",
                                x.per_unit, x.cap
                            ),
                        ));
                    }
                    Normalisation::Deduction {
                        per_unit: x.per_unit,
                        cap: x.cap,
                    }
                }
                None => {
                    problems.push(at.key("deduction").problem(ProblemKind::Invalid, "normalisation = \"deduction\" needs deduction = { per_unit = .., cap = .. } (points out of 100)"));
                    Normalisation::Deduction {
                        per_unit: 1.0,
                        cap: 100.0,
                    }
                }
            }
        }
    };
    let shrinkage = match raw.shrinkage {
        Some(s) if s != Shrinkage::None && !facts.proportion => {
            problems.push(at.key("shrinkage").problem(ProblemKind::Invalid, "only rate_per_1000 and share indicators of counts can be shrunk; set shrinkage = \"none\""));
            Shrinkage::None
        }
        Some(s) => s,
        // The framework default applies where it can.
        None if facts.proportion => d.shrinkage,
        None => Shrinkage::None,
    };
    let treatment = match raw.treatment.unwrap_or(d.treatment) {
        TreatmentKind::None => Treatment::None,
        TreatmentKind::Jrc => Treatment::Jrc(d.rule),
    };
    let imputation = match raw.imputation.unwrap_or(d.imputation) {
        ImputationKind::None => Imputation::None,
        ImputationKind::TownshipMean => Imputation::GroupMean,
        ImputationKind::TownshipMedian => Imputation::GroupMedian,
    };
    IndicatorMethod {
        normalisation,
        treatment,
        shrinkage,
        imputation,
    }
}

/// Validates `[uncertainty]`.
pub(crate) fn uncertainty(
    raw: Option<RawUncertainty>,
    problems: &mut Vec<FrameworkProblem>,
) -> Option<Uncertainty> {
    let at = At::file("framework.toml").key("uncertainty");
    let def = Uncertainty::default();
    let Some(raw) = raw else {
        return Some(def);
    };
    let runs = raw.runs.unwrap_or(def.runs);
    let weight_spread = raw.weight_spread.unwrap_or(def.weight_spread);
    if !(0.0..1.0).contains(&weight_spread) {
        problems.push(at.key("weight_spread").problem(ProblemKind::Invalid, format!("{weight_spread} must be from 0 to below 1 (0.25 perturbs each weight by up to ±25%)")));
    }
    let certain_at = raw.certain_at.unwrap_or(def.certain_at);
    if !(certain_at > 0.0 && certain_at <= 1.0) {
        problems.push(at.key("certain_at").problem(
            ProblemKind::Invalid,
            format!("{certain_at} must be a share above 0, at most 1"),
        ));
    }
    let normalisations = match raw.normalisations {
        None => def.normalisations,
        Some(kinds) => {
            let mut out = Vec::new();
            for k in kinds {
                match k {
                    NormalisationKind::MinMax => out.push(Normalisation::MinMax {
                        low: 0.0,
                        high: 100.0,
                    }),
                    NormalisationKind::PercentileRank => {
                        out.push(Normalisation::PercentileRank {
                            low: 0.0,
                            high: 100.0,
                        })
                    }
                    other => problems.push(at.key("normalisations").problem(ProblemKind::Invalid, format!("{other:?} is not on a 0-100 scale fitted to the quarter; the alternatives are min_max and percentile_rank"))),
                }
            }
            out
        }
    };
    let aggregations = raw.aggregations.unwrap_or(def.aggregations);
    if runs > 0 && (normalisations.is_empty() || aggregations.is_empty()) {
        problems.push(at.problem(
            ProblemKind::Invalid,
            "normalisations and aggregations need at least one entry each",
        ));
    }
    (runs > 0).then_some(Uncertainty {
        runs,
        seed: raw.seed.unwrap_or(def.seed),
        weight_spread,
        normalisations,
        aggregations,
        certain_at,
    })
}

/// Validates the `[[veto]]` rules against the data point and indicator ids.
pub(crate) fn vetoes(
    raw: Vec<RawVeto>,
    datapoints: &BTreeSet<String>,
    indicators: &BTreeSet<String>,
    problems: &mut Vec<FrameworkProblem>,
) -> Vec<Veto> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, v) in raw.into_iter().enumerate() {
        let at = At::file("framework.toml").entry("veto", i, &v.id);
        if !seen.insert(v.id.clone()) {
            problems.push(at.key("id").problem(
                ProblemKind::Duplicate,
                format!("'{}' is defined more than once", v.id),
            ));
        }
        let on = match (v.datapoint, v.indicator) {
            (Some(d), None) => {
                if !datapoints.contains(&d) {
                    problems.push(at.key("datapoint").problem(
                        ProblemKind::Reference,
                        format!("'{d}' is not a data point of the framework"),
                    ));
                }
                VetoOn::DataPoint(d)
            }
            (None, Some(ind)) => {
                if !indicators.contains(&ind) {
                    problems.push(at.key("indicator").problem(
                        ProblemKind::Reference,
                        format!("'{ind}' is not an indicator of the framework"),
                    ));
                }
                VetoOn::Indicator(ind)
            }
            _ => {
                problems.push(at.problem(
                    ProblemKind::Invalid,
                    "name exactly one of `datapoint` or `indicator` to look at",
                ));
                continue;
            }
        };
        if !v.at_least.is_finite() {
            problems.push(at.key("at_least").problem(
                ProblemKind::Invalid,
                format!("{} is not finite", v.at_least),
            ));
        }
        if v.reason_zh.trim().is_empty() || v.reason_en.trim().is_empty() {
            problems.push(at.problem(ProblemKind::Invalid, "reason_zh and reason_en must say why the tier is capped; they are shown beside the village"));
        }
        out.push(Veto {
            id: v.id,
            on,
            at_least: v.at_least,
            cap: v.cap,
            reason_zh: v.reason_zh,
            reason_en: v.reason_en,
        });
    }
    out
}

/// Checks that every child of a geometric level scores at least 1, naming
/// the offending children.
pub(crate) fn check_geometric(
    at: &At,
    children: &[(String, Option<f64>)],
    problems: &mut Vec<FrameworkProblem>,
) {
    let bad: Vec<&str> = children
        .iter()
        .filter(|(_, floor)| !floor.is_some_and(|f| f >= 1.0))
        .map(|(id, _)| id.as_str())
        .collect();
    if !bad.is_empty() {
        problems.push(at.key("aggregation").problem(ProblemKind::Invalid, format!(
            "geometric aggregation needs scores of at least 1 (so that each indicator's share of the index, w·ln x / Σ w·ln x, is not negative), but {} can score below 1; use min_max or percentile_rank with scoring.range = [1, 100] (no z_score, goalposts, target or deduction), or arithmetic aggregation",
            bad.join(", ")
        )));
    }
}

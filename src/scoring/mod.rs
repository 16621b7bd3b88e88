//! Scoring: the framework's indicators → dimensions → index for one
//! quarter, on the framework-free engine in `crate::engine` (methods chosen per indicator and per
//! level in the framework, see `method` and docs/methodology.md), then
//! ranks, tiers, vetoes, explanations and the Monte Carlo rank intervals.
//!
//! Rules (documented in docs/methodology.md):
//! - per indicator, in this order: empirical-Bayes shrinkage of rates and
//!   shares; two-sided distance from the target (or median); imputation;
//!   outlier treatment; normalisation by direction. An indicator with no
//!   spread this quarter is left out of every village's index
//!   (`no_variation`).
//! - per level, weights by the level's method and arithmetic or geometric
//!   aggregation over the children a village has (weights renormalised).
//!   A cell's contribution is its part of the index; contributions sum to
//!   the index.
//! - a village below the minimum data availability in any dimension, or
//!   without any indicator value, is not ranked (`insufficient_data`).
//! - rank 1 is the highest index; villages whose indices agree to the 4
//!   printed decimals share the better rank (competition ranking,
//!   "1, 2, 2, 4"); listing order within a tie is by village code. Tiers
//!   use the index as printed, then vetoes cap them.

pub mod diagnosis;
pub mod explain;

use std::collections::BTreeMap;

use crate::engine::aggregate::{
    self as engine, Counts, Leaf, LeafInput, Node, Orientation, Prepared, Tree,
};
use crate::engine::method::{self, VetoOn};
use crate::engine::rank::{RankUncertainty, Tier, competition_ranks, median, rounded, tier};
use crate::engine::shrinkage;
use crate::engine::treatment::CellTreatment;
use crate::engine::uncertainty;
use crate::error::{Error, Result};
use crate::framework::{Direction, Formula, Framework};
use crate::model::{CellStatus, DataPointTable, IndicatorValues, Village};

/// An indicator gaining or losing less than this many index points
/// against the median village (0.00 as printed) explains nothing and is
/// not listed among a village's strengths or weaknesses.
pub const EXPLAIN_MIN_POINTS: f64 = 0.005;

/// One village × indicator cell after scoring.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub raw: Option<f64>,
    /// After empirical-Bayes shrinkage (`None` where not shrunk).
    pub shrunk: Option<f64>,
    pub treatment: CellTreatment,
    pub normalised: Option<f64>,
    /// `Value` when scored from its own value, `Imputed` when filled, else
    /// why not.
    pub status: CellStatus,
    pub effective_weight: f64,
    pub contribution: f64,
}

/// An indicator's part in a village's explanation: its id (framework
/// order) and the index points it gains or loses against the district's
/// median village on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Driver {
    pub indicator: usize,
    pub points: f64,
}

/// A village's change against the previous quarter.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub index: Option<f64>,
    pub rank: Option<u32>,
    pub tier: Tier,
    /// The indicators whose contribution moved most, by |change|.
    pub drivers: Vec<Driver>,
}

/// A village's result.
#[derive(Debug, Clone, PartialEq)]
pub struct VillageScore {
    pub index: Option<f64>,
    pub rank: Option<u32>,
    pub township_rank: Option<u32>,
    /// Rank among the villages of its county (the first 6 digits of its
    /// code); written only when a run holds more than one county.
    pub county_rank: Option<u32>,
    /// Ids of substantiated alerts not yet rectified that hold the tier
    /// (`lifecycle`: 整改不完成，预警不变色); `tier` is already capped by them.
    pub held_by: Vec<String>,
    pub tier: Tier,
    /// The tier before vetoes.
    pub tier_uncapped: Tier,
    /// In framework dimension order.
    pub dimensions: Vec<Option<f64>>,
    /// Per dimension, the share of its scorable indicators the village has
    /// its own value for (`None` where the dimension has none scorable).
    pub availability: Vec<Option<f64>>,
    pub indicators_scored: usize,
    /// Vetoes that fired (indices into `framework.scoring.vetoes`).
    pub vetoes: Vec<usize>,
    /// Up to three indicators lifting the village most above the median
    /// village, and three pulling it most below.
    pub strengths: Vec<Driver>,
    pub weaknesses: Vec<Driver>,
    pub uncertainty: Option<RankUncertainty>,
    /// Against the previous quarter, when it could be scored.
    pub previous: Option<Change>,
}

/// What scoring did to one indicator.
#[derive(Debug, Clone)]
pub struct IndicatorScoring {
    /// Weight within its dimension as resolved by the dimension's method
    /// (before renormalising over what a village has).
    pub weight: f64,
    pub prepared: Prepared,
}

/// The scored quarter.
#[derive(Debug, Clone)]
pub struct Scores {
    /// In village order.
    pub villages: Vec<VillageScore>,
    /// `cells[indicator][village]`, indicators in framework order.
    pub cells: Vec<Vec<Cell>>,
    pub indicators: Vec<IndicatorScoring>,
    /// Each dimension's weight in the index as resolved by the index's method.
    pub dimension_weights: Vec<f64>,
    /// District median of each indicator's normalised score.
    pub medians: Vec<Option<f64>>,
}

/// How many villages a scored quarter has in each tier (the manifest's
/// `villages`, the report's summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TierCounts {
    pub total: usize,
    pub ranked: usize,
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    pub insufficient_data: usize,
    /// Villages whose tier a veto capped.
    pub vetoed: usize,
    /// Villages whose tier holds in fewer Monte Carlo runs than the
    /// framework's `certain_at`.
    pub tier_uncertain: usize,
}

impl TierCounts {
    pub fn of(scores: &Scores) -> Self {
        let v = &scores.villages;
        let count = |t: Tier| v.iter().filter(|s| s.tier == t).count();
        Self {
            total: v.len(),
            ranked: v.iter().filter(|s| s.rank.is_some()).count(),
            green: count(Tier::Green),
            yellow: count(Tier::Yellow),
            red: count(Tier::Red),
            insufficient_data: count(Tier::InsufficientData),
            vetoed: v.iter().filter(|s| s.tier != s.tier_uncapped).count(),
            tier_uncertain: v
                .iter()
                .filter(|s| s.uncertainty.is_some_and(|u| u.uncertain))
                .count(),
        }
    }
}

/// A quarter before the assessed one, scored with the same framework
/// (for change, trends and rank movement).
#[derive(Debug, Clone)]
pub struct PastQuarter {
    pub quarter: crate::period::Quarter,
    pub villages: Vec<Village>,
    pub scores: Scores,
}

/// The framework as an engine tree: indicators under their dimensions
/// under the index.
pub fn tree(framework: &Framework) -> Tree {
    let dim_index: BTreeMap<&str, usize> = framework
        .dimensions
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let root = framework.dimensions.len();
    let mut nodes: Vec<Node> = framework
        .dimensions
        .iter()
        .map(|d| Node {
            id: d.id.clone(),
            parent: Some(root),
            weight: d.weight,
            method: d.method.clone(),
        })
        .collect();
    nodes.push(Node {
        id: "index".into(),
        parent: None,
        weight: 1.0,
        method: framework.scoring.index.clone(),
    });
    let leaves = framework
        .indicators
        .iter()
        .map(|i| Leaf {
            id: i.id.clone(),
            parent: dim_index.get(i.dimension.as_str()).copied().unwrap_or(0),
            weight: i.weight,
            orientation: match i.direction {
                Direction::HigherIsBetter => Orientation::HigherIsBetter,
                Direction::LowerIsBetter => Orientation::LowerIsBetter,
                Direction::TwoSided => Orientation::TwoSided { target: i.target },
            },
            method: i.method.clone(),
        })
        .collect();
    Tree { leaves, nodes }
}

/// The engine's input for every indicator.
fn inputs(framework: &Framework, values: &[IndicatorValues]) -> Vec<LeafInput> {
    framework
        .indicators
        .iter()
        .zip(values)
        .map(|(ind, v)| {
            let counts = match ind.formula {
                Formula::RatePer1000 if !v.numerator.is_empty() => {
                    Some((shrinkage::Model::Poisson, 1000.0))
                }
                Formula::Share if !v.numerator.is_empty() => {
                    Some((shrinkage::Model::Binomial, 1.0))
                }
                _ => None,
            }
            .map(|(model, scale)| Counts {
                numerator: v.numerator.clone(),
                denominator: v.denominator.clone(),
                model,
                scale,
            });
            LeafInput {
                raw: v.raw.clone(),
                counts,
                imputable: v
                    .status
                    .iter()
                    .map(|s| matches!(s, CellStatus::NoData | CellStatus::BelowMinDenominator))
                    .collect(),
            }
        })
        .collect()
}

/// Whether each veto fires for each village: `fired[village]` lists veto
/// indices.
fn vetoes(
    framework: &Framework,
    table: &DataPointTable,
    values: &[IndicatorValues],
) -> Vec<Vec<usize>> {
    let n = table.villages.len();
    let mut fired = vec![Vec::new(); n];
    for (k, veto) in framework.scoring.vetoes.iter().enumerate() {
        for (v, f) in fired.iter_mut().enumerate() {
            let x = match &veto.on {
                VetoOn::DataPoint(dp) => table.value(dp, v),
                VetoOn::Indicator(id) => framework
                    .indicators
                    .iter()
                    .position(|i| &i.id == id)
                    .and_then(|i| values[i].raw[v]),
            };
            if x.is_some_and(|x| x >= veto.at_least) {
                f.push(k);
            }
        }
    }
    fired
}

/// Scores every village of the quarter.
pub fn score(
    framework: &Framework,
    table: &DataPointTable,
    values: &[IndicatorValues],
) -> Result<Scores> {
    let villages = &table.villages;
    let n = villages.len();
    let tree = tree(framework);
    let groups: Vec<&str> = villages.iter().map(|v| v.township_code.as_str()).collect();
    let inputs = inputs(framework, values);
    let prepared: Vec<Prepared> = tree
        .leaves
        .iter()
        .zip(&inputs)
        .map(|(leaf, input)| engine::prepare(leaf, input, &groups))
        .collect();
    let scores: Vec<Option<Vec<Option<f64>>>> = tree
        .leaves
        .iter()
        .zip(&prepared)
        .map(|(leaf, p)| engine::normalise_leaf(leaf, &p.values, leaf.method.normalisation))
        .collect();
    let mut cells = cells(values, &prepared, &scores, n);
    // What the aggregation sees: scored and imputed cells only.
    let leaf_scores: Vec<Option<Vec<Option<f64>>>> = scores
        .iter()
        .enumerate()
        .map(|(k, s)| {
            s.as_ref()
                .map(|_| cells[k].iter().map(|c| c.normalised).collect())
        })
        .collect();
    let availability = availability(framework, &scores, &cells, n);
    let agg = engine::aggregate(&tree, &leaf_scores, n, None, None)
        .map_err(|message| Error::Scoring { message })?;
    let root = tree.root();
    let fired = vetoes(framework, table, values);
    let medians: Vec<Option<f64>> = leaf_scores
        .iter()
        .map(|s| s.as_ref().and_then(|s| median(s)))
        .collect();
    let nd = framework.dimensions.len();
    let mut out = Vec::with_capacity(n);
    for v in 0..n {
        let scored = (0..cells.len())
            .filter(|&k| cells[k][v].normalised.is_some())
            .count();
        let enough = availability[v]
            .iter()
            .flatten()
            .all(|&a| a >= framework.scoring.min_availability);
        let index = agg.values[root][v].filter(|_| enough && scored > 0);
        let (strengths, weaknesses) = if index.is_some() {
            let dec = engine::decompose(&tree, &leaf_scores, &agg, v, None);
            for (k, column) in cells.iter_mut().enumerate() {
                column[v].effective_weight = dec.effective_weight[k];
                column[v].contribution = dec.contribution[k];
            }
            explain_drivers(&cells, &medians, &dec.effective_weight, v)
        } else {
            (Vec::new(), Vec::new())
        };
        out.push(VillageScore {
            index,
            rank: None,
            township_rank: None,
            county_rank: None,
            held_by: Vec::new(),
            tier: Tier::InsufficientData,
            tier_uncapped: Tier::InsufficientData,
            dimensions: (0..nd).map(|d| agg.values[d][v]).collect(),
            availability: availability[v].clone(),
            indicators_scored: scored,
            vetoes: fired[v].clone(),
            strengths,
            weaknesses,
            uncertainty: None,
            previous: None,
        });
    }
    rank_and_tier(framework, villages, &mut out);
    let mut result = Scores {
        villages: out,
        cells,
        indicators: prepared
            .into_iter()
            .enumerate()
            .map(|(k, p)| IndicatorScoring {
                weight: agg.weights.leaf[k],
                prepared: p,
            })
            .collect(),
        dimension_weights: agg.weights.node[..nd].to_vec(),
        medians,
    };
    if let Some(settings) = &framework.scoring.uncertainty {
        monte_carlo(
            framework,
            villages,
            &tree,
            &leaf_scores,
            &agg.weights,
            settings,
            &mut result,
        )?;
    }
    Ok(result)
}

/// Every village × indicator cell with its status after scoring.
fn cells(
    values: &[IndicatorValues],
    prepared: &[Prepared],
    scores: &[Option<Vec<Option<f64>>>],
    n: usize,
) -> Vec<Vec<Cell>> {
    let mut cells: Vec<Vec<Cell>> = Vec::with_capacity(values.len());
    for (k, v) in values.iter().enumerate() {
        let p = &prepared[k];
        cells.push(
            (0..n)
                .map(|i| {
                    let (normalised, status) = match (&scores[k], v.status[i]) {
                        (None, CellStatus::Value) => (None, CellStatus::NoVariation),
                        (None, s) => (None, s),
                        (Some(s), CellStatus::Value) => (s[i], CellStatus::Value),
                        (Some(s), st) if p.imputed[i] => (s[i], CellStatus::Imputed).or_status(st),
                        (Some(_), s) => (None, s),
                    };
                    Cell {
                        raw: v.raw[i],
                        shrunk: if p.shrunk_applied { p.shrunk[i] } else { None },
                        treatment: p.cell_treatment(i),
                        normalised,
                        status,
                        effective_weight: 0.0,
                        contribution: 0.0,
                    }
                })
                .collect(),
        );
    }
    cells
}

/// Per village and dimension, the share of the dimension's scored
/// indicators the village has a value of its own for (`None` where the
/// dimension has no scored indicator).
fn availability(
    framework: &Framework,
    scores: &[Option<Vec<Option<f64>>>],
    cells: &[Vec<Cell>],
    n: usize,
) -> Vec<Vec<Option<f64>>> {
    let nd = framework.dimensions.len();
    let mut availability = vec![vec![None; nd]; n];
    for (d, dim) in framework.dimensions.iter().enumerate() {
        let members: Vec<usize> = (0..framework.indicators.len())
            .filter(|&k| framework.indicators[k].dimension == dim.id && scores[k].is_some())
            .collect();
        if members.is_empty() {
            continue;
        }
        for (v, a) in availability.iter_mut().enumerate() {
            let own = members
                .iter()
                .filter(|&&k| cells[k][v].status == CellStatus::Value)
                .count();
            a[d] = Some(own as f64 / members.len() as f64);
        }
    }
    availability
}

/// Village `v`'s three largest strengths and weaknesses: the indicators
/// gaining or losing the most index points against the median village.
fn explain_drivers(
    cells: &[Vec<Cell>],
    medians: &[Option<f64>],
    effective_weight: &[f64],
    v: usize,
) -> (Vec<Driver>, Vec<Driver>) {
    let mut drivers = Vec::new();
    for k in 0..cells.len() {
        if let (Some(x), Some(m)) = (cells[k][v].normalised, medians[k]) {
            let points = effective_weight[k] * (x - m);
            if points.abs() >= EXPLAIN_MIN_POINTS {
                drivers.push(Driver {
                    indicator: k,
                    points,
                });
            }
        }
    }
    drivers.sort_by(|a, b| {
        b.points
            .total_cmp(&a.points)
            .then(a.indicator.cmp(&b.indicator))
    });
    let strengths = drivers
        .iter()
        .filter(|d| d.points > 0.0)
        .take(3)
        .copied()
        .collect();
    let weaknesses = drivers
        .iter()
        .rev()
        .filter(|d| d.points < 0.0)
        .take(3)
        .copied()
        .collect();
    (strengths, weaknesses)
}

/// The Monte Carlo rank intervals of the ranked villages, into `result`.
fn monte_carlo(
    framework: &Framework,
    villages: &[Village],
    tree: &Tree,
    leaf_scores: &[Option<Vec<Option<f64>>>],
    weights: &engine::Weights,
    settings: &method::Uncertainty,
    result: &mut Scores,
) -> Result<()> {
    let ranked: Vec<bool> = result.villages.iter().map(|s| s.rank.is_some()).collect();
    let started = std::time::Instant::now();
    let mc = uncertainty::simulate(
        &uncertainty::Model {
            tree,
            prepared: result.indicators.iter().map(|i| &i.prepared).collect(),
            cells_scored: leaf_scores,
            weights,
            ranked: &ranked,
            codes: villages.iter().map(|v| v.code.as_str()).collect(),
            tier_at_rank: listing_order(&result.villages, villages)
                .into_iter()
                .filter(|&i| result.villages[i].rank.is_some())
                .map(|i| result.villages[i].tier_uncapped)
                .collect(),
            vetoes: result
                .villages
                .iter()
                .map(|s| {
                    s.vetoes
                        .iter()
                        .map(|&k| framework.scoring.vetoes[k].cap)
                        .collect()
                })
                .collect(),
            nominal: result.villages.iter().map(|s| s.tier).collect(),
        },
        settings,
    )
    .map_err(|message| Error::Scoring { message })?;
    tracing::info!(
        runs = settings.runs,
        villages = villages.len(),
        ms = started.elapsed().as_millis() as u64,
        "Monte Carlo rank uncertainty"
    );
    for (s, u) in result.villages.iter_mut().zip(mc) {
        s.uncertainty = u;
    }
    Ok(())
}

trait OrStatus {
    fn or_status(self, fallback: CellStatus) -> (Option<f64>, CellStatus);
}

impl OrStatus for (Option<f64>, CellStatus) {
    /// An imputed cell that still has no value keeps its reason.
    fn or_status(self, fallback: CellStatus) -> (Option<f64>, CellStatus) {
        if self.0.is_some() {
            self
        } else {
            (None, fallback)
        }
    }
}

/// Ranks (district and township), tiers and veto caps.
fn rank_and_tier(framework: &Framework, villages: &[Village], scores: &mut [VillageScore]) {
    let n = scores.len();
    let all: Vec<usize> = (0..n).collect();
    let indices: Vec<Option<f64>> = scores.iter().map(|s| s.index).collect();
    let codes: Vec<&str> = villages.iter().map(|v| v.code.as_str()).collect();
    for (i, r) in competition_ranks(&indices, &all, &codes) {
        scores[i].rank = Some(r);
    }
    let mut townships: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut counties: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, v) in villages.iter().enumerate() {
        townships
            .entry(v.township_code.as_str())
            .or_default()
            .push(i);
        counties.entry(v.county_code()).or_default().push(i);
    }
    for members in townships.values() {
        for (i, r) in competition_ranks(&indices, members, &codes) {
            scores[i].township_rank = Some(r);
        }
    }
    for members in counties.values() {
        for (i, r) in competition_ranks(&indices, members, &codes) {
            scores[i].county_rank = Some(r);
        }
    }
    let ranked = scores.iter().filter(|s| s.rank.is_some()).count();
    for s in scores.iter_mut() {
        if let (Some(index), Some(rank)) = (s.index, s.rank) {
            s.tier_uncapped = tier(framework.tiers, rounded(index), rank, ranked);
            s.tier = s.vetoes.iter().fold(s.tier_uncapped, |t, &k| {
                t.capped(framework.scoring.vetoes[k].cap)
            });
        }
    }
}

/// The order villages are listed in: by index (highest first), then code;
/// unranked villages last.
pub fn listing_order(scores: &[VillageScore], villages: &[Village]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| scores[i].rank.unwrap_or(u32::MAX);
        key(a)
            .cmp(&key(b))
            .then_with(|| villages[a].code.cmp(&villages[b].code))
    });
    order
}

//! Scoring v1: direction, min-max normalisation within the quarter,
//! weighted arithmetic aggregation (indicators → dimensions → index) with
//! weights renormalised over what a village has, ranks and tiers.
//!
//! Rules (documented in README, "Scoring"):
//! - normalised = 100 × (x − min)/(max − min), or 100 × (max − x)/(max − min)
//!   for `lower_is_better`; min and max over the villages with a value.
//!   An indicator with no spread this quarter (max = min) cannot tell
//!   villages apart and is left out of every village's index
//!   (`no_variation`). A `two_sided` indicator (both extremes are signals)
//!   is normalised on its distance from its `target`, else from the
//!   quarter's median, as `lower_is_better`.
//! - dimension score = Σ wᵢ·nᵢ / Σ wᵢ over the dimension's indicators the
//!   village has; index = Σ W_d·D_d / Σ W_d over the dimensions it has.
//!   A cell's effective weight is (W_d/ΣW) × (wᵢ/Σw), its contribution the
//!   effective weight × normalised value; contributions sum to the index.
//! - rank 1 is the highest index; villages whose indices agree to the 4
//!   printed decimals share the better rank (competition ranking,
//!   "1, 2, 2, 4"); listing order within a tie is by village code. Tiers
//!   also use the index as printed.
//! - a village without any indicator value is not ranked (`insufficient_data`).

use std::collections::BTreeMap;

use crate::datapoints::Village;
use crate::framework::{Direction, Framework, Indicator, TierRule};
use crate::indicators::{CellStatus, IndicatorValues};

/// Decimals of the index as printed in `ranking.csv`; ranks and tiers use
/// the index rounded to them, so two rows that show the same index share a
/// rank and a row's tier agrees with the number it shows.
pub const INDEX_DECIMALS: i32 = 4;

/// The index as printed, ranked and tiered.
pub fn rounded(index: f64) -> f64 {
    let scale = 10f64.powi(INDEX_DECIMALS);
    (index * scale).round() / scale
}

/// Red, yellow or green (or not ranked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Green,
    Yellow,
    Red,
    InsufficientData,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Green => "green",
            Tier::Yellow => "yellow",
            Tier::Red => "red",
            Tier::InsufficientData => "insufficient_data",
        }
    }
}

/// One village × indicator cell after scoring.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub raw: Option<f64>,
    pub normalised: Option<f64>,
    /// `Value` when scored, else why not.
    pub status: CellStatus,
    pub effective_weight: f64,
    pub contribution: f64,
}

/// A village's result.
#[derive(Debug, Clone, PartialEq)]
pub struct VillageScore {
    pub index: Option<f64>,
    pub rank: Option<u32>,
    pub township_rank: Option<u32>,
    pub tier: Tier,
    /// In framework dimension order.
    pub dimensions: Vec<Option<f64>>,
    pub indicators_scored: usize,
}

/// The scored quarter.
#[derive(Debug, Clone)]
pub struct Scores {
    /// In village order.
    pub villages: Vec<VillageScore>,
    /// `cells[indicator][village]`, indicators in framework order.
    pub cells: Vec<Vec<Cell>>,
}

/// The median of the values present (mean of the middle two for an even
/// count); `None` without values.
pub fn median(raw: &[Option<f64>]) -> Option<f64> {
    let mut v: Vec<f64> = raw.iter().flatten().copied().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// Normalises one indicator by its direction: min-max, or for a two-sided
/// indicator min-max of the distance from its target (else the quarter's
/// median), lower distance better.
pub fn normalise(raw: &[Option<f64>], ind: &Indicator) -> Option<Vec<Option<f64>>> {
    match ind.direction {
        Direction::TwoSided => {
            let target = ind.target.or_else(|| median(raw))?;
            let distance: Vec<Option<f64>> =
                raw.iter().map(|x| x.map(|x| (x - target).abs())).collect();
            min_max(&distance, Direction::LowerIsBetter)
        }
        d => min_max(raw, d),
    }
}

/// Min-max normalisation of one indicator; `None` where there is no value,
/// and all `None` when the values have no spread.
pub fn min_max(raw: &[Option<f64>], direction: Direction) -> Option<Vec<Option<f64>>> {
    let vals = raw.iter().flatten();
    let (min, max) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
        (lo.min(x), hi.max(x))
    });
    // No spread beyond float noise: nothing to tell villages apart by.
    if max.is_nan() || min.is_nan() || max - min <= 1e-12 * max.abs().max(min.abs()).max(1.0) {
        return None;
    }
    Some(
        raw.iter()
            .map(|x| {
                x.map(|x| match direction {
                    Direction::HigherIsBetter => 100.0 * (x - min) / (max - min),
                    Direction::LowerIsBetter | Direction::TwoSided => {
                        100.0 * (max - x) / (max - min)
                    }
                })
            })
            .collect(),
    )
}

/// Scores every village.
pub fn score(framework: &Framework, villages: &[Village], values: &[IndicatorValues]) -> Scores {
    let n = villages.len();
    let mut cells: Vec<Vec<Cell>> = Vec::with_capacity(values.len());
    for (ind, v) in framework.indicators.iter().zip(values) {
        let norm = normalise(&v.raw, ind);
        cells.push(
            (0..n)
                .map(|i| {
                    let (normalised, status) = match (&norm, v.status[i]) {
                        (_, s) if s != CellStatus::Value => (None, s),
                        (None, _) => (None, CellStatus::NoVariation),
                        (Some(nv), _) => (nv[i], CellStatus::Value),
                    };
                    Cell {
                        raw: v.raw[i],
                        normalised,
                        status,
                        effective_weight: 0.0,
                        contribution: 0.0,
                    }
                })
                .collect(),
        );
    }

    let dim_index: BTreeMap<&str, usize> = framework
        .dimensions
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let ind_dim: Vec<usize> = framework
        .indicators
        .iter()
        .map(|i| dim_index.get(i.dimension.as_str()).copied().unwrap_or(0))
        .collect();

    let mut scores = Vec::with_capacity(n);
    #[expect(
        clippy::needless_range_loop,
        reason = "v indexes the inner (village) axis of cells[indicator][village]"
    )]
    for v in 0..n {
        // Within each dimension: Σ w·n and Σ w over scored indicators.
        let nd = framework.dimensions.len();
        let mut sum_wn = vec![0.0; nd];
        let mut sum_w = vec![0.0; nd];
        let mut scored = 0;
        for (k, ind) in framework.indicators.iter().enumerate() {
            if let Some(x) = cells[k][v].normalised {
                sum_wn[ind_dim[k]] += ind.weight * x;
                sum_w[ind_dim[k]] += ind.weight;
                scored += 1;
            }
        }
        let dims: Vec<Option<f64>> = (0..nd)
            .map(|d| (sum_w[d] > 0.0).then(|| sum_wn[d] / sum_w[d]))
            .collect();
        let total_dim_weight: f64 = framework
            .dimensions
            .iter()
            .zip(&dims)
            .filter(|(_, s)| s.is_some())
            .map(|(d, _)| d.weight)
            .sum();
        let mut index = None;
        if total_dim_weight > 0.0 {
            let mut idx = 0.0;
            for (k, ind) in framework.indicators.iter().enumerate() {
                if let Some(x) = cells[k][v].normalised {
                    let d = ind_dim[k];
                    let ew =
                        framework.dimensions[d].weight / total_dim_weight * ind.weight / sum_w[d];
                    cells[k][v].effective_weight = ew;
                    cells[k][v].contribution = ew * x;
                    idx += ew * x;
                }
            }
            index = Some(idx);
        }
        scores.push(VillageScore {
            index,
            rank: None,
            township_rank: None,
            tier: Tier::InsufficientData,
            dimensions: dims,
            indicators_scored: scored,
        });
    }

    let all: Vec<usize> = (0..n).collect();
    for (i, r) in competition_ranks(&scores, &all, villages) {
        scores[i].rank = Some(r);
    }
    let mut townships: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, v) in villages.iter().enumerate() {
        townships
            .entry(v.township_code.as_str())
            .or_default()
            .push(i);
    }
    for members in townships.values() {
        for (i, r) in competition_ranks(&scores, members, villages) {
            scores[i].township_rank = Some(r);
        }
    }
    let ranked = scores.iter().filter(|s| s.rank.is_some()).count();
    for s in &mut scores {
        if let (Some(index), Some(rank)) = (s.index, s.rank) {
            s.tier = tier(framework.tiers, rounded(index), rank, ranked);
        }
    }
    Scores {
        villages: scores,
        cells,
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

/// Competition ranks ("1, 2, 2, 4") of `members` by index, highest first.
fn competition_ranks(
    scores: &[VillageScore],
    members: &[usize],
    villages: &[Village],
) -> Vec<(usize, u32)> {
    let mut ranked: Vec<(usize, f64)> = members
        .iter()
        .filter_map(|&i| scores[i].index.map(|x| (i, rounded(x))))
        .collect();
    ranked.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| villages[a.0].code.cmp(&villages[b.0].code))
    });
    let mut out = Vec::with_capacity(ranked.len());
    let mut rank = 0u32;
    let mut prev: Option<f64> = None;
    for (pos, (i, x)) in ranked.into_iter().enumerate() {
        if prev != Some(x) {
            rank = u32::try_from(pos + 1).unwrap_or(u32::MAX);
            prev = Some(x);
        }
        out.push((i, rank));
    }
    out
}

/// A ranked village's tier.
pub fn tier(rule: TierRule, index: f64, rank: u32, ranked: usize) -> Tier {
    match rule {
        TierRule::Thresholds { green, yellow } => {
            if index >= green {
                Tier::Green
            } else if index >= yellow {
                Tier::Yellow
            } else {
                Tier::Red
            }
        }
        TierRule::Quantiles { red, yellow } => {
            // The lowest ceil(red·n) ranks are red, the next ceil((red+yellow)·n) − that yellow.
            // (0.1 + 0.2)·10 is 3.0000000000000004 in floating point: shave
            // the noise before rounding up.
            let n = ranked as f64;
            let count = |share: f64| (share * n - 1e-9).ceil().max(0.0) as usize;
            let red_from = ranked.saturating_sub(count(red));
            let yellow_from = ranked.saturating_sub(count(red + yellow));
            let r = rank as usize;
            if r > red_from {
                Tier::Red
            } else if r > yellow_from {
                Tier::Yellow
            } else {
                Tier::Green
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_max_by_hand() {
        let raw = [Some(0.0), Some(5.0), None, Some(10.0)];
        assert_eq!(
            min_max(&raw, Direction::LowerIsBetter).unwrap(),
            vec![Some(100.0), Some(50.0), None, Some(0.0)]
        );
        assert_eq!(
            min_max(&raw, Direction::HigherIsBetter).unwrap(),
            vec![Some(0.0), Some(50.0), None, Some(100.0)]
        );
        assert!(min_max(&[Some(2.0), Some(2.0), None], Direction::LowerIsBetter).is_none());
        assert!(min_max(&[None, None], Direction::LowerIsBetter).is_none());
    }

    #[test]
    fn medians_by_hand() {
        assert_eq!(median(&[Some(3.0), None, Some(1.0), Some(2.0)]), Some(2.0));
        assert_eq!(
            median(&[Some(4.0), Some(1.0), Some(2.0), Some(10.0)]),
            Some(3.0)
        );
        assert_eq!(median(&[None]), None);
    }

    #[test]
    fn ranks_use_the_index_as_printed() {
        assert_eq!(rounded(84.99996), 85.0);
        assert_eq!(rounded(12.34564), 12.3456);
        let t = TierRule::Thresholds {
            green: 85.0,
            yellow: 70.0,
        };
        // Shown as 85.0000, so green.
        assert_eq!(tier(t, rounded(84.99996), 1, 1), Tier::Green);
    }

    #[test]
    fn tiers_by_rule() {
        let t = TierRule::Thresholds {
            green: 85.0,
            yellow: 70.0,
        };
        assert_eq!(tier(t, 85.0, 1, 10), Tier::Green);
        assert_eq!(tier(t, 84.9, 1, 10), Tier::Yellow);
        assert_eq!(tier(t, 69.99, 1, 10), Tier::Red);
        let q = TierRule::Quantiles {
            red: 0.1,
            yellow: 0.2,
        };
        // 10 ranked: rank 10 red, ranks 8-9 yellow, 1-7 green.
        assert_eq!(tier(q, 0.0, 10, 10), Tier::Red);
        assert_eq!(tier(q, 0.0, 9, 10), Tier::Yellow);
        assert_eq!(tier(q, 0.0, 8, 10), Tier::Yellow);
        assert_eq!(tier(q, 0.0, 7, 10), Tier::Green);
    }
}

//! Monte Carlo uncertainty of the ranking: each run perturbs every weight
//! (indicators and dimensions) by a factor drawn uniformly from
//! [1 − spread, 1 + spread], and picks one of the framework's alternative
//! normalisations (for the indicators scaled on the quarter's own values)
//! and one aggregation (for every level). A geometric run maps each 0–100
//! score x to 1 + 0.99·x so that no score is 0. Per village: the median
//! rank, the 5th and 95th percentile ranks (nearest-rank), and the share of
//! runs in which it keeps its published tier. A run's tiers are read off
//! by rank: the village ranked r gets the tier (before vetoes) of the
//! published ranking's r-th village, then its vetoes. So a run that
//! changes the index's scale (percentile ranks average 50, min-max scores
//! of a clean district sit near 90) does not drop every village across a
//! fixed threshold: what counts is whether its position crosses a tier
//! boundary.
//! The draws come from one seeded ChaCha stream and are made before the
//! runs, which then run on the machine's cores: same seed, same result,
//! whatever the thread count.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::aggregate::{self as engine, Prepared, Tree, Weights};
use super::method::{Aggregation, CapTier, Uncertainty};
use super::rank::{RankUncertainty, Tier, competition_ranks};

/// What the simulation needs from the nominal scoring.
#[derive(Debug)]
pub struct Model<'a> {
    pub tree: &'a Tree,
    pub prepared: Vec<&'a Prepared>,
    /// The nominal scores per leaf (`None`: left out); a run scores only
    /// the cells the nominal scoring scored.
    pub cells_scored: &'a [Option<Vec<Option<f64>>>],
    pub weights: &'a Weights,
    /// Units ranked in the nominal scoring; the others are not ranked in
    /// any run.
    pub ranked: &'a [bool],
    pub codes: Vec<&'a str>,
    /// The published tier (before vetoes) of the village at each rank
    /// position: `tier_at_rank[r - 1]` for rank r.
    pub tier_at_rank: Vec<Tier>,
    /// Per unit, the caps of the vetoes that fired.
    pub vetoes: Vec<Vec<CapTier>>,
    /// Per unit, the published tier.
    pub nominal: Vec<Tier>,
}

/// One run's ranks and tiers per unit.
type Run = (Vec<u32>, Vec<Tier>);
type RunResult = Result<Run, String>;

/// One run's draws.
#[derive(Debug, Clone)]
struct Draw {
    normalisation: usize,
    aggregation: usize,
    weights: Weights,
}

/// Leaf scores for one normalisation alternative and one aggregation.
fn variant(
    model: &Model,
    alternative: super::method::Normalisation,
    geometric: bool,
) -> Vec<Option<Vec<Option<f64>>>> {
    model
        .tree
        .leaves
        .iter()
        .enumerate()
        .map(|(k, leaf)| {
            let nominal = model.cells_scored[k].as_ref()?;
            let scores = if leaf.method.normalisation.is_relative() {
                let alt = engine::normalise_leaf(leaf, &model.prepared[k].values, alternative)?;
                // Only the cells the nominal scoring scored.
                alt.into_iter()
                    .zip(nominal)
                    .map(|(a, n)| n.and(a))
                    .collect()
            } else {
                nominal.clone()
            };
            Some(if geometric {
                scores
                    .into_iter()
                    .map(|x| x.map(|x| 1.0 + 0.99 * x.max(0.0)))
                    .collect()
            } else {
                scores
            })
        })
        .collect()
}

/// Runs the simulation; `None` for units not ranked.
pub fn simulate(
    model: &Model,
    settings: &Uncertainty,
) -> Result<Vec<Option<RankUncertainty>>, String> {
    let units = model.ranked.len();
    let runs = settings.runs;
    if runs == 0 || units == 0 {
        return Ok(vec![None; units]);
    }
    let mut variants = Vec::new();
    for &norm in &settings.normalisations {
        for &agg in &settings.aggregations {
            variants.push(variant(model, norm, agg == Aggregation::Geometric));
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let s = settings.weight_spread;
    let factor = |rng: &mut ChaCha8Rng| {
        if s > 0.0 {
            rng.random_range(1.0 - s..=1.0 + s)
        } else {
            1.0
        }
    };
    let draws: Vec<Draw> = (0..runs)
        .map(|_| {
            let normalisation = rng.random_range(0..settings.normalisations.len());
            let aggregation = rng.random_range(0..settings.aggregations.len());
            let leaf = model
                .weights
                .leaf
                .iter()
                .map(|w| w * factor(&mut rng))
                .collect();
            let node = model
                .weights
                .node
                .iter()
                .map(|w| w * factor(&mut rng))
                .collect();
            Draw {
                normalisation,
                aggregation,
                weights: Weights { leaf, node },
            }
        })
        .collect();

    let members: Vec<usize> = (0..units).filter(|&u| model.ranked[u]).collect();
    let run = |d: &Draw| -> RunResult {
        let v = d.normalisation * settings.aggregations.len() + d.aggregation;
        let agg = engine::aggregate(
            model.tree,
            &variants[v],
            units,
            Some(&d.weights),
            Some(settings.aggregations[d.aggregation]),
        )?;
        let root = model.tree.root();
        let index: Vec<Option<f64>> = (0..units)
            .map(|u| agg.values[root][u].filter(|_| model.ranked[u]))
            .collect();
        let mut ranks = vec![0u32; units];
        let mut tiers = vec![Tier::InsufficientData; units];
        for (u, r) in competition_ranks(&index, &members, &model.codes) {
            ranks[u] = r;
            let at_rank = model
                .tier_at_rank
                .get(r as usize - 1)
                .copied()
                .unwrap_or(Tier::InsufficientData);
            tiers[u] = model.vetoes[u].iter().fold(at_rank, |t, &c| t.capped(c));
        }
        Ok((ranks, tiers))
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(runs);
    let chunk = runs.div_ceil(threads);
    let results: Vec<Result<Vec<Run>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = draws
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(run).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a Monte Carlo thread panicked".into()))
            })
            .collect()
    });
    let mut ranks: Vec<Vec<u32>> = vec![Vec::with_capacity(runs); units];
    let mut kept = vec![0usize; units];
    for part in results {
        for (r, t) in part? {
            for &u in &members {
                ranks[u].push(r[u]);
                if t[u] == model.nominal[u] {
                    kept[u] += 1;
                }
            }
        }
    }
    Ok((0..units)
        .map(|u| {
            if !model.ranked[u] {
                return None;
            }
            let r = &mut ranks[u];
            r.sort_unstable();
            let p = tier_probability(kept[u], runs);
            Some(RankUncertainty {
                median: nearest_rank(r, 0.5),
                p05: nearest_rank(r, 0.05),
                p95: nearest_rank(r, 0.95),
                tier_probability: p,
                uncertain: p < settings.certain_at,
            })
        })
        .collect())
}

fn tier_probability(kept: usize, runs: usize) -> f64 {
    kept as f64 / runs as f64
}

/// The nearest-rank percentile of sorted values: the value at position
/// ⌈p·n⌉ (1-based).
pub fn nearest_rank(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len();
    let pos = ((p * n as f64 - 1e-9).ceil() as usize).clamp(1, n);
    sorted[pos - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_by_hand() {
        let v: Vec<u32> = (1..=20).collect();
        // ⌈0.05·20⌉ = 1 → 1; ⌈0.5·20⌉ = 10 → 10; ⌈0.95·20⌉ = 19 → 19.
        assert_eq!(nearest_rank(&v, 0.05), 1);
        assert_eq!(nearest_rank(&v, 0.5), 10);
        assert_eq!(nearest_rank(&v, 0.95), 19);
        let w = [3u32, 3, 4, 9];
        // ⌈0.5·4⌉ = 2 → 3; ⌈0.95·4⌉ = 4 → 9; ⌈0.05·4⌉ = 1 → 3.
        assert_eq!(nearest_rank(&w, 0.5), 3);
        assert_eq!(nearest_rank(&w, 0.95), 9);
        assert_eq!(nearest_rank(&w, 0.05), 3);
        assert_eq!(nearest_rank(&[], 0.5), 0);
    }
}

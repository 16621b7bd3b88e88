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
//! whatever the thread count. Runs are taken in batches; within a batch
//! the runs of one variant are aggregated together, unit by unit, each
//! unit's index in every run to the bit what aggregating that run alone
//! gives (`aggregate::root_for_runs`); the units are split over the
//! cores, then the runs are ranked on them, then the units' percentiles.

use std::ops::Range;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::aggregate::{self as engine, Prepared, Tree, Weights};
use super::method::{Aggregation, CapTier, Normalisation, Uncertainty};
use super::rank::{RankUncertainty, TieOrder, Tier, competition_ranks_in};

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

/// The runs of a batch that share a variant (normalisation and
/// aggregation): their numbers in the batch and their weights.
struct Group {
    variant: usize,
    runs: Vec<usize>,
    weights: engine::RunWeights,
}

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
    alternative: Normalisation,
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

/// Units a thread takes at a time.
const BLOCK: usize = 512;
/// Runs whose indices are held at once (for 20,000 units, 32 MB).
const BATCH: usize = 100;

/// Leaf scores unit by unit (`[u * leaves + leaf]`), so that a unit's
/// are read together.
fn by_unit(scores: &[Option<Vec<Option<f64>>>], units: usize, leaves: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; units * leaves];
    for (i, column) in scores.iter().enumerate() {
        if let Some(column) = column {
            for (u, &x) in column.iter().enumerate().take(units) {
                out[u * leaves + i] = x;
            }
        }
    }
    out
}

/// `f` of every item on up to `threads` threads, in the items' order.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> Result<R, String> + Sync,
) -> Result<Vec<R>, String> {
    crate::parallel::in_chunks(
        items,
        threads,
        |part| part.iter().map(&f).collect(),
        || "a Monte Carlo thread panicked".into(),
    )
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
    // Each variant's leaf scores.
    let threads = crate::parallel::cores();
    let combinations: Vec<(Normalisation, bool)> = settings
        .normalisations
        .iter()
        .flat_map(|&norm| {
            settings
                .aggregations
                .iter()
                .map(move |&agg| (norm, agg == Aggregation::Geometric))
        })
        .collect();
    let leaves = model.tree.leaves.len();
    let variants = in_parallel(&combinations, threads, |&(norm, geometric)| {
        Ok(by_unit(&variant(model, norm, geometric), units, leaves))
    })?;
    let variant_of = |d: &Draw| d.normalisation * settings.aggregations.len() + d.aggregation;
    let draws = draw(model, settings);

    let members: Vec<usize> = (0..units).filter(|&u| model.ranked[u]).collect();
    let tie_order = TieOrder::by_code(&members, &model.codes);
    let children = model.tree.children();
    let blocks: Vec<Range<usize>> = (0..units)
        .step_by(BLOCK)
        .map(|a| a..(a + BLOCK).min(units))
        .collect();

    // The index of one block of units in each run of a batch, the runs
    // taken together by variant (their leaf scores are the same), unit
    // by unit.
    let block_index =
        |block: &Range<usize>, groups: &[Group]| -> Result<Vec<Vec<Option<f64>>>, String> {
            let runs_in_batch: usize = groups.iter().map(|g| g.runs.len()).sum();
            let mut out = vec![Vec::with_capacity(block.len()); runs_in_batch];
            let mut scratch = engine::RunScratch::default();
            for g in groups {
                for u in block.clone() {
                    let root = engine::root_for_runs(
                        model.tree,
                        &children,
                        &variants[g.variant][u * leaves..(u + 1) * leaves],
                        u,
                        &g.weights,
                        Some(settings.aggregations[g.variant % settings.aggregations.len()]),
                        &mut scratch,
                    )?;
                    for (&r, &x) in g.runs.iter().zip(root) {
                        out[r].push(x);
                    }
                }
            }
            Ok(out)
        };
    // One run's ranks and tiers from its index.
    let rank = |index: &Vec<Option<f64>>| -> Run {
        let mut ranks = vec![0u32; units];
        let mut tiers = vec![Tier::InsufficientData; units];
        for (u, r) in competition_ranks_in(index, &tie_order) {
            ranks[u] = r;
            let at_rank = model
                .tier_at_rank
                .get(r as usize - 1)
                .copied()
                .unwrap_or(Tier::InsufficientData);
            tiers[u] = model.vetoes[u].iter().fold(at_rank, |t, &c| t.capped(c));
        }
        (ranks, tiers)
    };

    let mut all: Vec<Run> = Vec::with_capacity(runs);
    let progress = crate::progress::Progress::new("Monte Carlo runs", runs as u64);
    for batch in draws.chunks(BATCH) {
        // The batch's runs by variant, in the order drawn.
        let mut groups: Vec<Group> = Vec::new();
        for v in 0..variants.len() {
            let runs: Vec<usize> = (0..batch.len())
                .filter(|&r| variant_of(&batch[r]) == v)
                .collect();
            if runs.is_empty() {
                continue;
            }
            groups.push(Group {
                variant: v,
                weights: engine::RunWeights::of(runs.iter().map(|&r| &batch[r].weights)),
                runs,
            });
        }
        // Per block (in parallel over blocks), per run: the index.
        let by_block = in_parallel(&blocks, threads, |b| block_index(b, &groups))?;
        let mut index: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(units); batch.len()];
        for block in by_block {
            for (run, values) in index.iter_mut().zip(block) {
                run.extend(values);
            }
        }
        for run in &mut index {
            for (x, &ranked) in run.iter_mut().zip(model.ranked) {
                if !ranked {
                    *x = None;
                }
            }
        }
        // Per run (in parallel over runs): ranks and tiers.
        all.extend(in_parallel(&index, threads, |i| Ok(rank(i)))?);
        progress.inc(batch.len() as u64);
    }
    percentiles(model, settings, &all, &blocks, threads)
}

/// Every run's draws, from one seeded stream, before any run.
fn draw(model: &Model, settings: &Uncertainty) -> Vec<Draw> {
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let s = settings.weight_spread;
    let factor = |rng: &mut ChaCha8Rng| {
        if s > 0.0 {
            rng.random_range(1.0 - s..=1.0 + s)
        } else {
            1.0
        }
    };
    (0..settings.runs)
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
        .collect()
}

/// Per unit, from all runs' ranks and tiers: the percentiles of its ranks
/// and how often it kept its published tier; computed per block of units
/// in parallel over the blocks.
fn percentiles(
    model: &Model,
    settings: &Uncertainty,
    all: &[Run],
    blocks: &[Range<usize>],
    threads: usize,
) -> Result<Vec<Option<RankUncertainty>>, String> {
    let runs = settings.runs;
    let per_block = in_parallel(blocks, threads, |block| {
        let mut ranks: Vec<Vec<u32>> = vec![Vec::with_capacity(runs); block.len()];
        let mut kept = vec![0usize; block.len()];
        for (r, t) in all {
            for (k, u) in block.clone().enumerate() {
                ranks[k].push(r[u]);
                if t[u] == model.nominal[u] {
                    kept[k] += 1;
                }
            }
        }
        Ok(block
            .clone()
            .zip(ranks)
            .zip(kept)
            .map(|((u, mut r), kept)| {
                if !model.ranked[u] {
                    return None;
                }
                r.sort_unstable();
                let p = tier_probability(kept, runs);
                Some(RankUncertainty {
                    median: nearest_rank(&r, 0.5),
                    p05: nearest_rank(&r, 0.05),
                    p95: nearest_rank(&r, 0.95),
                    tier_probability: p,
                    uncertain: p < settings.certain_at,
                })
            })
            .collect::<Vec<_>>())
    })?;
    Ok(per_block.into_iter().flatten().collect())
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

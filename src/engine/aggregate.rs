//! The scoring engine on any tree of indicators and aggregates (the
//! default framework's indicators → dimensions → index, or a four-level
//! framework loaded from a table such as COINr's ASEM): per indicator
//! shrinkage, two-sided distance, imputation, outlier treatment and
//! normalisation; per level weights (explicit, equal, entropy, AHP) and
//! aggregation (arithmetic, geometric) with weights renormalised over the
//! children a unit has; and the decomposition of the index into
//! per-indicator contributions. It knows nothing of villages or files.

use super::impute::{self, Imputation};
use super::method::{
    Aggregation, IndicatorMethod, LevelMethod, Normalisation, Shrinkage, WeightMethod,
};
use super::normalise;
use super::shrinkage::{self, Model};
use super::treatment::{self, CellTreatment, Treated};
use super::weights;

/// Which way an indicator points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Orientation {
    HigherIsBetter,
    LowerIsBetter,
    /// Scored on the distance from `target`, else from the median of the
    /// values present; lower distance is better.
    TwoSided {
        target: Option<f64>,
    },
}

impl Orientation {
    fn higher_is_better(self) -> bool {
        matches!(self, Orientation::HigherIsBetter)
    }
}

/// An indicator of the tree.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub id: String,
    /// Index into `Tree::nodes`.
    pub parent: usize,
    /// Explicit weight within the parent.
    pub weight: f64,
    pub orientation: Orientation,
    pub method: IndicatorMethod,
}

/// An aggregate of the tree.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    /// `None` for the root (the index).
    pub parent: Option<usize>,
    /// Explicit weight within the parent.
    pub weight: f64,
    pub method: LevelMethod,
}

/// Indicators and aggregates; `nodes` lists children before parents and
/// ends with the root.
#[derive(Debug, Clone)]
pub struct Tree {
    pub leaves: Vec<Leaf>,
    pub nodes: Vec<Node>,
}

/// A child of a node: an indicator or another node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    Leaf(usize),
    Node(usize),
}

impl Tree {
    /// The root's index in `nodes`.
    pub fn root(&self) -> usize {
        self.nodes.len() - 1
    }

    /// The children of each node, leaves first, in declaration order.
    pub fn children(&self) -> Vec<Vec<Child>> {
        let mut out = vec![Vec::new(); self.nodes.len()];
        for (i, l) in self.leaves.iter().enumerate() {
            out[l.parent].push(Child::Leaf(i));
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if let Some(p) = n.parent {
                out[p].push(Child::Node(i));
            }
        }
        out
    }

    /// Structural checks: one root, last; parents after children.
    pub fn check(&self) -> Result<(), String> {
        let Some(root) = self.nodes.last() else {
            return Err("the tree has no aggregate".into());
        };
        if root.parent.is_some() {
            return Err(format!("the last aggregate '{}' must be the root", root.id));
        }
        for (i, n) in self.nodes.iter().enumerate() {
            match n.parent {
                Some(p) if p <= i || p >= self.nodes.len() => {
                    return Err(format!(
                        "aggregate '{}' must be listed before its parent",
                        n.id
                    ));
                }
                None if i + 1 != self.nodes.len() => {
                    return Err(format!(
                        "aggregate '{}' has no parent but is not the root",
                        n.id
                    ));
                }
                _ => {}
            }
        }
        if let Some(l) = self.leaves.iter().find(|l| l.parent >= self.nodes.len()) {
            return Err(format!("indicator '{}' has no parent", l.id));
        }
        Ok(())
    }
}

/// The counts behind a rate or share, for shrinkage.
#[derive(Debug, Clone)]
pub struct Counts {
    pub numerator: Vec<Option<f64>>,
    pub denominator: Vec<Option<f64>>,
    pub model: Model,
    /// Value = scale × numerator / denominator (1000 for a rate per 1,000).
    pub scale: f64,
}

/// The input of one indicator over all units.
#[derive(Debug, Clone)]
pub struct LeafInput {
    pub raw: Vec<Option<f64>>,
    /// For shrinkage; `None` when the indicator is not a rate or share.
    pub counts: Option<Counts>,
    /// Cells that imputation may fill (a unit-specific gap, not a source
    /// missing everywhere).
    pub imputable: Vec<bool>,
}

/// One indicator made ready to normalise.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// After shrinkage (`None` cells where raw is `None`); equals `raw`
    /// when not shrunk.
    pub shrunk: Vec<Option<f64>>,
    pub shrunk_applied: bool,
    pub imputed: Vec<bool>,
    /// After two-sided distance, imputation and treatment: what is
    /// normalised.
    pub values: Vec<Option<f64>>,
    pub treated: Option<Treated>,
    /// The two-sided indicator's reference point.
    pub centre: Option<f64>,
}

impl Prepared {
    pub fn cell_treatment(&self, unit: usize) -> CellTreatment {
        self.treated
            .as_ref()
            .map_or(CellTreatment::None, |t| t.cells[unit])
    }
}

/// Shrinks, centres, imputes and treats one indicator.
pub fn prepare(leaf: &Leaf, input: &LeafInput, groups: &[&str]) -> Prepared {
    let n = input.raw.len();
    let (shrunk, shrunk_applied) = match (&input.counts, leaf.method.shrinkage) {
        (Some(c), s) if s != Shrinkage::None => {
            let district = vec![""; n];
            let g: &[&str] = if s == Shrinkage::Township {
                groups
            } else {
                &district
            };
            let p = shrinkage::shrink(&c.numerator, &c.denominator, g, c.model);
            // Only cells with a raw value are shrunk (a gated cell stays out).
            let v = p
                .iter()
                .zip(&input.raw)
                .map(|(p, r)| r.and(p.map(|p| p * c.scale)))
                .collect();
            (v, true)
        }
        _ => (input.raw.clone(), false),
    };
    let mut centre = None;
    let values = match leaf.orientation {
        Orientation::TwoSided { target } => {
            centre = target.or_else(|| super::rank::median(&shrunk));
            match centre {
                Some(c) => shrunk.iter().map(|x| x.map(|x| (x - c).abs())).collect(),
                None => shrunk.clone(),
            }
        }
        _ => shrunk.clone(),
    };
    let (values, imputed) = match leaf.method.imputation {
        Imputation::None => (values, vec![false; n]),
        how => impute::impute(&values, &input.imputable, groups, how),
    };
    let (values, treated) = match leaf.method.treatment {
        super::method::Treatment::None => (values, None),
        super::method::Treatment::Jrc(rule) => {
            let t = treatment::treat(&values, &rule);
            (t.values.clone(), Some(t))
        }
    };
    Prepared {
        shrunk,
        shrunk_applied,
        imputed,
        values,
        treated,
        centre,
    }
}

/// Normalises prepared values by `normalisation` (the leaf's own unless the
/// Monte Carlo swaps it). `None`: no spread, the indicator cannot tell
/// units apart.
pub fn normalise_leaf(
    leaf: &Leaf,
    values: &[Option<f64>],
    normalisation: Normalisation,
) -> Option<Vec<Option<f64>>> {
    let higher = leaf.orientation.higher_is_better();
    let oriented = || -> Vec<Option<f64>> {
        if higher {
            values.to_vec()
        } else {
            values.iter().map(|x| x.map(|x| -x)).collect()
        }
    };
    match normalisation {
        Normalisation::MinMax { low, high } => normalise::min_max(&oriented(), low, high),
        Normalisation::ZScore { mean, sd } => normalise::z_score(&oriented(), mean, sd),
        Normalisation::PercentileRank { low, high } => {
            normalise::percentile_rank(&oriented(), low, high)
        }
        Normalisation::Goalposts { worst, best } => values
            .iter()
            .any(Option::is_some)
            .then(|| normalise::goalposts(values, worst, best)),
        Normalisation::Target { target } => normalise::distance_to_target(values, target, higher),
        Normalisation::Deduction { per_unit, cap } => values
            .iter()
            .any(Option::is_some)
            .then(|| normalise::deduction(values, per_unit, cap)),
    }
}

/// Each child's weight within its parent before renormalising over what a
/// unit has: `leaf[i]`, `node[j]` (the root's is 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pub leaf: Vec<f64>,
    pub node: Vec<f64>,
}

/// Every aggregate's value per unit.
#[derive(Debug, Clone)]
pub struct Aggregated {
    /// `values[node][unit]`.
    pub values: Vec<Vec<Option<f64>>>,
    /// The weights used (resolved from each level's method).
    pub weights: Weights,
}

/// Resolves one node's child weights by its method, given the children's
/// scores (for entropy). Children without any score get weight 0.
fn resolve(
    tree: &Tree,
    node: usize,
    children: &[Child],
    columns: &[Option<&[Option<f64>]>],
) -> Result<Vec<f64>, String> {
    let explicit = |c: &Child| match *c {
        Child::Leaf(i) => tree.leaves[i].weight,
        Child::Node(j) => tree.nodes[j].weight,
    };
    let at = &tree.nodes[node].id;
    match &tree.nodes[node].method.weights {
        WeightMethod::Explicit => Ok(children.iter().map(explicit).collect()),
        WeightMethod::Equal => Ok(vec![1.0; children.len()]),
        WeightMethod::Entropy => {
            let present: Vec<usize> = (0..children.len())
                .filter(|&k| columns[k].is_some())
                .collect();
            let cols: Vec<&[Option<f64>]> = present.iter().filter_map(|&k| columns[k]).collect();
            let w =
                weights::entropy(&cols).map_err(|e| format!("entropy weights of '{at}': {e}"))?;
            let mut out = vec![0.0; children.len()];
            for (&k, w) in present.iter().zip(w) {
                out[k] = w;
            }
            Ok(out)
        }
        WeightMethod::Ahp(comparisons) => {
            let ids: Vec<&str> = children
                .iter()
                .map(|c| match *c {
                    Child::Leaf(i) => tree.leaves[i].id.as_str(),
                    Child::Node(j) => tree.nodes[j].id.as_str(),
                })
                .collect();
            weights::ahp(&ids, comparisons)
                .map(|a| a.weights)
                .map_err(|e| format!("AHP weights of '{at}': {}", e.join("; ")))
        }
    }
}

/// Aggregates normalised leaf scores up the tree. `scores[leaf]` is `None`
/// for a leaf left out everywhere. With `weights`, those are used as they
/// are; otherwise each level's method resolves them. `aggregation`
/// overrides every level's.
///
/// Each level is summed child by child over all units (a unit's terms are
/// added in child order, as one unit at a time would add them).
pub fn aggregate(
    tree: &Tree,
    scores: &[Option<Vec<Option<f64>>>],
    units: usize,
    weights: Option<&Weights>,
    aggregation: Option<Aggregation>,
) -> Result<Aggregated, String> {
    let children = tree.children();
    let mut values: Vec<Vec<Option<f64>>> = vec![Vec::new(); tree.nodes.len()];
    let mut resolved = Weights {
        leaf: vec![0.0; tree.leaves.len()],
        node: vec![1.0; tree.nodes.len()],
    };
    for (j, node) in tree.nodes.iter().enumerate() {
        let kids = &children[j];
        let columns: Vec<Option<&[Option<f64>]>> = kids
            .iter()
            .map(|c| match *c {
                Child::Leaf(i) => scores[i].as_deref(),
                Child::Node(k) => Some(values[k].as_slice()),
            })
            .collect();
        let w: Vec<f64> = match weights {
            Some(given) => kids
                .iter()
                .map(|c| match *c {
                    Child::Leaf(i) => given.leaf[i],
                    Child::Node(k) => given.node[k],
                })
                .collect(),
            None => resolve(tree, j, kids, &columns)?,
        };
        for (c, &w) in kids.iter().zip(&w) {
            match *c {
                Child::Leaf(i) => resolved.leaf[i] = w,
                Child::Node(k) => resolved.node[k] = w,
            }
        }
        let how = level_aggregation(node.method.aggregation, aggregation);
        values[j] = if how == Aggregation::Deduction {
            deducted_all(&columns, &w, units)
        } else {
            weighted_mean(&columns, &w, units, how)
                .map_err(|(u, x)| refused_message(&node.id, u, x))?
        };
    }
    Ok(Aggregated {
        values,
        weights: resolved,
    })
}

/// The error of a geometric level that met a score at or below 0.
fn refused_message(node: &str, u: usize, x: f64) -> String {
    format!(
        "geometric aggregation of '{node}' met a score of {x} (unit {u}); it needs scores above 0"
    )
}

/// One level's weighted arithmetic or geometric mean per unit over the
/// children it has (children of weight 0 or less left out); `None` for a
/// unit with none. Err: the first unit (and its score) that a geometric
/// level cannot take, a score at or below 0.
fn weighted_mean(
    columns: &[Option<&[Option<f64>]>],
    w: &[f64],
    units: usize,
    how: Aggregation,
) -> Result<Vec<Option<f64>>, (usize, f64)> {
    let geometric = how == Aggregation::Geometric;
    let mut sw = vec![0.0f64; units];
    let mut acc = vec![0.0f64; units];
    // The unit first met with a score at or below 0, and that score.
    let mut refused: Option<(usize, f64)> = None;
    for (col, &w) in columns.iter().zip(w) {
        let Some(col) = col else { continue };
        if w <= 0.0 {
            continue;
        }
        let col = &col[..units];
        if !geometric {
            add_terms(col, w, &mut sw, &mut acc);
            continue;
        }
        for (u, (x, (s, a))) in col.iter().zip(sw.iter_mut().zip(&mut acc)).enumerate() {
            if let Some(x) = *x {
                if x <= 0.0 {
                    note_refused(&mut refused, u, x);
                    continue;
                }
                *s += w;
                *a += w * x.ln();
            }
        }
    }
    if let Some(at) = refused {
        return Err(at);
    }
    Ok(sw
        .into_iter()
        .zip(acc)
        .map(|(sw, acc)| {
            (sw > 0.0).then(|| {
                if geometric {
                    (acc / sw).exp()
                } else {
                    acc / sw
                }
            })
        })
        .collect())
}

/// Adds `w` to `sw` and `w·x` to `acc` for every unit with a value `x`.
/// Branch-free for a finite `w`, so that the loop vectorises: a missing
/// value adds +0.0 to both, which leaves them as they were to the bit
/// (sums that start at +0.0 are never −0.0, and x + 0.0 is x for any
/// other x, NaN and infinities included).
fn add_terms(values: &[Option<f64>], w: f64, sw: &mut [f64], acc: &mut [f64]) {
    if !w.is_finite() {
        for ((x, s), a) in values.iter().zip(sw).zip(acc) {
            if let Some(x) = *x {
                *s += w;
                *a += w * x;
            }
        }
        return;
    }
    for ((x, s), a) in values.iter().zip(sw).zip(acc) {
        let (m, v) = match *x {
            Some(v) => (1.0, v),
            None => (0.0, 0.0),
        };
        *s += w * m;
        *a += w * v;
    }
}

/// Keeps the lowest unit refused (for one unit, the first child's score).
fn note_refused(refused: &mut Option<(usize, f64)>, u: usize, x: f64) {
    if refused.is_none_or(|(v, _)| u < v) {
        *refused = Some((u, x));
    }
}

/// The aggregation a level uses: its own, or the override (the Monte
/// Carlo's switch), except that a deduction level keeps its rule.
fn level_aggregation(own: Aggregation, over: Option<Aggregation>) -> Aggregation {
    match own {
        Aggregation::Deduction => Aggregation::Deduction,
        _ => over.unwrap_or(own),
    }
}

/// Full marks of a deduction level.
const FULL_MARKS: f64 = 100.0;

/// How much a deduction level's deductions `d` are scaled so that its
/// value stops at `floor`, its lowest child's score (never below it, so a
/// level over scores of at least 1 stays at least 1, as geometric levels
/// above it need): 1 while they leave room.
fn floor_scale(d: f64, floor: f64) -> f64 {
    let room = FULL_MARKS - floor;
    if d <= room { 1.0 } else { room.max(0.0) / d }
}

/// A deduction level's value for every unit: 100 − Σ w·(100 − x) over
/// the children it has, at least its lowest child's score; `None` for a
/// unit with none. Summed child by child over all units (a unit's terms
/// in child order, as one unit at a time would add them).
fn deducted_all(columns: &[Option<&[Option<f64>]>], w: &[f64], units: usize) -> Vec<Option<f64>> {
    let mut floor: Vec<Option<f64>> = vec![None; units];
    let mut d = vec![0.0f64; units];
    for (col, &w) in columns.iter().zip(w) {
        let Some(col) = col else { continue };
        if w <= 0.0 {
            continue;
        }
        for ((x, f), d) in col[..units].iter().zip(&mut floor).zip(&mut d) {
            if let Some(x) = *x {
                *f = Some(f.map_or(x, |f: f64| f.min(x)));
                *d += w * (FULL_MARKS - x).max(0.0);
            }
        }
    }
    floor
        .into_iter()
        .zip(d)
        .map(|(f, d)| f.map(|f| FULL_MARKS - d * floor_scale(d, f.min(FULL_MARKS))))
        .collect()
}

/// The weights of many runs that share leaf scores (the Monte Carlo's
/// runs of one variant), child by child and then run by run:
/// `leaf[i * runs + r]`, `node[k * runs + r]`.
#[derive(Debug, Clone, Default)]
pub struct RunWeights {
    pub runs: usize,
    pub leaf: Vec<f64>,
    pub node: Vec<f64>,
}

impl RunWeights {
    /// The weights of `runs`, laid out child by child.
    pub fn of<'a>(runs: impl ExactSizeIterator<Item = &'a Weights> + Clone) -> Self {
        let n = runs.len();
        let lay = |pick: fn(&Weights) -> &Vec<f64>| -> Vec<f64> {
            let Some(first) = runs.clone().next() else {
                return Vec::new();
            };
            let children = pick(first).len();
            let mut out = vec![0.0; children * n];
            for (r, w) in runs.clone().enumerate() {
                for (c, &x) in pick(w).iter().enumerate() {
                    out[c * n + r] = x;
                }
            }
            out
        };
        RunWeights {
            runs: n,
            leaf: lay(|w| &w.leaf),
            node: lay(|w| &w.node),
        }
    }
}

/// The working space of [`root_for_runs`], kept between units.
#[derive(Debug, Default)]
pub struct RunScratch {
    value: Vec<f64>,
    present: Vec<bool>,
    sw: Vec<f64>,
    acc: Vec<f64>,
    floor: Vec<Option<f64>>,
    root: Vec<Option<f64>>,
}

/// The root's value of unit `u` in every run of `weights` (one per
/// run): what [`aggregate`] with each run's weights gives for
/// the unit, to the bit (the same terms in the same order), computed for
/// all runs at once so that a leaf's score is read once and the runs'
/// sums are vectorised. `row[leaf]` is the unit's score of each leaf
/// (`None`: none, or the leaf left out).
pub fn root_for_runs<'s>(
    tree: &Tree,
    children: &[Vec<Child>],
    row: &[Option<f64>],
    u: usize,
    weights: &RunWeights,
    aggregation: Option<Aggregation>,
    scratch: &'s mut RunScratch,
) -> Result<&'s [Option<f64>], String> {
    let n = weights.runs;
    let RunScratch {
        value,
        present,
        sw,
        acc,
        floor,
        root: out,
    } = scratch;
    value.clear();
    value.resize(tree.nodes.len() * n, 0.0);
    present.clear();
    present.resize(tree.nodes.len() * n, false);
    sw.resize(n, 0.0);
    acc.resize(n, 0.0);
    floor.resize(n, None);
    for (j, node) in tree.nodes.iter().enumerate() {
        let how = level_aggregation(node.method.aggregation, aggregation);
        sw.fill(0.0);
        acc.fill(0.0);
        floor.fill(None);
        for c in &children[j] {
            match *c {
                Child::Leaf(i) => {
                    let Some(x) = row[i] else {
                        continue;
                    };
                    let w = &weights.leaf[i * n..(i + 1) * n];
                    match how {
                        Aggregation::Arithmetic => add_scalar(w, x, sw, acc),
                        Aggregation::Geometric => {
                            if x <= 0.0 {
                                if w.iter().any(|&w| w > 0.0) {
                                    return Err(refused_message(&node.id, u, x));
                                }
                                continue;
                            }
                            add_scalar(w, x.ln(), sw, acc);
                        }
                        Aggregation::Deduction => {
                            for ((&w, f), d) in w.iter().zip(floor.iter_mut()).zip(acc.iter_mut()) {
                                if w > 0.0 {
                                    *f = Some(f.map_or(x, |f: f64| f.min(x)));
                                    *d += w * (FULL_MARKS - x).max(0.0);
                                }
                            }
                        }
                    }
                }
                Child::Node(k) => {
                    let w = &weights.node[k * n..(k + 1) * n];
                    let v = &value[k * n..(k + 1) * n];
                    let p = &present[k * n..(k + 1) * n];
                    for r in 0..n {
                        let (w, x) = (w[r], v[r]);
                        if !p[r] || w <= 0.0 {
                            continue;
                        }
                        match how {
                            Aggregation::Arithmetic => {
                                sw[r] += w;
                                acc[r] += w * x;
                            }
                            Aggregation::Geometric => {
                                if x <= 0.0 {
                                    return Err(refused_message(&node.id, u, x));
                                }
                                sw[r] += w;
                                acc[r] += w * x.ln();
                            }
                            Aggregation::Deduction => {
                                floor[r] = Some(floor[r].map_or(x, |f: f64| f.min(x)));
                                acc[r] += w * (FULL_MARKS - x).max(0.0);
                            }
                        }
                    }
                }
            }
        }
        let (v, p) = (
            &mut value[j * n..(j + 1) * n],
            &mut present[j * n..(j + 1) * n],
        );
        for r in 0..n {
            let level = match how {
                Aggregation::Deduction => {
                    floor[r].map(|f| FULL_MARKS - acc[r] * floor_scale(acc[r], f.min(FULL_MARKS)))
                }
                Aggregation::Arithmetic => (sw[r] > 0.0).then(|| acc[r] / sw[r]),
                Aggregation::Geometric => (sw[r] > 0.0).then(|| (acc[r] / sw[r]).exp()),
            };
            p[r] = level.is_some();
            v[r] = level.unwrap_or(0.0);
        }
    }
    let root = tree.root();
    out.clear();
    out.extend((0..n).map(|r| present[root * n + r].then(|| value[root * n + r])));
    Ok(out)
}

/// Adds, in every run r, `w[r]` to `sw[r]` and `w[r]·x` to `acc[r]` where
/// `w[r]` is above 0. Branch-free for a finite `x`, so that it vectorises:
/// a run of weight 0 or less adds +0.0 and ±0.0, which leave the sums as
/// they were to the bit (sums that start at +0.0 are never −0.0).
fn add_scalar(w: &[f64], x: f64, sw: &mut [f64], acc: &mut [f64]) {
    if !x.is_finite() {
        for ((&w, s), a) in w.iter().zip(sw).zip(acc) {
            if w <= 0.0 {
                continue;
            }
            *s += w;
            *a += w * x;
        }
        return;
    }
    for ((&w, s), a) in w.iter().zip(sw).zip(acc) {
        let w = if w <= 0.0 { 0.0 } else { w };
        *s += w;
        *a += w * x;
    }
}

/// One unit's decomposition of the root value.
#[derive(Debug, Clone, PartialEq)]
pub struct Decomposition {
    /// Per leaf: the product of its and its ancestors' weights, each
    /// renormalised over the siblings the unit has (0 when left out).
    pub effective_weight: Vec<f64>,
    /// Per leaf: its part of the root value; the parts sum to it. For an
    /// arithmetic path it is effective weight × score; a geometric level
    /// splits its value by each child's share of Σ w·ln x.
    pub contribution: Vec<f64>,
}

/// Splits the root value of `unit` into per-leaf contributions.
pub fn decompose(
    tree: &Tree,
    scores: &[Option<Vec<Option<f64>>>],
    agg: &Aggregated,
    unit: usize,
    aggregation: Option<Aggregation>,
) -> Decomposition {
    let children = tree.children();
    let mut ew = vec![0.0; tree.leaves.len()];
    let mut contribution = vec![0.0; tree.leaves.len()];
    // Top-down: (node, its effective weight, its contribution).
    let root = tree.root();
    let Some(root_value) = agg.values[root][unit] else {
        return Decomposition {
            effective_weight: ew,
            contribution,
        };
    };
    let mut stack = vec![(root, 1.0, root_value)];
    while let Some((j, node_ew, node_c)) = stack.pop() {
        let kids: Vec<(Child, f64, f64)> = children[j]
            .iter()
            .filter_map(|&c| {
                let (x, w) = match c {
                    Child::Leaf(i) => (
                        scores[i].as_ref().and_then(|s| s[unit]),
                        agg.weights.leaf[i],
                    ),
                    Child::Node(k) => (agg.values[k][unit], agg.weights.node[k]),
                };
                x.filter(|_| w > 0.0).map(|x| (c, w, x))
            })
            .collect();
        let sw: f64 = kids.iter().map(|k| k.1).sum();
        let how = level_aggregation(tree.nodes[j].method.aggregation, aggregation);
        let logs: f64 = kids.iter().map(|k| k.1 * k.2.ln()).sum();
        // A deduction level: value V = Σ (100/n − s·w·(100 − x)), s the
        // scale that stops it at 0; each child's term over V is its share,
        // so a child with a finding contributes less than one without
        // (negatively when its deduction outweighs its part of full marks).
        let n = kids.len() as f64;
        let floor = kids.iter().map(|k| k.2).fold(FULL_MARKS, f64::min);
        let scale = floor_scale(
            kids.iter().map(|k| k.1 * (FULL_MARKS - k.2).max(0.0)).sum(),
            floor,
        );
        let value = tree_value(agg, j, unit);
        for &(c, w, x) in &kids {
            let share = match how {
                Aggregation::Deduction => {
                    let term = FULL_MARKS / n - scale * w * (FULL_MARKS - x).max(0.0);
                    if value > 0.0 { term / value } else { 1.0 / n }
                }
                Aggregation::Arithmetic => {
                    let total: f64 = kids.iter().map(|k| k.1 * k.2).sum();
                    if total == 0.0 { w / sw } else { w * x / total }
                }
                Aggregation::Geometric => {
                    if logs == 0.0 {
                        w / sw
                    } else {
                        w * x.ln() / logs
                    }
                }
            };
            let (cew, cc) = (node_ew * w / sw, node_c * share);
            match c {
                Child::Leaf(i) => {
                    ew[i] = cew;
                    contribution[i] = cc;
                }
                Child::Node(k) => stack.push((k, cew, cc)),
            }
        }
    }
    Decomposition {
        effective_weight: ew,
        contribution,
    }
}

fn tree_value(agg: &Aggregated, node: usize, unit: usize) -> f64 {
    agg.values[node][unit].unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::method::Treatment;
    use crate::engine::treatment::OutlierRule;
    use crate::engine::weights::Comparison;

    const TOL: f64 = 1e-12;

    fn close(got: f64, want: f64) -> bool {
        (got - want).abs() <= TOL * want.abs().max(1.0)
    }

    fn assert_close(got: &[Option<f64>], want: &[Option<f64>]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (u, (g, w)) in got.iter().zip(want).enumerate() {
            match (g, w) {
                (None, None) => {}
                (Some(g), Some(w)) => assert!(close(*g, *w), "unit {u}: got {g}, want {w}"),
                _ => panic!("unit {u}: got {g:?}, want {w:?}"),
            }
        }
    }

    fn assert_close_f(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(close(*g, *w), "entry {k}: got {g}, want {w}");
        }
    }

    fn leaf(id: &str, parent: usize, weight: f64) -> Leaf {
        Leaf {
            id: id.into(),
            parent,
            weight,
            orientation: Orientation::HigherIsBetter,
            method: IndicatorMethod::default(),
        }
    }

    fn node(id: &str, parent: Option<usize>, weight: f64, aggregation: Aggregation) -> Node {
        Node {
            id: id.into(),
            parent,
            weight,
            method: LevelMethod {
                aggregation,
                weights: WeightMethod::Explicit,
            },
        }
    }

    /// index ← A (weight 1) + B (weight 3); A ← a1 (1) + a2 (3) + a3 (5);
    /// B ← b1 (1) + b2 (3). Leaves 0..5 = a1, a2, a3, b1, b2; nodes
    /// 0 = A, 1 = B, 2 = index.
    fn two_levels(dims: Aggregation, root: Aggregation) -> Tree {
        Tree {
            leaves: vec![
                leaf("a1", 0, 1.0),
                leaf("a2", 0, 3.0),
                leaf("a3", 0, 5.0),
                leaf("b1", 1, 1.0),
                leaf("b2", 1, 3.0),
            ],
            nodes: vec![
                node("A", Some(2), 1.0, dims),
                node("B", Some(2), 3.0, dims),
                node("index", None, 1.0, root),
            ],
        }
    }

    /// Scores for `two_levels` over 4 units. a3 is left out everywhere
    /// (`None`); unit 1 lacks b1; unit 2 has nothing; unit 3 has only b1.
    fn two_level_scores() -> Vec<Option<Vec<Option<f64>>>> {
        vec![
            Some(vec![Some(10.0), Some(20.0), None, None]),
            Some(vec![Some(30.0), Some(40.0), None, None]),
            None,
            Some(vec![Some(50.0), None, None, Some(40.0)]),
            Some(vec![Some(70.0), Some(80.0), None, None]),
        ]
    }

    #[test]
    fn many_runs_at_once_give_each_runs_aggregate_to_the_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut scores = two_level_scores();
        // A score of 0 in a deduction level, and awkward fractions.
        scores[0] = Some(vec![Some(0.0), Some(20.3), None, Some(99.99)]);
        let kinds = [
            Aggregation::Arithmetic,
            Aggregation::Geometric,
            Aggregation::Deduction,
        ];
        for dims in kinds {
            for root in [Aggregation::Arithmetic, Aggregation::Geometric] {
                let tree = two_levels(dims, root);
                // Geometric levels need scores above 0, as the Monte Carlo's
                // geometric runs make them (1 + 0.99·x).
                let scores: Vec<_> =
                    if dims == Aggregation::Geometric || root == Aggregation::Geometric {
                        scores
                            .iter()
                            .map(|c| {
                                c.as_ref()
                                    .map(|c| c.iter().map(|x| x.map(|x| 1.0 + 0.99 * x)).collect())
                            })
                            .collect()
                    } else {
                        scores.clone()
                    };
                // Some weights 0, as a framework may set them.
                let runs: Vec<Weights> = (0..9)
                    .map(|r| Weights {
                        leaf: (0..5)
                            .map(|i| {
                                if (r + i) % 7 == 0 {
                                    0.0
                                } else {
                                    rng.random_range(0.5..2.0)
                                }
                            })
                            .collect(),
                        node: (0..3).map(|_| rng.random_range(0.5..2.0)).collect(),
                    })
                    .collect();
                let together = RunWeights::of(runs.iter());
                let children = tree.children();
                let mut scratch = RunScratch::default();
                for u in 0..4 {
                    let row: Vec<Option<f64>> = scores
                        .iter()
                        .map(|c| c.as_ref().and_then(|c| c[u]))
                        .collect();
                    let all =
                        root_for_runs(&tree, &children, &row, u, &together, None, &mut scratch);
                    let out = all.unwrap().to_vec();
                    for (r, w) in runs.iter().enumerate() {
                        let one = aggregate(&tree, &scores, 4, Some(w), None).unwrap();
                        assert_eq!(
                            out[r].map(f64::to_bits),
                            one.values[2][u].map(f64::to_bits),
                            "{dims:?}/{root:?} unit {u} run {r}"
                        );
                    }
                }
            }
        }
    }

    /// One level: index ← x (weight 1) + y (weight 3).
    fn one_level(aggregation: Aggregation, weights: WeightMethod) -> Tree {
        Tree {
            leaves: vec![leaf("x", 0, 1.0), leaf("y", 0, 3.0)],
            nodes: vec![Node {
                id: "index".into(),
                parent: None,
                weight: 1.0,
                method: LevelMethod {
                    aggregation,
                    weights,
                },
            }],
        }
    }

    // ------------------------------------------------------------ aggregate

    #[test]
    fn arithmetic_two_levels_by_hand() {
        let tree = two_levels(Aggregation::Arithmetic, Aggregation::Arithmetic);
        let agg = aggregate(&tree, &two_level_scores(), 4, None, None).unwrap();
        // Unit 0: A = (1·10 + 3·30)/4 = 25 (a3 is left out, its weight 5
        //   is ignored); B = (1·50 + 3·70)/4 = 65; index = (25 + 3·65)/4 = 55.
        // Unit 1: A = (20 + 3·40)/4 = 35; B has only b2 → 80;
        //   index = (35 + 3·80)/4 = 68.75.
        // Unit 2: nothing → None everywhere.
        // Unit 3: A has nothing → None; B = b1 = 40; index renormalises
        //   over B alone → 40.
        assert_close(&agg.values[0], &[Some(25.0), Some(35.0), None, None]);
        assert_close(&agg.values[1], &[Some(65.0), Some(80.0), None, Some(40.0)]);
        assert_close(&agg.values[2], &[Some(55.0), Some(68.75), None, Some(40.0)]);
        // Explicit weights are reported as given (before renormalising).
        assert_eq!(agg.weights.leaf, vec![1.0, 3.0, 5.0, 1.0, 3.0]);
        assert_eq!(agg.weights.node, vec![1.0, 3.0, 1.0]);
    }

    #[test]
    fn geometric_one_level_by_hand() {
        let tree = one_level(Aggregation::Geometric, WeightMethod::Explicit);
        let scores = vec![
            Some(vec![Some(4.0), Some(1.0), Some(9.0), None]),
            Some(vec![Some(16.0), Some(100.0), None, None]),
        ];
        let agg = aggregate(&tree, &scores, 4, None, None).unwrap();
        // Unit 0: exp((ln 4 + 3 ln 16)/4) = exp(14 ln 2 / 4) = 2^3.5 = 8√2.
        // Unit 1: exp((ln 1 + 3 ln 100)/4) = 100^0.75 = 10^1.5.
        // Unit 2: only x = 9 → 9.  Unit 3: nothing → None.
        assert_close(
            &agg.values[0],
            &[
                Some(8.0 * 2f64.sqrt()),
                Some(10f64.powf(1.5)),
                Some(9.0),
                None,
            ],
        );
    }

    #[test]
    fn aggregation_override_applies_to_every_level() {
        let tree = two_levels(Aggregation::Arithmetic, Aggregation::Arithmetic);
        let agg = aggregate(
            &tree,
            &two_level_scores(),
            4,
            None,
            Some(Aggregation::Geometric),
        )
        .unwrap();
        // Unit 0: A = 10^(1/4)·30^(3/4), B = 50^(1/4)·70^(3/4),
        //   index = A^(1/4)·B^(3/4).
        let a = 10f64.powf(0.25) * 30f64.powf(0.75);
        let b = 50f64.powf(0.25) * 70f64.powf(0.75);
        assert!(close(agg.values[0][0].unwrap(), a));
        assert!(close(agg.values[1][0].unwrap(), b));
        assert!(close(
            agg.values[2][0].unwrap(),
            a.powf(0.25) * b.powf(0.75)
        ));
        // Arithmetic would have given 25 for A: the override did apply.
        assert!(!close(a, 25.0));
    }

    #[test]
    fn geometric_score_at_or_below_zero_is_an_error_naming_the_node() {
        let tree = two_levels(Aggregation::Geometric, Aggregation::Arithmetic);
        let mut scores = two_level_scores();
        // b2 of unit 1 is 0.
        scores[4] = Some(vec![Some(70.0), Some(0.0), None, None]);
        let err = aggregate(&tree, &scores, 4, None, None).unwrap_err();
        assert!(err.contains("'B'"), "{err}");
        assert!(err.contains("unit 1"), "{err}");
        // A negative score in A.
        let mut scores = two_level_scores();
        scores[0] = Some(vec![Some(-1.0), Some(20.0), None, None]);
        let err = aggregate(&tree, &scores, 4, None, None).unwrap_err();
        assert!(err.contains("'A'"), "{err}");
        // The same 0 under arithmetic aggregation is fine: B = (1·50 + 3·0)/4.
        let tree = two_levels(Aggregation::Arithmetic, Aggregation::Arithmetic);
        let mut scores = two_level_scores();
        scores[4] = Some(vec![Some(0.0), Some(80.0), None, None]);
        let agg = aggregate(&tree, &scores, 4, None, None).unwrap();
        assert!(close(agg.values[1][0].unwrap(), 12.5));
    }

    // ------------------------------------------------------------- weights

    #[test]
    fn equal_weights_ignore_the_explicit_ones() {
        let tree = one_level(Aggregation::Arithmetic, WeightMethod::Equal);
        let scores = vec![
            Some(vec![Some(10.0), Some(20.0)]),
            Some(vec![Some(30.0), Some(60.0)]),
        ];
        let agg = aggregate(&tree, &scores, 2, None, None).unwrap();
        // (10 + 30)/2 = 20, (20 + 60)/2 = 40 (explicit 1:3 would give 25, 50).
        assert_close(&agg.values[0], &[Some(20.0), Some(40.0)]);
        assert_eq!(agg.weights.leaf, vec![1.0, 1.0]);
    }

    #[test]
    fn entropy_weights_by_hand_and_left_out_leaf_gets_zero() {
        let mut tree = one_level(Aggregation::Arithmetic, WeightMethod::Entropy);
        tree.leaves.push(leaf("z", 0, 1.0));
        let x = vec![Some(1.0), Some(3.0)];
        let y = vec![Some(1.0), Some(4.0)];
        let scores = vec![Some(x.clone()), Some(y.clone()), None];
        let agg = aggregate(&tree, &scores, 2, None, None).unwrap();
        // n = 2, ln 2 normalises.
        // x: p = 1/4, 3/4; e = −(¼ln¼ + ¾ln¾)/ln 2 = 0.811278124459133,
        //    d = 0.18872187554086717.
        // y: p = 1/5, 4/5; e = −(⅕ln⅕ + ⅘ln⅘)/ln 2 = 0.721928094887362,
        //    d = 0.2780719051126377.
        // w = d / Σd = 0.40429389456873044, 0.5957061054312696; z left out → 0.
        let want = [0.40429389456873044, 0.5957061054312696, 0.0];
        assert_close_f(&agg.weights.leaf, &want);
        // And the same as weights::entropy on the two present columns.
        let e = weights::entropy(&[&x, &y]).unwrap();
        assert_close_f(&agg.weights.leaf[..2], &e);
        // Unit 0: w·1 + w·1 = 1; unit 1: 0.404…·3 + 0.595…·4 = 3 + 0.5957…
        assert_close(&agg.values[0], &[Some(1.0), Some(3.0 + 0.5957061054312696)]);
    }

    #[test]
    fn entropy_weights_of_aggregates_use_their_values() {
        let mut tree = two_levels(Aggregation::Arithmetic, Aggregation::Arithmetic);
        tree.nodes[2].method.weights = WeightMethod::Entropy;
        let scores = two_level_scores();
        let agg = aggregate(&tree, &scores, 4, None, None).unwrap();
        // A = [25, 35, None, None], B = [65, 80, None, 40] (explicit inside).
        let a = [Some(25.0), Some(35.0), None, None];
        let b = [Some(65.0), Some(80.0), None, Some(40.0)];
        let e = weights::entropy(&[&a, &b]).unwrap();
        assert_close_f(&agg.weights.node[..2], &e);
        // A (n = 2): p = 25/60, 35/60; B (n = 3): p = 65/185, 80/185, 40/185.
        let h = |p: &[f64]| -> f64 { -p.iter().map(|p| p * p.ln()).sum::<f64>() };
        let da = 1.0 - h(&[25.0 / 60.0, 35.0 / 60.0]) / 2f64.ln();
        let db = 1.0 - h(&[65.0 / 185.0, 80.0 / 185.0, 40.0 / 185.0]) / 3f64.ln();
        assert_close_f(&agg.weights.node[..2], &[da / (da + db), db / (da + db)]);
        // Unit 0's index with those weights.
        let want = (da * 25.0 + db * 65.0) / (da + db);
        assert!(close(agg.values[2][0].unwrap(), want));
    }

    #[test]
    fn entropy_without_information_is_an_error_naming_the_node() {
        let tree = one_level(Aggregation::Arithmetic, WeightMethod::Entropy);
        let scores = vec![
            Some(vec![Some(5.0), Some(5.0)]),
            Some(vec![Some(2.0), Some(2.0)]),
        ];
        let err = aggregate(&tree, &scores, 2, None, None).unwrap_err();
        assert!(err.contains("entropy weights of 'index'"), "{err}");
    }

    #[test]
    fn ahp_weights_keyed_by_leaf_id() {
        // y is twice as important as x (given as "y vs x": 2) → x 1/3, y 2/3.
        let tree = one_level(
            Aggregation::Arithmetic,
            WeightMethod::Ahp(vec![Comparison {
                a: "y".into(),
                b: "x".into(),
                ratio: 2.0,
            }]),
        );
        let scores = vec![Some(vec![Some(30.0)]), Some(vec![Some(60.0)])];
        let agg = aggregate(&tree, &scores, 1, None, None).unwrap();
        assert_close_f(&agg.weights.leaf, &[1.0 / 3.0, 2.0 / 3.0]);
        // 30/3 + 2·60/3 = 10 + 40 = 50.
        assert_close(&agg.values[0], &[Some(50.0)]);
    }

    #[test]
    fn ahp_with_an_unknown_id_is_an_error_naming_the_node() {
        let tree = one_level(
            Aggregation::Arithmetic,
            WeightMethod::Ahp(vec![Comparison {
                a: "y".into(),
                b: "nope".into(),
                ratio: 2.0,
            }]),
        );
        let scores = vec![Some(vec![Some(30.0)]), Some(vec![Some(60.0)])];
        let err = aggregate(&tree, &scores, 1, None, None).unwrap_err();
        assert!(err.contains("AHP weights of 'index'"), "{err}");
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn given_weights_override_every_method() {
        // Entropy would fail here (no spread), but given weights are used as
        // they are and not resolved.
        let tree = one_level(Aggregation::Arithmetic, WeightMethod::Entropy);
        let scores = vec![
            Some(vec![Some(10.0), Some(10.0)]),
            Some(vec![Some(30.0), Some(30.0)]),
        ];
        let given = Weights {
            leaf: vec![3.0, 1.0],
            node: vec![1.0],
        };
        let agg = aggregate(&tree, &scores, 2, Some(&given), None).unwrap();
        // (3·10 + 1·30)/4 = 15.
        assert_close(&agg.values[0], &[Some(15.0), Some(15.0)]);
        assert_eq!(agg.weights, given);
        // A zero weight leaves its child out: only x → 10.
        let given = Weights {
            leaf: vec![1.0, 0.0],
            node: vec![1.0],
        };
        let agg = aggregate(&tree, &scores, 2, Some(&given), None).unwrap();
        assert_close(&agg.values[0], &[Some(10.0), Some(10.0)]);
    }

    // ----------------------------------------------------------- decompose

    #[test]
    fn decompose_arithmetic_is_effective_weight_times_score() {
        let tree = two_levels(Aggregation::Arithmetic, Aggregation::Arithmetic);
        let scores = two_level_scores();
        let agg = aggregate(&tree, &scores, 4, None, None).unwrap();
        // Unit 0: A's share of the index 1/4, B's 3/4; in A a1 1/4, a2 3/4
        //   (a3 left out), in B b1 1/4, b2 3/4. Effective weights:
        //   a1 1/16, a2 3/16, a3 0, b1 3/16, b2 9/16. Contributions:
        //   10/16 = 0.625, 90/16 = 5.625, 0, 150/16 = 9.375, 630/16 = 39.375;
        //   sum 55 = the index.
        let d = decompose(&tree, &scores, &agg, 0, None);
        assert_close_f(
            &d.effective_weight,
            &[1.0 / 16.0, 3.0 / 16.0, 0.0, 3.0 / 16.0, 9.0 / 16.0],
        );
        assert_close_f(&d.contribution, &[0.625, 5.625, 0.0, 9.375, 39.375]);
        // Unit 1 lacks b1: B renormalises over b2 alone → b2 gets 3/4.
        //   a1 1/16·20 = 1.25, a2 3/16·40 = 7.5, b2 3/4·80 = 60; sum 68.75.
        let d = decompose(&tree, &scores, &agg, 1, None);
        assert_close_f(
            &d.effective_weight,
            &[1.0 / 16.0, 3.0 / 16.0, 0.0, 0.0, 0.75],
        );
        assert_close_f(&d.contribution, &[1.25, 7.5, 0.0, 0.0, 60.0]);
        // Unit 3 has only b1: it carries the whole index (weight 1, 40).
        let d = decompose(&tree, &scores, &agg, 3, None);
        assert_close_f(&d.effective_weight, &[0.0, 0.0, 0.0, 1.0, 0.0]);
        assert_close_f(&d.contribution, &[0.0, 0.0, 0.0, 40.0, 0.0]);
        // Unit 2 has no index: everything 0.
        let d = decompose(&tree, &scores, &agg, 2, None);
        assert_eq!(d.effective_weight, vec![0.0; 5]);
        assert_eq!(d.contribution, vec![0.0; 5]);
    }

    #[test]
    fn decompose_geometric_by_hand() {
        let tree = one_level(Aggregation::Geometric, WeightMethod::Explicit);
        let scores = vec![Some(vec![Some(4.0)]), Some(vec![Some(16.0)])];
        let agg = aggregate(&tree, &scores, 1, None, None).unwrap();
        // Index 8√2; Σ w ln x = ln 4 + 3 ln 16 = 14 ln 2; shares 2/14 = 1/7
        // and 12/14 = 6/7 → contributions 8√2/7 and 48√2/7.
        let d = decompose(&tree, &scores, &agg, 0, None);
        let r2 = 2f64.sqrt();
        assert_close_f(&d.contribution, &[8.0 * r2 / 7.0, 48.0 * r2 / 7.0]);
        assert_close_f(&d.effective_weight, &[0.25, 0.75]);
    }

    #[test]
    fn decompose_mixed_geometric_dimensions_under_arithmetic_root() {
        let tree = two_levels(Aggregation::Geometric, Aggregation::Arithmetic);
        let scores = vec![
            Some(vec![Some(4.0)]),
            Some(vec![Some(16.0)]),
            None,
            Some(vec![Some(1.0)]),
            Some(vec![Some(100.0)]),
        ];
        let agg = aggregate(&tree, &scores, 1, None, None).unwrap();
        // A = 4^(1/4)·16^(3/4) = 8√2; B = 1^(1/4)·100^(3/4) = 10^1.5;
        // index = (8√2 + 3·10^1.5)/4.
        let (a, b) = (8.0 * 2f64.sqrt(), 10f64.powf(1.5));
        let index = (a + 3.0 * b) / 4.0;
        assert!(close(agg.values[2][0].unwrap(), index));
        // A contributes a/4, split 1/7 : 6/7 (see decompose_geometric_by_hand);
        // B contributes 3b/4, all of it to b2 since ln 1 = 0.
        let d = decompose(&tree, &scores, &agg, 0, None);
        assert_close_f(
            &d.contribution,
            &[a / 4.0 / 7.0, a / 4.0 * 6.0 / 7.0, 0.0, 0.0, 0.75 * b],
        );
        let sum: f64 = d.contribution.iter().sum();
        assert!((sum - index).abs() <= 1e-12 * index, "{sum} vs {index}");
        // Effective weights are still the renormalised weight products.
        assert_close_f(
            &d.effective_weight,
            &[1.0 / 16.0, 3.0 / 16.0, 0.0, 3.0 / 16.0, 9.0 / 16.0],
        );
    }

    #[test]
    fn decompose_contributions_sum_to_the_index() {
        let scores = vec![
            Some(vec![Some(12.5), Some(80.0), Some(3.0), None, Some(55.0)]),
            Some(vec![Some(47.0), None, Some(99.0), Some(1.0), Some(2.0)]),
            Some(vec![Some(5.0), Some(5.0), Some(5.0), Some(5.0), Some(5.0)]),
            Some(vec![None, Some(61.0), Some(7.5), Some(33.0), Some(1.5)]),
            Some(vec![Some(90.0), Some(14.0), None, Some(70.0), Some(1.0)]),
        ];
        let cases = [
            (Aggregation::Arithmetic, Aggregation::Arithmetic),
            (Aggregation::Geometric, Aggregation::Geometric),
            (Aggregation::Geometric, Aggregation::Arithmetic),
            (Aggregation::Arithmetic, Aggregation::Geometric),
        ];
        for (dims, root) in cases {
            let tree = two_levels(dims, root);
            let agg = aggregate(&tree, &scores, 5, None, None).unwrap();
            for u in 0..5 {
                let index = agg.values[2][u].unwrap();
                let d = decompose(&tree, &scores, &agg, u, None);
                let sum: f64 = d.contribution.iter().sum();
                assert!(
                    (sum - index).abs() <= 1e-12 * index.abs().max(1.0),
                    "{dims:?}/{root:?} unit {u}: {sum} vs {index}"
                );
                let ew: f64 = d.effective_weight.iter().sum();
                assert!(
                    (ew - 1.0).abs() <= 1e-12,
                    "{dims:?}/{root:?} unit {u}: {ew}"
                );
            }
        }
        // With the aggregation overridden in both calls.
        let tree = two_levels(Aggregation::Arithmetic, Aggregation::Arithmetic);
        let agg = aggregate(&tree, &scores, 5, None, Some(Aggregation::Geometric)).unwrap();
        for u in 0..5 {
            let index = agg.values[2][u].unwrap();
            let d = decompose(&tree, &scores, &agg, u, Some(Aggregation::Geometric));
            let sum: f64 = d.contribution.iter().sum();
            assert!(
                (sum - index).abs() <= 1e-12 * index,
                "unit {u}: {sum} vs {index}"
            );
        }
    }

    // ----------------------------------------------- prepare, normalise_leaf

    fn input(raw: Vec<Option<f64>>) -> LeafInput {
        let n = raw.len();
        LeafInput {
            raw,
            counts: None,
            imputable: vec![true; n],
        }
    }

    fn minmax() -> Normalisation {
        Normalisation::MinMax {
            low: 0.0,
            high: 100.0,
        }
    }

    #[test]
    fn two_sided_with_target_scores_the_distance() {
        let mut l = leaf("t", 0, 1.0);
        l.orientation = Orientation::TwoSided { target: Some(5.0) };
        let p = prepare(&l, &input(vec![Some(1.0), Some(4.0), Some(6.0), None]), &[]);
        // |1 − 5| = 4, |4 − 5| = 1, |6 − 5| = 1.
        assert_eq!(p.centre, Some(5.0));
        assert_eq!(p.values, vec![Some(4.0), Some(1.0), Some(1.0), None]);
        assert_eq!(p.shrunk, vec![Some(1.0), Some(4.0), Some(6.0), None]);
        assert!(!p.shrunk_applied);
        // Lower distance is better: −4 → 0, −1 → 100.
        let s = normalise_leaf(&l, &p.values, minmax()).unwrap();
        assert_close(&s, &[Some(0.0), Some(100.0), Some(100.0), None]);
    }

    #[test]
    fn two_sided_without_target_uses_the_median() {
        let mut l = leaf("t", 0, 1.0);
        l.orientation = Orientation::TwoSided { target: None };
        // Median of 1, 2, 10 is 2: distances 1, 0, 8.
        let p = prepare(
            &l,
            &input(vec![Some(1.0), Some(2.0), Some(10.0), None]),
            &[],
        );
        assert_eq!(p.centre, Some(2.0));
        assert_eq!(p.values, vec![Some(1.0), Some(0.0), Some(8.0), None]);
        // −d = −1, 0, −8: (−1 + 8)/8·100 = 87.5, 100, 0.
        let s = normalise_leaf(&l, &p.values, minmax()).unwrap();
        assert_close(&s, &[Some(87.5), Some(100.0), Some(0.0), None]);
        // Even count: median of 1, 2, 3, 10 = 2.5: distances 1.5, 0.5, 0.5, 7.5.
        let p = prepare(
            &l,
            &input(vec![Some(1.0), Some(2.0), Some(3.0), Some(10.0)]),
            &[],
        );
        assert_eq!(p.centre, Some(2.5));
        assert_eq!(p.values, vec![Some(1.5), Some(0.5), Some(0.5), Some(7.5)]);
        // All missing: no centre, values stay missing.
        let p = prepare(&l, &input(vec![None, None]), &[]);
        assert_eq!(p.centre, None);
        assert_eq!(p.values, vec![None, None]);
        assert!(normalise_leaf(&l, &p.values, minmax()).is_none());
    }

    #[test]
    fn lower_is_better_min_max_is_reversed() {
        let mut l = leaf("l", 0, 1.0);
        l.orientation = Orientation::LowerIsBetter;
        let v = [Some(10.0), Some(20.0), Some(30.0), None];
        // −10 is the best → 100; −20 → 50; −30 → 0.
        let s = normalise_leaf(&l, &v, minmax()).unwrap();
        assert_close(&s, &[Some(100.0), Some(50.0), Some(0.0), None]);
        // Higher is better, range [1, 100]: 1 + 99·(x − 10)/20.
        let h = leaf("h", 0, 1.0);
        let s = normalise_leaf(
            &h,
            &v,
            Normalisation::MinMax {
                low: 1.0,
                high: 100.0,
            },
        )
        .unwrap();
        assert_close(&s, &[Some(1.0), Some(50.5), Some(100.0), None]);
        // No spread: the indicator cannot tell units apart.
        assert!(normalise_leaf(&l, &[Some(5.0), Some(5.0), None], minmax()).is_none());
    }

    #[test]
    fn goalposts_on_raw_values() {
        let mut l = leaf("g", 0, 1.0);
        l.orientation = Orientation::LowerIsBetter;
        let how = Normalisation::Goalposts {
            worst: 50.0,
            best: 10.0,
        };
        // 100·(x − 50)/(10 − 50): 10 → 100, 30 → 50, 60 → −25 → 0,
        // 0 → 125 → 100 (clamped); not negated for lower-is-better.
        let v = [Some(10.0), Some(30.0), Some(60.0), Some(0.0), None];
        let s = normalise_leaf(&l, &v, how).unwrap();
        assert_close(&s, &[Some(100.0), Some(50.0), Some(0.0), Some(100.0), None]);
        // Equal values still score on fixed bounds: 30 → 50.
        let s = normalise_leaf(&l, &[Some(30.0), Some(30.0)], how).unwrap();
        assert_close(&s, &[Some(50.0), Some(50.0)]);
        // Nothing present: not scored.
        assert!(normalise_leaf(&l, &[None, None], how).is_none());
    }

    #[test]
    fn deduction_on_raw_values() {
        let mut l = leaf("d", 0, 1.0);
        l.orientation = Orientation::LowerIsBetter;
        let how = Normalisation::Deduction {
            per_unit: 5.0,
            cap: 30.0,
        };
        // 100 − min(30, 5·max(x, 0)): 0 → 100, 2 → 90, 10 → 100 − 30 = 70,
        // −1 → 100.
        let v = [Some(0.0), Some(2.0), Some(10.0), Some(-1.0), None];
        let s = normalise_leaf(&l, &v, how).unwrap();
        assert_close(
            &s,
            &[Some(100.0), Some(90.0), Some(70.0), Some(100.0), None],
        );
        assert!(normalise_leaf(&l, &[None], how).is_none());
    }

    #[test]
    fn target_normalisation_uses_the_leaf_direction() {
        let h = leaf("h", 0, 1.0);
        // Higher is better, target 8, min 2: 100·(x − 2)/6, capped at 100.
        let v = [Some(2.0), Some(5.0), Some(8.0), Some(11.0)];
        let s = normalise_leaf(&h, &v, Normalisation::Target { target: 8.0 }).unwrap();
        assert_close(&s, &[Some(0.0), Some(50.0), Some(100.0), Some(100.0)]);
        // Lower is better, target 5, max 11: 100·(11 − x)/6.
        let mut l = leaf("l", 0, 1.0);
        l.orientation = Orientation::LowerIsBetter;
        let s = normalise_leaf(&l, &v, Normalisation::Target { target: 5.0 }).unwrap();
        assert_close(&s, &[Some(100.0), Some(100.0), Some(50.0), Some(0.0)]);
    }

    #[test]
    fn group_mean_imputation_fills_imputable_cells_and_flags_them() {
        let mut l = leaf("i", 0, 1.0);
        l.method.imputation = Imputation::GroupMean;
        let inp = LeafInput {
            raw: vec![Some(10.0), Some(20.0), None, None, Some(40.0), None],
            counts: None,
            imputable: vec![true, true, true, false, true, true],
        };
        let groups = ["a", "a", "a", "a", "b", "c"];
        let p = prepare(&l, &inp, &groups);
        // Unit 2: mean of group a = (10 + 20)/2 = 15. Unit 3 is not
        // imputable; unit 5's group c has no value.
        assert_eq!(
            p.values,
            vec![Some(10.0), Some(20.0), Some(15.0), None, Some(40.0), None]
        );
        assert_eq!(p.imputed, vec![false, false, true, false, false, false]);
        // The shrunk (pre-imputation) values keep the gap.
        assert_eq!(p.shrunk[2], None);
    }

    #[test]
    fn imputation_comes_after_the_two_sided_distance() {
        let mut l = leaf("i", 0, 1.0);
        l.orientation = Orientation::TwoSided { target: Some(0.0) };
        l.method.imputation = Imputation::GroupMean;
        let p = prepare(&l, &input(vec![Some(-4.0), Some(2.0), None]), &["a"; 3]);
        // Distances 4, 2; the gap takes their mean 3 (imputing the raw mean
        // −1 first would give distance 1).
        assert_eq!(p.values, vec![Some(4.0), Some(2.0), Some(3.0)]);
        assert_eq!(p.imputed, vec![false, false, true]);
    }

    #[test]
    fn jrc_treatment_is_applied_to_the_prepared_values() {
        let mut l = leaf("j", 0, 1.0);
        let rule = OutlierRule::default();
        l.method.treatment = Treatment::Jrc(rule);
        let mut raw: Vec<Option<f64>> = (1..=20).map(|i| Some(f64::from(i))).collect();
        raw.push(Some(1000.0));
        raw.push(None);
        let p = prepare(&l, &input(raw.clone()), &[]);
        let t = treatment::treat(&raw, &rule);
        // The outlier fails the rule, so the values change.
        assert_ne!(t.values, raw);
        assert_eq!(p.values, t.values);
        assert_eq!(p.treated.as_ref(), Some(&t));
        assert_eq!(p.cell_treatment(20), t.cells[20]);
        assert_ne!(p.cell_treatment(20), CellTreatment::None);
        assert_eq!(p.values[21], None);
        // Without treatment the cell reports none.
        let p = prepare(&leaf("n", 0, 1.0), &input(raw), &[]);
        assert_eq!(p.cell_treatment(20), CellTreatment::None);
    }

    fn poisson_counts(numerator: Vec<Option<f64>>, denominator: Vec<Option<f64>>) -> Counts {
        Counts {
            numerator,
            denominator,
            model: Model::Poisson,
            scale: 1000.0,
        }
    }

    #[test]
    fn poisson_shrinkage_scaled_by_hand() {
        let mut l = leaf("r", 0, 1.0);
        l.orientation = Orientation::LowerIsBetter;
        l.method.shrinkage = Shrinkage::District;
        // y = [0, 2, 10], n = [10, 100, 100] (shrinkage.rs'
        // poisson_three_units_by_hand): r̃ = 6/121, 46/1325, 22/265, ×1000.
        let inp = LeafInput {
            raw: vec![Some(0.0), Some(20.0), Some(100.0)],
            counts: Some(poisson_counts(
                vec![Some(0.0), Some(2.0), Some(10.0)],
                vec![Some(10.0), Some(100.0), Some(100.0)],
            )),
            imputable: vec![true; 3],
        };
        let p = prepare(&l, &inp, &["t1", "t2", "t1"]);
        assert!(p.shrunk_applied);
        let want = [
            Some(6000.0 / 121.0),
            Some(46000.0 / 1325.0),
            Some(22000.0 / 265.0),
        ];
        assert_close(&p.shrunk, &want);
        assert_close(&p.values, &want);
    }

    #[test]
    fn shrinkage_equals_shrink_times_scale_and_keeps_raw_gaps() {
        let mut l = leaf("r", 0, 1.0);
        l.method.shrinkage = Shrinkage::District;
        let num = vec![Some(3.0), Some(0.0), Some(7.0), Some(5.0), None];
        let den = vec![Some(40.0), Some(25.0), Some(300.0), Some(50.0), None];
        // Unit 3 has counts but no raw value (gated): it stays None.
        let inp = LeafInput {
            raw: vec![Some(75.0), Some(0.0), Some(23.3), None, None],
            counts: Some(poisson_counts(num.clone(), den.clone())),
            imputable: vec![false; 5],
        };
        let groups = ["a", "a", "b", "b", "b"];
        let p = prepare(&l, &inp, &groups);
        let s = shrinkage::shrink(&num, &den, &[""; 5], Model::Poisson);
        let want: Vec<Option<f64>> = vec![
            s[0].map(|v| v * 1000.0),
            s[1].map(|v| v * 1000.0),
            s[2].map(|v| v * 1000.0),
            None,
            None,
        ];
        assert_close(&p.shrunk, &want);
        // Shrinkage moved something (the test can fail): 3/40·1000 = 75.
        assert!(!close(p.shrunk[0].unwrap(), 75.0));
        // Township shrinkage pools within each group.
        l.method.shrinkage = Shrinkage::Township;
        let p = prepare(&l, &inp, &groups);
        let s = shrinkage::shrink(&num, &den, &groups, Model::Poisson);
        let want: Vec<Option<f64>> = vec![
            s[0].map(|v| v * 1000.0),
            s[1].map(|v| v * 1000.0),
            s[2].map(|v| v * 1000.0),
            None,
            None,
        ];
        assert_close(&p.shrunk, &want);
        // Without counts nothing is shrunk.
        let p = prepare(&l, &input(vec![Some(1.0), None]), &["a", "a"]);
        assert!(!p.shrunk_applied);
        assert_eq!(p.shrunk, vec![Some(1.0), None]);
    }

    // ---------------------------------------------------------- Tree::check

    #[test]
    fn check_accepts_a_well_formed_tree() {
        let tree = two_levels(Aggregation::Arithmetic, Aggregation::Arithmetic);
        assert_eq!(tree.check(), Ok(()));
        assert_eq!(tree.root(), 2);
        // Leaves first, then aggregates, in declaration order.
        let c = tree.children();
        assert_eq!(c[0], vec![Child::Leaf(0), Child::Leaf(1), Child::Leaf(2)]);
        assert_eq!(c[1], vec![Child::Leaf(3), Child::Leaf(4)]);
        assert_eq!(c[2], vec![Child::Node(0), Child::Node(1)]);
    }

    #[test]
    fn check_errors() {
        let ar = Aggregation::Arithmetic;
        let with = |nodes: Vec<Node>| Tree {
            leaves: vec![leaf("x", 0, 1.0)],
            nodes,
        };
        let err = |t: Tree| t.check().unwrap_err();
        // No aggregate.
        assert_eq!(err(with(vec![])), "the tree has no aggregate");
        // Root not last.
        assert_eq!(
            err(with(vec![
                node("index", None, 1.0, ar),
                node("A", Some(0), 1.0, ar)
            ])),
            "the last aggregate 'A' must be the root"
        );
        // Parent listed before its child (B's parent A is at 0, B at 1).
        assert_eq!(
            err(with(vec![
                node("A", Some(2), 1.0, ar),
                node("B", Some(0), 1.0, ar),
                node("index", None, 1.0, ar),
            ])),
            "aggregate 'B' must be listed before its parent"
        );
        // Its own parent.
        assert_eq!(
            err(with(vec![
                node("A", Some(0), 1.0, ar),
                node("index", None, 1.0, ar)
            ])),
            "aggregate 'A' must be listed before its parent"
        );
        // Parent out of range.
        assert_eq!(
            err(with(vec![
                node("A", Some(7), 1.0, ar),
                node("index", None, 1.0, ar)
            ])),
            "aggregate 'A' must be listed before its parent"
        );
        // Two roots.
        assert_eq!(
            err(with(vec![
                node("A", None, 1.0, ar),
                node("index", None, 1.0, ar)
            ])),
            "aggregate 'A' has no parent but is not the root"
        );
        // A leaf whose parent does not exist.
        let mut t = with(vec![node("index", None, 1.0, ar)]);
        t.leaves.push(leaf("y", 3, 1.0));
        assert_eq!(err(t), "indicator 'y' has no parent");
    }
}

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
            centre = target.or_else(|| super::median(&shrunk));
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
/// are (the Monte Carlo's perturbed weights); otherwise each level's
/// method resolves them. `aggregation` overrides every level's.
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
        let how = aggregation.unwrap_or(node.method.aggregation);
        let mut out = Vec::with_capacity(units);
        for u in 0..units {
            let (mut sw, mut acc) = (0.0, 0.0);
            for (col, &w) in columns.iter().zip(&w) {
                if let Some(x) = col.and_then(|c| c[u]) {
                    if w <= 0.0 {
                        continue;
                    }
                    sw += w;
                    acc += match how {
                        Aggregation::Arithmetic => w * x,
                        Aggregation::Geometric => {
                            if x <= 0.0 {
                                return Err(format!(
                                    "geometric aggregation of '{}' met a score of {x} (unit {u}); it needs scores above 0",
                                    node.id
                                ));
                            }
                            w * x.ln()
                        }
                    };
                }
            }
            out.push((sw > 0.0).then(|| match how {
                Aggregation::Arithmetic => acc / sw,
                Aggregation::Geometric => (acc / sw).exp(),
            }));
        }
        values[j] = out;
    }
    Ok(Aggregated {
        values,
        weights: resolved,
    })
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
        let how = aggregation.unwrap_or(tree.nodes[j].method.aggregation);
        let logs: f64 = kids.iter().map(|k| k.1 * k.2.ln()).sum();
        for &(c, w, x) in &kids {
            let share = match how {
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

//! Precomputed indicators: a unit × indicator table (CSV) with a framework
//! table in COINr's `iMeta` layout, scored by the same engine as the
//! pipeline. This is how an analyst scores spreadsheet data, and how the
//! engine is cross-checked against COINr on its ASEM example.
//!
//! The framework table has the columns `Level, iCode, Direction, Weight,
//! Parent, Type` (others ignored): `Type` "Indicator" rows at level 1 are
//! indicators (columns of the data table), "Aggregate" rows at levels ≥ 2
//! are aggregates, and exactly one aggregate has no parent (the index).
//! Other types (groups, denominators) are ignored. Empty cells and `NA` in
//! the data table are missing.

use std::collections::BTreeMap;
use std::path::Path;

use crate::engine::aggregate::{self, Leaf, LeafInput, Node, Orientation, Tree};
use crate::engine::impute::Imputation;
use crate::engine::method::{
    Aggregation, IndicatorMethod, LevelMethod, Normalisation, Shrinkage, Treatment, WeightMethod,
};
use crate::error::{Error, Result};

/// The methods applied to every indicator and level.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub normalisation: Normalisation,
    pub treatment: Treatment,
    pub aggregation: Aggregation,
}

/// A loaded table and framework.
#[derive(Debug, Clone)]
pub struct Precomputed {
    pub units: Vec<String>,
    pub tree: Tree,
    /// Per indicator, its values over the units.
    pub values: Vec<Vec<Option<f64>>>,
}

/// The scored result: per indicator its normalised values, per aggregate
/// its values.
#[derive(Debug, Clone)]
pub struct Scored {
    pub units: Vec<String>,
    pub indicators: Vec<String>,
    pub normalised: Vec<Vec<Option<f64>>>,
    pub aggregates: Vec<String>,
    pub values: Vec<Vec<Option<f64>>>,
}

fn bad(path: &Path, message: String) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        message,
    }
}

fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| bad(path, format!("cannot be read as CSV: {e}")))?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| bad(path, format!("has no readable header row: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| bad(path, format!("row {}: {e}", i + 2)))?;
        rows.push(rec.iter().map(str::to_string).collect());
    }
    Ok((header, rows))
}

fn number(path: &Path, row: usize, column: &str, text: &str) -> Result<Option<f64>> {
    let t = text.trim();
    if t.is_empty() || t == "NA" {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(Some(x)),
        _ => Err(bad(
            path,
            format!(
                "row {row}, column {column}: '{t}' is not a number; write a number, or leave the cell empty (or NA) for a missing value"
            ),
        )),
    }
}

/// One indicator or aggregate row of a framework table.
struct MetaRow {
    level: f64,
    code: String,
    direction: f64,
    weight: f64,
    parent: String,
}

/// Loads a data table and its framework table. `unit_column` names the
/// units' id column of the data table.
pub fn load(data: &Path, meta: &Path, unit_column: &str, options: &Options) -> Result<Precomputed> {
    let mut problems = Vec::new();
    let (indicators, aggregates) = read_meta(meta, &mut problems)?;
    let tree = build_tree(&indicators, aggregates, options, &mut problems);
    if !problems.is_empty() {
        return Err(bad(
            meta,
            format!(
                "is not a usable framework table ({} problem(s)):\n  - {}",
                problems.len(),
                problems.join("\n  - ")
            ),
        ));
    }
    let (units, values) = read_values(data, meta, unit_column, &tree)?;
    Ok(Precomputed {
        units,
        tree,
        values,
    })
}

/// The framework table's indicator and aggregate rows, each checked
/// (weight > 0, direction ±1) into `problems`.
fn read_meta(meta: &Path, problems: &mut Vec<String>) -> Result<(Vec<MetaRow>, Vec<MetaRow>)> {
    let (mh, mrows) = read_csv(meta)?;
    let col = |name: &str| -> Result<usize> {
        mh.iter().position(|h| h == name).ok_or_else(|| {
            bad(
                meta,
                format!(
                    "has no column '{name}'; a framework table needs Level, iCode, Direction, Weight, Parent and Type"
                ),
            )
        })
    };
    let (c_level, c_code, c_dir, c_weight, c_parent, c_type) = (
        col("Level")?,
        col("iCode")?,
        col("Direction")?,
        col("Weight")?,
        col("Parent")?,
        col("Type")?,
    );
    let mut indicators = Vec::new();
    let mut aggregates = Vec::new();
    for (i, r) in mrows.iter().enumerate() {
        let line = i + 2;
        let kind = r[c_type].as_str();
        if kind != "Indicator" && kind != "Aggregate" {
            continue;
        }
        let num = |c: usize, name: &str, default: Option<f64>| -> Result<f64> {
            match number(meta, line, name, &r[c])? {
                Some(x) => Ok(x),
                None => default.ok_or_else(|| {
                    bad(
                        meta,
                        format!("row {line}, column {name}: missing; it is needed for an {kind}"),
                    )
                }),
            }
        };
        let row = MetaRow {
            level: num(c_level, "Level", None)?,
            code: r[c_code].clone(),
            direction: num(c_dir, "Direction", Some(1.0))?,
            weight: num(c_weight, "Weight", Some(1.0))?,
            parent: r[c_parent].clone(),
        };
        if !(row.weight.is_finite() && row.weight > 0.0) {
            problems.push(format!(
                "row {line} ({}): Weight {} must be > 0",
                row.code, row.weight
            ));
        }
        if row.direction != 1.0 && row.direction != -1.0 {
            problems.push(format!(
                "row {line} ({}): Direction {} must be 1 or -1",
                row.code, row.direction
            ));
        }
        if kind == "Indicator" {
            indicators.push(row);
        } else {
            aggregates.push(row);
        }
    }
    Ok((indicators, aggregates))
}

/// The engine tree of the framework table: aggregates children before
/// parents (by level, then as listed), the index last.
fn build_tree(
    indicators: &[MetaRow],
    mut aggregates: Vec<MetaRow>,
    options: &Options,
    problems: &mut Vec<String>,
) -> Tree {
    aggregates.sort_by(|a, b| a.level.total_cmp(&b.level));
    let node_index: BTreeMap<&str, usize> = aggregates
        .iter()
        .enumerate()
        .map(|(i, a)| (a.code.as_str(), i))
        .collect();
    let roots: Vec<&str> = aggregates
        .iter()
        .filter(|a| a.parent.is_empty())
        .map(|a| a.code.as_str())
        .collect();
    if roots.len() != 1 {
        problems.push(format!(
            "exactly one aggregate must have no Parent (the index); found {}: {}",
            roots.len(),
            roots.join(", ")
        ));
    }
    let parent_of = |code: &str, parent: &str, problems: &mut Vec<String>| -> Option<usize> {
        let p = node_index.get(parent).copied();
        if p.is_none() {
            problems.push(format!(
                "{code}: Parent '{parent}' is not an aggregate of the framework table"
            ));
        }
        p
    };
    let level = LevelMethod {
        aggregation: options.aggregation,
        weights: WeightMethod::Explicit,
    };
    let mut nodes = Vec::new();
    for a in &aggregates {
        let parent = if a.parent.is_empty() {
            None
        } else {
            parent_of(&a.code, &a.parent, problems)
        };
        nodes.push(Node {
            id: a.code.clone(),
            parent,
            weight: a.weight,
            method: level.clone(),
        });
    }
    // The root last.
    if let Some(r) = nodes.iter().position(|n| n.parent.is_none())
        && r + 1 != nodes.len()
    {
        problems.push(format!(
            "the index '{}' must be the only aggregate at the highest level",
            nodes[r].id
        ));
    }
    let method = IndicatorMethod {
        normalisation: options.normalisation,
        treatment: options.treatment,
        shrinkage: Shrinkage::None,
        imputation: Imputation::None,
    };
    let leaves: Vec<Leaf> = indicators
        .iter()
        .map(|r| Leaf {
            id: r.code.clone(),
            parent: parent_of(&r.code, &r.parent, problems).unwrap_or(0),
            weight: r.weight,
            orientation: if r.direction < 0.0 {
                Orientation::LowerIsBetter
            } else {
                Orientation::HigherIsBetter
            },
            method: method.clone(),
        })
        .collect();
    let tree = Tree { leaves, nodes };
    if problems.is_empty()
        && let Err(e) = tree.check()
    {
        problems.push(e);
    }
    tree
}

/// The units and, per indicator of `tree`, their values from the data
/// table.
type Values = (Vec<String>, Vec<Vec<Option<f64>>>);

fn read_values(data: &Path, meta: &Path, unit_column: &str, tree: &Tree) -> Result<Values> {
    let (dh, drows) = read_csv(data)?;
    let unit_col = dh.iter().position(|h| h == unit_column).ok_or_else(|| {
        bad(
            data,
            format!("has no unit id column '{unit_column}'; name it with --unit-column"),
        )
    })?;
    let mut units = Vec::with_capacity(drows.len());
    for (i, r) in drows.iter().enumerate() {
        if r[unit_col].trim().is_empty() {
            return Err(bad(data, format!("row {}: the unit id is empty", i + 2)));
        }
        units.push(r[unit_col].clone());
    }
    let mut values = Vec::with_capacity(tree.leaves.len());
    for leaf in &tree.leaves {
        let c = dh.iter().position(|h| h == &leaf.id).ok_or_else(|| {
            bad(
                data,
                format!(
                    "has no column for indicator '{}' of the framework table; add it or remove the indicator from {}",
                    leaf.id,
                    meta.display()
                ),
            )
        })?;
        let mut col = Vec::with_capacity(drows.len());
        for (i, r) in drows.iter().enumerate() {
            col.push(number(data, i + 2, &leaf.id, &r[c])?);
        }
        values.push(col);
    }
    Ok((units, values))
}

/// Scores a loaded table.
pub fn score(p: &Precomputed) -> Result<Scored> {
    let n = p.units.len();
    let groups = vec![""; n];
    let scores: Vec<Option<Vec<Option<f64>>>> = p
        .tree
        .leaves
        .iter()
        .zip(&p.values)
        .map(|(leaf, raw)| {
            let input = LeafInput {
                raw: raw.clone(),
                counts: None,
                imputable: vec![false; n],
            };
            let prepared = aggregate::prepare(leaf, &input, &groups);
            aggregate::normalise_leaf(leaf, &prepared.values, leaf.method.normalisation)
        })
        .collect();
    let agg = aggregate::aggregate(&p.tree, &scores, n, None, None)
        .map_err(|message| Error::Scoring { message })?;
    Ok(Scored {
        units: p.units.clone(),
        indicators: p.tree.leaves.iter().map(|l| l.id.clone()).collect(),
        normalised: scores
            .into_iter()
            .map(|s| s.unwrap_or_else(|| vec![None; n]))
            .collect(),
        aggregates: p.tree.nodes.iter().map(|n| n.id.clone()).collect(),
        values: agg.values,
    })
}

/// Writes the result as CSV: the unit id, each indicator's normalised
/// value, each aggregate's value (shortest exact form; empty = missing).
pub fn write(path: &Path, unit_column: &str, s: &Scored) -> Result<()> {
    let err = |e: csv::Error| Error::Write {
        context: format!("writing {}", path.display()),
        source: e.into(),
    };
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    let mut header = vec![unit_column.to_string()];
    header.extend(s.indicators.iter().cloned());
    header.extend(s.aggregates.iter().cloned());
    w.write_record(&header).map_err(err)?;
    for (u, unit) in s.units.iter().enumerate() {
        let mut row = vec![unit.clone()];
        for col in s.normalised.iter().chain(&s.values) {
            row.push(col[u].map(|x| format!("{x}")).unwrap_or_default());
        }
        w.write_record(&row).map_err(err)?;
    }
    w.flush().map_err(Error::io("writing", path))?;
    Ok(())
}

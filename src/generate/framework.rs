//! Scale frameworks: a copy of a framework (its TOML files and SQL) grown
//! to a given number of indicators and data points by generated ones, to
//! prove and measure that the engine carries a framework the size of the
//! leading districts' platforms (188 indicators over 202 data collection
//! points). Generated data points count a source's rows by one value of
//! one of its enumerated columns in one window; generated indicators are
//! their rates per 1,000 residents and their shares of the source's rows in
//! the same window. Deterministic: same inputs, same files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::contract::{self, Kind};
use crate::framework::{Framework, Window};

use super::GenerateError;

/// What to grow the framework to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleOptions {
    pub indicators: usize,
    pub datapoints: usize,
}

impl Default for ScaleOptions {
    /// The leading district's platform: 188 indicators, 202 data points.
    fn default() -> Self {
        Self {
            indicators: 188,
            datapoints: 202,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleSummary {
    pub indicators: usize,
    /// Declared data points, built-ins left out.
    pub datapoints: usize,
    pub generated_indicators: usize,
    pub generated_datapoints: usize,
}

const WINDOWS: [(Window, &str, &str); 4] = [
    (Window::Quarter, "quarter", "in the quarter"),
    (Window::RollingYear, "rolling_year", "over the rolling year"),
    (
        Window::Trailing4q,
        "trailing_4q",
        "in the four quarters before",
    ),
    (
        Window::PreviousQuarter,
        "previous_quarter",
        "in the previous quarter",
    ),
];

/// The dimension generated indicators of a source join.
fn dimension_of(source: &str) -> &'static str {
    match source {
        "petitions" => "petitions",
        "cases" => "cases",
        "trading" => "trading",
        _ => "assistance",
    }
}

struct Candidate {
    id: String,
    source: &'static str,
    column: &'static str,
    value: &'static str,
    window: &'static str,
    window_text: &'static str,
}

/// Every (source, enumerated column, value, window) count, in a fixed order.
fn candidates() -> Vec<Candidate> {
    let mut out = Vec::new();
    for (_, window, window_text) in WINDOWS {
        for source in contract::sources() {
            for c in source.columns {
                let Kind::Enum(values) = c.kind else {
                    continue;
                };
                for v in values {
                    out.push(Candidate {
                        id: format!("g_{}_{}_{}_{}", source.name, c.name, v, window),
                        source: source.name,
                        column: c.name,
                        value: v,
                        window,
                        window_text,
                    });
                }
            }
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), GenerateError> {
    std::fs::create_dir_all(to).map_err(GenerateError::io(to))?;
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .map_err(GenerateError::io(from))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), &target).map_err(GenerateError::io(&target))?;
        }
    }
    Ok(())
}

/// Writes `out_dir/indicators/` (the base framework's files plus
/// `datapoints/generated.toml` and `definitions/generated.toml`) and
/// `out_dir/sql/` (the base framework's SQL files).
pub fn scale_framework(
    base: &Framework,
    out_dir: &Path,
    opts: ScaleOptions,
) -> Result<ScaleSummary, GenerateError> {
    let base_dps = base
        .datapoints
        .iter()
        .filter(|d| !matches!(d.spec, crate::framework::DataPointSpec::Builtin(_)))
        .count();
    let want_dps = opts.datapoints.saturating_sub(base_dps);
    let want_inds = opts.indicators.saturating_sub(base.indicators.len());
    let candidates = candidates();
    let (totals, counts) = choose(&candidates, want_dps, want_inds)?;
    let fw_dir = copy_base(base, out_dir)?;
    let dps = datapoints_toml(&totals, &counts);
    let (inds, n_inds) = indicators_toml(&counts, want_inds);
    let p = fw_dir.join("datapoints/generated.toml");
    std::fs::write(&p, dps).map_err(GenerateError::io(&p))?;
    let p = fw_dir.join("definitions/generated.toml");
    std::fs::write(&p, inds).map_err(GenerateError::io(&p))?;
    Ok(ScaleSummary {
        indicators: base.indicators.len() + n_inds,
        datapoints: base_dps + counts.len() + totals.len(),
        generated_indicators: n_inds,
        generated_datapoints: counts.len() + totals.len(),
    })
}

/// A (source, window) whose rows a generated share is taken of.
type Total<'a> = (&'a str, &'a str);

/// The counts to generate, in candidate order, and the totals their shares
/// need. Each generated data point gives a rate indicator, and a share
/// indicator when more indicators are wanted than data points; the shares
/// need one total per source and window, counted among the data points
/// generated.
fn choose(
    candidates: &[Candidate],
    want_dps: usize,
    want_inds: usize,
) -> Result<(Vec<Total<'_>>, Vec<&Candidate>), GenerateError> {
    let mut totals: Vec<Total<'_>> = Vec::new();
    let mut counts: Vec<&Candidate> = Vec::new();
    let mut taken = 0;
    while counts.len() + totals.len() < want_dps || counts.len() * 2 < want_inds {
        let Some(c) = candidates.get(taken) else {
            return Err(GenerateError::InvalidOptions(format!(
                "a scale framework can grow by at most {} data points ({} asked)",
                candidates.len(),
                want_dps
            )));
        };
        taken += 1;
        let needs_total = !totals.contains(&(c.source, c.window));
        // With room for one more data point only, a count that brings a
        // new total along would overshoot: give up an earlier count whose
        // total has others, so the count of data points comes out exact.
        if needs_total
            && counts.len() + totals.len() + 1 == want_dps
            && counts.len() * 2 > want_inds
            && let Some(i) = counts.iter().position(|k| {
                counts
                    .iter()
                    .filter(|o| (o.source, o.window) == (k.source, k.window))
                    .count()
                    > 1
            })
        {
            counts.remove(i);
        }
        if needs_total {
            totals.push((c.source, c.window));
        }
        counts.push(c);
    }
    Ok((totals, counts))
}

/// Replaces `out_dir/indicators` and `out_dir/sql` by copies of the base
/// framework's files; returns the framework directory.
fn copy_base(base: &Framework, out_dir: &Path) -> Result<PathBuf, GenerateError> {
    let fw_dir = out_dir.join("indicators");
    let sql_dir = out_dir.join("sql");
    if fw_dir.exists() {
        std::fs::remove_dir_all(&fw_dir).map_err(GenerateError::io(&fw_dir))?;
    }
    if sql_dir.exists() {
        std::fs::remove_dir_all(&sql_dir).map_err(GenerateError::io(&sql_dir))?;
    }
    copy_tree(&base.dir, &fw_dir)?;
    std::fs::create_dir_all(&sql_dir).map_err(GenerateError::io(&sql_dir))?;
    for (name, text) in &base.sql {
        let p = sql_dir.join(name);
        std::fs::write(&p, text).map_err(GenerateError::io(&p))?;
    }
    // The copy's SQL is found at ../sql whatever the base's sql_dir was.
    let main = fw_dir.join("framework.toml");
    let text = std::fs::read_to_string(&main).map_err(GenerateError::io(&main))?;
    let text: String = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("sql_dir") {
                "sql_dir = \"../sql\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    std::fs::write(&main, text).map_err(GenerateError::io(&main))?;
    Ok(fw_dir)
}

/// `datapoints/generated.toml`: the totals, then the counts.
fn datapoints_toml(totals: &[Total<'_>], counts: &[&Candidate]) -> String {
    let mut dps = String::from(
        "# Generated by `qinglian generate-framework`: counts by enumerated value, for scale tests.\n",
    );
    for (source, window) in totals {
        let text = WINDOWS
            .iter()
            .find(|w| w.1 == *window)
            .map(|w| w.2)
            .unwrap_or_default();
        let _ = write!(
            dps,
            "\n[[datapoint]]\nid = \"g_{source}_total_{window}\"\nsource = \"{source}\"\nname_zh = \"生成：{source}总数\"\nname_en = \"Generated: rows of {source} {text}\"\naggregate = \"count\"\nwindow = \"{window}\"\n"
        );
    }
    for c in counts {
        let _ = write!(
            dps,
            "\n[[datapoint]]\nid = \"{id}\"\nsource = \"{s}\"\nname_zh = \"生成：{s}.{col} = {v}\"\nname_en = \"Generated: rows of {s} with {col} = {v} {wt}\"\naggregate = \"count\"\nfilter = \"{col} = '{v}'\"\nwindow = \"{w}\"\n",
            id = c.id,
            s = c.source,
            col = c.column,
            v = c.value,
            w = c.window,
            wt = c.window_text,
        );
    }
    dps
}

/// `definitions/generated.toml`: a rate per count, then its share while
/// more indicators are wanted; returns the text and the indicators in it.
fn indicators_toml(counts: &[&Candidate], want_inds: usize) -> (String, usize) {
    let mut inds = String::from(
        "# Generated by `qinglian generate-framework`: rates and shares of the generated counts.\n",
    );
    let mut n_inds = 0;
    for c in counts {
        for share in [false, true] {
            if n_inds >= want_inds {
                break;
            }
            let (id, formula, den, what) = if share {
                (
                    format!("{}_share", c.id),
                    "share",
                    format!("g_{}_total_{}", c.source, c.window),
                    "share of the source's rows in the same window",
                )
            } else {
                (
                    format!("{}_rate", c.id),
                    "rate_per_1000",
                    "population".to_string(),
                    "per 1,000 residents",
                )
            };
            let _ = write!(
                inds,
                "\n[[indicator]]\nid = \"{id}\"\ndimension = \"{dim}\"\nname_zh = \"生成指标 {id}\"\nname_en = \"Generated: {col} = {v} {wt}, {what}\"\ndefinition = \"Rows of {s} whose {col} is {v} {wt}, {what}. Generated to test the engine at the scale of a 188-indicator platform.\"\nformula = \"{formula}\"\nnumerator = \"{dp}\"\ndenominator = \"{den}\"\nmin_denominator = {min}\ndirection = \"lower_is_better\"\n",
                dim = dimension_of(c.source),
                col = c.column,
                v = c.value,
                s = c.source,
                wt = c.window_text,
                dp = c.id,
                min = if share { 3 } else { 100 },
            );
            n_inds += 1;
        }
    }
    (inds, n_inds)
}

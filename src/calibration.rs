//! Calibration: which indicators catch which known pattern of misconduct.
//! Given villages known to show a pattern in the assessed quarter (the
//! generator's `ground_truth.csv`, or a district's own confirmed cases in
//! the same layout), it measures for each pattern and indicator how well
//! the indicator's score separates those villages from the villages with no
//! known pattern: the AUC (area under the ROC curve; 1.0 = every known
//! village scores worse than every clean one, 0.5 = chance), over the
//! villages where the indicator has a value.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::period::Quarter;
use crate::pipeline::Assessment;

/// One known pattern in one village over a span of quarters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub village_code: String,
    pub pattern: String,
    pub from: Quarter,
    pub to: Quarter,
}

fn input_error(path: &Path, message: String) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        message,
    }
}

/// The rows of a CSV file whose header must be `want` (`what` names the
/// kind of file in the message), each with its line number.
fn read_rows(path: &Path, want: &[&str], what: &str) -> Result<Vec<(usize, csv::StringRecord)>> {
    let bad = |message: String| input_error(path, message);
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| bad(format!("cannot be read: {e}")))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(format!("no header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    if header != want {
        return Err(bad(format!(
            "the header is {header:?}; {what} has the columns {}",
            want.join(",")
        )));
    }
    reader
        .records()
        .enumerate()
        .map(|(i, row)| {
            let line = i + 2;
            row.map(|r| (line, r))
                .map_err(|e| bad(format!("line {line}: {e}")))
        })
        .collect()
}

/// Reads a truth file: CSV with the header
/// `village_code,pattern,from_quarter,to_quarter`.
pub fn read_truth(path: &Path) -> Result<Vec<Known>> {
    let bad = |message: String| input_error(path, message);
    let want = ["village_code", "pattern", "from_quarter", "to_quarter"];
    let mut out = Vec::new();
    for (line, row) in read_rows(path, &want, "a truth file")? {
        let quarter = |k: usize, col: &str| -> Result<Quarter> {
            row[k].parse::<Quarter>().map_err(|_| {
                bad(format!(
                    "line {line}, column {col}: '{}' is not a quarter such as 2026Q3",
                    &row[k]
                ))
            })
        };
        let (from, to) = (quarter(2, "from_quarter")?, quarter(3, "to_quarter")?);
        if to < from {
            return Err(bad(format!(
                "line {line}: to_quarter {to} is before from_quarter {from}"
            )));
        }
        if row[0].is_empty() || row[1].is_empty() {
            return Err(bad(format!(
                "line {line}: village_code and pattern must not be empty"
            )));
        }
        out.push(Known {
            village_code: row[0].to_string(),
            pattern: row[1].to_string(),
            from,
            to,
        });
    }
    Ok(out)
}

/// How one indicator separates one pattern's villages from clean ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Catch {
    pub indicator: String,
    pub auc: f64,
    /// Known villages where the indicator has a value.
    pub positives: usize,
    /// Clean villages where it has a value.
    pub negatives: usize,
}

impl Catch {
    /// Whether the indicator catches the pattern: AUC ≥ [`CATCH_AUC`] over
    /// at least half of the pattern's villages (an indicator with a value
    /// in one known village proves nothing).
    pub fn catches(&self, villages: usize) -> bool {
        self.auc >= CATCH_AUC && self.positives * 2 >= villages && self.positives >= 1
    }
}

/// One pattern's results, indicators best first.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternResult {
    pub pattern: String,
    /// Villages known to show it, and no other pattern, in the quarter:
    /// the positives every figure is measured on.
    pub villages: usize,
    /// Villages showing it together with another pattern, left out so that
    /// one pattern's signal is not credited to another.
    pub mixed: usize,
    /// AUC of the index itself (lower index = more suspect).
    pub index_auc: Option<f64>,
    pub catches: Vec<Catch>,
}

/// The calibration of one quarter.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    pub quarter: Quarter,
    /// Scored villages with no known pattern in the quarter.
    pub clean_villages: usize,
    /// Truth rows naming a village that is not in the data.
    pub unknown_villages: Vec<String>,
    pub patterns: Vec<PatternResult>,
}

/// An indicator "catches" a pattern from this AUC on.
pub const CATCH_AUC: f64 = 0.8;

/// AUC of `suspicion` for positives against negatives (ties count half),
/// by ranks; `None` without both.
pub fn auc(positives: &[f64], negatives: &[f64]) -> Option<f64> {
    if positives.is_empty() || negatives.is_empty() {
        return None;
    }
    let mut all: Vec<(f64, bool)> = positives
        .iter()
        .map(|&x| (x, true))
        .chain(negatives.iter().map(|&x| (x, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean.
        let mean_rank = (i + j + 2) as f64 / 2.0;
        rank_sum += mean_rank * all[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let (p, n) = (positives.len() as f64, negatives.len() as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// AUC of a low score for the positives: `(score, positive)` pairs, a
/// lower score the more suspect (as the index); `None` without both.
pub fn low_score_auc(scored: impl IntoIterator<Item = (f64, bool)>) -> Option<f64> {
    let (mut pos, mut neg) = (Vec::new(), Vec::new());
    for (score, positive) in scored {
        if positive { &mut pos } else { &mut neg }.push(-score);
    }
    auc(&pos, &neg)
}

/// The known cases active in quarter `q` among the villages of
/// `position` (code → village), the villages they name, and the others
/// (the clean ones), in village order.
fn known_in<'k>(
    truth: &'k [Known],
    q: Quarter,
    position: &BTreeMap<&str, usize>,
) -> (Vec<&'k Known>, BTreeSet<usize>, Vec<usize>) {
    let active: Vec<&Known> = truth
        .iter()
        .filter(|k| k.from <= q && q <= k.to && position.contains_key(k.village_code.as_str()))
        .collect();
    let named: BTreeSet<usize> = active
        .iter()
        .map(|k| position[k.village_code.as_str()])
        .collect();
    let clean: Vec<usize> = (0..position.len()).filter(|i| !named.contains(i)).collect();
    (active, named, clean)
}

/// Measures every indicator against every pattern known in the quarter.
pub fn measure(a: &Assessment, truth: &[Known]) -> Calibration {
    let q = a.quarter;
    let index: BTreeMap<&str, usize> = a
        .table
        .villages
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code.as_str(), i))
        .collect();
    let unknown_villages: Vec<String> = truth
        .iter()
        .filter(|k| !index.contains_key(k.village_code.as_str()))
        .map(|k| k.village_code.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (active, _, clean) = known_in(truth, q, &index);
    let patterns: BTreeSet<&str> = active.iter().map(|k| k.pattern.as_str()).collect();
    let mut results = Vec::new();
    for pattern in patterns {
        let with: BTreeSet<usize> = active
            .iter()
            .filter(|k| k.pattern == pattern)
            .map(|k| index[k.village_code.as_str()])
            .collect();
        let with_other: BTreeSet<usize> = active
            .iter()
            .filter(|k| k.pattern != pattern)
            .map(|k| index[k.village_code.as_str()])
            .collect();
        let members: BTreeSet<usize> = with.difference(&with_other).copied().collect();
        // Suspicion: a lower normalised score (or index) is more suspect.
        let split = |f: &dyn Fn(usize) -> Option<f64>| -> (Vec<f64>, Vec<f64>) {
            (
                members.iter().filter_map(|&v| f(v).map(|x| -x)).collect(),
                clean.iter().filter_map(|&v| f(v).map(|x| -x)).collect(),
            )
        };
        let (p, n) = split(&|v| a.scores.villages[v].index);
        let index_auc = auc(&p, &n);
        let mut catches = Vec::new();
        for (k, ind) in a.framework.indicators.iter().enumerate() {
            let cells = &a.scores.cells[k];
            let (p, n) = split(&|v| cells[v].normalised);
            if let Some(x) = auc(&p, &n) {
                catches.push(Catch {
                    indicator: ind.id.clone(),
                    auc: x,
                    positives: p.len(),
                    negatives: n.len(),
                });
            }
        }
        catches.sort_by(|a, b| b.auc.total_cmp(&a.auc).then(a.indicator.cmp(&b.indicator)));
        results.push(PatternResult {
            pattern: pattern.to_string(),
            villages: members.len(),
            mixed: with.len() - members.len(),
            index_auc,
            catches,
        });
    }
    Calibration {
        quarter: q,
        clean_villages: clean.len(),
        unknown_villages,
        patterns: results,
    }
}

/// The calibration as Markdown, under the caller's title: per pattern,
/// the indicators that catch it (AUC ≥ [`CATCH_AUC`]) and the next best,
/// with the villages behind each figure.
pub fn render(c: &Calibration) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Quarter {}; {} villages with no known pattern. AUC: the chance that a village \
         known to show the pattern scores worse on the indicator than a clean village \
         (1.0 perfect, 0.5 chance), over the villages where the indicator has a value. \
         Each pattern is measured on the villages that show it alone; villages showing it \
         with another pattern are left out. An indicator catches a pattern at AUC ≥ {CATCH_AUC} \
         with a value in at least half of the pattern's villages.\n",
        c.quarter, c.clean_villages
    );
    if !c.unknown_villages.is_empty() {
        let _ = writeln!(
            s,
            "Truth rows naming villages not in the data (left out): {}\n",
            c.unknown_villages.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "| pattern | villages (alone / with another) | index AUC | indicators that catch it (AUC) |\n|---|---|---|---|"
    );
    for p in &c.patterns {
        let caught: Vec<String> = p
            .catches
            .iter()
            .filter(|x| x.catches(p.villages))
            .map(|x| format!("`{}` {:.3}", x.indicator, x.auc))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} / {} | {} | {} |",
            p.pattern,
            p.villages,
            p.mixed,
            p.index_auc
                .map(|x| format!("{x:.3}"))
                .unwrap_or_else(|| "–".into()),
            if caught.is_empty() {
                "none".to_string()
            } else {
                caught.join(", ")
            }
        );
    }
    s.push('\n');
    for p in &c.patterns {
        let _ = writeln!(s, "## {}\n", p.pattern);
        let _ = writeln!(
            s,
            "| indicator | AUC | known villages with a value | clean villages with a value |\n|---|---|---|---|"
        );
        for x in p.catches.iter().take(12) {
            let _ = writeln!(
                s,
                "| `{}` | {:.3} | {} of {} | {} |",
                x.indicator, x.auc, x.positives, p.villages, x.negatives
            );
        }
        s.push('\n');
    }
    s
}

/// A clean village in a group of honest look-alikes: villages whose records
/// resemble misconduct for innocent reasons (remote villages with single
/// bids, poor villages with many on dibao, ...). The generator's
/// `lookalikes.csv`; a district can keep its own from verified alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAlike {
    pub village_code: String,
    pub group: String,
}

/// Reads a look-alike file: CSV with the header `village_code,group`.
pub fn read_lookalikes(path: &Path) -> Result<Vec<LookAlike>> {
    read_rows(path, &["village_code", "group"], "a look-alike file")?
        .into_iter()
        .map(|(line, row)| {
            if row[0].is_empty() || row[1].is_empty() {
                return Err(input_error(
                    path,
                    format!("line {line}: village_code and group must not be empty"),
                ));
            }
            Ok(LookAlike {
                village_code: row[0].to_string(),
                group: row[1].to_string(),
            })
        })
        .collect()
}

/// How well one ranking finds one set of known villages, beside the
/// baseline's ranking of the same villages.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Detection {
    /// A pattern, or `all` for every village with a known pattern.
    pub pattern: String,
    /// Known villages measured (for a pattern: those showing it alone).
    pub villages: usize,
    pub index_auc: Option<f64>,
    pub baseline_auc: Option<f64>,
    /// Known villages among the lowest-ranked tenth by the index.
    pub index_decile_hits: usize,
    /// The same by the baseline's score.
    pub baseline_decile_hits: usize,
}

/// How often one group of villages falls into red.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FalseRed {
    /// A look-alike group, or `clean` for villages with no known pattern
    /// and in no look-alike group.
    pub group: String,
    pub villages: usize,
    pub red: usize,
}

impl FalseRed {
    pub fn rate(&self) -> Option<f64> {
        (self.villages > 0).then(|| self.red as f64 / self.villages as f64)
    }
}

/// The index against the naive analyst's baseline on one quarter.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Comparison {
    pub quarter: String,
    pub framework: String,
    pub baseline: String,
    /// Villages ranked by the index.
    pub ranked: usize,
    /// Villages with a known pattern that the index leaves unranked
    /// (insufficient data): counted as the cleanest, never summoned.
    pub unranked_planted: usize,
    /// Size of the bottom decile (a tenth of the ranked villages, rounded up).
    pub decile: usize,
    /// Size of the summons list (`[report] summons`).
    pub summons: usize,
    /// Known villages on the summons list, and in the baseline's list of the same size.
    pub index_summons_hits: usize,
    pub baseline_summons_hits: usize,
    pub overall: Detection,
    pub patterns: Vec<Detection>,
    /// Red tiers by the index: clean villages first, then each look-alike group.
    pub false_red: Vec<FalseRed>,
}

/// Compares the index with the baseline (another framework scored on the
/// same data, by default the naive analyst of `indicators/naive-analyst`):
/// AUC and bottom-decile hits for every village with a known pattern and for
/// each pattern's villages (showing it alone), and how often clean villages
/// and each group of honest look-alikes fall into red.
pub fn compare(
    a: &Assessment,
    baseline: &Assessment,
    truth: &[Known],
    lookalikes: &[LookAlike],
) -> Comparison {
    let q = a.quarter;
    let codes: Vec<&str> = a.table.villages.iter().map(|v| v.code.as_str()).collect();
    let position: BTreeMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    // The baseline's score of each of the index's villages.
    let base_at: BTreeMap<&str, usize> = baseline
        .table
        .villages
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code.as_str(), i))
        .collect();
    let base_index: Vec<Option<f64>> = codes
        .iter()
        .map(|c| {
            base_at
                .get(c)
                .and_then(|&i| baseline.scores.villages[i].index)
        })
        .collect();
    let index: Vec<Option<f64>> = a.scores.villages.iter().map(|v| v.index).collect();

    let (active, planted, clean) = known_in(truth, q, &position);

    // The lowest-ranked villages by a score: the `n` lowest, ties by code.
    let bottom = |score: &[Option<f64>], n: usize| -> BTreeSet<usize> {
        let mut order: Vec<(f64, usize)> = score
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|s| (s, i)))
            .collect();
        order.sort_by(|x, y| x.0.total_cmp(&y.0).then(codes[x.1].cmp(codes[y.1])));
        order.into_iter().take(n).map(|(_, i)| i).collect()
    };
    let ranked = index.iter().filter(|x| x.is_some()).count();
    let decile = ranked.div_ceil(10);
    let summons = a.framework.report.summons.min(ranked);
    let (index_decile, base_decile) = (bottom(&index, decile), bottom(&base_index, decile));
    let detection = |pattern: &str, members: &BTreeSet<usize>| -> Detection {
        // Suspicion: a lower score is more suspect; a village the ranking
        // leaves out (no index) counts as the least suspect of all, since
        // it is never summoned. Both rankings are measured on every village.
        let suspicion =
            |score: &[Option<f64>], v: usize| score[v].map_or(f64::NEG_INFINITY, |x| -x);
        let split = |score: &[Option<f64>]| -> (Vec<f64>, Vec<f64>) {
            (
                members.iter().map(|&v| suspicion(score, v)).collect(),
                clean.iter().map(|&v| suspicion(score, v)).collect(),
            )
        };
        let (ip, inn) = split(&index);
        let (bp, bn) = split(&base_index);
        Detection {
            pattern: pattern.to_string(),
            villages: members.len(),
            index_auc: auc(&ip, &inn),
            baseline_auc: auc(&bp, &bn),
            index_decile_hits: members.intersection(&index_decile).count(),
            baseline_decile_hits: members.intersection(&base_decile).count(),
        }
    };
    let overall = detection("all", &planted);
    let names: BTreeSet<&str> = active.iter().map(|k| k.pattern.as_str()).collect();
    let patterns = names
        .into_iter()
        .map(|pattern| {
            let with = |keep: &dyn Fn(&str) -> bool| -> BTreeSet<usize> {
                active
                    .iter()
                    .filter(|k| keep(&k.pattern))
                    .map(|k| position[k.village_code.as_str()])
                    .collect()
            };
            let members: BTreeSet<usize> = with(&|p| p == pattern)
                .difference(&with(&|p| p != pattern))
                .copied()
                .collect();
            detection(pattern, &members)
        })
        .collect();

    let red = |members: &mut dyn Iterator<Item = usize>, group: &str| -> FalseRed {
        let (mut villages, mut red) = (0, 0);
        for v in members {
            if a.scores.villages[v].tier == crate::engine::rank::Tier::InsufficientData {
                continue;
            }
            villages += 1;
            red += usize::from(a.scores.villages[v].tier == crate::engine::rank::Tier::Red);
        }
        FalseRed {
            group: group.to_string(),
            villages,
            red,
        }
    };
    let mut groups: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for l in lookalikes {
        if let Some(&v) = position.get(l.village_code.as_str())
            && !planted.contains(&v)
        {
            groups.entry(l.group.as_str()).or_default().insert(v);
        }
    }
    let in_group: BTreeSet<usize> = groups.values().flatten().copied().collect();
    let mut false_red = vec![red(
        &mut clean.iter().copied().filter(|v| !in_group.contains(v)),
        "clean",
    )];
    for (group, members) in &groups {
        false_red.push(red(&mut members.iter().copied(), group));
    }
    Comparison {
        quarter: q.to_string(),
        framework: format!("{} {}", a.framework.meta.id, a.framework.meta.version),
        baseline: format!(
            "{} {}",
            baseline.framework.meta.id, baseline.framework.meta.version
        ),
        ranked,
        unranked_planted: planted.iter().filter(|&&v| index[v].is_none()).count(),
        decile,
        summons,
        index_summons_hits: planted.intersection(&bottom(&index, summons)).count(),
        baseline_summons_hits: planted.intersection(&bottom(&base_index, summons)).count(),
        overall,
        patterns,
        false_red,
    }
}

fn fmt_auc(x: Option<f64>) -> String {
    x.map(|x| format!("{x:.3}")).unwrap_or_else(|| "–".into())
}

fn fmt_rate(x: Option<f64>) -> String {
    x.map(|x| format!("{:.1}%", 100.0 * x))
        .unwrap_or_else(|| "–".into())
}

/// The comparison as Markdown: detection per pattern beside the baseline,
/// then the red rate of clean villages and of each look-alike group.
pub fn render_comparison(c: &Comparison) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## The index against the naive analyst\n\n\
         `{}` against the baseline `{}` on the same data, quarter {}: {} villages ranked \
         ({} with a known pattern left unranked, counted as the cleanest), \
         bottom decile {} villages, summons list {}. Known villages on the summons list: \
         {} by the index, {} in the baseline's lowest {}.\n",
        c.framework,
        c.baseline,
        c.quarter,
        c.ranked,
        c.unranked_planted,
        c.decile,
        c.summons,
        c.index_summons_hits,
        c.baseline_summons_hits,
        c.summons
    );
    let _ = writeln!(
        s,
        "| pattern | villages | index AUC | baseline AUC | bottom-decile hits (index) | bottom-decile hits (baseline) |\n|---|---|---|---|---|---|"
    );
    for d in std::iter::once(&c.overall).chain(&c.patterns) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            d.pattern,
            d.villages,
            fmt_auc(d.index_auc),
            fmt_auc(d.baseline_auc),
            d.index_decile_hits,
            d.baseline_decile_hits
        );
    }
    let _ = writeln!(
        s,
        "\n| villages | ranked | red | red rate |\n|---|---|---|---|"
    );
    for r in &c.false_red {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            r.group,
            r.villages,
            r.red,
            fmt_rate(r.rate())
        );
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_hand() {
        // Every positive above every negative.
        assert_eq!(auc(&[3.0, 4.0], &[1.0, 2.0]), Some(1.0));
        assert_eq!(auc(&[1.0], &[2.0]), Some(0.0));
        // Pairs: (2 vs 1) win, (2 vs 2) tie, (2 vs 3) loss -> 1.5 / 3.
        assert_eq!(auc(&[2.0], &[1.0, 2.0, 3.0]), Some(0.5));
        // (3 vs 1) (3 vs 2) win, (1 vs 1) tie, (1 vs 2) loss -> 2.5 / 4.
        assert_eq!(auc(&[3.0, 1.0], &[1.0, 2.0]), Some(0.625));
        assert_eq!(auc(&[], &[1.0]), None);
    }
}

/// How often one alert rule (or the `worst` alert of one indicator) was
/// found true when verified: from the `dispositions` table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RulePrecision {
    /// The alert kind (`red`, `summons`, …) or `worst.<indicator>` /
    /// `veto.<veto>`.
    pub rule: String,
    /// Alerts with a verdict (confirmed, partly, false positive or
    /// rectified); pending and undecided ones are not counted.
    pub checked: usize,
    /// Of those, found true (confirmed, partly, or rectified).
    pub confirmed: usize,
    pub precision: Option<f64>,
    /// Wilson 95 % interval of the precision.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// Wilson score interval (95 %) for `k` successes in `n`.
pub fn wilson(k: usize, n: usize) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (k, n, z) = (k as f64, n as f64, 1.959_963_984_540_054);
    let p = k / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Precision of every alert rule, and of every indicator's and veto's own
/// alert, over every alert id the dispositions decided: an id counts once,
/// found true if any of its dispositions says so, else a false positive
/// if one says that. Rules by name; kinds first, then subjects.
pub fn precision(dispositions: &[crate::lifecycle::Disposition]) -> Vec<RulePrecision> {
    use crate::lifecycle::Status;
    let mut verdict: BTreeMap<&str, Option<bool>> = BTreeMap::new();
    for d in dispositions {
        let v = verdict.entry(d.alert_id.as_str()).or_insert(None);
        match d.outcome {
            Status::Confirmed | Status::Partly | Status::Rectified => *v = Some(true),
            Status::FalsePositive if v.is_none() => *v = Some(false),
            _ => {}
        }
    }
    let mut rules: BTreeMap<(bool, String), (usize, usize)> = BTreeMap::new();
    for (id, v) in verdict {
        let (Some(found), Some((_, key, _))) = (v, crate::lifecycle::parse_id(id)) else {
            continue;
        };
        let kind = key.split('.').next().unwrap_or(key).to_string();
        let mut names = vec![(false, kind)];
        if key.contains('.') {
            names.push((true, key.to_string()));
        }
        for name in names {
            let e = rules.entry(name).or_default();
            e.0 += 1;
            e.1 += usize::from(found);
        }
    }
    rules
        .into_iter()
        .map(|((_, rule), (checked, confirmed))| {
            let w = wilson(confirmed, checked);
            RulePrecision {
                rule,
                checked,
                confirmed,
                precision: (checked > 0).then(|| confirmed as f64 / checked as f64),
                low: w.map(|w| w.0),
                high: w.map(|w| w.1),
            }
        })
        .collect()
}

/// The precision table as Markdown.
pub fn render_precision(rows: &[RulePrecision]) -> String {
    let mut out = String::from(
        "## Precision of the alerts, from verification\n\n\
         Confirmed ÷ checked over every alert id the `dispositions` table decided \
         (confirmed, partly or rectified count as found true; pending ones are left out), \
         with the Wilson 95 % interval. Only what was verified is counted: alerts the \
         commission chose not to check are not in it.\n\n\
         | rule | checked | confirmed | precision | 95 % interval |\n|---|---|---|---|---|\n",
    );
    for r in rows {
        let p = r.precision.map_or("–".into(), |p| format!("{p:.2}"));
        let ci = r
            .low
            .zip(r.high)
            .map_or("–".into(), |(l, h)| format!("{l:.2}–{h:.2}"));
        out.push_str(&format!(
            "| `{}` | {} | {} | {p} | {ci} |\n",
            r.rule, r.checked, r.confirmed
        ));
    }
    if rows.is_empty() {
        out.push_str("| (no alert with a verdict) | 0 | 0 | – | – |\n");
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod precision_tests {
    use super::*;

    #[test]
    fn wilson_matches_the_textbook() {
        // 8 of 10: Wilson 95 % is 0.490–0.943.
        let (l, h) = wilson(8, 10).unwrap_or_default();
        assert!(
            (l - 0.4902).abs() < 1e-3 && (h - 0.9433).abs() < 1e-3,
            "{l} {h}"
        );
        assert_eq!(wilson(0, 0), None);
        let (l, h) = wilson(0, 5).unwrap_or_default();
        assert!(l == 0.0 && (h - 0.4345).abs() < 1e-3, "{l} {h}");
    }

    #[test]
    fn an_id_counts_once_and_pending_not_at_all() {
        use crate::lifecycle::{Disposition, Status};
        let d = |id: &str, outcome, decided| Disposition {
            alert_id: id.into(),
            village_code: "990101001201".into(),
            outcome,
            decided,
        };
        let rows = precision(&[
            d("990101001201:red:2026Q1", Status::Confirmed, 1),
            d("990101001201:red:2026Q1", Status::Rectified, 2),
            d("990101001202:red:2026Q1", Status::FalsePositive, 1),
            d(
                "990101001203:worst.trd_mean_bidders:2026Q2",
                Status::Partly,
                1,
            ),
            d("990101001204:summons:2026Q2", Status::Pending, 1),
        ]);
        let get = |r: &str| rows.iter().find(|x| x.rule == r).cloned();
        let red = get("red").unwrap_or_else(|| panic!("{rows:?}"));
        assert_eq!((red.checked, red.confirmed), (2, 1));
        let worst = get("worst.trd_mean_bidders").unwrap_or_else(|| panic!("{rows:?}"));
        assert_eq!((worst.checked, worst.confirmed), (1, 1));
        assert_eq!(get("worst").map(|w| w.checked), Some(1));
        assert!(get("summons").is_none(), "pending is not a verdict");
    }
}

/// How well one quarter's index (and the naive baseline's) foretold the
/// next two quarters' filed cases.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProspectiveRow {
    /// The quarter scored (`pooled` for every quarter together).
    pub quarter: String,
    pub villages: usize,
    /// Villages with a case filed (立案) about them in the next two quarters.
    pub with_case: usize,
    /// AUC of a low index for a case to come: the index, the baseline.
    pub auc_index: Option<f64>,
    pub auc_baseline: Option<f64>,
    /// Share of the bottom decile with a case to come.
    pub decile_index: Option<f64>,
    pub decile_baseline: Option<f64>,
}

/// One scored quarter for [`prospective`]: village code → index, for the
/// framework and for the baseline (ranked villages only).
#[derive(Debug, Clone)]
pub struct ScoredQuarter {
    pub quarter: Quarter,
    pub index: BTreeMap<String, f64>,
    pub baseline: BTreeMap<String, f64>,
}

/// The ranked villages' indices of an assessment, by code.
pub fn indices(a: &Assessment) -> BTreeMap<String, f64> {
    a.table
        .villages
        .iter()
        .zip(&a.scores.villages)
        .filter(|(_, s)| s.rank.is_some())
        .filter_map(|(v, s)| Some((v.code.clone(), s.index?)))
        .collect()
}

/// The prospective validation: for each scored quarter Q, villages with a
/// case filed in Q+1 or Q+2 (`filed`: village code → quarters of filing)
/// against the others, by AUC of a low index and the case rate of the
/// bottom decile; per quarter, then pooled over every (quarter, village).
/// No label is needed beyond the `cases` source itself.
pub fn prospective(
    quarters: &[ScoredQuarter],
    filed: &BTreeMap<String, BTreeSet<Quarter>>,
) -> Vec<ProspectiveRow> {
    let mut pooled: Vec<(f64, f64, bool)> = Vec::new();
    let mut rows = Vec::new();
    for q in quarters {
        let ahead = [q.quarter.next(), q.quarter.next().next()];
        let mut these = Vec::new();
        for (code, &index) in &q.index {
            let Some(&base) = q.baseline.get(code) else {
                continue;
            };
            let case = filed
                .get(code)
                .is_some_and(|f| ahead.iter().any(|a| f.contains(a)));
            these.push((index, base, case));
        }
        rows.push(prospective_row(&q.quarter.to_string(), &these));
        pooled.extend(these);
    }
    if quarters.len() > 1 {
        rows.push(prospective_row("pooled", &pooled));
    }
    rows
}

fn prospective_row(quarter: &str, v: &[(f64, f64, bool)]) -> ProspectiveRow {
    let measure = |pick: fn(&(f64, f64, bool)) -> f64| {
        let mut order: Vec<&(f64, f64, bool)> = v.iter().collect();
        order.sort_by(|a, b| pick(a).total_cmp(&pick(b)));
        let decile = v.len().div_ceil(10);
        let rate = (decile > 0)
            .then(|| order.iter().take(decile).filter(|x| x.2).count() as f64 / decile as f64);
        (low_score_auc(v.iter().map(|x| (pick(x), x.2))), rate)
    };
    let (auc_index, decile_index) = measure(|x| x.0);
    let (auc_baseline, decile_baseline) = measure(|x| x.1);
    ProspectiveRow {
        quarter: quarter.to_string(),
        villages: v.len(),
        with_case: v.iter().filter(|x| x.2).count(),
        auc_index,
        auc_baseline,
        decile_index,
        decile_baseline,
    }
}

/// The prospective table as Markdown.
pub fn render_prospective(rows: &[ProspectiveRow]) -> String {
    let f = |x: Option<f64>| x.map_or("–".into(), |x| format!("{x:.3}"));
    let mut out = String::from(
        "## Prospective validation: the index against the next two quarters' cases\n\n\
         For each quarter Q, the villages with a case filed (立案) about them in Q+1 or Q+2 \
         against the others: the AUC of a low index, and the share of the bottom decile \
         with a case to come; the index and the naive baseline side by side. Only the \
         `cases` source is used, no ground truth.\n\n\
         | quarter | villages | with a case | AUC index | AUC baseline | bottom decile index | bottom decile baseline |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            r.quarter,
            r.villages,
            r.with_case,
            f(r.auc_index),
            f(r.auc_baseline),
            f(r.decile_index),
            f(r.decile_baseline)
        ));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod prospective_tests {
    use super::*;

    #[test]
    fn a_low_index_before_a_case_scores_one() {
        let q = Quarter::new(2026, 1).unwrap_or_else(|| unreachable!());
        let index: BTreeMap<String, f64> = (0..20)
            .map(|i| (format!("v{i:02}"), f64::from(i)))
            .collect();
        // The baseline the other way round.
        let baseline = index.iter().map(|(k, v)| (k.clone(), 20.0 - v)).collect();
        let filed: BTreeMap<String, BTreeSet<Quarter>> = [("v00", 1), ("v01", 2), ("v19", 3)]
            .into_iter()
            .map(|(c, k)| (c.to_string(), BTreeSet::from([q.offset(k)])))
            .collect();
        let rows = prospective(
            &[ScoredQuarter {
                quarter: q,
                index,
                baseline,
            }],
            &filed,
        );
        let r = &rows[0];
        // v19 filed in Q+3: outside the two quarters.
        assert_eq!(r.with_case, 2);
        assert_eq!(r.auc_index, Some(1.0));
        assert_eq!(r.auc_baseline, Some(0.0));
        assert_eq!(r.decile_index, Some(1.0));
        assert_eq!(r.decile_baseline, Some(0.0));
    }
}

/// Every village's quarters with a case filed (立案) about it, from the
/// `cases` source of `opts`' data (validated as a run validates it).
pub async fn filed_cases(
    opts: &crate::pipeline::RunOptions,
) -> Result<BTreeMap<String, BTreeSet<Quarter>>> {
    use datafusion::arrow::array::{Array, AsArray};
    let catalog = crate::catalog::Catalog::load(&opts.data_dir, opts.catalog.as_deref())?;
    let ctx =
        crate::pipeline::session(opts.threads, opts.memory_limit, opts.cluster.as_deref()).await?;
    crate::ingest::ingest(&ctx, &catalog).await?;
    let context = "reading the filed cases";
    let batches = ctx
        .sql(
            "SELECT village_code, filed_date FROM cases \
             WHERE filed_date IS NOT NULL",
        )
        .await
        .map_err(Error::query(context))?
        .collect()
        .await
        .map_err(Error::query(context))?;
    let mut out: BTreeMap<String, BTreeSet<Quarter>> = BTreeMap::new();
    for b in &batches {
        let codes = datafusion::arrow::compute::cast(
            b.column(0),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )
        .map_err(|e| Error::Arrow {
            context: context.into(),
            source: e,
        })?;
        let codes = codes.as_string::<i32>();
        let Some(dates) = b
            .column(1)
            .as_primitive_opt::<datafusion::arrow::datatypes::Date32Type>()
        else {
            return Err(Error::Internal {
                context: context.into(),
                message: "filed_date is not Date32".into(),
            });
        };
        for r in 0..b.num_rows() {
            if codes.is_null(r) || dates.is_null(r) {
                continue;
            }
            let day = crate::period::date_of(dates.value(r));
            out.entry(codes.value(r).to_string())
                .or_default()
                .insert(Quarter::containing(day));
        }
    }
    Ok(out)
}

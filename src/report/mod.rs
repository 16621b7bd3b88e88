//! The report stage: from the scored quarter (and the quarters before it)
//! to what people read. Writes `report.html` (summary, summons list,
//! township league, ranking, heatmap, distribution, trends, rank
//! uncertainty, data quality), one `village/<code>.html` per village, the
//! charts as SVG (inline in the pages, and as files) and PNG (for
//! documents) under `charts/`, and the machine-readable `townships.csv`,
//! `trend.csv` and `alerts.csv`. Pages come from the templates in
//! `reports/templates/` (compiled in), in Chinese or English; the public
//! edition hides small petition counts (`privacy`).

pub mod canvas;
pub mod charts;
pub mod font;
pub mod privacy;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use plotters::style::RGBColor;
use serde::Serialize;

use crate::alerts::{Alert, AlertKind};
use crate::engine::rank::{self, Tier, TierRule, mean, median_of};
use crate::error::{Error, Result};
use crate::framework::Framework;
use crate::ingest::Ingested;
use crate::model::{CellStatus, DataPointTable, IndicatorValues, Village};
use crate::scoring::{self, PastQuarter, Scores, listing_order};
use canvas::Record;
use privacy::SmallCells;

/// The report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// Chinese (default).
    #[default]
    Zh,
    /// English.
    En,
}

/// How the report is written.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportOptions {
    pub lang: Lang,
    /// The public edition: petition counts below `[report] small_cell_k`
    /// show as `<k`.
    pub public: bool,
}

/// An indicator left out of the quarter, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Unavailable {
    pub indicator: String,
    pub reason: String,
}

/// Everything the report is written from.
#[derive(Debug)]
pub struct ReportInput<'a> {
    pub framework: &'a Framework,
    pub table: &'a DataPointTable,
    pub values: &'a [IndicatorValues],
    pub scores: &'a Scores,
    /// The quarters before, oldest first (the last one is the previous
    /// quarter).
    pub history: &'a [PastQuarter],
    pub ingested: &'a Ingested,
    pub unavailable: &'a [Unavailable],
    pub alerts: &'a [Vec<Alert>],
}

/// What the stage wrote.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Chart files (relative path, bytes).
    pub charts: Vec<(String, u64)>,
    pub village_pages: usize,
}

const TEMPLATES: [(&str, &str); 4] = [
    (
        "base.html",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/templates/base.html"
        )),
    ),
    (
        "_chart.html",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/templates/_chart.html"
        )),
    ),
    (
        "report.html",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/templates/report.html"
        )),
    ),
    (
        "village.html",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/templates/village.html"
        )),
    ),
];

const STRINGS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/reports/templates/strings.toml"
));

/// The wording of one language (`reports/templates/strings.toml`).
pub fn strings(lang: Lang) -> Result<BTreeMap<String, String>> {
    let mut all: BTreeMap<String, BTreeMap<String, String>> =
        toml::from_str(STRINGS).map_err(|e| Error::Write {
            context: "reading the report's strings.toml".into(),
            source: e.into(),
        })?;
    let key = match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    all.remove(key).ok_or_else(|| Error::Internal {
        context: "reading the report's strings.toml".into(),
        message: format!("no [{key }] table"),
    })
}

struct Words {
    t: BTreeMap<String, String>,
    lang: Lang,
}

impl Words {
    fn get(&self, key: &str) -> String {
        self.t.get(key).cloned().unwrap_or_else(|| key.to_string())
    }
    fn tier(&self, t: Tier) -> String {
        self.get(t.as_str())
    }
    fn pick<'s>(&self, zh: &'s str, en: &'s str) -> &'s str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

fn out_err(context: &str) -> impl Fn(Box<dyn std::error::Error>) -> Error + '_ {
    move |e| Error::Write {
        context: context.to_string(),
        source: e.to_string().into(),
    }
}

// ------------------------------------------------------------------ views

#[derive(Debug, Serialize)]
struct ChartView {
    name: String,
    title: String,
    svg: String,
    png: String,
    svg_file: String,
}

#[derive(Debug, Serialize, Default)]
struct ChangeView {
    text: String,
    class: &'static str,
    sort: String,
}

fn change_view(d: Option<f64>, decimals: usize, higher_is_better: bool) -> ChangeView {
    match d {
        None => ChangeView::default(),
        Some(d) => {
            let shown = format!("{d:+.decimals$}");
            let zero = shown
                .trim_start_matches(['+', '-'])
                .chars()
                .all(|c| c == '0' || c == '.');
            let class = if zero {
                ""
            } else if (d > 0.0) == higher_is_better {
                "up"
            } else {
                "down"
            };
            ChangeView {
                text: if zero { "±0".into() } else { shown },
                class,
                sort: format!("{d}"),
            }
        }
    }
}

#[derive(Debug, Serialize)]
struct Cell {
    text: String,
    sort: String,
}

fn num(x: Option<f64>, decimals: usize) -> String {
    x.map(|x| format!("{x:.decimals$}")).unwrap_or_default()
}

fn sort_key(x: Option<f64>) -> String {
    x.map(|x| format!("{x}")).unwrap_or_default()
}

#[derive(Debug, Serialize)]
struct RankingRow {
    rank: String,
    rank_sort: String,
    name: String,
    code: String,
    township: String,
    href: String,
    index: String,
    index_sort: String,
    tier: &'static str,
    tier_label: String,
    tier_sort: usize,
    township_rank: String,
    township_rank_sort: String,
    interval: String,
    interval_sort: String,
    probability: String,
    probability_sort: String,
    change: ChangeView,
    rank_change: ChangeView,
    veto: String,
    dimensions: Vec<Cell>,
}

#[derive(Debug, Serialize)]
struct SummonsRow {
    name: String,
    township: String,
    href: String,
    index: String,
    rank: String,
    tier: &'static str,
    tier_label: String,
    reasons: String,
    weaknesses: String,
}

#[derive(Debug, Serialize)]
struct TownshipRow {
    rank: u32,
    code: String,
    name: String,
    villages: usize,
    mean: String,
    median: String,
    range: String,
    sd: String,
    red: usize,
    previous_mean: String,
    change: ChangeView,
    rank_change: ChangeView,
}

#[derive(Debug, Serialize)]
struct Mover {
    name: String,
    township: String,
    href: String,
    index: String,
    change: ChangeView,
    rank_change: ChangeView,
    drivers: String,
}

#[derive(Debug, Serialize)]
struct MoverGroup {
    title: String,
    rows: Vec<Mover>,
}

#[derive(Debug, Serialize)]
struct QualityRow {
    table: String,
    status: String,
    read: u64,
    accepted: u64,
    rejected: u64,
    reasons: String,
}

#[derive(Debug, Serialize)]
struct UnavailableRow {
    id: String,
    name: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct Summary {
    #[serde(flatten)]
    villages: scoring::TierCounts,
    median_index: String,
    median_change: ChangeView,
    rows_rejected: u64,
    indicators_unavailable: usize,
    /// Whether the framework runs Monte Carlo (else no tier-uncertain count).
    monte_carlo: bool,
}

#[derive(Debug, Serialize)]
struct FrameworkView {
    id: String,
    name: String,
    version: String,
    indicators: usize,
    dimensions: usize,
}

#[derive(Debug, Serialize)]
struct AlertView {
    kind: &'static str,
    text: String,
}

#[derive(Debug, Serialize)]
struct IndicatorRow {
    id: String,
    name: String,
    dimension: String,
    raw: String,
    raw_sort: String,
    masked: bool,
    township_median: String,
    district_median: String,
    score: String,
    score_sort: String,
    contribution: String,
    contribution_sort: String,
    status: String,
}

#[derive(Debug, Serialize)]
struct VillageView {
    code: String,
    name: String,
    township: String,
    index: String,
    rank: String,
    tier: &'static str,
    tier_label: String,
    township_rank: String,
    interval: String,
    probability: String,
    index_previous: String,
    change: ChangeView,
    tier_previous: String,
    alerts: Vec<AlertView>,
    weaknesses: String,
    strengths: String,
    drivers: String,
    indicators: Vec<IndicatorRow>,
}

// ------------------------------------------------------------------ helpers

/// A township's code and mean index this quarter and last.
type TownshipMeans<'a> = (&'a str, Option<f64>, Option<f64>);

fn sd(v: &[f64]) -> Option<f64> {
    let m = mean(v)?;
    (v.len() > 1)
        .then(|| (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt())
}

/// Villages (indices) by township code, in village order.
fn by_township(villages: &[Village]) -> BTreeMap<&str, Vec<usize>> {
    let mut out: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, v) in villages.iter().enumerate() {
        out.entry(v.township_code.as_str()).or_default().push(i);
    }
    out
}

/// Ranked villages' indices of one township.
fn township_indices(scores: &Scores, members: &[usize]) -> Vec<f64> {
    members
        .iter()
        .filter(|&&v| scores.villages[v].rank.is_some())
        .filter_map(|&v| scores.villages[v].index)
        .collect()
}

/// Indicators with their index points; an indicator whose value the
/// public edition hides for this village is named without its points.
fn drivers_text(
    framework: &Framework,
    w: &Words,
    drivers: &[scoring::Driver],
    hidden: &dyn Fn(usize) -> bool,
) -> String {
    drivers
        .iter()
        .map(|d| {
            let ind = &framework.indicators[d.indicator];
            let name = w.pick(&ind.name_zh, &ind.name_en);
            if hidden(d.indicator) {
                name.to_string()
            } else {
                format!("{name} {:+.2}", d.points)
            }
        })
        .collect::<Vec<_>>()
        .join(w.pick("；", "; "))
}

fn alert_text(a: &Alert, w: &Words) -> String {
    w.pick(&a.detail_zh, &a.detail_en).to_string()
}

/// A chart drawn: its SVG inline, its files written.
struct Charts<'a> {
    dir: &'a Path,
    /// Relative path from the page to `charts/`.
    prefix: &'static str,
    written: &'a mut Vec<(String, u64)>,
    /// PNG pixels per chart pixel: 2 for the district charts (pasted into
    /// documents), 1 for the village pages' (several hundred of them).
    png_scale: u32,
}

impl Charts<'_> {
    fn put(&mut self, name: &str, title: &str, record: Record) -> Result<ChartView> {
        let svg = record.svg(name, title);
        let png = record
            .png(self.png_scale)
            .map_err(|message| Error::Internal {
                context: format!("drawing chart {name}.png"),
                message,
            })?;
        let chart_dir = self.dir.join("charts");
        for (ext, bytes) in [("svg", svg.as_bytes()), ("png", png.as_slice())] {
            let file = format!("{name}.{ext}");
            let path = chart_dir.join(&file);
            std::fs::write(&path, bytes).map_err(Error::io("writing", &path))?;
            self.written
                .push((format!("charts/{file}"), bytes.len() as u64));
        }
        Ok(ChartView {
            name: name.to_string(),
            title: title.to_string(),
            svg,
            png: format!("{}charts/{name}.png", self.prefix),
            svg_file: format!("{}charts/{name}.svg", self.prefix),
        })
    }
}

fn render(env: &minijinja::Environment, name: &str, ctx: minijinja::Value) -> Result<String> {
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| Error::Internal {
            context: format!("rendering the report template {name}"),
            message: format!("{e:#}"),
        })
}

fn environment(words: &Words) -> Result<minijinja::Environment<'static>> {
    let mut env = minijinja::Environment::new();
    for (name, text) in TEMPLATES {
        env.add_template(name, text).map_err(|e| Error::Write {
            context: format!("loading the report template {name}"),
            source: e.into(),
        })?;
    }
    env.add_global("t", minijinja::Value::from_serialize(&words.t));
    env.add_global("version", env!("CARGO_PKG_VERSION"));
    Ok(env)
}

// ------------------------------------------------------------------ the stage

/// Row-per-village charts (heatmap, rank intervals, summons) show at most
/// this many villages, the lowest ranked.
const MAX_ROWS: usize = 100;

/// Writes the report into `dir` (the run's staging directory).
pub fn write(dir: &Path, input: &ReportInput, opts: &ReportOptions) -> Result<Written> {
    let started = std::time::Instant::now();
    let framework = input.framework;
    let villages = &input.table.villages;
    let scores = input.scores;
    let quarter = input.table.quarter;
    // The wording, with the small-cell threshold filled in.
    let k = framework.report.small_cell_k;
    let mut t = strings(opts.lang)?;
    for text in t.values_mut() {
        *text = text
            .replace("{k1}", &k.saturating_sub(1).to_string())
            .replace("{k}", &k.to_string());
    }
    let words = Words { t, lang: opts.lang };
    let w = &words;
    let env = environment(w)?;
    for sub in ["charts", "village"] {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).map_err(Error::io("creating", &p))?;
    }
    let mut written = Written::default();
    let cells = SmallCells::new(opts.public, framework.report.small_cell_k);
    let petition_counts = privacy::petition_counts(framework, input.table);
    let hidden = privacy::hidden_cells(cells, framework, input.table, input.values);

    let order = listing_order(&scores.villages, villages);
    let ranked: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&v| scores.villages[v].rank.is_some())
        .collect();
    let n_ranked = ranked.len() as u32;
    let dim_names: Vec<String> = framework
        .dimensions
        .iter()
        .map(|d| w.pick(&d.name_zh, &d.name_en).to_string())
        .collect();
    let href = |v: usize| format!("village/{}.html", villages[v].code);
    let previous = input.history.last();
    let index_of = |v: usize| scores.villages[v].index;

    // Summary.
    let ranked_indices: Vec<f64> = ranked.iter().filter_map(|&v| index_of(v)).collect();
    let median_now = median_of(&ranked_indices);
    let median_before = previous.and_then(|p| {
        let v: Vec<f64> = p
            .scores
            .villages
            .iter()
            .filter(|s| s.rank.is_some())
            .filter_map(|s| s.index)
            .collect();
        median_of(&v)
    });
    let summary = Summary {
        villages: scoring::TierCounts::of(scores),
        median_index: num(median_now, 1),
        median_change: change_view(median_now.zip(median_before).map(|(a, b)| a - b), 1, true),
        rows_rejected: input.ingested.tables.iter().map(|t| t.rows_rejected).sum(),
        indicators_unavailable: input.unavailable.len(),
        monte_carlo: framework.scoring.uncertainty.is_some(),
    };

    // Movers: the five largest falls and rises.
    let mut moved: Vec<(usize, f64)> = ranked
        .iter()
        .filter_map(|&v| {
            let s = &scores.villages[v];
            let d = s.index? - s.previous.as_ref()?.index?;
            Some((v, d))
        })
        .collect();
    let mover = |&(v, d): &(usize, f64)| {
        let s = &scores.villages[v];
        let rank_change = s
            .previous
            .as_ref()
            .and_then(|p| Some(f64::from(p.rank?) - f64::from(s.rank?)));
        Mover {
            name: villages[v].name.clone(),
            township: villages[v].township_name.clone(),
            href: href(v),
            index: num(s.index, 2),
            change: change_view(Some(d), 2, true),
            rank_change: change_view(rank_change, 0, true),
            drivers: s
                .previous
                .as_ref()
                .map(|p| drivers_text(framework, w, &p.drivers, &|k| hidden[k][v]))
                .unwrap_or_default(),
        }
    };
    let movers = if moved.is_empty() {
        Vec::new()
    } else {
        moved.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let falls: Vec<Mover> = moved
            .iter()
            .filter(|m| m.1 < 0.0)
            .take(5)
            .map(mover)
            .collect();
        let rises: Vec<Mover> = moved
            .iter()
            .rev()
            .filter(|m| m.1 > 0.0)
            .take(5)
            .map(mover)
            .collect();
        vec![
            MoverGroup {
                title: w.get("falls"),
                rows: falls,
            },
            MoverGroup {
                title: w.get("rises"),
                rows: rises,
            },
        ]
    };

    // Summons list.
    let summoned = crate::alerts::summons(scores, villages, framework.report.summons);
    let summons: Vec<SummonsRow> = summoned
        .iter()
        .map(|&v| {
            let s = &scores.villages[v];
            // Vetoes, tier and change alerts one by one; the indicators
            // where the village is the district's worst in one phrase.
            let mut reasons: Vec<String> = input.alerts[v]
                .iter()
                .filter(|a| !matches!(a.kind, AlertKind::Summons | AlertKind::Worst))
                .map(|a| alert_text(a, w))
                .collect();
            let worst: Vec<String> = input.alerts[v]
                .iter()
                .filter(|a| a.kind == AlertKind::Worst)
                .filter_map(|a| {
                    let ind = framework
                        .indicators
                        .iter()
                        .find(|i| Some(&i.id) == a.subject.as_ref())?;
                    Some(w.pick(&ind.name_zh, &ind.name_en).to_string())
                })
                .collect();
            if !worst.is_empty() {
                reasons.push(format!(
                    "{}{}",
                    w.get("worst_on"),
                    worst.join(w.pick("、", ", "))
                ));
            }
            SummonsRow {
                name: villages[v].name.clone(),
                township: villages[v].township_name.clone(),
                href: href(v),
                index: num(s.index, 2),
                rank: s.rank.map(|r| r.to_string()).unwrap_or_default(),
                tier: s.tier.as_str(),
                tier_label: w.tier(s.tier),
                reasons: reasons.join(w.pick("；", "; ")),
                weaknesses: drivers_text(framework, w, &s.weaknesses, &|k| hidden[k][v]),
            }
        })
        .collect();

    // Townships.
    let groups = by_township(villages);
    let previous_groups = previous.map(|p| by_township(&p.villages));
    let mut township_means: Vec<TownshipMeans> = Vec::new();
    for (code, members) in &groups {
        let now = mean(&township_indices(scores, members));
        let before = previous.zip(previous_groups.as_ref()).and_then(|(p, g)| {
            g.get(code)
                .and_then(|m| mean(&township_indices(&p.scores, m)))
        });
        township_means.push((code, now, before));
    }
    let rank_by = |pick: &dyn Fn(&TownshipMeans) -> Option<f64>| {
        let mut ranks: BTreeMap<&str, u32> = BTreeMap::new();
        let mut list: Vec<(&str, f64)> = township_means
            .iter()
            .filter_map(|t| Some((t.0, rank::rounded(pick(t)?))))
            .collect();
        list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        for (i, (code, m)) in list.iter().enumerate() {
            let rank = if i > 0 && list[i - 1].1 == *m {
                ranks[list[i - 1].0]
            } else {
                i as u32 + 1
            };
            ranks.insert(code, rank);
        }
        ranks
    };
    let rank_now = rank_by(&|t| t.1);
    let rank_before = rank_by(&|t| t.2);
    let mut townships: Vec<TownshipRow> = township_means
        .iter()
        .filter_map(|&(code, now, before)| {
            let members = &groups[code];
            let values = township_indices(scores, members);
            let rank = *rank_now.get(code)?;
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Some(TownshipRow {
                rank,
                code: code.to_string(),
                name: villages[members[0]].township_name.clone(),
                villages: values.len(),
                mean: num(now, 2),
                median: num(median_of(&values), 2),
                range: format!("{lo:.1}–{hi:.1}"),
                sd: num(sd(&values), 2),
                red: members
                    .iter()
                    .filter(|&&v| scores.villages[v].tier == Tier::Red)
                    .count(),
                previous_mean: num(before, 2),
                change: change_view(now.zip(before).map(|(a, b)| a - b), 2, true),
                rank_change: change_view(
                    rank_before
                        .get(code)
                        .map(|&b| f64::from(b) - f64::from(rank)),
                    0,
                    true,
                ),
            })
        })
        .collect();
    townships.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.code.cmp(&b.code)));

    // Ranking.
    let ranking: Vec<RankingRow> = order
        .iter()
        .map(|&v| {
            let s = &scores.villages[v];
            let u = s.uncertainty;
            let rank_change = s
                .previous
                .as_ref()
                .and_then(|p| Some(f64::from(p.rank?) - f64::from(s.rank?)));
            RankingRow {
                rank: s.rank.map(|r| r.to_string()).unwrap_or_default(),
                rank_sort: sort_key(s.rank.map(f64::from)),
                name: villages[v].name.clone(),
                code: villages[v].code.clone(),
                township: villages[v].township_name.clone(),
                href: href(v),
                index: num(s.index, 2),
                index_sort: sort_key(s.index),
                tier: s.tier.as_str(),
                tier_label: w.tier(s.tier),
                tier_sort: s.tier as usize,
                township_rank: s.township_rank.map(|r| r.to_string()).unwrap_or_default(),
                township_rank_sort: sort_key(s.township_rank.map(f64::from)),
                interval: u
                    .map(|u| format!("{}–{}", u.p05, u.p95))
                    .unwrap_or_default(),
                interval_sort: sort_key(u.map(|u| f64::from(u.p95 - u.p05))),
                probability: u
                    .map(|u| {
                        format!(
                            "{:.0}%{}",
                            100.0 * u.tier_probability,
                            if u.uncertain { " ?" } else { "" }
                        )
                    })
                    .unwrap_or_default(),
                probability_sort: sort_key(u.map(|u| u.tier_probability)),
                change: change_view(
                    s.index
                        .zip(s.previous.as_ref().and_then(|p| p.index))
                        .map(|(a, b)| a - b),
                    2,
                    true,
                ),
                rank_change: change_view(rank_change, 0, true),
                veto: s
                    .vetoes
                    .iter()
                    .map(|&k| {
                        let veto = &framework.scoring.vetoes[k];
                        w.pick(&veto.reason_zh, &veto.reason_en).to_string()
                    })
                    .collect::<Vec<_>>()
                    .join(w.pick("；", "; ")),
                dimensions: s
                    .dimensions
                    .iter()
                    .map(|d| Cell {
                        text: num(*d, 1),
                        sort: sort_key(*d),
                    })
                    .collect(),
            }
        })
        .collect();

    // Data quality.
    let quality: Vec<QualityRow> = input
        .ingested
        .tables
        .iter()
        .map(|t| QualityRow {
            table: t.table.clone(),
            status: t.status.to_string(),
            read: t.rows_read,
            accepted: t.rows_accepted,
            rejected: t.rows_rejected,
            reasons: t
                .rejected_by_reason
                .iter()
                .map(|(r, n)| format!("{r} × {n}"))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let unavailable: Vec<UnavailableRow> = input
        .unavailable
        .iter()
        .map(|u| {
            let name = framework
                .indicators
                .iter()
                .find(|i| i.id == u.indicator)
                .map(|i| w.pick(&i.name_zh, &i.name_en).to_string())
                .unwrap_or_default();
            UnavailableRow {
                id: u.indicator.clone(),
                name,
                reason: u.reason.clone(),
            }
        })
        .collect();

    // Trend: the quarters, oldest first, and each one's scores.
    let trend_from = input
        .history
        .len()
        .saturating_sub(framework.report.trend_quarters.saturating_sub(1));
    let past = &input.history[trend_from..];
    let mut quarters: Vec<String> = past.iter().map(|p| p.quarter.to_string()).collect();
    quarters.push(quarter.to_string());
    let quarter_scores: Vec<(&[Village], &Scores)> = past
        .iter()
        .map(|p| (p.villages.as_slice(), &p.scores))
        .chain(std::iter::once((villages.as_slice(), scores)))
        .collect();
    let district_medians: Vec<Option<f64>> = quarter_scores
        .iter()
        .map(|(_, s)| {
            let v: Vec<f64> = s
                .villages
                .iter()
                .filter(|x| x.rank.is_some())
                .filter_map(|x| x.index)
                .collect();
            median_of(&v)
        })
        .collect();

    // ---------------------------------------------------------- charts
    let mut charts = Charts {
        dir,
        prefix: "",
        written: &mut written.charts,
        png_scale: 2,
    };
    let mut main: BTreeMap<&str, ChartView> = BTreeMap::new();
    let thresholds = match framework.tiers {
        TierRule::Thresholds { green, yellow } => Some((green, yellow)),
        TierRule::Quantiles { .. } => None,
    };
    let title = w.get("distribution");
    let points: Vec<(f64, Tier)> = ranked
        .iter()
        .filter_map(|&v| Some((index_of(v)?, scores.villages[v].tier)))
        .collect();
    let record = charts::distribution(
        &points,
        thresholds,
        &title,
        &w.get("index_axis"),
        &w.get("villages_axis"),
    )
    .map_err(out_err("drawing the distribution chart"))?;
    main.insert("distribution", charts.put("distribution", &title, record)?);

    let title = w.get("summons");
    // The chart shows at most MAX_ROWS of a long summons list.
    let rows: Vec<(String, f64, Tier)> = summoned
        .iter()
        .take(MAX_ROWS)
        .filter_map(|&v| {
            Some((
                villages[v].name.clone(),
                index_of(v)?,
                scores.villages[v].tier,
            ))
        })
        .collect();
    let record = charts::bars(&rows, &title, &w.get("index_axis"))
        .map_err(out_err("drawing the summons chart"))?;
    main.insert("summons", charts.put("summons", &title, record)?);

    let title = w.get("townships");
    let league: Vec<charts::LeagueRow> = townships
        .iter()
        .filter_map(|t| {
            let values = township_indices(scores, &groups[t.code.as_str()]);
            let (now, before) = township_means
                .iter()
                .find(|m| m.0 == t.code)
                .map(|m| (m.1, m.2))?;
            Some(charts::LeagueRow {
                name: t.name.clone(),
                mean: now?,
                min: values.iter().copied().fold(f64::INFINITY, f64::min),
                max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                change: now.zip(before).map(|(a, b)| a - b),
            })
        })
        .collect();
    let record = charts::league(&league, &title, &w.get("index_axis"))
        .map_err(out_err("drawing the township chart"))?;
    main.insert("townships", charts.put("townships", &title, record)?);

    let shown: Vec<usize> = if ranked.len() > MAX_ROWS {
        ranked[ranked.len() - MAX_ROWS..].to_vec()
    } else {
        ranked.clone()
    };
    let cut = (ranked.len() > MAX_ROWS).then(|| format!("{MAX_ROWS}/{}", ranked.len()));
    let title = w.get("heatmap");
    let rows: Vec<(String, Vec<Option<f64>>)> = shown
        .iter()
        .map(|&v| {
            (
                format!(
                    "{} {}",
                    scores.villages[v].rank.unwrap_or(0),
                    villages[v].name
                ),
                scores.villages[v].dimensions.clone(),
            )
        })
        .collect();
    let record =
        charts::heatmap(&rows, &dim_names, &title).map_err(out_err("drawing the heatmap"))?;
    main.insert("heatmap", charts.put("heatmap", &title, record)?);

    let title = w.get("trend");
    let palette = [
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0xff, 0x7f, 0x0e),
        RGBColor(0x2c, 0xa0, 0x2c),
        RGBColor(0x94, 0x67, 0xbd),
        RGBColor(0x8c, 0x56, 0x4b),
        RGBColor(0xe3, 0x77, 0xc2),
        RGBColor(0x17, 0xbe, 0xcf),
        RGBColor(0xbc, 0xbd, 0x22),
        RGBColor(0x7f, 0x7f, 0x7f),
        RGBColor(0xd6, 0x27, 0x28),
        RGBColor(0x39, 0x3b, 0x79),
        RGBColor(0x63, 0x79, 0x39),
    ];
    let mut series = vec![(
        w.get("district_median"),
        district_medians.clone(),
        RGBColor(0x22, 0x22, 0x22),
    )];
    for (i, t) in townships.iter().enumerate() {
        let values: Vec<Option<f64>> = quarter_scores
            .iter()
            .map(|(vs, s)| {
                let members: Vec<usize> = vs
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| x.township_code == t.code)
                    .map(|(i, _)| i)
                    .collect();
                mean(&township_indices(s, &members))
            })
            .collect();
        series.push((t.name.clone(), values, palette[i % palette.len()]));
    }
    let record = charts::trend(&quarters, &series, &title, &w.get("index_axis"))
        .map_err(out_err("drawing the trend chart"))?;
    main.insert("trend", charts.put("trend", &title, record)?);

    let moves: Vec<(u32, u32, Tier, String)> = {
        let mut pts: Vec<(u32, u32, Tier, i64, usize)> = ranked
            .iter()
            .filter_map(|&v| {
                let s = &scores.villages[v];
                let before = s.previous.as_ref()?.rank?;
                let now = s.rank?;
                Some((before, now, s.tier, i64::from(before) - i64::from(now), v))
            })
            .collect();
        let mut by_move: Vec<usize> = (0..pts.len()).collect();
        by_move.sort_by(|&a, &b| {
            pts[b]
                .3
                .abs()
                .cmp(&pts[a].3.abs())
                .then(pts[a].4.cmp(&pts[b].4))
        });
        let named: BTreeSet<usize> = by_move.into_iter().take(6).collect();
        pts.iter_mut()
            .enumerate()
            .map(|(i, p)| {
                let name = if named.contains(&i) {
                    villages[p.4].name.clone()
                } else {
                    String::new()
                };
                (p.0, p.1, p.2, name)
            })
            .collect()
    };
    if !moves.is_empty() {
        let title = w.get("movement");
        let n = moves
            .iter()
            .map(|m| m.0.max(m.1))
            .max()
            .unwrap_or(1)
            .max(n_ranked);
        let record = charts::movement(
            &moves,
            n,
            &title,
            &w.get("previous_rank"),
            &w.get("current_rank"),
        )
        .map_err(out_err("drawing the rank movement chart"))?;
        main.insert("movement", charts.put("movement", &title, record)?);
    }

    let interval_rows: Vec<charts::IntervalRow> = shown
        .iter()
        .filter_map(|&v| {
            let s = &scores.villages[v];
            let u = s.uncertainty?;
            Some(charts::IntervalRow {
                name: villages[v].name.clone(),
                rank: s.rank?,
                p05: u.p05,
                p95: u.p95,
                tier: s.tier,
            })
        })
        .collect();
    if !interval_rows.is_empty() {
        let title = w.get("uncertainty");
        let record = charts::intervals(&interval_rows, n_ranked, &title, &w.get("rank_axis"))
            .map_err(out_err("drawing the rank interval chart"))?;
        main.insert("intervals", charts.put("intervals", &title, record)?);
    }

    let title = w.get("quality");
    let rows: Vec<(String, u64, u64)> = input
        .ingested
        .tables
        .iter()
        .filter(|t| t.is_present())
        .map(|t| (t.table.clone(), t.rows_accepted, t.rows_rejected))
        .collect();
    let record = charts::quality(&rows, &title, &w.get("rows_axis"))
        .map_err(out_err("drawing the data quality chart"))?;
    main.insert("quality", charts.put("quality", &title, record)?);

    let framework_view = FrameworkView {
        id: framework.meta.id.clone(),
        name: w
            .pick(&framework.meta.name_zh, &framework.meta.name_en)
            .to_string(),
        version: framework.meta.version.clone(),
        indicators: framework.indicators.len(),
        dimensions: framework.dimensions.len(),
    };
    let ctx = minijinja::context! {
        quarter => quarter.to_string(),
        public => opts.public,
        framework => &framework_view,
        summary => &summary,
        movers => &movers,
        summons => &summons,
        townships => &townships,
        ranking => &ranking,
        dimensions => &dim_names,
        heatmap_cut => &cut,
        quality => &quality,
        unavailable => &unavailable,
        charts => &main,
    };
    let html = render(&env, "report.html", ctx)?;
    let path = dir.join("report.html");
    std::fs::write(&path, html).map_err(Error::io("writing", &path))?;

    // ---------------------------------------------------------- villages
    let district_raw_medians: Vec<Option<f64>> = input
        .values
        .iter()
        .map(|iv| rank::median(&iv.raw))
        .collect();
    let mut township_raw_medians: BTreeMap<(&str, usize), Option<f64>> = BTreeMap::new();
    for (code, members) in &groups {
        for (k, iv) in input.values.iter().enumerate() {
            let raw: Vec<Option<f64>> = members.iter().map(|&v| iv.raw[v]).collect();
            township_raw_medians.insert((code, k), rank::median(&raw));
        }
    }
    let dimension_medians: Vec<Option<f64>> = (0..framework.dimensions.len())
        .map(|d| {
            let v: Vec<f64> = ranked
                .iter()
                .filter_map(|&x| scores.villages[x].dimensions[d])
                .collect();
            median_of(&v)
        })
        .collect();
    let township_dimension_medians: BTreeMap<&str, Vec<Option<f64>>> = groups
        .iter()
        .map(|(code, members)| {
            let medians = (0..framework.dimensions.len())
                .map(|d| {
                    let v: Vec<f64> = members
                        .iter()
                        .filter(|&&x| scores.villages[x].rank.is_some())
                        .filter_map(|&x| scores.villages[x].dimensions[d])
                        .collect();
                    median_of(&v)
                })
                .collect();
            (*code, medians)
        })
        .collect();
    let dimension_of: Vec<usize> = framework
        .indicators
        .iter()
        .map(|i| {
            framework
                .dimensions
                .iter()
                .position(|d| d.id == i.dimension)
                .unwrap_or(0)
        })
        .collect();
    let past_index: Vec<BTreeMap<&str, Option<f64>>> = past
        .iter()
        .map(|p| {
            p.villages
                .iter()
                .zip(&p.scores.villages)
                .map(|(v, s)| (v.code.as_str(), s.index.filter(|_| s.rank.is_some())))
                .collect()
        })
        .collect();

    let pages = Pages {
        dir,
        env: &env,
        words: w,
        framework,
        input,
        quarter: quarter.to_string(),
        public: opts.public,
        framework_view: &framework_view,
        dim_names: &dim_names,
        quarters: &quarters,
        district_medians: &district_medians,
        past_index: &past_index,
        township_dimension_medians: &township_dimension_medians,
        dimension_medians: &dimension_medians,
        township_raw_medians: &township_raw_medians,
        district_raw_medians: &district_raw_medians,
        dimension_of: &dimension_of,
        petition_counts: &petition_counts,
        hidden: &hidden,
        township_members: &groups,
        cells,
        n_ranked,
    };
    // Village pages in parallel: each thread draws and writes its share.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let chunk = order.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<(String, u64)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = order
            .chunks(chunk)
            .map(|part| {
                let pages = &pages;
                scope.spawn(move || pages.write(part))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::Internal {
                        context: "writing the village pages".into(),
                        message: "a page-writing thread panicked".into(),
                    })
                })
            })
            .collect()
    });
    for r in results {
        written.charts.extend(r?);
    }
    written.village_pages = order.len();

    write_tables(
        dir,
        input,
        &townships_csv(&townships),
        &quarters,
        &quarter_scores,
        &district_medians,
    )?;
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        charts = written.charts.len() / 2,
        village_pages = written.village_pages,
        "report written"
    );
    Ok(written)
}

/// What every village page is written from.
struct Pages<'a> {
    dir: &'a Path,
    env: &'a minijinja::Environment<'static>,
    words: &'a Words,
    framework: &'a Framework,
    input: &'a ReportInput<'a>,
    quarter: String,
    public: bool,
    framework_view: &'a FrameworkView,
    dim_names: &'a [String],
    quarters: &'a [String],
    district_medians: &'a [Option<f64>],
    past_index: &'a [BTreeMap<&'a str, Option<f64>>],
    township_dimension_medians: &'a BTreeMap<&'a str, Vec<Option<f64>>>,
    dimension_medians: &'a [Option<f64>],
    township_raw_medians: &'a BTreeMap<(&'a str, usize), Option<f64>>,
    district_raw_medians: &'a [Option<f64>],
    dimension_of: &'a [usize],
    petition_counts: &'a BTreeSet<String>,
    /// `hidden[indicator][village]`: cells the public edition hides.
    hidden: &'a [Vec<bool>],
    township_members: &'a BTreeMap<&'a str, Vec<usize>>,
    cells: SmallCells,
    n_ranked: u32,
}

impl Pages<'_> {
    /// Writes the pages (and their charts) of `villages`; returns the
    /// chart files written.
    fn write(&self, part: &[usize]) -> Result<Vec<(String, u64)>> {
        let Pages {
            dir,
            env,
            words: w,
            framework,
            input,
            framework_view,
            dim_names,
            quarters,
            district_medians,
            past_index,
            township_dimension_medians,
            dimension_medians,
            township_raw_medians,
            district_raw_medians,
            dimension_of,
            petition_counts,
            hidden,
            township_members,
            cells,
            n_ranked,
            ..
        } = *self;
        let villages = &input.table.villages;
        let scores = input.scores;
        let mut written = Vec::new();
        let mut village_charts = Charts {
            dir,
            prefix: "../",
            written: &mut written,
            png_scale: 1,
        };
        for &v in part {
            let village = &villages[v];
            let s = &scores.villages[v];
            let code = village.code.as_str();
            let mut page_charts: BTreeMap<&str, ChartView> = BTreeMap::new();

            let title = format!("{} · {}", village.name, w.get("profile"));
            let town = &township_dimension_medians[village.township_code.as_str()];
            let this = w.get("this_village");
            let tm = w.get("township_median");
            let dm = w.get("district_median");
            let record = charts::profile(
                dim_names,
                [
                    (this.as_str(), &s.dimensions),
                    (tm.as_str(), town),
                    (dm.as_str(), dimension_medians),
                ],
                &title,
                &w.get("index_axis"),
            )
            .map_err(out_err("drawing a village profile chart"))?;
            page_charts.insert(
                "profile",
                village_charts.put(&format!("village-{code}-profile"), &title, record)?,
            );

            if let Some(index) = s.index.filter(|_| s.rank.is_some()) {
                let steps: Vec<(String, f64)> = framework
                    .dimensions
                    .iter()
                    .enumerate()
                    .map(|(d, _)| {
                        let points: f64 = (0..framework.indicators.len())
                            .filter(|&k| dimension_of[k] == d)
                            .map(|k| scores.cells[k][v].contribution)
                            .sum();
                        (dim_names[d].clone(), points)
                    })
                    .collect();
                let title = format!("{} · {}", village.name, w.get("contributions"));
                let record = charts::waterfall(
                    &steps,
                    &w.get("total"),
                    index,
                    &title,
                    &w.get("points_axis"),
                )
                .map_err(out_err("drawing a village waterfall"))?;
                page_charts.insert(
                    "contributions",
                    village_charts.put(&format!("village-{code}-contributions"), &title, record)?,
                );
            }

            let mut own: Vec<Option<f64>> = past_index
                .iter()
                .map(|m| m.get(code).copied().flatten())
                .collect();
            own.push(s.index.filter(|_| s.rank.is_some()));
            let title = format!("{} · {}", village.name, w.get("village_trend"));
            let record = charts::trend(
                quarters,
                &[
                    (village.name.clone(), own, RGBColor(0x1f, 0x5f, 0xa8)),
                    (
                        dm.clone(),
                        district_medians.to_vec(),
                        RGBColor(0x88, 0x88, 0x88),
                    ),
                ],
                &title,
                &w.get("index_axis"),
            )
            .map_err(out_err("drawing a village trend"))?;
            page_charts.insert(
                "trend",
                village_charts.put(&format!("village-{code}-trend"), &title, record)?,
            );

            let indicators: Vec<IndicatorRow> = framework
                .indicators
                .iter()
                .enumerate()
                .map(|(k, ind)| {
                    let cell = &scores.cells[k][v];
                    let iv = &input.values[k];
                    let masked = hidden[k][v];
                    let counted = petition_counts.contains(&ind.numerator);
                    // A township median of a petition indicator is hidden
                    // with the village's own value, and where fewer than k
                    // villages of the township have a value (it could be
                    // worked back from theirs).
                    let with_values = township_members[village.township_code.as_str()]
                        .iter()
                        .filter(|&&x| iv.raw[x].is_some())
                        .count();
                    let hide_township = cells
                        .k
                        .is_some_and(|k| counted && (masked || with_values < k as usize));
                    let show = |x: Option<f64>| {
                        let hide = counted
                            && ind.formula == crate::framework::Formula::Value
                            && cells.hides(x);
                        if hide { cells.mask() } else { num(x, 2) }
                    };
                    let status = match cell.status {
                        CellStatus::Value => w.get("status_scored"),
                        CellStatus::Imputed => w.get("status_imputed"),
                        other => format!("{} ({})", w.get("status_other"), other.as_str()),
                    };
                    IndicatorRow {
                        id: ind.id.clone(),
                        name: w.pick(&ind.name_zh, &ind.name_en).to_string(),
                        dimension: dim_names[dimension_of[k]].clone(),
                        raw: if masked {
                            cells.mask()
                        } else {
                            num(iv.raw[v], 2)
                        },
                        raw_sort: if masked {
                            String::new()
                        } else {
                            sort_key(iv.raw[v])
                        },
                        masked,
                        township_median: if hide_township {
                            cells.mask()
                        } else {
                            show(
                                township_raw_medians
                                    .get(&(village.township_code.as_str(), k))
                                    .copied()
                                    .flatten(),
                            )
                        },
                        district_median: show(district_raw_medians[k]),
                        // The score and contribution would give the
                        // hidden value back (min-max is linear in it).
                        score: if masked {
                            String::new()
                        } else {
                            num(cell.normalised, 1)
                        },
                        score_sort: if masked {
                            String::new()
                        } else {
                            sort_key(cell.normalised)
                        },
                        contribution: if masked || s.rank.is_none() {
                            String::new()
                        } else {
                            format!("{:.2}", cell.contribution)
                        },
                        contribution_sort: if masked || s.rank.is_none() {
                            String::new()
                        } else {
                            format!("{}", cell.contribution)
                        },
                        status,
                    }
                })
                .collect();
            let u = s.uncertainty;
            let view = VillageView {
                code: village.code.clone(),
                name: village.name.clone(),
                township: village.township_name.clone(),
                index: num(s.index, 2),
                rank: s
                    .rank
                    .map(|r| format!("{r}/{n_ranked}"))
                    .unwrap_or_else(|| w.get("not_ranked")),
                tier: s.tier.as_str(),
                tier_label: w.tier(s.tier),
                township_rank: s.township_rank.map(|r| r.to_string()).unwrap_or_default(),
                interval: u
                    .map(|u| format!("{}–{}", u.p05, u.p95))
                    .unwrap_or_default(),
                probability: u
                    .map(|u| format!("{:.0}%", 100.0 * u.tier_probability))
                    .unwrap_or_default(),
                index_previous: num(s.previous.as_ref().and_then(|p| p.index), 2),
                change: change_view(
                    s.index
                        .zip(s.previous.as_ref().and_then(|p| p.index))
                        .map(|(a, b)| a - b),
                    2,
                    true,
                ),
                tier_previous: s
                    .previous
                    .as_ref()
                    .map(|p| w.tier(p.tier))
                    .unwrap_or_default(),
                alerts: input.alerts[v]
                    .iter()
                    .map(|a| AlertView {
                        kind: a.kind.as_str(),
                        text: alert_text(a, w),
                    })
                    .collect(),
                weaknesses: drivers_text(framework, w, &s.weaknesses, &|k| hidden[k][v]),
                strengths: drivers_text(framework, w, &s.strengths, &|k| hidden[k][v]),
                drivers: s
                    .previous
                    .as_ref()
                    .map(|p| drivers_text(framework, w, &p.drivers, &|k| hidden[k][v]))
                    .unwrap_or_default(),
                indicators,
            };
            let ctx = minijinja::context! {
                quarter => &self.quarter,
                public => self.public,
                framework => framework_view,
                v => &view,
                charts => &page_charts,
            };
            let html = render(env, "village.html", ctx)?;
            let path = dir.join("village").join(format!("{code}.html"));
            std::fs::write(&path, html).map_err(Error::io("writing", &path))?;
        }
        Ok(written)
    }
}

fn townships_csv(rows: &[TownshipRow]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|t| {
            vec![
                t.rank.to_string(),
                t.code.clone(),
                t.name.clone(),
                t.villages.to_string(),
                t.mean.clone(),
                t.median.clone(),
                t.sd.clone(),
                t.red.to_string(),
                t.previous_mean.clone(),
                t.change.sort.clone(),
            ]
        })
        .collect()
}

fn csv_writer(path: &Path) -> Result<csv::Writer<std::fs::File>> {
    let mut file = std::fs::File::create(path).map_err(Error::io("writing", path))?;
    std::io::Write::write_all(&mut file, "\u{feff}".as_bytes())
        .map_err(Error::io("writing", path))?;
    Ok(csv::Writer::from_writer(file))
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::Write {
        context: format!("writing {}", path.display()),
        source: e.into(),
    }
}

/// `townships.csv`, `trend.csv` and `alerts.csv`: the league, the
/// quarters' medians and every alert, for analysts.
fn write_tables(
    dir: &Path,
    input: &ReportInput,
    townships: &[Vec<String>],
    quarters: &[String],
    quarter_scores: &[(&[Village], &Scores)],
    district_medians: &[Option<f64>],
) -> Result<()> {
    let path: PathBuf = dir.join("townships.csv");
    let mut w = csv_writer(&path)?;
    w.write_record([
        "rank",
        "township_code",
        "township_name",
        "villages_ranked",
        "index_mean",
        "index_median",
        "index_sd",
        "red",
        "index_mean_previous",
        "index_mean_change",
    ])
    .map_err(csv_err(&path))?;
    for row in townships {
        w.write_record(row).map_err(csv_err(&path))?;
    }
    w.flush().map_err(Error::io("writing", &path))?;

    let path = dir.join("trend.csv");
    let mut w = csv_writer(&path)?;
    w.write_record([
        "quarter",
        "villages_ranked",
        "index_median",
        "green",
        "yellow",
        "red",
    ])
    .map_err(csv_err(&path))?;
    for ((q, (_, s)), m) in quarters.iter().zip(quarter_scores).zip(district_medians) {
        let count = |t: Tier| {
            s.villages
                .iter()
                .filter(|x| x.tier == t)
                .count()
                .to_string()
        };
        w.write_record([
            q.clone(),
            s.villages
                .iter()
                .filter(|x| x.rank.is_some())
                .count()
                .to_string(),
            num(*m, 4),
            count(Tier::Green),
            count(Tier::Yellow),
            count(Tier::Red),
        ])
        .map_err(csv_err(&path))?;
    }
    w.flush().map_err(Error::io("writing", &path))?;

    let path = dir.join("alerts.csv");
    let mut w = csv_writer(&path)?;
    w.write_record([
        "village_code",
        "village_name",
        "township_name",
        "alert",
        "subject",
        "detail_zh",
        "detail_en",
    ])
    .map_err(csv_err(&path))?;
    let villages = &input.table.villages;
    for v in listing_order(&input.scores.villages, villages) {
        for a in &input.alerts[v] {
            w.write_record([
                villages[v].code.as_str(),
                villages[v].name.as_str(),
                villages[v].township_name.as_str(),
                a.kind.as_str(),
                a.subject.as_deref().unwrap_or(""),
                a.detail_zh.as_str(),
                a.detail_en.as_str(),
            ])
            .map_err(csv_err(&path))?;
        }
    }
    w.flush().map_err(Error::io("writing", &path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let zh = strings(Lang::Zh).expect("zh");
        let en = strings(Lang::En).expect("en");
        let a: Vec<&String> = zh.keys().collect();
        let b: Vec<&String> = en.keys().collect();
        assert_eq!(a, b);
    }

    #[test]
    fn templates_parse() {
        let words = Words {
            t: strings(Lang::Zh).expect("zh"),
            lang: Lang::Zh,
        };
        let env = environment(&words).expect("templates load");
        for (name, _) in TEMPLATES {
            env.get_template(name).expect(name);
        }
    }

    #[test]
    fn change_is_signed_and_coloured() {
        let up = change_view(Some(1.234), 2, true);
        assert_eq!((up.text.as_str(), up.class), ("+1.23", "up"));
        let down = change_view(Some(-0.5), 1, true);
        assert_eq!((down.text.as_str(), down.class), ("-0.5", "down"));
        let zero = change_view(Some(-0.0001), 2, true);
        assert_eq!((zero.text.as_str(), zero.class), ("±0", ""));
        assert_eq!(change_view(None, 2, true).text, "");
    }
}

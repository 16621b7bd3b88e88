//! What the pages are rendered from: serialisable views of rows, cells
//! and changes with their display text and sort keys, the formatting of
//! numbers and index changes, the text of drivers and alerts, and the
//! chart writer that puts a drawn chart's SVG and PNG under `charts/`.

use std::path::Path;

use serde::Serialize;

use super::Words;
use super::canvas::{Record, SvgFont};
use super::font;
use crate::alerts::Alert;
use crate::error::{Error, Result};
use crate::framework::Framework;
use crate::scoring::{Driver, TierCounts};

#[derive(Debug, Serialize)]
pub(super) struct ChartView {
    pub(super) name: String,
    pub(super) title: String,
    pub(super) svg: String,
    /// The PNG's path from the page, when one was written.
    pub(super) png: Option<String>,
    pub(super) svg_file: String,
}

#[derive(Debug, Serialize, Default)]
pub(super) struct ChangeView {
    pub(super) text: String,
    pub(super) class: &'static str,
    pub(super) sort: String,
}

pub(super) fn change_view(d: Option<f64>, decimals: usize, higher_is_better: bool) -> ChangeView {
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
pub(super) struct Cell {
    pub(super) text: String,
    pub(super) sort: String,
}

pub(super) fn num(x: Option<f64>, decimals: usize) -> String {
    x.map(|x| format!("{x:.decimals$}")).unwrap_or_default()
}

/// A table cell's `data-sort` value: the number to 7 significant digits,
/// written as short as it reads back (`167.8832`, not
/// `167.8832116788321`). Order is kept (rounding is monotone); numbers
/// that differ only past the 7th digit sort as equal, finer than any cell
/// shows. On a 20,000-village report this is some 2 KB a village page.
pub(super) fn sort_key(x: Option<f64>) -> String {
    x.map(|x| {
        let rounded = format!("{x:.6e}");
        rounded.parse::<f64>().map_or(rounded, |r| format!("{r}"))
    })
    .unwrap_or_default()
}

#[derive(Debug, Serialize)]
pub(super) struct RankingRow {
    pub(super) rank: String,
    pub(super) rank_sort: String,
    pub(super) name: String,
    pub(super) code: String,
    pub(super) township: String,
    /// The county's name in a province extract; empty otherwise.
    pub(super) county: String,
    pub(super) county_rank: String,
    pub(super) county_rank_sort: String,
    pub(super) href: String,
    pub(super) index: String,
    pub(super) index_sort: String,
    pub(super) tier: &'static str,
    pub(super) tier_label: String,
    pub(super) tier_sort: usize,
    pub(super) township_rank: String,
    pub(super) township_rank_sort: String,
    pub(super) interval: String,
    pub(super) interval_sort: String,
    pub(super) probability: String,
    pub(super) probability_sort: String,
    pub(super) change: ChangeView,
    pub(super) rank_change: ChangeView,
    pub(super) veto: String,
    pub(super) dimensions: Vec<Cell>,
}

#[derive(Debug, Serialize)]
pub(super) struct SummonsRow {
    pub(super) name: String,
    pub(super) township: String,
    pub(super) href: String,
    pub(super) index: String,
    pub(super) rank: String,
    pub(super) tier: &'static str,
    pub(super) tier_label: String,
    pub(super) reasons: String,
    pub(super) weaknesses: String,
}

#[derive(Debug, Serialize)]
pub(super) struct TownshipRow {
    pub(super) rank: u32,
    pub(super) code: String,
    pub(super) name: String,
    /// A township's county (province extracts); empty otherwise.
    pub(super) county: String,
    pub(super) villages: usize,
    pub(super) mean: String,
    pub(super) median: String,
    pub(super) range: String,
    pub(super) sd: String,
    pub(super) red: usize,
    pub(super) previous_mean: String,
    pub(super) change: ChangeView,
    pub(super) rank_change: ChangeView,
}

#[derive(Debug, Serialize)]
pub(super) struct Mover {
    pub(super) name: String,
    pub(super) township: String,
    pub(super) href: String,
    pub(super) index: String,
    pub(super) change: ChangeView,
    pub(super) rank_change: ChangeView,
    pub(super) drivers: String,
}

#[derive(Debug, Serialize)]
pub(super) struct MoverGroup {
    pub(super) title: String,
    pub(super) rows: Vec<Mover>,
}

#[derive(Debug, Serialize)]
pub(super) struct QualityRow {
    pub(super) table: String,
    pub(super) status: String,
    pub(super) read: u64,
    pub(super) accepted: u64,
    pub(super) rejected: u64,
    pub(super) reasons: String,
}

#[derive(Debug, Serialize)]
pub(super) struct UnavailableRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) reason: String,
}

#[derive(Debug, Serialize)]
pub(super) struct Summary {
    #[serde(flatten)]
    pub(super) villages: TierCounts,
    pub(super) median_index: String,
    pub(super) median_change: ChangeView,
    pub(super) rows_rejected: u64,
    pub(super) indicators_unavailable: usize,
    /// Whether the framework runs Monte Carlo (else no tier-uncertain count).
    pub(super) monte_carlo: bool,
}

#[derive(Debug, Serialize)]
pub(super) struct FrameworkView {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) version: String,
    pub(super) indicators: usize,
    pub(super) dimensions: usize,
}

#[derive(Debug, Serialize)]
pub(super) struct AlertView {
    pub(super) kind: &'static str,
    pub(super) text: String,
}

#[derive(Debug, Serialize)]
pub(super) struct IndicatorRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) dimension: String,
    pub(super) raw: String,
    pub(super) raw_sort: String,
    pub(super) masked: bool,
    pub(super) township_median: String,
    pub(super) district_median: String,
    pub(super) score: String,
    pub(super) score_sort: String,
    pub(super) contribution: String,
    pub(super) contribution_sort: String,
    pub(super) status: String,
}

#[derive(Debug, Serialize)]
pub(super) struct VillageView {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) township: String,
    /// The county's name and the village's rank in it (province
    /// extracts); empty otherwise.
    pub(super) county: String,
    pub(super) county_rank: String,
    pub(super) index: String,
    pub(super) rank: String,
    pub(super) tier: &'static str,
    pub(super) tier_label: String,
    pub(super) township_rank: String,
    pub(super) interval: String,
    pub(super) probability: String,
    pub(super) index_previous: String,
    pub(super) change: ChangeView,
    pub(super) tier_previous: String,
    pub(super) alerts: Vec<AlertView>,
    /// Its alerts followed across quarters (ids, status).
    pub(super) history: Vec<TrackedView>,
    pub(super) weaknesses: String,
    pub(super) strengths: String,
    pub(super) drivers: String,
    pub(super) indicators: Vec<IndicatorRow>,
}

/// Indicators with their index points; an indicator whose value the
/// public edition hides for this village is named without its points.
pub(super) fn drivers_text(
    framework: &Framework,
    w: &Words,
    drivers: &[Driver],
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

/// An alert followed across quarters (`lifecycle`), as the report shows it.
#[derive(Debug, Serialize)]
pub(super) struct TrackedView {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) href: String,
    pub(super) kind: String,
    pub(super) first_quarter: String,
    pub(super) age: i32,
    pub(super) status: &'static str,
    pub(super) status_label: String,
    pub(super) decided: String,
    pub(super) now: bool,
}

pub(super) fn tracked_view(
    t: &crate::lifecycle::Tracked,
    name: &str,
    href: String,
    w: &Words,
) -> TrackedView {
    let decided = t
        .last_decided
        .map(|d| crate::period::date_of(d).to_string())
        .unwrap_or_default();
    TrackedView {
        id: t.id.clone(),
        name: name.to_string(),
        href,
        kind: t.key.clone(),
        first_quarter: t.first_quarter.to_string(),
        age: t.age_quarters,
        status: t.status.as_str(),
        status_label: w
            .pick(t.status.label_zh(), &t.status.as_str().replace('_', " "))
            .to_string(),
        decided,
        now: t.raised_now.is_some(),
    }
}

pub(super) fn alert_text(a: &Alert, w: &Words) -> String {
    w.pick(&a.detail_zh, &a.detail_en).to_string()
}

/// A chart drawn: its SVG inline, its files written.
pub(super) struct Charts<'a> {
    pub(super) dir: &'a Path,
    /// Relative path from the page to `charts/`.
    pub(super) prefix: &'static str,
    pub(super) written: &'a mut Vec<(String, u64)>,
    /// PNG pixels per chart pixel: 2 for the district charts (pasted into
    /// documents), 1 for the village pages' (several hundred of them);
    /// `None` writes no PNG (village pages, unless `[report] village_png`).
    pub(super) png_scale: Option<u32>,
}

impl Charts<'_> {
    pub(super) fn put(&mut self, name: &str, title: &str, record: Record) -> Result<ChartView> {
        let chart_dir = self.dir.join("charts");
        let font = format!("../{}", font::REPORT_PATH);
        let file = record.svg(title, SvgFont::File(&font));
        let mut files: Vec<(&str, Vec<u8>)> = vec![("svg", file.into_bytes())];
        if let Some(scale) = self.png_scale {
            let png = record.png(scale).map_err(|message| Error::Internal {
                context: format!("drawing chart {name}.png"),
                message,
            })?;
            files.push(("png", png));
        }
        for (ext, bytes) in &files {
            let file = format!("{name}.{ext}");
            let path = chart_dir.join(&file);
            std::fs::write(&path, bytes).map_err(Error::io("writing", &path))?;
            self.written
                .push((format!("charts/{file}"), bytes.len() as u64));
        }
        Ok(ChartView {
            name: name.to_string(),
            title: title.to_string(),
            svg: record.svg(title, SvgFont::Page),
            png: self
                .png_scale
                .map(|_| format!("{}charts/{name}.png", self.prefix)),
            svg_file: format!("{}charts/{name}.svg", self.prefix),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::sort_key;

    #[test]
    fn sort_keys_are_short_and_keep_the_order() {
        assert_eq!(sort_key(Some(167.883_211_678_832_1)), "167.8832");
        assert_eq!(sort_key(Some(20_000.0)), "20000");
        assert_eq!(sort_key(Some(0.011_811_023_622_047_244)), "0.01181102");
        assert_eq!(sort_key(Some(0.0)), "0");
        assert_eq!(sort_key(Some(-2.5)), "-2.5");
        assert_eq!(sort_key(None), "");
        let keys: Vec<f64> = (0..4000)
            .map(|i| f64::from(i - 2000) * 0.013_7 + 1e-9 * f64::from(i % 7))
            .map(|x| sort_key(Some(x)).parse().unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]));
    }
}

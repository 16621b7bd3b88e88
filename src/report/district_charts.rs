//! The district charts of `report.html`, laid out from the standings:
//! index distribution, summons list, township league, dimension heatmap,
//! trend of the district and its townships, rank movement, Monte Carlo
//! rank intervals and data quality. Row-per-village charts show at most
//! [`MAX_ROWS`] villages, the lowest ranked.

use std::collections::BTreeMap;

use plotters::style::RGBColor;

use super::charts;
use super::views::{ChartView, Charts};
use super::{Layout, out_err};
use crate::engine::rank::{Tier, TierRule};
use crate::error::Result;

/// Row-per-village charts (heatmap, rank intervals, summons) show at most
/// this many villages, the lowest ranked.
pub(super) const MAX_ROWS: usize = 100;

/// The townships' line colours in the trend chart, by league position.
const PALETTE: [RGBColor; 12] = [
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

/// The ranked villages the row-per-village charts show: the last
/// [`MAX_ROWS`], and the "shown of all" note when cut.
pub(super) fn shown(l: &Layout) -> (Vec<usize>, Option<String>) {
    let ranked = &l.standings.ranked;
    if ranked.len() > MAX_ROWS {
        (
            ranked[ranked.len() - MAX_ROWS..].to_vec(),
            Some(format!("{MAX_ROWS}/{}", ranked.len())),
        )
    } else {
        (ranked.clone(), None)
    }
}

/// Draws and writes every district chart.
pub(super) fn draw<'c>(l: &Layout, charts: &mut Charts) -> Result<BTreeMap<&'c str, ChartView>> {
    let mut main: BTreeMap<&str, ChartView> = BTreeMap::new();
    main.insert("distribution", distribution(l, charts)?);
    main.insert("summons", summons(l, charts)?);
    main.insert("townships", league(l, charts)?);
    main.insert("heatmap", heatmap(l, charts)?);
    main.insert("trend", trend(l, charts)?);
    if let Some(chart) = movement(l, charts)? {
        main.insert("movement", chart);
    }
    if let Some(chart) = intervals(l, charts)? {
        main.insert("intervals", chart);
    }
    main.insert("quality", quality(l, charts)?);
    Ok(main)
}

fn distribution(l: &Layout, charts: &mut Charts) -> Result<ChartView> {
    let scores = &l.a.scores;
    let thresholds = match l.a.framework.tiers {
        TierRule::Thresholds { green, yellow } => Some((green, yellow)),
        TierRule::Quantiles { .. } => None,
    };
    let title = l.w.get("distribution");
    let points: Vec<(f64, Tier)> = l
        .standings
        .ranked
        .iter()
        .filter_map(|&v| Some((scores.villages[v].index?, scores.villages[v].tier)))
        .collect();
    let record = charts::distribution(
        &points,
        thresholds,
        &title,
        &l.w.get("index_axis"),
        &l.w.get("villages_axis"),
    )
    .map_err(out_err("drawing the distribution chart"))?;
    charts.put("distribution", &title, record)
}

fn summons(l: &Layout, charts: &mut Charts) -> Result<ChartView> {
    let (villages, scores) = (&l.a.table.villages, &l.a.scores);
    let title = l.w.get("summons");
    // The chart shows at most MAX_ROWS of a long summons list.
    let rows: Vec<(String, f64, Tier)> = l
        .summoned
        .iter()
        .take(MAX_ROWS)
        .filter_map(|&v| {
            Some((
                villages[v].name.clone(),
                scores.villages[v].index?,
                scores.villages[v].tier,
            ))
        })
        .collect();
    let record = charts::bars(&rows, &title, &l.w.get("index_axis"))
        .map_err(out_err("drawing the summons chart"))?;
    charts.put("summons", &title, record)
}

fn league(l: &Layout, charts: &mut Charts) -> Result<ChartView> {
    let title = l.w.get("townships");
    let league: Vec<charts::LeagueRow> = l
        .standings
        .townships
        .iter()
        .filter_map(|t| {
            Some(charts::LeagueRow {
                name: t.name.clone(),
                mean: t.mean?,
                min: t.min,
                max: t.max,
                change: t.mean.zip(t.previous_mean).map(|(a, b)| a - b),
            })
        })
        .collect();
    let record = charts::league(&league, &title, &l.w.get("index_axis"))
        .map_err(out_err("drawing the township chart"))?;
    charts.put("townships", &title, record)
}

fn heatmap(l: &Layout, charts: &mut Charts) -> Result<ChartView> {
    let (villages, scores) = (&l.a.table.villages, &l.a.scores);
    let title = l.w.get("heatmap");
    let rows: Vec<(String, Vec<Option<f64>>)> = shown(l)
        .0
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
        charts::heatmap(&rows, &l.dim_names, &title).map_err(out_err("drawing the heatmap"))?;
    charts.put("heatmap", &title, record)
}

fn trend(l: &Layout, charts: &mut Charts) -> Result<ChartView> {
    let title = l.w.get("trend");
    let mut series = vec![(
        l.w.get("district_median"),
        l.district_medians(),
        RGBColor(0x22, 0x22, 0x22),
    )];
    for (i, t) in l.standings.townships.iter().enumerate() {
        series.push((t.name.clone(), t.trend.clone(), PALETTE[i % PALETTE.len()]));
    }
    let record = charts::trend(&l.quarters, &series, &title, &l.w.get("index_axis"))
        .map_err(out_err("drawing the trend chart"))?;
    charts.put("trend", &title, record)
}

fn movement(l: &Layout, charts: &mut Charts) -> Result<Option<ChartView>> {
    let villages = &l.a.table.villages;
    let moves: Vec<(u32, u32, Tier, String)> = l
        .standings
        .moves
        .iter()
        .map(|m| {
            let name = if m.named {
                villages[m.village].name.clone()
            } else {
                String::new()
            };
            (m.before, m.now, m.tier, name)
        })
        .collect();
    if moves.is_empty() {
        return Ok(None);
    }
    let title = l.w.get("movement");
    let n = moves
        .iter()
        .map(|m| m.0.max(m.1))
        .max()
        .unwrap_or(1)
        .max(l.n_ranked());
    let record = charts::movement(
        &moves,
        n,
        &title,
        &l.w.get("previous_rank"),
        &l.w.get("current_rank"),
    )
    .map_err(out_err("drawing the rank movement chart"))?;
    charts.put("movement", &title, record).map(Some)
}

fn intervals(l: &Layout, charts: &mut Charts) -> Result<Option<ChartView>> {
    let (villages, scores) = (&l.a.table.villages, &l.a.scores);
    let rows: Vec<charts::IntervalRow> = shown(l)
        .0
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
    if rows.is_empty() {
        return Ok(None);
    }
    let title = l.w.get("uncertainty");
    let record = charts::intervals(&rows, l.n_ranked(), &title, &l.w.get("rank_axis"))
        .map_err(out_err("drawing the rank interval chart"))?;
    charts.put("intervals", &title, record).map(Some)
}

fn quality(l: &Layout, charts: &mut Charts) -> Result<ChartView> {
    let title = l.w.get("quality");
    let rows: Vec<(String, u64, u64)> =
        l.a.ingested
            .tables
            .iter()
            .filter(|t| t.is_present())
            .map(|t| (t.table.clone(), t.rows_accepted, t.rows_rejected))
            .collect();
    let record = charts::quality(&rows, &title, &l.w.get("rows_axis"))
        .map_err(out_err("drawing the data quality chart"))?;
    charts.put("quality", &title, record)
}

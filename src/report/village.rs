//! The village pages, `village/<code>.html`: a village's index, rank,
//! tier, alerts, strengths and weaknesses, every indicator set against the
//! township's and district's medians (small petition counts hidden in the
//! public edition), and its charts (profile against the medians,
//! contributions by dimension, trend). Pages are written in parallel.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::style::RGBColor;

use super::charts;
use super::views::{
    AlertView, ChartView, Charts, IndicatorRow, VillageView, alert_text, change_view, num, sort_key,
};
use super::{Layout, out_err, render};
use crate::error::{Error, Result};
use crate::framework::Formula;
use crate::model::CellStatus;

/// Writes every village's page, the villages split over the cores; returns
/// the chart files written.
pub(super) fn write_all(dir: &Path, l: &Layout) -> Result<Vec<(String, u64)>> {
    let order = &l.standings.order;
    let progress = crate::progress::Progress::new("village pages", order.len() as u64);
    crate::parallel::in_chunks(
        order,
        crate::parallel::cores().clamp(1, 8),
        |part| write_part(dir, l, part, &progress),
        || Error::Internal {
            context: "writing the village pages".into(),
            message: "a page-writing thread panicked".into(),
        },
    )
}

/// Writes the pages (and their charts) of the villages `part`.
fn write_part(
    dir: &Path,
    l: &Layout,
    part: &[usize],
    progress: &crate::progress::Progress,
) -> Result<Vec<(String, u64)>> {
    let mut written = Vec::new();
    let mut charts = Charts {
        dir,
        prefix: "../",
        written: &mut written,
        png_scale: l.village_png,
    };
    for &v in part {
        let page_charts = draw(l, &mut charts, v)?;
        let ctx = minijinja::context! {
            root => "../",
            quarter => l.a.quarter.to_string(),
            public => l.public,
            framework => &l.framework_view,
            v => &view(l, v),
            charts => &page_charts,
        };
        let html = render(&l.env, "village.html", ctx)?;
        let code = &l.a.table.villages[v].code;
        let path = dir.join("village").join(format!("{code}.html"));
        std::fs::write(&path, html).map_err(Error::io("writing", &path))?;
        progress.inc(1);
    }
    Ok(written)
}

/// A village's charts: its profile, its contributions (when ranked) and
/// its trend.
fn draw<'c>(l: &Layout, charts: &mut Charts, v: usize) -> Result<BTreeMap<&'c str, ChartView>> {
    let w = l.w;
    let village = &l.a.table.villages[v];
    let s = &l.a.scores.villages[v];
    let code = village.code.as_str();
    let medians = &l.standings.medians;
    let mut page: BTreeMap<&str, ChartView> = BTreeMap::new();

    let title = format!("{} · {}", village.name, w.get("profile"));
    let town = &medians.township_dimension[village.township_code.as_str()];
    let this = w.get("this_village");
    let tm = w.get("township_median");
    let dm = w.get("district_median");
    let record = charts::profile(
        &l.dim_names,
        [
            (this.as_str(), &s.dimensions),
            (tm.as_str(), town),
            (dm.as_str(), &medians.dimension),
        ],
        &title,
        &w.get("index_axis"),
    )
    .map_err(out_err("drawing a village profile chart"))?;
    page.insert(
        "profile",
        charts.put(&format!("village-{code}-profile"), &title, record)?,
    );

    if let Some(index) = s.index.filter(|_| s.rank.is_some()) {
        let framework = &l.a.framework;
        let steps: Vec<(String, f64)> = (0..framework.dimensions.len())
            .map(|d| {
                let points: f64 = (0..framework.indicators.len())
                    .filter(|&k| l.standings.dimension_of[k] == d)
                    .map(|k| l.a.scores.cells[k][v].contribution)
                    .sum();
                (l.dim_names[d].clone(), points)
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
        page.insert(
            "contributions",
            charts.put(&format!("village-{code}-contributions"), &title, record)?,
        );
    }

    let mut own: Vec<Option<f64>> = medians
        .past_index
        .iter()
        .map(|m| m.get(code).copied().flatten())
        .collect();
    own.push(s.index.filter(|_| s.rank.is_some()));
    let title = format!("{} · {}", village.name, w.get("village_trend"));
    let record = charts::trend(
        &l.quarters,
        &[
            (village.name.clone(), own, RGBColor(0x1f, 0x5f, 0xa8)),
            (dm, l.district_medians(), RGBColor(0x88, 0x88, 0x88)),
        ],
        &title,
        &w.get("index_axis"),
    )
    .map_err(out_err("drawing a village trend"))?;
    page.insert(
        "trend",
        charts.put(&format!("village-{code}-trend"), &title, record)?,
    );
    Ok(page)
}

/// The page's view of village `v`.
fn view(l: &Layout, v: usize) -> VillageView {
    let w = l.w;
    let village = &l.a.table.villages[v];
    let s = &l.a.scores.villages[v];
    let u = s.uncertainty;
    VillageView {
        code: village.code.clone(),
        name: village.name.clone(),
        township: village.township_name.clone(),
        county: if l.several_counties {
            l.a.county_name(village.county_code()).to_string()
        } else {
            String::new()
        },
        county_rank: if l.several_counties {
            s.county_rank.map(|r| r.to_string()).unwrap_or_default()
        } else {
            String::new()
        },
        index: num(s.index, 2),
        rank: s
            .rank
            .map(|r| format!("{r}/{}", l.n_ranked()))
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
        history: l
            .a
            .lifecycle
            .listed
            .get(v)
            .into_iter()
            .flatten()
            .map(|t| super::views::tracked_view(t, &village.name, String::new(), w))
            .collect(),
        alerts: l.a.alerts[v]
            .iter()
            .map(|a| AlertView {
                kind: a.kind.as_str(),
                text: alert_text(a, w),
            })
            .collect(),
        weaknesses: l.drivers(&s.weaknesses, v),
        strengths: l.drivers(&s.strengths, v),
        drivers: s
            .previous
            .as_ref()
            .map(|p| l.drivers(&p.drivers, v))
            .unwrap_or_default(),
        indicators: (0..l.a.framework.indicators.len())
            .map(|k| indicator_row(l, v, k))
            .collect(),
    }
}

/// Indicator `k` of village `v`, against its township's and the
/// district's medians.
fn indicator_row(l: &Layout, v: usize, k: usize) -> IndicatorRow {
    let (w, cells) = (l.w, l.cells);
    let ind = &l.a.framework.indicators[k];
    let village = &l.a.table.villages[v];
    let s = &l.a.scores.villages[v];
    let cell = &l.a.scores.cells[k][v];
    let iv = &l.a.values[k];
    let medians = &l.standings.medians;
    let masked = l.hidden[k][v];
    let counted = l.petition_counts.contains(&ind.numerator);
    // A township median of a petition indicator is hidden with the
    // village's own value, and where fewer than k villages of the township
    // have a value (it could be worked back from theirs).
    let with_values = l.standings.township_members[village.township_code.as_str()]
        .iter()
        .filter(|&&x| iv.raw[x].is_some())
        .count();
    let hide_township = cells
        .k
        .is_some_and(|k| counted && (masked || with_values < k as usize));
    let show = |x: Option<f64>| {
        let hide = counted && ind.formula == Formula::Value && cells.hides(x);
        if hide { cells.mask() } else { num(x, 2) }
    };
    let status = match cell.status {
        CellStatus::Value => w.get("status_scored"),
        CellStatus::Imputed => w.get("status_imputed"),
        other => format!("{} ({})", w.get("status_other"), other.as_str()),
    };
    // The score and contribution would give a hidden value back (min-max
    // is linear in it).
    let unless_masked = |text: String| if masked { String::new() } else { text };
    let contribution = |text: String| {
        if masked || s.rank.is_none() {
            String::new()
        } else {
            text
        }
    };
    IndicatorRow {
        id: ind.id.clone(),
        name: w.pick(&ind.name_zh, &ind.name_en).to_string(),
        dimension: l.dim_names[l.standings.dimension_of[k]].clone(),
        raw: if masked {
            cells.mask()
        } else {
            num(iv.raw[v], 2)
        },
        raw_sort: unless_masked(sort_key(iv.raw[v])),
        masked,
        township_median: if hide_township {
            cells.mask()
        } else {
            show(
                medians
                    .township_raw
                    .get(&(village.township_code.clone(), k))
                    .copied()
                    .flatten(),
            )
        },
        district_median: show(medians.district_raw[k]),
        score: unless_masked(num(cell.normalised, 1)),
        score_sort: unless_masked(sort_key(cell.normalised)),
        contribution: contribution(format!("{:.2}", cell.contribution)),
        contribution_sort: contribution(sort_key(Some(cell.contribution))),
        status,
    }
}

//! `report.html`: the district page laid out from the assessment and its
//! standings: summary, movers, summons list (约谈名单) with its reasons,
//! township league, ranking, data quality and the indicators left out;
//! its charts come from `district_charts`.

use std::collections::BTreeMap;
use std::path::Path;

use super::views::{
    Cell, ChartView, Mover, MoverGroup, QualityRow, RankingRow, Summary, SummonsRow, TownshipRow,
    UnavailableRow, alert_text, change_view, num, sort_key,
};
use super::{Layout, render};
use crate::alerts::AlertKind;
use crate::error::{Error, Result};
use crate::model::COUNTY_DIGITS;
use crate::scoring::TierCounts;
use crate::standings::TownshipStanding;

/// Writes `report.html` with the district charts `charts`.
pub(super) fn write(
    dir: &Path,
    l: &Layout,
    charts: &BTreeMap<&str, ChartView>,
    heatmap_cut: &Option<String>,
) -> Result<()> {
    let ctx = minijinja::context! {
        root => "",
        quarter => l.a.quarter.to_string(),
        public => l.public,
        framework => &l.framework_view,
        summary => &summary(l),
        movers => &movers(l),
        summons => &summons(l),
        townships => &league(l, &l.standings.townships),
        counties => &league(l, &l.standings.counties),
        several_counties => l.several_counties,
        verification => &verification(l),
        scope => l.a.county_scope.as_ref().map(|c| minijinja::context! {
            code => &c.county_code,
            name => l.a.county_name(&c.county_code),
            villages => c.villages_in_county,
            of => c.villages_in_extract,
        }),
        ranking => &ranking(l),
        dimensions => &l.dim_names,
        heatmap_cut => heatmap_cut,
        quality => &quality(l),
        unavailable => &unavailable(l),
        charts => charts,
    };
    let html = render(&l.env, "report.html", ctx)?;
    let path = dir.join("report.html");
    std::fs::write(&path, html).map_err(Error::io("writing", &path))
}

fn summary(l: &Layout) -> Summary {
    let s = l.standings;
    Summary {
        villages: TierCounts::of(&l.a.scores),
        median_index: num(s.median_index, 1),
        median_change: change_view(
            s.median_index.zip(s.median_previous).map(|(a, b)| a - b),
            1,
            true,
        ),
        rows_rejected: l.a.rows_rejected(),
        indicators_unavailable: l.a.unavailable.len(),
        monte_carlo: l.a.framework.scoring.uncertainty.is_some(),
    }
}

/// The five largest falls and rises, when there is a previous quarter.
fn movers(l: &Layout) -> Vec<MoverGroup> {
    let (villages, scores) = (&l.a.table.villages, &l.a.scores);
    let mover = |&(v, d): &(usize, f64)| {
        let s = &scores.villages[v];
        let rank_change = s
            .previous
            .as_ref()
            .and_then(|p| Some(f64::from(p.rank?) - f64::from(s.rank?)));
        Mover {
            name: villages[v].name.clone(),
            township: villages[v].township_name.clone(),
            href: l.href(v),
            index: num(s.index, 2),
            change: change_view(Some(d), 2, true),
            rank_change: change_view(rank_change, 0, true),
            drivers: s
                .previous
                .as_ref()
                .map(|p| l.drivers(&p.drivers, v))
                .unwrap_or_default(),
        }
    };
    if l.standings.compared == 0 {
        return Vec::new();
    }
    vec![
        MoverGroup {
            title: l.w.get("falls"),
            rows: l.standings.falls.iter().map(mover).collect(),
        },
        MoverGroup {
            title: l.w.get("rises"),
            rows: l.standings.rises.iter().map(mover).collect(),
        },
    ]
}

/// The summons list with each village's reasons: vetoes, tier and change
/// alerts one by one, the indicators where it is the district's worst in
/// one phrase.
fn summons(l: &Layout) -> Vec<SummonsRow> {
    let (a, w) = (l.a, l.w);
    let villages = &a.table.villages;
    l.summoned
        .iter()
        .map(|&v| {
            let s = &a.scores.villages[v];
            let mut reasons: Vec<String> = a.alerts[v]
                .iter()
                .filter(|x| !matches!(x.kind, AlertKind::Summons | AlertKind::Worst))
                .map(|x| alert_text(x, w))
                .collect();
            let worst: Vec<String> = a.alerts[v]
                .iter()
                .filter(|x| x.kind == AlertKind::Worst)
                .filter_map(|x| {
                    let ind = a
                        .framework
                        .indicators
                        .iter()
                        .find(|i| Some(&i.id) == x.subject.as_ref())?;
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
                href: l.href(v),
                index: num(s.index, 2),
                rank: s.rank.map(|r| r.to_string()).unwrap_or_default(),
                tier: s.tier.as_str(),
                tier_label: w.tier(s.tier),
                reasons: reasons.join(w.pick("；", "; ")),
                weaknesses: l.drivers(&s.weaknesses, v),
            }
        })
        .collect()
}

/// The rows of the township or the county league.
fn league(l: &Layout, standings: &[TownshipStanding]) -> Vec<TownshipRow> {
    standings
        .iter()
        .map(|t| TownshipRow {
            rank: t.rank,
            code: t.code.clone(),
            name: t.name.clone(),
            county: if l.several_counties {
                let code = t.code.get(..COUNTY_DIGITS).unwrap_or(&t.code);
                l.a.county_name(code).to_string()
            } else {
                String::new()
            },
            villages: t.indices.len(),
            mean: num(t.mean, 2),
            median: num(t.median, 2),
            range: format!("{:.1}–{:.1}", t.min, t.max),
            sd: num(t.sd, 2),
            red: t.red,
            previous_mean: num(t.previous_mean, 2),
            change: change_view(t.mean.zip(t.previous_mean).map(|(a, b)| a - b), 2, true),
            rank_change: change_view(
                t.previous_rank.map(|b| f64::from(b) - f64::from(t.rank)),
                0,
                true,
            ),
        })
        .collect()
}

fn ranking(l: &Layout) -> Vec<RankingRow> {
    let (a, w) = (l.a, l.w);
    let villages = &a.table.villages;
    l.standings
        .order
        .iter()
        .map(|&v| {
            let s = &a.scores.villages[v];
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
                county: if l.several_counties {
                    a.county_name(villages[v].county_code()).to_string()
                } else {
                    String::new()
                },
                county_rank: s.county_rank.map(|r| r.to_string()).unwrap_or_default(),
                county_rank_sort: sort_key(s.county_rank.map(f64::from)),
                href: l.href(v),
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
                        let veto = &a.framework.scoring.vetoes[k];
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
        .collect()
}

fn quality(l: &Layout) -> Vec<QualityRow> {
    l.a.ingested
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
        .collect()
}

fn unavailable(l: &Layout) -> Vec<UnavailableRow> {
    l.a.unavailable
        .iter()
        .map(|u| {
            let name =
                l.a.framework
                    .indicators
                    .iter()
                    .find(|i| i.id == u.indicator)
                    .map(|i| l.w.pick(&i.name_zh, &i.name_en).to_string())
                    .unwrap_or_default();
            UnavailableRow {
                id: u.indicator.clone(),
                name,
                reason: u.reason.clone(),
            }
        })
        .collect()
}

/// The alerts in verification (with a dispositions table): open and
/// pending by age (oldest first), substantiated and not rectified, closed
/// this quarter. `None` without dispositions.
fn verification(l: &Layout) -> Option<BTreeMap<&'static str, Vec<super::views::TrackedView>>> {
    use crate::lifecycle::Status;
    let life = &l.a.lifecycle;
    if !life.with_dispositions {
        return None;
    }
    let villages = &l.a.table.villages;
    let mut groups: BTreeMap<&'static str, Vec<(i32, &crate::lifecycle::Tracked)>> =
        BTreeMap::new();
    for t in life.listed.iter().flatten() {
        let group = if t.closed_now {
            "closed"
        } else if t.status.is_substantiated() {
            "held"
        } else if matches!(t.status, Status::Open | Status::Pending) {
            "open"
        } else {
            continue;
        };
        groups.entry(group).or_default().push((-t.age_quarters, t));
    }
    Some(
        groups
            .into_iter()
            .map(|(g, mut list)| {
                list.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
                let views = list
                    .into_iter()
                    .map(|(_, t)| {
                        super::views::tracked_view(
                            t,
                            &villages[t.village].name,
                            l.href(t.village),
                            l.w,
                        )
                    })
                    .collect();
                (g, views)
            })
            .collect(),
    )
}

//! The analysts' tables beside the report: `townships.csv` (the league;
//! in a province extract with its county, and `counties.csv` the county
//! league),
//! `trend.csv` (the district over the trend quarters) and `alerts.csv`
//! (every alert, villages in listing order), from the standings and the
//! alerts the stages below computed.

use std::path::Path;

use super::CsvFile;
use crate::assessment::Assessment;
use crate::error::Result;
use crate::model::COUNTY_DIGITS;
use crate::standings::{Standings, TownshipStanding};

fn num(x: Option<f64>, decimals: usize) -> String {
    x.map(|x| format!("{x:.decimals$}")).unwrap_or_default()
}

/// Writes `townships.csv`, `trend.csv` and `alerts.csv` into `dir`, and
/// `counties.csv` when the villages span more than one county.
pub fn write(dir: &Path, a: &Assessment, standings: &Standings) -> Result<()> {
    let several = a.several_counties();
    write_league(
        &dir.join("townships.csv"),
        Level::Township { county: several },
        &standings.townships,
    )?;
    if several {
        write_league(
            &dir.join("counties.csv"),
            Level::County,
            &standings.counties,
        )?;
    }
    write_trend(&dir.join("trend.csv"), standings)?;
    write_alerts(&dir.join("alerts.csv"), a, standings)
}

/// Which league a file holds.
#[derive(Debug, Clone, Copy)]
enum Level {
    /// Townships; with `county`, each one's county code after its name.
    Township {
        county: bool,
    },
    County,
}

fn write_league(path: &Path, level: Level, league: &[TownshipStanding]) -> Result<()> {
    let (code, name) = match level {
        Level::Township { .. } => ("township_code", "township_name"),
        Level::County => ("county_code", "county_name"),
    };
    let with_county = matches!(level, Level::Township { county: true });
    let mut header = vec!["rank", code, name];
    if with_county {
        header.push("county_code");
    }
    header.extend([
        "villages_ranked",
        "index_mean",
        "index_median",
        "index_sd",
        "red",
        "index_mean_previous",
        "index_mean_change",
    ]);
    let mut w = CsvFile::create(path, header)?;
    for t in league {
        let mut row = vec![t.rank.to_string(), t.code.clone(), t.name.clone()];
        if with_county {
            row.push(t.code.get(..COUNTY_DIGITS).unwrap_or(&t.code).to_string());
        }
        row.extend([
            t.indices.len().to_string(),
            num(t.mean, 2),
            num(t.median, 2),
            num(t.sd, 2),
            t.red.to_string(),
            num(t.previous_mean, 2),
            t.mean
                .zip(t.previous_mean)
                .map(|(a, b)| format!("{}", a - b))
                .unwrap_or_default(),
        ]);
        w.row(row)?;
    }
    w.finish()
}

fn write_trend(path: &Path, standings: &Standings) -> Result<()> {
    let mut w = CsvFile::create(
        path,
        [
            "quarter",
            "villages_ranked",
            "index_median",
            "green",
            "yellow",
            "red",
        ],
    )?;
    for q in &standings.trend {
        w.row([
            q.quarter.to_string(),
            q.ranked.to_string(),
            num(q.median, 4),
            q.green.to_string(),
            q.yellow.to_string(),
            q.red.to_string(),
        ])?;
    }
    w.finish()
}

fn write_alerts(path: &Path, a: &Assessment, standings: &Standings) -> Result<()> {
    let mut w = CsvFile::create(
        path,
        [
            "village_code",
            "village_name",
            "township_name",
            "alert",
            "subject",
            "detail_zh",
            "detail_en",
            "alert_id",
            "first_quarter",
            "age_quarters",
            "status",
            "last_decided",
        ],
    )?;
    let villages = &a.table.villages;
    for &v in &standings.order {
        for t in &a.lifecycle.listed[v] {
            let (kind, subject) = t.key.split_once('.').unwrap_or((t.key.as_str(), ""));
            let (detail_zh, detail_en) = match &t.raised_now {
                Some(alert) => (alert.detail_zh.clone(), alert.detail_en.clone()),
                None => (
                    format!("{} 起的预警，{}", t.first_quarter, t.status.label_zh()),
                    format!(
                        "alert raised in {}, {}",
                        t.first_quarter,
                        t.status.as_str().replace('_', " ")
                    ),
                ),
            };
            w.row([
                villages[v].code.as_str(),
                villages[v].name.as_str(),
                villages[v].township_name.as_str(),
                kind,
                subject,
                detail_zh.as_str(),
                detail_en.as_str(),
                t.id.as_str(),
                t.first_quarter.to_string().as_str(),
                t.age_quarters.to_string().as_str(),
                t.status.as_str(),
                t.last_decided
                    .map(|d| crate::period::date_of(d).to_string())
                    .unwrap_or_default()
                    .as_str(),
            ])?;
        }
    }
    w.finish()
}

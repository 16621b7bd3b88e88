//! The analysts' tables beside the report: `townships.csv` (the league),
//! `trend.csv` (the district over the trend quarters) and `alerts.csv`
//! (every alert, villages in listing order), from the standings and the
//! alerts the stages below computed.

use std::path::Path;

use super::CsvFile;
use crate::assessment::Assessment;
use crate::error::Result;
use crate::standings::Standings;

fn num(x: Option<f64>, decimals: usize) -> String {
    x.map(|x| format!("{x:.decimals$}")).unwrap_or_default()
}

/// Writes `townships.csv`, `trend.csv` and `alerts.csv` into `dir`.
pub fn write(dir: &Path, a: &Assessment, standings: &Standings) -> Result<()> {
    write_townships(&dir.join("townships.csv"), standings)?;
    write_trend(&dir.join("trend.csv"), standings)?;
    write_alerts(&dir.join("alerts.csv"), a, standings)
}

fn write_townships(path: &Path, standings: &Standings) -> Result<()> {
    let mut w = CsvFile::create(
        path,
        [
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
        ],
    )?;
    for t in &standings.townships {
        w.row([
            t.rank.to_string(),
            t.code.clone(),
            t.name.clone(),
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
        ])?;
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
        ],
    )?;
    let villages = &a.table.villages;
    for &v in &standings.order {
        for alert in &a.alerts[v] {
            w.row([
                villages[v].code.as_str(),
                villages[v].name.as_str(),
                villages[v].township_name.as_str(),
                alert.kind.as_str(),
                alert.subject.as_deref().unwrap_or(""),
                alert.detail_zh.as_str(),
                alert.detail_en.as_str(),
            ])?;
        }
    }
    w.finish()
}

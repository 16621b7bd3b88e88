//! The field profile (`qinglian generate --profile field`): a district
//! written from how misconduct and its honest look-alikes appear in real
//! records, independently of the standard profile's numbers. Ordinary life
//! is over-dispersed (a per-village activity multiplier) and seasonal;
//! planted misconduct is sparse, many villages showing a single episode a
//! quarter; clean villages include honest look-alikes, listed in
//! `lookalikes.csv`.
//!
//! The reference tables are the standard profile's (same geography and
//! people, plus the field profile's cadre-linked firms); the layout of the
//! sources differs but is the contract's: `petitions.parquet` (one file),
//! `cases.parquet` (extract headers mapped by `catalog.toml`),
//! `trading/quarter=YYYYQn/part-0.parquet`, `assistance.parquet`, with
//! `catalog.toml` naming every source's path, `ground_truth.csv` and
//! `lookalikes.csv`.

mod assistance;
mod cases;
mod petitions;
pub(crate) mod plan;
mod trading;

#[cfg(test)]
mod tests;

use std::path::Path;

use super::district::{Cell, District};
use super::sink::{Row, TableWriter};
use super::{GenerateError, GenerateSummary, LookalikeVillage, reference, vocab};
use crate::period::Quarter;

/// Writes the field profile's district into `out_dir` (already cleared of
/// stale files).
pub(super) fn generate(d: &District, out_dir: &Path) -> Result<GenerateSummary, GenerateError> {
    let mut rows = reference::write(d, out_dir)?;
    rows.insert("petitions".to_string(), petitions::write(d, out_dir)?);
    rows.insert("cases".to_string(), cases::write(d, out_dir)?);
    rows.insert("trading".to_string(), trading::write(d, out_dir)?);
    rows.insert("assistance".to_string(), assistance::write(d, out_dir)?);
    write_catalog(out_dir)?;
    let planted = super::planted(d);
    super::write_ground_truth(d, &planted, out_dir)?;
    let lookalikes = lookalikes(d);
    write_lookalikes(&lookalikes, out_dir)?;
    Ok(GenerateSummary {
        villages: d.villages.len(),
        rows,
        planted,
        lookalikes,
    })
}

/// This quarter's weight in a yearly cycle of four (mean 1).
fn season(q: Quarter, weights: [f64; 4]) -> f64 {
    weights[usize::from(q.number().clamp(1, 4)) - 1]
}

fn lookalikes(d: &District) -> Vec<LookalikeVillage> {
    d.villages
        .iter()
        .filter(|v| !v.lookalikes.is_empty())
        .map(|v| LookalikeVillage {
            village_code: v.code.clone(),
            groups: v.lookalikes.clone(),
        })
        .collect()
}

/// `lookalikes.csv`: `village_code,group`, one row per village and group.
fn write_lookalikes(list: &[LookalikeVillage], out_dir: &Path) -> Result<(), GenerateError> {
    let path = out_dir.join("lookalikes.csv");
    let mut rows: Vec<(&str, &str)> = list
        .iter()
        .flat_map(|l| {
            l.groups
                .iter()
                .map(|g| (l.village_code.as_str(), g.as_str()))
        })
        .collect();
    rows.sort_unstable();
    let records = rows.into_iter().map(|(code, group)| [code, group]);
    super::write_csv(&path, ["village_code", "group"], records)
}

/// The field profile's catalog: every source's path, and the cases
/// extract's headers.
fn write_catalog(out_dir: &Path) -> Result<(), GenerateError> {
    let mut text = String::from(
        "# Source catalog (field profile): where each table is and how its columns map to the data contract.\n\
         [sources.petitions]\n\
         path = \"petitions.parquet\"\n\
         [sources.trading]\n\
         path = \"trading\"\n\
         [sources.assistance]\n\
         path = \"assistance.parquet\"\n\
         [sources.cases]\n\
         path = \"cases.parquet\"\n\
         [sources.cases.columns]\n",
    );
    for (header, canonical) in vocab::CASES_HEADERS {
        text.push_str(&format!("\"{header}\" = \"{canonical}\"\n"));
    }
    super::write_text(&out_dir.join("catalog.toml"), &text)
}

/// Writes the cells of `quarters` (window indices) of every village into one
/// Parquet file at `path`, village by village and, within a village, quarter
/// by quarter; returns the rows written.
fn write_cells<R: Row>(
    d: &District,
    path: &Path,
    quarters: std::ops::Range<usize>,
    cell: impl Fn(&Cell, &plan::VillagePlan) -> Vec<R>,
) -> Result<u64, GenerateError> {
    let mut w = TableWriter::for_rows::<R>(path)?;
    for v in &d.villages {
        let people = d.people(v);
        let plan = plan::VillagePlan::of(d, v);
        for qi in quarters.clone() {
            for row in cell(&Cell::new(d, v, &people, qi), &plan) {
                w.push(&row)?;
            }
        }
    }
    w.close()
}

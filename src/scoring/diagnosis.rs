//! Diagnosis of the scored quarter: the indicators left out for every
//! village, and why (a source absent or not covering the window, no
//! variation between villages, no village with a value), for the manifest
//! and the report's data-quality section.

use serde::Serialize;

use crate::framework::Framework;
use crate::model::{Availability, CellStatus, DataPointTable};
use crate::scoring::Scores;

/// An indicator left out of the quarter, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Unavailable {
    pub indicator: String,
    pub reason: String,
}

/// The indicators left out of the quarter for every village, and why.
pub fn unavailable(
    framework: &Framework,
    table: &DataPointTable,
    scores: &Scores,
) -> Vec<Unavailable> {
    let mut unavailable = Vec::new();
    for (k, ind) in framework.indicators.iter().enumerate() {
        let cells = &scores.cells[k];
        let first = cells.first().map(|c| c.status);
        let same = |st: CellStatus| cells.iter().all(|c| c.status == st);
        let source_of = || {
            [Some(&ind.numerator), ind.denominator.as_ref()]
                .into_iter()
                .flatten()
                .find_map(|d| match table.availability.get(d) {
                    Some(Availability::SourceAbsent(t) | Availability::NotCovered(t)) => {
                        Some(t.clone())
                    }
                    _ => None,
                })
                .unwrap_or_default()
        };
        let reason = match first {
            Some(CellStatus::SourceAbsent) if same(CellStatus::SourceAbsent) => {
                Some(format!("source absent: {}", source_of()))
            }
            Some(CellStatus::NotCovered) if same(CellStatus::NotCovered) => Some(format!(
                "source {} has no events in some quarter of the window",
                source_of()
            )),
            _ if cells.iter().any(|c| c.status == CellStatus::NoVariation) => {
                Some("no variation between villages this quarter".into())
            }
            _ if cells.iter().all(|c| c.normalised.is_none()) => {
                Some("no village has a value this quarter".into())
            }
            _ => None,
        };
        if let Some(reason) = reason {
            unavailable.push(Unavailable {
                indicator: ind.id.clone(),
                reason,
            });
        }
    }
    unavailable
}

//! The assessed quarter: every stage's result for one quarter, held once
//! and passed by reference to what writes it (`outputs`, `report`) or
//! measures it (`calibration`). `pipeline::assess` fills it.

use crate::alerts::Alert;
use crate::catalog::Catalog;
use crate::framework::Framework;
use crate::ingest::Ingested;
use crate::model::{DataPointTable, IndicatorValues};
use crate::period::Quarter;
use crate::scoring::diagnosis::Unavailable;
use crate::scoring::{PastQuarter, Scores};

/// A quarter assessed in memory: everything the outputs and the report
/// are written from.
pub struct Assessment {
    pub framework: Framework,
    pub catalog: Catalog,
    pub ingested: Ingested,
    pub quarter: Quarter,
    pub table: DataPointTable,
    pub values: Vec<IndicatorValues>,
    pub scores: Scores,
    /// The quarters before, oldest first, as far back as the report's
    /// trend reaches and the sources cover.
    pub history: Vec<PastQuarter>,
    /// The indicators left out for every village, and why.
    pub unavailable: Vec<Unavailable>,
    /// Each village's alerts, in village order.
    pub alerts: Vec<Vec<Alert>>,
}

impl Assessment {
    /// Rows rejected over every table.
    pub fn rows_rejected(&self) -> u64 {
        self.ingested.tables.iter().map(|t| t.rows_rejected).sum()
    }
}

impl std::fmt::Debug for Assessment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assessment")
            .field("framework", &self.framework.meta.id)
            .field("quarter", &self.quarter)
            .field("villages", &self.table.villages.len())
            .field("indicators", &self.values.len())
            .finish_non_exhaustive()
    }
}

//! The assessed quarter: every stage's result for one quarter, held once
//! and passed by reference to what writes it (`outputs`, `report`) or
//! measures it (`calibration`). `pipeline::assess` fills it.

use std::collections::BTreeMap;

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
    /// The assessed villages' counties: code → name (the `counties`
    /// table's, or the code).
    pub counties: BTreeMap<String, String>,
    /// The alerts followed across quarters (ids, status, the list).
    pub lifecycle: crate::lifecycle::Lifecycle,
    /// The `dispositions` table, when given.
    pub dispositions: Option<Vec<crate::lifecycle::Disposition>>,
    /// `run --county`: the one county assessed, with the villages kept
    /// and the villages in the extract.
    pub county_scope: Option<CountyScope>,
}

/// One county assessed out of a larger extract.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CountyScope {
    pub county_code: String,
    pub villages_in_county: usize,
    pub villages_in_extract: usize,
}

impl Assessment {
    /// Rows rejected over every table.
    pub fn rows_rejected(&self) -> u64 {
        self.ingested.tables.iter().map(|t| t.rows_rejected).sum()
    }

    /// Whether the assessed villages span more than one county: then the
    /// outputs carry the county level.
    pub fn several_counties(&self) -> bool {
        crate::model::several_counties(&self.table.villages)
    }

    /// A county's name (its code when the `counties` table has none).
    pub fn county_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.counties.get(code).map_or(code, String::as_str)
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

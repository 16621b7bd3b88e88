//! `manifest.json`: what a run read (tables, rows, rejects, the catalog),
//! with what (the framework's id, version and content hash, the contract
//! version), and what it wrote (every output file with its size and
//! SHA-256). Its schema is the data contract's.

use std::path::Path;

use serde::Serialize;

use super::OutputFile;
use crate::assessment::Assessment;
use crate::contract::CONTRACT_VERSION;
use crate::error::{Error, Result};
use crate::ingest::TableReport;
use crate::scoring::TierCounts;
use crate::scoring::diagnosis::Unavailable;

#[derive(Debug, Serialize)]
struct Manifest<'a> {
    tool: &'static str,
    version: &'static str,
    contract_version: u32,
    quarter: String,
    run_at: String,
    data_dir: String,
    catalog: Option<String>,
    /// Extension: `run --county`, the county assessed.
    #[serde(skip_serializing_if = "Option::is_none")]
    county: Option<&'a crate::assessment::CountyScope>,
    inputs: &'a [TableReport],
    rows_rejected: u64,
    framework: FrameworkInfo,
    indicators_unavailable: &'a [Unavailable],
    villages: TierCounts,
    outputs: Vec<OutputFile>,
}

#[derive(Debug, Serialize)]
struct FrameworkInfo {
    id: String,
    version: String,
    dir: String,
    sha256: String,
    dimensions: usize,
    indicators: usize,
    datapoints: usize,
    /// Extension: the weights scored with: `"framework"` (the definitions'
    /// own) or the weights file that replaced them (`--weights`,
    /// `[framework] weights`), with its hash and how it was made.
    weights: WeightsInfo,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum WeightsInfo {
    Framework(&'static str),
    File(crate::framework::WeightsFile),
}

/// Writes `dir/manifest.json` for the assessment `a` of `data_dir`, listing
/// every file already in `dir`.
pub fn write(dir: &Path, data_dir: &Path, a: &Assessment) -> Result<()> {
    let framework = &a.framework;
    let manifest = Manifest {
        tool: "qinglian",
        version: env!("CARGO_PKG_VERSION"),
        contract_version: CONTRACT_VERSION,
        quarter: a.table.quarter.to_string(),
        run_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        data_dir: data_dir.to_string_lossy().into_owned(),
        catalog: a
            .catalog
            .file
            .as_ref()
            .map(|f| f.to_string_lossy().into_owned()),
        county: a.county_scope.as_ref(),
        inputs: &a.ingested.tables,
        rows_rejected: a.rows_rejected(),
        framework: FrameworkInfo {
            id: framework.meta.id.clone(),
            version: framework.meta.version.clone(),
            dir: framework.dir.to_string_lossy().into_owned(),
            sha256: framework.hash.clone(),
            dimensions: framework.dimensions.len(),
            indicators: framework.indicators.len(),
            datapoints: framework.datapoints.len(),
            weights: match &framework.weights {
                Some(w) => WeightsInfo::File(w.clone()),
                None => WeightsInfo::Framework("framework"),
            },
        },
        indicators_unavailable: &a.unavailable,
        villages: TierCounts::of(&a.scores),
        outputs: super::describe_outputs(dir)?,
    };
    let path = dir.join("manifest.json");
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| Error::Write {
        context: "writing manifest.json".into(),
        source: e.into(),
    })?;
    std::fs::write(&path, json + "\n").map_err(Error::io("writing", &path))
}

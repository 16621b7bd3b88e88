//! Outputs of a run, per the data contract: `ranking.csv` (UTF-8 with a BOM
//! so Excel shows Chinese), `scores.parquet` (long format), `weights.csv`,
//! `rejects/<table>.csv` and the manifest's file list (the report itself is
//! the `report` stage). A run writes everything into a
//! temporary sibling directory and renames it into place, so a failed run
//! leaves the previous report intact. No output carries a person key.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::Serialize;

pub mod csv;
pub mod manifest;
pub mod publish;
pub mod tables;
pub mod workbook;

pub use self::csv::CsvFile;
pub use publish::{publish, recover_interrupted_runs, refuse_foreign_output, sibling};

use crate::digest;
use crate::error::{Error, Result};
use crate::framework::Framework;
use crate::ingest::Rejects;
use crate::model::Village;
use crate::scoring::{Scores, listing_order};

fn fmt_num(x: Option<f64>) -> String {
    x.map(|x| format!("{:.*}", crate::engine::rank::INDEX_DECIMALS as usize, x))
        .unwrap_or_default()
}

/// Writes `ranking.csv`; with `counties` (a province extract: code →
/// name) also `county_code`, `county_name` and `county_rank` after
/// `township_rank`.
pub fn write_ranking(
    path: &Path,
    framework: &Framework,
    villages: &[Village],
    scores: &Scores,
    counties: Option<&BTreeMap<String, String>>,
) -> Result<()> {
    let mut header: Vec<String> = [
        "village_code",
        "village_name",
        "township_code",
        "township_name",
        "index",
        "rank",
        "tier",
        "township_rank",
        "indicators_scored",
        "indicators_total",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if counties.is_some() {
        header.splice(
            8..8,
            ["county_code", "county_name", "county_rank"].map(String::from),
        );
    }
    header.extend(framework.dimensions.iter().map(|d| format!("dim_{}", d.id)));
    header.extend(
        [
            "rank_median",
            "rank_p05",
            "rank_p95",
            "tier_probability",
            "tier_uncertain",
            "tier_uncapped",
            "veto",
            "veto_reason",
            "strengths",
            "weaknesses",
            "index_previous",
            "index_change",
            "rank_previous",
            "rank_change",
            "tier_previous",
            "change_drivers",
        ]
        .map(String::from),
    );
    let mut w = CsvFile::create(path, &header)?;
    let ids = |drivers: &[crate::scoring::Driver]| {
        drivers
            .iter()
            .map(|d| format!("{}:{:+.2}", framework.indicators[d.indicator].id, d.points))
            .collect::<Vec<_>>()
            .join(";")
    };
    for i in listing_order(&scores.villages, villages) {
        let (v, s) = (&villages[i], &scores.villages[i]);
        let mut row = vec![
            v.code.clone(),
            v.name.clone(),
            v.township_code.clone(),
            v.township_name.clone(),
            fmt_num(s.index),
            s.rank.map(|r| r.to_string()).unwrap_or_default(),
            s.tier.as_str().to_string(),
            s.township_rank.map(|r| r.to_string()).unwrap_or_default(),
            s.indicators_scored.to_string(),
            framework.indicators.len().to_string(),
        ];
        if let Some(names) = counties {
            let code = v.county_code();
            row.splice(
                8..8,
                [
                    code.to_string(),
                    names.get(code).map_or(code, String::as_str).to_string(),
                    s.county_rank.map(|r| r.to_string()).unwrap_or_default(),
                ],
            );
        }
        row.extend(s.dimensions.iter().map(|d| fmt_num(*d)));
        let u = s.uncertainty;
        let vetoes: Vec<&crate::engine::method::Veto> = s
            .vetoes
            .iter()
            .map(|&k| &framework.scoring.vetoes[k])
            .collect();
        let prev = s.previous.as_ref();
        row.extend([
            u.map(|u| u.median.to_string()).unwrap_or_default(),
            u.map(|u| u.p05.to_string()).unwrap_or_default(),
            u.map(|u| u.p95.to_string()).unwrap_or_default(),
            u.map(|u| format!("{:.3}", u.tier_probability))
                .unwrap_or_default(),
            u.map(|u| u.uncertain.to_string()).unwrap_or_default(),
            if s.rank.is_some() {
                s.tier_uncapped.as_str().to_string()
            } else {
                String::new()
            },
            vetoes
                .iter()
                .map(|v| v.id.as_str())
                .chain(s.held_by.iter().map(|_| "unrectified_alert"))
                .collect::<Vec<_>>()
                .join(";"),
            vetoes
                .iter()
                .map(|v| v.reason_zh.clone())
                .chain(
                    s.held_by
                        .iter()
                        .map(|id| format!("预警 {id} 核查属实、尚未整改，等级不变色")),
                )
                .collect::<Vec<_>>()
                .join("；"),
            ids(&s.strengths),
            ids(&s.weaknesses),
            fmt_num(prev.and_then(|p| p.index)),
            fmt_num(prev.and_then(|p| Some(s.index? - p.index?))),
            prev.and_then(|p| p.rank)
                .map(|r| r.to_string())
                .unwrap_or_default(),
            prev.and_then(|p| Some(i64::from(p.rank?) - i64::from(s.rank?)))
                .map(|r| format!("{r:+}"))
                .unwrap_or_default(),
            prev.map(|p| p.tier.as_str().to_string())
                .unwrap_or_default(),
            prev.map(|p| ids(&p.drivers)).unwrap_or_default(),
        ]);
        w.row(&row)?;
    }
    w.finish()
}

/// Writes `weights.csv`: each dimension's and indicator's weight as the
/// framework's method resolved it (entropy and AHP computed), its share
/// within its parent, and its nominal share of the index.
pub fn write_weights(path: &Path, framework: &Framework, scores: &Scores) -> Result<()> {
    let mut w = CsvFile::create(
        path,
        [
            "level",
            "id",
            "parent",
            "method",
            "aggregation",
            "weight",
            "share_of_parent",
            "share_of_index",
        ],
    )?;
    let dim_total: f64 = scores.dimension_weights.iter().sum();
    let dim_share = |d: usize| {
        if dim_total > 0.0 {
            scores.dimension_weights[d] / dim_total
        } else {
            0.0
        }
    };
    let num = |x: f64| format!("{x:.6}");
    for (d, dim) in framework.dimensions.iter().enumerate() {
        w.row([
            "dimension",
            dim.id.as_str(),
            "index",
            framework.scoring.index.weights.as_str(),
            dim.method.aggregation.as_str(),
            num(scores.dimension_weights[d]).as_str(),
            num(dim_share(d)).as_str(),
            num(dim_share(d)).as_str(),
        ])?;
        let members: Vec<usize> = (0..framework.indicators.len())
            .filter(|&k| framework.indicators[k].dimension == dim.id)
            .collect();
        let total: f64 = members.iter().map(|&k| scores.indicators[k].weight).sum();
        for k in members {
            let share = if total > 0.0 {
                scores.indicators[k].weight / total
            } else {
                0.0
            };
            w.row([
                "indicator",
                framework.indicators[k].id.as_str(),
                dim.id.as_str(),
                dim.method.weights.as_str(),
                "",
                num(scores.indicators[k].weight).as_str(),
                num(share).as_str(),
                num(share * dim_share(d)).as_str(),
            ])?;
        }
    }
    w.finish()
}

/// The long-format scores as one record batch, ordered by village code and
/// framework indicator order.
pub fn scores_batch(
    framework: &Framework,
    villages: &[Village],
    scores: &Scores,
) -> Result<RecordBatch> {
    let mut order: Vec<usize> = (0..villages.len()).collect();
    order.sort_by(|&a, &b| villages[a].code.cmp(&villages[b].code));
    let cap = order.len() * framework.indicators.len();
    let mut code = Vec::with_capacity(cap);
    let mut ind = Vec::with_capacity(cap);
    let mut dim = Vec::with_capacity(cap);
    let mut raw = Vec::with_capacity(cap);
    let mut norm = Vec::with_capacity(cap);
    let mut weight = Vec::with_capacity(cap);
    let mut nominal = Vec::with_capacity(cap);
    let mut contrib = Vec::with_capacity(cap);
    let mut status = Vec::with_capacity(cap);
    let mut shrunk = Vec::with_capacity(cap);
    let mut treatment = Vec::with_capacity(cap);
    for &v in &order {
        for (k, i) in framework.indicators.iter().enumerate() {
            let c = &scores.cells[k][v];
            code.push(villages[v].code.as_str());
            ind.push(i.id.as_str());
            dim.push(i.dimension.as_str());
            raw.push(c.raw);
            norm.push(c.normalised);
            weight.push(c.effective_weight);
            nominal.push(i.weight);
            contrib.push(c.contribution);
            status.push(c.status.as_str());
            shrunk.push(c.shrunk);
            treatment.push(c.treatment.as_str());
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("village_code", DataType::Utf8, false),
        Field::new("indicator_id", DataType::Utf8, false),
        Field::new("dimension_id", DataType::Utf8, false),
        Field::new("raw_value", DataType::Float64, true),
        Field::new("normalised", DataType::Float64, true),
        Field::new("weight", DataType::Float64, false),
        Field::new("nominal_weight", DataType::Float64, false),
        Field::new("contribution", DataType::Float64, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("shrunk_value", DataType::Float64, true),
        Field::new("treatment", DataType::Utf8, false),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(code)),
        Arc::new(StringArray::from(ind)),
        Arc::new(StringArray::from(dim)),
        Arc::new(Float64Array::from(raw)),
        Arc::new(Float64Array::from(norm)),
        Arc::new(Float64Array::from(weight)),
        Arc::new(Float64Array::from(nominal)),
        Arc::new(Float64Array::from(contrib)),
        Arc::new(StringArray::from(status)),
        Arc::new(Float64Array::from(shrunk)),
        Arc::new(StringArray::from(treatment)),
    ];
    RecordBatch::try_new(schema, cols).map_err(|e| Error::Write {
        context: "building scores".into(),
        source: e.into(),
    })
}

/// Writes one record batch as Parquet (zstd).
pub fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<()> {
    let err = |e: parquet::errors::ParquetError| Error::Write {
        context: format!("writing {}", path.display()),
        source: e.into(),
    };
    let file = File::create(path).map_err(Error::io("creating", path))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(err)?;
    w.write(batch).map_err(err)?;
    w.close().map_err(err)?;
    Ok(())
}

/// Writes `rejects/<table>.csv` (every column as text, person keys masked).
pub fn write_rejects(dir: &Path, rejects: &Rejects) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(Error::io("creating", dir))?;
    let path = dir.join(format!("{}.csv", rejects.table));
    let out = csv::create_with_bom(&path)?;
    let err = |e: datafusion::arrow::error::ArrowError| Error::Write {
        context: format!("writing {}", path.display()),
        source: e.into(),
    };
    let mut w = datafusion::arrow::csv::WriterBuilder::new()
        .with_header(true)
        .build(out);
    for b in &rejects.batches {
        let cols: Vec<ArrayRef> = b
            .columns()
            .iter()
            .map(|c| {
                datafusion::arrow::compute::cast(c, &DataType::Utf8).map(|text| {
                    // Input text as no spreadsheet evaluates it.
                    let text = text.as_string::<i32>();
                    Arc::new(
                        text.iter()
                            .map(|v| v.map(csv::spreadsheet_safe))
                            .collect::<StringArray>(),
                    ) as ArrayRef
                })
            })
            .collect::<std::result::Result<_, _>>()
            .map_err(err)?;
        let fields: Vec<Field> = b
            .schema()
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), DataType::Utf8, true))
            .collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).map_err(err)?;
        w.write(&batch).map_err(err)?;
    }
    w.into_inner()
        .flush()
        .map_err(Error::io("writing", &path))?;
    Ok(path)
}

/// A written output file, for the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct OutputFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Hashes every file under `dir` (relative paths, sorted).
pub fn describe_outputs(dir: &Path) -> Result<Vec<OutputFile>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(Error::io("listing", &d))? {
            let p = e.map_err(Error::io("listing", &d))?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).map_err(Error::io("reading", &p))?;
            Ok(OutputFile {
                path: p
                    .strip_prefix(dir)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/"),
                bytes: bytes.len() as u64,
                sha256: digest::sha256(&bytes),
            })
        })
        .collect()
}

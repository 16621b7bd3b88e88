//! The run, end to end: catalog → ingest → data points → indicators →
//! scores → outputs. Also the `validate` and `explain` entry points, which
//! stop after ingest or after compiling.

use std::path::{Path, PathBuf};

pub use crate::assessment::Assessment;
use crate::catalog::Catalog;
use crate::datapoints;
use crate::error::{Error, Result};
use crate::framework::{DataPointSpec, Framework};
use crate::indicators;
use crate::ingest::{self, Ingested};
use crate::model::DataPointTable;
use crate::outputs;
use crate::period::Quarter;
use crate::report::{self, ReportOptions};
use crate::scoring::{self, PastQuarter, Scores};
use crate::standings;
use datafusion::execution::context::SessionConfig;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::SessionContext;

/// What to run on.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub data_dir: PathBuf,
    /// A catalog file; default `<data>/catalog.toml` when present.
    pub catalog: Option<PathBuf>,
    pub framework_dir: PathBuf,
    /// Default: the latest quarter with events in the data.
    pub quarter: Option<Quarter>,
    /// Default: `reports/<quarter>/`.
    pub out_dir: Option<PathBuf>,
    /// Threads for query execution; default the machine's cores.
    pub threads: Option<usize>,
    /// Bytes of memory for queries; operators spill to disk beyond it
    /// (`Error::Resources` when even that is not enough). Default none.
    pub memory_limit: Option<usize>,
    /// Language and edition of the report.
    pub report: ReportOptions,
    /// Scores and ranking only (`--no-report`): no report.html, village
    /// pages, charts or report tables, and only the previous quarter scored
    /// (for the ranking's change columns), not the whole trend window.
    pub no_report: bool,
    /// A validation cache directory (`ingest::cache`): tables whose files
    /// and settings are unchanged since a run that used it are not
    /// validated again. None: every table is validated.
    pub cache: Option<PathBuf>,
    /// A Ballista scheduler (`df://HOST:PORT`) to run the queries on
    /// (`cluster`); None: this process runs them.
    pub cluster: Option<String>,
    /// `--county CODE`: assess only the villages of this county (the first
    /// 6 digits of their codes), normalised among themselves.
    pub county: Option<String>,
    /// `--weights FILE`: score with this weights file instead of the one
    /// the framework names (`framework::WeightsFile`), if any.
    pub weights: Option<PathBuf>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data-samples"),
            catalog: None,
            framework_dir: PathBuf::from("indicators"),
            quarter: None,
            out_dir: None,
            threads: None,
            memory_limit: None,
            report: ReportOptions::default(),
            no_report: false,
            cache: None,
            cluster: None,
            county: None,
            weights: None,
        }
    }
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub quarter: Quarter,
    pub out_dir: PathBuf,
    pub villages: usize,
    pub ranked: usize,
    pub rows_rejected: u64,
    /// Rejected rows per table that had any.
    pub rejected_by_table: std::collections::BTreeMap<String, u64>,
    pub scores: Scores,
    pub table: DataPointTable,
    pub framework: Framework,
}

pub fn context(threads: Option<usize>, memory_limit: Option<usize>) -> Result<SessionContext> {
    let mut config = SessionConfig::new();
    if let Some(t) = threads {
        config = config.with_target_partitions(t.max(1));
    }
    let Some(limit) = memory_limit else {
        return Ok(SessionContext::new_with_config(config));
    };
    // A sort holds back this much for merging its spilled runs (10 MB by
    // default): an eighth of a small limit, so small limits spill rather
    // than fail.
    config = config.with_sort_spill_reservation_bytes((limit / 8).min(10 << 20));
    // A fair spill pool over the limit: spillable operators (sorts,
    // aggregations) share it and spill to the OS temp directory
    // (DataFusion's default disk manager).
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(std::sync::Arc::new(FairSpillPool::new(limit)))
        .build_arc()
        .map_err(Error::query("setting up the memory limit"))?;
    Ok(SessionContext::new_with_config_rt(config, runtime))
}

/// The session a run's queries go through: this process's, or one on the
/// cluster at `cluster`, where `--memory-limit` is each executor's
/// (`qinglian cluster executor --memory-limit`).
pub async fn session(
    threads: Option<usize>,
    memory_limit: Option<usize>,
    cluster: Option<&str>,
) -> Result<SessionContext> {
    match cluster {
        None => context(threads, memory_limit),
        Some(_) if memory_limit.is_some() => Err(Error::Request(
            "--memory-limit is not taken with --cluster: on a cluster each executor has its own, given to `qinglian cluster executor --memory-limit`".into(),
        )),
        Some(url) => crate::cluster::connect(url, threads).await,
    }
}

/// Checks the data against the contract: every table's schema and rows.
pub async fn validate(
    data_dir: &Path,
    catalog: Option<&Path>,
    cluster: Option<&str>,
) -> Result<Ingested> {
    let catalog = Catalog::load(data_dir, catalog)?;
    let ctx = session(None, None, cluster).await?;
    ingest::ingest(&ctx, &catalog)
        .await
        .map_err(|e| crate::cluster::explained(e, cluster))
}

/// The compiled SQL of the framework: one query per source, then each SQL
/// data point file.
pub fn explain(framework: &Framework) -> String {
    let mut out = String::new();
    out.push_str("-- Parameters bound at run time: $quarter_start, $quarter_end (exclusive), $quarter_last, $previous_start, $trailing_start, $year_start; an SQL file that reads the quarters table (quarter and the same bounds as columns, one row per quarter of the run) runs once for every quarter\n\n");
    for c in datapoints::compile(framework) {
        out.push_str(&format!(
            "-- source {}: {} data points in one scan\n{};\n\n",
            c.source.name,
            c.datapoints.len(),
            c.sql
        ));
    }
    for (file, sql) in &framework.sql {
        let ids: Vec<&str> = framework
            .datapoints
            .iter()
            .filter(|d| matches!(&d.spec, DataPointSpec::Sql { file: f, .. } if f == file))
            .map(|d| d.id.as_str())
            .collect();
        out.push_str(&format!(
            "-- sql/{file}: {}\n{}\n\n",
            ids.join(", "),
            sql.trim_end()
        ));
    }
    out
}

/// Loads, ingests, computes and scores one quarter without writing
/// anything (`run` publishes it; `calibrate` measures it).
pub async fn assess(opts: &RunOptions) -> Result<Assessment> {
    let framework = Framework::load_with_weights(&opts.framework_dir, opts.weights.as_deref())?;
    datapoints::check(&framework).await?;
    let catalog = Catalog::load(&opts.data_dir, opts.catalog.as_deref())?;
    let ctx = session(opts.threads, opts.memory_limit, opts.cluster.as_deref()).await?;
    let started = std::time::Instant::now();
    let cache = opts
        .cache
        .as_deref()
        .map(|dir| ingest::ValidationCache::new(dir, &framework.hash));
    let on_cluster = |e| crate::cluster::explained(e, opts.cluster.as_deref());
    let ingested = ingest::ingest_cached(&ctx, &catalog, cache.as_ref())
        .await
        .map_err(on_cluster)?;
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        tables = ingested.tables.iter().filter(|t| t.is_present()).count(),
        rejected = ingested.tables.iter().map(|t| t.rows_rejected).sum::<u64>(),
        "ingested"
    );
    if let Some(v) = ingested.report("villages").filter(|v| v.rows_rejected > 0) {
        tracing::warn!(
            "{} village rows were rejected (see rejects/villages.csv): those villages are not scored, and their source rows are rejected as unknown_village",
            v.rows_rejected
        );
    }
    let county_scope = narrow_to_county(&ctx, opts.county.as_deref()).await?;
    let county_names = datapoints::county_names(&ctx).await?;
    let quarter = choose_quarter(
        opts.quarter,
        &datapoints::source_spans(&ingested),
        &opts.data_dir,
    )?;
    // The quarters before, for change and trends: scored with the same
    // framework (without Monte Carlo) while every source with events has
    // events in them (a quarter before one extract starts would be scored
    // on the other sources alone and compare unlike with like), back as
    // far as the report's trend reaches. Their data points come from the
    // same scans as the assessed quarter's.
    let spans = datapoints::source_spans(&ingested);
    let reach = if opts.no_report {
        2
    } else {
        framework.report.trend_quarters.max(2)
    };
    let mut quarters = vec![quarter];
    let mut past = quarter;
    for _ in 1..reach {
        past = past.previous();
        if spans.is_empty() || !spans.values().all(|s| s.0 <= past && past <= s.1) {
            break;
        }
        quarters.push(past);
    }
    let started = std::time::Instant::now();
    let mut tables = datapoints::compute_quarters(
        &ctx,
        &framework,
        &ingested,
        &quarters,
        datapoints::Plan::Fused,
    )
    .await
    .map_err(on_cluster)?;
    tracing::info!(%quarter, quarters = quarters.len(), datapoints = framework.datapoints.len(), ms = started.elapsed().as_millis() as u64, "data points computed");
    let table = tables.remove(0);
    let started = std::time::Instant::now();
    let values = indicators::compute(&framework, &table);
    let mut scores = scoring::score(&framework, &table, &values)?;
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        "indicators computed and scored"
    );
    let mut framework_no_mc = framework.clone();
    framework_no_mc.scoring.uncertainty = None;
    let mut history = Vec::new();
    for before in tables {
        let started = std::time::Instant::now();
        let before_values = indicators::compute(&framework, &before);
        let before_scores = scoring::score(&framework_no_mc, &before, &before_values)?;
        tracing::info!(quarter = %before.quarter, ms = started.elapsed().as_millis() as u64, "earlier quarter scored for change and trend");
        history.push(PastQuarter {
            quarter: before.quarter,
            villages: before.villages,
            scores: before_scores,
        });
    }
    history.reverse();
    if let Some(previous) = history.last() {
        scoring::explain::compare(
            &mut scores,
            &table.villages,
            &previous.scores,
            &previous.villages,
        );
    }
    let unavailable = scoring::diagnosis::unavailable(&framework, &table, &scores);
    let alerts = crate::alerts::alerts(&framework, &table.villages, &scores);
    let (lifecycle, dispositions) = follow_alerts(
        &ctx,
        &framework,
        &ingested,
        quarter,
        &table,
        &alerts,
        &mut history,
        &mut scores,
    )
    .await?;
    let counties = table
        .villages
        .iter()
        .map(|v| {
            let code = v.county_code();
            let name = county_names.get(code).map_or(code, String::as_str);
            (code.to_string(), name.to_string())
        })
        .collect();
    Ok(Assessment {
        framework,
        catalog,
        ingested,
        quarter,
        table,
        values,
        scores,
        history,
        unavailable,
        alerts,
        counties,
        county_scope,
        lifecycle,
        dispositions,
    })
}

/// Runs the whole pipeline and publishes the outputs.
pub async fn run(opts: &RunOptions) -> Result<RunOutcome> {
    // Before anything can fail: a report a killed run left moved aside is
    // put back, so a failing run leaves the previous report in place.
    if let Some(out) = &opts.out_dir {
        outputs::recover_interrupted_runs(out);
    }
    let assessment = assess(opts).await?;
    let quarter = assessment.quarter;

    let out_dir = opts
        .out_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(quarter.to_string()));
    if let Some(parent) = out_dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(Error::io("creating", parent))?;
    }
    outputs::recover_interrupted_runs(&out_dir);
    outputs::refuse_foreign_output(&out_dir)?;
    let staged = outputs::sibling(&out_dir, "partial");
    if staged.exists() {
        std::fs::remove_dir_all(&staged).map_err(Error::io("removing", &staged))?;
    }
    std::fs::create_dir_all(&staged).map_err(Error::io("creating", &staged))?;
    let result = write_all(&staged, opts, &assessment);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(e);
    }
    outputs::publish(&staged, &out_dir)?;
    let rows_rejected = assessment.rows_rejected();
    let rejected_by_table = assessment
        .ingested
        .tables
        .iter()
        .filter(|t| t.rows_rejected > 0)
        .map(|t| (t.table.clone(), t.rows_rejected))
        .collect();

    let Assessment {
        framework,
        table,
        scores,
        ..
    } = assessment;
    let ranked = scores.villages.iter().filter(|s| s.rank.is_some()).count();
    Ok(RunOutcome {
        quarter,
        out_dir,
        villages: table.villages.len(),
        ranked,
        rows_rejected,
        rejected_by_table,
        scores,
        table,
        framework,
    })
}

/// The quarter to assess: the one asked for, if some source has events in
/// and around it; by default the latest quarter every present source
/// reaches, so a source whose extract ends earlier is not read as zero.
fn choose_quarter(
    asked: Option<Quarter>,
    spans: &std::collections::BTreeMap<&'static str, (Quarter, Quarter)>,
    data_dir: &Path,
) -> Result<Quarter> {
    let first = spans.values().map(|s| s.0).min();
    let last = spans.values().map(|s| s.1).max();
    let (Some(first), Some(last)) = (first, last) else {
        return Err(Error::Input {
            path: data_dir.to_path_buf(),
            message: "the sources hold no event at all, so there is no quarter to assess; check the extracts".into(),
        });
    };
    match asked {
        Some(q) if q < first || q > last => Err(Error::Request(format!(
            "no data for {q}: the events in the data run from {first} to {last}; pass a --quarter in that range"
        ))),
        Some(q) => Ok(q),
        None => {
            let common = spans.values().map(|s| s.1).min().unwrap_or(last);
            if common < last {
                let behind: Vec<String> = spans
                    .iter()
                    .filter(|(_, s)| s.1 < last)
                    .map(|(t, s)| format!("{t} ends in {}", s.1))
                    .collect();
                tracing::warn!(
                    "assessing {common}, the latest quarter every source reaches ({}); pass --quarter {last} to assess the later quarter with those sources unavailable",
                    behind.join(", ")
                );
            }
            Ok(common)
        }
    }
}

/// Writes every output of the assessment `a` into `dir` (the staging
/// directory): the contract's files, then the report and its tables, then
/// the manifest listing them all.
fn write_all(dir: &Path, opts: &RunOptions, a: &Assessment) -> Result<()> {
    let (framework, villages, scores) = (&a.framework, &a.table.villages, &a.scores);
    let counties = a.several_counties().then_some(&a.counties);
    outputs::write_ranking(
        &dir.join("ranking.csv"),
        framework,
        villages,
        scores,
        counties,
    )?;
    outputs::write_weights(&dir.join("weights.csv"), framework, scores)?;
    let batch = outputs::scores_batch(framework, villages, scores)?;
    outputs::write_parquet(&dir.join("scores.parquet"), &batch)?;
    for r in &a.ingested.rejects {
        outputs::write_rejects(&dir.join("rejects"), r)?;
    }
    let hidden = (!opts.no_report && opts.report.public).then(|| {
        let rule = report::privacy::SmallCells::new(true, framework.report.small_cell_k);
        report::privacy::hidden_cells(rule, framework, &a.table, &a.values)
    });
    if !opts.no_report {
        let standings = standings::compute(
            framework,
            &a.table,
            &a.values,
            scores,
            &a.history,
            &a.counties,
        );
        report::write(dir, a, &standings, &opts.report)?;
        outputs::tables::write(dir, a, &standings)?;
    }
    // The workbook reads back the CSVs just written.
    let english = !opts.no_report && opts.report.lang == report::Lang::En;
    let scores_sheet = outputs::workbook::IndicatorScores {
        framework,
        villages,
        scores,
        hidden: hidden.as_deref(),
    };
    let started = std::time::Instant::now();
    outputs::workbook::write(dir, a.quarter, english, &scores_sheet)?;
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        bytes = std::fs::metadata(dir.join(outputs::workbook::FILE)).map_or(0, |m| m.len()),
        "workbook written"
    );
    outputs::manifest::write(dir, &opts.data_dir, a)
}

/// The alert lifecycle of the assessed quarter (`lifecycle`): earlier
/// quarters' alerts (each quarter compared with the one before it, for the
/// alerts that need a change), the dispositions, and the tiers held by
/// substantiated alerts not yet rectified, applied to `scores`.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site, each input a stage's result"
)]
async fn follow_alerts(
    ctx: &SessionContext,
    framework: &Framework,
    ingested: &Ingested,
    quarter: Quarter,
    table: &DataPointTable,
    alerts: &[Vec<crate::alerts::Alert>],
    history: &mut [PastQuarter],
    scores: &mut Scores,
) -> Result<(
    crate::lifecycle::Lifecycle,
    Option<Vec<crate::lifecycle::Disposition>>,
)> {
    // Earlier quarters' alerts (each compared with the quarter before it,
    // for the alerts that need a change) for the alerts' first quarters.
    for i in 1..history.len() {
        let (before, after) = history.split_at_mut(i);
        let (p, q) = (&before[i - 1], &mut after[0]);
        scoring::explain::compare(&mut q.scores, &q.villages, &p.scores, &p.villages);
    }
    let earlier: Vec<_> = history
        .iter()
        .map(|p| {
            let fired = crate::alerts::alerts(framework, &p.villages, &p.scores);
            (p.quarter, crate::lifecycle::fired(&p.villages, &fired))
        })
        .collect();
    let dispositions =
        crate::lifecycle::read_dispositions(ctx, ingested.is_present("dispositions")).await?;
    let lifecycle = crate::lifecycle::track(
        framework,
        &table.villages,
        quarter,
        alerts,
        &earlier,
        dispositions.as_deref(),
    );
    for (s, holds) in scores.villages.iter_mut().zip(&lifecycle.holds) {
        for h in holds {
            s.tier = s.tier.capped(h.cap);
            s.held_by.push(h.alert_id.clone());
        }
    }
    if lifecycle.dispositions_not_used > 0 {
        tracing::warn!(
            rows = lifecycle.dispositions_not_used,
            "dispositions not used: decided after the assessed quarter, or for an alert id that names no assessed village and alert kind"
        );
    }
    Ok((lifecycle, dispositions))
}

/// `run --county`: the villages table narrowed to the county's.
async fn narrow_to_county(
    ctx: &SessionContext,
    county: Option<&str>,
) -> Result<Option<crate::assessment::CountyScope>> {
    let Some(code) = county else {
        return Ok(None);
    };
    let (kept, all) = datapoints::scope_to_county(ctx, code).await?;
    tracing::info!(
        county = code,
        villages = kept,
        of = all,
        "assessing one county"
    );
    Ok(Some(crate::assessment::CountyScope {
        county_code: code.to_string(),
        villages_in_county: kept,
        villages_in_extract: all,
    }))
}

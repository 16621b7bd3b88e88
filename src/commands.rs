//! The subcommands: each turns its parsed arguments (`cli.rs`) into a
//! library call and prints what an analyst needs to see. [`run`] picks the
//! function; there is one per subcommand.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use qinglian::engine::method;
use qinglian::framework::{Direction, Framework};
use qinglian::generate::{GenerateOptions, ScaleOptions};
use qinglian::period::Quarter;
use qinglian::pipeline::{self, RunOptions};
use qinglian::report::ReportOptions;
use qinglian::{Error, calibration, docs, precomputed};

use crate::cli::{
    BenchCommand, CalibrateArgs, CatalogCommand, CatalogInitArgs, Cli, ClusterCommand, Command,
    GenerateArgs, GenerateFrameworkArgs, IndicatorsAction, IndicatorsArgs, RunArgs, ScoreArgs,
    ValidateArgs,
};

/// Runs the subcommand `cli` names; the exit code on success (`validate`
/// exits 4 when it found rows it would reject).
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run_assessment(args, cli.quiet),
        Command::Validate(args) => validate(args),
        Command::Catalog(CatalogCommand::Init(args)) => catalog_init(&args),
        Command::Generate(args) => generate(args),
        Command::GenerateFramework(args) => generate_framework(args),
        Command::Calibrate(args) => calibrate(args),
        Command::Score(args) => score(args),
        Command::Indicators(args) => indicators(args),
        Command::Bench(what) => bench(what),
        Command::Cluster(role) => cluster(role),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "qinglian", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .context("writing the manual page")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The validation cache's directory beside the output directory.
const CACHE_DIR: &str = ".qinglian-cache";

/// `qinglian run`: score, rank and report one quarter (or `--explain`).
fn run_assessment(args: RunArgs, quiet: bool) -> Result<ExitCode> {
    if args.explain {
        let fw = Framework::load(&args.input.framework.framework)?;
        print!("{}", pipeline::explain(&fw));
        return Ok(ExitCode::SUCCESS);
    }
    let cache = if args.no_cache {
        None
    } else {
        Some(args.cache.unwrap_or_else(|| {
            let parent = args
                .out
                .as_deref()
                .and_then(Path::parent)
                .filter(|p| !p.as_os_str().is_empty());
            parent
                .unwrap_or_else(|| Path::new(if args.out.is_some() { "." } else { "reports" }))
                .join(CACHE_DIR)
        }))
    };
    let opts = RunOptions {
        data_dir: args.input.data.data,
        catalog: args.input.data.catalog,
        framework_dir: args.input.framework.framework,
        quarter: args.quarter,
        out_dir: args.out,
        threads: args.threads,
        memory_limit: args.memory_limit,
        report: ReportOptions {
            lang: args.lang.into(),
            public: args.public,
            village_png: args.village_png,
        },
        no_report: args.no_report,
        cache,
        cluster: args.cluster.cluster,
        county: args.county,
        weights: args.weights,
    };
    let started = Instant::now();
    let outcome = runtime()?.block_on(pipeline::run(&opts))?;
    tracing::info!(
        target: "qinglian::summary",
        quarter = %outcome.quarter,
        villages = outcome.villages,
        ranked = outcome.ranked,
        rows_rejected = outcome.rows_rejected,
        rejected_by_table = %serde_json::to_string(&outcome.rejected_by_table).unwrap_or_default(),
        out_dir = %outcome.out_dir.display(),
        ms = started.elapsed().as_millis() as u64,
        exit_code = 0,
        "run finished"
    );
    if !quiet {
        println!(
            "{}: {} villages scored, {} ranked, {} rows rejected; wrote {} in {:.2} s",
            outcome.quarter,
            outcome.villages,
            outcome.ranked,
            outcome.rows_rejected,
            outcome.out_dir.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `qinglian validate`: one line per table; exit 4 if any row was rejected.
fn validate(args: ValidateArgs) -> Result<ExitCode> {
    let ingested = runtime()?.block_on(pipeline::validate(
        &args.data.data,
        args.data.catalog.as_deref(),
        args.cluster.cluster.as_deref(),
    ))?;
    println!(
        "{:<12} {:<8} {:>10} {:>10} {:>9}  reasons",
        "table", "status", "read", "accepted", "rejected"
    );
    for t in &ingested.tables {
        let reasons = t
            .rejected_by_reason
            .iter()
            .map(|(r, n)| format!("{r}={n}"))
            .collect::<Vec<_>>()
            .join(" ");
        println!(
            "{:<12} {:<8} {:>10} {:>10} {:>9}  {reasons}",
            t.table, t.status, t.rows_read, t.rows_accepted, t.rows_rejected
        );
    }
    for t in ingested.tables.iter().filter(|t| !t.normalised.is_empty()) {
        let steps: Vec<String> = t
            .normalised
            .iter()
            .flat_map(|(c, steps)| steps.iter().map(move |(s, n)| format!("{c} {s}={n}")))
            .collect();
        println!("normalised in {}: {}", t.table, steps.join(", "));
    }
    let unmapped = ingested.unmapped();
    if !unmapped.is_empty() {
        println!(
            "labels neither mapped nor canonical (add them under [sources.<table>.values.<column>] in the catalog):"
        );
        for u in &unmapped {
            println!(
                "  {}.{}  \"{}\"  {} row(s)",
                u.table, u.column, u.value, u.rows
            );
        }
    }
    if let Some(dir) = args.rejects {
        for r in &ingested.rejects {
            let path = qinglian::outputs::write_rejects(&dir, r)?;
            println!("wrote {}", path.display());
        }
    }
    let rejected: u64 = ingested.tables.iter().map(|t| t.rows_rejected).sum();
    Ok(if rejected > 0 {
        ExitCode::from(4)
    } else {
        ExitCode::SUCCESS
    })
}

/// `qinglian catalog init`: draft the catalog, one line per table found.
fn catalog_init(args: &CatalogInitArgs) -> Result<ExitCode> {
    let (path, draft) =
        qinglian::catalog::init::write(&args.data, args.out.as_deref(), args.force)?;
    println!("wrote {}", path.display());
    for t in &draft.tables {
        println!("  {}", t.summary());
    }
    if !draft.not_found.is_empty() {
        println!("  not found: {}", draft.not_found.join(", "));
    }
    for (file, reason) in &draft.unplaced {
        println!("  not placed: {file}: {reason}");
    }
    let catalog = if args.out.is_some() {
        format!(" --catalog {}", path.display())
    } else {
        String::new()
    };
    println!(
        "edit it (the lines left as comments first), then check it: qinglian validate --data {}{catalog}",
        args.data.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `qinglian generate`: write a synthetic district.
fn generate(args: GenerateArgs) -> Result<ExitCode> {
    let opts = GenerateOptions {
        profile: args.profile.into(),
        seed: args.seed,
        villages: args.villages,
        townships: args.townships,
        counties: args.counties,
        dispositions: args.dispositions,
        last_quarter: args.last_quarter,
        quarters: args.quarters,
        planted_quarters: args.planted_quarters,
        planted_share: args.planted_share,
        volume_factor: args.volume_factor,
        defects: args.defects,
        export_style: args.export_style.into(),
    };
    let started = Instant::now();
    let summary = qinglian::generate::generate(&opts, &args.out)?;
    let total: u64 = summary.rows.values().sum();
    // The field profile also names its honest look-alikes.
    let lookalikes = if summary.lookalikes.is_empty() {
        String::new()
    } else {
        format!(", {} look-alike villages", summary.lookalikes.len())
    };
    println!(
        "generated {} villages, {} rows ({}), {} planted villages{lookalikes}, into {} in {:.2} s",
        summary.villages,
        total,
        summary
            .rows
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        summary.planted.len(),
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `qinglian generate-framework`: grow a framework to a target size.
fn generate_framework(args: GenerateFrameworkArgs) -> Result<ExitCode> {
    let base = Framework::load(&args.from)?;
    let summary = qinglian::generate::scale_framework(
        &base,
        &args.out,
        ScaleOptions {
            indicators: args.indicators,
            datapoints: args.datapoints,
        },
    )?;
    println!(
        "wrote {} ({} indicators, {} of them generated; {} data points, {} generated); run it with --framework {}",
        args.out.display(),
        summary.indicators,
        summary.generated_indicators,
        summary.datapoints,
        summary.generated_datapoints,
        args.out.join("indicators").display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `qinglian calibrate`: the framework and the baseline measured against
/// the known villages (when a truth file is given or in the data), then
/// what was asked for: the prospective validation, the precision of the
/// alerts from dispositions, weights learned from outcomes; as Markdown
/// (and the comparison as JSON with `--json`).
fn calibrate(args: CalibrateArgs) -> Result<ExitCode> {
    let data = args.input.data.data.clone();
    let truth = match &args.truth {
        Some(path) => Some(path.clone()),
        None => Some(data.join("ground_truth.csv")).filter(|p| p.is_file()),
    };
    if truth.is_none() && args.json.is_some() {
        return Err(Error::Input {
            path: data.join("ground_truth.csv"),
            message: "no truth file for --json (the comparison with the baseline is measured \
                      on known villages): pass --truth FILE"
                .into(),
        }
        .into());
    }
    if truth.is_none() && !args.prospective && !args.fit {
        return Err(Error::Input {
            path: data.join("ground_truth.csv"),
            message:
                "no truth file: pass --truth FILE (village_code,pattern,from_quarter,to_quarter), \
                      or measure without one with --prospective or --fit"
                    .into(),
        }
        .into());
    }
    let opts = |framework_dir: PathBuf, quarter: Option<Quarter>| RunOptions {
        data_dir: data.clone(),
        catalog: args.input.data.catalog.clone(),
        framework_dir,
        quarter,
        out_dir: None,
        threads: None,
        memory_limit: None,
        report: ReportOptions::default(),
        no_report: true,
        // Calibration validates what it measures, every time.
        cache: None,
        cluster: args.cluster.cluster.clone(),
        county: None,
        weights: args.weights.clone(),
    };
    let rt = runtime()?;
    let (framework_dir, baseline_dir) = (&args.input.framework.framework, &args.baseline);
    let assessed = rt.block_on(pipeline::assess(&opts(framework_dir.clone(), args.quarter)))?;
    let mut page = format!(
        "# Calibration of `{}` {} on {}\n\n",
        assessed.framework.meta.id,
        assessed.framework.meta.version,
        data.display()
    );
    if let Some(truth) = &truth {
        let known = calibration::read_truth(truth)?;
        let lookalikes = read_lookalikes(args.lookalikes.as_deref(), &data)?;
        // The baseline scores the same quarter of the same data.
        let base = rt.block_on(pipeline::assess(&opts(
            baseline_dir.clone(),
            Some(assessed.quarter),
        )))?;
        let comparison = calibration::compare(&assessed, &base, &known, &lookalikes);
        let mut measured = calibration::render(&calibration::measure(&assessed, &known));
        // The comparison right under the summary table.
        let at = measured.find("\n## ").map_or(measured.len(), |i| i + 1);
        measured.insert_str(at, &calibration::render_comparison(&comparison));
        page.push_str(&measured);
        if let Some(path) = &args.json {
            let text =
                serde_json::to_string_pretty(&comparison).context("serialising the comparison")?;
            write(path, text + "\n")?;
        }
    }
    if args.prospective {
        let scored = rt.block_on(prospective_quarters(
            &assessed,
            &|framework, q| opts(framework.to_path_buf(), Some(q)),
            framework_dir,
            baseline_dir,
        ))?;
        let filed = rt.block_on(calibration::filed_cases(&opts(framework_dir.clone(), None)))?;
        page.push('\n');
        page.push_str(&calibration::render_prospective(&calibration::prospective(
            &scored, &filed,
        )));
    }
    if let Some(dispositions) = &assessed.dispositions {
        page.push('\n');
        page.push_str(&calibration::render_precision(&calibration::precision(
            dispositions,
        )));
    }
    if args.fit {
        let fit = qinglian::fitting::FitOptions {
            labels: args.labels.map(Into::into),
            out: args
                .fit_out
                .clone()
                .unwrap_or_else(|| PathBuf::from("learned.toml")),
        };
        let report = rt.block_on(qinglian::fitting::learn(
            &opts(framework_dir.clone(), None),
            &assessed,
            &fit,
        ))?;
        page.push('\n');
        page.push_str(&qinglian::fitting::render(&report, &assessed.framework));
    }
    match &args.out {
        Some(path) => {
            write(path, page)?;
            println!("wrote {}", path.display());
        }
        None => print!("{page}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The quarters `calibrate --prospective` scores, by the framework and by
/// the baseline: from the first with every source present up to two
/// quarters before the last (so that two quarters of cases follow), at
/// most eight, none after the assessed quarter.
async fn prospective_quarters(
    assessed: &qinglian::assessment::Assessment,
    opts: &dyn Fn(&Path, Quarter) -> RunOptions,
    framework_dir: &Path,
    baseline_dir: &Path,
) -> Result<Vec<calibration::ScoredQuarter>> {
    let mut scored = Vec::new();
    if let Some((from, to)) = qinglian::datapoints::common_span(&assessed.ingested) {
        let last = to.offset(-2).min(assessed.quarter);
        let mut q = from.max(last.offset(-7));
        while q <= last {
            let a = pipeline::assess(&opts(framework_dir, q)).await?;
            let b = pipeline::assess(&opts(baseline_dir, q)).await?;
            scored.push(calibration::ScoredQuarter {
                quarter: q,
                index: calibration::indices(&a),
                baseline: calibration::indices(&b),
            });
            q = q.next();
        }
    }
    Ok(scored)
}

/// The honest look-alikes: `--lookalikes`, else `<data>/lookalikes.csv`
/// when present, else none.
fn read_lookalikes(given: Option<&Path>, data: &Path) -> Result<Vec<calibration::LookAlike>> {
    let default = data.join("lookalikes.csv");
    Ok(match given {
        Some(path) => calibration::read_lookalikes(path)?,
        None if default.is_file() => calibration::read_lookalikes(&default)?,
        None => Vec::new(),
    })
}

/// `qinglian score`: score a table of precomputed indicators.
fn score(args: ScoreArgs) -> Result<ExitCode> {
    let options = score_options(&args)?;
    let loaded = precomputed::load(&args.table, &args.meta, &args.unit_column, &options)?;
    let scored = precomputed::score(&loaded)?;
    precomputed::write(&args.out, &args.unit_column, &scored)?;
    println!(
        "{} units, {} indicators, {} aggregates scored; wrote {}",
        scored.units.len(),
        scored.indicators.len(),
        scored.aggregates.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The options of `score`, checked: geometric aggregation needs scores of
/// at least 1.
fn score_options(args: &ScoreArgs) -> Result<precomputed::Options> {
    let normalisation = args.normalisation.with(args.range, args.z_score);
    let aggregation: method::Aggregation = args.aggregation.into();
    if aggregation == method::Aggregation::Geometric
        && normalisation.floor().is_none_or(|f| f < 1.0)
    {
        return Err(Error::Request(
            "--aggregation geometric needs scores of at least 1: pass --range 1,100 with min_max or percentile_rank".into(),
        )
        .into());
    }
    Ok(precomputed::Options {
        normalisation,
        treatment: args.treatment.into(),
        aggregation,
    })
}

/// `qinglian indicators`: list the framework, show one indicator, or
/// write the framework's reference.
fn indicators(args: IndicatorsArgs) -> Result<ExitCode> {
    let dir = args.framework.framework;
    let action = args.action.unwrap_or(IndicatorsAction::List);
    if let IndicatorsAction::Init { out } = &action {
        let written = qinglian::framework::defaults::init(out)?;
        let framework = out.join("indicators");
        // What was written must load: the same checks as a run's.
        Framework::load(&framework)?;
        println!(
            "wrote {} files of the default framework under {}; run with --framework {}",
            written.len(),
            out.display(),
            framework.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let fw = Framework::load(&dir)?;
    match action {
        IndicatorsAction::Init { .. } => unreachable!("handled above"),
        IndicatorsAction::List => list_indicators(&fw),
        IndicatorsAction::Show { id } => {
            let Some(ind) = fw.indicator(&id) else {
                return Err(Error::Request(format!(
                    "no indicator '{id}' in {}; `qinglian indicators list` shows the ids",
                    dir.display()
                ))
                .into());
            };
            print!("{}", docs::indicator_page(&fw, ind, "#"));
        }
        IndicatorsAction::Docs { out } => {
            let page = docs::framework_page(&fw);
            match out {
                Some(path) => {
                    write(&path, page)?;
                    println!(
                        "wrote {} ({} indicators)",
                        path.display(),
                        fw.indicators.len()
                    );
                }
                None => print!("{page}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `qinglian indicators list`: each dimension and its indicators.
fn list_indicators(fw: &Framework) {
    for d in &fw.dimensions {
        println!("{} {} (weight {})", d.id, d.name_zh, d.weight);
        for i in fw.indicators.iter().filter(|i| i.dimension == d.id) {
            let arrow = match i.direction {
                Direction::LowerIsBetter => "↓",
                Direction::HigherIsBetter => "↑",
                Direction::TwoSided => "↕",
            };
            println!("  {:<34} {arrow:<4} {} / {}", i.id, i.name_zh, i.name_en);
        }
    }
    println!(
        "{} indicators, {} data points, {} dimensions",
        fw.indicators.len(),
        fw.datapoints.len(),
        fw.dimensions.len()
    );
}

/// `qinglian bench ...`: one measurement, printed as one JSON line.
fn bench(what: BenchCommand) -> Result<ExitCode> {
    let json = match what {
        BenchCommand::Stage {
            input,
            quarter,
            quarters,
            plan,
            threads,
        } => {
            let timings = runtime()?.block_on(qinglian::bench::stage(
                &input.data,
                &input.framework.framework,
                quarter,
                quarters,
                plan.into(),
                threads,
            ))?;
            serde_json::to_string(&timings)?
        }
        BenchCommand::Scan { input, threads } => serde_json::to_string(
            &qinglian::bench::scan_floor(&input.data, &input.framework.framework, threads)?,
        )?,
        BenchCommand::Export {
            input,
            quarter,
            out,
        } => {
            qinglian::bench::export_for_duckdb(
                &input.data,
                &input.framework.framework,
                quarter,
                &out,
            )?;
            serde_json::to_string(&serde_json::json!({ "wrote": out }))?
        }
    };
    println!("{json}");
    Ok(ExitCode::SUCCESS)
}

/// `qinglian cluster scheduler|executor`: runs until stopped.
fn cluster(role: ClusterCommand) -> Result<ExitCode> {
    let rt = runtime()?;
    match role {
        ClusterCommand::Scheduler(a) => rt.block_on(qinglian::cluster::scheduler(
            qinglian::cluster::SchedulerSettings {
                bind_host: a.bind_host,
                bind_port: a.bind_port,
                external_host: a.external_host,
                executor_timeout_seconds: a.executor_timeout_seconds,
                expire_dead_executor_interval_seconds: a.expire_dead_executor_interval_seconds,
            },
        ))?,
        ClusterCommand::Executor(a) => rt.block_on(qinglian::cluster::executor(
            qinglian::cluster::ExecutorSettings {
                scheduler_host: a.scheduler_host,
                scheduler_port: a.scheduler_port,
                bind_host: a.bind_host,
                external_host: a.external_host,
                bind_port: a.bind_port,
                bind_grpc_port: a.bind_grpc_port,
                concurrent_tasks: a.concurrent_tasks,
                work_dir: a.work_dir,
                memory_limit: a.memory_limit,
                executor_heartbeat_interval_seconds: a.executor_heartbeat_interval_seconds,
            },
        ))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `contents` to `path`, naming the file on failure.
fn write(path: &Path, contents: String) -> Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

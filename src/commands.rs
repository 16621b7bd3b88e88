//! The subcommands: each turns parsed arguments into a library call and
//! prints what an analyst needs to see.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use qinglian::engine::method::{Aggregation, Normalisation, Treatment};
use qinglian::engine::treatment::OutlierRule;
use qinglian::framework::{Direction, Framework};
use qinglian::generate::{self, GenerateOptions};
use qinglian::period::Quarter;
use qinglian::pipeline::{self, RunOptions};
use qinglian::{Error, calibration, docs, precomputed};

use crate::{BenchCommand, BenchPlan, Cli, Command, GenerateProfile, IndicatorsAction};

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Two comma-separated numbers.
fn pair(name: &str, text: &str) -> Result<(f64, f64)> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    match parts.as_slice() {
        [a, b] => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(a), Ok(b)) if a.is_finite() && b.is_finite() => Ok((a, b)),
            _ => Err(
                Error::Request(format!("--{name} {text}: expected two numbers, as 0,100")).into(),
            ),
        },
        _ => Err(Error::Request(format!("--{name} {text}: expected two numbers, as 0,100")).into()),
    }
}

/// The options of `score`, checked.
fn score_options(
    normalisation: &str,
    range: &str,
    z_score: &str,
    treatment: &str,
    aggregation: &str,
) -> Result<precomputed::Options> {
    let (low, high) = pair("range", range)?;
    let (mean, sd) = pair("z-score", z_score)?;
    let normalisation = match normalisation {
        "min_max" => Normalisation::MinMax { low, high },
        "percentile_rank" => Normalisation::PercentileRank { low, high },
        "z_score" => Normalisation::ZScore { mean, sd },
        other => {
            return Err(Error::Request(format!(
                "--normalisation {other}: expected min_max, z_score or percentile_rank"
            ))
            .into());
        }
    };
    let treatment = match treatment {
        "none" => Treatment::None,
        "jrc" => Treatment::Jrc(OutlierRule::default()),
        other => {
            return Err(
                Error::Request(format!("--treatment {other}: expected none or jrc")).into(),
            );
        }
    };
    let aggregation = match aggregation {
        "arithmetic" => Aggregation::Arithmetic,
        "geometric" => {
            if normalisation.floor().is_none_or(|f| f < 1.0) {
                return Err(Error::Request(
                    "--aggregation geometric needs scores of at least 1: pass --range 1,100 with min_max or percentile_rank".into(),
                )
                .into());
            }
            Aggregation::Geometric
        }
        other => {
            return Err(Error::Request(format!(
                "--aggregation {other}: expected arithmetic or geometric"
            ))
            .into());
        }
    };
    Ok(precomputed::Options {
        normalisation,
        treatment,
        aggregation,
    })
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Score {
            table,
            meta,
            unit_column,
            normalisation,
            range,
            z_score,
            treatment,
            aggregation,
            out,
        } => {
            let options =
                score_options(&normalisation, &range, &z_score, &treatment, &aggregation)?;
            let loaded = precomputed::load(&table, &meta, &unit_column, &options)?;
            let scored = precomputed::score(&loaded)?;
            precomputed::write(&out, &unit_column, &scored)?;
            println!(
                "{} units, {} indicators, {} aggregates scored; wrote {}",
                scored.units.len(),
                scored.indicators.len(),
                scored.aggregates.len(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            data,
            catalog,
            framework,
            quarter,
            out,
            explain,
            threads,
            memory_limit,
            lang,
            public,
            no_report,
        } => {
            if explain {
                let fw = Framework::load(&framework)?;
                print!("{}", pipeline::explain(&fw));
                return Ok(ExitCode::SUCCESS);
            }
            let opts = RunOptions {
                data_dir: data,
                catalog,
                framework_dir: framework,
                quarter,
                out_dir: out,
                threads,
                memory_limit,
                report: qinglian::report::ReportOptions { lang, public },
                no_report,
            };
            let started = std::time::Instant::now();
            let outcome = runtime()?.block_on(pipeline::run(&opts))?;
            println!(
                "{}: {} villages scored, {} ranked, {} rows rejected; wrote {} in {:.2} s",
                outcome.quarter,
                outcome.villages,
                outcome.ranked,
                outcome.rows_rejected,
                outcome.out_dir.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate {
            data,
            catalog,
            rejects,
        } => {
            let ingested = runtime()?.block_on(pipeline::validate(&data, catalog.as_deref()))?;
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
            if let Some(dir) = rejects {
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
        Command::Generate {
            out,
            profile,
            seed,
            villages,
            townships,
            last_quarter,
            quarters,
            planted_share,
            volume_factor,
            defects,
        } => {
            let opts = GenerateOptions {
                profile: match profile {
                    GenerateProfile::Standard => generate::Profile::Standard,
                    GenerateProfile::Field => generate::Profile::Field,
                },
                seed,
                villages,
                townships,
                last_quarter,
                quarters,
                planted_share,
                volume_factor,
                defects,
            };
            let started = std::time::Instant::now();
            let summary = generate::generate(&opts, &out)?;
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
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::GenerateFramework {
            out,
            from,
            indicators,
            datapoints,
        } => {
            let base = Framework::load(&from)?;
            let summary = generate::scale_framework(
                &base,
                &out,
                generate::ScaleOptions {
                    indicators,
                    datapoints,
                },
            )?;
            println!(
                "wrote {} ({} indicators, {} of them generated; {} data points, {} generated); run it with --framework {}",
                out.display(),
                summary.indicators,
                summary.generated_indicators,
                summary.datapoints,
                summary.generated_datapoints,
                out.join("indicators").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(what) => {
            let json = match what {
                BenchCommand::Stage {
                    input,
                    quarter,
                    quarters,
                    plan,
                    threads,
                } => {
                    let plan = match plan {
                        BenchPlan::Fused => qinglian::datapoints::Plan::Fused,
                        BenchPlan::Naive => qinglian::datapoints::Plan::Naive,
                    };
                    let t = runtime()?.block_on(qinglian::bench::stage(
                        &input.data,
                        &input.framework,
                        quarter,
                        quarters,
                        plan,
                        threads,
                    ))?;
                    serde_json::to_string(&t)?
                }
                BenchCommand::Scan { input, threads } => serde_json::to_string(
                    &qinglian::bench::scan_floor(&input.data, &input.framework, threads)?,
                )?,
                BenchCommand::Export {
                    input,
                    quarter,
                    out,
                } => {
                    qinglian::bench::export_for_duckdb(
                        &input.data,
                        &input.framework,
                        quarter,
                        &out,
                    )?;
                    serde_json::to_string(&serde_json::json!({ "wrote": out }))?
                }
            };
            println!("{json}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Calibrate {
            data,
            catalog,
            framework,
            truth,
            quarter,
            out,
            baseline,
            lookalikes,
            json,
        } => {
            let truth = truth.unwrap_or_else(|| data.join("ground_truth.csv"));
            let known = calibration::read_truth(&truth)?;
            let lookalikes = match lookalikes {
                Some(path) => calibration::read_lookalikes(&path)?,
                None => {
                    let path = data.join("lookalikes.csv");
                    if path.is_file() {
                        calibration::read_lookalikes(&path)?
                    } else {
                        Vec::new()
                    }
                }
            };
            let opts = |framework_dir: PathBuf, quarter: Option<Quarter>| RunOptions {
                data_dir: data.clone(),
                catalog: catalog.clone(),
                framework_dir,
                quarter,
                out_dir: None,
                threads: None,
                memory_limit: None,
                report: Default::default(),
                no_report: true,
            };
            let rt = runtime()?;
            let assessed = rt.block_on(pipeline::assess(&opts(framework, quarter)))?;
            // The baseline scores the same quarter of the same data.
            let base = rt.block_on(pipeline::assess(&opts(baseline, Some(assessed.quarter))))?;
            let comparison = calibration::compare(&assessed, &base, &known, &lookalikes);
            let result = calibration::measure(&assessed, &known);
            let mut page = calibration::render(
                &result,
                &format!(
                    "Calibration of `{}` {} on {}",
                    assessed.framework.meta.id,
                    assessed.framework.meta.version,
                    data.display()
                ),
            );
            // The comparison right under the title and the summary table.
            let at = page.find("\n## ").map_or(page.len(), |i| i + 1);
            page.insert_str(at, &calibration::render_comparison(&comparison));
            if let Some(path) = json {
                let text = serde_json::to_string_pretty(&comparison)
                    .context("serialising the comparison")?;
                std::fs::write(&path, text + "\n")
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            match out {
                Some(path) => {
                    std::fs::write(&path, page)
                        .with_context(|| format!("writing {}", path.display()))?;
                    println!("wrote {}", path.display());
                }
                None => print!("{page}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Indicators { framework, action } => {
            let fw = Framework::load(&framework)?;
            match action.unwrap_or(IndicatorsAction::List) {
                IndicatorsAction::List => {
                    for d in &fw.dimensions {
                        println!("{} {} (weight {})", d.id, d.name_zh, d.weight);
                        for i in fw.indicators.iter().filter(|i| i.dimension == d.id) {
                            println!(
                                "  {:<34} {:<4} {} / {}",
                                i.id,
                                match i.direction {
                                    Direction::LowerIsBetter => "↓",
                                    Direction::HigherIsBetter => "↑",
                                    Direction::TwoSided => "↕",
                                },
                                i.name_zh,
                                i.name_en
                            );
                        }
                    }
                    println!(
                        "{} indicators, {} data points, {} dimensions",
                        fw.indicators.len(),
                        fw.datapoints.len(),
                        fw.dimensions.len()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                IndicatorsAction::Show { id } => {
                    let Some(ind) = fw.indicator(&id) else {
                        return Err(qinglian::Error::Request(format!(
                            "no indicator '{id}' in {}; `qinglian indicators list` shows the ids",
                            framework.display()
                        ))
                        .into());
                    };
                    print!("{}", docs::indicator_page(&fw, ind, "#"));
                    Ok(ExitCode::SUCCESS)
                }
                IndicatorsAction::Docs { out } => {
                    let page = docs::framework_page(&fw);
                    match out {
                        Some(path) => {
                            std::fs::write(&path, page)
                                .with_context(|| format!("writing {}", path.display()))?;
                            println!(
                                "wrote {} ({} indicators)",
                                path.display(),
                                fw.indicators.len()
                            );
                        }
                        None => print!("{page}"),
                    }
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}

//! The subcommands: each turns parsed arguments into a library call and
//! prints what an analyst needs to see.

use std::process::ExitCode;

use anyhow::{Context, Result};
use qinglian::framework::{Framework, Indicator};
use qinglian::generate::{self, GenerateOptions};
use qinglian::pipeline::{self, RunOptions};

use crate::{Cli, Command, IndicatorsAction};

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run {
            data,
            catalog,
            framework,
            quarter,
            out,
            explain,
            threads,
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
            let summary = generate::generate(&opts, &out).map_err(qinglian::Error::from)?;
            let total: u64 = summary.rows.values().sum();
            println!(
                "generated {} villages, {} rows ({}), {} planted villages, into {} in {:.2} s",
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
                                if i.direction == qinglian::framework::Direction::LowerIsBetter {
                                    "↓"
                                } else {
                                    "↑"
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
                    print!("{}", describe(&fw, ind));
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}

fn describe(fw: &Framework, i: &Indicator) -> String {
    let mut s = format!(
        "{id}\n{zh} / {en}\n\ndimension: {dim}\nformula:   {f}({num}{den})\ndirection: {dir}\nweight:    {w}\n",
        id = i.id,
        zh = i.name_zh,
        en = i.name_en,
        dim = i.dimension,
        f = i.formula.as_str(),
        num = i.numerator,
        den = i
            .denominator
            .as_ref()
            .map(|d| format!(", {d}"))
            .unwrap_or_default(),
        dir = i.direction.as_str(),
        w = i.weight,
    );
    if let Some(m) = i.min_denominator {
        s.push_str(&format!(
            "min_denominator: {m} (below it: unavailable, not 0)\n"
        ));
    }
    if let Some(u) = &i.unit {
        s.push_str(&format!("unit:      {u}\n"));
    }
    s.push_str(&format!("\n{}\n", i.definition));
    if let Some(r) = &i.rationale {
        s.push_str(&format!("\nrationale: {r}\n"));
    }
    s.push_str("\ndata points:\n");
    for dp in [Some(&i.numerator), i.denominator.as_ref()]
        .into_iter()
        .flatten()
    {
        if let Some(d) = fw.datapoint(dp) {
            s.push_str(&format!(
                "  {} — {} / {}\n    {}\n",
                d.id,
                d.name_zh,
                d.name_en,
                d.spec.describe()
            ));
        }
    }
    s
}

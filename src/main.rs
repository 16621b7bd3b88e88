//! The `qinglian` command: parse the command line, call the library, print
//! the error chain, exit with a documented code.
//!
//! Exit codes: 0 success; 1 internal error (a bug, or the machine failed);
//! 2 usage, framework or catalog error; 3 input data missing, unreadable or
//! off-contract; 4 `validate` found rows it would reject; 5 the run needed
//! more memory than `--memory-limit` allows.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use qinglian::period::Quarter;
use qinglian::{Error, ErrorKind};

mod commands;

/// qinglian (清廉): the quarterly village integrity index.
#[derive(Debug, Parser)]
#[command(name = "qinglian", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log more (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The district and framework a `qinglian bench` measurement reads.
#[derive(Debug, Args)]
pub struct BenchInput {
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value = "indicators")]
    pub framework: PathBuf,
}

/// Which synthetic district `generate` writes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GenerateProfile {
    /// The district the index is calibrated on.
    Standard,
    /// Sparse, low-intensity misconduct among over-dispersed, seasonal
    /// ordinary life, with honest look-alike villages (lookalikes.csv).
    Field,
}

/// How `bench stage` compiles the aggregate data points.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BenchPlan {
    /// One query per source.
    Fused,
    /// One query per data point.
    Naive,
}

/// What `qinglian bench` measures; each prints one JSON line.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Ingest, then the data-point stage alone, timed apart.
    Stage {
        #[command(flatten)]
        input: BenchInput,
        #[arg(long)]
        quarter: Quarter,
        /// Quarters ending with --quarter, in one stage.
        #[arg(long, default_value_t = 1)]
        quarters: usize,
        #[arg(long, value_enum, default_value_t = BenchPlan::Fused)]
        plan: BenchPlan,
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Decode just the columns the framework's SQL names, nothing else.
    Scan {
        #[command(flatten)]
        input: BenchInput,
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// Write the stage's SQL, parameters and files as JSON for DuckDB.
    Export {
        #[command(flatten)]
        input: BenchInput,
        #[arg(long)]
        quarter: Quarter,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measurements for scripts/bench (hidden; see docs/performance.md).
    #[command(hide = true, subcommand)]
    Bench(BenchCommand),
    /// Score, rank and report one quarter.
    Run {
        /// Directory of Parquet extracts (data contract layout or a catalog).
        #[arg(long, default_value = "data-samples")]
        data: PathBuf,
        /// Source catalog; default <data>/catalog.toml when present.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Framework directory.
        #[arg(long, default_value = "indicators")]
        framework: PathBuf,
        /// Quarter to assess, e.g. 2026Q3; default the latest in the data.
        #[arg(long)]
        quarter: Option<Quarter>,
        /// Output directory; default reports/<quarter>/.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the compiled data-point SQL and stop.
        #[arg(long)]
        explain: bool,
        /// Query threads; default the number of cores.
        #[arg(long)]
        threads: Option<usize>,
        /// Memory for queries, e.g. 512M or 4G: operators spill to disk
        /// (the system temp directory) beyond it; default no limit.
        #[arg(long, value_parser = parse_size)]
        memory_limit: Option<usize>,
        /// Language of the report: zh (Chinese) or en (English).
        #[arg(long, value_enum, default_value = "zh")]
        lang: qinglian::report::Lang,
        /// The public edition: petition counts below [report] small_cell_k
        /// (default 3) show as "<3".
        #[arg(long)]
        public: bool,
        /// Scores and ranking only, for batch jobs: ranking.csv,
        /// scores.parquet, weights.csv, rejects/ and manifest.json; no
        /// report.html, village pages or charts.
        #[arg(long, conflicts_with_all = ["lang", "public"])]
        no_report: bool,
    },
    /// Check data against the contract without scoring.
    Validate {
        #[arg(long, default_value = "data-samples")]
        data: PathBuf,
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Also write rejects/<table>.csv here.
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
    /// Generate a synthetic district (fictional places, planted misconduct).
    Generate {
        /// Output directory (created; must be empty or absent).
        #[arg(long)]
        out: PathBuf,
        /// Which district: the standard one, or the field profile.
        #[arg(long, value_enum, default_value_t = GenerateProfile::Standard)]
        profile: GenerateProfile,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 60)]
        villages: usize,
        #[arg(long, default_value_t = 6)]
        townships: usize,
        /// Last quarter of history.
        #[arg(long, default_value = "2026Q3")]
        last_quarter: Quarter,
        /// Quarters of history.
        #[arg(long, default_value_t = 8)]
        quarters: usize,
        /// Share of villages with planted misconduct.
        #[arg(long, default_value_t = 0.12)]
        planted_share: f64,
        /// Multiplier on event volumes (benchmarks).
        #[arg(long, default_value_t = 1.0)]
        volume_factor: f64,
        /// Insert a handful of invalid rows (listed in defects.csv).
        #[arg(long)]
        defects: bool,
    },
    /// Grow a framework with generated indicators and data points, to test
    /// and measure the engine at the scale of a 188-indicator platform.
    GenerateFramework {
        /// Output directory: <out>/indicators and <out>/sql are replaced.
        #[arg(long)]
        out: PathBuf,
        /// The framework to grow.
        #[arg(long, default_value = "indicators")]
        from: PathBuf,
        #[arg(long, default_value_t = 188)]
        indicators: usize,
        #[arg(long, default_value_t = 202)]
        datapoints: usize,
    },
    /// Measure which indicators catch which known pattern (AUC per pattern
    /// and indicator), from a truth file of known villages.
    Calibrate {
        #[arg(long, default_value = "data-samples")]
        data: PathBuf,
        #[arg(long)]
        catalog: Option<PathBuf>,
        #[arg(long, default_value = "indicators")]
        framework: PathBuf,
        /// CSV village_code,pattern,from_quarter,to_quarter; default
        /// <data>/ground_truth.csv.
        #[arg(long)]
        truth: Option<PathBuf>,
        #[arg(long)]
        quarter: Option<Quarter>,
        /// Write the Markdown here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The baseline framework the index is compared with.
        #[arg(long, default_value = "indicators/naive-analyst")]
        baseline: PathBuf,
        /// CSV village_code,group of honest look-alikes; default
        /// <data>/lookalikes.csv when present.
        #[arg(long)]
        lookalikes: Option<PathBuf>,
        /// Also write the comparison with the baseline as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Score a table of precomputed indicators (CSV, one row per unit)
    /// against a framework table in COINr's iMeta layout.
    Score {
        /// The unit × indicator table.
        #[arg(long)]
        table: PathBuf,
        /// The framework table (Level, iCode, Direction, Weight, Parent, Type).
        #[arg(long)]
        meta: PathBuf,
        /// The table's unit id column.
        #[arg(long, default_value = "uCode")]
        unit_column: String,
        /// min_max, z_score or percentile_rank.
        #[arg(long, default_value = "min_max")]
        normalisation: String,
        /// Output range of min_max and percentile_rank, as LOW,HIGH.
        #[arg(long, default_value = "0,100")]
        range: String,
        /// Mean and standard deviation of z_score, as MEAN,SD.
        #[arg(long, default_value = "50,10")]
        z_score: String,
        /// none or jrc (winsorise, then log, as COINr's default).
        #[arg(long, default_value = "none")]
        treatment: String,
        /// arithmetic or geometric, at every level.
        #[arg(long, default_value = "arithmetic")]
        aggregation: String,
        /// Output CSV: normalised indicators and every aggregate.
        #[arg(long)]
        out: PathBuf,
    },
    /// List the framework's indicators, or show one.
    Indicators {
        #[arg(long, default_value = "indicators")]
        framework: PathBuf,
        #[command(subcommand)]
        action: Option<IndicatorsAction>,
    },
}

#[derive(Debug, Subcommand)]
pub enum IndicatorsAction {
    /// One line per indicator.
    List,
    /// One indicator's documentation.
    Show { id: String },
    /// The whole framework's reference in Markdown (docs/indicators.md).
    Docs {
        /// Write it to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// A size in bytes: a number with an optional K, M, G or T (powers of 1024).
fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let (digits, unit) = t
        .find(|c: char| !c.is_ascii_digit())
        .map_or((t, ""), |i| t.split_at(i));
    let factor: usize = match unit.trim().to_ascii_uppercase().trim_end_matches('B') {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => {
            return Err(format!(
                "'{text}': use a number of bytes with K, M, G or T, e.g. 512M"
            ));
        }
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            format!("'{text}': use a positive number of bytes with K, M, G or T, e.g. 512M")
        })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QINGLIAN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    match commands::run(cli).context("qinglian failed") {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            let kind = err
                .chain()
                .find_map(|e| e.downcast_ref::<Error>())
                .map(Error::kind);
            ExitCode::from(match kind {
                Some(ErrorKind::Config) => 2,
                Some(ErrorKind::Data) => 3,
                Some(ErrorKind::Resources) => 5,
                Some(ErrorKind::Internal) | None => 1,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("4gb"), Ok(4 << 30));
        for bad in ["", "0", "12Q", "M", "-1G", "1.5G"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }
}

//! The command line: every flag, default and help text of `qinglian`, and
//! nothing else. The clap types live here, so the library needs no clap;
//! each enumerated flag has a `ValueEnum` mirror here that converts into
//! the library's type with `From`.
//!
//! `commands.rs` turns the parsed [`Cli`] into library calls, one function
//! per subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use qinglian::engine::{method, treatment::OutlierRule};
use qinglian::period::Quarter;

/// `--version`: qinglian's version and the data contract's it implements
/// (`tests/cli.rs` checks it against `contract::CONTRACT_VERSION`).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (data contract 1)");

/// qinglian (清廉): the quarterly village integrity index.
#[derive(Debug, Parser)]
#[command(name = "qinglian", version = VERSION, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log more (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// How the log on standard error is written: text for people, or
    /// json for batch jobs (one object per line, README "Logs").
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// No progress bars and no closing line (warnings and errors still go
    /// to standard error). Bars are drawn only when standard error is a
    /// terminal and the log is text.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measurements for scripts/bench (hidden; see docs/performance.md).
    #[command(hide = true, subcommand)]
    Bench(BenchCommand),
    /// Score, rank and report one quarter.
    Run(RunArgs),
    /// Check data against the contract without scoring.
    Validate(ValidateArgs),
    /// The source catalog: `catalog init` drafts catalog.toml from the
    /// extracts (docs/catalog.md).
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Generate a synthetic district (fictional places, planted misconduct).
    Generate(GenerateArgs),
    /// Grow a framework with generated indicators and data points, to test
    /// and measure the engine at the scale of a 188-indicator platform.
    GenerateFramework(GenerateFrameworkArgs),
    /// Measure which indicators catch which known pattern (AUC per pattern
    /// and indicator), from a truth file of known villages.
    Calibrate(CalibrateArgs),
    /// Score a table of precomputed indicators (CSV, one row per unit)
    /// against a framework table in COINr's iMeta layout.
    Score(ScoreArgs),
    /// List the framework's indicators, or show one.
    Indicators(IndicatorsArgs),
    /// The nodes of an Apache DataFusion Ballista cluster for `--cluster`:
    /// one scheduler, any number of executors (docs/distributed.md).
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Print a shell completion script: `qinglian completions bash >
    /// /etc/bash_completion.d/qinglian` (also zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `qinglian man > qinglian.1`.
    Man,
}

/// `qinglian cluster ...`: Ballista's processes, with Ballista's flag names.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// The scheduler: plans every query and hands its tasks to executors.
    Scheduler(SchedulerArgs),
    /// An executor: runs tasks; reads the data at the client's path.
    Executor(ExecutorArgs),
}

/// `qinglian cluster scheduler`.
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind_host: String,
    /// Port for clients and executors (the df:// port).
    #[arg(long, default_value_t = 50050)]
    pub bind_port: u16,
    /// The host name executors and clients reach this scheduler by.
    #[arg(long, default_value = "localhost")]
    pub external_host: String,
    /// Seconds without a heartbeat after which an executor is lost and its
    /// tasks rescheduled.
    #[arg(long, default_value_t = 180)]
    pub executor_timeout_seconds: u64,
    /// How often lost executors are looked for, in seconds.
    #[arg(long, default_value_t = 15)]
    pub expire_dead_executor_interval_seconds: u64,
}

/// `qinglian cluster executor`.
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The scheduler's host.
    #[arg(long, default_value = "localhost")]
    pub scheduler_host: String,
    /// The scheduler's port.
    #[arg(long, default_value_t = 50050)]
    pub scheduler_port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind_host: String,
    /// The host name the scheduler and other executors reach this one by;
    /// default what the scheduler sees.
    #[arg(long)]
    pub external_host: Option<String>,
    /// Port of the Arrow Flight service (shuffle data).
    #[arg(long, default_value_t = 50051)]
    pub bind_port: u16,
    /// Port of the gRPC service (tasks).
    #[arg(long, default_value_t = 50052)]
    pub bind_grpc_port: u16,
    /// Tasks run at once; default the number of cores.
    #[arg(long)]
    pub concurrent_tasks: Option<usize>,
    /// Directory for shuffle files; default a temporary directory.
    #[arg(long)]
    pub work_dir: Option<String>,
    /// Memory for this executor's queries, e.g. 8G: operators spill to
    /// --work-dir beyond it; default no limit.
    #[arg(long, value_parser = parse_size)]
    pub memory_limit: Option<usize>,
    /// Seconds between heartbeats to the scheduler.
    #[arg(long, default_value_t = 60)]
    pub executor_heartbeat_interval_seconds: u64,
}

// ---------------------------------------------------------------------------
// Inputs shared by several subcommands (flattened into each).

/// `--data` and `--catalog`: the district's extracts.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Directory of Parquet extracts (data contract layout or a catalog).
    #[arg(long, default_value = "data-samples")]
    pub data: PathBuf,
    /// Source catalog; default <data>/catalog.toml when present.
    #[arg(long)]
    pub catalog: Option<PathBuf>,
}

/// `--cluster`: where the queries run.
#[derive(Debug, Args)]
pub struct ClusterArg {
    /// Run the queries on the Apache DataFusion Ballista cluster whose
    /// scheduler is at df://HOST:PORT; every executor must read --data at
    /// the same path (docs/distributed.md). Default: in this process.
    #[arg(long, value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,
}

/// `--framework`: the indicator framework.
#[derive(Debug, Args)]
pub struct FrameworkArg {
    /// Framework directory.
    #[arg(long, default_value = "indicators")]
    pub framework: PathBuf,
}

/// `--data`, `--catalog` and `--framework`: what a run scores.
#[derive(Debug, Args)]
pub struct InputArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub framework: FrameworkArg,
}

// ---------------------------------------------------------------------------
// One struct per subcommand.

/// `qinglian run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Quarter to assess, e.g. 2026Q3; default the latest in the data.
    #[arg(long)]
    pub quarter: Option<Quarter>,
    /// Output directory; default reports/<quarter>/.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the compiled data-point SQL and stop.
    #[arg(long)]
    pub explain: bool,
    /// Assess one county of a province extract: its villages only (the
    /// first 6 digits of the village code), normalised, ranked and tiered
    /// among themselves.
    #[arg(long, value_name = "CODE")]
    pub county: Option<String>,
    /// Score with this weights file (e.g. the one `calibrate --fit`
    /// writes) instead of the framework's own weights; the manifest names
    /// it. Default: the file `[framework] weights` names, else none.
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// Query threads; default the number of cores.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Memory for queries, e.g. 512M or 4G: operators spill to disk
    /// (the system temp directory) beyond it; default no limit.
    #[arg(long, value_parser = parse_size)]
    pub memory_limit: Option<usize>,
    /// Language of the report: zh (Chinese) or en (English).
    #[arg(long, value_enum, default_value_t = Lang::Zh)]
    pub lang: Lang,
    /// The public edition: petition counts below [report] small_cell_k
    /// (default 3) show as "<3".
    #[arg(long)]
    pub public: bool,
    /// A PNG beside every village chart, as [report] village_png = true
    /// does (the district charts always have theirs).
    #[arg(long)]
    pub village_png: bool,
    /// Scores and ranking only, for batch jobs: ranking.csv,
    /// ranking.xlsx, scores.parquet, weights.csv, rejects/ and
    /// manifest.json; no
    /// report.html, village pages or charts.
    #[arg(long, conflicts_with_all = ["lang", "public", "village_png"])]
    pub no_report: bool,
    /// The validation cache: tables whose files, catalog settings and
    /// framework are unchanged since a run that used it are not validated
    /// again. Default <parent of --out>/.qinglian-cache (reports/.qinglian-cache).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Validate every table, reading and writing no validation cache.
    #[arg(long, conflicts_with = "cache")]
    pub no_cache: bool,
    #[command(flatten)]
    pub cluster: ClusterArg,
}

/// `qinglian validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Also write rejects/<table>.csv here.
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    #[command(flatten)]
    pub cluster: ClusterArg,
}

/// `qinglian catalog ...`.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Draft a commented catalog.toml from the extracts in --data.
    ///
    /// Each table's file, encoding, delimiter and date formats, its headers
    /// matched to canonical names and its labels to canonical values; what
    /// is left to settle as comments. Edit it, then check it with
    /// `qinglian validate` (docs/catalog.md).
    Init(CatalogInitArgs),
}

/// `qinglian catalog init`.
#[derive(Debug, Args)]
pub struct CatalogInitArgs {
    /// Directory of the extracts (named after the contract's tables, or
    /// any CSV or Parquet file whose headers fit a table).
    #[arg(long)]
    pub data: PathBuf,
    /// Where to write the draft; default <data>/catalog.toml.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `qinglian generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output directory (created; must be empty or absent).
    #[arg(long)]
    pub out: PathBuf,
    /// Which district: the standard one, or the field profile.
    #[arg(long, value_enum, default_value_t = GenerateProfile::Standard)]
    pub profile: GenerateProfile,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 60)]
    pub villages: usize,
    #[arg(long, default_value_t = 6)]
    pub townships: usize,
    /// Counties the townships are spread over (a province extract; codes
    /// 9901NN), at most 99.
    #[arg(long, default_value_t = 1)]
    pub counties: usize,
    /// Last quarter of history.
    #[arg(long, default_value = "2026Q3")]
    pub last_quarter: Quarter,
    /// Quarters of history.
    #[arg(long, default_value_t = 8)]
    pub quarters: usize,
    /// Quarters at the end of the history with planted misconduct (the
    /// ground truth's span); more give `calibrate --fit` earlier quarters
    /// with known outcomes to learn from.
    #[arg(long, default_value_t = 2)]
    pub planted_quarters: usize,
    /// Share of villages with planted misconduct.
    #[arg(long, default_value_t = 0.12)]
    pub planted_share: f64,
    /// Multiplier on event volumes (benchmarks).
    #[arg(long, default_value_t = 1.0)]
    pub volume_factor: f64,
    /// Insert a handful of invalid rows (listed in defects.csv).
    #[arg(long)]
    pub defects: bool,
    /// Also write dispositions.parquet: verification outcomes for the red
    /// alerts of the planted quarter, consistent with the ground truth.
    #[arg(long)]
    pub dispositions: bool,
    /// How the sources are written: the contract's canonical Parquet, or as
    /// the district's systems export them (GB18030 and UTF-8 CSV, Chinese
    /// headers and labels, text dates, mixed types; catalog.toml maps them).
    #[arg(long, value_enum, default_value_t = ExportStyle::Canonical)]
    pub export_style: ExportStyle,
}

/// `qinglian generate-framework`.
#[derive(Debug, Args)]
pub struct GenerateFrameworkArgs {
    /// Output directory: <out>/indicators and <out>/sql are replaced.
    #[arg(long)]
    pub out: PathBuf,
    /// The framework to grow.
    #[arg(long, default_value = "indicators")]
    pub from: PathBuf,
    #[arg(long, default_value_t = 188)]
    pub indicators: usize,
    #[arg(long, default_value_t = 202)]
    pub datapoints: usize,
}

/// `qinglian calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// CSV village_code,pattern,from_quarter,to_quarter; default
    /// <data>/ground_truth.csv.
    #[arg(long)]
    pub truth: Option<PathBuf>,
    #[arg(long)]
    pub quarter: Option<Quarter>,
    /// Write the Markdown here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The baseline framework the index is compared with.
    #[arg(long, default_value = "indicators/naive-analyst")]
    pub baseline: PathBuf,
    /// CSV village_code,group of honest look-alikes; default
    /// <data>/lookalikes.csv when present.
    #[arg(long)]
    pub lookalikes: Option<PathBuf>,
    /// Also write the comparison with the baseline as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Also measure, over the quarters in the data, how well each
    /// quarter's index foretells the cases filed in the next two quarters
    /// (AUC, bottom decile), against the baseline; needs no truth file.
    #[arg(long)]
    pub prospective: bool,
    /// Learn non-negative indicator weights from outcomes on the earlier
    /// quarters, judge them against the framework's own weights on the
    /// later quarters only (out-of-sample AUC), and write them as a
    /// weights file for `run --weights` (docs/methodology.md).
    #[arg(long)]
    pub fit: bool,
    /// What --fit learns from: verified alerts (`dispositions`) or a case
    /// filed in the next two quarters (`cases`). Default: dispositions
    /// when the data has the table, else cases.
    #[arg(long, value_enum, requires = "fit")]
    pub labels: Option<Labels>,
    /// Where --fit writes the learned weights [default: learned.toml].
    #[arg(long, value_name = "FILE", requires = "fit")]
    pub fit_out: Option<PathBuf>,
    /// Score the framework with this weights file instead of its own
    /// weights (the --fit comparison stays with the framework's own).
    #[arg(long, value_name = "FILE", conflicts_with = "fit")]
    pub weights: Option<PathBuf>,
    #[command(flatten)]
    pub cluster: ClusterArg,
}

/// What `calibrate --fit` learns from (`--labels`).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Labels {
    /// Alerts verification found true (the dispositions table).
    Dispositions,
    /// A case filed (立案) about the village in the next two quarters.
    Cases,
}

impl From<Labels> for qinglian::fitting::LabelSource {
    fn from(l: Labels) -> Self {
        match l {
            Labels::Dispositions => qinglian::fitting::LabelSource::Dispositions,
            Labels::Cases => qinglian::fitting::LabelSource::Cases,
        }
    }
}

/// `qinglian score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The unit × indicator table.
    #[arg(long)]
    pub table: PathBuf,
    /// The framework table (Level, iCode, Direction, Weight, Parent, Type).
    #[arg(long)]
    pub meta: PathBuf,
    /// The table's unit id column.
    #[arg(long, default_value = "uCode")]
    pub unit_column: String,
    /// How every indicator is normalised.
    #[arg(long, value_enum, default_value_t = Normalisation::MinMax)]
    pub normalisation: Normalisation,
    /// Output range of min_max and percentile_rank, as LOW,HIGH.
    #[arg(long, default_value = "0,100", value_parser = parse_pair)]
    pub range: (f64, f64),
    /// Mean and standard deviation of z_score, as MEAN,SD.
    #[arg(long, default_value = "50,10", value_parser = parse_pair)]
    pub z_score: (f64, f64),
    /// Outlier treatment of every indicator.
    #[arg(long, value_enum, default_value_t = Treatment::None)]
    pub treatment: Treatment,
    /// How every level aggregates its children.
    #[arg(long, value_enum, default_value_t = Aggregation::Arithmetic)]
    pub aggregation: Aggregation,
    /// Output CSV: normalised indicators and every aggregate.
    #[arg(long)]
    pub out: PathBuf,
}

/// `qinglian indicators`.
#[derive(Debug, Args)]
pub struct IndicatorsArgs {
    #[command(flatten)]
    pub framework: FrameworkArg,
    /// What to print; default `list`.
    #[command(subcommand)]
    pub action: Option<IndicatorsAction>,
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
    /// Write a copy of the default framework (indicators/ and sql/, with
    /// their comments) into a directory, to start a district's own.
    Init {
        /// Directory to write into (created; must not hold a framework).
        #[arg(long)]
        out: PathBuf,
    },
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

/// The district and framework a `qinglian bench` measurement reads. Unlike
/// [`DataArgs`], `--data` has no default (a benchmark names its district)
/// and there is no `--catalog`.
#[derive(Debug, Args)]
pub struct BenchInput {
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub framework: FrameworkArg,
}

// ---------------------------------------------------------------------------
// Enumerated flags, each converting into the library's type.

/// The report's language (`--lang`).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Lang {
    /// Chinese (default).
    Zh,
    /// English.
    En,
}

impl From<Lang> for qinglian::report::Lang {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::Zh => qinglian::report::Lang::Zh,
            Lang::En => qinglian::report::Lang::En,
        }
    }
}

/// Which synthetic district `generate` writes (`--profile`).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GenerateProfile {
    /// The district the index is calibrated on.
    Standard,
    /// Sparse, low-intensity misconduct among over-dispersed, seasonal
    /// ordinary life, with honest look-alike villages (lookalikes.csv).
    Field,
}

impl From<GenerateProfile> for qinglian::generate::Profile {
    fn from(profile: GenerateProfile) -> Self {
        match profile {
            GenerateProfile::Standard => qinglian::generate::Profile::Standard,
            GenerateProfile::Field => qinglian::generate::Profile::Field,
        }
    }
}

/// How `generate` writes the sources (`--export-style`).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportStyle {
    /// The data contract's canonical Parquet.
    Canonical,
    /// As real systems export them, with a catalog.toml that maps them.
    Real,
}

impl From<ExportStyle> for qinglian::generate::ExportStyle {
    fn from(style: ExportStyle) -> Self {
        match style {
            ExportStyle::Canonical => qinglian::generate::ExportStyle::Canonical,
            ExportStyle::Real => qinglian::generate::ExportStyle::Real,
        }
    }
}

/// How `bench stage` compiles the aggregate data points (`--plan`).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BenchPlan {
    /// One query per source.
    Fused,
    /// One query per data point.
    Naive,
}

impl From<BenchPlan> for qinglian::datapoints::Plan {
    fn from(plan: BenchPlan) -> Self {
        match plan {
            BenchPlan::Fused => qinglian::datapoints::Plan::Fused,
            BenchPlan::Naive => qinglian::datapoints::Plan::Naive,
        }
    }
}

/// The normalisations `score` offers (`--normalisation`); their parameters
/// come from `--range` and `--z-score`, see [`Normalisation::with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Normalisation {
    /// Min-max within the table, onto --range.
    MinMax,
    /// z-scores, onto --z-score's mean and standard deviation.
    ZScore,
    /// Percentile ranks, onto --range.
    PercentileRank,
}

impl Normalisation {
    /// The library's normalisation, with `--range` as (low, high) and
    /// `--z-score` as (mean, sd).
    pub fn with(self, (low, high): (f64, f64), (mean, sd): (f64, f64)) -> method::Normalisation {
        match self {
            Normalisation::MinMax => method::Normalisation::MinMax { low, high },
            Normalisation::ZScore => method::Normalisation::ZScore { mean, sd },
            Normalisation::PercentileRank => method::Normalisation::PercentileRank { low, high },
        }
    }
}

/// The outlier treatments `score` offers (`--treatment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Treatment {
    /// The values as they are.
    None,
    /// Winsorise, then log, as COINr's default.
    Jrc,
}

impl From<Treatment> for method::Treatment {
    fn from(treatment: Treatment) -> Self {
        match treatment {
            Treatment::None => method::Treatment::None,
            Treatment::Jrc => method::Treatment::Jrc(OutlierRule::default()),
        }
    }
}

/// The aggregations `score` offers (`--aggregation`), at every level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Aggregation {
    /// Weighted arithmetic mean.
    Arithmetic,
    /// Weighted geometric mean; needs scores of at least 1.
    Geometric,
}

impl From<Aggregation> for method::Aggregation {
    fn from(aggregation: Aggregation) -> Self {
        match aggregation {
            Aggregation::Arithmetic => method::Aggregation::Arithmetic,
            Aggregation::Geometric => method::Aggregation::Geometric,
        }
    }
}

// ---------------------------------------------------------------------------
// Value parsers.

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

/// Two finite comma-separated numbers, as `0,100`.
fn parse_pair(text: &str) -> Result<(f64, f64), String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    match parts.as_slice() {
        [a, b] => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(a), Ok(b)) if a.is_finite() && b.is_finite() => Ok((a, b)),
            _ => Err("expected two numbers, as 0,100".into()),
        },
        _ => Err("expected two numbers, as 0,100".into()),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::{Cli, parse_pair, parse_size};

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

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

    #[test]
    fn pairs_take_two_finite_numbers() {
        assert_eq!(parse_pair("0,100"), Ok((0.0, 100.0)));
        assert_eq!(parse_pair(" 50 , 10 "), Ok((50.0, 10.0)));
        for bad in ["", "1", "1,2,3", "a,1", "1,inf", "NaN,1"] {
            assert!(parse_pair(bad).is_err(), "{bad:?}");
        }
    }
}

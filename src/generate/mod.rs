//! Synthetic district generator: a fictional district's reference tables and
//! four sources, written as Parquet by the data contract, with planted
//! misconduct and its ground truth; deterministic by seed. Also grows a
//! framework to a given size for scale tests ([`scale_framework`]).
//!
//! Two profiles: [`Profile::Standard`], the district the index was
//! calibrated on, and [`Profile::Field`] (module `field`), written
//! separately from a description of how misconduct and its honest
//! look-alikes appear in real records: sparser, noisier, with look-alike
//! villages listed in `lookalikes.csv`.
//!
//! Every (table, village, quarter) cell draws from its own ChaCha8 stream,
//! so the output does not depend on the order in which cells are built, and
//! each table is written on its own, batch by batch, through one Parquet
//! writer per file: memory stays small at province scale. Every table goes
//! through one row builder (module `sink`) whose columns, order and types
//! come from the data contract (`crate::contract`); each source says only
//! how its rows fill them (`sink::Row`). A source's events are drawn cell
//! by cell (`district::Cell`: a village in one quarter).

mod assistance;
mod cases;
mod district;
mod export;
mod field;
mod framework;
mod names;
mod petitions;
mod reference;
mod rng;
mod sink;
mod trading;
mod vocab;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::period::Quarter;
use district::{District, MAX_PER_TOWNSHIP, MAX_TOWNSHIPS};
pub use framework::{ScaleOptions, ScaleSummary, scale_framework};

/// Which synthetic district to generate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profile {
    /// The district the index is calibrated on.
    #[default]
    Standard,
    /// A district written from how misconduct and its honest look-alikes
    /// show in real records: low-intensity planting, over-dispersed
    /// volumes, seasonality and look-alike villages (`lookalikes.csv`).
    Field,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Standard => "standard",
            Profile::Field => "field",
        }
    }
}

/// How the generated sources are written (`--export-style`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExportStyle {
    /// The data contract's Parquet (cases with its extract headers).
    #[default]
    Canonical,
    /// As the district's systems export them (module `export`): petitions
    /// as a GB18030 CSV, cases as a UTF-8 CSV with a byte-order mark and
    /// `;`, trading as Parquet with the platform's types, all with Chinese
    /// labels, mapped back by `catalog.toml`.
    Real,
}

impl ExportStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStyle::Canonical => "canonical",
            ExportStyle::Real => "real",
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Which district: the standard one or the field profile.
    pub profile: Profile,
    /// Same seed and options give byte-identical files.
    pub seed: u64,
    /// Villages and communities in the district, at least 1.
    pub villages: usize,
    /// Townships the villages are spread over, at least 1.
    pub townships: usize,
    /// Counties the townships are spread over (1 to 99, at most the
    /// townships): more than one makes a province extract.
    pub counties: usize,
    /// Last quarter of the history.
    pub last_quarter: Quarter,
    /// Quarters of history ending at `last_quarter`, at least 1.
    pub quarters: usize,
    /// Quarters at the end of the history in which the planted misconduct
    /// runs (at least 1, at most the history; default 2): a longer run gives earlier
    /// quarters with known cases to learn weights from (`calibrate --fit`).
    pub planted_quarters: usize,
    /// Share of villages with planted misconduct.
    pub planted_share: f64,
    /// Multiplies event volumes (for benchmarks).
    pub volume_factor: f64,
    /// Insert a handful of invalid rows, listed in `defects.csv`.
    pub defects: bool,
    /// Write `dispositions.parquet`: what verification found for the red
    /// alerts of the planted quarter, consistent with the ground truth.
    pub dispositions: bool,
    /// Canonical files, or the sources as real systems export them.
    pub export_style: ExportStyle,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            profile: Profile::Standard,
            seed: 1,
            villages: 60,
            townships: 6,
            counties: 1,
            last_quarter: Quarter::new(2026, 3).expect("2026Q3 is a quarter"),
            quarters: 8,
            planted_quarters: 2,
            planted_share: 0.12,
            volume_factor: 1.0,
            defects: false,
            dispositions: false,
            export_style: ExportStyle::Canonical,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone)]
pub struct GenerateSummary {
    pub villages: usize,
    /// Table name -> rows written (defect rows included).
    pub rows: BTreeMap<String, u64>,
    /// Villages with planted misconduct, by village code.
    pub planted: Vec<PlantedVillage>,
    /// Clean villages that honestly look like misconduct (field profile
    /// only; empty for the standard one), by village code.
    pub lookalikes: Vec<LookalikeVillage>,
}

/// A clean village in one or more honest look-alike groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookalikeVillage {
    pub village_code: String,
    pub groups: Vec<Lookalike>,
}

/// A village with planted misconduct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantedVillage {
    pub village_code: String,
    pub patterns: Vec<Pattern>,
}

/// A kind of planted misconduct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pattern {
    /// Repeated, partly substantiated accusations against the leaders.
    PetitionPressure,
    /// Works split into awards just below the approval threshold.
    BidSplitting,
    /// Awards to suppliers linked to the village's cadres.
    CronyContracts,
    /// Assistance for cadres' kin, the dead and the ineligible.
    BenefitCapture,
    /// A cluster of clues and filed cases against the cadres.
    CaseCluster,
    /// An invited tender with a short call and one bidder, won by a
    /// cadre-linked firm at the ceiling (field profile).
    CollusiveTender,
    /// Enrolments still paid a quarter or more after the beneficiary's
    /// death (field profile).
    DeceasedBenefits,
}

impl Pattern {
    /// The standard profile's patterns, in planting order.
    pub const ALL: [Pattern; 5] = [
        Pattern::PetitionPressure,
        Pattern::BidSplitting,
        Pattern::CronyContracts,
        Pattern::BenefitCapture,
        Pattern::CaseCluster,
    ];

    /// The field profile's patterns, in planting order.
    pub const FIELD: [Pattern; 7] = [
        Pattern::PetitionPressure,
        Pattern::BidSplitting,
        Pattern::CronyContracts,
        Pattern::CollusiveTender,
        Pattern::BenefitCapture,
        Pattern::DeceasedBenefits,
        Pattern::CaseCluster,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::PetitionPressure => "petition_pressure",
            Pattern::BidSplitting => "bid_splitting",
            Pattern::CronyContracts => "crony_contracts",
            Pattern::BenefitCapture => "benefit_capture",
            Pattern::CaseCluster => "case_cluster",
            Pattern::CollusiveTender => "collusive_tender",
            Pattern::DeceasedBenefits => "deceased_benefits",
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A group of clean villages whose honest records look like misconduct
/// (field profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lookalike {
    /// Remote villages: few suppliers, single bids and inquiry awards are
    /// normal; fair prices, published results.
    RemoteSingleBid,
    /// Poor villages with high dibao and tekun rates, all eligible.
    PoorHighDibao,
    /// Many requests and enquiries, some accusations found unsubstantiated,
    /// from many different complainants.
    NoisyClean,
    /// A cadre-linked firm, disclosed, wins a genuinely open tender at a
    /// normal price.
    LinkedFairWinner,
    /// Several beneficiaries die and their enrolments end after an
    /// ordinary lag.
    BackgroundDeaths,
}

impl Lookalike {
    pub const ALL: [Lookalike; 5] = [
        Lookalike::RemoteSingleBid,
        Lookalike::PoorHighDibao,
        Lookalike::NoisyClean,
        Lookalike::LinkedFairWinner,
        Lookalike::BackgroundDeaths,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Lookalike::RemoteSingleBid => "remote_single_bid",
            Lookalike::PoorHighDibao => "poor_high_dibao",
            Lookalike::NoisyClean => "noisy_clean",
            Lookalike::LinkedFairWinner => "linked_fair_winner",
            Lookalike::BackgroundDeaths => "background_deaths",
        }
    }
}

impl fmt::Display for Lookalike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("invalid generator options: {0}")]
    InvalidOptions(String),

    #[error("writing {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("writing Parquet file {}: {source}", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// Building a record batch of the named table failed.
    #[error("building a record batch of {0}: {1}")]
    Arrow(String, #[source] arrow::error::ArrowError),

    #[error("writing CSV file {}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
}

impl GenerateError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn parquet(path: &Path) -> impl FnOnce(parquet::errors::ParquetError) -> Self + '_ {
        move |source| Self::Parquet {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn csv(path: &Path) -> impl FnOnce(csv::Error) -> Self + '_ {
        move |source| Self::Csv {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// An invalid row inserted on purpose (`defects = true`).
#[derive(Debug, Clone)]
pub(crate) struct Defect {
    pub table: &'static str,
    /// The row's id, or where the row is when its id is missing.
    pub row_id: String,
    pub defect: String,
}

impl Defect {
    pub(crate) fn new(table: &'static str, row_id: String, defect: impl Into<String>) -> Self {
        Self {
            table,
            row_id,
            defect: defect.into(),
        }
    }
}

/// Generates a synthetic district into `out_dir` (created if needed).
///
/// Writes `villages.parquet`, `counties.parquet`, `cadres.parquet`, `relations.parquet`,
/// `petitions/quarter=YYYYQn/part-0.parquet`, `cases.parquet` (Chinese
/// headers, loosened types, mapped by `catalog.toml`), `trading/YYYY.parquet`,
/// `assistance.parquet`, `ground_truth.csv` and, with defects, `defects.csv`.
/// Files this generator wrote into `out_dir` before (old partitions, an old
/// `defects.csv`, the other profile's layout) are removed first; nothing
/// else is touched. The field profile's layout is in `field`. With
/// [`ExportStyle::Real`] the sources are then rewritten as real systems
/// export them (module `export`), and `catalog.toml` describes them all.
pub fn generate(opts: &GenerateOptions, out_dir: &Path) -> Result<GenerateSummary, GenerateError> {
    validate(opts)?;
    std::fs::create_dir_all(out_dir).map_err(GenerateError::io(out_dir))?;
    remove_stale(out_dir)?;
    let d = District::build(opts);
    let mut summary = if opts.profile == Profile::Field {
        field::generate(&d, out_dir)?
    } else {
        standard(&d, opts, out_dir)?
    };
    // Both profiles: verification outcomes consistent with the truth.
    if opts.dispositions {
        summary
            .rows
            .insert("dispositions".to_string(), write_dispositions(&d, out_dir)?);
    }
    if opts.export_style == ExportStyle::Real {
        export::restyle(out_dir)?;
    }
    Ok(summary)
}

/// The standard profile's district, written into `out_dir`.
fn standard(
    d: &District,
    opts: &GenerateOptions,
    out_dir: &Path,
) -> Result<GenerateSummary, GenerateError> {
    let mut defects = Vec::new();
    let mut rows = reference::write(d, out_dir)?;
    rows.insert(
        "petitions".to_string(),
        petitions::write(d, out_dir, &mut defects)?,
    );
    rows.insert("cases".to_string(), cases::write(d, out_dir, &mut defects)?);
    rows.insert(
        "trading".to_string(),
        trading::write(d, out_dir, &mut defects)?,
    );
    rows.insert(
        "assistance".to_string(),
        assistance::write(d, out_dir, &mut defects)?,
    );
    write_catalog(out_dir)?;
    let planted = planted(d);
    write_ground_truth(d, &planted, out_dir)?;
    if opts.defects {
        write_defects(&defects, out_dir)?;
    }
    Ok(GenerateSummary {
        villages: d.villages.len(),
        rows,
        planted,
        lookalikes: Vec::new(),
    })
}

fn validate(o: &GenerateOptions) -> Result<(), GenerateError> {
    let bad = |m: String| Err(GenerateError::InvalidOptions(m));
    if o.villages == 0 {
        return bad("villages must be at least 1".into());
    }
    if o.townships == 0 || o.townships > MAX_TOWNSHIPS {
        return bad(format!(
            "townships must be 1 to {MAX_TOWNSHIPS} (three-digit township codes), not {}",
            o.townships
        ));
    }
    if o.counties == 0 || o.counties > district::MAX_COUNTIES || o.counties > o.townships {
        return bad(format!(
            "counties must be 1 to {} and at most the townships ({}), not {}",
            district::MAX_COUNTIES,
            o.townships,
            o.counties
        ));
    }
    if o.townships > o.villages {
        return bad(format!(
            "townships ({}) must not exceed villages ({}): every township needs a village",
            o.townships, o.villages
        ));
    }
    if o.villages > o.townships * MAX_PER_TOWNSHIP {
        return bad(format!(
            "{} villages do not fit in {} townships: a township holds at most {MAX_PER_TOWNSHIP} \
             (communities 001-199, villages 201-399); raise townships to at least {}",
            o.villages,
            o.townships,
            o.villages.div_ceil(MAX_PER_TOWNSHIP)
        ));
    }
    if o.quarters == 0 || o.quarters > 200 {
        return bad(format!("quarters must be 1 to 200, not {}", o.quarters));
    }
    if o.planted_quarters == 0 {
        return bad("planted_quarters must be at least 1".to_string());
    }
    let first = o.last_quarter.offset(-(o.quarters as i32 - 1));
    if first.year() < 1980 || o.last_quarter.year() > 2999 {
        return bad(format!(
            "the history {first} to {} must lie between 1980 and 2999",
            o.last_quarter
        ));
    }
    if !(0.0..=1.0).contains(&o.planted_share) {
        return bad(format!(
            "planted_share must be between 0 and 1, not {}",
            o.planted_share
        ));
    }
    if !o.volume_factor.is_finite() || o.volume_factor < 0.0 || o.volume_factor > 10_000.0 {
        return bad(format!(
            "volume_factor must be between 0 and 10000, not {}",
            o.volume_factor
        ));
    }
    if o.defects && o.profile == Profile::Field {
        return bad("defects are inserted by the standard profile only; leave out --defects with the field profile".into());
    }
    Ok(())
}

/// Removes what an earlier run of the generator (of either profile) left
/// that this run might not overwrite: partitions of other quarters or
/// years, an old defects or look-alike list, the other profile's layout
/// (`petitions.parquet`, quarter partitions of `trading`), the real export
/// style's CSV extracts.
fn remove_stale(out_dir: &Path) -> Result<(), GenerateError> {
    export::remove_stale(out_dir)?;
    for name in [
        "defects.csv",
        "lookalikes.csv",
        "petitions.parquet",
        "dispositions.parquet",
    ] {
        let path = out_dir.join(name);
        if path.is_file() {
            std::fs::remove_file(&path).map_err(GenerateError::io(&path))?;
        }
    }
    remove_quarter_partitions(&out_dir.join("petitions"))?;
    // An emptied directory would read as a source without files.
    let _ = std::fs::remove_dir(out_dir.join("petitions"));
    remove_quarter_partitions(&out_dir.join("trading"))?;
    let trading = out_dir.join("trading");
    for entry in read_dir_sorted(&trading)? {
        let name = entry
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let is_year = name
            .strip_suffix(".parquet")
            .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()));
        if is_year && entry.is_file() {
            std::fs::remove_file(&entry).map_err(GenerateError::io(&entry))?;
        }
    }
    Ok(())
}

/// Removes `quarter=YYYYQn/part-0.parquet` under `dir` (and the partition
/// directory when that leaves it empty).
fn remove_quarter_partitions(dir: &Path) -> Result<(), GenerateError> {
    for entry in read_dir_sorted(dir)? {
        let name = entry
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let is_partition = name
            .strip_prefix("quarter=")
            .is_some_and(|q| q.parse::<Quarter>().is_ok());
        let part = entry.join("part-0.parquet");
        if is_partition && part.is_file() {
            std::fs::remove_file(&part).map_err(GenerateError::io(&part))?;
            // Leave the directory if something else is in it.
            let _ = std::fs::remove_dir(&entry);
        }
    }
    Ok(())
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, GenerateError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(GenerateError::io(dir))? {
        out.push(entry.map_err(GenerateError::io(dir))?.path());
    }
    out.sort();
    Ok(out)
}

fn planted(d: &District) -> Vec<PlantedVillage> {
    d.villages
        .iter()
        .filter(|v| !v.patterns.is_empty())
        .map(|v| PlantedVillage {
            village_code: v.code.clone(),
            patterns: v.patterns.clone(),
        })
        .collect()
}

fn write_text(path: &Path, text: &str) -> Result<(), GenerateError> {
    let mut f = std::fs::File::create(path).map_err(GenerateError::io(path))?;
    f.write_all(text.as_bytes())
        .map_err(GenerateError::io(path))
}

fn write_catalog(out_dir: &Path) -> Result<(), GenerateError> {
    let mut text = String::from(
        "# Source catalog: where each table is and how its columns map to the data contract.\n\
         [sources.cases]\n\
         path = \"cases.parquet\"\n\
         [sources.cases.columns]\n",
    );
    for (header, canonical) in vocab::CASES_HEADERS {
        text.push_str(&format!("\"{header}\" = \"{canonical}\"\n"));
    }
    write_text(&out_dir.join("catalog.toml"), &text)
}

fn write_ground_truth(
    d: &District,
    planted: &[PlantedVillage],
    out_dir: &Path,
) -> Result<(), GenerateError> {
    let path = out_dir.join("ground_truth.csv");
    let mut rows: Vec<(&str, &str)> = planted
        .iter()
        .flat_map(|p| {
            p.patterns
                .iter()
                .map(|pat| (p.village_code.as_str(), pat.as_str()))
        })
        .collect();
    rows.sort_unstable();
    let from = d.planted_from.to_string();
    let last = d.quarters[d.quarters.len() - 1];
    // A rectified village's misconduct ends with its rectification.
    let until: BTreeMap<&str, String> = d
        .villages
        .iter()
        .map(|v| (v.code.as_str(), v.rectified.unwrap_or(last).to_string()))
        .collect();
    let header = ["village_code", "pattern", "from_quarter", "to_quarter"];
    let records = rows
        .into_iter()
        .map(|(code, pattern)| [code, pattern, &from, until[code].as_str()]);
    write_csv(&path, header, records)
}

/// The dispositions of a district whose commission verified the red
/// alerts of the first planted quarter (alert id
/// `<village>:red:<planted quarter>`), consistent with the ground truth:
/// of the planted villages, two in three confirmed (in the standard
/// profile each with the follow-on case it led to, `case_id`, and one in
/// three of them then rectified, their misconduct stopping after it:
/// `district::verify`), the rest still pending; as many clean villages as a
/// third of the planted ones found false positives. Decided in the quarter
/// after the first planted one (in it when it is the last), never after
/// the extract date.
fn write_dispositions(d: &District, out_dir: &Path) -> Result<u64, GenerateError> {
    use sink::{Layout, TableWriter};
    let first = d.planted_from;
    let last = d.quarters[d.quarters.len() - 1];
    let base = rng::day(first.next().min(last).start());
    let as_of = d.as_of;
    let mut w = TableWriter::create(
        &out_dir.join("dispositions.parquet"),
        Layout::canonical(&crate::contract::DISPOSITIONS),
    )?;
    let mut write = |code: &str, outcome: &str, day: i32, case: Option<String>| {
        let id = format!("{code}:red:{first}");
        w.row(|r| {
            r.text("alert_id", id.as_str());
            r.text("village_code", code);
            r.text("outcome", outcome);
            r.date("decided_date", day.min(as_of));
            r.text("case_id", case.as_deref());
        })
    };
    let planted: Vec<&district::Village> = d
        .villages
        .iter()
        .filter(|v| !v.patterns.is_empty())
        .collect();
    for v in &planted {
        match v.confirmed {
            Some(day) => {
                // The standard profile files a case on what was confirmed.
                let case = (d.profile == Profile::Standard).then(|| cases::follow_on_id(v, day));
                write(&v.code, "confirmed", day, case)?;
                if v.rectified.is_some() {
                    write(&v.code, "rectified", base + 50, None)?;
                }
            }
            None => write(&v.code, "pending", base + 15, None)?,
        }
    }
    let clean = d.villages.iter().filter(|v| v.patterns.is_empty());
    for (i, v) in clean.take(planted.len().div_ceil(3)).enumerate() {
        write(&v.code, "false_positive", base + 20 + i as i32 % 30, None)?;
    }
    w.close()
}

fn write_defects(defects: &[Defect], out_dir: &Path) -> Result<(), GenerateError> {
    let records = defects
        .iter()
        .map(|d| [d.table, d.row_id.as_str(), d.defect.as_str()]);
    let header = ["table", "row_id", "defect"];
    write_csv(&out_dir.join("defects.csv"), header, records)
}

/// Writes a CSV file: a header, then one record a row.
fn write_csv<'a, const N: usize>(
    path: &Path,
    header: [&str; N],
    records: impl IntoIterator<Item = [&'a str; N]>,
) -> Result<(), GenerateError> {
    let mut w = csv::Writer::from_path(path).map_err(GenerateError::csv(path))?;
    w.write_record(header).map_err(GenerateError::csv(path))?;
    for record in records {
        w.write_record(record).map_err(GenerateError::csv(path))?;
    }
    w.flush().map_err(GenerateError::io(path))
}

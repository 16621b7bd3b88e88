//! Tests of the generator: determinism, the contract's names, types and
//! enumerations, codes and ids, the planted ground truth and the defects.

use crate::contract;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{
    BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::rng::day;
use super::vocab;
use super::*;

pub(super) fn small(seed: u64) -> GenerateOptions {
    GenerateOptions {
        seed,
        villages: 24,
        townships: 4,
        quarters: 4,
        planted_share: 0.25,
        ..GenerateOptions::default()
    }
}

pub(super) fn run(opts: &GenerateOptions) -> (tempfile::TempDir, GenerateSummary) {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(opts, dir.path()).unwrap();
    (dir, summary)
}

/// Every file under `dir`, relative path -> bytes.
pub(super) fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// All rows of a Parquet file or of every Parquet file under a directory.
/// The files under `a`, after asserting that `b` holds the same files with
/// the same bytes.
pub(super) fn same_files(a: &Path, b: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let fa = files(a);
    let fb = files(b);
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (path, bytes) in &fa {
        assert!(
            bytes == &fb[path],
            "{} differs between runs",
            path.display()
        );
    }
    fa
}

pub(super) fn read(path: &Path) -> RecordBatch {
    let mut paths = Vec::new();
    if path.is_dir() {
        for (rel, _) in files(path) {
            if rel.extension().is_some_and(|e| e == "parquet") {
                paths.push(path.join(rel));
            }
        }
    } else {
        paths.push(path.to_path_buf());
    }
    let mut batches = Vec::new();
    for p in &paths {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(p).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for b in reader {
            batches.push(b.unwrap());
        }
    }
    let schema = batches[0].schema();
    concat_batches(&schema, &batches).unwrap()
}

/// Column `name` of `b` as an array of type `A`.
fn array<'b, A: 'static>(b: &'b RecordBatch, name: &str) -> &'b A {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_any()
        .downcast_ref::<A>()
        .unwrap_or_else(|| panic!("{name} is not a {}", std::any::type_name::<A>()))
}

pub(super) fn strings(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let a = array::<StringArray>(b, name);
    a.iter().map(|v| v.map(str::to_string)).collect()
}

pub(super) fn values(b: &RecordBatch, name: &str) -> Vec<String> {
    strings(b, name)
        .into_iter()
        .map(|s| s.unwrap_or_else(|| panic!("null in {name}")))
        .collect()
}

pub(super) fn dates(b: &RecordBatch, name: &str) -> Vec<Option<i32>> {
    array::<Date32Array>(b, name).iter().collect()
}

pub(super) fn floats(b: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    array::<Float64Array>(b, name).iter().collect()
}

pub(super) fn ints(b: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    array::<Int64Array>(b, name).iter().collect()
}

/// A flag column; a null reads as false.
pub(super) fn bools(b: &RecordBatch, name: &str) -> Vec<bool> {
    let a = array::<BooleanArray>(b, name);
    a.iter().map(Option::unwrap_or_default).collect()
}

/// The days of a millisecond timestamp column (the cases extract's
/// receipt day).
pub(super) fn timestamp_days(b: &RecordBatch, name: &str) -> Vec<i32> {
    let a = array::<TimestampMillisecondArray>(b, name);
    a.iter().map(|t| (t.unwrap() / 86_400_000) as i32).collect()
}

/// Every (village, cadre, relation, related id) the reference tables list.
pub(super) fn relations_by_village(root: &Path) -> Vec<(String, String, String, String)> {
    let c = read(&root.join("cadres.parquet"));
    let r = read(&root.join("relations.parquet"));
    let village: BTreeMap<String, String> = values(&c, "person_id")
        .into_iter()
        .zip(values(&c, "village_code"))
        .collect();
    let (cadres, relations) = (values(&r, "person_id"), values(&r, "relation"));
    cadres
        .into_iter()
        .zip(relations)
        .zip(values(&r, "related_id"))
        .map(|((p, rel), related)| (village[&p].clone(), p, rel, related))
        .collect()
}

fn assert_unique(table: &str, ids: impl IntoIterator<Item = String>) {
    let mut seen = BTreeSet::new();
    for id in ids {
        assert!(seen.insert(id.clone()), "{table}: {id} is not unique");
    }
}

fn check_enum(table: &str, b: &RecordBatch, column: &str, allowed: &[&str], nullable: bool) {
    for v in strings(b, column) {
        match v {
            None => assert!(nullable, "{table}.{column}: null"),
            Some(v) => assert!(
                allowed.contains(&v.as_str()),
                "{table}.{column}: '{v}' is not in the contract"
            ),
        }
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_data() {
    let mut opts = small(11);
    opts.defects = true;
    let (a, sa) = run(&opts);
    let (b, sb) = run(&opts);
    let fa = same_files(a.path(), b.path());
    assert_eq!(sa.rows, sb.rows);
    assert_eq!(sa.planted, sb.planted);

    let (c, _) = run(&small(12));
    let fc = files(c.path());
    for name in [
        "villages.parquet",
        "cadres.parquet",
        "assistance.parquet",
        "cases.parquet",
    ] {
        assert_ne!(fa[Path::new(name)], fc[Path::new(name)], "{name}");
    }
    let va = read(&a.path().join("villages.parquet"));
    let vc = read(&c.path().join("villages.parquet"));
    assert_ne!(values(&va, "village_name"), values(&vc, "village_name"));
}

#[test]
fn layout_names_and_types_follow_the_contract() {
    let (dir, summary) = run(&small(3));
    let root = dir.path();
    for q in ["2025Q4", "2026Q1", "2026Q2", "2026Q3"] {
        assert!(
            root.join(format!("petitions/quarter={q}/part-0.parquet"))
                .is_file(),
            "{q}"
        );
    }
    assert!(root.join("trading/2025.parquet").is_file());
    assert!(root.join("trading/2026.parquet").is_file());
    assert!(!root.join("defects.csv").exists());

    let petitions = read(&root.join("petitions"));
    assert!(petitions.column_by_name("quarter").is_none());
    for table in written().filter(|t| t.name != "cases") {
        let s = read(&root.join(standard_path(table.name))).schema();
        let names: Vec<&str> = s.fields().iter().map(|f| f.name().as_str()).collect();
        let want: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        assert_eq!(names, want, "{}", table.name);
        for (f, c) in s.fields().iter().zip(table.columns) {
            assert_eq!(f.data_type(), &c.kind.canonical_type(), "{}", c.name);
        }
    }
    // The cases extract: some Chinese headers, loosened types.
    use DataType::{Date32, Int32, Utf8};
    let cases = read(&root.join("cases.parquet")).schema();
    let cols: Vec<(&str, &DataType)> = cases
        .fields()
        .iter()
        .map(|f| (f.name().as_str(), f.data_type()))
        .collect();
    let received = DataType::Timestamp(TimeUnit::Millisecond, None);
    let amount = DataType::Decimal128(14, 2);
    let want: [(&str, &DataType); 13] = [
        ("线索编号", &Utf8),
        ("村居代码", &Utf8),
        ("subject_person_id", &Utf8),
        ("subject_role", &Utf8),
        ("受理日期", &received),
        ("线索来源", &Utf8),
        ("处置方式", &Utf8),
        ("filed_date", &Date32),
        ("closed_date", &Date32),
        ("violation", &Utf8),
        ("涉及金额", &amount),
        ("sanction", &Utf8),
        ("form", &Int32),
    ];
    assert_eq!(cols, want);

    let catalog = std::fs::read_to_string(root.join("catalog.toml")).unwrap();
    assert!(catalog.starts_with("# Source catalog"));
    assert!(
        catalog.contains("[sources.cases]\npath = \"cases.parquet\"\n[sources.cases.columns]\n")
    );
    for (h, c) in vocab::CASES_HEADERS {
        assert!(catalog.contains(&format!("\"{h}\" = \"{c}\"\n")), "{h}");
    }

    // Row counts in the summary are the rows in the files.
    for table in written() {
        let path = root.join(standard_path(table.name));
        let rows = read(&path).num_rows() as u64;
        assert_eq!(summary.rows[table.name], rows, "{}", table.name);
    }
}

/// The tables the generator writes: all but the dispositions, which come
/// from verifying a run's alerts.
fn written() -> impl Iterator<Item = &'static contract::Table> {
    contract::TABLES
        .iter()
        .copied()
        .filter(|t| t.name != contract::DISPOSITIONS.name)
}

/// Where the standard profile writes `table`: a file, or a directory of
/// partitions.
fn standard_path(table: &str) -> String {
    match table {
        "petitions" | "trading" => table.to_string(),
        _ => format!("{table}.parquet"),
    }
}

/// An enumeration's values, from the data contract itself.
fn enum_values(table: &contract::Table, column: &str) -> &'static [&'static str] {
    match table.column(column).map(|c| c.kind) {
        Some(contract::Kind::Enum(values)) => values,
        other => panic!("{}.{column} is not an enumeration: {other:?}", table.name),
    }
}

#[test]
fn enumerations_are_the_contracts() {
    let (dir, _) = run(&small(5));
    let root = dir.path();
    for table in written() {
        let b = read(&root.join(standard_path(table.name)));
        for c in table.columns {
            let contract::Kind::Enum(allowed) = c.kind else {
                continue;
            };
            let header = if table.name == "cases" {
                vocab::cases_header(c.name)
            } else {
                c.name
            };
            check_enum(table.name, &b, header, allowed, c.nullable);
        }
    }
    let k = read(&root.join("cases.parquet"));
    let forms = array::<arrow::array::Int32Array>(&k, "form");
    assert!(forms.iter().flatten().all(|f| (1..=4).contains(&f)));
    let t = read(&root.join("trading"));
    assert!(floats(&t, "budget").iter().all(|b| b.unwrap() > 0.0));
    let a = read(&root.join("assistance.parquet"));
    assert!(
        floats(&a, "monthly_amount")
            .iter()
            .all(|m| m.unwrap() >= 0.0)
    );
}

#[test]
fn codes_keys_and_ids_are_well_formed() {
    let (dir, summary) = run(&small(8));
    let root = dir.path();
    let v = read(&root.join("villages.parquet"));
    let codes = values(&v, "village_code");
    assert_eq!(codes.len(), summary.villages);
    let townships = values(&v, "township_code");
    for (code, township) in codes.iter().zip(&townships) {
        assert_eq!(code.len(), 12);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert!(code.starts_with("990101"));
        assert_eq!(&code[..9], township);
        let local: u32 = code[9..].parse().unwrap();
        assert!(
            (1..=199).contains(&local) || (201..=399).contains(&local),
            "{code}"
        );
    }
    let kinds = values(&v, "unit_type");
    for ((code, kind), pop) in codes.iter().zip(&kinds).zip(ints(&v, "population")) {
        let pop = pop.unwrap();
        assert!(pop > 0);
        let local: u32 = code[9..].parse().unwrap();
        assert_eq!(kind == "community", local < 200, "{code}");
        if kind == "community" {
            assert!((3000..=12000).contains(&pop));
        } else {
            assert!((600..=6000).contains(&pop));
        }
    }
    assert!(ints(&v, "households").iter().all(|h| h.unwrap() > 0));
    assert_unique("villages", codes.clone());
    assert_unique("village names", values(&v, "village_name"));
    let code_set: BTreeSet<String> = codes.into_iter().collect();

    let c = read(&root.join("cadres.parquet"));
    assert_unique("cadres", values(&c, "person_id"));
    for id in values(&c, "person_id") {
        assert!(id.len() == 11 && id.starts_with('P'), "{id}");
        assert!(id[1..].bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert!(
        values(&c, "village_code")
            .iter()
            .all(|v| code_set.contains(v))
    );
    let r = read(&root.join("relations.parquet"));
    let pairs: Vec<String> = values(&r, "person_id")
        .into_iter()
        .zip(values(&r, "related_id"))
        .map(|(a, b)| format!("{a}-{b}"))
        .collect();
    assert_unique("relations", pairs);
    for (id, rel) in values(&r, "related_id").iter().zip(values(&r, "relation")) {
        if contract::BUSINESS_RELATIONS.contains(&rel.as_str()) {
            assert!(id.len() == 9 && id.starts_with('S'), "{id}");
        } else {
            assert!(id.len() == 11 && id.starts_with('P'), "{id}");
        }
    }

    let p = read(&root.join("petitions"));
    assert_unique("petitions", values(&p, "petition_id"));
    for key in strings(&p, "complainant_key").into_iter().flatten() {
        assert!(key.len() == 11 && key.starts_with('C'), "{key}");
    }
    assert_unique(
        "cases",
        values(&read(&root.join("cases.parquet")), "线索编号"),
    );
    let t = read(&root.join("trading"));
    assert_unique("trading", values(&t, "project_id"));
    let a = read(&root.join("assistance.parquet"));
    assert_unique("assistance", values(&a, "record_id"));
    for h in values(&a, "household_id") {
        assert!(h.len() == 11 && h.starts_with('H'), "{h}");
    }
    // Trading files hold the awards of their year.
    for year in [2025, 2026] {
        let t = read(&root.join(format!("trading/{year}.parquet")));
        for d in dates(&t, "awarded_date") {
            assert_eq!(
                rng::date(d.unwrap()).format("%Y").to_string(),
                year.to_string()
            );
        }
    }
    // Partitions hold the petitions of their quarter; everything is in the window.
    let as_of = day(Quarter::new(2026, 3).unwrap().end()) - 1;
    for q in ["2025Q4", "2026Q3"] {
        let quarter: Quarter = q.parse().unwrap();
        let b = read(&root.join(format!("petitions/quarter={q}/part-0.parquet")));
        for d in dates(&b, "received_date") {
            assert_eq!(Quarter::containing(rng::date(d.unwrap())), quarter);
        }
        for d in dates(&b, "closed_date").into_iter().flatten() {
            assert!(d <= as_of);
        }
    }
}

#[test]
fn ground_truth_matches_the_summary_and_the_data() {
    let (dir, summary) = run(&GenerateOptions::default());
    let root = dir.path();
    assert_eq!(summary.villages, 60);
    assert_eq!(summary.planted.len(), 7);
    let patterns: BTreeSet<Pattern> = summary
        .planted
        .iter()
        .flat_map(|p| p.patterns.iter().copied())
        .collect();
    assert_eq!(patterns.len(), 5, "every pattern is planted");

    let mut expected: Vec<String> = summary
        .planted
        .iter()
        .flat_map(|p| {
            p.patterns
                .iter()
                .map(move |pat| format!("{},{},2026Q2,2026Q3", p.village_code, pat.as_str()))
        })
        .collect();
    expected.sort();
    let text = std::fs::read_to_string(root.join("ground_truth.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("village_code,pattern,from_quarter,to_quarter")
    );
    assert_eq!(lines.map(str::to_string).collect::<Vec<_>>(), expected);

    trading_patterns_show(root, &summary);
    petition_pressure_shows(root, &summary);
    capture_and_cluster_show(root, &summary);
}

/// The villages planted with `p`.
fn planted_with(summary: &GenerateSummary, p: Pattern) -> Vec<String> {
    summary
        .planted
        .iter()
        .filter(|v| v.patterns.contains(&p))
        .map(|v| v.village_code.clone())
        .collect()
}

/// The days of the default district's last quarter.
fn last_quarter_days() -> std::ops::Range<i32> {
    let last = Quarter::new(2026, 3).unwrap();
    day(last.start())..day(last.end())
}

/// (village, related id) of the cadres' firms and of their kin.
type Links = BTreeSet<(String, String)>;

fn firms_and_kin(root: &Path) -> (Links, Links) {
    let (mut firms, mut kin) = (Links::new(), Links::new());
    for (village, _, rel, related) in relations_by_village(root) {
        if contract::BUSINESS_RELATIONS.contains(&rel.as_str()) {
            firms.insert((village, related));
        } else {
            kin.insert((village, related));
        }
    }
    (firms, kin)
}

/// bid_splitting: budgets just below 100,000 with a single bidder;
/// crony_contracts: awards to a supplier linked to a cadre, unpublished.
fn trading_patterns_show(root: &Path, summary: &GenerateSummary) {
    let last = last_quarter_days();
    let t = read(&root.join("trading/2026.parquet"));
    let (tv, budget, bidders, awarded) = (
        values(&t, "village_code"),
        floats(&t, "budget"),
        ints(&t, "bidder_count"),
        dates(&t, "awarded_date"),
    );
    let in_last = |code: &str, i: usize| tv[i] == code && last.contains(&awarded[i].unwrap());
    for code in planted_with(summary, Pattern::BidSplitting) {
        let split = (0..t.num_rows())
            .filter(|&i| in_last(&code, i))
            .filter(|&i| {
                (90_000.0..100_000.0).contains(&budget[i].unwrap()) && bidders[i] == Some(1)
            })
            .count();
        assert!(split >= 3, "{code}: {split} split awards");
    }
    let (firms, _) = firms_and_kin(root);
    let winners = strings(&t, "winner_id");
    let publicized = bools(&t, "publicized");
    for code in planted_with(summary, Pattern::CronyContracts) {
        let n = (0..t.num_rows())
            .filter(|&i| in_last(&code, i))
            .filter(|&i| firms.contains(&(code.clone(), winners[i].clone().unwrap())))
            .filter(|&i| !publicized[i])
            .count();
        assert!(n >= 2, "{code}: {n} crony awards");
    }
}

/// petition_pressure: accusations naming the serving leaders; clean
/// villages stay quiet.
fn petition_pressure_shows(root: &Path, summary: &GenerateSummary) {
    let c = read(&root.join("cadres.parquet"));
    let p = read(&root.join("petitions/quarter=2026Q3/part-0.parquet"));
    let leaders: BTreeSet<String> = values(&c, "person_id")
        .into_iter()
        .zip(values(&c, "role"))
        .filter(|(_, r)| r == "secretary" || r == "director")
        .map(|(p, _)| p)
        .collect();
    let (pv, accused) = (values(&p, "village_code"), strings(&p, "accused_person_id"));
    let count_named = |code: &str| {
        (0..p.num_rows())
            .filter(|&i| pv[i] == code && accused[i].as_ref().is_some_and(|a| leaders.contains(a)))
            .count()
    };
    for code in planted_with(summary, Pattern::PetitionPressure) {
        assert!(count_named(&code) >= 3, "{code}");
    }
    let clean_max = summary
        .planted
        .iter()
        .fold(code_list(&root.join("villages.parquet")), |mut all, v| {
            all.remove(&v.village_code);
            all
        })
        .iter()
        .map(|c| count_named(c))
        .max()
        .unwrap();
    assert!(clean_max <= 2, "clean villages stay quiet: {clean_max}");
}

/// benefit_capture: unfiled kin enrolled in the last quarter;
/// case_cluster: verified clues with large amounts against cadres.
fn capture_and_cluster_show(root: &Path, summary: &GenerateSummary) {
    let last = last_quarter_days();
    let (_, kin) = firms_and_kin(root);
    let a = read(&root.join("assistance.parquet"));
    let (av, person, approved, filed) = (
        values(&a, "village_code"),
        values(&a, "person_id"),
        dates(&a, "approved_date"),
        bools(&a, "kin_filed"),
    );
    for code in planted_with(summary, Pattern::BenefitCapture) {
        let n = (0..a.num_rows())
            .filter(|&i| av[i] == code && last.contains(&approved[i].unwrap()))
            .filter(|&i| kin.contains(&(code.clone(), person[i].clone())) && !filed[i])
            .count();
        assert!(n >= 1, "{code}: {n} kin enrolments");
    }
    let k = read(&root.join("cases.parquet"));
    let kv = values(&k, "村居代码");
    let disposal = values(&k, "处置方式");
    for code in planted_with(summary, Pattern::CaseCluster) {
        let n = (0..k.num_rows())
            .filter(|&i| kv[i] == code && disposal[i] == "verify")
            .count();
        assert!(n >= 3, "{code}: {n} verified clues");
    }
}

fn code_list(path: &Path) -> BTreeSet<String> {
    values(&read(path), "village_code").into_iter().collect()
}

#[test]
fn defects_are_inserted_and_listed() {
    let mut opts = small(21);
    opts.defects = true;
    let (dir, _) = run(&opts);
    let root = dir.path();
    let text = std::fs::read_to_string(root.join("defects.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        ["table", "row_id", "defect"]
    );
    let listed: Vec<(String, String, String)> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string(), r[2].to_string())
        })
        .collect();
    assert_eq!(listed.len(), 6, "{listed:?}");

    let villages = code_list(&root.join("villages.parquet"));
    let p = read(&root.join("petitions"));
    let ids = strings(&p, "petition_id");
    let pv = values(&p, "village_code");
    let channels = values(&p, "channel");
    let unknown: Vec<usize> = (0..p.num_rows())
        .filter(|&i| !villages.contains(&pv[i]))
        .collect();
    assert_eq!(unknown.len(), 1);
    assert!(listed.contains(&(
        "petitions".into(),
        ids[unknown[0]].clone().unwrap(),
        format!("village_code {} is not in villages", pv[unknown[0]])
    )));
    assert_eq!(ids.iter().filter(|i| i.is_none()).count(), 1);
    let wechat: Vec<usize> = (0..p.num_rows())
        .filter(|&i| channels[i] == "wechat")
        .collect();
    assert_eq!(wechat.len(), 1);
    assert!(
        listed
            .iter()
            .any(|(t, id, _)| t == "petitions" && Some(id) == ids[wechat[0]].as_ref())
    );

    let k = read(&root.join("cases.parquet"));
    let bad: Vec<String> = values(&k, "处置方式")
        .into_iter()
        .zip(values(&k, "线索编号"))
        .filter(|(d, _)| !enum_values(&contract::CASES, "disposal").contains(&d.as_str()))
        .map(|(d, id)| {
            assert_eq!(d, "verified");
            id
        })
        .collect();
    assert_eq!(bad.len(), 1);
    assert!(
        listed
            .iter()
            .any(|(t, id, _)| t == "cases" && *id == bad[0])
    );

    let t = read(&root.join("trading"));
    let negative: Vec<String> = floats(&t, "budget")
        .into_iter()
        .zip(values(&t, "project_id"))
        .filter(|(b, _)| b.unwrap() < 0.0)
        .map(|(_, id)| id)
        .collect();
    assert_eq!(negative.len(), 1);
    assert!(
        listed
            .iter()
            .any(|(tb, id, _)| tb == "trading" && *id == negative[0])
    );

    let a = read(&root.join("assistance.parquet"));
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for id in values(&a, "record_id") {
        *counts.entry(id).or_default() += 1;
    }
    let dups: Vec<&String> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(dups.len(), 1);
    assert_eq!(counts[dups[0]], 2);
    assert!(
        listed
            .iter()
            .any(|(tb, id, _)| tb == "assistance" && id == dups[0])
    );

    // Off again: the old list is gone.
    opts.defects = false;
    generate(&opts, root).unwrap();
    assert!(!root.join("defects.csv").exists());
}

#[test]
fn regenerating_with_fewer_quarters_leaves_no_stale_partitions() {
    let dir = tempfile::tempdir().unwrap();
    generate(&small(2), dir.path()).unwrap();
    let mut opts = small(2);
    opts.quarters = 1;
    generate(&opts, dir.path()).unwrap();
    let left: Vec<String> = std::fs::read_dir(dir.path().join("petitions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["quarter=2026Q3"]);
    assert!(!dir.path().join("trading/2025.parquet").exists());
}

#[test]
fn invalid_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bad = [
        GenerateOptions {
            villages: 0,
            ..GenerateOptions::default()
        },
        GenerateOptions {
            townships: 0,
            ..GenerateOptions::default()
        },
        GenerateOptions {
            villages: 3,
            townships: 4,
            ..GenerateOptions::default()
        },
        GenerateOptions {
            villages: 900,
            townships: 2,
            ..GenerateOptions::default()
        },
        GenerateOptions {
            quarters: 0,
            ..GenerateOptions::default()
        },
        GenerateOptions {
            planted_share: 1.5,
            ..GenerateOptions::default()
        },
        GenerateOptions {
            planted_quarters: 0,
            ..GenerateOptions::default()
        },
        GenerateOptions {
            volume_factor: f64::NAN,
            ..GenerateOptions::default()
        },
    ];
    for opts in bad {
        let err = generate(&opts, dir.path()).unwrap_err();
        assert!(matches!(err, GenerateError::InvalidOptions(_)), "{err}");
    }
}

#[test]
fn tiny_districts_work() {
    let opts = GenerateOptions {
        villages: 1,
        townships: 1,
        quarters: 1,
        volume_factor: 0.0,
        defects: true,
        ..GenerateOptions::default()
    };
    let (dir, summary) = run(&opts);
    assert_eq!(summary.villages, 1);
    assert!(summary.planted.is_empty());
    assert_eq!(summary.rows["petitions"], 3);
    assert!(
        dir.path()
            .join("petitions/quarter=2026Q3/part-0.parquet")
            .is_file()
    );
}

#[test]
fn planted_quarters_set_the_truth_and_the_dispositions_follow_it() {
    let opts = GenerateOptions {
        planted_quarters: 4,
        dispositions: true,
        ..small(31)
    };
    let (dir, summary) = run(&opts);
    let truth = std::fs::read_to_string(dir.path().join("ground_truth.csv")).unwrap();
    let first = opts.last_quarter.offset(-3);
    let mut ends: BTreeMap<String, String> = BTreeMap::new();
    for line in truth.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[2], first.to_string(), "{line}");
        ends.insert(cells[0].to_string(), cells[3].to_string());
    }
    // Verdicts on the alerts of the first planted quarter, decided in
    // the quarter after it, on planted villages only but the false
    // positives, and never after the extract date.
    let b = read(&dir.path().join("dispositions.parquet"));
    let ids = values(&b, "alert_id");
    let outcomes = values(&b, "outcome");
    let decided = dates(&b, "decided_date");
    let planted: BTreeSet<String> = summary
        .planted
        .iter()
        .map(|p| p.village_code.clone())
        .collect();
    assert!(!ids.is_empty());
    let after = crate::period::day_number(first.next().start());
    let as_of = crate::period::day_number(opts.last_quarter.end()) - 1;
    for ((id, outcome), day) in ids.iter().zip(&outcomes).zip(&decided) {
        let day = day.unwrap();
        assert!(id.ends_with(&format!(":red:{first}")), "{id}");
        assert!(day >= after && day <= as_of, "{id} {day}");
        let village = &id[..12];
        assert_eq!(
            planted.contains(village),
            outcome != "false_positive",
            "{id} {outcome}"
        );
    }
    // A rectified village's misconduct ends in the rectification's
    // quarter (the truth's to_quarter); the others' runs to the end.
    let rectified: BTreeSet<&str> = ids
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| o.as_str() == "rectified")
        .map(|(id, _)| &id[..12])
        .collect();
    assert!(!rectified.is_empty());
    // Each confirmation names the follow-on case it led to, which the
    // cases table holds, filed after the verdict.
    let linked = strings(&b, "case_id");
    let cases = read(&dir.path().join("cases.parquet"));
    let case_ids = values(&cases, "线索编号");
    let filed = dates(&cases, "filed_date");
    let mut followed = 0;
    for ((outcome, case), day) in outcomes.iter().zip(&linked).zip(&decided) {
        match (outcome.as_str(), case) {
            ("confirmed", Some(case)) => {
                let row = case_ids.iter().position(|c| c == case).unwrap();
                assert!(filed[row].is_none_or(|f| f > day.unwrap()), "{case}");
                followed += 1;
            }
            ("confirmed", None) => panic!("a confirmation without its case"),
            (_, Some(case)) => panic!("{outcome} names {case}"),
            _ => {}
        }
    }
    assert!(followed > 0);
    for (village, end) in &ends {
        let want = if rectified.contains(village.as_str()) {
            first.next()
        } else {
            opts.last_quarter
        };
        assert_eq!(end, &want.to_string(), "{village}");
    }
    // The field profile writes them too.
    let (field_dir, _) = run(&GenerateOptions {
        profile: Profile::Field,
        ..opts
    });
    assert!(field_dir.path().join("dispositions.parquet").is_file());
}

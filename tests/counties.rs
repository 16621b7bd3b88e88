//! Counties in a province extract (the contract's extension): a generated
//! province of three counties gets `county_code`, `county_name` and
//! `county_rank` in `ranking.csv`, a county league (`counties.csv`, the
//! report's section, the workbook's sheet), townships with their county;
//! `run --county` assesses one county on its own normalisation; the
//! optional `counties` table names them, and is validated like every
//! table.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use calamine::{Reader, Xlsx, open_workbook};
use common::{qinglian, repo, text};
use qinglian::generate::{self, GenerateOptions};
use qinglian::pipeline::{self, RunOptions};

/// A province of three counties (9 townships, 150 villages), generated
/// once for every test here.
fn province() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let options = GenerateOptions {
            seed: 4242,
            villages: 150,
            townships: 9,
            counties: 3,
            ..GenerateOptions::default()
        };
        generate::generate(&options, dir.path()).unwrap();
        dir
    })
    .path()
}

fn options(data: &Path, out: &Path) -> RunOptions {
    RunOptions {
        data_dir: data.to_path_buf(),
        framework_dir: repo().join("indicators"),
        out_dir: Some(out.to_path_buf()),
        ..RunOptions::default()
    }
}

/// A CSV as header → column index and rows.
fn csv(path: &Path) -> (BTreeMap<String, usize>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let head = rdr
        .headers()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_string(), i))
        .collect();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (head, rows)
}

#[test]
fn a_province_run_ranks_villages_within_their_county_and_leagues_the_counties() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    common::block_on(pipeline::run(&options(province(), &out))).unwrap();

    let (h, rows) = csv(&out.join("ranking.csv"));
    // After the contract's columns and township_rank.
    let order: Vec<&str> = ["township_rank", "county_code", "county_name", "county_rank"]
        .into_iter()
        .collect();
    let at: Vec<usize> = order.iter().map(|c| h[*c]).collect();
    assert_eq!(at, [7, 8, 9, 10], "{h:?}");
    let mut by_county: BTreeMap<String, Vec<(f64, String, u32)>> = BTreeMap::new();
    for r in &rows {
        let (code, county) = (&r[h["village_code"]], &r[h["county_code"]]);
        assert_eq!(
            &code[..6],
            county,
            "the county is the code's first 6 digits"
        );
        let name = &r[h["county_name"]];
        let expected = match county.as_str() {
            "990101" => "清源县",
            "990102" => "临江区",
            "990103" => "北山县",
            other => panic!("county {other}"),
        };
        assert_eq!(name, expected, "names from counties.parquet");
        by_county.entry(county.clone()).or_default().push((
            r[h["index"]].parse().unwrap(),
            code.clone(),
            r[h["county_rank"]].parse().unwrap(),
        ));
    }
    assert_eq!(by_county.len(), 3);
    // County ranks are competition ranks of the index within the county.
    for (county, villages) in &by_county {
        for (index, code, rank) in villages {
            let above = villages.iter().filter(|(i, _, _)| i > index).count() as u32;
            assert_eq!(*rank, above + 1, "{county} {code}");
        }
    }

    // The county league: one row per county, their villages adding up.
    let (ch, counties) = csv(&out.join("counties.csv"));
    assert_eq!(counties.len(), 3);
    let ranked: usize = counties
        .iter()
        .map(|r| r[ch["villages_ranked"]].parse::<usize>().unwrap())
        .sum();
    assert_eq!(ranked, rows.len());
    for r in &counties {
        let members = &by_county[&r[ch["county_code"]]];
        let mean = members.iter().map(|m| m.0).sum::<f64>() / members.len() as f64;
        let shown: f64 = r[ch["index_mean"]].parse().unwrap();
        assert!((shown - mean).abs() < 0.006, "{r:?}: mean {mean}");
    }
    let (th, townships) = csv(&out.join("townships.csv"));
    assert_eq!(townships.len(), 9);
    for t in &townships {
        assert_eq!(t[th["county_code"]], t[th["township_code"]][..6]);
    }

    // The report's county level, and the workbook's sheet.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<section id=\"counties\">"));
    assert!(html.contains("href=\"#counties\""));
    for name in ["清源县", "临江区", "北山县"] {
        assert!(html.contains(name), "{name}");
    }
    let page =
        std::fs::read_to_string(out.join("village").join(format!("{}.html", rows[0][0]))).unwrap();
    assert!(
        page.contains("县内排名"),
        "the village page shows the county rank"
    );
    let book: Xlsx<_> = open_workbook(out.join("ranking.xlsx")).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "村社排名",
            "县区排名",
            "乡镇排名",
            "预警",
            "指标得分",
            "权重"
        ]
    );
}

#[test]
fn a_district_of_one_county_has_no_county_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    common::block_on(pipeline::run(&common::samples(&out))).unwrap();
    let (h, _) = csv(&out.join("ranking.csv"));
    assert!(!h.contains_key("county_code") && !h.contains_key("county_rank"));
    assert!(!out.join("counties.csv").exists());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("id=\"counties\""));
}

/// `data` with `villages.parquet` cut to the villages of `county`.
fn with_villages_of(county: &str, to: &Path) -> PathBuf {
    common::copy_dir(province(), to);
    let path = to.join("villages.parquet");
    let batch = common::read_batch(&path);
    let codes = arrow::array::AsArray::as_string::<i32>(
        batch.column_by_name("village_code").unwrap().as_ref(),
    );
    let keep: arrow::array::BooleanArray = codes
        .iter()
        .map(|c| c.map(|c| c.starts_with(county)))
        .collect();
    let kept = arrow::compute::filter_record_batch(&batch, &keep).unwrap();
    common::write(&path, &kept);
    to.to_path_buf()
}

#[test]
fn run_county_assesses_one_county_on_its_own_normalisation() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    let one = tmp.path().join("one");
    common::block_on(pipeline::run(&RunOptions {
        no_report: true,
        ..options(province(), &whole)
    }))
    .unwrap();
    let outcome = common::block_on(pipeline::run(&RunOptions {
        no_report: true,
        county: Some("990102".into()),
        ..options(province(), &one)
    }))
    .unwrap();
    let (h, rows) = csv(&one.join("ranking.csv"));
    assert!(
        !h.contains_key("county_code"),
        "one county: no county level"
    );
    assert!(rows.len() > 30);
    assert!(rows.iter().all(|r| r[0].starts_with("990102")));
    assert_eq!(outcome.villages, rows.len());
    assert_eq!(
        outcome.rows_rejected, 0,
        "other counties' rows are out of scope, not rejected"
    );
    // Ranks 1… within the county.
    assert_eq!(rows[0][h["rank"]], "1");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["county"]["county_code"], "990102");
    assert_eq!(manifest["county"]["villages_in_county"], rows.len());
    assert_eq!(manifest["county"]["villages_in_extract"], 150);

    // The county's own normalisation: its villages' indices differ from
    // the province run's.
    let (wh, whole_rows) = csv(&whole.join("ranking.csv"));
    let province_index: BTreeMap<&str, &str> = whole_rows
        .iter()
        .map(|r| (r[0].as_str(), r[wh["index"]].as_str()))
        .collect();
    let differ = rows
        .iter()
        .filter(|r| province_index[r[0].as_str()] != r[h["index"]])
        .count();
    assert!(
        differ > rows.len() / 2,
        "{differ} of {} indices differ",
        rows.len()
    );

    // The same as an extract holding only that county's villages (whose
    // other rows are then rejected as unknown villages): scores and ranks
    // are the county's either way.
    let cut = with_villages_of("990102", &tmp.path().join("cut"));
    let alone = tmp.path().join("alone");
    common::block_on(pipeline::run(&RunOptions {
        no_report: true,
        ..options(&cut, &alone)
    }))
    .unwrap();
    let (ah, alone_rows) = csv(&alone.join("ranking.csv"));
    let pick = |h: &BTreeMap<String, usize>, r: &Vec<String>| {
        ["village_code", "index", "rank", "tier", "township_rank"].map(|c| r[h[c]].clone())
    };
    let a: Vec<_> = rows.iter().map(|r| pick(&h, r)).collect();
    let b: Vec<_> = alone_rows.iter().map(|r| pick(&ah, r)).collect();
    assert_eq!(a, b);
}

#[test]
fn a_county_that_is_not_there_or_not_a_code_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = province().to_str().unwrap();
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    let o = qinglian(&[
        "run",
        "--data",
        data,
        "--out",
        out,
        "--no-report",
        "--county",
        "990109",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("no village of the villages table is in county 990109; its counties are 990101, 990102, 990103"),
        "{}",
        text(&o)
    );
    let o = qinglian(&[
        "run",
        "--data",
        data,
        "--out",
        out,
        "--no-report",
        "--county",
        "3301",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("first 6 digits of a village code"),
        "{}",
        text(&o)
    );
    assert!(!Path::new(out).exists(), "nothing written");
}

#[test]
fn without_the_counties_table_a_county_is_named_by_its_code_and_bad_rows_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::copy_dir(province(), &data);
    std::fs::remove_file(data.join("counties.parquet")).unwrap();
    let out = tmp.path().join("out");
    common::block_on(pipeline::run(&RunOptions {
        no_report: true,
        ..options(&data, &out)
    }))
    .unwrap();
    let (h, rows) = csv(&out.join("ranking.csv"));
    assert!(
        rows.iter()
            .all(|r| r[h["county_name"]] == r[h["county_code"]])
    );

    // A county code of five digits is rejected like any bad code.
    let table = &qinglian::contract::COUNTIES;
    let batch = common::batch(
        table,
        &[
            &[
                ("county_code", Some("990101")),
                ("county_name", Some("清源县")),
            ],
            &[
                ("county_code", Some("99010")),
                ("county_name", Some("坏代码县")),
            ],
        ],
    );
    common::write(&data.join("counties.parquet"), &batch);
    let out = tmp.path().join("out2");
    let outcome = common::block_on(pipeline::run(&RunOptions {
        no_report: true,
        ..options(&data, &out)
    }))
    .unwrap();
    assert_eq!(outcome.rejected_by_table.get("counties"), Some(&1));
    let rejects = std::fs::read_to_string(out.join("rejects/counties.csv")).unwrap();
    assert!(rejects.contains("bad_code:county_code"), "{rejects}");
    let (h, rows) = csv(&out.join("ranking.csv"));
    let names: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r[h["county_name"]].as_str()).collect();
    assert_eq!(names, ["990102", "990103", "清源县"].into_iter().collect());
}

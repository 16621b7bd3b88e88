//! Bad input, case by case (issue 6): each case states what an analyst
//! would feed by mistake and the documented behaviour, stop with a message
//! naming the file (and column, row), or reject rows with a reason and a
//! count. Cases covered elsewhere: a missing column, an uncastable type,
//! every schema problem together, a file that is not Parquet, no villages
//! table, null keys, unknown villages, bad enumerations, duplicate ids in
//! one file, negative and non-finite amounts, population 0
//! (tests/ingest.rs); a quarter with no data (tests/scoring.rs); a district larger than
//! the memory limit (tests/cli.rs); framework and SQL mistakes
//! (tests/framework.rs, tests/slt/).

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use common::*;
use datafusion::prelude::SessionContext;
use qinglian::catalog::Catalog;
use qinglian::error::Error;
use qinglian::ingest::{self, Ingested};
use qinglian::pipeline::{self, RunOptions};

async fn ingest_dir(d: &District) -> Result<Ingested, Error> {
    let catalog = Catalog::load(d.path(), None)?;
    ingest::ingest(&SessionContext::new(), &catalog).await
}

fn petition(id: &str, village: &str) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("petition_id", Some(id.to_string())),
        ("village_code", Some(village.to_string())),
    ]
}

/// Writes petitions rows given as owned cells.
fn put_petitions(d: &District, rel: &str, rows: &[Vec<(&'static str, Option<String>)>]) {
    let rows: Vec<Vec<(&str, Option<&str>)>> = rows
        .iter()
        .map(|r| r.iter().map(|(k, v)| (*k, v.as_deref())).collect())
        .collect();
    let refs: Vec<Row> = rows.iter().map(|r| r.as_slice()).collect();
    d.put_raw(rel, &batch(&PETITIONS, &refs));
}

#[tokio::test]
async fn a_missing_data_directory_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-extract");
    let err = Catalog::load(&missing, None)
        .and(Err::<Catalog, Error>(Error::Request("loaded".into())))
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("no-such-extract"), "{msg}");
    assert!(
        matches!(err, Error::Input { .. } | Error::Catalog { .. }),
        "{msg}"
    );
}

#[tokio::test]
async fn a_truncated_parquet_file_is_named() {
    let d = District::new();
    put_petitions(
        &d,
        "petitions.parquet",
        &[petition("P1", V1), petition("P2", V2)],
    );
    let path = d.path().join("petitions.parquet");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = ingest_dir(&d).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Input { .. }), "{msg}");
    assert!(msg.contains("petitions.parquet"), "{msg}");
}

#[tokio::test]
async fn extra_columns_are_allowed() {
    let d = District::new();
    put_petitions(&d, "petitions.parquet", &[petition("P1", V1)]);
    let path = d.path().join("petitions.parquet");
    let b = read_batch(&path);
    let extra = with_column(&b, "note", Some(utf8(&[Some("a remark")])));
    write(&path, &extra);
    let ing = ingest_dir(&d).await.unwrap();
    let r = ing.report("petitions").unwrap();
    assert_eq!((r.rows_read, r.rows_accepted, r.rows_rejected), (1, 1, 0));
}

#[tokio::test]
async fn an_empty_source_is_present_with_no_events() {
    let d = District::new();
    put_petitions(&d, "petitions.parquet", &[]);
    let ing = ingest_dir(&d).await.unwrap();
    let r = ing.report("petitions").unwrap();
    assert!(r.is_present());
    assert_eq!((r.rows_read, r.rows_accepted), (0, 0));
    assert_eq!(r.event_quarters, None, "no quarter has events");
}

#[tokio::test]
async fn every_row_rejected_is_counted_by_reason() {
    let d = District::new();
    put_petitions(
        &d,
        "petitions.parquet",
        &[
            petition("P1", "990101009999"),
            petition("P2", "990101009998"),
            petition("P3", "990101009997"),
        ],
    );
    let ing = ingest_dir(&d).await.unwrap();
    let r = ing.report("petitions").unwrap();
    assert_eq!((r.rows_read, r.rows_accepted, r.rows_rejected), (3, 0, 3));
    assert_eq!(r.rejected_by_reason.get("unknown_village"), Some(&3));
    assert_eq!(r.event_quarters, None);
    let rejects = ing.rejects.iter().find(|x| x.table == "petitions").unwrap();
    let kept: usize = rejects.batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(kept, 3, "kept for inspection");
}

#[tokio::test]
async fn duplicate_ids_across_files_reject_every_copy() {
    // As within one file (README): every row sharing an id is rejected,
    // since neither copy can be trusted to be the right one.
    let d = District::new();
    put_petitions(
        &d,
        "petitions/a.parquet",
        &[petition("P1", V1), petition("P2", V1)],
    );
    put_petitions(
        &d,
        "petitions/b.parquet",
        &[petition("P2", V2), petition("P3", V2)],
    );
    let ing = ingest_dir(&d).await.unwrap();
    let r = ing.report("petitions").unwrap();
    assert_eq!((r.rows_read, r.rows_accepted, r.rows_rejected), (4, 2, 2));
    assert_eq!(r.rejected_by_reason.get("duplicate_id"), Some(&2));
}

#[tokio::test]
async fn files_of_different_schemas_in_one_directory_name_the_odd_file() {
    let d = District::new();
    put_petitions(&d, "petitions/a.parquet", &[petition("P1", V1)]);
    put_petitions(&d, "petitions/b.parquet", &[petition("P2", V2)]);
    let b_path = d.path().join("petitions/b.parquet");
    let b = read_batch(&b_path);
    write(&b_path, &with_column(&b, "received_date", None));
    let err = ingest_dir(&d).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("b.parquet") && msg.contains("received_date"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_village_with_no_events_is_listed_not_dropped() {
    // The samples with one village's source rows removed: it stays in
    // ranking.csv with the dimensions it has values in. With no project at
    // all its trading shares have no denominator: the trading dimension has
    // no value and drops out of its index (never a made-up zero), and it is
    // ranked on the others (min_availability 0 in the default framework: a
    // year without a project is not missing data).
    let tmp = tempfile::tempdir().unwrap();
    // The samples' district in canonical Parquet, so its files can be edited.
    let data = common::canonical_samples(&tmp.path().join("data"));
    let quiet = "990101001201";
    let villages = read_batch(&data.join("villages.parquet"));
    let codes = villages
        .column_by_name("village_code")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow::array::StringArray>()
        .unwrap()
        .iter()
        .flatten()
        .map(String::from)
        .collect::<Vec<_>>();
    let quiet = codes.iter().find(|c| c.as_str() != quiet).unwrap().clone();
    let mut removed = 0;
    for f in files_under(&data).iter().filter(|f| {
        f.extension().is_some_and(|e| e == "parquet")
            && !f.ends_with("villages.parquet")
            && !f.ends_with("cadres.parquet")
            && !f.ends_with("relations.parquet")
    }) {
        let b = read_batch(f);
        let Some(col) = b
            .column_by_name("村居代码")
            .or_else(|| b.column_by_name("village_code"))
        else {
            continue;
        };
        let col = arrow::compute::cast(col, &arrow::datatypes::DataType::Utf8).unwrap();
        let keep: arrow::array::BooleanArray = col
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap()
            .iter()
            .map(|v| Some(v != Some(quiet.as_str())))
            .collect();
        removed += keep.iter().filter(|k| *k == Some(false)).count();
        write(f, &arrow::compute::filter_record_batch(&b, &keep).unwrap());
    }
    assert!(removed > 0, "the village had events to remove");
    let out = tmp.path().join("out");
    let o = pipeline::run(&RunOptions {
        data_dir: data,
        ..samples(&out)
    })
    .await
    .unwrap();
    assert_eq!(o.villages, 60);
    let ranking = std::fs::read_to_string(out.join("ranking.csv")).unwrap();
    let row: Vec<&str> = ranking
        .lines()
        .find(|l| l.starts_with(&quiet))
        .unwrap()
        .split(',')
        .collect();
    assert!(row[5].parse::<u32>().is_ok(), "ranked: {row:?}");
    assert!(["green", "yellow", "red"].contains(&row[6]), "{row:?}");
    // dim_trading: no value, not 0.
    assert_eq!(row[12], "", "{row:?}");
    assert!(
        row[8].parse::<u32>().unwrap() > 0,
        "indicators scored: {row:?}"
    );
    // Its petition and case dimensions have scores (zero events are
    // true zeros there).
    assert!(
        row[10].parse::<f64>().is_ok() && row[11].parse::<f64>().is_ok(),
        "{row:?}"
    );
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .map(|f| {
            (
                f.strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(&f).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_failed_run_leaves_the_previous_report_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("2026Q3");
    pipeline::run(&samples(&out)).await.unwrap();
    let before = snapshot(&out);
    // The same run on an extract whose villages file is cut short.
    let data = tmp.path().join("data");
    copy_dir(&repo().join("data-samples"), &data);
    let villages = data.join("villages.parquet");
    let bytes = std::fs::read(&villages).unwrap();
    std::fs::write(&villages, &bytes[..bytes.len() / 3]).unwrap();
    let err = pipeline::run(&RunOptions {
        data_dir: data,
        ..samples(&out)
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("villages.parquet"), "{err}");
    assert!(before == snapshot(&out), "the previous report changed");
}

#[test]
fn an_interrupted_run_leaves_the_previous_report_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("2026Q3");
    block_on(pipeline::run(&samples(&out))).unwrap();
    let before = snapshot(&out);
    // Kill a second run once it has started writing its staging directory.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_qinglian"))
        .current_dir(repo())
        .args(["run", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let staging = |d: &std::path::Path| {
        std::fs::read_dir(d)
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".2026Q3.partial-")
            })
    };
    let started = std::time::Instant::now();
    while !staging(tmp.path()) && started.elapsed() < std::time::Duration::from_secs(120) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let killed_while_writing = child.try_wait().unwrap().is_none();
    child.kill().unwrap_or(());
    child.wait().unwrap();
    assert!(
        killed_while_writing,
        "the run finished before it could be interrupted"
    );
    assert!(before == snapshot(&out), "the previous report changed");
    // The next run clears the abandoned staging directory.
    assert!(
        staging(tmp.path()),
        "the killed run left its staging directory"
    );
    block_on(pipeline::run(&samples(&out))).unwrap();
    assert!(
        !staging(tmp.path()),
        "the abandoned staging directory is still there"
    );
}

/// The id of a process that has ended.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[tokio::test]
async fn a_run_killed_while_publishing_gets_the_previous_report_back() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("2026Q3");
    pipeline::run(&samples(&out)).await.unwrap();
    let before = snapshot(&out);
    // The state a kill between the two renames of publishing leaves: the
    // previous report moved aside, the new one still staged.
    let pid = dead_pid();
    let old = tmp.path().join(format!(".2026Q3.old-{pid}"));
    let partial = tmp.path().join(format!(".2026Q3.partial-{pid}"));
    std::fs::rename(&out, &old).unwrap();
    std::fs::create_dir(&partial).unwrap();
    std::fs::write(partial.join("ranking.csv"), "half").unwrap();
    // The next run fails (its villages file is cut short), and still the
    // previous report is back in place and the leftovers are gone.
    let data = tmp.path().join("data");
    copy_dir(&repo().join("data-samples"), &data);
    let villages = data.join("villages.parquet");
    let bytes = std::fs::read(&villages).unwrap();
    std::fs::write(&villages, &bytes[..bytes.len() / 3]).unwrap();
    pipeline::run(&RunOptions {
        data_dir: data,
        ..samples(&out)
    })
    .await
    .unwrap_err();
    assert!(
        before == snapshot(&out),
        "the previous report was not restored"
    );
    assert!(!old.exists() && !partial.exists());
    // A moved-aside report beside a published one is a leftover: removed.
    std::fs::create_dir(&old).unwrap();
    pipeline::run(&samples(&out)).await.unwrap();
    assert!(!old.exists());
}

#[tokio::test]
async fn absurd_event_dates_are_rejected_as_out_of_range() {
    let d = District::new();
    let dated = |id: &str, date: &str| {
        let mut row = petition(id, V1);
        row.push(("received_date", Some(date.to_string())));
        row
    };
    put_petitions(
        &d,
        "petitions.parquet",
        &[
            dated("ok", "2026-08-01"),
            dated("typo-year", "0026-08-01"),
            dated("before-1949", "1900-01-01"),
            dated("future-typo", "2206-08-01"),
        ],
    );
    let ing = ingest_dir(&d).await.unwrap();
    let r = ing.report("petitions").unwrap();
    assert_eq!((r.rows_accepted, r.rows_rejected), (1, 3));
    assert_eq!(
        r.rejected_by_reason.get("out_of_range:received_date"),
        Some(&3)
    );
    // The quarters with events are the sane one only.
    assert_eq!(
        r.event_quarters
            .map(|(a, b)| (a.to_string(), b.to_string())),
        Some(("2026Q3".into(), "2026Q3".into()))
    );
}

#[tokio::test]
async fn absurd_amounts_are_rejected_as_out_of_range() {
    let d = District::new();
    fn case<'a>(id: &'a str, amount: &'a str) -> Vec<(&'static str, Option<&'a str>)> {
        vec![
            ("case_id", Some(id)),
            ("village_code", Some(V1)),
            ("amount", Some(amount)),
        ]
    }
    let rows = [
        case("ok", "25000.5"),
        case("large-but-real", "9999999999"),
        case("fen-for-yuan", "1e12"),
        case("pasted-id", "330102001001"),
        case("negative", "-5"),
    ];
    let refs: Vec<Row> = rows.iter().map(|r| r.as_slice()).collect();
    d.put_raw("cases.parquet", &batch(&CASES, &refs));
    let ing = ingest_dir(&d).await.unwrap();
    let r = ing.report("cases").unwrap();
    assert_eq!((r.rows_accepted, r.rows_rejected), (2, 3), "{r:?}");
    assert_eq!(r.rejected_by_reason.get("out_of_range:amount"), Some(&2));
    assert_eq!(r.rejected_by_reason.get("negative:amount"), Some(&1));
}

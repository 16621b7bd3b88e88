//! Ingest against the data contract: schema problems stop the run with a
//! message naming table, file, column and types; row problems reject the
//! row with a reason, counted per table and reason, person keys masked.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Decimal128Array, Int32Array, StringArray, TimestampMillisecondArray,
};
use common::*;
use qinglian::error::Error;

#[tokio::test]
async fn missing_column_names_table_file_and_column() {
    let d = District::new();
    let b = with_column(&batch(&PETITIONS, &[&[]]), "kind", None);
    d.put_raw("petitions.parquet", &b);
    let err = ingest_dir(&d).await.err().unwrap();
    let msg = err.to_string();
    assert!(matches!(err, Error::Schema { .. }), "{msg}");
    assert!(msg.contains("table petitions"), "{msg}");
    assert!(msg.contains("petitions.parquet"), "{msg}");
    assert!(msg.contains("column 'kind' is missing"), "{msg}");
}

#[tokio::test]
async fn uncastable_type_names_expected_and_found() {
    let d = District::new();
    let b = with_column(
        &batch(&PETITIONS, &[&[]]),
        "is_repeat",
        Some(Arc::new(Int32Array::from(vec![1])) as ArrayRef),
    );
    d.put_raw("petitions.parquet", &b);
    let msg = ingest_dir(&d).await.err().unwrap().to_string();
    assert!(msg.contains("column 'is_repeat' has type Int32"), "{msg}");
    assert!(msg.contains("expected boolean"), "{msg}");
}

#[tokio::test]
async fn every_schema_problem_is_reported_together() {
    let d = District::new();
    let p = with_column(&batch(&PETITIONS, &[&[]]), "kind", None);
    d.put_raw("petitions.parquet", &p);
    let t = with_column(&batch(&TRADING, &[&[]]), "budget", Some(utf8(&[Some("x")])));
    let t = with_column(&t, "publicized", None);
    d.put_raw("trading.parquet", &t);
    match ingest_dir(&d).await.err().unwrap() {
        Error::Schema { problems } => {
            // budget as a string is castable (row-level), so two problems:
            assert_eq!(problems.len(), 2, "{problems:#?}");
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_file_that_is_not_parquet_is_named() {
    let d = District::new();
    std::fs::write(d.path().join("cases.parquet"), b"village_code,case_id\n").unwrap();
    let err = ingest_dir(&d).await.err().unwrap();
    let msg = err.to_string();
    assert!(matches!(err, Error::Input { .. }), "{msg}");
    assert!(
        msg.contains("cases.parquet") && msg.contains("not a readable Parquet file"),
        "{msg}"
    );
}

#[tokio::test]
async fn missing_villages_table_stops_the_run() {
    let d = District::new();
    std::fs::remove_file(d.path().join("villages.parquet")).unwrap();
    let msg = ingest_dir(&d).await.err().unwrap().to_string();
    assert!(
        msg.contains("villages reference table is required"),
        "{msg}"
    );
}

#[tokio::test]
async fn row_problems_are_rejected_with_reasons_and_counted() {
    let d = District::new();
    d.put(
        &PETITIONS,
        &[
            &[("petition_id", Some("ok-1")), ("village_code", Some(V1))],
            &[("petition_id", None), ("village_code", Some(V1))],
            &[
                ("petition_id", Some("unknown-village")),
                ("village_code", Some("990101009999")),
            ],
            &[
                ("petition_id", Some("bad-enum")),
                ("channel", Some("wechat")),
            ],
            &[("petition_id", Some("upper")), ("kind", Some("举报"))],
            &[("petition_id", Some("dup")), ("village_code", Some(V2))],
            &[("petition_id", Some("dup")), ("village_code", Some(V2))],
            &[("petition_id", Some("no-date")), ("received_date", None)],
        ],
    );
    d.put(
        &TRADING,
        &[
            &[("project_id", Some("neg")), ("budget", Some("-5"))],
            &[
                ("project_id", Some("neg-change")),
                ("change_amount", Some("-1")),
            ],
            &[("project_id", Some("fine"))],
        ],
    );
    d.put(&CASES, &[&[("case_id", Some("c1")), ("form", Some("5"))]]);
    let (ctx, ing) = ingest_dir(&d).await.unwrap();
    assert_eq!(
        reasons(&ing, "petitions"),
        vec![
            ("bad_enum:channel".into(), 1),
            ("bad_enum:kind".into(), 1),
            ("duplicate_id".into(), 2),
            ("missing_value:received_date".into(), 1),
            ("null_id:petition_id".into(), 1),
            ("unknown_village".into(), 1),
        ]
    );
    let p = ing.report("petitions").unwrap();
    assert_eq!((p.rows_read, p.rows_accepted, p.rows_rejected), (8, 1, 7));
    assert_eq!(
        reasons(&ing, "trading"),
        vec![
            ("negative:change_amount".into(), 1),
            ("not_positive:budget".into(), 1)
        ]
    );
    assert_eq!(
        reasons(&ing, "cases"),
        vec![("out_of_range:form".into(), 1)]
    );
    // Only valid rows reach the canonical table.
    let n = ctx
        .sql("SELECT petition_id FROM petitions")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let ids: Vec<String> = n
        .iter()
        .flat_map(|b| {
            let a = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8).unwrap();
            let s = a.as_any().downcast_ref::<StringArray>().unwrap().clone();
            (0..s.len())
                .map(move |i| s.value(i).to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(ids, vec!["ok-1".to_string()]);
}

#[tokio::test]
async fn rejects_mask_person_keys() {
    let d = District::new();
    d.put(
        &PETITIONS,
        &[&[
            ("petition_id", Some("bad")),
            ("channel", Some("wechat")),
            ("complainant_key", Some("C-SECRET-1")),
            ("accused_person_id", Some("P-SECRET-2")),
        ]],
    );
    let (_, ing) = ingest_dir(&d).await.unwrap();
    let text = rejects_text(&ing, "petitions");
    assert!(text.contains("bad_enum:channel"), "{text}");
    assert!(!text.contains("SECRET"), "{text}");
    assert!(text.contains("***"), "{text}");
}

#[tokio::test]
async fn catalog_maps_chinese_headers_and_casts_loose_types() {
    let d = District::new();
    let b = batch(
        &CASES,
        &[&[("case_id", Some("c1")), ("amount", Some("1234.5"))]],
    );
    let b = with_column(&b, "case_id", None);
    let b = with_column(&b, "线索编号", Some(utf8(&[Some("c1")])));
    let ts = TimestampMillisecondArray::from(vec![Some(1_785_542_400_000i64 + 3_600_000)]); // 2026-08-01 01:00
    let b = with_column(&b, "received_date", None);
    let b = with_column(&b, "受理日期", Some(Arc::new(ts) as ArrayRef));
    let dec = Decimal128Array::from(vec![Some(123_450i128)])
        .with_precision_and_scale(14, 2)
        .unwrap();
    let b = with_column(&b, "amount", None);
    let b = with_column(&b, "涉及金额", Some(Arc::new(dec) as ArrayRef));
    d.put_raw("extracts/线索.parquet", &b);
    std::fs::write(
        d.path().join("catalog.toml"),
        "[sources.cases]\npath = \"extracts/线索.parquet\"\n[sources.cases.columns]\n\"线索编号\" = \"case_id\"\n\"受理日期\" = \"received_date\"\n\"涉及金额\" = \"amount\"\n",
    )
    .unwrap();
    let (ctx, ing) = ingest_dir(&d).await.unwrap();
    assert_eq!(ing.report("cases").unwrap().rows_accepted, 1);
    let b = ctx
        .sql("SELECT case_id, CAST(received_date AS VARCHAR) AS d, amount FROM cases")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let s = arrow::util::pretty::pretty_format_batches(&b)
        .unwrap()
        .to_string();
    assert!(
        s.contains("c1") && s.contains("2026-08-01") && s.contains("1234.5"),
        "{s}"
    );
}

#[tokio::test]
async fn unparseable_strings_are_rejected_per_row() {
    let d = District::new();
    let b = batch(
        &TRADING,
        &[&[("project_id", Some("a"))], &[("project_id", Some("b"))]],
    );
    let b = with_column(&b, "budget", Some(utf8(&[Some("12000.5"), Some("twelve")])));
    d.put_raw("trading.parquet", &b);
    let (_, ing) = ingest_dir(&d).await.unwrap();
    assert_eq!(
        reasons(&ing, "trading"),
        vec![("bad_value:budget".into(), 1)]
    );
}

#[tokio::test]
async fn hive_partitioned_directories_are_read() {
    let d = District::new();
    d.put_raw(
        "petitions/quarter=2026Q2/part-0.parquet",
        &batch(
            &PETITIONS,
            &[&[
                ("petition_id", Some("a")),
                ("received_date", Some("2026-05-01")),
            ]],
        ),
    );
    d.put_raw(
        "petitions/quarter=2026Q3/part-0.parquet",
        &batch(&PETITIONS, &[&[("petition_id", Some("b"))]]),
    );
    let (_, ing) = ingest_dir(&d).await.unwrap();
    let p = ing.report("petitions").unwrap();
    assert_eq!((p.files.len(), p.rows_accepted), (2, 2));
    assert!(
        p.files[0].path.starts_with("petitions/quarter=2026Q2"),
        "{:?}",
        p.files[0]
    );
}

#[tokio::test]
async fn absent_sources_are_reported_absent() {
    let d = District::new();
    let (_, ing) = ingest_dir(&d).await.unwrap();
    for t in [
        "petitions",
        "cases",
        "trading",
        "assistance",
        "cadres",
        "relations",
    ] {
        assert_eq!(ing.report(t).unwrap().status, "absent", "{t}");
    }
    assert_eq!(ing.report("villages").unwrap().rows_accepted, 3);
}

#[tokio::test]
async fn bad_village_codes_and_population_are_rejected() {
    let d = District::new();
    d.put(
        &VILLAGES,
        &[
            &[("village_code", Some(V1))],
            &[
                ("village_code", Some("99010100120X")),
                ("township_code", Some("99010100X")),
            ],
            &[
                ("village_code", Some(V3)),
                ("township_code", Some("990101002")),
                ("population", Some("0")),
            ],
            &[
                ("village_code", Some(V2)),
                ("township_code", Some("990101009")),
            ],
        ],
    );
    let (_, ing) = ingest_dir(&d).await.unwrap();
    assert_eq!(
        reasons(&ing, "villages"),
        vec![
            ("bad_code:village_code".into(), 1),
            ("not_positive:population".into(), 1),
            ("township_mismatch:township_code".into(), 1),
        ]
    );
}

#[tokio::test]
async fn non_finite_amounts_are_rejected() {
    let d = District::new();
    let b = batch(
        &TRADING,
        &[
            &[("project_id", Some("nan"))],
            &[("project_id", Some("inf"))],
            &[("project_id", Some("ok"))],
        ],
    );
    let b = with_column(
        &b,
        "budget",
        Some(Arc::new(arrow::array::Float64Array::from(vec![
            f64::NAN,
            f64::INFINITY,
            5.0,
        ])) as ArrayRef),
    );
    d.put_raw("trading.parquet", &b);
    let (_, ing) = ingest_dir(&d).await.unwrap();
    assert_eq!(
        reasons(&ing, "trading"),
        vec![("not_finite:budget".into(), 2)]
    );
}

#[tokio::test]
async fn rejects_show_the_text_that_failed_to_cast() {
    let d = District::new();
    let b = batch(&TRADING, &[&[("project_id", Some("a"))]]);
    let b = with_column(&b, "budget", Some(utf8(&[Some("十二万")])));
    d.put_raw("trading.parquet", &b);
    let (_, ing) = ingest_dir(&d).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = ing.rejects.iter().find(|r| r.table == "trading").unwrap();
    let text =
        std::fs::read_to_string(qinglian::outputs::write_rejects(out.path(), r).unwrap()).unwrap();
    assert!(
        text.contains("bad_value:budget") && text.contains("十二万"),
        "{text}"
    );
}

// The validation cache (`run --cache DIR`): a re-run takes the validation
// of every unchanged table from it and writes the same outputs.

/// The committed samples copied into `dir/data` (so a test can edit them)
/// and options that run them with the cache `dir/cache` into `dir/<out>`.
fn cached_samples(dir: &std::path::Path) -> std::path::PathBuf {
    let data = dir.join("data");
    copy_dir(&repo().join("data-samples"), &data);
    data
}

/// [`cached_samples`] and their cache `dir/cache`, filled by a run into
/// `dir/<out>`.
fn primed(dir: &std::path::Path, out: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let data = cached_samples(dir);
    let cache = dir.join("cache");
    block_on(qinglian::pipeline::run(&cached_run(
        &data,
        Some(&cache),
        &dir.join(out),
    )))
    .unwrap();
    (data, cache)
}

fn cached_run(
    data: &std::path::Path,
    cache: Option<&std::path::Path>,
    out: &std::path::Path,
) -> qinglian::pipeline::RunOptions {
    qinglian::pipeline::RunOptions {
        data_dir: data.to_path_buf(),
        no_report: true,
        cache: cache.map(std::path::Path::to_path_buf),
        ..samples(out)
    }
}

/// Which present tables took their validation from the cache.
fn from_cache(opts: &qinglian::pipeline::RunOptions) -> (Vec<String>, Vec<String>) {
    let a = block_on(qinglian::pipeline::assess(opts)).unwrap();
    let present = a.ingested.tables.iter().filter(|t| t.is_present());
    let (hit, miss): (Vec<_>, Vec<_>) = present.partition(|t| t.from_cache);
    (
        hit.into_iter().map(|t| t.table.clone()).collect(),
        miss.into_iter().map(|t| t.table.clone()).collect(),
    )
}

/// Every output file of a `--no-report` run but the manifest (which
/// carries the run's time), by name.
fn outputs(out: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    files_under(out)
        .into_iter()
        .filter(|f| f.file_name().unwrap() != "manifest.json")
        .map(|f| {
            let name = f.strip_prefix(out).unwrap().display().to_string();
            (name, std::fs::read(&f).unwrap())
        })
        .collect()
}

#[test]
fn a_rerun_takes_every_unchanged_table_from_the_cache_with_the_same_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let data = cached_samples(dir.path());
    let cache = dir.path().join("cache");
    let cold = cached_run(&data, Some(&cache), &dir.path().join("cold"));
    let (hit, miss) = from_cache(&cold);
    assert!(hit.is_empty(), "an empty cache has nothing: {hit:?}");
    assert!(miss.len() >= 6, "{miss:?}");
    block_on(qinglian::pipeline::run(&cold)).unwrap();
    // The CSV sources (petitions, cases) are read from temporary columnar
    // copies, whose paths must not enter the key.
    let warm = cached_run(&data, Some(&cache), &dir.path().join("warm"));
    let (hit, miss) = from_cache(&warm);
    assert!(
        miss.is_empty(),
        "every table unchanged, yet validated: {miss:?}"
    );
    assert!(hit.contains(&"petitions".to_string()), "{hit:?}");
    block_on(qinglian::pipeline::run(&warm)).unwrap();
    let none = cached_run(&data, None, &dir.path().join("none"));
    block_on(qinglian::pipeline::run(&none)).unwrap();
    let expected = outputs(&dir.path().join("none"));
    assert!(
        expected.iter().any(|(f, _)| f.starts_with("rejects")),
        "the samples have rejected rows, so the cached rejects are checked: {:?}",
        expected.iter().map(|(f, _)| f).collect::<Vec<_>>()
    );
    assert!(outputs(&dir.path().join("cold")) == expected);
    assert!(outputs(&dir.path().join("warm")) == expected);
    // The manifest differs in its run_at only.
    let manifest = |d: &str| {
        let text = std::fs::read_to_string(dir.path().join(d).join("manifest.json")).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v.as_object_mut().unwrap().remove("run_at");
        v
    };
    assert_eq!(manifest("warm"), manifest("none"));
}

#[test]
fn a_changed_file_is_validated_again_and_only_its_table() {
    let dir = tempfile::tempdir().unwrap();
    let (data, cache) = primed(dir.path(), "before");
    // Next quarter's extract of the petitions: one more row, here a copy
    // of the last (itself a rejected row, so the rejects change too).
    let csv = data.join("信访件.csv");
    let mut bytes = std::fs::read(&csv).unwrap();
    let body = &bytes[..bytes.len() - 2];
    let last = body.iter().rposition(|&b| b == b'\n').unwrap() + 1;
    let row = bytes[last..].to_vec();
    bytes.extend_from_slice(&row);
    std::fs::write(&csv, bytes).unwrap();
    let after = cached_run(&data, Some(&cache), &dir.path().join("after"));
    let (hit, miss) = from_cache(&after);
    assert_eq!(miss, ["petitions"], "taken from the cache: {hit:?}");
    block_on(qinglian::pipeline::run(&after)).unwrap();
    let none = cached_run(&data, None, &dir.path().join("none"));
    block_on(qinglian::pipeline::run(&none)).unwrap();
    assert!(outputs(&dir.path().join("after")) == outputs(&dir.path().join("none")));
    let rejects = |d: &str| {
        let f = dir.path().join(d).join("rejects/petitions.csv");
        std::fs::read_to_string(f).unwrap().lines().count()
    };
    assert_eq!(rejects("after"), rejects("before") + 1);
}

#[test]
fn another_framework_or_catalog_misses_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let (data, cache) = primed(dir.path(), "first");
    // Any change of the framework changes its hash.
    let framework = dir.path().join("reweighted/indicators");
    copy_dir(&repo().join("indicators"), &framework);
    copy_dir(&repo().join("sql"), &dir.path().join("reweighted/sql"));
    let toml = framework.join("framework.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{text}\n# reweighted\n")).unwrap();
    let other = qinglian::pipeline::RunOptions {
        framework_dir: framework,
        ..cached_run(&data, Some(&cache), &dir.path().join("second"))
    };
    let (hit, _) = from_cache(&other);
    assert!(hit.is_empty(), "another framework, yet taken: {hit:?}");
    // A catalog setting of one table misses that table alone.
    let catalog = data.join("catalog.toml");
    let text = std::fs::read_to_string(&catalog).unwrap();
    std::fs::write(
        &catalog,
        text.replace(
            "[sources.cadres]\n",
            "[sources.cadres]\nnormalise = { case = false }\n",
        ),
    )
    .unwrap();
    let (_, miss) = from_cache(&cached_run(&data, Some(&cache), &dir.path().join("third")));
    assert_eq!(miss, ["cadres"]);
}

#[test]
fn an_unreadable_entry_is_validated_again_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let data = cached_samples(dir.path());
    let cache = dir.path().join("cache");
    let opts = cached_run(&data, Some(&cache), &dir.path().join("out"));
    block_on(qinglian::pipeline::run(&opts)).unwrap();
    let entries = files_under(&cache);
    assert!(entries.len() >= 6, "{entries:?}");
    for e in &entries {
        let bytes = std::fs::read(e).unwrap();
        std::fs::write(e, &bytes[..bytes.len() / 2]).unwrap();
    }
    let (hit, _) = from_cache(&opts);
    assert!(hit.is_empty(), "a truncated entry was taken: {hit:?}");
    let (_, miss) = from_cache(&opts);
    assert!(miss.is_empty(), "the entries were not replaced: {miss:?}");
}

#[test]
fn two_runs_can_share_a_cache_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = cached_samples(dir.path());
    let cache = dir.path().join("cache");
    let runs: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let opts = cached_run(&data, Some(&cache), &dir.path().join(name));
            std::thread::spawn(move || block_on(qinglian::pipeline::run(&opts)).map(|_| ()))
        })
        .collect();
    for r in runs {
        r.join().unwrap().unwrap();
    }
    assert!(outputs(&dir.path().join("a")) == outputs(&dir.path().join("b")));
    let (_, miss) = from_cache(&cached_run(&data, Some(&cache), &dir.path().join("c")));
    assert!(miss.is_empty(), "{miss:?}");
    let stray: Vec<_> = files_under(&cache)
        .into_iter()
        .filter(|f| f.extension().is_none_or(|e| e != "parquet"))
        .collect();
    assert!(
        stray.is_empty(),
        "temporary files left in the cache: {stray:?}"
    );
}

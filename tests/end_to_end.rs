//! End to end: the committed samples through the real pipeline, the
//! contract's files, determinism, privacy, the fused data-point query
//! against one naive query per data point, and how well a fresh generated
//! district's planted villages are found (AUC).

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use common::repo;
use datafusion::prelude::SessionContext;
use qinglian::catalog::Catalog;
use qinglian::contract;
use qinglian::datapoints;
use qinglian::framework::{Aggregate, DataPointSpec, Framework, OpenUntil, Parameter, Window};
use qinglian::generate::{self, GenerateOptions};
use qinglian::ingest;
use qinglian::period::Quarter;
use qinglian::pipeline::{self, RunOptions};

fn opts(data: &Path, out: &Path) -> RunOptions {
    RunOptions {
        data_dir: data.to_path_buf(),
        framework_dir: repo().join("indicators"),
        out_dir: Some(out.to_path_buf()),
        ..RunOptions::default()
    }
}

#[tokio::test]
async fn samples_run_end_to_end_and_follow_the_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    let o = pipeline::run(&opts(&repo().join("data-samples"), &out))
        .await
        .unwrap();
    assert_eq!(o.quarter.to_string(), "2026Q3");
    assert_eq!(o.villages, 60);
    assert_eq!(o.ranked, 60);
    for f in [
        "ranking.csv",
        "scores.parquet",
        "report.html",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let text = std::fs::read_to_string(out.join("ranking.csv")).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header = rdr.headers().unwrap().clone();
    for c in [
        "village_code",
        "village_name",
        "township_code",
        "township_name",
        "index",
        "rank",
        "tier",
    ] {
        assert!(header.iter().any(|h| h == c), "{c}");
    }
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 60);
    let mut prev_rank = 0;
    for r in &rows {
        let index: f64 = r[4].parse().unwrap();
        let rank: u32 = r[5].parse().unwrap();
        assert!((0.0..=100.0).contains(&index));
        assert!(rank >= prev_rank);
        prev_rank = rank;
        assert!(["green", "yellow", "red"].contains(&&r[6]));
    }
    assert_eq!(&rows[0][5], "1");
    // The samples carry planted defects: rejected, counted, kept.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert!(
        m["rows_rejected"].as_u64().unwrap() >= 6,
        "{}",
        m["rows_rejected"]
    );
    assert!(out.join("rejects/petitions.csv").is_file());
    // Contributions sum to the index.
    let batch = read_parquet(&out.join("scores.parquet"));
    let codes = batch
        .column_by_name("village_code")
        .unwrap()
        .as_string::<i32>()
        .clone();
    let contrib = batch
        .column_by_name("contribution")
        .unwrap()
        .as_primitive::<arrow::datatypes::Float64Type>()
        .clone();
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    for i in 0..batch.num_rows() {
        *sums.entry(codes.value(i).to_string()).or_default() += contrib.value(i);
    }
    for (v, s) in o.table.villages.iter().zip(&o.scores.villages) {
        assert!(
            (sums[&v.code] - s.index.unwrap()).abs() < 1e-9,
            "{}",
            v.code
        );
    }
}

fn read_parquet(path: &Path) -> arrow::record_batch::RecordBatch {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<_> = reader.map(Result::unwrap).collect();
    arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

#[tokio::test]
async fn runs_are_byte_identical_across_repeats_and_thread_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = repo().join("data-samples");
    let mut outputs = Vec::new();
    for (i, threads) in [Some(1), Some(4), None].into_iter().enumerate() {
        let out = tmp.path().join(format!("r{i}"));
        let mut o = opts(&data, &out);
        o.threads = threads;
        // Village PNGs too, so every chart kind is compared.
        o.report.village_png = true;
        pipeline::run(&o).await.unwrap();
        outputs.push(out);
    }
    // Every file: tables, report pages, charts (SVG and PNG), rejects;
    // the manifest differs only by its run_at time.
    let relative = |root: &Path| -> Vec<String> {
        common::files_under(root)
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().to_string_lossy().into_owned())
            .collect()
    };
    let files = relative(&outputs[0]);
    assert!(files.len() > 400, "{} files", files.len());
    for f in [
        "ranking.csv",
        "scores.parquet",
        "report.html",
        "rejects/petitions.csv",
        "charts/heatmap.png",
    ] {
        assert!(files.iter().any(|x| x == f), "{f}");
    }
    let village_pngs = files
        .iter()
        .filter(|f| f.starts_with("charts/village-") && f.ends_with(".png"))
        .count();
    assert_eq!(village_pngs, 3 * 60, "a PNG per village chart");
    for o in &outputs[1..] {
        assert_eq!(relative(o), files);
    }
    for f in files.iter().filter(|f| f.as_str() != "manifest.json") {
        let first = std::fs::read(outputs[0].join(f)).unwrap();
        for o in &outputs[1..] {
            assert!(first == std::fs::read(o.join(f)).unwrap(), "{f} differs");
        }
    }
    let manifest = |o: &Path| {
        let text = std::fs::read_to_string(o.join("manifest.json")).unwrap();
        text.lines()
            .filter(|l| !l.contains("\"run_at\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for o in &outputs[1..] {
        assert_eq!(manifest(&outputs[0]), manifest(o));
    }
}

#[tokio::test]
async fn no_person_key_appears_in_any_output() {
    let data = repo().join("data-samples");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    pipeline::run(&opts(&data, &out)).await.unwrap();
    // Every person, household and supplier key in the inputs.
    let catalog = Catalog::load(&data, None).unwrap();
    let ctx = SessionContext::new();
    let ingested = ingest::ingest(&ctx, &catalog).await.unwrap();
    let mut keys = BTreeSet::new();
    for t in contract::TABLES
        .iter()
        .filter(|t| ingested.is_present(t.name))
    {
        for c in t.columns.iter().filter(|c| c.person_key) {
            let sql = format!(
                "SELECT DISTINCT CAST(\"{}\" AS VARCHAR) FROM __mapped_{} WHERE \"{}\" IS NOT NULL",
                c.name, t.name, c.name
            );
            for b in ctx.sql(&sql).await.unwrap().collect().await.unwrap() {
                let a = arrow::compute::cast(b.column(0), &DataType::Utf8).unwrap();
                for v in a.as_string::<i32>().iter().flatten() {
                    keys.insert(v.to_string());
                }
            }
        }
    }
    assert!(keys.len() > 1000, "{} keys", keys.len());
    let files = common::files_under(&out);
    assert!(files.len() >= 5);
    // One pass per file over every key at once (the report has hundreds
    // of files: pages, SVG and PNG charts).
    let finder = aho_corasick::AhoCorasick::new(&keys).unwrap();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        if let Some(m) = finder.find(&bytes) {
            panic!(
                "{} contains the person key {}",
                f.display(),
                String::from_utf8_lossy(&bytes[m.start()..m.end()])
            );
        }
    }
    // The workbook is compressed: its cells, read back.
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(out.join("ranking.xlsx")).unwrap();
    for sheet in book.sheet_names() {
        let range = book.worksheet_range(&sheet).unwrap();
        for (r, c, cell) in range.used_cells() {
            let text = cell.to_string();
            assert!(
                finder.find(text.as_bytes()).is_none(),
                "ranking.xlsx {sheet}!R{}C{} holds a person key: {text}",
                r + 1,
                c + 1
            );
        }
    }
}

/// One plain query per data point, windows written with literal dates:
/// independent of the fused compilation and of parameter binding.
fn naive_sql(spec: &DataPointSpec, q: Quarter, parameters: &[Parameter]) -> String {
    let DataPointSpec::Aggregate {
        source,
        aggregate,
        column,
        days,
        filter,
        window,
    } = spec
    else {
        panic!("not an aggregate data point");
    };
    let (source, event, aggregate, window) =
        (source.name, source.event_date.unwrap(), *aggregate, *window);
    let (column, days, filter) = (column.as_deref(), days.as_ref(), filter.as_deref());
    let d = |x: chrono::NaiveDate| format!("DATE '{}'", x.format("%Y-%m-%d"));
    let mut wh = match window {
        Window::Quarter => format!("{event} >= {} AND {event} < {}", d(q.start()), d(q.end())),
        Window::PreviousQuarter => format!(
            "{event} >= {} AND {event} < {}",
            d(q.previous().start()),
            d(q.start())
        ),
        Window::Trailing4q => format!(
            "{event} >= {} AND {event} < {}",
            d(q.offset(-4).start()),
            d(q.start())
        ),
        Window::RollingYear => format!(
            "{event} >= {} AND {event} < {}",
            d(q.offset(-3).start()),
            d(q.end())
        ),
        Window::ToDate => format!("{event} < {}", d(q.end())),
        Window::Active => format!(
            "start_date < {} AND (end_date IS NULL OR end_date >= {})",
            d(q.end()),
            d(q.start())
        ),
    };
    if let Some(f) = filter {
        // Framework parameters pasted as literals, longest name first so
        // that no name is replaced inside a longer one.
        let mut f = f.to_string();
        let mut params: Vec<(String, String)> = parameters
            .iter()
            .map(|p| (p.id.clone(), format!("{:?}", p.value)))
            .collect();
        params.extend([
            ("quarter_start".to_string(), d(q.start())),
            ("quarter_end".to_string(), d(q.end())),
            ("quarter_last".to_string(), d(q.end().pred_opt().unwrap())),
            ("previous_start".to_string(), d(q.previous().start())),
            ("trailing_start".to_string(), d(q.offset(-4).start())),
            ("year_start".to_string(), d(q.offset(-3).start())),
        ]);
        params.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        for (id, value) in params {
            f = f.replace(&format!("${id}"), &value);
        }
        wh = format!("({wh}) AND ({f})");
    }
    let c = column.unwrap_or("");
    let expr = match aggregate {
        Aggregate::Count => "COUNT(*)".to_string(),
        Aggregate::CountDistinct => format!("COUNT(DISTINCT {c})"),
        Aggregate::Sum => format!("SUM({c})"),
        Aggregate::Mean => format!("AVG({c})"),
        Aggregate::Min => format!("MIN({c})"),
        Aggregate::Max => format!("MAX({c})"),
        Aggregate::MeanDays | Aggregate::MinDays | Aggregate::MaxDays => {
            let (from, to, open) = days.unwrap();
            let last = d(q.end().pred_opt().unwrap());
            let end = match open {
                OpenUntil::QuarterEnd => format!("LEAST(COALESCE({to}, {last}), {last})"),
                OpenUntil::Exclude => {
                    wh = format!("({wh}) AND {to} IS NOT NULL");
                    to.clone()
                }
            };
            let f = match aggregate {
                Aggregate::MeanDays => "AVG",
                Aggregate::MinDays => "MIN",
                _ => "MAX",
            };
            format!("{f}(CAST({end} - {from} AS DOUBLE))")
        }
    };
    format!(
        "SELECT village_code, CAST({expr} AS DOUBLE) FROM {source} WHERE {wh} GROUP BY village_code"
    )
}

#[tokio::test]
async fn fused_queries_equal_one_naive_query_per_datapoint() {
    let data = repo().join("data-samples");
    let fw = Framework::load(&repo().join("indicators")).unwrap();
    let catalog = Catalog::load(&data, None).unwrap();
    let ctx = SessionContext::new();
    let ing = ingest::ingest(&ctx, &catalog).await.unwrap();
    let q: Quarter = "2026Q3".parse().unwrap();
    let table = datapoints::compute(&ctx, &fw, &ing, q).await.unwrap();
    let index: BTreeMap<&str, usize> = table
        .villages
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code.as_str(), i))
        .collect();
    let mut checked = 0;
    let mut nonzero = 0;
    for dp in &fw.datapoints {
        let DataPointSpec::Aggregate { aggregate, .. } = &dp.spec else {
            continue;
        };
        let sql = naive_sql(&dp.spec, q, &fw.parameters);
        let mut expected: Vec<Option<f64>> =
            vec![aggregate.zero_when_empty().then_some(0.0); table.villages.len()];
        for b in ctx.sql(&sql).await.unwrap().collect().await.unwrap() {
            let codes = arrow::compute::cast(b.column(0), &DataType::Utf8).unwrap();
            let codes = codes.as_string::<i32>();
            let vals = b.column(1).as_primitive::<arrow::datatypes::Float64Type>();
            for r in 0..b.num_rows() {
                // Counts and sums are 0 where no row has a value.
                let v = (!vals.is_null(r)).then(|| vals.value(r));
                expected[index[codes.value(r)]] = v.or(aggregate.zero_when_empty().then_some(0.0));
            }
        }
        let got = &table.values[&dp.id];
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            match (g, e) {
                (Some(g), Some(e)) => assert!(
                    (g - e).abs() < 1e-9,
                    "{} village {i}: fused {g} naive {e}",
                    dp.id
                ),
                _ => assert_eq!(g, e, "{} village {i}", dp.id),
            }
        }
        if got.iter().flatten().any(|v| *v != 0.0) {
            nonzero += 1;
        }
        checked += 1;
    }
    assert!(checked >= 30, "{checked}");
    // The samples exercise most data points.
    assert!(
        nonzero * 10 >= checked * 8,
        "{nonzero} of {checked} data points are non-zero somewhere"
    );
}

/// Area under the ROC curve of "lower index = planted".
fn auc(planted: &[f64], clean: &[f64]) -> f64 {
    let mut wins = 0.0;
    for p in planted {
        for c in clean {
            if p < c {
                wins += 1.0;
            } else if p == c {
                wins += 0.5;
            }
        }
    }
    wins / (planted.len() * clean.len()) as f64
}

#[tokio::test]
async fn planted_villages_of_a_fresh_district_rank_low() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("district");
    // A seed no other test uses.
    let g = GenerateOptions {
        seed: 90_417,
        villages: 120,
        townships: 8,
        ..GenerateOptions::default()
    };
    let summary = generate::generate(&g, &data).unwrap();
    let planted: BTreeSet<String> = summary
        .planted
        .iter()
        .map(|p| p.village_code.clone())
        .collect();
    assert!(planted.len() >= 10, "{}", planted.len());
    let o = pipeline::run(&opts(&data, &tmp.path().join("out")))
        .await
        .unwrap();
    let (mut p, mut c) = (vec![], vec![]);
    for (v, s) in o.table.villages.iter().zip(&o.scores.villages) {
        let x = s.index.unwrap();
        if planted.contains(&v.code) {
            p.push(x)
        } else {
            c.push(x)
        }
    }
    let a = auc(&p, &c);
    println!("AUC {a:.4} ({} planted, {} clean)", p.len(), c.len());
    assert!(a >= 0.85, "AUC {a}");
}

#[test]
fn the_committed_samples_are_the_generators_output() {
    // README: `qinglian generate --out data-samples --seed 20261123
    // --defects --export-style real`.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("samples");
    generate::generate(&common::samples_options(), &out).unwrap();
    let files = common::files_under(&out);
    assert!(files.len() >= 10);
    let mut total = 0;
    for f in files {
        let rel = f.strip_prefix(&out).unwrap();
        let committed = std::fs::read(repo().join("data-samples").join(rel))
            .unwrap_or_else(|e| panic!("data-samples/{} is missing: {e}", rel.display()));
        assert!(
            committed == std::fs::read(&f).unwrap(),
            "data-samples/{} differs from the generator's output; regenerate it",
            rel.display()
        );
        total += committed.len();
    }
    assert!(total < 5 * 1024 * 1024, "{total} bytes");
}

/// One scan for several quarters gives each quarter exactly what a run of
/// that quarter alone gives, under the fused and the naive plan alike.
#[tokio::test]
async fn several_quarters_in_one_scan_equal_each_quarter_alone() {
    let data = repo().join("data-samples");
    let fw = Framework::load(&repo().join("indicators")).unwrap();
    let catalog = Catalog::load(&data, None).unwrap();
    let ctx = SessionContext::new();
    let ing = ingest::ingest(&ctx, &catalog).await.unwrap();
    let quarters: Vec<Quarter> = ["2026Q3", "2026Q2", "2026Q1", "2025Q4"]
        .iter()
        .map(|q| q.parse().unwrap())
        .collect();
    for plan in [datapoints::Plan::Fused, datapoints::Plan::Naive] {
        let together = datapoints::compute_quarters(&ctx, &fw, &ing, &quarters, plan)
            .await
            .unwrap();
        assert_eq!(together.len(), quarters.len());
        for (q, t) in quarters.iter().zip(&together) {
            let alone = datapoints::compute(&ctx, &fw, &ing, *q).await.unwrap();
            assert_eq!(t.quarter, *q);
            assert_eq!(t.availability, alone.availability, "{q} {plan:?}");
            assert!(t.values == alone.values, "{q} {plan:?}: values differ");
        }
        // The quarters differ from each other (the test can fail).
        assert!(together[0].values != together[1].values);
    }
}

/// Villages and townships named as spreadsheet formulas: every CSV of the
/// run writes them so that no spreadsheet evaluates them, and every cell
/// that begins like a formula is a number.
#[tokio::test]
async fn a_formula_in_a_name_is_written_as_text_in_every_csv() {
    use common::{canonical_samples, files_under, read_batch, with_column, write};
    let tmp = tempfile::tempdir().unwrap();
    let data = canonical_samples(&tmp.path().join("data"));
    let path = data.join("villages.parquet");
    let villages = read_batch(&path);
    let renamed = |column: &str, as_formula: &dyn Fn(&str) -> String| -> arrow::array::ArrayRef {
        let names = villages.column_by_name(column).unwrap().as_string::<i32>();
        std::sync::Arc::new(
            names
                .iter()
                .map(|n| n.map(as_formula))
                .collect::<arrow::array::StringArray>(),
        )
    };
    let village = |n: &str| format!("=HYPERLINK(\"http://example.invalid\",\"{n}\")");
    let township = |n: &str| format!("@{n}");
    let edited = with_column(
        &villages,
        "village_name",
        Some(renamed("village_name", &village)),
    );
    let edited = with_column(
        &edited,
        "township_name",
        Some(renamed("township_name", &township)),
    );
    write(&path, &edited);
    let out = tmp.path().join("report");
    pipeline::run(&opts(&data, &out)).await.unwrap();
    let mut seen = BTreeSet::new();
    for p in files_under(&out)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
    {
        let text = std::fs::read_to_string(&p).unwrap();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        for record in rdr.records() {
            for cell in record.unwrap().iter() {
                if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    assert!(
                        cell.trim().parse::<f64>().is_ok(),
                        "{}: the cell {cell:?} would run as a formula",
                        p.display()
                    );
                }
                if cell.starts_with("'=HYPERLINK(") || cell.starts_with("'@") {
                    seen.insert(p.file_name().unwrap().to_string_lossy().to_string());
                }
            }
        }
    }
    for f in ["ranking.csv", "townships.csv", "alerts.csv"] {
        assert!(
            seen.contains(f),
            "{f} does not carry the names as text: {seen:?}"
        );
    }
}

//! `ranking.xlsx` read back with calamine: every sheet agrees with its CSV
//! cell by cell (numbers as numbers, codes and names as text, no formula),
//! Chinese headers by default and English with `--lang en`, the public
//! edition's suppression as in the CSVs, the same bytes on a second run;
//! the indicator-scores sheet against `scores.parquet`; a province
//! extract's county league against `counties.csv`.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::repo;
use qinglian::outputs::csv::original_text;
use qinglian::pipeline::{self, RunOptions};
use qinglian::report::{Lang, ReportOptions};

fn run(out: &Path, report: ReportOptions, no_report: bool) {
    let opts = RunOptions {
        data_dir: repo().join("data-samples"),
        framework_dir: repo().join("indicators"),
        out_dir: Some(out.to_path_buf()),
        report,
        no_report,
        ..RunOptions::default()
    };
    common::block_on(pipeline::run(&opts)).unwrap();
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    rdr.records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Every cell of `sheet` against its CSV; the header row against `header`.
fn assert_sheet_matches(
    book: &mut Xlsx<std::io::BufReader<std::fs::File>>,
    sheet: &str,
    csv: &Path,
    header: &dyn Fn(&str) -> String,
) -> usize {
    let range = book.worksheet_range(sheet).unwrap();
    let rows = csv_rows(csv);
    assert!(rows.len() > 1, "{} is empty", csv.display());
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let got = range
                .get_value((r as u32, c as u32))
                .cloned()
                .unwrap_or(Data::Empty);
            let at = format!("{sheet}!R{}C{} ({})", r + 1, c + 1, rows[0][c]);
            if r == 0 {
                assert_eq!(got, Data::String(header(cell)), "{at}");
                continue;
            }
            let name = rows[0][c].as_str();
            let text_column = name.ends_with("_code") || name == "id" || name == "parent";
            match (cell.parse::<f64>(), &got) {
                _ if cell.is_empty() => assert_eq!(got, Data::Empty, "{at}"),
                (Ok(n), Data::Float(x)) if !text_column => assert_eq!(*x, n, "{at}"),
                (Ok(n), Data::Int(x)) if !text_column => assert_eq!(*x as f64, n, "{at}"),
                (_, Data::String(s)) => assert_eq!(s, original_text(cell), "{at}"),
                _ => panic!("{at}: {got:?} for the CSV's {cell:?}"),
            }
        }
    }
    rows.len()
}

#[test]
fn the_workbook_agrees_with_every_csv_cell_by_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("zh");
    run(&out, ReportOptions::default(), false);
    let path = out.join("ranking.xlsx");
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["村社排名", "乡镇排名", "预警", "指标得分", "权重"]
    );
    let zh = |h: &str| match h {
        "village_code" => "村社代码".to_string(),
        "index" => "清廉指数".to_string(),
        other => other.to_string(),
    };
    // The Chinese headers checked on two columns; the rest by position.
    let range = book.worksheet_range("村社排名").unwrap();
    assert_eq!(
        range.get_value((0, 0)),
        Some(&Data::String(zh("village_code")))
    );
    assert_eq!(range.get_value((0, 4)), Some(&Data::String(zh("index"))));
    // Codes are text (a 12-digit code would lose nothing as a number, but
    // a spreadsheet would show it as 9.90101E+11).
    assert!(matches!(range.get_value((1, 0)), Some(Data::String(_))));
    let header_of = |sheet: &str| {
        let range = book_range_header(&path, sheet);
        move |h: &str| range.get(h).cloned().unwrap_or_else(|| h.to_string())
    };
    for (sheet, csv) in [
        ("村社排名", "ranking.csv"),
        ("乡镇排名", "townships.csv"),
        ("预警", "alerts.csv"),
        ("权重", "weights.csv"),
    ] {
        let header = header_of(sheet);
        let rows = assert_sheet_matches(&mut book, sheet, &out.join(csv), &header);
        assert!(rows > 1);
    }
    let internal = assert_scores_sheet(&mut book, "指标得分", &out);

    // English headers with --lang en: the CSV's own.
    let en = tmp.path().join("en");
    run(
        &en,
        ReportOptions {
            lang: Lang::En,
            ..ReportOptions::default()
        },
        false,
    );
    let mut book: Xlsx<_> = open_workbook(en.join("ranking.xlsx")).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "ranking",
            "townships",
            "alerts",
            "indicator scores",
            "weights"
        ]
    );
    let same = |h: &str| h.to_string();
    for (sheet, csv) in [("ranking", "ranking.csv"), ("alerts", "alerts.csv")] {
        assert_sheet_matches(&mut book, sheet, &en.join(csv), &same);
    }

    // The public edition: suppressed cells as in the CSVs.
    let public = tmp.path().join("public");
    run(
        &public,
        ReportOptions {
            public: true,
            ..ReportOptions::default()
        },
        false,
    );
    let mut book: Xlsx<_> = open_workbook(public.join("ranking.xlsx")).unwrap();
    let header = header_of("村社排名");
    assert_sheet_matches(&mut book, "村社排名", &public.join("ranking.csv"), &header);
    let header = header_of("预警");
    assert_sheet_matches(&mut book, "预警", &public.join("alerts.csv"), &header);
    // Indicator scores the village pages hide are empty, and only those.
    let shown = assert_scores_sheet(&mut book, "指标得分", &public);
    let masked = count_masked(&public);
    assert!(masked > 0, "the samples have small petition counts to hide");
    // (A masked cell may have no score to hide: a raw value whose
    // normalisation is undefined.)
    assert!(
        shown < internal && internal - shown <= masked,
        "{} scores left empty, the pages mask {masked}",
        internal - shown
    );

    // --no-report: the ranking and weights only; the same bytes twice.
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    run(&a, ReportOptions::default(), true);
    run(&b, ReportOptions::default(), true);
    let book: Xlsx<_> = open_workbook(a.join("ranking.xlsx")).unwrap();
    assert_eq!(book.sheet_names(), ["村社排名", "指标得分", "权重"]);
    assert_eq!(
        std::fs::read(a.join("ranking.xlsx")).unwrap(),
        std::fs::read(b.join("ranking.xlsx")).unwrap()
    );
}

/// The sheet's header row, English name → what the sheet shows, by
/// position against its CSV.
fn book_range_header(path: &Path, sheet: &str) -> std::collections::HashMap<String, String> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    let csv = match sheet {
        "村社排名" => "ranking.csv",
        "乡镇排名" => "townships.csv",
        "预警" => "alerts.csv",
        _ => "weights.csv",
    };
    let rows = csv_rows(&path.parent().unwrap().join(csv));
    rows[0]
        .iter()
        .enumerate()
        .map(|(c, h)| {
            let shown = match range.get_value((0, c as u32)) {
                Some(Data::String(s)) => s.clone(),
                other => panic!("{sheet} header {c}: {other:?}"),
            };
            // A header is its Chinese name or, for an indicator, its id.
            assert!(!shown.is_empty());
            (h.clone(), shown)
        })
        .collect()
}

/// The indicator-scores sheet against `scores.parquet` of `out`: one row
/// per village in `ranking.csv`'s order, each indicator's normalised score
/// to two decimals. Returns the non-empty score cells; a cell may be empty
/// where the parquet has a score only if the public edition hid it (then
/// the village page shows the small-cell mark for it).
fn assert_scores_sheet(
    book: &mut Xlsx<std::io::BufReader<std::fs::File>>,
    sheet: &str,
    out: &Path,
) -> usize {
    use arrow::array::{Array, AsArray, Float64Array};
    let range = book.worksheet_range(sheet).unwrap();
    let ranking = csv_rows(&out.join("ranking.csv"));
    let batch = common::read_batch(&out.join("scores.parquet"));
    let codes = batch
        .column_by_name("village_code")
        .unwrap()
        .as_string::<i32>();
    let ids = batch
        .column_by_name("indicator_id")
        .unwrap()
        .as_string::<i32>();
    let norm = batch
        .column_by_name("normalised")
        .unwrap()
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap();
    let mut want = std::collections::HashMap::new();
    for r in 0..batch.num_rows() {
        let v = (!norm.is_null(r)).then(|| norm.value(r));
        want.insert((codes.value(r).to_string(), ids.value(r).to_string()), v);
    }
    let (rows, cols) = range.get_size();
    assert_eq!(rows, ranking.len(), "{sheet}: one row per village");
    let header: Vec<String> = (0..cols)
        .map(|c| match range.get_value((0, c as u32)) {
            Some(Data::String(s)) => s.clone(),
            other => panic!("{sheet} header {c}: {other:?}"),
        })
        .collect();
    let framework = qinglian::framework::Framework::load(&repo().join("indicators")).unwrap();
    assert_eq!(cols, 5 + framework.indicators.len());
    let public = out.join("village").is_dir()
        && std::fs::read_to_string(out.join("report.html"))
            .unwrap()
            .contains("&lt;3");
    let mut shown = 0;
    for (r, ranked) in ranking.iter().enumerate().skip(1) {
        let code = &ranked[0];
        assert_eq!(
            range.get_value((r as u32, 0)),
            Some(&Data::String(code.clone())),
            "{sheet} row {r}: ranking.csv's order"
        );
        for (k, ind) in framework.indicators.iter().enumerate() {
            let c = (5 + k) as u32;
            if r == 1 {
                assert!(
                    header[c as usize] == ind.name_zh || header[c as usize] == ind.id,
                    "{sheet}: column {c} is {}",
                    header[c as usize]
                );
            }
            let expected = want[&(code.clone(), ind.id.clone())];
            match (range.get_value((r as u32, c)), expected) {
                (Some(Data::Float(x)), Some(n)) => {
                    assert_eq!(
                        format!("{x:.2}"),
                        format!("{n:.2}"),
                        "{sheet} {code} {}",
                        ind.id
                    );
                    shown += 1;
                }
                (None | Some(Data::Empty), None) => {}
                (None | Some(Data::Empty), Some(_)) if public => {}
                (got, _) => panic!("{sheet} {code} {}: {got:?} for {expected:?}", ind.id),
            }
        }
    }
    shown
}

/// Indicator cells the public village pages of `out` mark as small
/// (`title=` on the raw value) and that have a score.
fn count_masked(out: &Path) -> usize {
    let mut n = 0;
    for page in std::fs::read_dir(out.join("village")).unwrap() {
        let html = std::fs::read_to_string(page.unwrap().path()).unwrap();
        n += html.matches(" title=\"").count();
    }
    n
}

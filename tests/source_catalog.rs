//! Data contract 1.1's source catalog through ingest: codes and labels as
//! they really arrive (whitespace, full-width digits, upper-case labels)
//! normalised and counted, or rejected when normalisation is switched off;
//! value maps; CSV in UTF-8 (with a BOM, another delimiter) and GB18030
//! with text dates and boolean words; rejects that show what arrived; an
//! extract in the wrong encoding stopped with its byte and line.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use arrow::array::{Array, StringArray};
use common::*;
use datafusion::prelude::SessionContext;
use qinglian::catalog::Catalog;
use qinglian::error::Error;
use qinglian::ingest::Ingested;

fn normalised(ing: &Ingested, table: &str, column: &str, step: &str) -> u64 {
    ing.report(table)
        .unwrap()
        .normalised
        .get(column)
        .and_then(|s| s.get(step))
        .copied()
        .unwrap_or(0)
}

/// The values of one column of the canonical table, sorted.
async fn column(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let mut out: Vec<String> = batches
        .iter()
        .flat_map(|b| {
            let a = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8).unwrap();
            let s = a.as_any().downcast_ref::<StringArray>().unwrap().clone();
            (0..s.len())
                .map(move |i| {
                    if s.is_null(i) {
                        "NULL".into()
                    } else {
                        s.value(i).to_string()
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out
}

fn messy_petitions(d: &District) {
    d.put(
        &PETITIONS,
        &[
            &[
                ("petition_id", Some("space")),
                ("village_code", Some("990101001201 ")),
            ],
            &[
                ("petition_id", Some("wide")),
                ("village_code", Some("９９０１０１００１２０２")),
            ],
            &[("petition_id", Some("upper")), ("channel", Some("LETTER"))],
            &[("petition_id", Some("clean"))],
        ],
    );
}

#[tokio::test]
async fn codes_and_labels_are_normalised_and_counted() {
    let d = District::new();
    messy_petitions(&d);
    let (ctx, ing) = ingest_dir(&d).await.unwrap();
    assert_eq!(reasons(&ing, "petitions"), vec![]);
    assert_eq!(normalised(&ing, "petitions", "village_code", "trimmed"), 1);
    assert_eq!(
        normalised(&ing, "petitions", "village_code", "fullwidth_folded"),
        1
    );
    assert_eq!(normalised(&ing, "petitions", "channel", "case_folded"), 1);
    assert_eq!(normalised(&ing, "petitions", "petition_id", "trimmed"), 0);
    assert_eq!(
        column(&ctx, "SELECT village_code FROM petitions").await,
        [V1, V1, V1, V2]
    );
    assert_eq!(
        column(
            &ctx,
            "SELECT channel FROM petitions WHERE petition_id = 'upper'"
        )
        .await,
        ["letter"]
    );
    // The manifest says so: the counts are serialised with the table.
    let json = serde_json::to_string(ing.report("petitions").unwrap()).unwrap();
    assert!(
        json.contains("\"normalised\":{\"channel\":{\"case_folded\":1}"),
        "{json}"
    );
}

#[tokio::test]
async fn normalisation_can_be_switched_off() {
    let d = District::new();
    messy_petitions(&d);
    std::fs::write(
        d.path().join("catalog.toml"),
        "[sources.petitions]\nnormalise = { trim = false, fullwidth = false, case = false }\n",
    )
    .unwrap();
    let (_, ing) = ingest_dir(&d).await.unwrap();
    assert_eq!(
        reasons(&ing, "petitions"),
        vec![
            ("bad_enum:channel".into(), 1),
            ("unknown_village".into(), 2)
        ]
    );
    assert!(ing.report("petitions").unwrap().normalised.is_empty());
}

#[tokio::test]
async fn value_maps_apply_and_rejects_show_the_label_as_it_arrived() {
    let d = District::new();
    d.put(
        &PETITIONS,
        &[
            &[("petition_id", Some("mapped")), ("channel", Some("来信"))],
            &[("petition_id", Some("spaced")), ("channel", Some(" 来访 "))],
            &[("petition_id", Some("unmapped")), ("channel", Some("微信"))],
        ],
    );
    std::fs::write(
        d.path().join("catalog.toml"),
        "[sources.petitions.values.channel]\n\"来信\" = \"letter\"\n\"来访\" = \"visit\"\n",
    )
    .unwrap();
    let (ctx, ing) = ingest_dir(&d).await.unwrap();
    assert_eq!(
        reasons(&ing, "petitions"),
        vec![("bad_enum:channel".into(), 1)]
    );
    assert_eq!(normalised(&ing, "petitions", "channel", "mapped"), 2);
    assert_eq!(
        column(&ctx, "SELECT channel FROM petitions").await,
        ["letter", "visit"]
    );
    let text = rejects_text(&ing, "petitions");
    assert!(text.contains("bad_enum:channel"), "{text}");
    assert!(text.contains("微信"), "{text}");
    // What `validate` lists as still unmapped.
    let unmapped: Vec<(String, String, u64)> = ing
        .unmapped()
        .into_iter()
        .map(|u| (format!("{}.{}", u.table, u.column), u.value, u.rows))
        .collect();
    assert_eq!(
        unmapped,
        [("petitions.channel".to_string(), "微信".to_string(), 1)]
    );
}

/// A petitions extract as CSV text: Chinese headers, labels, 是/否, dates.
fn petitions_csv(delimiter: char) -> String {
    let header = [
        "信访件编号",
        "村社代码",
        "受理日期",
        "信访方式",
        "问题类别",
        "信访类型",
        "被反映人职务",
        "被反映人",
        "信访人",
        "是否匿名",
        "是否重复",
        "办理期限",
        "办结日期",
        "核查结论",
        "满意度",
    ];
    // One row a line, cells separated by | (fifteen cells, as the header).
    let rows = [
        "P1|990101001201|2026年08月01日|来信|other|accusation||||是|否|2026/09/01|||",
        "P2|990101001202|2026-08-02|visit|other|request||||否|否||||satisfied",
        "P3|990101001201|2026年13月01日|visit|other|request||||否|否||||",
        "P4|990101001201|2026年08月03日|visit|other|request||||也许|否||||",
    ]
    .map(|r| r.split('|').collect::<Vec<_>>());
    let d = delimiter.to_string();
    let mut out = header.join(&d) + "\n";
    for r in rows {
        out.push_str(&r.join(&d));
        out.push('\n');
    }
    out
}

const CSV_CATALOG: &str = r#"[sources.petitions]
path = "信访件.csv"
format = "csv"
date_format = "%Y年%m月%d日"
booleans = { true = ["是"], false = ["否"] }

[sources.petitions.columns]
"信访件编号" = "petition_id"
"村社代码" = "village_code"
"受理日期" = "received_date"
"信访方式" = "channel"
"问题类别" = "category"
"信访类型" = "kind"
"被反映人职务" = "accused_role"
"被反映人" = "accused_person_id"
"信访人" = "complainant_key"
"是否匿名" = "is_anonymous"
"是否重复" = "is_repeat"
"办理期限" = "due_date"
"办结日期" = "closed_date"
"核查结论" = "finding"
"满意度" = "satisfaction"

[sources.petitions.values.channel]
"来信" = "letter"

[sources.petitions.date_formats]
due_date = "%Y/%m/%d"
"#;

async fn check_csv_district(d: &District) {
    let (ctx, ing) = ingest_dir(d).await.unwrap();
    let p = ing.report("petitions").unwrap();
    assert_eq!((p.rows_read, p.rows_accepted), (4, 2), "{p:?}");
    assert_eq!(
        reasons(&ing, "petitions"),
        vec![
            ("bad_value:is_anonymous".into(), 1),
            ("bad_value:received_date".into(), 1),
        ]
    );
    assert_eq!(
        column(
            &ctx,
            "SELECT CAST(received_date AS VARCHAR) || ' ' || CAST(due_date AS VARCHAR) || ' ' || channel || ' ' || CAST(is_anonymous AS VARCHAR) FROM petitions WHERE petition_id = 'P1'"
        )
        .await,
        ["2026-08-01 2026-09-01 letter true"]
    );
    assert_eq!(
        column(&ctx, "SELECT satisfaction FROM petitions").await,
        ["NULL", "satisfied"]
    );
    // The rejects show the text as it arrived.
    let text = rejects_text(&ing, "petitions");
    assert!(text.contains("2026年13月01日"), "{text}");
    assert!(text.contains("也许"), "{text}");
}

#[tokio::test]
async fn a_gb18030_csv_with_chinese_headers_labels_dates_and_booleans() {
    let d = District::new();
    let text = petitions_csv(',');
    let (bytes, _, bad) = encoding_rs::GB18030.encode(&text);
    assert!(!bad);
    std::fs::write(d.path().join("信访件.csv"), &bytes).unwrap();
    std::fs::write(
        d.path().join("catalog.toml"),
        CSV_CATALOG.replace(
            "format = \"csv\"",
            "format = \"csv\"\nencoding = \"gb18030\"",
        ),
    )
    .unwrap();
    check_csv_district(&d).await;
}

#[tokio::test]
async fn a_utf8_csv_with_a_bom_and_semicolons() {
    let d = District::new();
    let text = format!("\u{feff}{}", petitions_csv(';'));
    std::fs::write(d.path().join("信访件.csv"), text).unwrap();
    std::fs::write(
        d.path().join("catalog.toml"),
        CSV_CATALOG.replace("format = \"csv\"", "format = \"csv\"\ndelimiter = \";\""),
    )
    .unwrap();
    check_csv_district(&d).await;
}

#[tokio::test]
async fn a_gb18030_file_read_as_utf8_names_the_byte_line_and_the_fix() {
    let d = District::new();
    let text = petitions_csv(',');
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    std::fs::write(d.path().join("信访件.csv"), &bytes).unwrap();
    std::fs::write(d.path().join("catalog.toml"), CSV_CATALOG).unwrap();
    let err = ingest_dir(&d).await.err().unwrap();
    let msg = err.to_string();
    assert!(matches!(err, Error::Input { .. }), "{msg}");
    assert!(msg.contains("信访件.csv"), "{msg}");
    assert!(msg.contains("is not valid utf-8 at"), "{msg}");
    assert!(msg.contains("line 1"), "{msg}");
    assert!(msg.contains("encoding = \"gb18030\""), "{msg}");
}

#[tokio::test]
async fn a_bad_byte_in_a_utf8_file_is_located_within_its_line() {
    let d = District::new();
    let mut bytes = petitions_csv(',').into_bytes();
    // Into the sixth field of the fourth line.
    let line = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(2)
        .unwrap()
        .0
        + 1;
    let at = line
        + bytes[line..]
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b',')
            .nth(4)
            .unwrap()
            .0
        + 1;
    bytes.insert(at, 0xFF);
    std::fs::write(d.path().join("信访件.csv"), &bytes).unwrap();
    std::fs::write(d.path().join("catalog.toml"), CSV_CATALOG).unwrap();
    let msg = ingest_dir(&d).await.err().unwrap().to_string();
    assert!(msg.contains(&format!("byte {at}, line 4")), "{msg}");
}

#[tokio::test]
async fn a_bad_byte_in_a_gb18030_file_is_located() {
    let d = District::new();
    let text = petitions_csv(',');
    let mut bytes = encoding_rs::GB18030.encode(&text).0.into_owned();
    // 0xFF never starts a GB18030 sequence; put it on the third line.
    let third = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0
        + 1;
    bytes.insert(third, 0xFF);
    std::fs::write(d.path().join("信访件.csv"), &bytes).unwrap();
    std::fs::write(
        d.path().join("catalog.toml"),
        CSV_CATALOG.replace(
            "format = \"csv\"",
            "format = \"csv\"\nencoding = \"gb18030\"",
        ),
    )
    .unwrap();
    let msg = ingest_dir(&d).await.err().unwrap().to_string();
    assert!(msg.contains(&format!("byte {third}, line 3")), "{msg}");
}

#[tokio::test]
async fn every_catalog_problem_is_reported_at_once() {
    let d = District::new();
    std::fs::write(
        d.path().join("catalog.toml"),
        "[sources.petitions]\ndate_fromat = \"%Y\"\nformat = \"xls\"\n[sources.petitions.values.channel]\n\"来信\" = \"leter\"\n[sources.trade]\n",
    )
    .unwrap();
    let err = Catalog::load(d.path(), None).err().unwrap();
    let msg = err.to_string();
    assert!(msg.contains("4 problem(s)"), "{msg}");
    assert!(
        msg.contains("sources.petitions.date_fromat: unknown key; did you mean date_format?"),
        "{msg}"
    );
    assert!(msg.contains("did you mean letter?"), "{msg}");
    assert!(msg.contains("sources.trade: no such table"), "{msg}");
    assert!(msg.contains("sources.petitions.format: 'xls'"), "{msg}");
}

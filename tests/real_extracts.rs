//! Real extracts (issue 16, data contract 1.1 "The source catalog"): the
//! same generated district written canonically and as the district's
//! systems export it (`--export-style real`: a GB18030 CSV, a UTF-8 CSV
//! with a byte-order mark and `;`, Parquet with the platform's types,
//! Chinese headers and labels, text dates and 是/否, next to canonical
//! Parquet) scores byte for byte the same and reads, accepts and rejects
//! the same rows; a wrong encoding and a misspelt catalog stop the run
//! with the place and every problem.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::repo;
use qinglian::error::Error;
use qinglian::generate::{self, ExportStyle, GenerateOptions};
use qinglian::pipeline::{self, RunOptions};

/// A district no other test uses, with its defect rows.
fn district(style: ExportStyle, villages: usize, quarters: usize) -> GenerateOptions {
    GenerateOptions {
        seed: 16_067,
        villages,
        townships: 6,
        quarters,
        defects: true,
        export_style: style,
        ..GenerateOptions::default()
    }
}

fn run_options(data: &Path, out: &Path) -> RunOptions {
    RunOptions {
        data_dir: data.to_path_buf(),
        framework_dir: repo().join("indicators"),
        out_dir: Some(out.to_path_buf()),
        no_report: true,
        ..RunOptions::default()
    }
}

/// Per table of the manifest: rows read, accepted, rejected, and the
/// rejected rows by reason.
type Counts = BTreeMap<String, (u64, u64, u64, serde_json::Value)>;

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

fn counts(manifest: &serde_json::Value) -> Counts {
    manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let n = |k: &str| t[k].as_u64().unwrap();
            let table = t["table"].as_str().unwrap().to_string();
            let by_reason = t["rejected_by_reason"].clone();
            (
                table,
                (
                    n("rows_read"),
                    n("rows_accepted"),
                    n("rows_rejected"),
                    by_reason,
                ),
            )
        })
        .collect()
}

/// The files a table of the manifest was read from.
fn input_files(manifest: &serde_json::Value, table: &str) -> Vec<String> {
    let t = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == table)
        .unwrap();
    t["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn real_extracts_score_byte_for_byte_as_the_canonical_files() {
    let tmp = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for style in [ExportStyle::Canonical, ExportStyle::Real] {
        let data = tmp.path().join(format!("{}-data", style.as_str()));
        let out = tmp.path().join(format!("{}-out", style.as_str()));
        generate::generate(&district(style, 80, 8), &data).unwrap();
        pipeline::run(&run_options(&data, &out)).await.unwrap();
        outs.push(out);
    }
    let (canonical, real) = (&outs[0], &outs[1]);
    for f in ["ranking.csv", "scores.parquet"] {
        assert!(
            std::fs::read(canonical.join(f)).unwrap() == std::fs::read(real.join(f)).unwrap(),
            "{f} differs between the canonical and the real extracts"
        );
    }
    let (mc, mr) = (manifest(canonical), manifest(real));
    let (cc, cr) = (counts(&mc), counts(&mr));
    assert_eq!(cc, cr, "rows read, accepted and rejected per table");
    // The defect rows are there, and rejected alike.
    assert!(cr["petitions"].2 >= 3 && cr["cases"].2 >= 1 && cr["trading"].2 >= 1);
    // The real run read the extracts, through the catalog's maps.
    assert_eq!(input_files(&mr, "petitions"), ["信访件.csv"]);
    assert_eq!(input_files(&mr, "cases"), ["问题线索.csv"]);
    assert!(input_files(&mc, "petitions")[0].starts_with("petitions/quarter="));
    let petitions = mr["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "petitions")
        .unwrap();
    assert!(
        petitions["normalised"]["channel"]["mapped"]
            .as_u64()
            .unwrap()
            > 0
    );
}

/// A small real-style district in `dir`.
fn small_real(dir: &Path) {
    generate::generate(&district(ExportStyle::Real, 12, 2), dir).unwrap();
}

fn edit_catalog(data: &Path, from: &str, to: &str) {
    let path = data.join("catalog.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "the catalog has no {from}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

#[tokio::test]
async fn a_gb18030_extract_declared_utf8_names_the_file_the_place_and_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    small_real(&data);
    edit_catalog(&data, "encoding = \"gb18030\"", "encoding = \"utf-8\"");
    let bytes = std::fs::read(data.join("信访件.csv")).unwrap();
    let first_bad = std::str::from_utf8(&bytes).unwrap_err().valid_up_to();
    let err = pipeline::run(&run_options(&data, &tmp.path().join("out")))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Input { .. }), "{msg}");
    assert!(msg.contains("信访件.csv"), "{msg}");
    assert!(msg.contains(&format!("byte {first_bad}, line 1")), "{msg}");
    assert!(msg.contains("encoding = \"gb18030\""), "{msg}");
}

#[tokio::test]
async fn a_misspelt_catalog_lists_every_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    small_real(&data);
    edit_catalog(&data, "date_format = ", "date_fromat = ");
    edit_catalog(&data, "delimiter = \";\"", "delimitr = \";\"");
    edit_catalog(&data, "= \"visit\"", "= \"vist\"");
    edit_catalog(&data, "[sources.trading]", "[sources.tradeing]");
    let err = pipeline::run(&run_options(&data, &tmp.path().join("out")))
        .await
        .unwrap_err();
    let msg = err.to_string();
    let Error::Catalog { file, problems } = err else {
        panic!("not a catalog error: {msg}");
    };
    assert_eq!(file, data.join("catalog.toml"));
    assert_eq!(problems.len(), 4, "{problems:#?}");
    for (at, hint) in [
        ("sources.petitions.date_fromat", "did you mean date_format?"),
        ("sources.cases.delimitr", "did you mean delimiter?"),
        (
            "sources.petitions.values.channel.\"来访\"",
            "did you mean visit?",
        ),
        ("sources.tradeing", "did you mean trading?"),
    ] {
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(at) && p.contains(hint)),
            "{at}: {problems:#?}"
        );
    }
}

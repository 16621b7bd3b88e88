//! The engine at the scale of the leading district's platform: the default
//! framework grown to 188 indicators over 202 data points
//! (`qinglian generate-framework`) runs end to end on a generated district.
//! Its release-build time on a province-sized district is measured by
//! hand (README, "Scale"), not here.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use arrow::array::AsArray;
use common::repo;
use qinglian::framework::{DataPointSpec, Framework};
use qinglian::generate::{self, GenerateOptions, ScaleOptions};
use qinglian::pipeline::{self, RunOptions};

#[tokio::test]
async fn a_188_indicator_framework_over_202_data_points_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let base = Framework::load(&repo().join("indicators")).unwrap();
    let summary = generate::scale_framework(&base, tmp.path(), ScaleOptions::default()).unwrap();
    assert_eq!(summary.indicators, 188);
    assert_eq!(summary.datapoints, 202);
    let fw = Framework::load(&tmp.path().join("indicators")).unwrap();
    let declared = fw
        .datapoints
        .iter()
        .filter(|d| !matches!(d.spec, DataPointSpec::Builtin(_)))
        .count();
    assert_eq!((fw.indicators.len(), declared), (188, 202));

    let data = tmp.path().join("district");
    generate::generate(
        &GenerateOptions {
            seed: 4242,
            villages: 40,
            townships: 4,
            ..GenerateOptions::default()
        },
        &data,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = pipeline::run(&RunOptions {
        data_dir: data,
        framework_dir: tmp.path().join("indicators"),
        out_dir: Some(out.clone()),
        ..RunOptions::default()
    })
    .await
    .unwrap();
    assert_eq!(o.villages, 40);
    assert_eq!(o.ranked, 40);
    assert_eq!(o.scores.cells.len(), 188);
    // Generated indicators carry values: at least the petitions kinds in
    // the quarter. Empirical-Bayes shrinkage flattens the ones whose
    // variation between 40 villages is no more than chance (the generated
    // kinds are planted nowhere), so fewer of them are scored.
    let valued = o
        .scores
        .cells
        .iter()
        .filter(|c| c.iter().any(|x| x.raw.is_some()))
        .count();
    assert!(valued >= 120, "{valued} of 188 indicators with a value");
    let scored = o
        .scores
        .cells
        .iter()
        .filter(|c| c.iter().any(|x| x.normalised.is_some()))
        .count();
    assert!(scored > 61, "{scored} of 188 indicators scored");
    // scores.parquet: one row per village and indicator.
    let file = std::fs::File::open(out.join("scores.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut rows = 0;
    for b in reader {
        let b = b.unwrap();
        rows += b.num_rows();
        let ids = b.column_by_name("indicator_id").unwrap();
        assert!(ids.as_string_opt::<i32>().is_some() || ids.as_string_view_opt().is_some());
    }
    assert_eq!(rows, 40 * 188);
}

#[test]
fn a_scale_framework_cannot_grow_past_its_candidates() {
    let tmp = tempfile::tempdir().unwrap();
    let base = Framework::load(&repo().join("indicators")).unwrap();
    let err = generate::scale_framework(
        &base,
        tmp.path(),
        ScaleOptions {
            indicators: 188,
            datapoints: 100_000,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("at most"), "{err}");
}

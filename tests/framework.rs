//! The framework loader: the default framework is complete and documented;
//! a broken framework reports every problem together, unknown keys by path.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::repo;
use qinglian::error::Error;
use qinglian::framework::{DataPointSpec, Framework};

fn default_framework() -> Framework {
    Framework::load(&repo().join("indicators")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn default_framework_covers_every_source_and_crossmatches() {
    let fw = default_framework();
    assert!(
        fw.indicators.len() >= 24,
        "{} indicators",
        fw.indicators.len()
    );
    let mut sources = BTreeSet::new();
    for dp in &fw.datapoints {
        if let DataPointSpec::Aggregate { source, .. } = &dp.spec {
            sources.insert(source.name);
        }
    }
    assert_eq!(sources.len(), 4, "{sources:?}");
    // Indicators whose data points join a source with cadres or relations.
    let cross: Vec<&str> = fw
        .indicators
        .iter()
        .filter(|i| {
            [Some(&i.numerator), i.denominator.as_ref()]
                .into_iter()
                .flatten()
                .any(|d| {
                    matches!(&fw.datapoint(d).unwrap().spec, DataPointSpec::Sql { file, .. }
                    if { let s = &fw.sql[file]; s.contains("cadres") || s.contains("relations") })
                })
        })
        .map(|i| i.id.as_str())
        .collect();
    assert!(cross.len() >= 4, "{cross:?}");
    for i in &fw.indicators {
        assert!(!i.name_zh.is_empty() && !i.name_en.is_empty(), "{}", i.id);
        assert!(
            i.definition.split_whitespace().count() >= 15,
            "{}: definition too short",
            i.id
        );
    }
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const MAIN: &str = r#"
[framework]
id = "t"
version = "1"
name_zh = "测试"
name_en = "Test"
[[dimension]]
id = "d"
name_zh = "维"
name_en = "D"
"#;

#[test]
fn every_framework_problem_is_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("fw");
    write(&fw, "framework.toml", MAIN);
    write(
        &fw,
        "datapoints/a.toml",
        r#"
[[datapoint]]
id = "n"
name_zh = "n"
name_en = "n"
source = "petitions"
aggregate = "count"
filter = "kind = 'accusation'; DROP TABLE villages"

[[datapoint]]
id = "n"
name_zh = "dup"
name_en = "dup"
source = "villages"
aggregate = "count"

[[datapoint]]
id = "s"
name_zh = "s"
name_en = "s"
sql = "missing.sql"
"#,
    );
    write(
        &fw,
        "definitions/d.toml",
        r#"
[[indicator]]
id = "i1"
dimension = "nope"
name_zh = "i"
name_en = "i"
definition = "d"
formula = "share"
numerator = "ghost"
direction = "lower_is_better"
weight = 0
"#,
    );
    let err = Framework::load(&fw).unwrap_err();
    let Error::Framework { problems, .. } = &err else {
        panic!("{err}")
    };
    let all = problems.join("\n");
    for needle in [
        "filter",                 // statement smuggled into a filter
        "defined more than once", // duplicate id
        "'villages' is not a source",
        "missing.sql",
        "dimension: 'nope'",
        "'ghost' is not defined",
        "needs a denominator",
        "weight: 0",
        "dimension 'd' has no indicator",
    ] {
        assert!(all.contains(needle), "missing '{needle}' in:\n{all}");
    }
}

#[test]
fn unknown_key_is_reported_by_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("fw");
    write(&fw, "framework.toml", MAIN);
    write(&fw, "datapoints/a.toml", "");
    write(
        &fw,
        "definitions/d.toml",
        "[[indicator]]\nid = \"i\"\ndimension = \"d\"\nname_zh = \"i\"\nname_en = \"i\"\ndefinition = \"x\"\nformula = \"value\"\nnumerator = \"population\"\ndirection = \"lower_is_better\"\nwieght = 2\n",
    );
    let msg = Framework::load(&fw).unwrap_err().to_string();
    assert!(
        msg.contains("definitions/d.toml: indicator[0].wieght: unknown field `wieght`"),
        "{msg}"
    );
    assert!(msg.contains("1 problem(s)"), "{msg}");
}

#[test]
fn a_wrong_enumeration_value_names_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("fw");
    write(&fw, "framework.toml", MAIN);
    write(
        &fw,
        "datapoints/a.toml",
        "[[datapoint]]\nid = \"x\"\nname_zh = \"x\"\nname_en = \"x\"\nsource = \"petitions\"\naggregate = \"cnt\"\n",
    );
    write(&fw, "definitions/d.toml", "");
    let msg = Framework::load(&fw).unwrap_err().to_string();
    assert!(
        msg.contains("datapoint[0].aggregate") && msg.contains("unknown variant `cnt`"),
        "{msg}"
    );
}

#[tokio::test]
async fn sql_mistakes_are_found_before_any_data_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("fw");
    write(
        &fw,
        "framework.toml",
        &MAIN.replace(
            "name_en = \"Test\"",
            "name_en = \"Test\"\nsql_dir = \"sql\"",
        ),
    );
    write(
        &fw,
        "datapoints/a.toml",
        r#"
[[datapoint]]
id = "typo"
name_zh = "x"
name_en = "x"
source = "petitions"
aggregate = "count"
filter = "kindd = 'accusation'"

[[datapoint]]
id = "syntax"
name_zh = "x"
name_en = "x"
sql = "syntax.sql"

[[datapoint]]
id = "wrong_columns"
name_zh = "x"
name_en = "x"
sql = "wrong.sql"

[[datapoint]]
id = "ddl"
name_zh = "x"
name_en = "x"
sql = "ddl.sql"
"#,
    );
    write(
        &fw,
        "sql/syntax.sql",
        "SELEC village_code, COUNT(*) AS value FROM petitions GROUP BY village_code",
    );
    write(
        &fw,
        "sql/wrong.sql",
        "SELECT village_code AS code, COUNT(*) AS n FROM petitions GROUP BY village_code",
    );
    write(&fw, "sql/ddl.sql", "DROP TABLE petitions");
    write(
        &fw,
        "definitions/d.toml",
        "[[indicator]]\nid = \"i\"\ndimension = \"d\"\nname_zh = \"i\"\nname_en = \"i\"\ndefinition = \"x\"\nformula = \"value\"\nnumerator = \"typo\"\ndirection = \"lower_is_better\"\n",
    );
    let framework = Framework::load(&fw).unwrap();
    let err = qinglian::datapoints::check(&framework).await.unwrap_err();
    assert_eq!(err.kind(), qinglian::ErrorKind::Config);
    let msg = err.to_string();
    for needle in [
        "data point 'typo': filter `kindd = 'accusation'`",
        "sql/syntax.sql",
        "sql/wrong.sql: returns no `village_code` column",
        "data point 'wrong_columns' reads column `value`",
        "sql/ddl.sql: ",
    ] {
        assert!(msg.contains(needle), "missing '{needle}' in:\n{msg}");
    }
}

#[tokio::test]
async fn the_default_framework_plans() {
    qinglian::datapoints::check(&default_framework())
        .await
        .unwrap();
}

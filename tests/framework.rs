//! The framework loader: the default framework is complete and documented;
//! a broken framework reports every problem together, unknown keys by path.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{block_on, repo};
use qinglian::docs;
use qinglian::error::{Error, FrameworkProblem, ProblemKind};
use qinglian::framework::{DataPointSpec, Direction, Framework};

/// The problems of a framework error.
fn problems_of(err: &Error) -> &[FrameworkProblem] {
    let Error::Framework { problems, .. } = err else {
        panic!("not a framework error: {err}")
    };
    problems
}

/// Asserts that `problems` has a problem of `kind` in `file` at `path`
/// whose message starts with `message`, for each of `wanted`.
fn assert_problems(
    problems: &[FrameworkProblem],
    wanted: &[(ProblemKind, Option<&str>, Option<&str>, &str)],
) {
    for &(kind, file, path, message) in wanted {
        assert!(
            problems.iter().any(|p| p.kind == kind
                && p.file.as_deref() == file
                && p.path.as_deref() == path
                && p.message.starts_with(message)),
            "no {kind:?} problem in {file:?} at {path:?} starting {message:?} in:\n{problems:#?}"
        );
    }
}

fn default_framework() -> Framework {
    Framework::load(&repo().join("indicators")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn default_framework_covers_every_source_and_crossmatches() {
    let fw = default_framework();
    let datapoints = fw
        .datapoints
        .iter()
        .filter(|d| !matches!(d.spec, DataPointSpec::Builtin(_)))
        .count();
    assert!(
        fw.indicators.len() >= 60 && datapoints >= 70 && fw.dimensions.len() >= 5,
        "{} indicators, {datapoints} data points, {} dimensions",
        fw.indicators.len(),
        fw.dimensions.len()
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
            i.datapoints().any(|d| {
                matches!(&fw.datapoint(d).unwrap().spec, DataPointSpec::Sql { file, .. }
                    if { let s = &fw.sql[file]; s.contains("cadres") || s.contains("relations") })
            })
        })
        .map(|i| i.id.as_str())
        .collect();
    assert!(cross.len() >= 4, "{cross:?}");
    assert!(
        fw.indicators
            .iter()
            .any(|i| i.direction == Direction::TwoSided),
        "beneficiaries per 1,000 is two-sided"
    );
}

/// Every default indicator carries its whole documentation: names,
/// definition, rationale, sources, exclusions, unit, a worked example and a
/// minimum below which a village is unavailable (except counted findings).
#[test]
fn every_default_indicator_is_documented() {
    let fw = default_framework();
    let mut missing = Vec::new();
    for i in &fw.indicators {
        let mut lack = Vec::new();
        if i.name_zh.trim().is_empty() || i.name_en.trim().is_empty() {
            lack.push("names");
        }
        if i.definition.split_whitespace().count() < 15 {
            lack.push("definition (15 words or more)");
        }
        if i.rationale
            .as_deref()
            .is_none_or(|r| r.split_whitespace().count() < 15)
        {
            lack.push("rationale (15 words or more)");
        }
        if i.sources.is_empty() {
            lack.push("sources");
        }
        if i.exclusions.as_deref().is_none_or(|x| x.trim().is_empty()) {
            lack.push("exclusions");
        }
        if i.unit.is_none() {
            lack.push("unit");
        }
        if i.example.is_none() {
            lack.push("example");
        }
        // A finding counted per case and scored by deduction needs no
        // minimum: one case is a finding wherever it is.
        let counted = i.gate().is_none()
            && matches!(
                i.method.normalisation,
                qinglian::engine::method::Normalisation::Deduction { .. }
            );
        if !counted && (i.gate().is_none() || i.min_denominator.is_none()) {
            lack.push("min_denominator (with a denominator or basis)");
        }
        if !lack.is_empty() {
            missing.push(format!("{}: {}", i.id, lack.join(", ")));
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented indicators:\n{}",
        missing.join("\n")
    );
}

/// `docs/indicators.md` is generated from the framework; regenerate it with
/// `cargo run -- indicators docs --out docs/indicators.md`.
#[test]
fn docs_indicators_md_is_in_step_with_the_framework() {
    let fw = default_framework();
    let want = docs::framework_page(&fw);
    let path = repo().join("docs/indicators.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/indicators.md differs from the framework; run `cargo run -- indicators docs --out docs/indicators.md`"
    );
    for i in &fw.indicators {
        assert!(have.contains(&format!("`{}`", i.id)), "{}", i.id);
    }
}

#[test]
fn parameter_target_basis_and_example_mistakes_are_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("fw");
    write(
        &fw,
        "framework.toml",
        &format!(
            "{MAIN}\n[[parameter]]\nid = \"quarter_start\"\nvalue = 1.0\ndescription = \"x\"\n\n[[parameter]]\nid = \"limit\"\nvalue = nan\ndescription = \"\"\n"
        ),
    );
    write(
        &fw,
        "datapoints/a.toml",
        r#"
[[datapoint]]
id = "n"
name_zh = "n"
name_en = "n"
source = "trading"
aggregate = "count"
filter = "budget > $undefined_threshold"

[[datapoint]]
id = "m"
name_zh = "m"
name_en = "m"
source = "trading"
aggregate = "mean"
column = "budget"
window = "rolling_year"
"#,
    );
    write(
        &fw,
        "definitions/d.toml",
        r#"
[[indicator]]
id = "i_target"
dimension = "d"
name_zh = "i"
name_en = "i"
definition = "d"
formula = "rate_per_1000"
numerator = "n"
direction = "lower_is_better"
target = 3.0

[[indicator]]
id = "i_basis"
dimension = "d"
name_zh = "i"
name_en = "i"
definition = "d"
formula = "share"
numerator = "n"
denominator = "n"
basis = "n"
direction = "lower_is_better"

[[indicator]]
id = "i_value_min"
dimension = "d"
name_zh = "i"
name_en = "i"
definition = "d"
formula = "value"
numerator = "m"
min_denominator = 3
direction = "lower_is_better"

[[indicator]]
id = "i_example"
dimension = "d"
name_zh = "i"
name_en = "i"
definition = "d"
formula = "rate_per_1000"
numerator = "n"
min_denominator = 100
direction = "two_sided"
example = { text = "A village of 2,000 with 3.", numerator = 3, denominator = 2000, value = 15 }

[[indicator]]
id = "i_example_small"
dimension = "d"
name_zh = "i"
name_en = "i"
definition = "d"
formula = "share"
numerator = "n"
denominator = "n"
min_denominator = 3
direction = "lower_is_better"
example = { text = "Two of two.", numerator = 2, denominator = 2, value = 1 }
"#,
    );
    let err = Framework::load(&fw).unwrap_err();
    let main = Some("framework.toml");
    let (dps, defs) = (Some("datapoints/a.toml"), Some("definitions/d.toml"));
    use ProblemKind::{Invalid, Reference};
    assert_problems(
        problems_of(&err),
        &[
            (
                Invalid,
                main,
                Some("parameter[0].id"),
                "'quarter_start' is bound by the pipeline",
            ),
            (
                Invalid,
                main,
                Some("parameter[1].value"),
                "NaN is not a finite number",
            ),
            (Invalid, main, Some("parameter[1].description"), ""),
            (
                Reference,
                dps,
                Some("datapoint[0].filter"),
                "$undefined_threshold is not a parameter",
            ),
            (
                Invalid,
                defs,
                Some("indicator[0].target"),
                "only direction = \"two_sided\" (the value that scores best) or normalisation = \"target\"",
            ),
            (
                Invalid,
                defs,
                Some("indicator[1].basis"),
                "only formula 'value' takes a basis",
            ),
            (
                Invalid,
                defs,
                Some("indicator[2].min_denominator"),
                "formula 'value' has no denominator",
            ),
            (
                Invalid,
                defs,
                Some("indicator[3].example.value"),
                "15 does not follow from the formula (it gives 1.5)",
            ),
            (
                Invalid,
                defs,
                Some("indicator[4].example.denominator"),
                "below min_denominator",
            ),
        ],
    );
    // The line names the entry by its id as well.
    assert!(
        err.to_string().contains(
            "definitions/d.toml: indicator[3] (i_example).example.value: 15 does not follow"
        ),
        "{err}"
    );
}

#[test]
fn an_undefined_parameter_in_an_sql_file_is_named_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("fw");
    write(&fw, "framework.toml", MAIN);
    write(
        &fw,
        "datapoints/a.toml",
        "[[datapoint]]\nid = \"s\"\nname_zh = \"s\"\nname_en = \"s\"\nsql = \"s.sql\"\n",
    );
    write(
        &fw,
        "definitions/d.toml",
        "[[indicator]]\nid = \"i\"\ndimension = \"d\"\nname_zh = \"i\"\nname_en = \"i\"\ndefinition = \"d\"\nformula = \"value\"\nnumerator = \"s\"\ndirection = \"lower_is_better\"\n",
    );
    // -- a comment naming $in_comment is not a placeholder
    write(
        &fw,
        "../sql/s.sql",
        "-- uses $in_comment only here\nSELECT village_code, COUNT(*) AS value FROM trading\nWHERE budget > $limit AND awarded_date >= $year_start\nGROUP BY village_code\n",
    );
    let err = Framework::load(&fw).unwrap_err();
    assert_problems(
        problems_of(&err),
        &[(
            ProblemKind::Reference,
            Some("sql/s.sql"),
            None,
            "$limit is not a parameter",
        )],
    );
    let err = err.to_string();
    assert!(
        err.contains("sql/s.sql: $limit is not a parameter"),
        "{err}"
    );
    assert!(!err.contains("in_comment"), "{err}");
    assert!(!err.contains("$year_start is not"), "{err}");
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
    let (dps, defs) = (Some("datapoints/a.toml"), Some("definitions/d.toml"));
    use ProblemKind::{Duplicate, Invalid, MissingFile, Reference, Sql};
    assert_problems(
        problems_of(&err),
        &[
            // A statement smuggled into a filter.
            (
                Sql,
                dps,
                Some("datapoint[0].filter"),
                "'kind = 'accusation'; DROP TABLE villages' has text after the expression",
            ),
            (
                Duplicate,
                dps,
                Some("datapoint[1].id"),
                "'n' is defined more than once",
            ),
            (
                Reference,
                dps,
                Some("datapoint[1].source"),
                "'villages' is not a source",
            ),
            (MissingFile, None, None, "sql file 'missing.sql' not found"),
            (
                Reference,
                defs,
                Some("indicator[0].dimension"),
                "'nope' is not a dimension",
            ),
            (
                Reference,
                defs,
                Some("indicator[0].numerator"),
                "data point 'ghost' is not defined",
            ),
            (
                Invalid,
                defs,
                Some("indicator[0].denominator"),
                "formula 'share' needs a denominator",
            ),
            (
                Invalid,
                defs,
                Some("indicator[0].weight"),
                "0 is not a positive number",
            ),
            (
                Invalid,
                Some("framework.toml"),
                Some("dimension[0]"),
                "dimension 'd' has no indicator",
            ),
        ],
    );
    let all = err.to_string();
    for line in [
        "datapoints/a.toml: datapoint[1] (n).id: 'n' is defined more than once",
        "definitions/d.toml: indicator[0] (i1).weight: 0 is not a positive number",
        "framework.toml: dimension 'd' has no indicator",
    ] {
        assert!(all.contains(line), "missing '{line}' in:\n{all}");
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
    let err = Framework::load(&fw).unwrap_err();
    assert_problems(
        problems_of(&err),
        &[(
            ProblemKind::Syntax,
            Some("definitions/d.toml"),
            Some("indicator[0].wieght"),
            "unknown field `wieght`",
        )],
    );
    let msg = err.to_string();
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
    let err = Framework::load(&fw).unwrap_err();
    assert_problems(
        problems_of(&err),
        &[(
            ProblemKind::Syntax,
            Some("datapoints/a.toml"),
            Some("datapoint[0].aggregate"),
            "unknown variant `cnt`, expected one of `count`, `count_distinct`",
        )],
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
    let problems = problems_of(&err);
    use ProblemKind::Sql;
    assert_problems(
        problems,
        &[
            (
                Sql,
                None,
                None,
                "data point 'typo': filter `kindd = 'accusation'`",
            ),
            (Sql, Some("sql/syntax.sql"), None, ""),
            (
                Sql,
                Some("sql/wrong.sql"),
                None,
                "returns no `village_code` column",
            ),
            (
                Sql,
                Some("sql/wrong.sql"),
                None,
                "data point 'wrong_columns' reads column `value`",
            ),
            (Sql, Some("sql/ddl.sql"), None, ""),
        ],
    );
    assert!(problems.iter().all(|p| p.kind == Sql), "{problems:#?}");
    let msg = err.to_string();
    assert!(
        msg.contains("sql/wrong.sql: returns no `village_code` column"),
        "{msg}"
    );
}

#[tokio::test]
async fn the_default_framework_plans() {
    qinglian::datapoints::check(&default_framework())
        .await
        .unwrap();
}

#[test]
fn report_settings_are_checked_together_and_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("fw");
    let indicator = "[[indicator]]\nid = \"i\"\ndimension = \"d\"\nname_zh = \"i\"\nname_en = \"i\"\ndefinition = \"x\"\nformula = \"value\"\nnumerator = \"population\"\ndirection = \"lower_is_better\"\nweight = 1\n";
    write(&fw, "datapoints/a.toml", "");
    write(&fw, "definitions/d.toml", indicator);
    // Out-of-range values: every one named with its key.
    write(
        &fw,
        "framework.toml",
        &format!(
            "{MAIN}\n[report]\nsummons = 0\nsmall_cell_k = 0\ntrend_quarters = 9\nalert_drop = -1.0\n"
        ),
    );
    let err = Framework::load(&fw).unwrap_err();
    let problems = problems_of(&err);
    for (key, value) in [
        ("summons", "0"),
        ("small_cell_k", "0"),
        ("trend_quarters", "9"),
        ("alert_drop", "-1"),
    ] {
        let path = format!("report.{key}");
        assert!(
            problems.iter().any(|p| p.kind == ProblemKind::Invalid
                && p.file.as_deref() == Some("framework.toml")
                && p.path.as_deref() == Some(path.as_str())
                && p.shown_path == Some(format!("{path} = {value}"))),
            "no problem at {path} in:\n{problems:#?}"
        );
    }
    assert_eq!(problems.len(), 4, "{problems:#?}");
    let msg = err.to_string();
    assert!(
        msg.contains("framework.toml: report.summons = 0: the summons list"),
        "{msg}"
    );
    // A misspelt key, by its path.
    write(
        &fw,
        "framework.toml",
        &format!("{MAIN}\n[report]\nsumons = 5\n"),
    );
    let err = Framework::load(&fw).unwrap_err();
    assert_problems(
        problems_of(&err),
        &[(
            ProblemKind::Syntax,
            Some("framework.toml"),
            Some("report.sumons"),
            "unknown field `sumons`",
        )],
    );
    // Left out: the defaults; given: the values.
    write(&fw, "framework.toml", MAIN);
    let f = Framework::load(&fw).unwrap();
    assert_eq!(f.report, qinglian::framework::ReportSettings::default());
    assert_eq!((f.report.summons, f.report.small_cell_k), (10, 3));
    write(
        &fw,
        "framework.toml",
        &format!("{MAIN}\n[report]\nsummons = 5\ntrend_quarters = 8\n"),
    );
    let f = Framework::load(&fw).unwrap();
    assert_eq!((f.report.summons, f.report.trend_quarters), (5, 8));
    assert_eq!(f.report.small_cell_k, 3);
}

/// A framework whose one indicator reads the SQL data point `s` from
/// `sql/<file>`.
fn framework_with_sql_files(files: &[(&str, &str)]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("indicators");
    write(&fw, "framework.toml", MAIN);
    let mut dps = String::new();
    for (i, (file, sql)) in files.iter().enumerate() {
        dps.push_str(&format!(
            "[[datapoint]]\nid = \"s{i}\"\nname_zh = \"s\"\nname_en = \"s\"\nsql = \"{file}\"\ncolumn = \"value\"\n\n"
        ));
        write(&fw, &format!("../sql/{file}"), sql);
    }
    write(&fw, "datapoints/s.toml", &dps);
    let mut defs = String::new();
    for i in 0..files.len() {
        defs.push_str(&format!(
            "[[indicator]]\nid = \"i{i}\"\ndimension = \"d\"\nname_zh = \"i\"\nname_en = \"i\"\ndefinition = \"d\"\nformula = \"value\"\nnumerator = \"s{i}\"\nbasis = \"population\"\ndirection = \"lower_is_better\"\n\n"
        ));
    }
    write(&fw, "definitions/d.toml", &defs);
    (dir, fw)
}

#[test]
fn every_bad_sql_file_is_refused_together_by_file() {
    let (_dir, fw) = framework_with_sql_files(&[
        (
            "syntax.sql",
            "SELECT village_code, COUNT(* AS value FROM petitions GROUP BY village_code",
        ),
        (
            "path.sql",
            "SELECT village_code, COUNT(*) AS value FROM '/etc/passwd' GROUP BY village_code",
        ),
        (
            "parquet.sql",
            "SELECT village_code, COUNT(*) AS value FROM 'data-samples/villages.parquet' GROUP BY village_code",
        ),
        (
            "ddl.sql",
            "CREATE TABLE x AS SELECT village_code, 1 AS value FROM villages",
        ),
        ("dml.sql", "INSERT INTO villages SELECT * FROM villages"),
        ("copy.sql", "COPY villages TO '/tmp/leak.csv'"),
        ("set.sql", "SET datafusion.execution.batch_size = 1"),
        (
            "columns.sql",
            "SELECT village_code, COUNT(*) AS n FROM petitions GROUP BY village_code",
        ),
        (
            "two.sql",
            "SELECT village_code, 1 AS value FROM villages; DROP TABLE villages",
        ),
        (
            "good.sql",
            "SELECT village_code, COUNT(*) AS value FROM petitions GROUP BY village_code",
        ),
    ]);
    // Parse-level refusals come from loading; planning ones from the check.
    let err = match Framework::load(&fw) {
        Err(e) => e,
        Ok(f) => block_on(qinglian::datapoints::check(&f)).unwrap_err(),
    };
    let problems = problems_of(&err);
    let wanted: Vec<(ProblemKind, Option<&str>, Option<&str>, &str)> = [
        ("sql/syntax.sql", ""),
        (
            "sql/path.sql",
            "reads '/etc/passwd', not a table of the data contract",
        ),
        (
            "sql/parquet.sql",
            "reads 'data-samples/villages.parquet', not a table",
        ),
        ("sql/ddl.sql", ""),
        ("sql/dml.sql", ""),
        ("sql/copy.sql", ""),
        ("sql/set.sql", ""),
        ("sql/columns.sql", ""),
        ("sql/two.sql", ""),
    ]
    .into_iter()
    .map(|(file, message)| (ProblemKind::Sql, Some(file), None, message))
    .collect();
    assert_problems(problems, &wanted);
    assert!(
        !problems.iter().any(|p| p.to_string().contains("good.sql")),
        "{problems:#?}"
    );
    // The syntax error says where.
    let syntax = problems
        .iter()
        .find(|p| p.file.as_deref() == Some("sql/syntax.sql"))
        .unwrap();
    assert!(syntax.message.contains("Line: 1"), "{syntax}");
}

/// The framework is a fixed tree (index, dimensions, indicators, data
/// points over source tables): no reference can point back up it, so a
/// would-be cycle is refused as a reference to the wrong kind of thing.
#[test]
fn references_that_would_close_a_cycle_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("fw");
    write(&fw, "framework.toml", MAIN);
    write(
        &fw,
        "datapoints/a.toml",
        "[[datapoint]]\nid = \"n\"\nname_zh = \"n\"\nname_en = \"n\"\nsource = \"petitions\"\naggregate = \"count\"\n",
    );
    write(
        &fw,
        "definitions/d.toml",
        r#"
[[indicator]]
id = "self"
dimension = "d"
name_zh = "i"
name_en = "i"
definition = "d"
formula = "value"
numerator = "self"
basis = "n"
direction = "lower_is_better"

[[indicator]]
id = "other"
dimension = "self"
name_zh = "i"
name_en = "i"
definition = "d"
formula = "share"
numerator = "n"
denominator = "self"
direction = "lower_is_better"
"#,
    );
    let err = Framework::load(&fw).unwrap_err();
    let defs = Some("definitions/d.toml");
    use ProblemKind::Reference;
    assert_problems(
        problems_of(&err),
        &[
            (
                Reference,
                defs,
                Some("indicator[0].numerator"),
                "data point 'self' is not defined",
            ),
            (
                Reference,
                defs,
                Some("indicator[1].dimension"),
                "'self' is not a dimension",
            ),
        ],
    );
}

/// Every problem carries its kind, its file and its key path: a key of the
/// other kind of data point, an AHP comparison naming no dimension, a veto
/// defined twice and naming no data point.
#[test]
fn problems_carry_their_kind_file_and_key_path() {
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("fw");
    let veto = "[[veto]]\nid = \"v\"\ndatapoint = \"ghost\"\nat_least = 1\ncap = \"red\"\nreason_zh = \"x\"\nreason_en = \"y\"\n";
    write(
        &fw,
        "framework.toml",
        &format!(
            "{MAIN}\n[scoring.index]\nweights = \"ahp\"\ncomparisons = [{{ a = \"d\", b = \"ghost\", ratio = 2.0 }}]\n\n{veto}\n{veto}"
        ),
    );
    write(
        &fw,
        "datapoints/a.toml",
        "[[datapoint]]\nid = \"s\"\nname_zh = \"s\"\nname_en = \"s\"\nsql = \"s.sql\"\nsource = \"petitions\"\n\n[[datapoint]]\nid = \"n\"\nname_zh = \"n\"\nname_en = \"n\"\nsource = \"petitions\"\naggregate = \"count\"\nmissing = \"zero\"\n",
    );
    write(
        &fw,
        "../sql/s.sql",
        "SELECT village_code, 1 AS value FROM villages",
    );
    write(
        &fw,
        "definitions/d.toml",
        "[[indicator]]\nid = \"i\"\ndimension = \"d\"\nname_zh = \"i\"\nname_en = \"i\"\ndefinition = \"x\"\nformula = \"value\"\nnumerator = \"n\"\ndirection = \"lower_is_better\"\n",
    );
    let err = Framework::load(&fw).unwrap_err();
    let (main, dps) = (Some("framework.toml"), Some("datapoints/a.toml"));
    use ProblemKind::{Duplicate, Reference, Syntax};
    assert_problems(
        problems_of(&err),
        &[
            (
                Syntax,
                dps,
                Some("datapoint[0].source"),
                "an SQL data point takes no 'source'; put that logic in s.sql",
            ),
            (
                Syntax,
                dps,
                Some("datapoint[1].missing"),
                "only SQL data points take 'missing'",
            ),
            (
                Reference,
                main,
                Some("scoring.index.comparisons"),
                "comparison 1 (d vs ghost): unknown id `ghost`",
            ),
            (
                Reference,
                main,
                Some("veto[0].datapoint"),
                "'ghost' is not a data point of the framework",
            ),
            (
                Duplicate,
                main,
                Some("veto[1].id"),
                "'v' is defined more than once",
            ),
        ],
    );
    assert_eq!(problems_of(&err).len(), 6, "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(
            "datapoints/a.toml: datapoint[0] (s).source: an SQL data point takes no 'source'"
        ),
        "{msg}"
    );
}

/// A framework's SQL files computed for `quarters` on the hand-computed
/// district.
fn quarter_tables(
    fw: &Path,
    quarters: &[&str],
) -> qinglian::error::Result<Vec<qinglian::model::DataPointTable>> {
    let f = Framework::load(fw).unwrap();
    block_on(qinglian::datapoints::check(&f))?;
    let d = common::handcalc::handcalc_district();
    let catalog = qinglian::catalog::Catalog::load(d.path(), None).unwrap();
    let ctx = datafusion::prelude::SessionContext::new();
    let quarters: Vec<qinglian::period::Quarter> =
        quarters.iter().map(|q| q.parse().unwrap()).collect();
    block_on(async {
        let ing = qinglian::ingest::ingest(&ctx, &catalog).await.unwrap();
        qinglian::datapoints::compute_quarters(
            &ctx,
            &f,
            &ing,
            &quarters,
            qinglian::datapoints::Plan::Fused,
        )
        .await
    })
}

#[test]
fn a_file_over_every_quarter_gives_what_its_per_quarter_twin_gives() {
    let (_dir, fw) = framework_with_sql_files(&[
        (
            "per_quarter.sql",
            "SELECT village_code, COUNT(*) AS value FROM petitions WHERE received_date >= $quarter_start AND received_date < $quarter_end GROUP BY village_code",
        ),
        (
            "every_quarter.sql",
            "SELECT q.quarter, p.village_code, COUNT(*) AS value FROM petitions p JOIN quarters q ON p.received_date >= q.quarter_start AND p.received_date < q.quarter_end GROUP BY q.quarter, p.village_code",
        ),
    ]);
    let tables = quarter_tables(&fw, &["2026Q3", "2026Q2", "2025Q3"]).unwrap();
    let mut counted = 0.0;
    for t in &tables {
        assert_eq!(t.values["s0"], t.values["s1"], "{}", t.quarter);
        counted += t.values["s1"].iter().flatten().sum::<f64>();
    }
    assert!(counted >= 3.0, "too few petitions to tell: {counted}");
}

#[test]
fn a_file_over_every_quarter_must_return_its_quarter_and_bind_no_quarter_parameter() {
    let (_dir, fw) = framework_with_sql_files(&[
        (
            "both.sql",
            "SELECT q.quarter, p.village_code, COUNT(*) AS value FROM petitions p CROSS JOIN quarters q WHERE p.received_date < $quarter_end GROUP BY q.quarter, p.village_code",
        ),
        (
            "no_quarter.sql",
            "SELECT v.village_code, COUNT(*) AS value FROM villages v CROSS JOIN quarters q GROUP BY v.village_code",
        ),
        (
            "good.sql",
            "SELECT q.quarter, v.village_code, 1 AS value FROM villages v CROSS JOIN quarters q",
        ),
    ]);
    let err = quarter_tables(&fw, &["2026Q3"]).unwrap_err();
    let problems = problems_of(&err);
    assert_problems(
        problems,
        &[
            (
                ProblemKind::Sql,
                Some("sql/both.sql"),
                None,
                "reads the quarters table and uses $quarter_end",
            ),
            (
                ProblemKind::Sql,
                Some("sql/no_quarter.sql"),
                None,
                "reads the quarters table but returns no `quarter` column",
            ),
        ],
    );
    assert!(
        !problems.iter().any(|p| p.to_string().contains("good.sql")),
        "{problems:#?}"
    );
}

#[test]
fn a_file_over_every_quarter_gives_one_row_per_quarter_and_village_of_its_quarters() {
    for (sql, message) in [
        (
            "SELECT q.quarter, v.village_code, 1 AS value FROM villages v CROSS JOIN quarters q UNION ALL SELECT q.quarter, v.village_code, 2 FROM villages v CROSS JOIN quarters q",
            "returns more than one row for one quarter and village_code; GROUP BY quarters.quarter, village_code",
        ),
        (
            "SELECT '1999Q1' AS quarter, v.village_code, 1 AS value FROM villages v CROSS JOIN quarters q",
            "returns quarter '1999Q1', which is not in the quarters table (2026Q3, 2026Q2)",
        ),
    ] {
        let (_dir, fw) = framework_with_sql_files(&[("f.sql", sql)]);
        let err = quarter_tables(&fw, &["2026Q3", "2026Q2"]).unwrap_err();
        assert_problems(
            problems_of(&err),
            &[(ProblemKind::Sql, Some("sql/f.sql"), None, message)],
        );
    }
}

/// `indicators init` carries every file of the default framework, byte for
/// byte, and what it writes scores as the default does.
#[test]
fn indicators_init_writes_the_default_framework() {
    let mut on_disk: Vec<String> = Vec::new();
    for root in ["indicators", "sql"] {
        for f in common::files_under(&repo().join(root)) {
            let rel = f
                .strip_prefix(repo())
                .unwrap()
                .to_string_lossy()
                .to_string();
            if !rel.contains("naive-analyst") {
                on_disk.push(rel);
            }
        }
    }
    on_disk.sort();
    let carried: Vec<String> = qinglian::framework::defaults::FILES
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    assert_eq!(
        carried, on_disk,
        "src/framework/defaults.rs lists other files than indicators/ and sql/ hold"
    );
    for (rel, text) in qinglian::framework::defaults::FILES {
        assert_eq!(
            &std::fs::read_to_string(repo().join(rel)).unwrap(),
            text,
            "{rel}"
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("district");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_qinglian"))
        .args(["indicators", "init", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let copied = qinglian::framework::Framework::load(&out.join("indicators")).unwrap();
    let default = qinglian::framework::Framework::load(&repo().join("indicators")).unwrap();
    assert_eq!(copied.indicators.len(), default.indicators.len());
    assert_eq!(copied.datapoints.len(), default.datapoints.len());
    let head = std::fs::read_to_string(out.join("indicators/framework.toml")).unwrap();
    assert!(head.starts_with("# A district's own framework"), "{head}");
    // A second init into the same place refuses, naming a file.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_qinglian"))
        .args(["indicators", "init", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already holds a framework"));
}

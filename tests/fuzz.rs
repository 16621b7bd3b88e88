//! Property-based fuzzing of the files analysts edit by hand: the
//! framework (framework.toml, data points, definitions) and the source
//! catalog. Copies of the valid files with lines deleted, doubled or
//! truncated, numbers replaced by odd ones, or stray keys inserted must
//! either load or fail with the library's own error naming a file —
//! never panic, never hang. Bounded: 48 cases per property by default
//! (`PROPTEST_CASES=N cargo test --test fuzz` for a longer run).

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::path::Path;

use common::{copy_dir, repo};
use proptest::prelude::*;
use qinglian::Error;
use qinglian::catalog::Catalog;
use qinglian::framework::Framework;

/// One edit to a text file's lines.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    /// Replace the first number on a line.
    Number(usize, &'static str),
    Insert(usize, &'static str),
    /// Cut the file at this share of its length.
    Truncate(f64),
}

const ODD_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1e309",
    "nan",
    "inf",
    "-0.0",
    "99999999999999999999",
    "1.5",
    "\"3\"",
    "[]",
];

const STRAY_LINES: &[&str] = &[
    "unknown_key = 1",
    "[unknown_table]",
    "id = \"\"",
    "weight = -2",
    "[[indicator]]",
    "[[datapoint]]",
    "[[dimension]]",
    "path = \"/nonexistent/x.parquet\"",
    "\"列\" = \"nonexistent_column\"",
    "x = \"unterminated",
    "=",
    "[sources.nope]",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), prop::sample::select(ODD_NUMBERS))
            .prop_map(|(i, n)| Mutation::Number(i, n)),
        (any::<usize>(), prop::sample::select(STRAY_LINES))
            .prop_map(|(i, l)| Mutation::Insert(i, l)),
        (0.0f64..1.0).prop_map(Mutation::Truncate),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for m in mutations {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match m {
            Mutation::Delete(i) => {
                lines.remove(i % n);
            }
            Mutation::Duplicate(i) => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Mutation::Number(i, to) => {
                let l = &mut lines[i % n];
                if let Some(start) = l.find(|c: char| c.is_ascii_digit()) {
                    let end = l[start..]
                        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                        .map_or(l.len(), |e| start + e);
                    l.replace_range(start..end, to);
                }
            }
            Mutation::Insert(i, line) => lines.insert(i % (n + 1), (*line).to_string()),
            Mutation::Truncate(share) => {
                let joined = lines.join("\n");
                let mut cut = (joined.len() as f64 * share) as usize;
                while !joined.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines = joined[..cut].lines().map(String::from).collect();
            }
        }
    }
    lines.join("\n") + "\n"
}

/// An error of the library that names the file it is about.
fn names_a_file(e: &Error) -> bool {
    let text = e.to_string();
    text.contains(".toml") || text.contains(".sql") || text.contains(".parquet")
}

/// The framework's files an analyst edits.
const FRAMEWORK_FILES: &[&str] = &[
    "framework.toml",
    "datapoints/petitions.toml",
    "datapoints/trading.toml",
    "datapoints/crossmatch.toml",
    "definitions/assistance.toml",
    "definitions/cases.toml",
    "definitions/openness_trading.toml",
];

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(48),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mutated_framework_loads_or_names_its_problem(
        file in prop::sample::select(FRAMEWORK_FILES),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("indicators");
        copy_dir(&repo().join("indicators"), &dir);
        copy_dir(&repo().join("sql"), &tmp.path().join("sql"));
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, apply(&text, &mutations)).unwrap();
        match Framework::load(&dir) {
            Ok(f) => prop_assert!(!f.indicators.is_empty()),
            Err(e) => prop_assert!(names_a_file(&e), "{e}"),
        }
    }

    #[test]
    fn a_mutated_catalog_loads_or_names_its_problem(
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(repo().join("data-samples/catalog.toml")).unwrap();
        let path = tmp.path().join("catalog.toml");
        std::fs::write(&path, apply(&text, &mutations)).unwrap();
        // Paths in the catalog are relative to the data directory.
        let data: &Path = &repo().join("data-samples");
        match Catalog::load(data, Some(&path)) {
            Ok(_) => {}
            Err(e) => prop_assert!(
                names_a_file(&e) || matches!(e, Error::Input { .. }),
                "{e}"
            ),
        }
    }
}

#[test]
fn the_mutations_do_change_the_files() {
    // The control: each kind of mutation yields a different text, and the
    // loaders do reject some of them (so the properties test something).
    let text = "a = 1\nb = 2\nc = \"x\"\n";
    for m in [
        Mutation::Delete(0),
        Mutation::Duplicate(1),
        Mutation::Number(0, "nan"),
        Mutation::Insert(0, "[unknown_table]"),
        Mutation::Truncate(0.5),
    ] {
        assert_ne!(apply(text, std::slice::from_ref(&m)), text, "{m:?}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("indicators");
    copy_dir(&repo().join("indicators"), &dir);
    copy_dir(&repo().join("sql"), &tmp.path().join("sql"));
    let path = dir.join("framework.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        apply(&text, &[Mutation::Insert(3, "unknown_key = 1")]),
    )
    .unwrap();
    let e = Framework::load(&dir).unwrap_err();
    assert!(names_a_file(&e), "{e}");
}

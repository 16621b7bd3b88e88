//! The house rules of `src/`, checked on the source itself: modules import
//! only the stages below them (the order is `LAYERS`, as README's "Code
//! map" lists it), every module opens with a `//!` saying its job, and no
//! function runs past `MAX_FUNCTION_LINES`.

#![allow(clippy::unwrap_used, reason = "a test reads its own source tree")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The library's top-level modules, bottom first: a module may import
/// only modules listed before it. Modules on one line share a floor and
/// do not import each other.
const LAYERS: &[&[&str]] = &[
    // Ground floor: no import from the crate.
    &[
        "error", "period", "digest", "contract", "parallel", "progress",
    ],
    // The domain's shared types.
    &["model"],
    // The framework-free scoring engine.
    &["engine"],
    // Configuration: the indicator framework, the source catalog.
    &["framework", "catalog"],
    // The pipeline's stages, in the data's order.
    &["ingest"],
    &["datapoints"],
    &["indicators"],
    &["scoring"],
    &["alerts"],
    &["lifecycle"],
    &["assessment"],
    &["standings"],
    &["outputs"],
    &["report"],
    // Where the queries run when not in this process: a Ballista cluster.
    &["cluster"],
    &["pipeline"],
    // Tools on top of the pipeline or beside it.
    &["calibration", "bench", "docs", "precomputed", "generate"],
    // Weights learned from outcomes, measured as calibration measures.
    &["fitting"],
];

/// The longest function allowed in `src/`, in lines.
const MAX_FUNCTION_LINES: usize = 150;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The binary's own modules, which sit above the library.
fn is_binary(rel: &str) -> bool {
    matches!(rel, "main.rs" | "cli.rs" | "commands.rs")
}

/// Top-level module of a file under `src/`.
fn module_of(rel: &str) -> String {
    rel.split('/')
        .next()
        .unwrap()
        .trim_end_matches(".rs")
        .to_string()
}

/// Source without comments, string literals and the `#[cfg(test)]` tail.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The crate's top-level modules a piece of code names: `crate::x` paths
/// and the first segments of `use crate::{x, y::…}` groups.
fn crate_references(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(std::mem::take(&mut item));
                        continue;
                    }
                    _ => {}
                }
                item.push(ch);
            }
            out.push(item);
        } else {
            out.push(rest.to_string());
        }
    }
    out.into_iter()
        .filter_map(|s| {
            let name: String = s
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

#[test]
fn modules_import_only_the_stages_below_them() {
    let floor: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, mods)| mods.iter().map(move |m| (*m, i)))
        .collect();
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    for line in lib.lines() {
        if let Some(m) = line.strip_prefix("pub mod ") {
            let m = m.trim_end_matches(';');
            assert!(
                floor.contains_key(m),
                "module `{m}` is not in LAYERS of tests/architecture.rs; place it on its floor (and in README's Code map)"
            );
        }
    }
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut upward = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(src())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if is_binary(&rel) || rel == "lib.rs" {
            continue;
        }
        let module = module_of(&rel);
        let own = floor[module.as_str()];
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        for target in crate_references(&code) {
            if target == module {
                continue;
            }
            let Some(&theirs) = floor.get(target.as_str()) else {
                continue;
            };
            if theirs >= own {
                upward.push(format!("src/{rel} imports `{target}`"));
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "imports up or across the floors of LAYERS:\n  {}",
        upward.join("\n  ")
    );
}

#[test]
fn the_library_does_not_know_the_command_line() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    for f in &files {
        let rel = f
            .strip_prefix(src())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if is_binary(&rel) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        assert!(
            !code.contains("clap::") && !code.contains("use clap"),
            "src/{rel} uses clap; command-line types belong in src/cli.rs"
        );
    }
}

#[test]
fn every_module_says_its_job() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} does not open with a `//!` saying what the module is for",
            f.display()
        );
    }
}

/// Lines of each function in `text` (name, first line, length).
fn function_lengths(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let decl = [
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "fn ",
            "async fn ",
            "pub async fn ",
            "pub(crate) async fn ",
        ]
        .iter()
        .find_map(|p| trimmed.strip_prefix(p));
        let Some(rest) = decl else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let mut depth = 0i64;
        let mut opened = false;
        for (j, l) in lines.iter().enumerate().skip(i) {
            let code = strip_literals(l);
            for ch in code.chars() {
                match ch {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if !opened && code.trim_end().ends_with(';') {
                break;
            }
            if opened && depth == 0 {
                out.push((name.clone(), i + 1, j - i + 1));
                break;
            }
        }
    }
    out
}

/// A line without its string and char literals and its comment.
fn strip_literals(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if in_str {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '\'' => {
                // A char literal ('x', '\n', '{'); a lifetime has no closing quote.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') {
                    chars.next();
                    chars.next();
                    chars.next();
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.next();
                    chars.next();
                }
            }
            '/' if chars.peek() == Some(&'/') => break,
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn no_function_is_longer_than_a_screenful_or_two() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut long = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (name, line, length) in function_lengths(&text) {
            if length > MAX_FUNCTION_LINES {
                long.push(format!("{}:{line} {name}: {length} lines", f.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions longer than {MAX_FUNCTION_LINES} lines; split them into named steps:\n  {}",
        long.join("\n  ")
    );
}

#[test]
fn the_checks_see_what_they_check() {
    // The reference scanner finds grouped and plain paths, not comments.
    let code = code_of("use crate::{a::B, c};\nlet x = crate::d::e(); // crate::f\n");
    assert_eq!(crate_references(&code), ["a", "c", "d"]);
    // The length count closes on the function's own brace, not on braces
    // in strings or chars.
    let text = "fn short() {\n    let s = \"}}\";\n    let c = '{';\n}\nfn other() {}\n";
    assert_eq!(
        function_lengths(text),
        [("short".to_string(), 1, 4), ("other".to_string(), 5, 1)]
    );
}

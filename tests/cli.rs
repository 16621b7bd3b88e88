//! The `qinglian` binary: subcommands, messages and documented exit codes.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use common::*;

#[test]
fn indicators_list_and_show() {
    let o = qinglian(&["indicators", "list"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("pet_accusation_rate"), "{t}");
    let n: usize = t
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(n >= 60, "{t}");

    let o = qinglian(&["indicators", "show", "trd_below_threshold_share"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    for needle in [
        "`trd_below_threshold_share`",
        "**Definition.**",
        "**Exclusions.**",
        "**Rationale.**",
        "**Example.**",
        "**Sources.**",
        "lower is better",
        "numerator `trd_below_threshold`",
        "`$approval_threshold` = 100000",
    ] {
        assert!(t.contains(needle), "missing {needle} in\n{t}");
    }

    let o = qinglian(&["indicators", "docs"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        std::fs::read_to_string(repo().join("docs/indicators.md")).unwrap(),
        "indicators docs prints docs/indicators.md"
    );

    let o = qinglian(&["indicators", "show", "no_such_indicator"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("indicators list"), "{}", text(&o));
}

/// The first line of an error is the error itself; what caused it follows,
/// one "caused by" line each.
#[test]
fn an_error_prints_itself_first_then_its_causes() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("no-such-dir").join("indicators.md");
    let o = qinglian(&["indicators", "docs", "--out", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert_eq!(
        lines[0],
        format!("error: writing {}", path.display()),
        "{err}"
    );
    assert!(lines[1].starts_with("  caused by: "), "{err}");
}

/// Enumerated flags take only their listed values: a usage error (exit 2)
/// naming them otherwise.
#[test]
fn an_unknown_enumerated_value_is_a_usage_error() {
    for (args, values) in [
        (&["run", "--lang", "fr"][..], "zh, en"),
        (
            &[
                "score",
                "--table",
                "t.csv",
                "--meta",
                "m.csv",
                "--out",
                "o.csv",
                "--normalisation",
                "rank",
            ][..],
            "min_max, z_score, percentile_rank",
        ),
        (
            &[
                "score",
                "--table",
                "t.csv",
                "--meta",
                "m.csv",
                "--out",
                "o.csv",
                "--treatment",
                "cap",
            ][..],
            "none, jrc",
        ),
        (
            &[
                "score",
                "--table",
                "t.csv",
                "--meta",
                "m.csv",
                "--out",
                "o.csv",
                "--aggregation",
                "median",
            ][..],
            "arithmetic, geometric",
        ),
    ] {
        let o = qinglian(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.starts_with("error: invalid value"), "{args:?}: {err}");
        assert!(err.contains(values), "{args:?}: {err}");
    }
}

#[test]
fn explain_prints_one_query_per_source_with_bound_parameters() {
    let o = qinglian(&["run", "--explain"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert_eq!(t.matches("-- source ").count(), 4, "{t}");
    assert!(t.contains("$quarter_start") && !t.contains("DATE '"), "{t}");
}

#[test]
fn a_broken_framework_exits_2_with_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let o = qinglian(&["run", "--framework", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("framework.toml"), "{}", text(&o));
}

#[test]
fn off_contract_data_exits_3_naming_the_file() {
    let d = District::new();
    let b = with_column(&batch(&PETITIONS, &[&[]]), "received_date", None);
    d.put_raw("petitions.parquet", &b);
    let out = d.path().join("out");
    let o = qinglian(&[
        "run",
        "--data",
        d.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("petitions.parquet") && t.contains("received_date"),
        "{t}"
    );
    assert!(!out.exists());
}

#[test]
fn validate_reports_rejects_and_exits_4() {
    let out = tempfile::tempdir().unwrap();
    let o = qinglian(&["validate", "--rejects", out.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("petitions") && t.contains("unknown_village"),
        "{t}"
    );
    assert!(out.path().join("petitions.csv").is_file());
}

#[test]
fn run_on_the_samples_writes_the_report() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("2026Q3");
    let o = qinglian(&["run", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("2026Q3: 60 villages scored"),
        "{}",
        text(&o)
    );
    assert!(dir.join("ranking.csv").is_file());
}

#[test]
fn a_bad_quarter_is_a_usage_error() {
    let o = qinglian(&["run", "--quarter", "2026Q5"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("YYYYQn"), "{}", text(&o));
}

#[test]
fn a_memory_limit_gives_the_same_ranking_or_stops_with_exit_5() {
    let out = tempfile::tempdir().unwrap();
    // Unlimited, and limited to 64 MiB: the same ranking.
    let free = out.path().join("free");
    let o = qinglian(&["run", "--out", free.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let limited = out.path().join("limited");
    let o = qinglian(&[
        "run",
        "--memory-limit",
        "64M",
        "--out",
        limited.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for f in ["ranking.csv", "scores.parquet"] {
        assert!(
            std::fs::read(free.join(f)).unwrap() == std::fs::read(limited.join(f)).unwrap(),
            "{f} differs under the limit"
        );
    }
    // Far too little: a resources error naming the limit, exit 5, and no
    // report written.
    let starved = out.path().join("starved");
    let o = qinglian(&[
        "run",
        "--memory-limit",
        "256K",
        "--out",
        starved.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(text(&o).contains("--memory-limit"), "{}", text(&o));
    assert!(!starved.exists());
    // A size that is not one: a usage error.
    let o = qinglian(&["run", "--memory-limit", "lots"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// Decoded (Arrow) bytes of every Parquet file under `dir`.
fn decoded_bytes(dir: &std::path::Path) -> usize {
    files_under(dir)
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "parquet"))
        .map(|f| read_batch(f).get_array_memory_size())
        .sum()
}

#[test]
fn a_district_larger_than_the_memory_limit_completes_under_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("district");
    let o = qinglian(&[
        "generate",
        "--out",
        data.to_str().unwrap(),
        "--villages",
        "240",
        "--townships",
        "8",
        "--volume-factor",
        "3",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let limit = 10 << 20;
    let size = decoded_bytes(&data);
    assert!(
        size > 2 * limit,
        "the district decodes to {size} bytes, not more than the limit"
    );

    let free = tmp.path().join("free");
    let limited = tmp.path().join("limited");
    for (out, extra) in [(&free, None), (&limited, Some("10M"))] {
        let mut args = vec![
            "run",
            "--no-report",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        if let Some(l) = extra {
            args.extend(["--memory-limit", l]);
        }
        let o = qinglian(&args);
        assert!(o.status.success(), "{}", text(&o));
    }
    for f in ["ranking.csv", "scores.parquet", "weights.csv"] {
        assert!(
            std::fs::read(free.join(f)).unwrap() == std::fs::read(limited.join(f)).unwrap(),
            "{f} differs under the limit"
        );
    }
}

#[test]
fn no_report_writes_the_tables_only() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    let tables = tmp.path().join("tables");
    let o = qinglian(&["run", "--out", full.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = qinglian(&["run", "--no-report", "--out", tables.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let mut names: Vec<String> = std::fs::read_dir(&tables)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "manifest.json",
            "ranking.csv",
            "ranking.xlsx",
            "rejects",
            "scores.parquet",
            "weights.csv"
        ]
    );
    // The same tables as the full run, change columns included.
    for f in ["ranking.csv", "scores.parquet", "weights.csv"] {
        assert!(
            std::fs::read(full.join(f)).unwrap() == std::fs::read(tables.join(f)).unwrap(),
            "{f} differs without the report"
        );
    }
    let manifest = std::fs::read_to_string(tables.join("manifest.json")).unwrap();
    assert!(!manifest.contains("report.html"), "{manifest}");
    // The report's options make no sense without it.
    let o = qinglian(&["run", "--no-report", "--public"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// The measurements behind `scripts/bench` (docs/performance.md), on the
/// samples: the data-point stage under the fused and the naive plan, the
/// scan floor, and the SQL exported for DuckDB.
#[test]
fn bench_subcommands_measure_the_samples() {
    let json = |args: &[&str]| -> serde_json::Value {
        let o = qinglian(args);
        assert!(o.status.success(), "{}", text(&o));
        let out = String::from_utf8(o.stdout).unwrap();
        serde_json::from_str(out.trim().lines().last().unwrap()).unwrap()
    };
    let stage = |plan: &str| {
        json(&[
            "bench",
            "stage",
            "--data",
            "data-samples",
            "--quarter",
            "2026Q3",
            "--quarters",
            "2",
            "--plan",
            plan,
        ])
    };
    let (fused, naive) = (stage("fused"), stage("naive"));
    let o = qinglian(&[
        "bench",
        "stage",
        "--data",
        "data-samples",
        "--quarter",
        "2026Q3",
        "--plan",
        "fast",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap();
    let files = n(&fused, "sql_files");
    assert_eq!(files, 14, "{fused}");
    assert_eq!(n(&fused, "quarters"), 2);
    // Fused: one query per source that has aggregate data points (all
    // four), for both quarters at once; the SQL files that read the
    // quarters table (asst_cadre_kin, asst_cadre_beneficiary) once, the
    // others once per quarter.
    let sql_queries = 2 + (files - 2) * 2;
    assert_eq!(n(&fused, "queries"), 4 + sql_queries, "{fused}");
    // Naive: one query per aggregate data point.
    assert_eq!(
        n(&naive, "queries"),
        n(&naive, "aggregate_datapoints") + sql_queries,
        "{naive}"
    );
    assert!(n(&naive, "aggregate_datapoints") > 50, "{naive}");
    assert_eq!(n(&fused, "aggregate_queries"), 4, "{fused}");
    assert_eq!(
        n(&naive, "aggregate_queries"),
        n(&naive, "aggregate_datapoints"),
        "{naive}"
    );

    // The scan floor reads every row of the tables the framework names,
    // and only the columns its SQL names.
    // The scan floor reads Parquet itself: the samples' CSV extracts are
    // refused by name; the same district in canonical Parquet is scanned.
    let o = qinglian(&["bench", "scan", "--data", "data-samples"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("信访件.csv") && text(&o).contains("canonical Parquet"),
        "{}",
        text(&o)
    );
    let canonical = tempfile::tempdir().unwrap();
    let samples = canonical.path().join("samples");
    let o = qinglian(&[
        "generate",
        "--out",
        samples.to_str().unwrap(),
        "--seed",
        "20261123",
        "--defects",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let samples_arg = samples.to_str().unwrap();
    let scan = json(&["bench", "scan", "--data", samples_arg]);
    let columns = scan["columns"].as_object().unwrap();
    // Every table the default framework's SQL reads.
    assert_eq!(
        columns.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "assistance",
            "cadres",
            "cases",
            "petitions",
            "relations",
            "trading",
            "villages"
        ],
        "{scan}"
    );
    let mut rows = 0;
    for table in columns.keys() {
        for f in parquet_files(&samples, table) {
            let file = std::fs::File::open(&f).unwrap();
            let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
            rows += parquet::file::reader::FileReader::metadata(&reader)
                .file_metadata()
                .num_rows() as u64;
        }
    }
    assert_eq!(n(&scan, "rows"), rows, "{scan}");
    let assistance: Vec<&str> = columns["assistance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(assistance.contains(&"approved_date"), "{assistance:?}");
    assert!(!assistance.contains(&"record_id"), "{assistance:?}");

    // The export: every query's parameters given, every file there.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("export.json");
    let o = qinglian(&[
        "bench",
        "export",
        "--data",
        samples_arg,
        "--quarter",
        "2026Q3",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let queries = export["queries"].as_array().unwrap();
    assert_eq!(queries.len() as u64, 4 + files);
    for q in queries {
        let sql = q["sql"].as_str().unwrap();
        for (at, _) in sql.match_indices('$') {
            let name: String = sql[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(q["params"].get(&name).is_some(), "{}: ${name}", q["name"]);
        }
    }
    assert_eq!(
        queries
            .iter()
            .find_map(|q| q["params"].get("quarter_start"))
            .unwrap()["date"],
        "2026-07-01"
    );
    for t in export["tables"].as_object().unwrap().values() {
        for f in t["files"].as_array().unwrap() {
            assert!(std::path::Path::new(f.as_str().unwrap()).is_file(), "{f}");
        }
    }
}

/// The Parquet files of `table` in a data directory (a file or a directory).
fn parquet_files(data: &std::path::Path, table: &str) -> Vec<std::path::PathBuf> {
    let file = data.join(format!("{table}.parquet"));
    if file.is_file() {
        return vec![file];
    }
    let mut out = Vec::new();
    let mut dirs = vec![data.join(table)];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn generate_field_profile_validates_without_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("field");
    let o = qinglian(&[
        "generate",
        "--profile",
        "field",
        "--villages",
        "300",
        "--townships",
        "6",
        "--seed",
        "7",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("generated 300 villages") && t.contains("look-alike villages"),
        "{t}"
    );
    assert!(data.join("lookalikes.csv").is_file());
    assert!(data.join("ground_truth.csv").is_file());

    let o = qinglian(&["validate", "--data", data.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = text(&o);
    for line in t.lines().skip(1).filter(|l| !l.starts_with("dispositions")) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[1], "present", "{line}");
        assert_eq!(cols[4], "0", "rejected rows: {line}");
    }
    // A header and the nine tables (the counties extension and the
    // dispositions, which the generator leaves out, included).
    assert_eq!(t.lines().count(), 10, "{t}");

    let o = qinglian(&["generate", "--profile", "nonsense", "--out", "x"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn run_keeps_its_validation_cache_beside_the_output_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports/2026Q3");
    let o = qinglian(&["run", "--no-report", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let entries = files_under(&dir.path().join("reports/.qinglian-cache/validation"));
    assert!(entries.len() >= 6, "{entries:?}");
    let other = dir.path().join("other");
    let cache = dir.path().join("elsewhere");
    let run_into = |out: &str| {
        let o = qinglian(&[
            "-v",
            "run",
            "--no-report",
            "--out",
            other.join(out).to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o));
        text(&o)
    };
    let first = run_into("out");
    assert!(!other.join(".qinglian-cache").exists());
    assert!(!files_under(&cache).is_empty());
    assert!(
        !first.contains("validation taken from the cache"),
        "{first}"
    );
    let again = run_into("again");
    assert!(again.contains("validation taken from the cache"), "{again}");
    let bare = dir.path().join("bare");
    let o = qinglian(&[
        "run",
        "--no-report",
        "--no-cache",
        "--out",
        bare.join("out").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!bare.join(".qinglian-cache").exists());
    assert_eq!(files_under(&bare), files_under(&bare.join("out")));
}

#[test]
fn version_completions_and_manual_page() {
    let o = qinglian(&["--version"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.starts_with(&format!("qinglian {}", env!("CARGO_PKG_VERSION"))),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "(data contract {})",
            qinglian::contract::CONTRACT_VERSION
        )),
        "{t}"
    );
    for shell in ["bash", "zsh", "fish"] {
        let o = qinglian(&["completions", shell]);
        assert!(o.status.success(), "{}", text(&o));
        let t = text(&o);
        // fish writes a long flag as `-l name`, bash and zsh as `--name`.
        for flag in ["no-report", "bind-grpc-port", "log-format"] {
            assert!(t.contains(flag), "{shell} completions lack --{flag}");
        }
    }
    let o = qinglian(&["man"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.starts_with(".ie") || t.contains(".TH qinglian"), "{t}");
    assert!(t.contains("completions"), "{t}");
}

#[test]
fn a_json_log_is_one_object_per_line_ending_in_a_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = qinglian(&[
        "run",
        "--no-report",
        "--no-cache",
        "--out",
        out.to_str().unwrap(),
        "--log-format",
        "json",
        "-v",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8(o.stderr.clone()).unwrap();
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(events.len() >= 5, "{stderr}");
    for e in &events {
        for field in ["timestamp", "level", "target", "message"] {
            assert!(e.get(field).is_some(), "no {field} in {e}");
        }
    }
    let ingested = events.iter().find(|e| e["message"] == "ingested").unwrap();
    assert!(ingested["ms"].is_u64(), "{ingested}");
    let last = events.last().unwrap();
    assert_eq!(last["target"], "qinglian::summary", "{last}");
    assert_eq!(last["quarter"], "2026Q3", "{last}");
    assert_eq!(last["villages"], 60, "{last}");
    assert_eq!(last["exit_code"], 0, "{last}");
    let by_table: serde_json::Value =
        serde_json::from_str(last["rejected_by_table"].as_str().unwrap()).unwrap();
    assert_eq!(
        by_table
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        last["rows_rejected"].as_u64().unwrap(),
        "{last}"
    );

    // A failed run ends in its error and exit code, still JSON, even
    // without -v.
    let o = qinglian(&[
        "run",
        "--data",
        "/nonexistent/qinglian",
        "--log-format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let stderr = String::from_utf8(o.stderr).unwrap();
    let last: serde_json::Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(last["exit_code"], 3, "{last}");
    assert!(
        last["error"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/qinglian"),
        "{last}"
    );
}

/// The bars' own words (`qinglian::progress` messages), found nowhere else
/// in a run's output.
const BARS: [&str; 4] = [
    "validating villages (",
    "data-point queries",
    "Monte Carlo runs",
    "village pages",
];

#[test]
fn progress_bars_only_on_a_terminal_and_not_with_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    // Standard error a pipe (a batch job): log lines, no bar.
    let o = qinglian(&["run", "--out", out, "-v"]);
    assert!(o.status.success(), "{}", text(&o));
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(log.contains("data points computed"), "{log}");
    for bar in BARS {
        assert!(!log.contains(bar), "a bar on a pipe: {bar}");
    }
    assert!(
        !log.contains('\u{1b}'),
        "no colour or cursor codes on a pipe"
    );

    // On a terminal: util-linux's script(1) runs the binary on a
    // pseudo-terminal and records what it drew.
    let script = std::path::Path::new("/usr/bin/script");
    if !script.is_file() {
        assert!(
            std::env::var("QINGLIAN_REQUIRE_BROWSER").is_err(),
            "CI needs util-linux's script(1) for the terminal test"
        );
        eprintln!("skipped the terminal half: no /usr/bin/script (util-linux)");
        return;
    }
    let on_terminal = |extra: &str| {
        let record = tmp.path().join("terminal.log");
        let command = format!("{} run --out {out} {extra}", env!("CARGO_BIN_EXE_qinglian"));
        let o = std::process::Command::new(script)
            .args(["-q", "-e", "-f", "-c", &command])
            .arg(&record)
            .current_dir(repo())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        String::from_utf8_lossy(&std::fs::read(&record).unwrap()).into_owned()
    };
    let drawn = on_terminal("-v");
    for bar in BARS {
        assert!(drawn.contains(bar), "no {bar} bar on a terminal: {drawn}");
    }
    assert!(
        drawn.contains("data points computed"),
        "log lines beside the bars"
    );
    assert!(drawn.contains("villages scored"), "the closing line");
    let quiet = on_terminal("-v --quiet");
    for bar in BARS {
        assert!(!quiet.contains(bar), "a bar with --quiet: {bar}");
    }
    assert!(
        !quiet.contains("villages scored"),
        "no closing line with --quiet"
    );
    assert!(quiet.contains("data points computed"), "the log stays");
}

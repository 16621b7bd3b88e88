//! The `qinglian` command: parse the command line (`cli.rs`), run the
//! subcommand (`commands.rs`), print the error chain, exit with a
//! documented code.
//!
//! Exit codes: 0 success; 1 internal error (a bug, or the machine failed);
//! 2 usage, framework or catalog error; 3 input data missing, unreadable or
//! off-contract; 4 `validate` found rows it would reject; 5 the run needed
//! more memory than `--memory-limit` allows.

use std::process::ExitCode;

use clap::Parser;
use qinglian::{Error, ErrorKind};

mod cli;
mod commands;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let json = cli.log_format == cli::LogFormat::Json;
    init_logging(cli.verbose, json, cli.quiet);
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            let code = exit_number(&err);
            if json {
                // The last object of a failed run: its error chain and code.
                let chain: Vec<String> = err.chain().map(ToString::to_string).collect();
                tracing::error!(
                    target: "qinglian::summary",
                    exit_code = code,
                    error = %chain.join(": "),
                    "run failed"
                );
            } else {
                print_error(&err);
            }
            ExitCode::from(code)
        }
    }
}

/// Logs to standard error: warnings, or more with -v and -vv;
/// `QINGLIAN_LOG` (a tracing filter) overrides both. `json`: one JSON
/// object per event and line (tracing-subscriber's JSON layer), the
/// event's fields flattened beside `timestamp`, `level` and `target`.
/// Text logs on a terminal, unless `quiet`, come with progress bars
/// (`qinglian::progress`, drawn by tracing-indicatif, which also writes
/// the log lines so the two do not tear).
fn init_logging(verbose: u8, json: bool, quiet: bool) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    // The summary of a batch job is logged whatever the level.
    let filter = tracing_subscriber::EnvFilter::try_from_env("QINGLIAN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let filter = if json {
        filter.add_directive("qinglian::summary=info".parse().expect("a valid directive"))
    } else {
        filter
    };
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    if json {
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_filter(filter);
        tracing_subscriber::registry().with(layer).init();
    } else if terminal && !quiet {
        let bars = tracing_indicatif::IndicatifLayer::new();
        // Colours for a terminal only, not in a batch job's log file.
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(bars.get_stderr_writer())
            .with_ansi(true)
            .with_filter(filter);
        let shown = tracing_indicatif::filter::IndicatifFilter::new(false);
        tracing_subscriber::registry()
            .with(layer)
            .with(bars.with_filter(shown))
            .init();
    } else {
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(terminal)
            .with_filter(filter);
        tracing_subscriber::registry().with(layer).init();
    }
}

/// The error on the first line, then what caused it, one line each.
fn print_error(err: &anyhow::Error) {
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}

/// The exit code of the first library error in the chain; 1 (internal)
/// when there is none.
fn exit_number(err: &anyhow::Error) -> u8 {
    let kind = err
        .chain()
        .find_map(|e| e.downcast_ref::<Error>())
        .map(Error::kind);
    match kind {
        Some(ErrorKind::Config) => 2,
        Some(ErrorKind::Data) => 3,
        Some(ErrorKind::Resources) => 5,
        Some(ErrorKind::Internal) | None => 1,
    }
}

//! The report in a real browser: Debian's headless Chromium loads
//! `report.html` and a village page from disk, finds every resource, runs
//! the page scripts without error, and draws a page that is not blank.
//!
//! Needs `chromium` (or `$CHROMIUM`); `.ci/run` installs it and sets
//! `QINGLIAN_REQUIRE_BROWSER=1`, which turns a missing browser into a
//! failure. Elsewhere a missing browser skips these tests with a note.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::repo;
use qinglian::pipeline;

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var("CHROMIUM").ok().map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
        Some(PathBuf::from("/usr/bin/google-chrome")),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("QINGLIAN_REQUIRE_BROWSER").is_err(),
            "QINGLIAN_REQUIRE_BROWSER is set but no chromium was found; install Debian's chromium (apt-get install chromium) or set CHROMIUM"
        );
        eprintln!("skipped: no chromium (apt-get install chromium, or set CHROMIUM)");
    }
    found
}

/// Runs headless Chromium on a file with `args`; returns stdout and stderr.
fn browse(browser: &Path, profile: &Path, page: &Path, args: &[&str]) -> (String, String) {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1400,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read both pipes on threads; give the browser two minutes at most.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        stdout.read_to_end(&mut v).map(|_| v)
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        stderr.read_to_end(&mut v).map(|_| v)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish on {url} within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = Output {
        status,
        stdout: out_thread.join().unwrap().unwrap(),
        stderr: err_thread.join().unwrap().unwrap(),
    };
    assert!(
        out.status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The page's own load record (base.html): loaded, and how many errors.
fn load_record(dom: &str) -> (bool, String) {
    let loaded = dom.contains("data-loaded=\"1\"");
    let at = dom
        .find("data-errors=\"")
        .map(|i| i + "data-errors=\"".len());
    let errors = at
        .map(|i| dom[i..i + dom[i..].find('"').unwrap()].to_string())
        .unwrap_or_default();
    (loaded, errors)
}

/// Console errors Chromium logged: uncaught exceptions, failed loads.
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.contains("Uncaught")
                || l.contains("ERR_FILE_NOT_FOUND")
                || l.contains("Failed to load resource")
        })
        .collect()
}

#[test]
fn the_report_loads_cleanly_and_draws_a_page() {
    let Some(browser) = chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    common::block_on(pipeline::run(&common::samples(&out))).unwrap();
    let village = std::fs::read_dir(out.join("village"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();

    for page in [out.join("report.html"), village] {
        let profile = tempfile::tempdir().unwrap();
        let (dom, stderr) = browse(&browser, profile.path(), &page, &["--dump-dom"]);
        let (loaded, errors) = load_record(&dom);
        assert!(loaded, "{} did not finish loading", page.display());
        assert_eq!(errors, "0", "{}: load errors in the page", page.display());
        assert!(
            console_errors(&stderr).is_empty(),
            "{}: {:?}",
            page.display(),
            console_errors(&stderr)
        );
        // The sortable tables were set up by the page script.
        assert!(dom.contains("class=\"sortable\""), "{}", page.display());

        let shot = tmp.path().join("shot.png");
        let profile = tempfile::tempdir().unwrap();
        browse(
            &browser,
            profile.path(),
            &page,
            &[&format!("--screenshot={}", shot.display())],
        );
        let img = image::open(&shot).unwrap().to_rgb8();
        let (w, h) = img.dimensions();
        assert!(w >= 1000 && h >= 1000, "{w}×{h}");
        let background = img.get_pixel(w / 2, h - 1).0;
        let drawn = img.pixels().filter(|p| p.0 != background).count();
        let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(
            drawn * 10 > (w * h) as usize && colours.len() > 50,
            "{}: the screenshot is nearly blank ({drawn} drawn pixels, {} colours)",
            page.display(),
            colours.len()
        );
    }
}

#[test]
fn a_missing_resource_is_caught() {
    // The control: the page's load record does see a broken page.
    let Some(browser) = chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let template = std::fs::read_to_string(repo().join("reports/templates/base.html")).unwrap();
    let script_start = template.find("<script>").unwrap();
    let script_end = template.find("</script>").unwrap() + "</script>".len();
    let page = tmp.path().join("broken.html");
    std::fs::write(
        &page,
        format!(
            "<!DOCTYPE html><html><head>{}</head><body><p>x</p><img src=\"missing.png\"><script>undefinedFunction();</script></body></html>",
            &template[script_start..script_end]
        ),
    )
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let (dom, stderr) = browse(&browser, profile.path(), &page, &["--dump-dom"]);
    let (loaded, errors) = load_record(&dom);
    assert!(loaded);
    assert_eq!(errors, "2", "{dom}");
    assert!(!console_errors(&stderr).is_empty(), "{stderr}");
}

//! The report in a real browser: Debian's headless Chromium loads
//! `report.html` and a village page from disk, finds every resource, runs
//! the page scripts without error, and draws a page that is not blank; on
//! a 390-px phone nothing is wider than the screen outside a scrolling box
//! and no village name breaks; printed to A4 the report has the pages it
//! should.
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
        ])
        .args(
            (!args.iter().any(|a| a.starts_with("--window-size")))
                .then_some("--window-size=1400,2000"),
        )
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

/// A page that shows `page` (a file beside it) in a 390 × 844 frame, the
/// phone's viewport (headless Chromium's own window is at least 500 px
/// wide), and at load measures the framed page: elements reaching past
/// its right edge with no scrolling box around them, village names laid
/// out on more than one line, the viewport's width, as attributes of its
/// own `<html>` for `--dump-dom` to show.
fn phone_probe(page: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="{page}" style="width:390px;height:844px;border:0"></iframe>
<script>
window.addEventListener("load", function () {{
  var d = document.getElementById("f").contentDocument, w = d.defaultView;
  var vw = d.documentElement.clientWidth, wide = [], broken = [];
  d.querySelectorAll("body *").forEach(function (e) {{
    var r = e.getBoundingClientRect();
    if ((r.width === 0 && r.height === 0) || r.right <= vw + 1) {{ return; }}
    for (var p = e.parentElement; p && p !== d.body; p = p.parentElement) {{
      var o = w.getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden") {{ return; }}
    }}
    wide.push(e.tagName + "." + e.className + "@" + Math.round(r.right));
  }});
  d.querySelectorAll("td.name > a, td.name").forEach(function (e) {{
    var lines = {{}};
    Array.prototype.forEach.call(e.getClientRects(), function (r) {{ lines[Math.round(r.top)] = 1; }});
    if (e.tagName === "A" && Object.keys(lines).length > 1) {{ broken.push(e.textContent); }}
    if (e.tagName === "TD" && !e.firstElementChild && e.scrollWidth > e.clientWidth + 1) {{ broken.push(e.textContent); }}
  }});
  var h = document.documentElement;
  h.setAttribute("data-viewport", String(vw));
  h.setAttribute("data-page-width", String(d.documentElement.scrollWidth));
  h.setAttribute("data-phone-layout", String(w.matchMedia("(max-width: 640px)").matches));
  h.setAttribute("data-wide", wide.slice(0, 10).join(" | "));
  h.setAttribute("data-wide-count", String(wide.length));
  h.setAttribute("data-broken-names", broken.slice(0, 10).join(" | "));
  h.setAttribute("data-broken-count", String(broken.length));
}});
</script></body></html>"#
    )
}

/// An attribute of the dumped `<html>` element.
fn attribute<'d>(dom: &'d str, name: &str) -> &'d str {
    let key = format!("{name}=\"");
    let at = dom
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in the page"))
        + key.len();
    &dom[at..at + dom[at..].find('"').unwrap()]
}

/// Pages of a PDF Chromium printed (each page object once).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page")
        .filter(|(i, m)| !text[i + m.len()..].starts_with('s'))
        .count()
}

#[test]
fn on_a_phone_nothing_is_wider_than_the_screen_and_print_fits_a4() {
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

    for page in [out.join("report.html"), village.clone()] {
        // The probe beside the page, so the frame's links resolve.
        let file = page.file_name().unwrap().to_str().unwrap();
        let probed = page.with_file_name("phone-probe.html");
        std::fs::write(&probed, phone_probe(file)).unwrap();
        let profile = tempfile::tempdir().unwrap();
        let (dom, _) = browse(
            &browser,
            profile.path(),
            &probed,
            &[
                "--allow-file-access-from-files",
                "--hide-scrollbars",
                "--dump-dom",
            ],
        );
        std::fs::remove_file(&probed).unwrap();
        let name = page.display();
        assert_eq!(attribute(&dom, "data-viewport"), "390", "{name}");
        assert_eq!(attribute(&dom, "data-phone-layout"), "true", "{name}");
        assert_eq!(
            attribute(&dom, "data-page-width"),
            "390",
            "{name}: the page scrolls sideways"
        );
        assert_eq!(
            attribute(&dom, "data-wide-count"),
            "0",
            "{name}: wider than the phone: {}",
            attribute(&dom, "data-wide")
        );
        assert_eq!(
            attribute(&dom, "data-broken-count"),
            "0",
            "{name}: names broken across lines: {}",
            attribute(&dom, "data-broken-names")
        );

        // The phone screenshot: 390 px wide and drawn.
        let shot = tmp.path().join("phone.png");
        let profile = tempfile::tempdir().unwrap();
        browse(
            &browser,
            profile.path(),
            &page,
            &[
                "--window-size=390,844",
                &format!("--screenshot={}", shot.display()),
            ],
        );
        let img = image::open(&shot).unwrap().to_rgb8();
        assert_eq!(img.width(), 390, "{name}");
        let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(
            colours.len() > 50,
            "{name}: the phone screenshot is nearly blank"
        );
    }

    // Printed to A4: the samples' report (60 villages, the summons list
    // from its own page, the ranking without the columns print leaves
    // out) takes 6 to 16 pages (8 when this was written); a village page
    // (cards, alerts, three charts, 73 indicator rows) 2 to 8 (6).
    for (page, pages) in [(out.join("report.html"), 6..=16), (village, 2..=8)] {
        let pdf = tmp.path().join("print.pdf");
        let profile = tempfile::tempdir().unwrap();
        browse(
            &browser,
            profile.path(),
            &page,
            &[
                "--no-pdf-header-footer",
                &format!("--print-to-pdf={}", pdf.display()),
            ],
        );
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF"), "{}", page.display());
        let n = pdf_pages(&bytes);
        assert!(
            pages.contains(&n),
            "{}: {n} pages printed, expected {pages:?}",
            page.display()
        );
    }
}

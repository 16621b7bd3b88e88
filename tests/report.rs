//! The charted report through the real run on the committed samples:
//! every chart produced and decodable, every link resolving, the summons
//! list and township league agreeing with ranking.csv, English on request,
//! small petition counts hidden in the public edition.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use qinglian::pipeline::{self, RunOptions};
use qinglian::report::{Lang, ReportOptions, privacy};

fn run(out: &Path, report: ReportOptions) {
    let opts = RunOptions {
        report,
        ..common::samples(out)
    };
    common::block_on(pipeline::run(&opts)).unwrap();
}

/// One Chinese run shared by the tests that only read it.
fn chinese() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("report");
        run(&out, ReportOptions::default());
        (tmp, out)
    })
    .1
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn pages(out: &Path) -> Vec<PathBuf> {
    let mut v = vec![out.join("report.html")];
    let mut villages: Vec<PathBuf> = std::fs::read_dir(out.join("village"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    villages.sort();
    v.extend(villages);
    v
}

/// Every value of `attr="…"` in an HTML text, character references
/// decoded (as a browser reads them).
fn attributes(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            rest[..rest.find('"').unwrap()]
                .replace("&#x2f;", "/")
                .replace("&#x27;", "'")
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .collect()
}

fn ranking(out: &Path) -> Vec<BTreeMap<String, String>> {
    let text = read(&out.join("ranking.csv"));
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn every_chart_is_produced_and_decodes() {
    let out = chinese();
    let charts = out.join("charts");
    let names: BTreeSet<String> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // The district charts, and three per ranked village.
    for c in [
        "distribution",
        "summons",
        "townships",
        "heatmap",
        "trend",
        "movement",
        "intervals",
        "quality",
    ] {
        assert!(names.contains(&format!("{c}.svg")), "{c}.svg");
        assert!(names.contains(&format!("{c}.png")), "{c}.png");
    }
    let codes: Vec<String> = ranking(out)
        .iter()
        .map(|r| r["village_code"].clone())
        .collect();
    assert_eq!(codes.len(), 60);
    for code in &codes {
        for c in ["profile", "contributions", "trend"] {
            assert!(
                names.contains(&format!("village-{code}-{c}.svg")),
                "{code} {c}"
            );
            // Village PNGs only when asked ([report] village_png).
            assert!(!names.contains(&format!("village-{code}-{c}.png")));
        }
    }
    assert_eq!(names.len(), 2 * 8 + 3 * 60);
    // One copy of the chart font, with its licence, for every chart.
    let font = out.join("assets/fonts/wqy-microhei.ttf");
    assert_eq!(
        std::fs::read(&font).unwrap(),
        std::fs::read(common::repo().join("reports/assets/fonts/wqy-microhei.ttf")).unwrap()
    );
    assert!(out.join("assets/fonts/LICENSE-Apache-2.0.txt").is_file());
    for name in &names {
        let path = charts.join(name);
        if name.ends_with(".png") {
            let img = image::open(&path)
                .unwrap_or_else(|e| panic!("{name} does not decode: {e}"))
                .to_rgb8();
            let (w, h) = img.dimensions();
            assert!(w >= 400 && h >= 200, "{name}: {w}×{h}");
            // Drawn on: not one colour.
            let first = img.get_pixel(0, 0).0;
            let other = img.pixels().filter(|p| p.0 != first).count();
            assert!(other * 100 > (w * h) as usize, "{name} is nearly blank");
        } else {
            let text = read(&path);
            let doc = roxmltree::Document::parse(&text)
                .unwrap_or_else(|e| panic!("{name} is not well-formed SVG: {e}"));
            assert_eq!(doc.root_element().tag_name().name(), "svg", "{name}");
            // Text is <text> in the bundled font, which the file declares
            // from the report's one copy; no glyph outlines of its own.
            let root = doc.root_element();
            assert!(
                root.attribute("font-family")
                    .is_some_and(|f| f.starts_with("qinglian-chart,")),
                "{name}"
            );
            assert!(text.contains("<text "), "{name} has no text");
            assert!(!text.contains("<use "), "{name} carries glyphs");
            let url = text
                .split("src: url(\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| panic!("{name} declares no font"));
            assert!(charts.join(url).is_file(), "{name}: {url}");
            for t in doc.descendants().filter(|n| n.has_tag_name("text")) {
                let chars = t.text().unwrap_or("").chars().count();
                let xs = t.attribute("x").unwrap_or("").split(' ').count();
                assert_eq!(xs, chars, "{name}: one x per character of {:?}", t.text());
            }
        }
    }
}

#[test]
fn every_link_resolves_and_nothing_is_fetched() {
    let out = chinese();
    let pages = pages(out);
    assert_eq!(pages.len(), 61);
    for page in &pages {
        let html = read(page);
        let ids: BTreeSet<String> = attributes(&html, "id").into_iter().collect();
        let dir = page.parent().unwrap();
        let mut links = attributes(&html, "href");
        links.extend(attributes(&html, "src"));
        assert!(!links.is_empty());
        for link in &links {
            let link = link.as_str();
            assert!(
                !link.contains("://") && !link.starts_with("//"),
                "{}: {link} points off the disk",
                page.display()
            );
            let (file, fragment) = link.split_once('#').unwrap_or((link, ""));
            if file.is_empty() {
                // An in-page anchor, or a glyph of an inline chart.
                assert!(ids.contains(fragment), "{}: #{fragment}", page.display());
                continue;
            }
            let target = dir.join(file);
            assert!(
                target.is_file(),
                "{}: {link} does not exist",
                page.display()
            );
            if !fragment.is_empty() {
                let other = read(&target);
                assert!(
                    attributes(&other, "id").iter().any(|i| i == fragment),
                    "{}: {link}: no such anchor",
                    page.display()
                );
            }
        }
        // The page's style (one shared file) declares the chart font, the
        // report's copy, relative to itself.
        let style = links
            .iter()
            .find(|l| l.ends_with("assets/report.css"))
            .unwrap_or_else(|| panic!("{} links no style", page.display()));
        let css_file = dir.join(style);
        let css = read(&css_file);
        let font = css
            .split("src: url(\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_else(|| panic!("{} declares no chart font", css_file.display()));
        assert!(
            css_file.parent().unwrap().join(font).is_file(),
            "{}: {font}",
            css_file.display()
        );
        assert!(
            links.iter().any(|l| l.ends_with("assets/report.js")),
            "{} has no table script",
            page.display()
        );
        // Only the SVG namespace names a URL.
        let urls = html.matches("http://").count() + html.matches("https://").count();
        let namespaces = html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
        assert_eq!(urls, namespaces, "{}", page.display());
    }
}

#[test]
fn a_reader_finds_the_worst_ten_the_townships_and_the_change() {
    let out = chinese();
    let html = read(&out.join("report.html"));
    let rows = ranking(out);
    // The summons list is the ten lowest ranked villages, lowest first.
    let start = html.find("<section id=\"summons\">").unwrap();
    let end = start + html[start..].find("</section>").unwrap();
    let summons = &html[start..end];
    let listed: Vec<String> = attributes(summons, "href")
        .into_iter()
        .filter(|h| h.starts_with("village/"))
        .collect();
    let worst: Vec<String> = rows
        .iter()
        .rev()
        .take(10)
        .map(|r| format!("village/{}.html", r["village_code"]))
        .collect();
    assert_eq!(listed, worst);
    // Each has a reason or a weakness written out.
    assert_eq!(summons.matches("<tr class=").count(), 10);

    // The township league agrees with ranking.csv.
    let league = read(&out.join("townships.csv"));
    let mut rdr = csv::Reader::from_reader(league.trim_start_matches('\u{feff}').as_bytes());
    let mut means = Vec::new();
    let mut total = 0;
    for r in rdr.records() {
        let r = r.unwrap();
        let code = &r[1];
        let members: Vec<f64> = rows
            .iter()
            .filter(|x| x["township_code"] == code)
            .map(|x| x["index"].parse::<f64>().unwrap())
            .collect();
        total += members.len();
        assert_eq!(r[3].parse::<usize>().unwrap(), members.len());
        let mean = members.iter().sum::<f64>() / members.len() as f64;
        assert!(
            (r[4].parse::<f64>().unwrap() - mean).abs() < 0.006,
            "{code}"
        );
        assert!(html.contains(&r[2]), "township {} in the report", &r[2]);
        assert!(!r[9].is_empty(), "change on last quarter");
        means.push(mean);
    }
    assert_eq!(total, 60);
    assert!(means.windows(2).all(|w| w[0] >= w[1] - 0.006), "{means:?}");

    // What changed: the largest falls, with their drivers.
    assert!(html.contains("降幅最大") && html.contains("升幅最大"));
    let trend = read(&out.join("trend.csv"));
    let quarters: Vec<&str> = trend
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(quarters, ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]);
    // alerts.csv: the summons list, one row per village on it.
    let alerts = read(&out.join("alerts.csv"));
    assert_eq!(alerts.matches(",summons,").count(), 10);
}

#[test]
fn english_on_request() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("en");
    run(
        &out,
        ReportOptions {
            lang: Lang::En,
            ..Default::default()
        },
    );
    let html = read(&out.join("report.html"));
    assert!(html.contains("<html lang=\"en\">"));
    for heading in [
        "Summons list",
        "Township league",
        "District ranking",
        "Dimension heatmap",
        "Rank uncertainty",
        "Data quality",
    ] {
        assert!(html.contains(heading), "{heading}");
    }
    let zh = read(&chinese().join("report.html"));
    assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("约谈名单"));
    // Chart titles follow the language (the SVG's accessible name).
    assert!(read(&out.join("charts/townships.svg")).contains("aria-label=\"Township league"));
}

#[test]
fn the_public_edition_hides_small_petition_counts() {
    // assess writes nothing: the out directory is not used.
    let assessed =
        common::block_on(pipeline::assess(&common::samples(Path::new("unused")))).unwrap();
    let framework = &assessed.framework;
    let counts = privacy::petition_counts(framework, &assessed.table);
    assert!(counts.len() >= 5, "{counts:?}");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    run(
        &out,
        ReportOptions {
            lang: Lang::Zh,
            public: true,
            ..Default::default()
        },
    );
    let internal = chinese();
    // Indicators built on a petition count (its value, rate or share).
    let counted: Vec<(&str, &str)> = framework
        .indicators
        .iter()
        .filter(|i| counts.contains(&i.numerator))
        .map(|i| (i.id.as_str(), i.numerator.as_str()))
        .collect();
    assert!(counted.len() >= 5, "{counted:?}");
    let table = &assessed.table;
    let k = framework.report.small_cell_k;
    assert_eq!(k, 3, "the default framework's threshold");
    let mut masked = 0;
    let mut shown = 0;
    for (v, village) in table.villages.iter().enumerate() {
        let name = format!("{}.html", village.code);
        let before = read(&internal.join("village").join(&name));
        let after = read(&out.join("village").join(&name));
        for (id, numerator) in &counted {
            let row = |html: &str| {
                let at = html.find(&format!("<code>{id}</code>")).unwrap();
                let end = at + html[at..].find("</tr>").unwrap();
                // The raw value is the first cell after the name.
                let cell = &html[at..end];
                let v = cell.find("<td").unwrap();
                let close = v + cell[v..].find("</td>").unwrap();
                let open = v + cell[v..].find('>').unwrap() + 1;
                cell[open..close].to_string()
            };
            let (raw, public) = (row(&before), row(&after));
            let count = table.value(numerator, v);
            if !raw.is_empty() && count.is_some_and(|n| n > 0.0 && n < f64::from(k)) {
                assert_eq!(
                    public,
                    format!("&lt;{k}"),
                    "{name} {id}: {raw} from {count:?}"
                );
                // Nothing it could be worked back from: the score and
                // contribution cells are empty, and no index points are
                // given for it in the explanations.
                let at = after.find(&format!("<code>{id}</code>")).unwrap();
                let whole = &after[at..at + after[at..].find("</tr>").unwrap()];
                // Raw value, the two medians, score, contribution, status.
                let numbers: Vec<&str> = whole
                    .split("<td")
                    .skip(1)
                    .map(|c| {
                        let open = c.find('>').unwrap() + 1;
                        &c[open..c.find("</td>").unwrap()]
                    })
                    .collect();
                assert_eq!(numbers[3], "", "{name} {id}: score shown: {whole}");
                assert_eq!(numbers[4], "", "{name} {id}: contribution shown: {whole}");
                let ind = framework.indicators.iter().find(|i| i.id == *id).unwrap();
                assert!(
                    !after.contains(&format!("{} +", ind.name_zh))
                        && !after.contains(&format!("{} -", ind.name_zh)),
                    "{name} {id}: index points given"
                );
                masked += 1;
            } else {
                assert_eq!(public, raw, "{name} {id}");
                shown += 1;
            }
        }
    }
    assert!(masked > 0 && shown > 0, "masked {masked}, shown {shown}");
    assert!(read(&out.join("report.html")).contains("公开版"));
}

#[test]
fn alerts_follow_the_ranking() {
    let alert_drop = qinglian::framework::Framework::load(&common::repo().join("indicators"))
        .unwrap()
        .report
        .alert_drop;
    let out = chinese();
    let rows = ranking(out);
    let text = read(&out.join("alerts.csv"));
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut fired: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        assert!(
            !r[5].is_empty() && !r[6].is_empty(),
            "{r:?}: both languages"
        );
        *fired
            .entry((r[0].to_string(), r[3].to_string()))
            .or_default() += 1;
    }
    let has = |code: &str, kind: &str| fired.contains_key(&(code.to_string(), kind.to_string()));
    let order = |t: &str| ["green", "yellow", "red"].iter().position(|x| *x == t);
    let (mut reds, mut falls, mut drops) = (0, 0, 0);
    for r in &rows {
        let code = r["village_code"].as_str();
        let red = r["tier"] == "red";
        assert_eq!(has(code, "red"), red, "{code} red");
        reds += usize::from(red);
        let fell = matches!(
            (order(&r["tier"]), order(&r["tier_previous"])),
            (Some(a), Some(b)) if a > b
        );
        assert_eq!(has(code, "tier_down"), fell, "{code} tier_down");
        falls += usize::from(fell);
        let dropped = r["index_change"]
            .parse::<f64>()
            .is_ok_and(|d| d <= -alert_drop);
        assert_eq!(has(code, "index_drop"), dropped, "{code} index_drop");
        drops += usize::from(dropped);
        assert_eq!(has(code, "veto"), !r["veto"].is_empty(), "{code} veto");
    }
    assert!(reds > 0 && falls > 0 && drops > 0, "{reds} {falls} {drops}");
    // `worst`: one village (or a few tied) per varying indicator.
    let worst: usize = fired
        .iter()
        .filter(|((_, k), _)| k == "worst")
        .map(|(_, n)| n)
        .sum();
    assert!(worst >= 20, "{worst} worst alerts");
}

#[test]
fn the_first_quarter_in_the_data_has_no_change_but_a_whole_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("first");
    let opts = RunOptions {
        quarter: Some("2024Q4".parse().unwrap()),
        ..common::samples(&out)
    };
    common::block_on(pipeline::run(&opts)).unwrap();
    let html = read(&out.join("report.html"));
    assert!(
        html.contains("数据中没有上一季度"),
        "says there is no change"
    );
    assert!(!out.join("charts/movement.svg").exists());
    for c in ["distribution", "townships", "heatmap", "trend", "quality"] {
        assert!(out.join(format!("charts/{c}.png")).is_file(), "{c}");
    }
    let trend = read(&out.join("trend.csv"));
    assert_eq!(trend.lines().count(), 2, "one quarter: {trend}");
    for page in pages(&out) {
        let html = read(&page);
        for link in attributes(&html, "href") {
            let file = link.split('#').next().unwrap();
            if !file.is_empty() {
                assert!(page.parent().unwrap().join(file).is_file(), "{link}");
            }
        }
    }
}

#[test]
fn z_scores_quantile_tiers_and_no_monte_carlo_still_give_a_whole_report() {
    // Indices outside 0..100 (z-scores around 50 ± 10 can go below 0 in
    // a dimension), no tier thresholds to draw, no rank intervals.
    let tmp = tempfile::tempdir().unwrap();
    let fw = tmp.path().join("indicators");
    common::copy_dir(&common::repo().join("indicators"), &fw);
    common::copy_dir(&common::repo().join("sql"), &tmp.path().join("sql"));
    let main = fw.join("framework.toml");
    let text = read(&main)
        .replacen(
            "normalisation = \"min_max\"",
            "normalisation = \"z_score\"\nz_score = [50.0, 25.0]",
            1,
        )
        .replacen(
            "method = \"thresholds\"\ngreen = 85.0\nyellow = 70.0",
            "method = \"quantiles\"\nred = 0.1\nyellow = 0.2",
            1,
        )
        .replacen("[uncertainty]\nruns = 1000", "[uncertainty]\nruns = 0", 1);
    std::fs::write(&main, text).unwrap();
    let out = tmp.path().join("out");
    let opts = RunOptions {
        framework_dir: fw,
        ..common::samples(&out)
    };
    common::block_on(pipeline::run(&opts)).unwrap();
    let rows = ranking(&out);
    let lowest = rows
        .iter()
        .filter_map(|r| r["index"].parse::<f64>().ok())
        .fold(f64::INFINITY, f64::min);
    let dims_below_zero = rows
        .iter()
        .flat_map(|r| r.iter().filter(|(k, _)| k.starts_with("dim_")))
        .filter(|(_, v)| v.parse::<f64>().is_ok_and(|x| x < 0.0))
        .count();
    assert!(lowest < 50.0, "{lowest}");
    assert!(
        dims_below_zero > 0 || lowest < 0.0,
        "the case needs values below 0"
    );
    assert!(
        !out.join("charts/intervals.png").exists(),
        "no Monte Carlo, no intervals"
    );
    for c in [
        "distribution",
        "summons",
        "townships",
        "heatmap",
        "trend",
        "quality",
    ] {
        let img = image::open(out.join(format!("charts/{c}.png"))).unwrap();
        assert!(img.width() > 0, "{c}");
    }
    assert_eq!(std::fs::read_dir(out.join("village")).unwrap().count(), 60);
}

#[test]
fn village_pngs_are_written_when_asked() {
    // `--village-png`: a PNG beside each village chart, linked from its page.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("png");
    run(
        &out,
        ReportOptions {
            village_png: true,
            ..Default::default()
        },
    );
    let code = &ranking(&out)[0]["village_code"];
    for c in ["profile", "contributions", "trend"] {
        let png = out.join(format!("charts/village-{code}-{c}.png"));
        assert!(image::open(&png).is_ok(), "{}", png.display());
    }
    let page = read(&out.join(format!("village/{code}.html")));
    assert!(page.contains(&format!("village-{code}-profile.png\"")));
    // The default page links no PNG it did not write.
    let page = read(&chinese().join(format!("village/{code}.html")));
    assert!(!page.contains(".png\""), "a PNG link without --village-png");
    // `[report] village_png = true` in the framework asks the same.
    // (The framework's SQL files sit at ../sql beside it.)
    let fw = tmp.path().join("indicators");
    common::copy_dir(&common::repo().join("indicators"), &fw);
    common::copy_dir(&common::repo().join("sql"), &tmp.path().join("sql"));
    let main = fw.join("framework.toml");
    let text = read(&main).replacen("[report]\n", "[report]\nvillage_png = true\n", 1);
    std::fs::write(&main, text).unwrap();
    let loaded = qinglian::framework::Framework::load(&fw).unwrap();
    assert!(loaded.report.village_png);
    assert!(
        !qinglian::framework::Framework::load(&common::repo().join("indicators"))
            .unwrap()
            .report
            .village_png
    );
}

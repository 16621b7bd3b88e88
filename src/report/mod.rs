//! The report stage: from the scored quarter (and the quarters before it)
//! to what people read. Writes `report.html` (summary, summons list,
//! township league, ranking, heatmap, distribution, trends, rank
//! uncertainty, data quality), one `village/<code>.html` per village, the
//! charts as SVG (inline in the pages, and as files) and PNG (for
//! documents) under `charts/`, and the machine-readable `townships.csv`,
//! `trend.csv` and `alerts.csv`. Pages come from the templates in
//! `reports/templates/` (compiled in), in Chinese or English; the public
//! edition hides small petition counts (`privacy`).

pub mod canvas;
pub mod charts;
mod district;
mod district_charts;
pub mod font;
pub mod privacy;
mod views;
mod village;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::assessment::Assessment;
use crate::engine::rank::Tier;
use crate::error::{Error, Result};
use crate::scoring::Driver;
use crate::standings::Standings;
use privacy::SmallCells;
use views::{Charts, FrameworkView, drivers_text};

/// The report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Chinese (default).
    #[default]
    Zh,
    /// English.
    En,
}

/// How the report is written.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportOptions {
    pub lang: Lang,
    /// The public edition: petition counts below `[report] small_cell_k`
    /// show as `<k`.
    pub public: bool,
    /// A PNG beside every village chart (`--village-png`), whatever
    /// `[report] village_png` says.
    pub village_png: bool,
}

/// What the stage wrote.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Chart files (relative path, bytes).
    pub charts: Vec<(String, u64)>,
    pub village_pages: usize,
}

const TEMPLATES: [(&str, &str); 4] = [
    (
        "base.html",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/templates/base.html"
        )),
    ),
    (
        "_chart.html",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/templates/_chart.html"
        )),
    ),
    (
        "report.html",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/templates/report.html"
        )),
    ),
    (
        "village.html",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/templates/village.html"
        )),
    ),
];

/// The style and the table script every page shares, written once into
/// `assets/` rather than into each of the (up to tens of thousands of)
/// pages.
const ASSETS: [(&str, &str); 2] = [
    (
        "assets/report.css",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/templates/report.css"
        )),
    ),
    (
        "assets/report.js",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/templates/report.js"
        )),
    ),
];

const STRINGS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/reports/templates/strings.toml"
));

/// The wording of one language (`reports/templates/strings.toml`).
pub fn strings(lang: Lang) -> Result<BTreeMap<String, String>> {
    let mut all: BTreeMap<String, BTreeMap<String, String>> =
        toml::from_str(STRINGS).map_err(|e| Error::Write {
            context: "reading the report's strings.toml".into(),
            source: e.into(),
        })?;
    let key = match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    all.remove(key).ok_or_else(|| Error::Internal {
        context: "reading the report's strings.toml".into(),
        message: format!("no [{key}] table"),
    })
}

struct Words {
    t: BTreeMap<String, String>,
    lang: Lang,
}

impl Words {
    fn get(&self, key: &str) -> String {
        self.t.get(key).cloned().unwrap_or_else(|| key.to_string())
    }
    fn tier(&self, t: Tier) -> String {
        self.get(t.as_str())
    }
    fn pick<'s>(&self, zh: &'s str, en: &'s str) -> &'s str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

fn out_err(context: &str) -> impl Fn(Box<dyn std::error::Error>) -> Error + '_ {
    move |e| Error::Write {
        context: context.to_string(),
        source: e.to_string().into(),
    }
}

fn render(env: &minijinja::Environment, name: &str, ctx: minijinja::Value) -> Result<String> {
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| Error::Internal {
            context: format!("rendering the report template {name}"),
            message: format!("{e:#}"),
        })
}

fn environment(words: &Words) -> Result<minijinja::Environment<'static>> {
    let mut env = minijinja::Environment::new();
    for (name, text) in TEMPLATES {
        env.add_template(name, text).map_err(|e| Error::Write {
            context: format!("loading the report template {name}"),
            source: e.into(),
        })?;
    }
    env.add_global("t", minijinja::Value::from_serialize(&words.t));
    env.add_global("version", env!("CARGO_PKG_VERSION"));
    Ok(env)
}

// ------------------------------------------------------------------ the stage

/// What every part of one report is laid out from: the assessment, its
/// standings, the wording and templates, and what the public edition
/// hides.
pub(crate) struct Layout<'a> {
    a: &'a Assessment,
    standings: &'a Standings,
    w: &'a Words,
    env: minijinja::Environment<'static>,
    public: bool,
    /// PNG pixels per village chart pixel; `None`: no village PNGs.
    village_png: Option<u32>,
    framework_view: FrameworkView,
    dim_names: Vec<String>,
    /// The trend quarters, oldest first, as text.
    quarters: Vec<String>,
    /// The summons list, lowest ranked first.
    summoned: Vec<usize>,
    cells: SmallCells,
    /// Data points that count petitions (hidden when small).
    petition_counts: BTreeSet<String>,
    /// `hidden[indicator][village]`: cells the public edition hides.
    hidden: Vec<Vec<bool>>,
    /// The villages span more than one county: the pages carry the county
    /// level.
    several_counties: bool,
}

impl Layout<'_> {
    fn href(&self, v: usize) -> String {
        format!("village/{}.html", self.a.table.villages[v].code)
    }

    fn n_ranked(&self) -> u32 {
        self.standings.ranked.len() as u32
    }

    /// The district's median index in each trend quarter.
    fn district_medians(&self) -> Vec<Option<f64>> {
        self.standings.trend.iter().map(|q| q.median).collect()
    }

    /// Indicators with their index points, hidden cells of village `v`
    /// named without them.
    fn drivers(&self, drivers: &[Driver], v: usize) -> String {
        drivers_text(&self.a.framework, self.w, drivers, &|k| self.hidden[k][v])
    }
}

/// The wording in `lang`, with the small-cell threshold `k` filled in.
fn words(lang: Lang, k: u32) -> Result<Words> {
    let mut t = strings(lang)?;
    for text in t.values_mut() {
        *text = text
            .replace("{k1}", &k.saturating_sub(1).to_string())
            .replace("{k}", &k.to_string());
    }
    Ok(Words { t, lang })
}

/// Writes the report of the assessment `a` into `dir` (the run's staging
/// directory).
pub fn write(
    dir: &Path,
    a: &Assessment,
    standings: &Standings,
    opts: &ReportOptions,
) -> Result<Written> {
    let started = std::time::Instant::now();
    let framework = &a.framework;
    let w = &words(opts.lang, framework.report.small_cell_k)?;
    for sub in ["charts", "village", "assets/fonts"] {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).map_err(Error::io("creating", &p))?;
    }
    // One copy of the chart font for every chart's text, and its licence.
    let font_file = dir.join(font::REPORT_PATH);
    std::fs::write(&font_file, font::FONT_BYTES).map_err(Error::io("writing", &font_file))?;
    let license = dir.join("assets/fonts/LICENSE-Apache-2.0.txt");
    std::fs::write(&license, font::LICENSE).map_err(Error::io("writing", &license))?;
    for (name, text) in ASSETS {
        let file = dir.join(name);
        std::fs::write(&file, text).map_err(Error::io("writing", &file))?;
    }
    let cells = SmallCells::new(opts.public, framework.report.small_cell_k);
    let layout = Layout {
        a,
        standings,
        w,
        env: environment(w)?,
        public: opts.public,
        village_png: (opts.village_png || framework.report.village_png).then_some(1),
        framework_view: FrameworkView {
            id: framework.meta.id.clone(),
            name: w
                .pick(&framework.meta.name_zh, &framework.meta.name_en)
                .to_string(),
            version: framework.meta.version.clone(),
            indicators: framework.indicators.len(),
            dimensions: framework.dimensions.len(),
        },
        dim_names: framework
            .dimensions
            .iter()
            .map(|d| w.pick(&d.name_zh, &d.name_en).to_string())
            .collect(),
        quarters: standings
            .trend
            .iter()
            .map(|q| q.quarter.to_string())
            .collect(),
        summoned: crate::alerts::summons(&a.scores, &a.table.villages, framework.report.summons),
        cells,
        petition_counts: privacy::petition_counts(framework, &a.table),
        hidden: privacy::hidden_cells(cells, framework, &a.table, &a.values),
        several_counties: a.several_counties(),
    };
    let mut written = Written::default();
    let mut charts = Charts {
        dir,
        prefix: "",
        written: &mut written.charts,
        png_scale: Some(2),
    };
    let main = district_charts::draw(&layout, &mut charts)?;
    district::write(dir, &layout, &main, &district_charts::shown(&layout).1)?;
    written.charts.extend(village::write_all(dir, &layout)?);
    written.village_pages = standings.order.len();
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        chart_files = written.charts.len(),
        village_pages = written.village_pages,
        "report written"
    );
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::views::change_view;
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let zh = strings(Lang::Zh).expect("zh");
        let en = strings(Lang::En).expect("en");
        let a: Vec<&String> = zh.keys().collect();
        let b: Vec<&String> = en.keys().collect();
        assert_eq!(a, b);
    }

    #[test]
    fn templates_parse() {
        let words = Words {
            t: strings(Lang::Zh).expect("zh"),
            lang: Lang::Zh,
        };
        let env = environment(&words).expect("templates load");
        for (name, _) in TEMPLATES {
            env.get_template(name).expect(name);
        }
    }

    #[test]
    fn change_is_signed_and_coloured() {
        let up = change_view(Some(1.234), 2, true);
        assert_eq!((up.text.as_str(), up.class), ("+1.23", "up"));
        let down = change_view(Some(-0.5), 1, true);
        assert_eq!((down.text.as_str(), down.class), ("-0.5", "down"));
        let zero = change_view(Some(-0.0001), 2, true);
        assert_eq!((zero.text.as_str(), zero.class), ("±0", ""));
        assert_eq!(change_view(None, 2, true).text, "");
    }
}

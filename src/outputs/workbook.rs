//! `ranking.xlsx`: the run's tables as one Excel workbook, for the
//! analyst whose next step is a spreadsheet. Each sheet is read back from
//! the CSV the run has just written (so the two agree cell by cell, and
//! the public edition's suppression holds for both): ranking, county
//! league (province extracts), township league, alerts, weights; and one
//! sheet from the scores themselves, each village's indicator scores. Chinese headers by default, English with
//! `--lang en`; a frozen header row, an autofilter, numbers as numbers
//! with the CSV's decimals, codes and ids as text, tiers coloured, column
//! widths that fit Chinese text. Text is written as text, so no cell is a
//! formula.

use std::collections::HashMap;
use std::path::Path;

use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use crate::error::{Error, Result};
use crate::framework::Framework;
use crate::model::Village;
use crate::outputs::csv::original_text;
use crate::period::Quarter;
use crate::scoring::{Scores, listing_order};

/// The workbook's file name, beside the CSVs.
pub const FILE: &str = "ranking.xlsx";

/// The sheets: CSV file (or [`SCORES_SHEET`]), Chinese name, English name.
const SHEETS: [(&str, &str, &str); 6] = [
    ("ranking.csv", "村社排名", "ranking"),
    ("counties.csv", "县区排名", "counties"),
    ("townships.csv", "乡镇排名", "townships"),
    ("alerts.csv", "预警", "alerts"),
    (SCORES_SHEET, "指标得分", "indicator scores"),
    ("weights.csv", "权重", "weights"),
];

/// The sheet written from [`IndicatorScores`] rather than a CSV.
const SCORES_SHEET: &str = "(indicator scores)";

/// Each village's indicator scores for the workbook: one row per village
/// in listing order (code, name, township, index, rank), then every
/// indicator's normalised score (0–100, two decimals) under its id; a
/// cell the public edition hides is empty, as on the village page.
#[derive(Debug)]
pub struct IndicatorScores<'a> {
    pub framework: &'a Framework,
    pub villages: &'a [Village],
    pub scores: &'a Scores,
    /// `hidden[indicator][village]` (the public edition's small cells).
    pub hidden: Option<&'a [Vec<bool>]>,
}

impl IndicatorScores<'_> {
    fn rows(&self) -> Vec<csv::StringRecord> {
        let mut head = csv::StringRecord::from(vec![
            "village_code",
            "village_name",
            "township_name",
            "index",
            "rank",
        ]);
        for i in &self.framework.indicators {
            head.push_field(&i.id);
        }
        let mut rows = vec![head];
        for v in listing_order(&self.scores.villages, self.villages) {
            let (village, s) = (&self.villages[v], &self.scores.villages[v]);
            let mut row = csv::StringRecord::from(vec![
                village.code.as_str(),
                village.name.as_str(),
                village.township_name.as_str(),
            ]);
            row.push_field(&s.index.map(|x| format!("{x:.4}")).unwrap_or_default());
            row.push_field(&s.rank.map(|r| r.to_string()).unwrap_or_default());
            for (k, cells) in self.scores.cells.iter().enumerate() {
                let hidden = self.hidden.is_some_and(|h| h[k][v]);
                let score = cells[v].normalised.filter(|_| !hidden);
                row.push_field(&score.map(|x| format!("{x:.2}")).unwrap_or_default());
            }
            rows.push(row);
        }
        rows
    }
}

/// Chinese headers of the columns the CSVs share; a column not listed
/// keeps its English name (an indicator's or dimension's id).
const HEADERS_ZH: &[(&str, &str)] = &[
    ("village_code", "村社代码"),
    ("village_name", "村社名称"),
    ("township_code", "乡镇代码"),
    ("township_name", "乡镇名称"),
    ("index", "清廉指数"),
    ("rank", "排名"),
    ("tier", "等级"),
    ("township_rank", "乡镇内排名"),
    ("indicators_scored", "计分指标数"),
    ("indicators_total", "指标总数"),
    ("rank_median", "排名中位数"),
    ("rank_p05", "排名5%分位"),
    ("rank_p95", "排名95%分位"),
    ("tier_probability", "等级概率"),
    ("tier_uncertain", "等级不确定"),
    ("tier_uncapped", "否决前等级"),
    ("veto", "否决"),
    ("veto_reason", "否决原因"),
    ("strengths", "优势指标"),
    ("weaknesses", "薄弱指标"),
    ("index_previous", "上季度指数"),
    ("index_change", "指数变化"),
    ("rank_previous", "上季度排名"),
    ("rank_change", "排名变化"),
    ("tier_previous", "上季度等级"),
    ("change_drivers", "变化原因"),
    ("villages_ranked", "排名村社数"),
    ("index_mean", "指数均值"),
    ("index_median", "指数中位数"),
    ("index_sd", "指数标准差"),
    ("red", "红色村社数"),
    ("index_mean_previous", "上季度指数均值"),
    ("index_mean_change", "指数均值变化"),
    ("alert", "预警类型"),
    ("subject", "对象"),
    ("detail_zh", "说明"),
    ("detail_en", "说明(英文)"),
    ("level", "层级"),
    ("id", "代码"),
    ("parent", "上级"),
    ("method", "方法"),
    ("aggregation", "合成方式"),
    ("weight", "权重"),
    ("share_of_parent", "占上级比重"),
    ("share_of_index", "占指数比重"),
];

/// Columns that hold codes or ids: text, even when they are digits.
fn is_text_column(name: &str) -> bool {
    name.ends_with("_code") || name == "id" || name.ends_with("_id") || name == "parent"
}

/// A tier's fill colour (the report's red, yellow and green, lightened).
fn tier_fill(value: &str) -> Option<Color> {
    match value {
        "red" => Some(Color::RGB(0xF4C7C3)),
        "yellow" => Some(Color::RGB(0xFCE8B2)),
        "green" => Some(Color::RGB(0xB7E1CD)),
        _ => None,
    }
}

/// Display width of a cell in Excel's character units: a CJK character
/// is two.
fn width(text: &str) -> f64 {
    text.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 2.0 } else { 1.0 })
        .sum()
}

/// Decimals a number is written with in the CSV.
fn decimals(text: &str) -> usize {
    text.split_once('.').map_or(0, |(_, d)| d.len())
}

fn xlsx_error(path: &Path) -> impl Fn(rust_xlsxwriter::XlsxError) -> Error + '_ {
    move |e| Error::Write {
        context: format!("writing {}", path.display()),
        source: e.into(),
    }
}

/// Writes `dir/ranking.xlsx` from the CSVs in `dir` and `scores`; headers
/// in Chinese unless `english`. The document's date is the quarter's last
/// day, so the same run writes the same bytes.
pub fn write(
    dir: &Path,
    quarter: Quarter,
    english: bool,
    scores: &IndicatorScores<'_>,
) -> Result<()> {
    let path = dir.join(FILE);
    let err = xlsx_error(&path);
    let mut book = Workbook::new();
    let last = quarter.end() - chrono::Days::new(1);
    let date = ExcelDateTime::from_ymd(
        u16::try_from(chrono::Datelike::year(&last)).unwrap_or(2000),
        chrono::Datelike::month(&last) as u8,
        chrono::Datelike::day(&last) as u8,
    )
    .map_err(&err)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(format!("清廉指数 {quarter}"))
            .set_creation_datetime(&date),
    );
    let mut zh: HashMap<&str, &str> = HEADERS_ZH.iter().copied().collect();
    for i in &scores.framework.indicators {
        zh.insert(&i.id, &i.name_zh);
    }
    for (file, name_zh, name_en) in SHEETS {
        let rows = if file == SCORES_SHEET {
            scores.rows()
        } else {
            let csv_path = dir.join(file);
            if !csv_path.exists() {
                continue;
            }
            read_back(&csv_path)?
        };
        let sheet = book.add_worksheet();
        sheet
            .set_name(if english { name_en } else { name_zh })
            .map_err(&err)?;
        write_sheet(sheet, &rows, |h| {
            if english {
                h.to_string()
            } else {
                zh.get(h)
                    .map_or_else(|| h.to_string(), |z| (*z).to_string())
            }
        })
        .map_err(&err)?;
    }
    book.save(&path).map_err(&err)?;
    Ok(())
}

/// The records of a CSV the run wrote (its BOM dropped).
fn read_back(csv_path: &Path) -> Result<Vec<csv::StringRecord>> {
    let text = std::fs::read_to_string(csv_path).map_err(Error::io("reading", csv_path))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    rdr.records()
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Write {
            context: format!("reading back {} for the workbook", csv_path.display()),
            source: e.into(),
        })
}

/// One sheet: the header row (named by `header`), then every row, numbers
/// as numbers and the rest as text.
fn write_sheet(
    sheet: &mut Worksheet,
    rows: &[csv::StringRecord],
    header: impl Fn(&str) -> String,
) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    let Some(head) = rows.first() else {
        return Ok(());
    };
    let bold = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xEEEEEE));
    let names: Vec<&str> = head.iter().collect();
    let mut widths: Vec<f64> = Vec::with_capacity(names.len());
    for (c, name) in names.iter().enumerate() {
        let shown = header(name);
        widths.push(width(&shown));
        sheet.write_string_with_format(0, c as u16, shown, &bold)?;
    }
    let mut number_formats: HashMap<usize, Format> = HashMap::new();
    for (r, record) in rows.iter().enumerate().skip(1) {
        let row = r as u32;
        for (c, cell) in record.iter().enumerate() {
            let col = c as u16;
            let name = names.get(c).copied().unwrap_or("");
            if let Some(w) = widths.get_mut(c) {
                *w = w.max(width(cell));
            } else {
                widths.push(width(cell));
            }
            if cell.is_empty() {
                continue;
            }
            let number = (!is_text_column(name))
                .then(|| cell.parse::<f64>().ok())
                .flatten()
                .filter(|n| n.is_finite());
            match number {
                Some(n) => {
                    let d = decimals(cell).min(10);
                    let format = number_formats.entry(d).or_insert_with(|| {
                        Format::new().set_num_format(if d == 0 {
                            "0".to_string()
                        } else {
                            format!("0.{}", "0".repeat(d))
                        })
                    });
                    sheet.write_number_with_format(row, col, n, format)?;
                }
                None => {
                    let text = original_text(cell);
                    match tier_fill(text).filter(|_| name.starts_with("tier")) {
                        Some(fill) => {
                            let f = Format::new().set_background_color(fill);
                            sheet.write_string_with_format(row, col, text, &f)?;
                        }
                        None => {
                            sheet.write_string(row, col, text)?;
                        }
                    }
                }
            }
        }
    }
    let last_row = (rows.len() - 1) as u32;
    let last_col = (names.len().max(1) - 1) as u16;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row, last_col)?;
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, (w + 2.0).clamp(6.0, 60.0))?;
    }
    Ok(())
}

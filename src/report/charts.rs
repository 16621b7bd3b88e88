//! The report's charts, drawn with plotters onto the recording canvas:
//! index distribution, summons list, township league, dimension heatmap,
//! trends, rank movement, rank intervals and data quality for the
//! district; dimension profile, contribution waterfall and trend for a
//! village. Each function takes plain rows and labels (already in the
//! report's language) and returns the record; `Chart` writes it as SVG
//! and PNG.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Record, canvas};
use super::font::FAMILY;
use crate::engine::rank::Tier;

pub type Drawn = Result<Record, Box<dyn std::error::Error>>;

const WIDTH: u32 = 860;
const TEXT: RGBColor = RGBColor(0x33, 0x33, 0x33);
const GRID: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
/// The meshes' minor lines: not drawn. They were white on the white
/// background, under everything else, so invisible, yet some 100 line
/// segments in every chart's SVG.
const NO_LINE: RGBAColor = TRANSPARENT;
const BLUE_: RGBColor = RGBColor(0x1f, 0x5f, 0xa8);
const GREY: RGBColor = RGBColor(0x9e, 0x9e, 0x9e);

/// The tier colours (also the report's CSS).
pub fn tier_color(t: Tier) -> RGBColor {
    match t {
        Tier::Green => RGBColor(0x2e, 0x7d, 0x32),
        Tier::Yellow => RGBColor(0xf2, 0xa9, 0x00),
        Tier::Red => RGBColor(0xc6, 0x28, 0x28),
        Tier::InsufficientData => GREY,
    }
}

/// A score from 0 (red) through 50 (amber) to 100 (green).
fn score_color(x: f64) -> RGBColor {
    let t = (x / 100.0).clamp(0.0, 1.0);
    let (a, b, u) = if t < 0.5 {
        ((0xc6, 0x28, 0x28), (0xf2, 0xc1, 0x4e), t / 0.5)
    } else {
        ((0xf2, 0xc1, 0x4e), (0x2e, 0x7d, 0x32), (t - 0.5) / 0.5)
    };
    let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * u).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn style(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&TEXT)
}

/// `n` categories as a segmented axis (plotters' integer range is
/// inclusive, so `0..n-1`).
fn categories(
    n: usize,
) -> plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordi32> {
    // One category would make the range 0..0, which plotters cannot map;
    // it gets a blank second slot instead.
    (0..(n as i32 - 1).max(1)).into_segmented()
}

fn seg(i: usize) -> SegmentValue<i32> {
    SegmentValue::Exact(i as i32)
}

fn center_label(names: &[String], v: &SegmentValue<i32>, top_down: bool) -> String {
    match v {
        SegmentValue::CenterOf(i) if *i >= 0 && (*i as usize) < names.len() => {
            let i = *i as usize;
            if top_down {
                names[names.len() - 1 - i].clone()
            } else {
                names[i].clone()
            }
        }
        _ => String::new(),
    }
}

/// A value axis from 0 to 100 (the index's usual range), widened to take
/// values outside it (z-score normalisation), plus `room` for labels.
fn span(values: impl Iterator<Item = f64>, room: f64) -> std::ops::Range<f64> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((0.0f64, 100.0f64), |(a, b), v| (a.min(v), b.max(v)));
    lo..hi + room
}

/// A bar inside its category band, with a gap above and below.
fn banded<X, Y>(corners: [(X, Y); 2], style: ShapeStyle) -> Rectangle<(X, Y)> {
    let mut r = Rectangle::new(corners, style);
    r.set_margin(3, 3, 0, 0);
    r
}

/// `text` cut to fit `max` pixels at `size`, with an ellipsis when cut
/// (column labels: long English dimension names).
fn fit(text: &str, size: f64, max: f64) -> String {
    if super::font::layout(text, size).width <= max {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if super::font::layout(&cut, size).width <= max {
            return cut;
        }
    }
    "…".to_string()
}

/// The widest label's width in pixels at `size`.
fn label_width(names: &[String], size: f64) -> u32 {
    names
        .iter()
        .map(|n| super::font::layout(n, size).width)
        .fold(0.0, f64::max)
        .ceil() as u32
        + 12
}

/// Histogram of the index in bins of 5 points, stacked by tier, with the
/// tier thresholds marked.
pub fn distribution(
    indices: &[(f64, Tier)],
    thresholds: Option<(f64, f64)>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
) -> Drawn {
    let (root, record) = canvas(WIDTH, 360);
    root.fill(&WHITE)?;
    // Bins of 5 points over 0..100, widened to take indices outside it.
    let range = span(indices.iter().map(|i| i.0), 0.0);
    let lo = (range.start / 5.0).floor() * 5.0;
    let hi = (range.end / 5.0).ceil() * 5.0;
    let bins = (((hi - lo) / 5.0).round() as usize).max(1);
    let mut counts = vec![[0u32; 4]; bins];
    for &(x, t) in indices.iter().filter(|i| i.0.is_finite()) {
        let b = (((x - lo) / 5.0).floor().max(0.0) as usize).min(bins - 1);
        counts[b][t as usize] += 1;
    }
    let top = counts
        .iter()
        .map(|c| c.iter().sum::<u32>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, style(17))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(48)
        .build_cartesian_2d(lo..hi, 0f64..(f64::from(top) * 1.15).ceil())?;
    chart
        .configure_mesh()
        .light_line_style(NO_LINE)
        .bold_line_style(GRID)
        .x_labels(((hi - lo) / 10.0) as usize + 1)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(style(12))
        .axis_desc_style(style(13))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    for (b, c) in counts.iter().enumerate() {
        let x0 = lo + b as f64 * 5.0;
        let mut y = 0.0;
        for t in [Tier::Red, Tier::Yellow, Tier::Green, Tier::InsufficientData] {
            let n = f64::from(c[t as usize]);
            if n > 0.0 {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0 + 0.3, y), (x0 + 4.7, y + n)],
                    tier_color(t).filled(),
                )))?;
                y += n;
            }
        }
    }
    if let Some((green, yellow)) = thresholds {
        let ymax = (f64::from(top) * 1.15).ceil();
        for (x, t) in [(green, Tier::Green), (yellow, Tier::Yellow)] {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, 0.0), (x, ymax)],
                tier_color(t).stroke_width(2),
            )))?;
        }
    }
    root.present()?;
    Ok(record)
}

/// The chart type of the one-row-per-category charts.
type Rows<'a> = ChartContext<
    'a,
    super::canvas::Recorder,
    Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordi32>,
    >,
>;

/// A chart with one category per row, the first on top, and a value axis
/// across (`x`), its labels shown up to `x_labels_to`.
fn rows_chart<'a>(
    root: &'a DrawingArea<super::canvas::Recorder, plotters::coord::Shift>,
    title: &str,
    names: &[String],
    x: std::ops::Range<f64>,
    x_labels_to: f64,
    x_desc: &str,
    label_size: u32,
) -> Result<Rows<'a>, Box<dyn std::error::Error>> {
    let n = names.len().max(1);
    let mut chart = ChartBuilder::on(root)
        .caption(title, style(17))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(label_width(names, f64::from(label_size)))
        .build_cartesian_2d(x, categories(n))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(NO_LINE)
        .bold_line_style(GRID)
        .y_labels(n)
        .y_label_formatter(&|v| center_label(names, v, true))
        .x_label_formatter(&|x| {
            if *x <= x_labels_to {
                format!("{x:.0}")
            } else {
                String::new()
            }
        })
        .x_desc(x_desc)
        .label_style(style(label_size))
        .axis_desc_style(style(13))
        .draw()?;
    Ok(chart)
}

/// One horizontal bar per row, top to bottom, coloured by tier, value
/// written at the bar's end.
pub fn bars(rows: &[(String, f64, Tier)], title: &str, x_desc: &str) -> Drawn {
    let n = rows.len().max(1);
    let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let (root, record) = canvas(WIDTH, 70 + 24 * n as u32 + 40);
    root.fill(&WHITE)?;
    let x = span(rows.iter().map(|r| r.1), 5.0);
    let mut chart = rows_chart(&root, title, &names, x, 105.0, x_desc, 12)?;
    for (r, (_, value, tier)) in rows.iter().enumerate() {
        let i = n - 1 - r;
        chart.draw_series(std::iter::once(banded(
            [(0.0, seg(i)), (*value, seg(i + 1))],
            tier_color(*tier).filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{value:.1}"),
            (value + 0.8, SegmentValue::CenterOf(i as i32)),
            style(11).pos(Pos::new(HPos::Left, VPos::Center)),
        )))?;
    }
    root.present()?;
    Ok(record)
}

/// A township of the league table.
#[derive(Debug, Clone)]
pub struct LeagueRow {
    pub name: String,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub change: Option<f64>,
}

/// The township league: mean index (bar), range of its villages
/// (whisker), change on last quarter (text), best township on top.
pub fn league(rows: &[LeagueRow], title: &str, x_desc: &str) -> Drawn {
    let n = rows.len().max(1);
    let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
    let (root, record) = canvas(WIDTH, 70 + 30 * n as u32 + 40);
    root.fill(&WHITE)?;
    let x = span(rows.iter().flat_map(|r| [r.min, r.max]), 18.0);
    let text_at = x.end - 16.5;
    let mut chart = rows_chart(&root, title, &names, x, 100.0, x_desc, 12)?;
    for (r, row) in rows.iter().enumerate() {
        let i = n - 1 - r;
        let c = SegmentValue::CenterOf(i as i32);
        chart.draw_series(std::iter::once(banded(
            [(0.0, seg(i)), (row.mean, seg(i + 1))],
            BLUE_.mix(0.75).filled(),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(row.min, c.clone()), (row.max, c.clone())],
            TEXT.stroke_width(2),
        )))?;
        for x in [row.min, row.max] {
            chart.draw_series(std::iter::once(Circle::new(
                (x, c.clone()),
                3,
                TEXT.filled(),
            )))?;
        }
        let change = match row.change {
            Some(d) if d >= 0.05 => format!("  ▲{d:.1}"),
            Some(d) if d <= -0.05 => format!("  ▼{:.1}", -d),
            Some(_) => "  ±0".to_string(),
            None => String::new(),
        };
        chart.draw_series(std::iter::once(Text::new(
            format!("{:.1}{change}", row.mean),
            (text_at, c),
            style(12).pos(Pos::new(HPos::Left, VPos::Center)),
        )))?;
    }
    root.present()?;
    Ok(record)
}

/// Villages (rows, top to bottom) × dimensions (columns), each cell
/// coloured by its score and printed; blank where the village has none.
pub fn heatmap(rows: &[(String, Vec<Option<f64>>)], columns: &[String], title: &str) -> Drawn {
    let n = rows.len().max(1);
    let m = columns.len().max(1);
    let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let column_px = (f64::from(WIDTH) - f64::from(label_width(&names, 11.0)) - 30.0) / m as f64;
    let columns: Vec<String> = columns
        .iter()
        .map(|c| fit(c, 11.0, column_px - 6.0))
        .collect();
    let columns = columns.as_slice();
    let (root, record) = canvas(WIDTH, 90 + 18 * n as u32 + 30);
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, style(17))
        .margin(12)
        .x_label_area_size(0)
        .top_x_label_area_size(30)
        .y_label_area_size(label_width(&names, 11.0))
        .build_cartesian_2d(categories(m), categories(n))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(m)
        .y_labels(n)
        .x_label_formatter(&|v| center_label(columns, v, false))
        .y_label_formatter(&|v| center_label(&names, v, true))
        .label_style(style(11))
        .draw()?;
    for (r, (_, values)) in rows.iter().enumerate() {
        let i = n - 1 - r;
        for (j, value) in values.iter().enumerate() {
            let (fill, text) = match value {
                Some(x) => (score_color(*x), format!("{x:.0}")),
                None => (RGBColor(0xee, 0xee, 0xee), "–".to_string()),
            };
            let luma =
                0.299 * f64::from(fill.0) + 0.587 * f64::from(fill.1) + 0.114 * f64::from(fill.2);
            let ink = if luma > 150.0 { TEXT } else { WHITE };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(seg(j), seg(i)), (seg(j + 1), seg(i + 1))],
                fill.filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(seg(j), seg(i)), (seg(j + 1), seg(i + 1))],
                WHITE.stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                text,
                (
                    SegmentValue::CenterOf(j as i32),
                    SegmentValue::CenterOf(i as i32),
                ),
                (FAMILY, 10)
                    .into_font()
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            )))?;
        }
    }
    root.present()?;
    Ok(record)
}

/// A line per series over the quarters; `None` leaves a gap.
pub fn trend(
    quarters: &[String],
    series: &[(String, Vec<Option<f64>>, RGBColor)],
    title: &str,
    y_desc: &str,
) -> Drawn {
    // Tall enough for one legend line per series.
    let (root, record) = canvas(WIDTH, 380.max(80 + 20 * series.len() as u32));
    root.fill(&WHITE)?;
    let q = quarters.len().max(1);
    let values = series.iter().flat_map(|s| s.1.iter().flatten().copied());
    let (min, max) = values
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    // Round outward to tens, 5 points of room, within 0..100 unless the
    // data lie outside it (z-score normalisation).
    let (lo, hi) = if min.is_finite() {
        let lo = ((min - 5.0) / 10.0).floor() * 10.0;
        let hi = ((max + 5.0) / 10.0).ceil() * 10.0;
        (
            if min >= 0.0 { lo.max(0.0) } else { lo },
            if max <= 100.0 { hi.min(100.0) } else { hi },
        )
    } else {
        (0.0, 100.0)
    };
    let hi = hi.max(lo + 10.0);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, style(17))
        .margin(12)
        .margin_right(170)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(categories(q), lo..hi)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(NO_LINE)
        .bold_line_style(GRID)
        .x_labels(q)
        .x_label_formatter(&|v| center_label(quarters, v, false))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .y_desc(y_desc)
        .label_style(style(12))
        .axis_desc_style(style(13))
        .draw()?;
    for (_, values, color) in series {
        let mut run: Vec<(SegmentValue<i32>, f64)> = Vec::new();
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(y) => {
                    let p = (SegmentValue::CenterOf(i as i32), *y);
                    run.push(p.clone());
                    chart.draw_series(std::iter::once(Circle::new(p, 3, color.filled())))?;
                }
                None => {
                    if run.len() > 1 {
                        chart.draw_series(std::iter::once(PathElement::new(
                            std::mem::take(&mut run),
                            color.stroke_width(2),
                        )))?;
                    }
                    run.clear();
                }
            }
        }
        if run.len() > 1 {
            chart.draw_series(std::iter::once(PathElement::new(
                run,
                color.stroke_width(2),
            )))?;
        }
    }
    // The legend, in the right margin.
    let (w, _) = root.dim_in_pixel();
    let x = w as i32 - 160;
    for (i, (name, _, color)) in series.iter().enumerate() {
        let y = 60 + 20 * i as i32;
        root.draw(&PathElement::new(
            vec![(x, y), (x + 18, y)],
            color.stroke_width(3),
        ))?;
        root.draw(&Text::new(
            name.clone(),
            (x + 24, y),
            style(12).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    root.present()?;
    Ok(record)
}

/// A village's rank last quarter (x) against this quarter (y), rank 1 at
/// the top right; the diagonal is "no change"; the largest movers named.
pub fn movement(
    points: &[(u32, u32, Tier, String)],
    n: u32,
    title: &str,
    x_desc: &str,
    y_desc: &str,
) -> Drawn {
    let (root, record) = canvas(WIDTH, 520);
    root.fill(&WHITE)?;
    let top = f64::from(n.max(1)) + 1.0;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, style(17))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(52)
        .build_cartesian_2d(top..0f64, top..0f64)?;
    chart
        .configure_mesh()
        .light_line_style(NO_LINE)
        .bold_line_style(GRID)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style(style(12))
        .axis_desc_style(style(13))
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(top, top), (0.5, 0.5)],
        GREY.stroke_width(1),
    )))?;
    for (before, now, tier, _) in points {
        chart.draw_series(std::iter::once(Circle::new(
            (f64::from(*before), f64::from(*now)),
            4,
            tier_color(*tier).mix(0.85).filled(),
        )))?;
    }
    for (before, now, _, name) in points.iter().filter(|p| !p.3.is_empty()) {
        // Rank 1 is on the right: names of the best ranked go to the left.
        let h = if f64::from(*before) < top / 4.0 {
            HPos::Right
        } else {
            HPos::Left
        };
        chart.draw_series(std::iter::once(Text::new(
            name.clone(),
            (f64::from(*before), f64::from(*now)),
            style(11).pos(Pos::new(h, VPos::Bottom)),
        )))?;
    }
    root.present()?;
    Ok(record)
}

/// A village's Monte Carlo rank interval.
#[derive(Debug, Clone)]
pub struct IntervalRow {
    pub name: String,
    pub rank: u32,
    pub p05: u32,
    pub p95: u32,
    pub tier: Tier,
}

/// Each village's 5–95% rank interval (line) and rank (dot), in rank
/// order top to bottom.
pub fn intervals(rows: &[IntervalRow], n: u32, title: &str, x_desc: &str) -> Drawn {
    let count = rows.len().max(1);
    let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
    let (root, record) = canvas(WIDTH, 80 + 15 * count as u32 + 40);
    root.fill(&WHITE)?;
    let mut chart = rows_chart(
        &root,
        title,
        &names,
        0.5f64..(f64::from(n.max(1)) + 0.5),
        f64::INFINITY,
        x_desc,
        10,
    )?;
    for (r, row) in rows.iter().enumerate() {
        let c = SegmentValue::CenterOf((count - 1 - r) as i32);
        let color = tier_color(row.tier);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![
                (f64::from(row.p05), c.clone()),
                (f64::from(row.p95), c.clone()),
            ],
            color.stroke_width(3),
        )))?;
        chart.draw_series(std::iter::once(Circle::new(
            (f64::from(row.rank), c),
            3,
            TEXT.filled(),
        )))?;
    }
    root.present()?;
    Ok(record)
}

/// Rows read per table: accepted (blue) and rejected (red), with the
/// rejected count and share written at the end.
pub fn quality(rows: &[(String, u64, u64)], title: &str, x_desc: &str) -> Drawn {
    let n = rows.len().max(1);
    let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let (root, record) = canvas(WIDTH, 70 + 28 * n as u32 + 40);
    root.fill(&WHITE)?;
    let top = rows.iter().map(|r| r.1 + r.2).max().unwrap_or(0).max(1) as f64;
    let mut chart = rows_chart(
        &root,
        title,
        &names,
        0f64..top * 1.3,
        f64::INFINITY,
        x_desc,
        12,
    )?;
    for (r, (_, accepted, rejected)) in rows.iter().enumerate() {
        let i = n - 1 - r;
        let a = *accepted as f64;
        let b = *rejected as f64;
        chart.draw_series(std::iter::once(banded(
            [(0.0, seg(i)), (a, seg(i + 1))],
            BLUE_.mix(0.7).filled(),
        )))?;
        if b > 0.0 {
            chart.draw_series(std::iter::once(banded(
                [(a, seg(i)), (a + b, seg(i + 1))],
                tier_color(Tier::Red).filled(),
            )))?;
        }
        let share = if a + b > 0.0 {
            100.0 * b / (a + b)
        } else {
            0.0
        };
        chart.draw_series(std::iter::once(Text::new(
            format!("{} / {} ({share:.1}%)", rejected, accepted + rejected),
            (a + b + top * 0.01, SegmentValue::CenterOf(i as i32)),
            style(11).pos(Pos::new(HPos::Left, VPos::Center)),
        )))?;
    }
    root.present()?;
    Ok(record)
}

/// A village's dimension scores against its township's and the
/// district's medians: three bars per dimension.
pub fn profile(
    dimensions: &[String],
    series: [(&str, &[Option<f64>]); 3],
    title: &str,
    x_desc: &str,
) -> Drawn {
    let n = dimensions.len().max(1);
    let (root, record) = canvas(WIDTH, 80 + 54 * n as u32 + 70);
    root.fill(&WHITE)?;
    let colors = [
        BLUE_,
        RGBColor(0x8e, 0x8e, 0x8e),
        RGBColor(0xc8, 0xc8, 0xc8),
    ];
    let x = span(
        series.iter().flat_map(|s| s.1.iter().flatten().copied()),
        8.0,
    );
    let chart = rows_chart(&root, title, dimensions, x, 100.0, x_desc, 12)?;
    for d in 0..dimensions.len() {
        let i = (n - 1 - d) as i32;
        // Three bars inside the dimension's band, on pixel coordinates.
        let (px0, band_top) = chart.backend_coord(&(0.0, SegmentValue::Exact(i + 1)));
        let (_, band_bottom) = chart.backend_coord(&(0.0, SegmentValue::Exact(i)));
        let band = f64::from(band_bottom - band_top);
        for (s, (_, values)) in series.iter().enumerate() {
            let Some(x) = values.get(d).copied().flatten() else {
                continue;
            };
            let (px1, _) = chart.backend_coord(&(x, SegmentValue::Exact(i)));
            let top = band_top + (band * (0.12 + 0.26 * s as f64)) as i32;
            let bottom = band_top + (band * (0.36 + 0.26 * s as f64)) as i32;
            root.draw(&Rectangle::new(
                [(px0, top), (px1, bottom)],
                colors[s].filled(),
            ))?;
            root.draw(&Text::new(
                format!("{x:.1}"),
                (px1 + 4, (top + bottom) / 2),
                style(10).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
    }
    // Legend under the plot.
    let (_, h) = root.dim_in_pixel();
    let mut x = 20i32;
    for (s, (name, _)) in series.iter().enumerate() {
        root.draw(&Rectangle::new(
            [(x, h as i32 - 22), (x + 14, h as i32 - 10)],
            colors[s].filled(),
        ))?;
        root.draw(&Text::new(
            name.to_string(),
            (x + 20, h as i32 - 16),
            style(12).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += 40 + super::font::layout(name, 12.0).width as i32;
    }
    root.present()?;
    Ok(record)
}

/// A waterfall: each dimension's contribution stacked from 0 up to the
/// index (last bar).
pub fn waterfall(
    steps: &[(String, f64)],
    total_label: &str,
    total: f64,
    title: &str,
    y_desc: &str,
) -> Drawn {
    let n = steps.len() + 1;
    let column_px = (f64::from(WIDTH) - 90.0) / n as f64;
    let mut names: Vec<String> = steps
        .iter()
        .map(|s| fit(&s.0, 11.0, column_px - 6.0))
        .collect();
    names.push(total_label.to_string());
    let (root, record) = canvas(WIDTH, 400);
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, style(17))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(48)
        .build_cartesian_2d(categories(n), {
            let mut level = 0.0;
            let levels = steps.iter().map(move |s| {
                level += s.1;
                level
            });
            let y = span(levels.chain([total]), 5.0);
            y.start - if y.start < 0.0 { 5.0 } else { 0.0 }..y.end
        })?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(NO_LINE)
        .bold_line_style(GRID)
        .x_labels(n)
        .x_label_formatter(&|v| center_label(&names, v, false))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .y_desc(y_desc)
        .label_style(style(11))
        .axis_desc_style(style(13))
        .draw()?;
    let mut level = 0.0;
    let bar = |i: usize, from: f64, to: f64, color: ShapeStyle| {
        let mut r = Rectangle::new([(seg(i), from.min(to)), (seg(i + 1), from.max(to))], color);
        r.set_margin(0, 0, 10, 10);
        r
    };
    for (i, (_, points)) in steps.iter().enumerate() {
        let color = if *points >= 0.0 {
            BLUE_.mix(0.75).filled()
        } else {
            tier_color(Tier::Red).mix(0.75).filled()
        };
        chart.draw_series(std::iter::once(bar(i, level, level + points, color)))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{points:+.1}"),
            (SegmentValue::CenterOf(i as i32), level + points + 1.0),
            style(11).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )))?;
        level += points;
    }
    chart.draw_series(std::iter::once(bar(n - 1, 0.0, total, TEXT.filled())))?;
    chart.draw_series(std::iter::once(Text::new(
        format!("{total:.1}"),
        (SegmentValue::CenterOf(n as i32 - 1), total + 1.0),
        style(12).pos(Pos::new(HPos::Center, VPos::Bottom)),
    )))?;
    root.present()?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pixels of one colour in a chart's PNG.
    fn pixels_of(record: &Record, color: RGBColor) -> usize {
        let png = record.png(1).expect("png");
        let img = image::load_from_memory(&png).expect("decodes").to_rgb8();
        img.pixels()
            .filter(|p| p.0 == [color.0, color.1, color.2])
            .count()
    }

    #[test]
    fn one_row_still_draws_its_bar() {
        let record = bars(&[("甲村".to_string(), 50.0, Tier::Red)], "t", "x").expect("chart");
        // About half the plot width and a band's height, in red.
        assert!(
            pixels_of(&record, tier_color(Tier::Red)) > 2000,
            "{}",
            pixels_of(&record, tier_color(Tier::Red))
        );
        assert!(record.texts().contains(&"甲村".to_string()));
    }

    #[test]
    fn one_quarter_trend_draws_its_point_inside_the_plot() {
        let color = RGBColor(0x1f, 0x5f, 0xa8);
        let record = trend(
            &["2026Q3".to_string()],
            &[("甲村".to_string(), vec![Some(70.0)], color)],
            "t",
            "y",
        )
        .expect("chart");
        // The point (a filled circle of radius 3) and the legend line.
        assert!(pixels_of(&record, color) > 40);
    }

    #[test]
    fn indices_outside_0_to_100_widen_the_axes() {
        let record = distribution(
            &[
                (-12.0, Tier::Red),
                (50.0, Tier::Yellow),
                (108.0, Tier::Green),
            ],
            None,
            "t",
            "x",
            "y",
        )
        .expect("chart");
        let texts = record.texts();
        assert!(texts.contains(&"-10".to_string()), "{texts:?}");
        assert!(texts.contains(&"110".to_string()), "{texts:?}");
        for t in [Tier::Red, Tier::Yellow, Tier::Green] {
            assert!(pixels_of(&record, tier_color(t)) > 100, "{t:?}");
        }
    }
}

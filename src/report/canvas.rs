//! A plotters drawing backend that records what a chart draws, and the two
//! writers that play the record back: SVG (text as `<text>` in the bundled
//! font, which the report ships once in `assets/fonts/` for every chart,
//! each character placed where the bundled font's layout puts it) and PNG
//! (played onto plotters' `BitMapBackend`, text rasterised from the bundled
//! font's outlines). A chart is drawn once and both files come out of one
//! record, byte for byte the same on every run.

use std::cell::RefCell;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::rc::Rc;

use ab_glyph::Font;
use image::ImageEncoder;
use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, IntoDrawingArea};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontTransform,
};

use super::font;

/// A colour with opacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgba {
    pub rgb: (u8, u8, u8),
    pub alpha: f64,
}

impl From<BackendColor> for Rgba {
    fn from(c: BackendColor) -> Self {
        Self {
            rgb: c.rgb,
            alpha: c.alpha,
        }
    }
}

impl Rgba {
    fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.rgb.0, self.rgb.1, self.rgb.2)
    }

    fn backend(self) -> BackendColor {
        BackendColor {
            rgb: self.rgb,
            alpha: self.alpha,
        }
    }
}

/// One drawing operation, in pixels of the chart.
#[derive(Debug, Clone)]
enum Op {
    Pixel(BackendCoord, Rgba),
    Line {
        from: BackendCoord,
        to: BackendCoord,
        color: Rgba,
        width: u32,
    },
    Rect {
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        color: Rgba,
        width: u32,
        fill: bool,
    },
    Path {
        points: Vec<BackendCoord>,
        color: Rgba,
        width: u32,
    },
    Circle {
        center: BackendCoord,
        radius: u32,
        color: Rgba,
        width: u32,
        fill: bool,
    },
    Polygon {
        points: Vec<BackendCoord>,
        color: Rgba,
    },
    Text {
        text: String,
        size: f64,
        color: Rgba,
        h: HAlign,
        v: VAlign,
        /// Rotation in degrees, clockwise: 0, 90, 180 or 270.
        degrees: i32,
        pos: BackendCoord,
    },
}

#[derive(Debug, Clone, Copy)]
enum HAlign {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, Copy)]
enum VAlign {
    Top,
    Center,
    Bottom,
}

/// The recording backend. Clone the handle from [`Recorder::record`]
/// before giving the backend to plotters.
#[derive(Debug)]
pub struct Recorder {
    size: (u32, u32),
    ops: Rc<RefCell<Vec<Op>>>,
}

/// What a chart drew.
#[derive(Debug, Clone)]
pub struct Record {
    size: (u32, u32),
    ops: Rc<RefCell<Vec<Op>>>,
}

/// Starts a chart of `w` × `h` pixels: the drawing area to draw on with
/// plotters, and the record it fills.
pub fn canvas(w: u32, h: u32) -> (DrawingArea<Recorder, Shift>, Record) {
    font::register();
    let ops = Rc::new(RefCell::new(Vec::new()));
    let record = Record {
        size: (w, h),
        ops: ops.clone(),
    };
    (Recorder { size: (w, h), ops }.into_drawing_area(), record)
}

impl Recorder {
    fn push(&self, op: Op) {
        self.ops.borrow_mut().push(op);
    }
}

type DrawResult = Result<(), DrawingErrorKind<Infallible>>;

/// A style's colour and stroke width, or `None` when it draws nothing.
fn visible<S: BackendStyle>(style: &S) -> Option<(Rgba, u32)> {
    let c = style.color();
    (c.alpha > 0.0).then(|| (c.into(), style.stroke_width()))
}

impl DrawingBackend for Recorder {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> DrawResult {
        Ok(())
    }

    fn present(&mut self) -> DrawResult {
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> DrawResult {
        if color.alpha > 0.0 {
            self.push(Op::Pixel(point, color.into()));
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> DrawResult {
        if let Some((color, width)) = visible(style) {
            self.push(Op::Line {
                from,
                to,
                color,
                width,
            });
        }
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> DrawResult {
        if let Some((color, width)) = visible(style) {
            self.push(Op::Rect {
                upper_left,
                bottom_right,
                color,
                width,
                fill,
            });
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> DrawResult {
        if let Some((color, width)) = visible(style) {
            self.push(Op::Path {
                points: path.into_iter().collect(),
                color,
                width,
            });
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> DrawResult {
        if let Some((color, width)) = visible(style) {
            self.push(Op::Circle {
                center,
                radius,
                color,
                width,
                fill,
            });
        }
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> DrawResult {
        if let Some((color, _)) = visible(style) {
            self.push(Op::Polygon {
                points: vert.into_iter().collect(),
                color,
            });
        }
        Ok(())
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> DrawResult {
        if style.color().alpha > 0.0 && !text.is_empty() {
            let anchor = style.anchor();
            self.push(Op::Text {
                text: text.to_string(),
                size: style.size(),
                color: style.color().into(),
                h: match anchor.h_pos {
                    HPos::Left => HAlign::Left,
                    HPos::Center => HAlign::Center,
                    HPos::Right => HAlign::Right,
                },
                v: match anchor.v_pos {
                    VPos::Top => VAlign::Top,
                    VPos::Center => VAlign::Center,
                    VPos::Bottom => VAlign::Bottom,
                },
                degrees: degrees(&style.transform()),
                pos,
            });
        }
        Ok(())
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<Infallible>> {
        let line = font::layout(text, style.size());
        Ok((line.width.ceil() as u32, line.height().ceil() as u32))
    }
}

/// Where a text's baseline starts, relative to its anchor point, before
/// rotation.
fn text_origin(line: &font::Line, h: HAlign, v: VAlign) -> (f64, f64) {
    let dx = match h {
        HAlign::Left => 0.0,
        HAlign::Center => -line.width / 2.0,
        HAlign::Right => -line.width,
    };
    let dy = match v {
        VAlign::Top => line.ascent,
        VAlign::Center => line.ascent - line.height() / 2.0,
        VAlign::Bottom => -line.descent,
    };
    (dx, dy)
}

fn degrees(t: &FontTransform) -> i32 {
    match t {
        FontTransform::None => 0,
        FontTransform::Rotate90 => 90,
        FontTransform::Rotate180 => 180,
        FontTransform::Rotate270 => 270,
    }
}

/// Rotates a point about the origin by a multiple of 90° (clockwise on
/// screen, as plotters does).
fn rotate(deg: i32, (x, y): (f64, f64)) -> (f64, f64) {
    match deg {
        90 => (-y, x),
        180 => (-x, -y),
        270 => (y, -x),
        _ => (x, y),
    }
}

fn f(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    let s = format!("{r:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn paint(color: Rgba, key: &str) -> String {
    if color.alpha >= 1.0 {
        format!("{key}=\"{}\"", color.hex())
    } else {
        format!(
            "{key}=\"{}\" {key}-opacity=\"{}\"",
            color.hex(),
            f(color.alpha)
        )
    }
}

/// A stroke's colour and width; SVG's default width, 1, left unsaid.
fn stroke(color: Rgba, width: u32) -> String {
    let paint = paint(color, "stroke");
    if width == 1 {
        paint
    } else {
        format!("{paint} stroke-width=\"{width}\"")
    }
}

fn points(p: &[BackendCoord]) -> String {
    p.iter()
        .map(|(x, y)| format!("{x},{y}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Record {
    /// Every text the chart drew, in order (for tests and accessibility).
    pub fn texts(&self) -> Vec<String> {
        self.ops
            .borrow()
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    /// The chart as an SVG document; `title` is the accessible name. Its
    /// text asks for the bundled font by [`font::WEB_FAMILY`]: a report page
    /// declares that font once for all its inline charts (`SvgFont::Page`);
    /// a chart file declares it itself, from the report's copy
    /// (`SvgFont::File`, the font's URL relative to the file).
    pub fn svg(&self, title: &str, font: SvgFont<'_>) -> String {
        let (w, h) = self.size;
        let ops = self.ops.borrow();
        let mut body = String::new();
        // Every shape says its own fill (or none), so the root's fill
        // reaches the texts alone.
        let root_fill = usual_text_fill(&ops);
        let mut i = 0;
        while i < ops.len() {
            // A run of opaque lines of one colour and width (a grid, the
            // ticks of an axis) is one path: the same pixels, a fraction
            // of the bytes. Translucent lines stay apart, since one path
            // would not blend twice where its segments cross.
            let run = opaque_line_run(&ops[i..]);
            if run > 1 {
                svg_lines(&mut body, &ops[i..i + run]);
                i += run;
                continue;
            }
            // So is a run of opaque polylines (tick marks, axes, series).
            let run = opaque_path_run(&ops[i..]);
            if run > 1 {
                svg_paths(&mut body, &ops[i..i + run]);
                i += run;
                continue;
            }
            if let Op::Text { .. } = &ops[i] {
                svg_text(&mut body, &ops[i], root_fill);
            } else {
                svg_shape(&mut body, &ops[i]);
            }
            i += 1;
        }
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" font-family=\"{}\"{} xml:space=\"preserve\">\n<title>{}</title>\n",
            xml(title),
            xml(font::WEB_FAMILIES),
            root_fill.map_or(String::new(), |c| format!(" {}", paint(c, "fill"))),
            xml(title)
        );
        if let SvgFont::File(url) = font {
            let _ = writeln!(
                out,
                "<style>@font-face {{ font-family: {}; src: url(\"{}\") format(\"truetype\"); }}</style>",
                font::WEB_FAMILY,
                xml(url)
            );
        }
        out.push_str(&body);
        out.push_str("</svg>\n");
        out
    }

    /// The chart as a PNG at `scale` × its size (2 for pasting into
    /// documents), on white.
    pub fn png(&self, scale: u32) -> Result<Vec<u8>, String> {
        let (w, h) = (self.size.0 * scale, self.size.1 * scale);
        let mut buf = vec![255u8; (w * h * 3) as usize];
        {
            let mut bmp = BitMapBackend::with_buffer(&mut buf, (w, h));
            self.replay(&mut bmp, scale).map_err(|e| e.to_string())?;
            bmp.present().map_err(|e| e.to_string())?;
        }
        let mut out = Vec::new();
        // Fast deflate: chart PNGs are flat colours and compress well
        // anyway; the default level costs several times the time.
        image::codecs::png::PngEncoder::new_with_quality(
            &mut out,
            image::codecs::png::CompressionType::Fast,
            image::codecs::png::FilterType::Sub,
        )
        .write_image(&buf, w, h, image::ColorType::Rgb8)
        .map_err(|e| e.to_string())?;
        Ok(out)
    }

    fn replay<DB: DrawingBackend>(
        &self,
        db: &mut DB,
        scale: u32,
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let s = scale as i32;
        let p = |(x, y): BackendCoord| (x * s, y * s);
        let style = |c: &Rgba, width: u32| Stroke {
            color: c.backend(),
            width: width * scale,
        };
        for op in self.ops.borrow().iter() {
            match op {
                Op::Pixel(at, c) => {
                    let (x, y) = p(*at);
                    db.draw_rect((x, y), (x + s - 1, y + s - 1), &style(c, 1), true)?;
                }
                Op::Line {
                    from,
                    to,
                    color,
                    width,
                } => {
                    if *width <= 1 {
                        db.draw_line(p(*from), p(*to), &style(color, 1))?;
                    } else {
                        db.draw_path([p(*from), p(*to)], &style(color, *width))?;
                    }
                }
                Op::Rect {
                    upper_left,
                    bottom_right,
                    color,
                    width,
                    fill,
                } => {
                    let (x1, y1) = p(*bottom_right);
                    let br = if *fill {
                        (x1 + s - 1, y1 + s - 1)
                    } else {
                        (x1, y1)
                    };
                    db.draw_rect(p(*upper_left), br, &style(color, *width), *fill)?;
                }
                Op::Path {
                    points,
                    color,
                    width,
                } => {
                    db.draw_path(points.iter().map(|q| p(*q)), &style(color, *width))?;
                }
                Op::Circle {
                    center,
                    radius,
                    color,
                    width,
                    fill,
                } => {
                    db.draw_circle(p(*center), radius * scale, &style(color, *width), *fill)?;
                }
                Op::Polygon { points, color } => {
                    db.fill_polygon(points.iter().map(|q| p(*q)), &style(color, 1))?;
                }
                Op::Text {
                    text,
                    size,
                    color,
                    h,
                    v,
                    degrees: deg,
                    pos,
                } => {
                    let deg = *deg;
                    let size = size * f64::from(scale);
                    let line = font::layout(text, size);
                    let (dx, dy) = text_origin(&line, *h, *v);
                    let (px, py) = p(*pos);
                    let font = font::font();
                    for g in &line.glyphs {
                        let glyph = g.glyph.with_scale_and_position(
                            font::px_scale(size),
                            ab_glyph::point((dx + g.x) as f32, dy as f32),
                        );
                        let Some(outlined) = font.outline_glyph(glyph) else {
                            continue;
                        };
                        let bounds = outlined.px_bounds();
                        let mut pixels = Vec::new();
                        outlined.draw(|x, y, coverage| {
                            if coverage > 0.0 {
                                pixels.push((
                                    f64::from(bounds.min.x) + f64::from(x),
                                    f64::from(bounds.min.y) + f64::from(y),
                                    coverage,
                                ));
                            }
                        });
                        for (x, y, coverage) in pixels {
                            let (rx, ry) = rotate(deg, (x, y));
                            let c = BackendColor {
                                rgb: color.rgb,
                                alpha: color.alpha * f64::from(coverage.min(1.0)),
                            };
                            db.draw_pixel((px + rx.floor() as i32, py + ry.floor() as i32), c)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// A stroke or fill style for the replay.
struct Stroke {
    color: BackendColor,
    width: u32,
}

impl BackendStyle for Stroke {
    fn color(&self) -> BackendColor {
        self.color
    }
    fn stroke_width(&self) -> u32 {
        self.width
    }
}

/// How many opaque lines of the first one's colour and width `ops` begins
/// with (0 when it begins with something else).
fn opaque_line_run(ops: &[Op]) -> usize {
    let Some(Op::Line { color, width, .. }) = ops.first() else {
        return 0;
    };
    if color.alpha < 1.0 {
        return 0;
    }
    ops.iter()
        .take_while(
            |op| matches!(op, Op::Line { color: c, width: w, .. } if c == color && w == width),
        )
        .count()
}

/// How many opaque polylines of the first one's colour and width `ops`
/// begins with (0 when it begins with something else).
fn opaque_path_run(ops: &[Op]) -> usize {
    let Some(Op::Path { color, width, .. }) = ops.first() else {
        return 0;
    };
    if color.alpha < 1.0 {
        return 0;
    }
    ops.iter()
        .take_while(
            |op| matches!(op, Op::Path { color: c, width: w, .. } if c == color && w == width),
        )
        .count()
}

/// A run of polylines of one opaque colour and width as one `<path>`, each
/// polyline a subpath (`M x y L x y x y …`), joined round as polylines are.
fn svg_paths(body: &mut String, paths: &[Op]) {
    let mut d = String::new();
    let mut style = None;
    for op in paths {
        if let Op::Path {
            points,
            color,
            width,
        } = op
        {
            style.get_or_insert((*color, *width));
            for (k, (x, y)) in points.iter().enumerate() {
                let _ = match k {
                    0 => write!(d, "M{x} {y}"),
                    1 => write!(d, "L{x} {y}"),
                    _ => write!(d, " {x} {y}"),
                };
            }
        }
    }
    if let Some((color, width)) = style {
        let _ = writeln!(
            body,
            "<path d=\"{d}\" fill=\"none\" {} stroke-linejoin=\"round\"/>",
            stroke(color, width)
        );
    }
}

/// A run of lines of one opaque colour and width as one `<path>`, each
/// line a subpath (`M x y` then `H`, `V` or `L` to its end).
fn svg_lines(body: &mut String, lines: &[Op]) {
    let mut d = String::new();
    let mut style = None;
    for op in lines {
        if let Op::Line {
            from: (x1, y1),
            to: (x2, y2),
            color,
            width,
        } = op
        {
            style.get_or_insert((*color, *width));
            let _ = write!(d, "M{x1} {y1}");
            let _ = if y1 == y2 {
                write!(d, "H{x2}")
            } else if x1 == x2 {
                write!(d, "V{y2}")
            } else {
                write!(d, "L{x2} {y2}")
            };
        }
    }
    if let Some((color, width)) = style {
        let _ = writeln!(
            body,
            "<path d=\"{d}\" fill=\"none\" {}/>",
            stroke(color, width)
        );
    }
}

/// One shape of a chart as SVG, appended to `body`.
fn svg_shape(body: &mut String, op: &Op) {
    match op {
        Op::Pixel((x, y), c) => {
            let _ = writeln!(
                body,
                "<rect x=\"{x}\" y=\"{y}\" width=\"1\" height=\"1\" {}/>",
                paint(*c, "fill")
            );
        }
        Op::Line {
            from,
            to,
            color,
            width,
        } => {
            let _ = writeln!(
                body,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {}/>",
                from.0,
                from.1,
                to.0,
                to.1,
                stroke(*color, *width)
            );
        }
        Op::Rect {
            upper_left: (x0, y0),
            bottom_right: (x1, y1),
            color,
            width,
            fill,
        } => {
            let (x, y) = ((*x0).min(*x1), (*y0).min(*y1));
            let (rw, rh) = ((x1 - x0).abs(), (y1 - y0).abs());
            if *fill {
                let _ = writeln!(
                    body,
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" {}/>",
                    rw + 1,
                    rh + 1,
                    paint(*color, "fill")
                );
            } else {
                let _ = writeln!(
                    body,
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{rw}\" height=\"{rh}\" fill=\"none\" {}/>",
                    stroke(*color, *width)
                );
            }
        }
        Op::Path {
            points: p,
            color,
            width,
        } => {
            let _ = writeln!(
                body,
                "<polyline points=\"{}\" fill=\"none\" {} stroke-linejoin=\"round\"/>",
                points(p),
                stroke(*color, *width)
            );
        }
        Op::Circle {
            center: (x, y),
            radius,
            color,
            width,
            fill,
        } => {
            if *fill {
                let _ = writeln!(
                    body,
                    "<circle cx=\"{x}\" cy=\"{y}\" r=\"{radius}\" {}/>",
                    paint(*color, "fill")
                );
            } else {
                let _ = writeln!(
                    body,
                    "<circle cx=\"{x}\" cy=\"{y}\" r=\"{radius}\" fill=\"none\" {}/>",
                    stroke(*color, *width)
                );
            }
        }
        Op::Polygon { points: p, color } => {
            let _ = writeln!(
                body,
                "<polygon points=\"{}\" {}/>",
                points(p),
                paint(*color, "fill")
            );
        }
        Op::Text { .. } => {}
    }
}

/// Where an SVG's text finds the bundled font.
#[derive(Debug, Clone, Copy)]
pub enum SvgFont<'a> {
    /// Inline in a report page, which declares the font.
    Page,
    /// A file of its own: the font's URL relative to it.
    File(&'a str),
}

/// A text of a chart as one SVG `<text>`, appended to `body`: each
/// character at the x the bundled font's layout gives it, so the text
/// takes the same room as in the PNG whichever font draws it.
fn svg_text(body: &mut String, op: &Op, root_fill: Option<Rgba>) {
    let Op::Text {
        text,
        size,
        color,
        h,
        v,
        degrees: deg,
        pos,
    } = op
    else {
        return;
    };
    let deg = *deg;
    let line = font::layout(text, *size);
    let (dx, dy) = text_origin(&line, *h, *v);
    let rot = if deg == 0 {
        String::new()
    } else {
        format!(" rotate({deg})")
    };
    // The colour the root declares is not said again.
    let fill = if Some(*color) == root_fill {
        String::new()
    } else {
        format!(" {}", paint(*color, "fill"))
    };
    // Unrotated text is placed by absolute coordinates, with no transform.
    let (at, ox, oy) = if deg == 0 {
        (String::new(), f64::from(pos.0), f64::from(pos.1))
    } else {
        (
            format!(" transform=\"translate({},{}){rot}\"", pos.0, pos.1),
            0.0,
            0.0,
        )
    };
    let xs: Vec<String> = line.glyphs.iter().map(|g| f(ox + dx + g.x)).collect();
    let _ = writeln!(
        body,
        "<text{at} x=\"{}\" y=\"{}\" font-size=\"{}\"{fill}>{}</text>",
        xs.join(" "),
        f(oy + dy),
        f(*size),
        xml(text)
    );
}

/// The colour most of a chart's texts are in (opaque; the first of equals
/// in hex order), which its root declares once as the fill.
fn usual_text_fill(ops: &[Op]) -> Option<Rgba> {
    let mut counts: std::collections::BTreeMap<String, (usize, Rgba)> = Default::default();
    for op in ops {
        if let Op::Text { color, .. } = op
            && color.alpha >= 1.0
        {
            counts.entry(color.hex()).or_insert((0, *color)).0 += 1;
        }
    }
    let mut best: Option<(usize, Rgba)> = None;
    for (n, c) in counts.into_values() {
        if best.is_none_or(|(m, _)| n > m) {
            best = Some((n, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    fn sample() -> Record {
        let (area, record) = canvas(200, 100);
        area.fill(&WHITE).expect("fill");
        area.draw(&Rectangle::new([(10, 10), (50, 40)], RED.filled()))
            .expect("rect");
        area.draw(&Text::new(
            "村社 index 42",
            (60, 50),
            (font::FAMILY, 14).into_font().color(&BLACK),
        ))
        .expect("text");
        record
    }

    #[test]
    fn svg_text_is_placed_per_character_in_the_bundled_font() {
        let inline = sample().svg("测试", SvgFont::Page);
        assert!(inline.starts_with("<svg "), "{inline}");
        assert!(inline.contains("fill=\"#ff0000\""));
        assert!(inline.contains(&format!("font-family=\"{}\"", font::WEB_FAMILIES)));
        assert!(!inline.contains("@font-face"), "a page declares the font");
        assert!(!inline.contains("<path id="), "no glyph outlines");
        let text = inline
            .lines()
            .find(|l| l.starts_with("<text "))
            .expect("a <text>");
        assert!(text.ends_with(">村社 index 42</text>"), "{text}");
        // One x per character, rising.
        let xs: Vec<f64> = text
            .split("x=\"")
            .nth(1)
            .unwrap_or("")
            .split('"')
            .next()
            .unwrap_or("")
            .split(' ')
            .map(|x| x.parse().expect("a number"))
            .collect();
        assert_eq!(xs.len(), "村社 index 42".chars().count(), "{text}");
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
        let file = sample().svg("测试", SvgFont::File("../assets/fonts/f.ttf"));
        assert!(
            file.contains("src: url(\"../assets/fonts/f.ttf\")"),
            "a chart file declares the font: {file}"
        );
    }

    #[test]
    fn png_decodes_and_draws_text_pixels() {
        let png = sample().png(2).expect("png");
        let img = image::load_from_memory(&png).expect("decodes").to_rgb8();
        assert_eq!(img.dimensions(), (400, 200));
        assert_eq!(img.get_pixel(60, 50).0, [255, 0, 0], "the red rectangle");
        // Text is drawn to the right of x = 120 (60 × 2), around y = 100.
        let dark = (120..400)
            .flat_map(|x| (60..140).map(move |y| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0[0] < 128)
            .count();
        assert!(dark > 100, "text pixels: {dark}");
    }

    #[test]
    fn a_run_of_opaque_lines_is_one_path_and_translucent_ones_stay_apart() {
        // What plotters' mesh and axes call: the backend's draw_line.
        let (_, record) = canvas(100, 100);
        let mut b = Recorder {
            size: record.size,
            ops: record.ops.clone(),
        };
        let black = BLACK;
        for (from, to) in [
            ((10, 0), (10, 90)),
            ((20, 0), (20, 90)),
            ((30, 0), (30, 90)),
            ((0, 50), (90, 50)),
            ((0, 0), (90, 90)),
        ] {
            b.draw_line(from, to, &black).expect("line");
        }
        let grey = RGBColor(128, 128, 128).mix(0.5);
        for y in [60, 70] {
            b.draw_line((0, y), (90, y), &grey).expect("line");
        }
        let svg = record.svg("x", SvgFont::Page);
        let paths: Vec<&str> = svg.lines().filter(|l| l.starts_with("<path ")).collect();
        assert_eq!(
            paths,
            [
                "<path d=\"M10 0V90M20 0V90M30 0V90M0 50H90M0 0L90 90\" fill=\"none\" stroke=\"#000000\"/>"
            ],
            "{svg}"
        );
        assert_eq!(svg.matches("<line ").count(), 2, "{svg}");
        // The PNG plays the lines back one by one, as before.
        let img = image::load_from_memory(&record.png(1).expect("png"))
            .expect("decodes")
            .to_rgb8();
        assert_eq!(img.get_pixel(20, 40).0, [0, 0, 0]);
    }

    #[test]
    fn a_run_of_opaque_polylines_is_one_path_and_translucent_ones_stay_apart() {
        // What plotters' tick marks and line series call: draw_path.
        let (_, record) = canvas(100, 100);
        let mut b = Recorder {
            size: record.size,
            ops: record.ops.clone(),
        };
        let black = BLACK;
        b.draw_path([(5, 10), (10, 10)], &black).expect("path");
        b.draw_path([(0, 0), (50, 40), (90, 0)], &black)
            .expect("path");
        let grey = RGBColor(128, 128, 128).mix(0.5);
        b.draw_path([(0, 60), (90, 60)], &grey).expect("path");
        b.draw_path([(0, 70), (90, 70)], &grey).expect("path");
        // Another colour ends the run.
        b.draw_path([(0, 80), (90, 80)], &RGBColor(255, 0, 0))
            .expect("path");
        let svg = record.svg("x", SvgFont::Page);
        let paths: Vec<&str> = svg.lines().filter(|l| l.starts_with("<path ")).collect();
        assert_eq!(
            paths,
            [
                "<path d=\"M5 10L10 10M0 0L50 40 90 0\" fill=\"none\" stroke=\"#000000\" stroke-linejoin=\"round\"/>"
            ],
            "{svg}"
        );
        assert_eq!(svg.matches("<polyline ").count(), 3, "{svg}");
        let img = image::load_from_memory(&record.png(1).expect("png"))
            .expect("decodes")
            .to_rgb8();
        assert_eq!(img.get_pixel(7, 10).0, [0, 0, 0]);
    }

    #[test]
    fn same_chart_same_bytes() {
        assert_eq!(
            sample().svg("x", SvgFont::Page),
            sample().svg("x", SvgFont::Page)
        );
        assert_eq!(sample().png(1).expect("png"), sample().png(1).expect("png"));
    }
}

//! The bundled chart font (WenQuanYi Micro Hei, Apache-2.0, in
//! `reports/assets/fonts/`): text layout, and glyph outlines as SVG path
//! data, so chart text looks the same on every machine.

use std::sync::{LazyLock, Once};

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve, PxScale};

/// The font file, compiled into the binary.
pub const FONT_BYTES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/reports/assets/fonts/wqy-microhei.ttf"
));

/// The family name charts ask plotters for.
pub const FAMILY: &str = "sans-serif";

static FONT: LazyLock<FontRef<'static>> = LazyLock::new(|| {
    FontRef::try_from_slice(FONT_BYTES).expect("the bundled font is a valid TrueType file")
});

static REGISTERED: Once = Once::new();

/// Registers the bundled font with plotters (its `ab_glyph` path) under
/// `sans-serif`, once per process.
pub fn register() {
    REGISTERED.call_once(|| {
        for style in [
            plotters::style::FontStyle::Normal,
            plotters::style::FontStyle::Bold,
        ] {
            if plotters::style::register_font(FAMILY, style, FONT_BYTES).is_err() {
                tracing::error!("the bundled chart font could not be registered with plotters");
            }
        }
    });
}

/// The font itself.
pub fn font() -> &'static FontRef<'static> {
    &FONT
}

fn units_per_em() -> f32 {
    FONT.units_per_em().unwrap_or(2048.0)
}

/// One glyph placed on a line of text: its id and the x of its origin in
/// pixels from the start of the line.
#[derive(Debug, Clone, Copy)]
pub struct Placed {
    pub glyph: GlyphId,
    pub x: f64,
}

/// A laid-out line of text at `size` pixels per em.
#[derive(Debug, Clone)]
pub struct Line {
    pub glyphs: Vec<Placed>,
    pub width: f64,
    /// Ascent and descent in pixels (descent positive, below the baseline).
    pub ascent: f64,
    pub descent: f64,
}

impl Line {
    pub fn height(&self) -> f64 {
        self.ascent + self.descent
    }
}

/// Lays out one line of text: advances with kerning, no shaping (none is
/// needed for Chinese and Latin labels).
pub fn layout(text: &str, size: f64) -> Line {
    let font = font();
    let scale = size / f64::from(units_per_em());
    let mut x = 0.0;
    let mut glyphs = Vec::with_capacity(text.len());
    let mut previous: Option<GlyphId> = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = previous {
            x += f64::from(font.kern_unscaled(p, id)) * scale;
        }
        glyphs.push(Placed { glyph: id, x });
        x += f64::from(font.h_advance_unscaled(id)) * scale;
        previous = Some(id);
    }
    Line {
        glyphs,
        width: x,
        ascent: f64::from(font.ascent_unscaled()) * scale,
        descent: -f64::from(font.descent_unscaled()) * scale,
    }
}

/// The ab_glyph scale that gives `size` pixels per em.
pub fn px_scale(size: f64) -> PxScale {
    let font = font();
    let height = font.ascent_unscaled() - font.descent_unscaled();
    PxScale::from((size as f32) * height / units_per_em())
}

/// The pixels per font unit at `size` pixels per em.
pub fn unit_scale(size: f64) -> f64 {
    size / f64::from(units_per_em())
}

/// A glyph's outline as SVG path data in font units, y pointing down
/// (so it is drawn with a plain scale), or `None` for a blank glyph.
pub fn glyph_path(id: GlyphId) -> Option<String> {
    let outline = font().outline(id)?;
    let mut d = String::new();
    let mut last: Option<(f32, f32)> = None;
    let mut start: Option<(f32, f32)> = None;
    let point = |d: &mut String, cmd: &str, pts: &[ab_glyph::Point]| {
        d.push_str(cmd);
        for (i, p) in pts.iter().enumerate() {
            if i > 0 {
                d.push(' ');
            }
            d.push_str(&num(p.x));
            d.push(' ');
            d.push_str(&num(-p.y));
        }
    };
    for curve in &outline.curves {
        let (p0, rest): (ab_glyph::Point, Vec<ab_glyph::Point>) = match *curve {
            OutlineCurve::Line(a, b) => (a, vec![b]),
            OutlineCurve::Quad(a, b, c) => (a, vec![b, c]),
            OutlineCurve::Cubic(a, b, c, e) => (a, vec![b, c, e]),
        };
        if last != Some((p0.x, p0.y)) {
            if start.is_some() {
                d.push('Z');
            }
            point(&mut d, "M", &[p0]);
            start = Some((p0.x, p0.y));
        }
        let cmd = match rest.len() {
            1 => "L",
            2 => "Q",
            _ => "C",
        };
        point(&mut d, cmd, &rest);
        let end = rest[rest.len() - 1];
        last = Some((end.x, end.y));
    }
    if start.is_some() {
        d.push('Z');
    }
    (!d.is_empty()).then_some(d)
}

/// A font-unit coordinate, shortest exact form (TrueType points are
/// integers or halves).
fn num(v: f32) -> String {
    let r = (f64::from(v) * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_chinese_latin_and_digits() {
        for c in "村社清廉指数 Village index 0123456789 <3 %–—（）：".chars() {
            if c == ' ' {
                continue;
            }
            assert_ne!(font().glyph_id(c).0, 0, "no glyph for {c:?}");
        }
    }

    #[test]
    fn layout_widths_add_up() {
        let one = layout("清", 20.0);
        let two = layout("清清", 20.0);
        assert!(one.width > 15.0 && one.width < 25.0, "{}", one.width);
        assert!((two.width - 2.0 * one.width).abs() < 1e-9);
        assert!((two.glyphs[1].x - one.width).abs() < 1e-9);
        assert!(one.ascent > one.descent && one.descent > 0.0);
    }

    #[test]
    fn plotters_measures_with_the_bundled_font() {
        // With plotters' `ttf` feature on, registered fonts would be
        // silently replaced by system fonts: plotters would then measure
        // text with another font (or fail without one).
        register();
        use plotters::style::IntoFont;
        let text = "村社清廉指数 2026Q3";
        let (w, _) = (FAMILY, 20.0)
            .into_font()
            .box_size(text)
            .expect("plotters has a font for sans-serif");
        // plotters' size is the ascent-to-descent height; ours the em.
        let f = font();
        let em = 20.0 * f64::from(units_per_em())
            / f64::from(f.ascent_unscaled() - f.descent_unscaled());
        let ours = layout(text, em).width;
        assert!(
            (f64::from(w) - ours).abs() <= 2.0,
            "plotters {w} px, bundled font {ours} px"
        );
    }

    #[test]
    fn glyph_paths_are_closed_and_blank_is_none() {
        let d = glyph_path(font().glyph_id('廉')).expect("an outline");
        assert!(d.starts_with('M') && d.ends_with('Z'), "{d}");
        assert!(glyph_path(font().glyph_id(' ')).is_none());
    }
}

//! The bundled chart font (WenQuanYi Micro Hei, Apache-2.0, in
//! `reports/assets/fonts/`): text layout for both chart writers, the
//! glyphs the PNG writer rasterises, and the copy every report ships for
//! its SVG charts' text, so chart text looks the same on every machine.

use std::sync::{LazyLock, Once};

use ab_glyph::{Font, FontRef, GlyphId, PxScale};

/// The font file, compiled into the binary.
pub const FONT_BYTES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/reports/assets/fonts/wqy-microhei.ttf"
));

/// The family name charts ask plotters for.
pub const FAMILY: &str = "sans-serif";

/// The bundled font's name in the report's `@font-face` rules.
pub const WEB_FAMILY: &str = "qinglian-chart";

/// What an SVG's text asks for: the bundled font, then the same family
/// installed, then the usual Chinese system fonts should it not load.
pub const WEB_FAMILIES: &str = "qinglian-chart, 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', 'Noto Sans CJK SC', sans-serif";

/// Where the report keeps its copy of the bundled font, relative to the
/// report's directory.
pub const REPORT_PATH: &str = "assets/fonts/wqy-microhei.ttf";

/// The font's licence, shipped beside it.
pub const LICENSE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/reports/assets/fonts/LICENSE-Apache-2.0.txt"
));

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
}

//! Indicator documentation rendered from the framework itself: the page
//! `qinglian indicators show ID` prints and the reference
//! `docs/indicators.md` (`qinglian indicators docs`), so the documentation
//! cannot drift from the definitions the pipeline runs.

use std::fmt::Write;

use crate::framework::{
    DataPointSpec, Direction, Example, Formula, Framework, Indicator, PERIOD_PARAMETERS,
    placeholders,
};

/// Markdown-safe table cell: no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// A worked example in words, with its numbers.
pub fn example_text(e: &Example, i: &Indicator) -> String {
    let mut parts = vec![format!("{} = {}", i.numerator, number(e.numerator))];
    if let (Some(g), Some(d)) = (i.gate(), e.denominator) {
        parts.push(format!("{g} = {}", number(d)));
    }
    format!(
        "{} ({} → {})",
        e.text.trim(),
        parts.join(", "),
        number(e.value)
    )
}

/// The formula written out over the data point ids.
pub fn formula_text(i: &Indicator) -> String {
    let den = i.denominator.as_deref().unwrap_or("?");
    match i.formula {
        Formula::Value => i.numerator.clone(),
        Formula::RatePer1000 => format!("1000 × {} / {den}", i.numerator),
        Formula::Share => format!("{} / {den} (share, 0 to 1)", i.numerator),
        Formula::Ratio => format!("{} / {den}", i.numerator),
    }
}

/// How the indicator is scored, in words (methodology.md).
pub fn method_text(i: &Indicator) -> String {
    use crate::engine::method::{Normalisation, Treatment};
    let m = &i.method;
    let norm = match m.normalisation {
        Normalisation::MinMax { low, high } => {
            format!("min-max to [{}, {}]", number(low), number(high))
        }
        Normalisation::ZScore { mean, sd } => {
            format!("z-score (mean {}, sd {})", number(mean), number(sd))
        }
        Normalisation::PercentileRank { low, high } => {
            format!("percentile rank to [{}, {}]", number(low), number(high))
        }
        Normalisation::Goalposts { worst, best } => {
            format!(
                "goalposts: {} scores 0, {} scores 100",
                number(worst),
                number(best)
            )
        }
        Normalisation::Target { target } => format!("distance to the target {}", number(target)),
        Normalisation::Deduction { per_unit, cap } => format!(
            "deduction: 100 less {} points per unit, at most {}",
            number(per_unit),
            number(cap)
        ),
    };
    let mut parts = vec![norm];
    if m.shrinkage != crate::engine::method::Shrinkage::None {
        parts.push(format!("shrunk toward the {} rate", m.shrinkage.as_str()));
    }
    if let Treatment::Jrc(_) = m.treatment {
        parts.push("JRC outlier treatment".into());
    }
    match m.imputation {
        crate::engine::impute::Imputation::None => {}
        crate::engine::impute::Imputation::GroupMean => {
            parts.push("gaps take the township mean".into())
        }
        crate::engine::impute::Imputation::GroupMedian => {
            parts.push("gaps take the township median".into())
        }
    }
    parts.join("; ")
}

/// Direction in words.
pub fn direction_text(i: &Indicator) -> String {
    match i.direction {
        Direction::LowerIsBetter => "lower is better (a high value is a red flag)".into(),
        Direction::HigherIsBetter => "higher is better (a low value is a red flag)".into(),
        Direction::TwoSided => format!(
            "two-sided: both extremes are red flags; scored by the distance from {}",
            i.target
                .map(number)
                .unwrap_or_else(|| "the quarter's median over the villages".into())
        ),
    }
}

/// When the indicator is unavailable for a village rather than scored.
pub fn minimum_text(i: &Indicator) -> String {
    match (i.gate(), i.min_denominator) {
        (Some(gate), Some(m)) => format!(
            "unavailable (not 0) for a village whose {gate} is below {}{}",
            number(m),
            if i.formula == Formula::Value {
                ""
            } else {
                " or is 0"
            }
        ),
        (Some(gate), None) => {
            format!("unavailable (not 0) for a village whose {gate} is 0")
        }
        (None, _) => "unavailable where its data point is unavailable".into(),
    }
}

/// The framework parameters an indicator's data points read.
pub fn parameters_used<'a>(
    fw: &'a Framework,
    i: &Indicator,
) -> Vec<&'a crate::framework::Parameter> {
    let mut names: Vec<String> = Vec::new();
    for dp in i.datapoints().filter_map(|d| fw.datapoint(d)) {
        let text = match &dp.spec {
            DataPointSpec::Aggregate {
                filter: Some(f), ..
            } => Some(f.as_str()),
            DataPointSpec::Sql { file, .. } => fw.sql.get(file).map(String::as_str),
            _ => None,
        };
        for p in text.map(placeholders).unwrap_or_default() {
            if !PERIOD_PARAMETERS.contains(&p.as_str()) && !names.contains(&p) {
                names.push(p);
            }
        }
    }
    fw.parameters
        .iter()
        .filter(|p| names.contains(&p.id))
        .collect()
}

/// One indicator's page (Markdown; also what `indicators show` prints).
pub fn indicator_page(fw: &Framework, i: &Indicator, heading: &str) -> String {
    let mut s = String::new();
    let dim = fw
        .dimensions
        .iter()
        .find(|d| d.id == i.dimension)
        .map(|d| format!("{} ({} / {})", d.id, d.name_zh, d.name_en))
        .unwrap_or_else(|| i.dimension.clone());
    let _ = writeln!(s, "{heading} `{}` {} / {}\n", i.id, i.name_zh, i.name_en);
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| dimension | {} |", cell(&dim));
    let _ = writeln!(s, "| formula | `{}` |", formula_text(i));
    if let Some(u) = &i.unit {
        let _ = writeln!(s, "| unit | {} |", cell(u));
    }
    let _ = writeln!(s, "| direction | {} |", cell(&direction_text(i)));
    let _ = writeln!(s, "| minimum | {} |", cell(&minimum_text(i)));
    let _ = writeln!(
        s,
        "| weight | {} (within its dimension) |",
        number(i.weight)
    );
    let _ = writeln!(s, "| scoring | {} |", cell(&method_text(i)));
    s.push('\n');
    let _ = writeln!(s, "**Definition.** {}\n", i.definition.trim());
    if let Some(x) = &i.exclusions {
        let _ = writeln!(s, "**Exclusions.** {}\n", x.trim());
    }
    if let Some(r) = &i.rationale {
        let _ = writeln!(s, "**Rationale.** {}\n", r.trim());
    }
    if let Some(e) = &i.example {
        let _ = writeln!(s, "**Example.** {}\n", example_text(e, i));
    }
    let _ = writeln!(s, "**Data points.**\n");
    for id in i.datapoints() {
        if let Some(d) = fw.datapoint(id) {
            let role = if *id == i.numerator {
                "numerator"
            } else if Some(id) == i.denominator.as_ref() {
                "denominator"
            } else {
                "basis"
            };
            let _ = writeln!(
                s,
                "- {role} `{}` {} / {}: {}",
                d.id,
                d.name_zh,
                d.name_en,
                d.spec.describe()
            );
        }
    }
    s.push('\n');
    let params = parameters_used(fw, i);
    if !params.is_empty() {
        let _ = writeln!(s, "**Parameters** (framework.toml, bound as `$id`).\n");
        for p in params {
            let _ = writeln!(
                s,
                "- `${}` = {}: {}",
                p.id,
                number(p.value),
                p.description.trim()
            );
        }
        s.push('\n');
    }
    if !i.sources.is_empty() {
        let _ = writeln!(s, "**Sources.**\n");
        for src in &i.sources {
            let _ = writeln!(s, "- {}", src.trim());
        }
        s.push('\n');
    }
    s
}

/// The whole framework reference (`docs/indicators.md`).
pub fn framework_page(fw: &Framework) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Indicators of the framework `{}` {} ({} / {})\n",
        fw.meta.id, fw.meta.version, fw.meta.name_zh, fw.meta.name_en
    );
    let _ = writeln!(
        s,
        "Generated from the framework files by `qinglian indicators docs --out docs/indicators.md`; \
         do not edit by hand (a test checks it matches the framework). \
         {} indicators over {} data points in {} dimensions.\n",
        fw.indicators.len(),
        fw.datapoints.len(),
        fw.dimensions.len()
    );
    let _ = writeln!(s, "## Dimensions\n");
    let _ = writeln!(
        s,
        "| dimension | name | weight | indicators |\n|---|---|---|---|"
    );
    for d in &fw.dimensions {
        let n = fw.indicators.iter().filter(|i| i.dimension == d.id).count();
        let _ = writeln!(
            s,
            "| `{}` | {} / {} | {} | {n} |",
            d.id,
            d.name_zh,
            d.name_en,
            number(d.weight)
        );
    }
    s.push('\n');
    if !fw.parameters.is_empty() {
        let _ = writeln!(s, "## Parameters\n");
        let _ = writeln!(s, "| parameter | value | meaning |\n|---|---|---|");
        for p in &fw.parameters {
            let _ = writeln!(
                s,
                "| `${}` | {} | {} |",
                p.id,
                number(p.value),
                cell(p.description.trim())
            );
        }
        s.push('\n');
    }
    for d in &fw.dimensions {
        let _ = writeln!(s, "## {} {} / {}\n", d.id, d.name_zh, d.name_en);
        if let Some(desc) = &d.description {
            let _ = writeln!(s, "{}\n", desc.trim());
        }
        let _ = writeln!(
            s,
            "| indicator | name | direction | minimum |\n|---|---|---|---|"
        );
        for i in fw.indicators.iter().filter(|i| i.dimension == d.id) {
            let _ = writeln!(
                s,
                "| [`{}`](#{}) | {} / {} | {} | {} |",
                i.id,
                i.id,
                i.name_zh,
                cell(&i.name_en),
                i.direction.as_str(),
                i.gate()
                    .map(|g| format!("{g} ≥ {}", number(i.min_denominator.unwrap_or(0.0))))
                    .unwrap_or_else(|| "–".into())
            );
        }
        s.push('\n');
        for i in fw.indicators.iter().filter(|i| i.dimension == d.id) {
            let _ = writeln!(s, "<a id=\"{}\"></a>\n", i.id);
            s.push_str(&indicator_page(fw, i, "###"));
        }
    }
    s
}

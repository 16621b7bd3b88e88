//! The one validation pass from the raw files to the model: every default
//! is filled in here, every value and reference checked, and every problem
//! collected (not just the first), each with its kind, file and key path.
//! The steps run in the order of the files' parts (framework.toml's tables,
//! the data points, the indicators, then the checks across them), which is
//! the order the problems are listed in.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

use super::model::{
    Aggregate, Builtin, DataPoint, DataPointSpec, Dimension, Direction, Example, Formula,
    Indicator, Meta, Missing, OpenUntil, PERIOD_PARAMETERS, Parameter, ReportSettings, Window,
};
use super::raw::{
    RawAggregateDataPoint, RawDataPoint, RawDimension, RawExample, RawFrameworkFile, RawIndicator,
    RawMeta, RawParameter, RawReport, RawSqlDataPoint, RawTiers, TierMethod,
};
use crate::contract::{self, Kind, Table};
use crate::engine::method::{self, Aggregation, Defaults, LevelMethod, RawLevel, Scoring};
use crate::engine::rank::TierRule;
use crate::error::{At, FrameworkProblem, ProblemKind};

/// The tiers of a framework.toml without `[tiers]`.
const DEFAULT_TIERS: TierRule = TierRule::Thresholds {
    green: 85.0,
    yellow: 70.0,
};

/// The main file, which most problems are in.
const MAIN: &str = "framework.toml";

/// The validated framework, but for what `Framework::load` adds (the SQL
/// texts, the hash, the files read).
#[derive(Debug)]
pub(super) struct Validated {
    pub(super) meta: Meta,
    pub(super) tiers: TierRule,
    pub(super) dimensions: Vec<Dimension>,
    pub(super) datapoints: Vec<DataPoint>,
    pub(super) indicators: Vec<Indicator>,
    pub(super) parameters: Vec<Parameter>,
    pub(super) scoring: Scoring,
    pub(super) report: ReportSettings,
}

/// Validates, pushing every problem found.
#[derive(Debug)]
pub(super) struct Validator<'a> {
    pub(super) problems: &'a mut Vec<FrameworkProblem>,
    /// Every file parsed: cross-file completeness checks apply.
    pub(super) complete: bool,
}

/// What an indicator is checked against: the rest of the framework.
struct Context<'a> {
    dimensions: &'a BTreeSet<String>,
    datapoints: &'a BTreeSet<String>,
    defaults: &'a Defaults,
}

impl Validator<'_> {
    /// The whole pass, in the order of the problems it reports.
    pub(super) fn validate(
        mut self,
        main: RawFrameworkFile,
        raw_dps: Vec<(String, RawDataPoint)>,
        raw_inds: Vec<(String, RawIndicator)>,
    ) -> Validated {
        let meta = self.meta(main.framework);
        let tiers = self.tiers(main.tiers);
        let report = self.report(main.report);
        let parameters = self.parameters(main.parameters);
        let known_parameters = known_parameters(&parameters);
        let (mut dimensions, levels) = self.dimensions(main.dimensions);
        let dimension_ids: Vec<String> = dimensions.iter().map(|d| d.id.clone()).collect();
        let (defaults, min_availability, index) =
            method::scoring(main.scoring, &dimension_ids, self.problems);
        if dimensions.is_empty() {
            self.problems.push(At::file(MAIN).problem(
                ProblemKind::Invalid,
                "no [[dimension]] defined; an index needs at least one",
            ));
        }
        let (datapoints, datapoint_ids) = self.datapoints(raw_dps, &known_parameters);
        let context = Context {
            dimensions: &dimension_ids.iter().cloned().collect(),
            datapoints: &datapoint_ids,
            defaults: &defaults,
        };
        let indicators = self.indicators(raw_inds, &context);
        self.levels(&mut dimensions, levels, &indicators, &defaults);
        if index.aggregation == Aggregation::Geometric {
            self.geometric_index(&dimensions, &indicators);
        }
        let indicator_ids: BTreeSet<String> = indicators.iter().map(|i| i.id.clone()).collect();
        let vetoes = method::vetoes(main.vetoes, &datapoint_ids, &indicator_ids, self.problems);
        let scoring = Scoring {
            min_availability,
            index,
            vetoes,
            uncertainty: method::uncertainty(main.uncertainty, self.problems),
        };
        if self.complete {
            self.completeness(&dimensions, &indicators);
        }
        Validated {
            meta,
            tiers,
            dimensions,
            datapoints,
            indicators,
            parameters,
            scoring,
            report,
        }
    }

    // ------------------------------------------------------ framework.toml

    fn meta(&mut self, m: RawMeta) -> Meta {
        if m.id.trim().is_empty() || m.version.trim().is_empty() {
            self.problems
                .push(At::file(MAIN).key("framework").named_in_message().problem(
                    ProblemKind::Invalid,
                    "framework.id and framework.version must not be empty",
                ));
        }
        Meta {
            id: m.id,
            version: m.version,
            name_zh: m.name_zh,
            name_en: m.name_en,
            description: m.description,
        }
    }

    fn tiers(&mut self, raw: Option<RawTiers>) -> TierRule {
        let Some(t) = raw else {
            return DEFAULT_TIERS;
        };
        let at = At::file(MAIN).key("tiers");
        let invalid = |at: At, message: String| at.problem(ProblemKind::Invalid, message);
        match t.method.unwrap_or(TierMethod::Thresholds) {
            TierMethod::Thresholds => {
                if t.red.is_some() {
                    self.problems.push(invalid(at.key("red"), "only method = \"quantiles\" takes a red share; thresholds take green and yellow".into()));
                }
                let (green, yellow) = (t.green.unwrap_or(85.0), t.yellow.unwrap_or(70.0));
                if !(0.0..=100.0).contains(&yellow)
                    || !(0.0..=100.0).contains(&green)
                    || yellow > green
                {
                    self.problems.push(invalid(at, format!(
                        "thresholds need 0 <= yellow <= green <= 100 (got yellow {yellow}, green {green})"
                    )));
                }
                TierRule::Thresholds { green, yellow }
            }
            TierMethod::Quantiles => {
                if t.green.is_some() {
                    self.problems.push(invalid(
                        at.key("green"),
                        "method = \"quantiles\" takes red and yellow shares; green is the rest"
                            .into(),
                    ));
                }
                let (red, yellow) = (t.red.unwrap_or(0.1), t.yellow.unwrap_or(0.2));
                if !(red > 0.0 && yellow >= 0.0 && red + yellow < 1.0) {
                    self.problems.push(invalid(at, format!(
                        "quantile shares need red > 0, yellow >= 0, red + yellow < 1 (got red {red}, yellow {yellow})"
                    )));
                }
                TierRule::Quantiles { red, yellow }
            }
        }
    }

    /// `[report]`: defaults for what is left out, every bad value reported.
    fn report(&mut self, raw: Option<RawReport>) -> ReportSettings {
        let mut out = ReportSettings::default();
        let Some(r) = raw else {
            return out;
        };
        let at = At::file(MAIN).key("report");
        let summons = "the summons list needs at least one village";
        if let Some(v) = self.whole_number(&at.key("summons"), r.summons, (1, 10_000), summons) {
            out.summons = v as usize;
        }
        let k = "1 turns small-cell protection off";
        if let Some(v) = self.whole_number(&at.key("small_cell_k"), r.small_cell_k, (1, 100), k) {
            out.small_cell_k = v as u32;
        }
        let trend = "the trend covers the assessed quarter and up to 7 before";
        if let Some(v) =
            self.whole_number(&at.key("trend_quarters"), r.trend_quarters, (1, 8), trend)
        {
            out.trend_quarters = v as usize;
        }
        match r.alert_drop {
            Some(v) if !(v.is_finite() && v > 0.0) => {
                self.problems
                    .push(at.key("alert_drop").with_value(v).problem(
                        ProblemKind::Invalid,
                        "index points must be a number above 0",
                    ));
            }
            Some(v) => out.alert_drop = v,
            None => {}
        }
        if let Some(b) = r.village_png {
            out.village_png = b;
        }
        out
    }

    /// A whole number of `[report]` within `min..=max`, else a problem
    /// saying `what` and `None`.
    fn whole_number(
        &mut self,
        at: &At,
        v: Option<i64>,
        (min, max): (i64, i64),
        what: &str,
    ) -> Option<i64> {
        match v {
            Some(v) if v < min || v > max => {
                self.problems.push(at.with_value(v).problem(
                    ProblemKind::Invalid,
                    format!("{what}; use a whole number from {min} to {max}"),
                ));
                None
            }
            v => v,
        }
    }

    fn parameters(&mut self, raw: Vec<RawParameter>) -> Vec<Parameter> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, p) in raw.into_iter().enumerate() {
            let at = At::file(MAIN).key(&format!("parameter[{i}]"));
            self.check_id(&at, &p.id, &mut seen);
            let mut invalid = |key: &str, message: String| {
                self.problems
                    .push(at.key(key).problem(ProblemKind::Invalid, message));
            };
            if PERIOD_PARAMETERS.contains(&p.id.as_str()) {
                invalid(
                    "id",
                    format!(
                        "'{}' is bound by the pipeline to the assessed quarter; choose another name",
                        p.id
                    ),
                );
            }
            if !p.value.is_finite() {
                invalid("value", format!("{} is not a finite number", p.value));
            }
            if p.description.trim().is_empty() {
                invalid(
                    "description",
                    "say what the number is and where it comes from".into(),
                );
            }
            out.push(Parameter {
                id: p.id,
                value: p.value,
                description: p.description,
            });
        }
        out
    }

    /// The dimensions, their methods still to be resolved (that needs their
    /// indicators): the raw levels come back beside them.
    fn dimensions(&mut self, raw: Vec<RawDimension>) -> (Vec<Dimension>, Vec<RawLevel>) {
        let mut seen = BTreeSet::new();
        let mut dimensions = Vec::new();
        let mut levels = Vec::new();
        for (i, d) in raw.into_iter().enumerate() {
            let at = At::file(MAIN).key(&format!("dimension[{i}]"));
            self.check_id(&at, &d.id, &mut seen);
            let weight = self.check_weight(&at, d.weight);
            levels.push(RawLevel {
                aggregation: d.aggregation,
                weights: d.weights,
                comparisons: d.comparisons,
            });
            dimensions.push(Dimension {
                id: d.id,
                name_zh: d.name_zh,
                name_en: d.name_en,
                weight,
                description: d.description,
                method: LevelMethod::default(),
            });
        }
        (dimensions, levels)
    }

    // --------------------------------------------------------- datapoints/

    /// The data points, the built-in ones first, and every id defined (a
    /// data point with a problem is left out, but its id is known, so the
    /// indicators reading it are not told it is undefined).
    fn datapoints(
        &mut self,
        raw: Vec<(String, RawDataPoint)>,
        known_parameters: &BTreeSet<String>,
    ) -> (Vec<DataPoint>, BTreeSet<String>) {
        let mut datapoints = builtin_datapoints();
        let mut seen: BTreeSet<String> = datapoints.iter().map(|d| d.id.clone()).collect();
        let mut counters: BTreeMap<String, usize> = BTreeMap::new();
        for (file, d) in raw {
            let n = counters.entry(file.clone()).or_default();
            let at = At::file(&file).entry("datapoint", *n, d.id());
            *n += 1;
            self.check_id(&at, d.id(), &mut seen);
            let (spec, id, name_zh, name_en, description) = match d {
                RawDataPoint::Aggregate(d) => {
                    if let Some(f) = &d.filter {
                        check_placeholders(self.problems, &at.key("filter"), f, known_parameters);
                    }
                    let spec = self.aggregate_spec(&at, &d);
                    (spec, d.id, d.name_zh, d.name_en, d.description)
                }
                RawDataPoint::Sql(d) => {
                    let spec = self.sql_spec(&at, &d);
                    (spec, d.id, d.name_zh, d.name_en, d.description)
                }
            };
            if let Some(spec) = spec {
                datapoints.push(DataPoint {
                    id,
                    name_zh,
                    name_en,
                    description,
                    spec,
                });
            }
        }
        (datapoints, seen)
    }

    fn sql_spec(&mut self, at: &At, d: &RawSqlDataPoint) -> Option<DataPointSpec> {
        let sql = &d.sql;
        for key in &d.misplaced {
            self.problems.push(at.key(key).problem(
                ProblemKind::Syntax,
                format!("an SQL data point takes no '{key}'; put that logic in {sql}"),
            ));
        }
        if sql.contains(['/', '\\']) || !sql.ends_with(".sql") {
            self.problems.push(at.key("sql").problem(
                ProblemKind::Invalid,
                format!("'{sql}' must be a plain file name ending in .sql inside the framework's sql_dir"),
            ));
            return None;
        }
        Some(DataPointSpec::Sql {
            file: sql.clone(),
            column: d.column.clone().unwrap_or_else(|| "value".into()),
            missing: d.missing.unwrap_or(Missing::Zero),
            window: d.window.unwrap_or(Window::Quarter),
        })
    }

    fn aggregate_spec(&mut self, at: &At, d: &RawAggregateDataPoint) -> Option<DataPointSpec> {
        for key in &d.misplaced {
            self.problems.push(at.key(key).problem(
                ProblemKind::Syntax,
                format!("only SQL data points take '{key}'"),
            ));
        }
        let Some(source_name) = &d.source else {
            self.problems.push(at.problem(
                ProblemKind::Syntax,
                "a data point needs either `source` and `aggregate`, or `sql`",
            ));
            return None;
        };
        let Some(source) = contract::table(source_name).filter(|t| t.is_source()) else {
            self.problems.push(at.key("source").problem(
                ProblemKind::Reference,
                format!(
                    "'{source_name}' is not a source; expected one of {} (reference tables are read through SQL data points)",
                    contract::sources().map(|t| t.name).collect::<Vec<_>>().join(", ")
                ),
            ));
            return None;
        };
        let Some(aggregate) = d.aggregate else {
            self.problems.push(at.key("aggregate").problem(ProblemKind::Syntax, "missing; expected count, count_distinct, sum, mean, min, max, mean_days, min_days or max_days"));
            return None;
        };
        let window = d.window.unwrap_or(Window::Quarter);
        if window == Window::Active && source.name != "assistance" {
            self.problems.push(at.key("window").problem(
                ProblemKind::Invalid,
                "'active' applies to assistance enrolments only",
            ));
        }
        // The spec is made only when the checks from here on find nothing.
        let before = self.problems.len();
        self.check_column(at, source, aggregate, d.column.as_deref());
        let days = self.days(at, source, aggregate, d);
        if let Some(f) = &d.filter
            && let Err(e) = check_filter(f)
        {
            self.problems
                .push(at.key("filter").problem(ProblemKind::Sql, e));
        }
        (self.problems.len() == before).then(|| DataPointSpec::Aggregate {
            source,
            aggregate,
            column: d.column.clone(),
            days,
            filter: d.filter.clone(),
            window,
        })
    }

    /// The column an aggregate reads: given exactly when it needs one, a
    /// column of the source, numeric unless counted distinct.
    fn check_column(
        &mut self,
        at: &At,
        source: &Table,
        aggregate: Aggregate,
        column: Option<&str>,
    ) {
        let at = at.key("column");
        let needs_column = matches!(
            aggregate,
            Aggregate::CountDistinct
                | Aggregate::Sum
                | Aggregate::Mean
                | Aggregate::Min
                | Aggregate::Max
        );
        let (kind, message) = match (column, needs_column) {
            (None, false) => return,
            (None, true) => (
                ProblemKind::Invalid,
                format!("aggregate {aggregate:?} needs a column of {}", source.name),
            ),
            (Some(c), false) => (
                ProblemKind::Invalid,
                format!("aggregate {aggregate:?} takes no column (got '{c}')"),
            ),
            (Some(c), true) => match source.column(c).map(|c| c.kind) {
                None => (
                    ProblemKind::Reference,
                    format!(
                        "'{c}' is not a column of {}; expected one of {}",
                        source.name,
                        source
                            .columns
                            .iter()
                            .map(|c| c.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
                Some(k)
                    if aggregate != Aggregate::CountDistinct
                        && !matches!(k, Kind::Amount | Kind::Count) =>
                {
                    (
                        ProblemKind::Invalid,
                        format!(
                            "'{c}' is not numeric; {aggregate:?} needs an amount or count column"
                        ),
                    )
                }
                Some(_) => return,
            },
        };
        self.problems.push(at.problem(kind, message));
    }

    /// The day difference of a `*_days` aggregate: two date columns of the
    /// source; the keys refused for any other aggregate.
    fn days(
        &mut self,
        at: &At,
        source: &Table,
        aggregate: Aggregate,
        d: &RawAggregateDataPoint,
    ) -> Option<(String, String, OpenUntil)> {
        let is_days = matches!(
            aggregate,
            Aggregate::MeanDays | Aggregate::MinDays | Aggregate::MaxDays
        );
        if !is_days {
            for (key, present) in [
                ("days_from", d.days_from.is_some()),
                ("days_to", d.days_to.is_some()),
                ("open_until", d.open_until.is_some()),
            ] {
                if present {
                    self.problems.push(at.key(key).problem(
                        ProblemKind::Invalid,
                        format!("only mean_days, min_days and max_days take '{key}'"),
                    ));
                }
            }
            return None;
        }
        let (Some(from), Some(to)) = (&d.days_from, &d.days_to) else {
            self.problems.push(at.problem(
                ProblemKind::Invalid,
                format!("aggregate {aggregate:?} needs days_from and days_to"),
            ));
            return None;
        };
        for (key, c) in [("days_from", from), ("days_to", to)] {
            let kind = match source.column(c).map(|c| c.kind) {
                Some(Kind::Date) => continue,
                Some(_) => ProblemKind::Invalid,
                None => ProblemKind::Reference,
            };
            self.problems.push(at.key(key).problem(
                kind,
                format!("'{c}' is not a date column of {}", source.name),
            ));
        }
        Some((
            from.clone(),
            to.clone(),
            d.open_until.unwrap_or(OpenUntil::Exclude),
        ))
    }

    // -------------------------------------------------------- definitions/

    fn indicators(&mut self, raw: Vec<(String, RawIndicator)>, cx: &Context) -> Vec<Indicator> {
        let mut seen = BTreeSet::new();
        let mut indicators = Vec::new();
        let mut counters: BTreeMap<String, usize> = BTreeMap::new();
        for (file, r) in raw {
            let n = counters.entry(file.clone()).or_default();
            let at = At::file(&file).entry("indicator", *n, &r.id);
            *n += 1;
            self.check_id(&at, &r.id, &mut seen);
            indicators.push(self.indicator(&at, r, cx));
        }
        indicators
    }

    fn indicator(&mut self, at: &At, mut r: RawIndicator, cx: &Context) -> Indicator {
        self.references(at, &r, cx);
        let denominator = self.denominator(at, &r);
        if r.basis.is_some() && r.formula != Formula::Value {
            self.problems.push(at.key("basis").problem(ProblemKind::Invalid, format!(
                "only formula 'value' takes a basis; formula '{}' holds its denominator to min_denominator",
                r.formula.as_str()
            )));
        }
        let min_denominator = self.min_denominator(at, &r);
        self.target(at, &r);
        let method = method::indicator(
            at,
            method::RawIndicatorMethod {
                normalisation: r.normalisation,
                goalposts: r.goalposts,
                deduction: r.deduction,
                treatment: r.treatment,
                shrinkage: r.shrinkage,
                imputation: r.imputation,
            },
            method::IndicatorFacts {
                two_sided: r.direction == Direction::TwoSided,
                higher_is_better: r.direction == Direction::HigherIsBetter,
                target: r.target,
                proportion: matches!(r.formula, Formula::RatePer1000 | Formula::Share),
            },
            cx.defaults,
            self.problems,
        );
        if r.sources.iter().any(|s| s.trim().is_empty()) {
            self.problems.push(
                at.key("sources")
                    .problem(ProblemKind::Invalid, "an entry is empty"),
            );
        }
        let example = r.example.take().map(|e| {
            let gated = r.formula != Formula::Value || r.basis.is_some();
            self.example(at, e, r.formula, gated, min_denominator)
        });
        if r.definition.trim().is_empty()
            || r.name_zh.trim().is_empty()
            || r.name_en.trim().is_empty()
        {
            self.problems.push(at.problem(
                ProblemKind::Invalid,
                "name_zh, name_en and definition must not be empty",
            ));
        }
        let weight = self.check_weight(at, r.weight);
        Indicator {
            id: r.id,
            dimension: r.dimension,
            name_zh: r.name_zh,
            name_en: r.name_en,
            definition: r.definition,
            formula: r.formula,
            numerator: r.numerator,
            denominator,
            basis: r.basis,
            min_denominator,
            direction: r.direction,
            target: r.target,
            weight,
            unit: r.unit,
            rationale: r.rationale,
            sources: r.sources,
            exclusions: r.exclusions,
            example,
            method,
        }
    }

    /// The indicator's dimension and data points are defined.
    fn references(&mut self, at: &At, r: &RawIndicator, cx: &Context) {
        if !cx.dimensions.contains(&r.dimension) {
            self.problems.push(at.key("dimension").problem(
                ProblemKind::Reference,
                format!(
                    "'{}' is not a dimension of framework.toml; expected one of {}",
                    r.dimension,
                    cx.dimensions.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        for (key, dp) in [
            ("numerator", Some(&r.numerator)),
            ("denominator", r.denominator.as_ref()),
            ("basis", r.basis.as_ref()),
        ] {
            if let Some(dp) = dp
                && !cx.datapoints.contains(dp)
            {
                self.problems.push(at.key(key).problem(
                    ProblemKind::Reference,
                    format!("data point '{dp}' is not defined; define it under datapoints/ or fix the id"),
                ));
            }
        }
    }

    /// The denominator the formula needs: `population` by default for a
    /// rate, none for a value.
    fn denominator(&mut self, at: &At, r: &RawIndicator) -> Option<String> {
        let at = at.key("denominator");
        match (r.formula, &r.denominator) {
            (Formula::RatePer1000, d) => Some(d.clone().unwrap_or_else(|| "population".into())),
            (Formula::Share | Formula::Ratio, None) => {
                self.problems.push(at.problem(
                    ProblemKind::Invalid,
                    format!(
                        "formula '{}' needs a denominator data point",
                        r.formula.as_str()
                    ),
                ));
                None
            }
            (Formula::Value, Some(_)) => {
                self.problems.push(at.problem(
                    ProblemKind::Invalid,
                    "formula 'value' takes no denominator; use 'ratio' or remove it",
                ));
                None
            }
            (_, d) => d.clone(),
        }
    }

    /// The least denominator (or basis) a village is scored on: 1 by
    /// default for a share or ratio.
    fn min_denominator(&mut self, at: &At, r: &RawIndicator) -> Option<f64> {
        let at = at.key("min_denominator");
        match (r.formula, r.min_denominator) {
            (Formula::Share | Formula::Ratio, None) => Some(1.0),
            (_, Some(m)) if !(m.is_finite() && m >= 0.0) => {
                self.problems
                    .push(at.problem(ProblemKind::Invalid, format!("{m} must be a number >= 0")));
                None
            }
            (Formula::Value, Some(_)) if r.basis.is_none() => {
                self.problems.push(at.problem(ProblemKind::Invalid, "formula 'value' has no denominator; name the count the value is computed over as `basis` for min_denominator to apply to"));
                None
            }
            (_, m) => m,
        }
    }

    /// A target is finite, and only for a two-sided indicator or target
    /// normalisation.
    fn target(&mut self, at: &At, r: &RawIndicator) {
        let at = at.key("target");
        match (r.direction, r.target) {
            (_, Some(t)) if !t.is_finite() => {
                self.problems
                    .push(at.problem(ProblemKind::Invalid, format!("{t} must be a finite number")));
            }
            (Direction::HigherIsBetter | Direction::LowerIsBetter, Some(_))
                if r.normalisation != Some(method::NormalisationKind::Target) =>
            {
                self.problems.push(at.problem(ProblemKind::Invalid, "only direction = \"two_sided\" (the value that scores best) or normalisation = \"target\" (the value to reach) takes a target"));
            }
            _ => {}
        }
    }

    /// The worked example follows from the formula, over a denominator the
    /// indicator scores: when `gated` (the indicator has a denominator or
    /// basis) the example gives it, at least `min_denominator`.
    fn example(
        &mut self,
        at: &At,
        e: RawExample,
        formula: Formula,
        gated: bool,
        min_denominator: Option<f64>,
    ) -> Example {
        let at = at.key("example");
        let below = e
            .denominator
            .zip(min_denominator)
            .is_some_and(|(d, m)| d < m);
        let denominator =
            |message: String| at.key("denominator").problem(ProblemKind::Invalid, message);
        let problem = match (gated, e.denominator) {
            (true, None) => Some(denominator(format!(
                "the example needs the {} as well",
                if formula == Formula::Value {
                    "basis"
                } else {
                    "denominator"
                }
            ))),
            (false, Some(_)) => Some(denominator(
                "formula 'value' without a basis takes no denominator".into(),
            )),
            _ if below => Some(denominator(
                "below min_denominator, the example would be unavailable; pick a larger one".into(),
            )),
            _ => match formula.apply(e.numerator, e.denominator) {
                Some(v) if (v - e.value).abs() <= 1e-6 * v.abs().max(1.0) => None,
                got => Some(at.key("value").problem(
                    ProblemKind::Invalid,
                    format!(
                        "{} does not follow from the formula ({}); fix the example",
                        e.value,
                        got.map(|g| format!("it gives {g}"))
                            .unwrap_or_else(|| "it gives no value".into())
                    ),
                )),
            },
        };
        self.problems.extend(problem);
        Example {
            text: e.text,
            numerator: e.numerator,
            denominator: e.denominator,
            value: e.value,
        }
    }

    // ------------------------------------------------------- across files

    /// Each dimension's method over its indicators, and for a geometric
    /// one that every indicator scores at least 1.
    fn levels(
        &mut self,
        dimensions: &mut [Dimension],
        levels: Vec<RawLevel>,
        indicators: &[Indicator],
        defaults: &Defaults,
    ) {
        for (i, (d, raw)) in dimensions.iter_mut().zip(levels).enumerate() {
            let at = At::file(MAIN).entry("dimension", i, &d.id);
            let children: Vec<&Indicator> =
                indicators.iter().filter(|x| x.dimension == d.id).collect();
            let ids: Vec<String> = children.iter().map(|x| x.id.clone()).collect();
            d.method = method::level(
                &at,
                raw,
                method::dimension_default(defaults),
                &ids,
                self.problems,
            );
            if d.method.aggregation == Aggregation::Geometric {
                let floors: Vec<(String, Option<f64>)> = children
                    .iter()
                    .map(|x| (x.id.clone(), x.method.normalisation.floor()))
                    .collect();
                method::check_geometric(&at, &floors, self.problems);
            }
        }
    }

    /// A geometric index needs every dimension to score at least 1: each
    /// of its indicators does.
    fn geometric_index(&mut self, dimensions: &[Dimension], indicators: &[Indicator]) {
        let floors: Vec<(String, Option<f64>)> = dimensions
            .iter()
            .map(|d| {
                let floor = indicators
                    .iter()
                    .filter(|x| x.dimension == d.id)
                    .map(|x| x.method.normalisation.floor())
                    .try_fold(f64::INFINITY, |acc, f| f.map(|f| acc.min(f)));
                (d.id.clone(), floor)
            })
            .collect();
        method::check_geometric(
            &At::file(MAIN).key("scoring").key("index"),
            &floors,
            self.problems,
        );
    }

    /// Every dimension has an indicator, and there is one at all (checked
    /// only when every file parsed, else they would be noise).
    fn completeness(&mut self, dimensions: &[Dimension], indicators: &[Indicator]) {
        for (i, d) in dimensions.iter().enumerate() {
            if !indicators.iter().any(|x| x.dimension == d.id) {
                self.problems.push(
                    At::file(MAIN)
                        .key(&format!("dimension[{i}]"))
                        .named_in_message()
                        .problem(
                            ProblemKind::Invalid,
                            format!(
                                "dimension '{}' has no indicator; add one under definitions/ or remove the dimension",
                                d.id
                            ),
                        ),
                );
            }
        }
        if indicators.is_empty() {
            self.problems.push(
                At::file("definitions/").problem(ProblemKind::Invalid, "no [[indicator]] defined"),
            );
        }
    }

    // -------------------------------------------------------------- shared

    fn check_id(&mut self, at: &At, id: &str, seen: &mut BTreeSet<String>) {
        let at = at.key("id");
        if !valid_id(id) {
            self.problems.push(at.problem(ProblemKind::Invalid, format!(
                "'{id}' is not a valid id; use lower-case ascii letters, digits and _ (starting with a letter, at most 64)"
            )));
        }
        if !seen.insert(id.to_string()) {
            self.problems.push(at.problem(
                ProblemKind::Duplicate,
                format!("'{id}' is defined more than once; ids must be unique"),
            ));
        }
    }

    fn check_weight(&mut self, at: &At, w: Option<f64>) -> f64 {
        let w = w.unwrap_or(1.0);
        if !(w.is_finite() && w > 0.0) {
            self.problems.push(at.key("weight").problem(ProblemKind::Invalid, format!(
                "{w} is not a positive number; weights must be > 0 (remove the indicator to drop it)"
            )));
        }
        w
    }
}

/// Every `$name` in `sql` must be a period parameter or a framework
/// parameter.
pub(super) fn check_placeholders(
    problems: &mut Vec<FrameworkProblem>,
    at: &At,
    sql: &str,
    known: &BTreeSet<String>,
) {
    for name in placeholders(sql) {
        if !known.contains(&name) {
            problems.push(at.problem(ProblemKind::Reference, format!(
                "${name} is not a parameter; define it as a [[parameter]] in framework.toml or use one of {}",
                known
                    .iter()
                    .map(|k| format!("${k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
}

/// The data points every framework has, read from `villages`.
fn builtin_datapoints() -> Vec<DataPoint> {
    vec![
        DataPoint {
            id: "population".into(),
            name_zh: "户籍人口".into(),
            name_en: "Registered residents".into(),
            description: Some("villages.population (built in)".into()),
            spec: DataPointSpec::Builtin(Builtin::Population),
        },
        DataPoint {
            id: "households".into(),
            name_zh: "户数".into(),
            name_en: "Households".into(),
            description: Some("villages.households (built in)".into()),
            spec: DataPointSpec::Builtin(Builtin::Households),
        },
    ]
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The names a filter or SQL file may use as `$name`: the period
/// parameters and the framework's own.
pub(super) fn known_parameters(parameters: &[Parameter]) -> BTreeSet<String> {
    PERIOD_PARAMETERS
        .iter()
        .map(|p| p.to_string())
        .chain(parameters.iter().map(|p| p.id.clone()))
        .collect()
}

/// The `$name` placeholders of an SQL text, in order of appearance (an
/// untokenisable text has none here; planning reports it).
pub fn placeholders(sql: &str) -> Vec<String> {
    let dialect = GenericDialect {};
    let Ok(tokens) = Tokenizer::new(&dialect, sql).tokenize() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for t in tokens {
        if let Token::Placeholder(p) = t
            && let Some(name) = p.strip_prefix('$')
            && !out.iter().any(|o| o == name)
        {
            out.push(name.to_string());
        }
    }
    out
}

/// A filter must be exactly one SQL expression (no statement, no `;`, no
/// subquery): it is spliced into the source's compiled query.
pub fn check_filter(filter: &str) -> std::result::Result<(), String> {
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(filter)
        .map_err(|e| format!("'{filter}' is not valid SQL: {e}"))?;
    parser
        .parse_expr()
        .map_err(|e| format!("'{filter}' is not a valid SQL expression: {e}"))?;
    if parser.peek_token().token != Token::EOF {
        return Err(format!(
            "'{filter}' has text after the expression ('{}'); a filter is one boolean expression",
            parser.peek_token().token
        ));
    }
    // A SELECT keyword token (not inside a string literal) means a subquery.
    let tokens = Tokenizer::new(&dialect, filter)
        .tokenize()
        .map_err(|e| format!("'{filter}' is not valid SQL: {e}"))?;
    if tokens
        .iter()
        .any(|t| matches!(t, Token::Word(w) if w.keyword == Keyword::SELECT))
    {
        return Err(format!(
            "'{filter}' contains a subquery; filters read only the source's own columns (use an SQL data point for joins)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_single_expressions() {
        assert!(check_filter("kind = 'accusation' AND accused_role IN ('secretary')").is_ok());
        assert!(check_filter("kind = 'a'; DROP TABLE x").is_err());
        assert!(check_filter("kind = ").is_err());
        assert!(check_filter("village_code IN (SELECT village_code FROM cadres)").is_err());
    }

    #[test]
    fn ids_are_checked() {
        assert!(valid_id("pet_accusations_1"));
        assert!(!valid_id("Pet"));
        assert!(!valid_id("1pet"));
        assert!(!valid_id("pet-x"));
    }
}

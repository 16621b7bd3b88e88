//! One canonical column from what the extract holds: the expression that
//! casts it to the contract's type and the flag that marks a value it
//! cannot cast. A value that arrives as text is first normalised as codes
//! and labels really arrive (surrounding whitespace trimmed, full-width
//! digits and letters folded to ASCII, labels' case folded; each step
//! counted, each switchable in the catalog), then mapped by the catalog's
//! value map, then cast: text dates by the column's format with ISO 8601
//! always accepted, boolean words by the catalog's lists with true/false
//! and 1/0 always accepted.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Builder, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::functions::expr_fn::lower;
use datafusion::logical_expr::{
    BinaryExpr, ColumnarValue, Expr, Operator, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignature, Volatility, try_cast, when,
};
use datafusion::prelude::{SessionContext, lit};

use crate::catalog::TableLocation;
use crate::contract::{Column, Kind};

/// The normalisations counted per column, in the manifest's words.
pub const STEPS: [&str; 4] = ["trimmed", "fullwidth_folded", "mapped", "case_folded"];

/// Whitespace trimmed from text values: ASCII, the no-break and the
/// ideographic space.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{3000}' | '\u{a0}')
}

/// The ASCII form of a full-width digit, letter or hyphen (U+FF0D,
/// U+FF10–FF19, U+FF21–FF3A, U+FF41–FF5A: the ASCII code plus 0xFEE0).
fn ascii_of(c: char) -> Option<char> {
    match c {
        '－' | '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(c as u32 - 0xFEE0),
        _ => None,
    }
}

/// `text` with full-width digits, letters and hyphens folded to ASCII.
pub fn fold(text: &str) -> std::borrow::Cow<'_, str> {
    // Every full-width form is three UTF-8 bytes starting 0xEF.
    if !text.as_bytes().contains(&0xEF) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.chars().map(|c| ascii_of(c).unwrap_or(c)).collect())
}

/// A canonical column built from text.
#[derive(Debug)]
pub struct TextColumn {
    /// The canonical value.
    pub value: Expr,
    /// True where a value arrived but could not be cast.
    pub bad: Expr,
    /// Per [`STEPS`] entry, true where that step changed the value (`None`
    /// where the step does not apply to the column).
    pub changed: [Option<Expr>; 4],
    /// True where the canonical text differs from the text as it arrived.
    pub any_change: Expr,
}

/// The column `c` from the text `raw`, per the catalog's settings of `loc`.
pub fn from_text(loc: &TableLocation, c: &Column, raw: Expr) -> TextColumn {
    let n = loc.normalise;
    let mut changed: [Option<Expr>; 4] = [None, None, None, None];
    let map = loc.values.get(c.name).filter(|m| !m.is_empty());
    let fold = n.fullwidth && !matches!(c.kind, Kind::Bool);
    let case = n.case && matches!(c.kind, Kind::Enum(_) | Kind::Bool);
    // Trim, fold and (without a value map in between) the case in one
    // pass; an empty cell, or one of whitespace alone, holds no value.
    let flags = |lower: bool| vec![lit(n.trim), lit(fold), lit(lower)];
    let lower_in_tidy = case && map.is_none();
    let mut args = vec![raw.clone()];
    args.extend(flags(lower_in_tidy));
    let mut t = tidy().call(args.clone());
    let steps = tidy_steps().call(args);
    let bit = |b: i32| {
        Expr::BinaryExpr(BinaryExpr::new(
            Box::new(steps.clone()),
            Operator::BitwiseAnd,
            Box::new(lit(b)),
        ))
        .not_eq(lit(0))
    };
    if n.trim {
        changed[0] = Some(bit(1));
    }
    if fold {
        changed[1] = Some(bit(2));
    }
    if lower_in_tidy {
        changed[3] = Some(bit(8));
    }
    let mut any_change = steps.clone().not_eq(lit(0));
    if let Some(map) = map {
        let next = map_values(map).call(vec![t.clone()]);
        let mapped = t.clone().not_eq(next.clone());
        changed[2] = Some(mapped.clone());
        any_change = any_change.or(mapped.is_true());
        t = next;
        if case {
            let next = lower(t.clone());
            let folded = t.clone().not_eq(next.clone());
            changed[3] = Some(folded.clone());
            any_change = any_change.or(folded.is_true());
            t = next;
        }
    }
    let value = match c.kind {
        Kind::Text | Kind::Enum(_) => t.clone(),
        Kind::Date => match loc.date_format_of(c.name) {
            Some(format) => parse_date()
                .call(vec![t.clone(), lit(format)])
                .or_else_iso(t.clone()),
            None => try_cast(t.clone(), DataType::Date32),
        },
        Kind::Bool => {
            let words = |list: &[String]| -> Vec<Expr> {
                list.iter()
                    .map(|w| {
                        let w = if n.case { w.to_lowercase() } else { w.clone() };
                        lit(w)
                    })
                    .collect()
            };
            let (yes, no) = (words(&loc.booleans.yes), words(&loc.booleans.no));
            let guess = try_cast(t.clone(), DataType::Boolean);
            if yes.is_empty() && no.is_empty() {
                guess
            } else {
                when(t.clone().in_list(yes, false), lit(true))
                    .when(t.clone().in_list(no, false), lit(false))
                    .otherwise(guess)
                    .expect("a CASE with branches")
            }
        }
        Kind::Amount | Kind::Count => try_cast(t.clone(), c.kind.canonical_type()),
    };
    let bad = if matches!(c.kind, Kind::Text | Kind::Enum(_)) {
        lit(false)
    } else {
        t.is_not_null().and(value.clone().is_null())
    };
    TextColumn {
        value,
        bad,
        changed,
        any_change,
    }
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn full_width_forms_fold_to_ascii_and_nothing_else_changes() {
        assert_eq!(fold("９９０１０１ＡＢｃ－１"), "990101ABc-1");
        assert_eq!(fold("青石村 990101"), "青石村 990101");
        assert!(matches!(fold("plain"), std::borrow::Cow::Borrowed(_)));
        // Other three-byte forms starting 0xEF stay as they are.
        assert_eq!(fold("（村）"), "（村）");
    }
}

trait OrElseIso {
    /// `self`, else the text read as an ISO 8601 date.
    fn or_else_iso(self, text: Expr) -> Expr;
}

impl OrElseIso for Expr {
    fn or_else_iso(self, text: Expr) -> Expr {
        datafusion::functions::expr_fn::coalesce(vec![self, try_cast(text, DataType::Date32)])
    }
}

/// `qinglian_parse_date(text, format)`: the date `text` writes in the
/// strftime `format`, null where it does not.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ParseDate {
    signature: Signature,
}

impl ScalarUDFImpl for ParseDate {
    fn name(&self) -> &str {
        "qinglian_parse_date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let format = match &args.args[1] {
            ColumnarValue::Scalar(ScalarValue::Utf8(Some(f))) => f.clone(),
            other => {
                return Err(DataFusionError::Internal(format!(
                    "qinglian_parse_date takes a literal format, not {other:?}"
                )));
            }
        };
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch");
        // The format is parsed once, and each distinct text once per batch
        // (a quarter's events share a few hundred dates).
        let items: Vec<chrono::format::Item> = chrono::format::StrftimeItems::new(&format)
            .parse()
            .map_err(|e| {
                DataFusionError::Internal(format!("the date format {format:?} is not valid ({e})"))
            })?;
        let parse = |s: &str| {
            let mut parsed = chrono::format::Parsed::new();
            chrono::format::parse(&mut parsed, s, items.iter())
                .ok()
                .and_then(|()| parsed.to_naive_date().ok())
                .and_then(|d| i32::try_from((d - epoch).num_days()).ok())
        };
        let text: ArrayRef = args.args[0].to_array(args.number_rows)?;
        let text = text.as_string::<i32>();
        let mut out = Date32Builder::with_capacity(text.len());
        let mut seen: std::collections::HashMap<&str, Option<i32>> =
            std::collections::HashMap::new();
        for i in 0..text.len() {
            let day = text.is_valid(i).then(|| {
                let t = text.value(i);
                *seen.entry(t).or_insert_with(|| parse(t))
            });
            out.append_option(day.flatten());
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `qinglian_map_values(text)`: the catalog's value map of one column
/// (label → canonical value), a text without an entry left as it is.
#[derive(Debug, PartialEq, Eq, Hash)]
struct MapValues {
    signature: Signature,
    map: std::collections::BTreeMap<String, String>,
}

impl ScalarUDFImpl for MapValues {
    fn name(&self) -> &str {
        "qinglian_map_values"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let text: ArrayRef = args.args[0].to_array(args.number_rows)?;
        let mut out = StringBuilder::with_capacity(text.len(), text.get_array_memory_size());
        each_text(&text, |t| {
            out.append_option(t.map(|t| self.map.get(t).map_or(t, String::as_str)))
        })?;
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

fn map_values(map: &std::collections::BTreeMap<String, String>) -> ScalarUDF {
    ScalarUDF::new_from_impl(MapValues {
        signature: Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Utf8]),
                TypeSignature::Exact(vec![DataType::Utf8View]),
                TypeSignature::Exact(vec![DataType::LargeUtf8]),
            ],
            Volatility::Immutable,
        ),
        map: map.clone(),
    })
}

/// Bits of [`Tidy::steps`]: what tidying changed.
const TRIMMED: i32 = 1;
const FOLDED: i32 = 2;
const EMPTIED: i32 = 4;
const LOWERED: i32 = 8;

/// Trimming, full-width folding and case folding of one value, each on
/// or off.
#[derive(Debug, Clone, Copy)]
struct Tidy {
    trim: bool,
    fold: bool,
    lower: bool,
}

impl Tidy {
    /// The tidied value (`None` when nothing is left) and the steps that
    /// changed it.
    fn apply(self, text: &str) -> (Option<std::borrow::Cow<'_, str>>, i32) {
        use std::borrow::Cow;
        let mut steps = 0;
        let mut t: Cow<str> = Cow::Borrowed(text);
        if self.trim {
            let trimmed = text.trim_matches(is_space);
            if trimmed.len() != text.len() {
                steps |= TRIMMED;
                t = Cow::Borrowed(trimmed);
            }
        }
        if self.fold
            && let Cow::Owned(f) = fold(&t)
        {
            steps |= FOLDED;
            t = Cow::Owned(f);
        }
        if self.lower && t.chars().any(char::is_uppercase) {
            steps |= LOWERED;
            t = Cow::Owned(t.to_lowercase());
        }
        if t.is_empty() {
            return (None, steps | EMPTIED);
        }
        (Some(t), steps)
    }
}

fn flag(args: &ScalarFunctionArgs, i: usize) -> DfResult<bool> {
    match &args.args[i] {
        ColumnarValue::Scalar(ScalarValue::Boolean(Some(b))) => Ok(*b),
        other => Err(DataFusionError::Internal(format!(
            "a tidy function takes literal flags, not {other:?}"
        ))),
    }
}

/// Applies `f` to every value of a string array of any of Arrow's three
/// string types.
fn each_text<'a>(array: &'a ArrayRef, mut f: impl FnMut(Option<&'a str>)) -> DfResult<()> {
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().for_each(&mut f),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().for_each(&mut f),
        DataType::Utf8View => array.as_string_view().iter().for_each(&mut f),
        other => {
            return Err(DataFusionError::Internal(format!(
                "a tidy function takes text, not {other}"
            )));
        }
    }
    Ok(())
}

/// `qinglian_tidy(text, trim, fold, lower)` (Utf8) and
/// `qinglian_tidy_steps(…)` (the bits of what it changed).
#[derive(Debug, PartialEq, Eq, Hash)]
struct TidyUdf {
    signature: Signature,
    steps: bool,
}

impl ScalarUDFImpl for TidyUdf {
    fn name(&self) -> &str {
        if self.steps {
            "qinglian_tidy_steps"
        } else {
            "qinglian_tidy"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(if self.steps {
            DataType::Int32
        } else {
            DataType::Utf8
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let tidy = Tidy {
            trim: flag(&args, 1)?,
            fold: flag(&args, 2)?,
            lower: flag(&args, 3)?,
        };
        let text: ArrayRef = args.args[0].to_array(args.number_rows)?;
        let out: ArrayRef = if self.steps {
            let mut out = datafusion::arrow::array::Int32Builder::with_capacity(text.len());
            each_text(&text, |t| {
                out.append_value(t.map_or(0, |t| tidy.apply(t).1))
            })?;
            Arc::new(out.finish())
        } else {
            let mut out = StringBuilder::with_capacity(text.len(), text.get_array_memory_size());
            each_text(&text, |t| {
                out.append_option(t.and_then(|t| tidy.apply(t).0))
            })?;
            Arc::new(out.finish())
        };
        Ok(ColumnarValue::Array(out))
    }
}

fn tidy_udf(steps: bool) -> ScalarUDF {
    let flags = |text: DataType| {
        TypeSignature::Exact(vec![
            text,
            DataType::Boolean,
            DataType::Boolean,
            DataType::Boolean,
        ])
    };
    ScalarUDF::new_from_impl(TidyUdf {
        signature: Signature::one_of(
            vec![
                flags(DataType::Utf8),
                flags(DataType::Utf8View),
                flags(DataType::LargeUtf8),
            ],
            Volatility::Immutable,
        ),
        steps,
    })
}

fn tidy() -> ScalarUDF {
    tidy_udf(false)
}

fn tidy_steps() -> ScalarUDF {
    tidy_udf(true)
}

fn parse_date() -> ScalarUDF {
    ScalarUDF::new_from_impl(ParseDate {
        signature: Signature::exact(vec![DataType::Utf8, DataType::Utf8], Volatility::Immutable),
    })
}

/// The functions of the column expressions as a cluster sends them: a
/// function's name and what it carries (the value map of
/// `qinglian_map_values`), `None` for a function that is not one of them.
pub fn function_to_wire(udf: &ScalarUDF) -> Option<Vec<u8>> {
    if let Some(m) = udf.inner().downcast_ref::<MapValues>() {
        return serde_json::to_vec(&m.map).ok();
    }
    let ours = udf.inner().downcast_ref::<ParseDate>().is_some()
        || udf.inner().downcast_ref::<TidyUdf>().is_some();
    // A non-empty payload, so the receiver asks this codec, not its registry.
    ours.then(|| b"qinglian".to_vec())
}

/// The function [`function_to_wire`] sent, `None` for another name.
pub fn function_from_wire(name: &str, payload: &[u8]) -> Option<DfResult<ScalarUDF>> {
    match name {
        "qinglian_parse_date" => Some(Ok(parse_date())),
        "qinglian_tidy" => Some(Ok(tidy())),
        "qinglian_tidy_steps" => Some(Ok(tidy_steps())),
        "qinglian_map_values" => Some(
            serde_json::from_slice::<std::collections::BTreeMap<String, String>>(payload)
                .map(|map| map_values(&map))
                .map_err(|e| {
                    DataFusionError::Internal(format!("a value map that does not decode: {e}"))
                }),
        ),
        _ => None,
    }
}

/// Registers the functions the column expressions call.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(parse_date());
    ctx.register_udf(tidy());
    ctx.register_udf(tidy_steps());
}

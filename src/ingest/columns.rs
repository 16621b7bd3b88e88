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

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Builder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::functions::expr_fn::{btrim, lower, nullif, translate};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, cast,
    try_cast, when,
};
use datafusion::prelude::{SessionContext, lit};

use crate::catalog::TableLocation;
use crate::contract::{Column, Kind};

/// The normalisations counted per column, in the manifest's words.
pub const STEPS: [&str; 4] = ["trimmed", "fullwidth_folded", "mapped", "case_folded"];

/// Whitespace trimmed from text values: ASCII and the ideographic space.
const WHITESPACE: &str = " \t\r\n\u{3000}\u{a0}";

/// Full-width digits and letters, and their ASCII forms.
const FULLWIDTH: &str = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ－";
const ASCII: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-";

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
}

/// The column `c` from the text `raw`, per the catalog's settings of `loc`.
pub fn from_text(loc: &TableLocation, c: &Column, raw: Expr) -> TextColumn {
    let n = loc.normalise;
    let mut changed: [Option<Expr>; 4] = [None, None, None, None];
    let mut t = cast(raw, DataType::Utf8);
    if n.trim {
        let next = btrim(vec![t.clone(), lit(WHITESPACE)]);
        changed[0] = Some(t.clone().not_eq(next.clone()));
        t = next;
    }
    if n.fullwidth && !matches!(c.kind, Kind::Bool) {
        let next = translate(t.clone(), lit(FULLWIDTH), lit(ASCII));
        changed[1] = Some(t.clone().not_eq(next.clone()));
        t = next;
    }
    // An empty cell (or one of whitespace alone) holds no value.
    t = nullif(t, lit(""));
    if let Some(map) = loc.values.get(c.name).filter(|m| !m.is_empty()) {
        let mut pairs = map.iter();
        let (k, v) = pairs.next().expect("a non-empty map");
        let mut case = when(t.clone().eq(lit(k.as_str())), lit(v.as_str()));
        for (k, v) in pairs {
            case = case.when(t.clone().eq(lit(k.as_str())), lit(v.as_str()));
        }
        let next = case.otherwise(t.clone()).expect("a CASE with branches");
        changed[2] = Some(t.clone().not_eq(next.clone()));
        t = next;
    }
    if n.case && matches!(c.kind, Kind::Enum(_) | Kind::Bool) {
        let next = lower(t.clone());
        changed[3] = Some(t.clone().not_eq(next.clone()));
        t = next;
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
        let parse = |s: &str| {
            chrono::NaiveDate::parse_from_str(s, &format)
                .ok()
                .and_then(|d| i32::try_from((d - epoch).num_days()).ok())
        };
        let text: ArrayRef = args.args[0].to_array(args.number_rows)?;
        let text = text.as_string::<i32>();
        let mut out = Date32Builder::with_capacity(text.len());
        for i in 0..text.len() {
            out.append_option(text.is_valid(i).then(|| parse(text.value(i))).flatten());
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

fn parse_date() -> ScalarUDF {
    ScalarUDF::new_from_impl(ParseDate {
        signature: Signature::exact(vec![DataType::Utf8, DataType::Utf8], Volatility::Immutable),
    })
}

/// Registers the functions the column expressions call.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(parse_date());
}

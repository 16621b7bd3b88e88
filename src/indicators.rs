//! Indicators: each framework indicator's raw value per village, from the
//! data-point matrix by its formula (value, rate per 1,000, share, ratio).
//! "Unavailable" is kept apart from zero: a missing source, a village with
//! nothing to average, or a denominator below the indicator's minimum all
//! leave the cell unavailable with its reason.

use crate::framework::{Formula, Framework, Indicator};
use crate::model::{Availability, CellStatus, DataPointTable, IndicatorValues};

/// Computes every indicator of the framework.
pub fn compute(framework: &Framework, table: &DataPointTable) -> Vec<IndicatorValues> {
    framework
        .indicators
        .iter()
        .map(|ind| compute_one(ind, table))
        .collect()
}

/// Why an indicator has no value anywhere this run, from its data points'
/// availability; `None` when they are available.
fn unavailable(ind: &Indicator, table: &DataPointTable) -> Option<CellStatus> {
    ind.datapoints()
        .find_map(|dp| match table.availability.get(dp) {
            Some(Availability::Available) => None,
            Some(Availability::NotCovered(_)) => Some(CellStatus::NotCovered),
            Some(Availability::SourceAbsent(_)) | None => Some(CellStatus::SourceAbsent),
        })
}

fn compute_one(ind: &Indicator, table: &DataPointTable) -> IndicatorValues {
    let n = table.villages.len();
    if let Some(status) = unavailable(ind, table) {
        return IndicatorValues {
            id: ind.id.clone(),
            raw: vec![None; n],
            status: vec![status; n],
            numerator: Vec::new(),
            denominator: Vec::new(),
        };
    }
    let mut raw = vec![None; n];
    let mut status = vec![CellStatus::NoData; n];
    let proportion = matches!(ind.formula, Formula::RatePer1000 | Formula::Share);
    let (mut numerator, mut denominator) = if proportion {
        (vec![None; n], vec![None; n])
    } else {
        (Vec::new(), Vec::new())
    };
    for v in 0..n {
        let num = table.value(&ind.numerator, v);
        let den = ind.gate().map(|d| table.value(d, v));
        let (value, st) = evaluate(ind.formula, num, den, ind.min_denominator);
        if proportion && value.is_some() {
            numerator[v] = num;
            denominator[v] = den.flatten();
        }
        raw[v] = value;
        status[v] = st;
    }
    IndicatorValues {
        id: ind.id.clone(),
        raw,
        status,
        numerator,
        denominator,
    }
}

/// One cell: the formula applied to a numerator and an optional
/// denominator (for `value`, the optional basis, which is only held to
/// `min_denominator`).
pub fn evaluate(
    formula: Formula,
    num: Option<f64>,
    den: Option<Option<f64>>,
    min_denominator: Option<f64>,
) -> (Option<f64>, CellStatus) {
    let Some(num) = num else {
        return (None, CellStatus::NoData);
    };
    if !num.is_finite() {
        return (None, CellStatus::NoData);
    }
    if formula == Formula::Value {
        return match den {
            None => (Some(num), CellStatus::Value),
            Some(None) => (None, CellStatus::NoData),
            Some(Some(basis)) if basis < min_denominator.unwrap_or(0.0) => {
                (None, CellStatus::BelowMinDenominator)
            }
            Some(Some(_)) => (Some(num), CellStatus::Value),
        };
    }
    let Some(Some(den)) = den else {
        return (None, CellStatus::NoData);
    };
    if den < min_denominator.unwrap_or(0.0) || den <= 0.0 {
        return (None, CellStatus::BelowMinDenominator);
    }
    match formula.apply(num, Some(den)) {
        Some(value) => (Some(value), CellStatus::Value),
        None => (None, CellStatus::NoData),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_compute_by_hand() {
        assert_eq!(
            evaluate(Formula::RatePer1000, Some(3.0), Some(Some(1500.0)), None),
            (Some(2.0), CellStatus::Value)
        );
        assert_eq!(
            evaluate(Formula::Share, Some(1.0), Some(Some(4.0)), Some(1.0)),
            (Some(0.25), CellStatus::Value)
        );
        assert_eq!(
            evaluate(Formula::Share, Some(0.0), Some(Some(0.0)), Some(1.0)),
            (None, CellStatus::BelowMinDenominator)
        );
        assert_eq!(
            evaluate(Formula::Share, Some(1.0), Some(Some(2.0)), Some(3.0)),
            (None, CellStatus::BelowMinDenominator)
        );
        assert_eq!(
            evaluate(Formula::Value, None, None, None),
            (None, CellStatus::NoData)
        );
        assert_eq!(
            evaluate(Formula::Value, Some(0.0), None, None),
            (Some(0.0), CellStatus::Value)
        );
        // value with a basis: the basis is only held to the minimum
        assert_eq!(
            evaluate(Formula::Value, Some(12.5), Some(Some(2.0)), Some(3.0)),
            (None, CellStatus::BelowMinDenominator)
        );
        assert_eq!(
            evaluate(Formula::Value, Some(12.5), Some(Some(3.0)), Some(3.0)),
            (Some(12.5), CellStatus::Value)
        );
    }
}

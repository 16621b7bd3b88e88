//! Normalisation methods for one indicator over all units, compatible with
//! the JRC's COINr package (`n_minmax`, `n_zscore`, `n_prank`,
//! `n_goalposts`, `n_dist2targ`), plus deduction scoring (扣分制).
//!
//! Every function takes the values of ONE indicator, `x[unit]`, with
//! `None` for a missing value; missing values are left out of every
//! statistic (min, max, mean, sd, ranks) and stay `None` in the output,
//! which has the same length as `x`. Values are assumed finite.
//!
//! The data-relative methods (`min_max`, `z_score`, `percentile_rank`)
//! take values ALREADY oriented so that higher is better (the caller
//! multiplies lower-is-better indicators by −1 first, as COINr does):
//! - min-max:   low + (high − low)·(x − min)/(max − min)
//! - z-score:   mean + sd·(x − x̄)/s, s the sample standard deviation (n − 1)
//! - percentile rank: low + (high − low)·(r − 1)/(n − 1), r the ascending
//!   rank among the n present values with ties given the lowest rank
//!   (R's `ties.method = "min"`)
//!
//! They return `None` (for the whole indicator) when the values cannot tell
//! units apart: no spread, i.e. max − min <= 1e-12 · max(|max|, |min|, 1),
//! or too few values (min-max: none; z-score and percentile rank: < 2).
//!
//! The fixed-reference methods take RAW values and their own direction:
//! - goalposts: 100·(x − worst)/(best − worst), clamped to [0, 100]
//! - distance to target (COINr `n_dist2targ`, `cap_max = TRUE`):
//!   higher is better 100·(x − min)/(target − min), lower is better
//!   100·(max − x)/(max − target), capped at 100 (min/max over the present
//!   values)
//! - deduction (more is worse): 100 − min(cap, per_unit·max(x, 0))

/// The present values of `x`.
fn present(x: &[Option<f64>]) -> Vec<f64> {
    x.iter().flatten().copied().collect()
}

/// Min and max of the present values; `None` without values.
fn range(x: &[Option<f64>]) -> Option<(f64, f64)> {
    x.iter().flatten().fold(None, |acc, &v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
    })
}

/// True when `max − min` is float noise relative to the values' size:
/// max − min <= 1e-12 · max(|max|, |min|, 1).
pub(crate) fn no_spread(min: f64, max: f64) -> bool {
    max - min <= 1e-12 * max.abs().max(min.abs()).max(1.0)
}

/// Applies `f` to every present value, keeping `None`.
fn map_present(x: &[Option<f64>], f: impl Fn(f64) -> f64) -> Vec<Option<f64>> {
    x.iter().map(|v| v.map(&f)).collect()
}

/// Min-max to [low, high]: low + (high − low)·(x − min)/(max − min).
/// `None` (the whole indicator) without values or without spread.
pub fn min_max(x: &[Option<f64>], low: f64, high: f64) -> Option<Vec<Option<f64>>> {
    let (min, max) = range(x)?;
    if no_spread(min, max) {
        return None;
    }
    // COINr's order of operations: (x − min)/(max − min)·(u − l) + l.
    Some(map_present(x, |v| {
        (v - min) / (max - min) * (high - low) + low
    }))
}

/// Z-score rescaled to the given mean and sd: mean + sd·(x − x̄)/s with s
/// the sample standard deviation (n − 1). `None` with fewer than 2 values
/// or without spread.
pub fn z_score(x: &[Option<f64>], mean: f64, sd: f64) -> Option<Vec<Option<f64>>> {
    let v = present(x);
    if v.len() < 2 {
        return None;
    }
    let (min, max) = range(x)?;
    if no_spread(min, max) {
        return None;
    }
    let n = v.len() as f64;
    let xbar = v.iter().sum::<f64>() / n;
    let s = (v.iter().map(|a| (a - xbar).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    if s <= 0.0 {
        return None;
    }
    // COINr's order of operations: (x − x̄)/s·sd + mean.
    Some(map_present(x, |a| (a - xbar) / s * sd + mean))
}

/// Percentile rank (COINr's `n_prank`) mapped to [low, high]:
/// low + (high − low)·(r − 1)/(n − 1), r the ascending rank among the n
/// present values, ties given the lowest rank. `None` when n < 2 or all
/// values are equal.
pub fn percentile_rank(x: &[Option<f64>], low: f64, high: f64) -> Option<Vec<Option<f64>>> {
    let mut sorted = present(x);
    if sorted.len() < 2 {
        return None;
    }
    let (min, max) = range(x)?;
    if no_spread(min, max) {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n1 = (sorted.len() - 1) as f64;
    Some(map_present(x, |v| {
        // r − 1 = the number of values strictly below v (ties share the lowest rank).
        let below = sorted.partition_point(|&s| s < v) as f64;
        low + (high - low) * (below / n1)
    }))
}

/// Goalposts on RAW values: `worst` maps to 0, `best` to 100, values beyond
/// are clamped: 100·(x − worst)/(best − worst) clamped to [0, 100]. Works
/// both ways (best < worst for lower-is-better). Degenerate goalposts
/// (best == worst) score nothing: every cell is `None`.
pub fn goalposts(x: &[Option<f64>], worst: f64, best: f64) -> Vec<Option<f64>> {
    if best == worst {
        return vec![None; x.len()];
    }
    map_present(x, |v| {
        (100.0 * (v - worst) / (best - worst)).clamp(0.0, 100.0)
    })
}

/// Distance to target on RAW values (COINr's `n_dist2targ`, capped):
/// higher is better 100·(x − min)/(target − min), lower is better
/// 100·(max − x)/(max − target), capped at 100. `None` without values or
/// when the target is not beyond the worst value (denominator <= 0: at it,
/// or on the wrong side where every unit already meets the target).
pub fn distance_to_target(
    x: &[Option<f64>],
    target: f64,
    higher_is_better: bool,
) -> Option<Vec<Option<f64>>> {
    let (min, max) = range(x)?;
    if higher_is_better {
        let den = target - min;
        (den > 0.0).then(|| map_present(x, |v| (100.0 * (v - min) / den).min(100.0)))
    } else {
        let den = max - target;
        (den > 0.0).then(|| map_present(x, |v| (100.0 * (max - v) / den).min(100.0)))
    }
}

/// Deduction scoring (扣分制) on RAW values where more is worse: start at
/// 100, deduct `per_unit` points per unit of x, at most `cap` points:
/// 100 − min(cap, per_unit·max(x, 0)).
pub fn deduction(x: &[Option<f64>], per_unit: f64, cap: f64) -> Vec<Option<f64>> {
    map_present(x, |v| 100.0 - cap.min(per_unit * v.max(0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const TOL: f64 = 1e-9;

    fn assert_close(got: &[Option<f64>], want: &[Option<f64>], tol: f64) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            match (g, w) {
                (None, None) => {}
                (Some(g), Some(w)) => {
                    assert!((g - w).abs() <= tol, "unit {i}: got {g}, want {w}")
                }
                _ => panic!("unit {i}: got {g:?}, want {w:?}"),
            }
        }
    }

    const X: [Option<f64>; 5] = [Some(2.0), None, Some(4.0), Some(4.0), Some(10.0)];

    #[test]
    fn min_max_by_hand() {
        // min 2, max 10, range 8: (4 − 2)/8 = 0.25.
        assert_close(
            &min_max(&X, 0.0, 100.0).unwrap(),
            &[Some(0.0), None, Some(25.0), Some(25.0), Some(100.0)],
            1e-12,
        );
        // [1, 100]: 1 + 99·0.25 = 25.75.
        assert_close(
            &min_max(&X, 1.0, 100.0).unwrap(),
            &[Some(1.0), None, Some(25.75), Some(25.75), Some(100.0)],
            1e-12,
        );
    }

    #[test]
    fn min_max_edge_cases() {
        assert_eq!(min_max(&[None, None], 0.0, 100.0), None);
        assert_eq!(min_max(&[], 0.0, 100.0), None);
        assert_eq!(min_max(&[Some(3.0), None], 0.0, 100.0), None);
        assert_eq!(min_max(&[Some(3.0), Some(3.0), None], 0.0, 100.0), None);
        // Noise below the tolerance is no spread; a real spread is one.
        assert_eq!(min_max(&[Some(1e6), Some(1e6 + 1e-7)], 0.0, 100.0), None);
        assert_eq!(
            min_max(&[Some(0.0), Some(1e-6)], 0.0, 100.0),
            Some(vec![Some(0.0), Some(100.0)])
        );
    }

    #[test]
    fn z_score_by_hand() {
        // mean 20/4 = 5, deviations −3, −1, −1, 5, Σd² = 36,
        // s = √(36/3) = √12 = 2√3; z = −3/(2√3) = −√3/2, −1/(2√3), 5/(2√3).
        let r3 = 3f64.sqrt();
        assert_close(
            &z_score(&X, 0.0, 1.0).unwrap(),
            &[
                Some(-r3 / 2.0),
                None,
                Some(-1.0 / (2.0 * r3)),
                Some(-1.0 / (2.0 * r3)),
                Some(5.0 / (2.0 * r3)),
            ],
            1e-12,
        );
        // Mean 10, sd 2: 10 + 2·(−√3/2) = 10 − √3.
        let z = z_score(&X, 10.0, 2.0).unwrap();
        assert!((z[0].unwrap() - (10.0 - r3)).abs() < 1e-12);
        assert_eq!(z[1], None);
        // Two values: ±1/√2 (s = √2·|a − b|/2).
        let z = z_score(&[Some(1.0), Some(3.0)], 0.0, 1.0).unwrap();
        assert_close(&z, &[Some(-0.5f64.sqrt()), Some(0.5f64.sqrt())], 1e-12);
    }

    #[test]
    fn z_score_edge_cases() {
        assert_eq!(z_score(&[None, None], 0.0, 1.0), None);
        assert_eq!(z_score(&[Some(5.0), None], 0.0, 1.0), None);
        assert_eq!(z_score(&[Some(5.0), Some(5.0), Some(5.0)], 0.0, 1.0), None);
    }

    #[test]
    fn percentile_rank_by_hand() {
        // Ranks (min for ties) 1, 2, 2, 4 over n = 4: (r − 1)/3 = 0, 1/3, 1/3, 1.
        assert_close(
            &percentile_rank(&X, 0.0, 1.0).unwrap(),
            &[Some(0.0), None, Some(1.0 / 3.0), Some(1.0 / 3.0), Some(1.0)],
            1e-12,
        );
        // To [0, 100]: 100/3.
        assert_close(
            &percentile_rank(&X, 0.0, 100.0).unwrap(),
            &[
                Some(0.0),
                None,
                Some(100.0 / 3.0),
                Some(100.0 / 3.0),
                Some(100.0),
            ],
            1e-12,
        );
        // Tie at the top: ranks 1, 2, 2 over n = 3 → 0, 0.5, 0.5.
        assert_close(
            &percentile_rank(&[Some(1.0), Some(7.0), Some(7.0)], 0.0, 1.0).unwrap(),
            &[Some(0.0), Some(0.5), Some(0.5)],
            1e-12,
        );
    }

    #[test]
    fn percentile_rank_edge_cases() {
        assert_eq!(percentile_rank(&[None, None], 0.0, 1.0), None);
        assert_eq!(percentile_rank(&[Some(1.0), None], 0.0, 1.0), None);
        assert_eq!(percentile_rank(&[Some(2.0), Some(2.0)], 0.0, 1.0), None);
    }

    #[test]
    fn goalposts_by_hand() {
        // worst 0, best 8: 100·2/8 = 25, 100·4/8 = 50; −1 and 10 clamped.
        let x = [Some(-1.0), Some(2.0), None, Some(4.0), Some(10.0)];
        assert_close(
            &goalposts(&x, 0.0, 8.0),
            &[Some(0.0), Some(25.0), None, Some(50.0), Some(100.0)],
            1e-12,
        );
        // Lower is better, worst 10, best 2: 100·(4 − 10)/(2 − 10) = 75;
        // 12 is worse than worst (0), 1 better than best (100).
        let x = [Some(4.0), Some(12.0), Some(1.0), None];
        assert_close(
            &goalposts(&x, 10.0, 2.0),
            &[Some(75.0), Some(0.0), Some(100.0), None],
            1e-12,
        );
        assert_eq!(goalposts(&[None, None], 0.0, 1.0), vec![None, None]);
        assert_eq!(goalposts(&[Some(1.0), None], 1.0, 1.0), vec![None, None]);
    }

    #[test]
    fn distance_to_target_by_hand() {
        let x = [Some(2.0), None, Some(4.0), Some(10.0)];
        // Higher is better, target 6, min 2: 100·0/4 = 0, 100·2/4 = 50,
        // 100·8/4 = 200 capped at 100.
        assert_close(
            &distance_to_target(&x, 6.0, true).unwrap(),
            &[Some(0.0), None, Some(50.0), Some(100.0)],
            1e-12,
        );
        // Lower is better, target 3, max 10: 100·8/7 capped, 100·6/7, 0.
        assert_close(
            &distance_to_target(&x, 3.0, false).unwrap(),
            &[Some(100.0), None, Some(600.0 / 7.0), Some(0.0)],
            1e-12,
        );
        // Zero denominator (target at the worst value) and wrong side.
        assert_eq!(distance_to_target(&x, 2.0, true), None);
        assert_eq!(distance_to_target(&x, 10.0, false), None);
        assert_eq!(distance_to_target(&x, 1.0, true), None);
        assert_eq!(distance_to_target(&x, 11.0, false), None);
        assert_eq!(distance_to_target(&[None], 1.0, true), None);
        // One value below the target: 0.
        assert_eq!(
            distance_to_target(&[Some(1.0)], 5.0, true),
            Some(vec![Some(0.0)])
        );
    }

    #[test]
    fn deduction_by_hand() {
        // 5 points per unit, at most 30: 100 − 0, 100 − 10, 100 − min(30, 50),
        // negative counts deduct nothing.
        let x = [Some(0.0), Some(2.0), None, Some(10.0), Some(-1.0)];
        assert_eq!(
            deduction(&x, 5.0, 30.0),
            vec![Some(100.0), Some(90.0), None, Some(70.0), Some(100.0)]
        );
        assert_eq!(deduction(&[None], 5.0, 30.0), vec![None]);
    }

    // ---- COINr reference (ASEM data set, COINr 1.1.14) ----

    const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/coinr-asem/");

    /// `uCode` → value of `column` in `file`; "" and "NA" are missing.
    fn column(file: &str, column: &str) -> BTreeMap<String, Option<f64>> {
        let mut rdr = csv::Reader::from_path(format!("{PEER}{file}")).unwrap();
        let headers = rdr.headers().unwrap().clone();
        let code = headers.iter().position(|h| h == "uCode").unwrap();
        let col = headers.iter().position(|h| h == column).unwrap();
        rdr.records()
            .map(|r| {
                let r = r.unwrap();
                let v = match r[col].trim() {
                    "" | "NA" => None,
                    s => Some(s.parse::<f64>().unwrap()),
                };
                (r[code].to_string(), v)
            })
            .collect()
    }

    /// The raw indicator (times its direction) in `iData.csv` order, and the
    /// unit codes.
    fn oriented(code: &str, direction: f64) -> (Vec<String>, Vec<Option<f64>>) {
        let mut rdr = csv::Reader::from_path(format!("{PEER}iData.csv")).unwrap();
        let headers = rdr.headers().unwrap().clone();
        let ucode = headers.iter().position(|h| h == "uCode").unwrap();
        let col = headers.iter().position(|h| h == code).unwrap();
        rdr.records()
            .map(|r| {
                let r = r.unwrap();
                let v = match r[col].trim() {
                    "" | "NA" => None,
                    s => Some(s.parse::<f64>().unwrap() * direction),
                };
                (r[ucode].to_string(), v)
            })
            .unzip()
    }

    fn check_reference(file: &str, normalise: impl Fn(&[Option<f64>]) -> Option<Vec<Option<f64>>>) {
        for (code, direction) in [("LPI", 1.0), ("Tariff", -1.0)] {
            let (units, x) = oriented(code, direction);
            assert_eq!(units.len(), 51);
            let reference = column(file, code);
            assert_eq!(reference.len(), 51, "{file}");
            let got = normalise(&x).unwrap();
            let want: Vec<Option<f64>> = units.iter().map(|u| reference[u]).collect();
            assert_close(&got, &want, TOL);
        }
        // Tariff has missing values, so the check covers them.
        assert!(oriented("Tariff", -1.0).1.iter().any(Option::is_none));
    }

    #[test]
    fn coinr_min_max() {
        check_reference("result_minmax_arith.csv", |x| min_max(x, 0.0, 100.0));
    }

    #[test]
    fn coinr_min_max_1_100() {
        check_reference("result_minmax1_geom.csv", |x| min_max(x, 1.0, 100.0));
    }

    #[test]
    fn coinr_z_score() {
        check_reference("result_zscore_arith.csv", |x| z_score(x, 10.0, 2.0));
    }

    #[test]
    fn coinr_percentile_rank() {
        check_reference("result_prank_arith.csv", |x| percentile_rank(x, 0.0, 1.0));
    }
}

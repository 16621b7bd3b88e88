//! Outlier treatment of one indicator, as the JRC's COINr package does it by
//! default (`Treat()` with `f1 = "winsorise"`, `f2 = "log_CT"`,
//! `f_pass = "check_SkewKurt"`), on RAW values (before direction).
//!
//! Statistics over the n present values (missing values are left out of
//! every statistic and stay missing), with d = x − x̄ and
//! m_k = Σ d^k / n (e1071 type 2, as COINr's `skew()` and `kurt()`):
//! - skewness  G1 = g1·√(n(n−1))/(n−2),  g1 = m3/m2^1.5      (n >= 3)
//! - excess kurtosis G2 = ((n+1)·g2 + 6)·(n−1)/((n−2)(n−3)),
//!   g2 = m4/m2² − 3                                          (n >= 4)
//!
//! An indicator FAILS the check when |G1| >= 2 AND G2 >= 3.5 (both
//! defined); values without spread have no statistics and pass.
//!
//! Treatment of a failing indicator:
//! 1. Winsorise, as COINr's `winsorise()`: while it fails and fewer than
//!    `max_winsorised` (5) points have been winsorised: if G1 >= 0 every
//!    unit holding the current maximum gets the largest value below it
//!    (R: `x[imax] <- max(x[-imax])`), else every unit holding the minimum
//!    gets the smallest value above it; recompute the statistics. The count
//!    of winsorised points is COINr's `nwin`: the units of the last
//!    high-side step plus those of the last low-side step (tied extremes
//!    are winsorised together and all count), which is also what the limit
//!    is compared against.
//! 2. If it still fails, the winsorising is discarded and the ORIGINAL
//!    values are log-transformed instead (COINr's `log_CT`):
//!    ln(x − min(x) + 0.01·(max(x) − min(x))).

use std::cmp::Ordering;

use super::normalise::no_spread;

/// Sample skewness as e1071 type 2: G1 = g1·√(n(n−1))/(n−2),
/// g1 = m3/m2^1.5, m_k = Σ(x − x̄)^k/n over the present values.
/// `None` when n < 3 or the values have no spread.
pub fn skewness(x: &[Option<f64>]) -> Option<f64> {
    let d = deviations(x, 3)?;
    let n = d.len() as f64;
    let s2: f64 = d.iter().map(|d| d * d).sum();
    let s3: f64 = d.iter().map(|d| d * d * d).sum();
    // COINr's (e1071's) arithmetic: √n·Σd³/(Σd²)^1.5 · √(n(n−1))/(n−2).
    Some(n.sqrt() * s3 / s2.powf(1.5) * (n * (n - 1.0)).sqrt() / (n - 2.0))
}

/// Excess kurtosis as e1071 type 2: G2 = ((n+1)·g2 + 6)·(n−1)/((n−2)(n−3)),
/// g2 = m4/m2² − 3. `None` when n < 4 or the values have no spread.
pub fn kurtosis(x: &[Option<f64>]) -> Option<f64> {
    let d = deviations(x, 4)?;
    let n = d.len() as f64;
    let s2: f64 = d.iter().map(|d| d * d).sum();
    let s4: f64 = d.iter().map(|d| (d * d) * (d * d)).sum();
    let r = n * s4 / (s2 * s2);
    Some(((n + 1.0) * (r - 3.0) + 6.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0)))
}

/// The present values minus their mean; `None` with fewer than `min_n`
/// values or no spread.
fn deviations(x: &[Option<f64>], min_n: usize) -> Option<Vec<f64>> {
    let v: Vec<f64> = x.iter().flatten().copied().collect();
    if v.len() < min_n {
        return None;
    }
    let (min, max) = extremes(&v)?;
    if no_spread(min, max) {
        return None;
    }
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    Some(v.iter().map(|a| a - mean).collect())
}

/// Min and max of `v`; `None` when empty.
fn extremes(v: &[f64]) -> Option<(f64, f64)> {
    let min = v.iter().copied().min_by(f64::total_cmp)?;
    let max = v.iter().copied().max_by(f64::total_cmp)?;
    Some((min, max))
}

/// The thresholds of the check and the winsorising limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutlierRule {
    /// Most points to winsorise before falling back to the log (COINr `winmax`).
    pub max_winsorised: usize,
    /// |skewness| at or above which (with the kurtosis) an indicator fails.
    pub skew: f64,
    /// Excess kurtosis at or above which (with the skewness) it fails.
    pub kurtosis: f64,
}

impl Default for OutlierRule {
    /// COINr's defaults: 5 points, |skew| 2, kurtosis 3.5.
    fn default() -> Self {
        OutlierRule {
            max_winsorised: 5,
            skew: 2.0,
            kurtosis: 3.5,
        }
    }
}

/// What was done to a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellTreatment {
    /// Left as it was.
    None,
    /// Was (tied for) the maximum and took the largest value below it.
    WinsorisedHigh,
    /// Was (tied for) the minimum and took the smallest value above it.
    WinsorisedLow,
    /// Log-transformed with the rest of the indicator.
    Log,
}

impl CellTreatment {
    /// "", "winsorised_high", "winsorised_low" or "log".
    pub fn as_str(self) -> &'static str {
        match self {
            CellTreatment::None => "",
            CellTreatment::WinsorisedHigh => "winsorised_high",
            CellTreatment::WinsorisedLow => "winsorised_low",
            CellTreatment::Log => "log",
        }
    }
}

/// One indicator after treatment.
#[derive(Debug, Clone, PartialEq)]
pub struct Treated {
    /// Treated values, per unit (`None` stays `None`).
    pub values: Vec<Option<f64>>,
    /// What was done to each unit's value.
    pub cells: Vec<CellTreatment>,
    /// Points winsorised (COINr's `nwin`); 0 if logged or passing.
    pub winsorised: usize,
    /// Whether the log transform was applied.
    pub logged: bool,
    /// Skewness of the raw values.
    pub skew_before: Option<f64>,
    /// Excess kurtosis of the raw values.
    pub kurtosis_before: Option<f64>,
    /// Skewness of the treated values (equal to before when untouched).
    pub skew_after: Option<f64>,
    /// Excess kurtosis of the treated values.
    pub kurtosis_after: Option<f64>,
}

/// The check on given statistics: fails when |skew| >= rule.skew AND
/// kurtosis >= rule.kurtosis, both defined.
fn fails_stats(skew: Option<f64>, kurtosis: Option<f64>, rule: &OutlierRule) -> bool {
    match (skew, kurtosis) {
        (Some(s), Some(k)) => s.abs() >= rule.skew && k >= rule.kurtosis,
        _ => false,
    }
}

/// Fails the check when |skew| >= rule.skew AND kurtosis >= rule.kurtosis
/// (both defined). An indicator with no statistics passes.
pub fn fails(x: &[Option<f64>], rule: &OutlierRule) -> bool {
    fails_stats(skewness(x), kurtosis(x), rule)
}

/// Replaces every present value equal to the extreme (`Greater`: maximum,
/// `Less`: minimum) with the nearest value on the other side of it; returns
/// the units changed (empty when all values are equal).
fn winsorise_step(v: &mut [Option<f64>], side: Ordering) -> Vec<usize> {
    let present = v.iter().flatten().copied();
    let extreme = match side {
        Ordering::Greater => present.max_by(f64::total_cmp),
        _ => present.min_by(f64::total_cmp),
    };
    let Some(extreme) = extreme else {
        return Vec::new();
    };
    let rest = v.iter().flatten().copied().filter(|&a| a != extreme);
    let next = match side {
        Ordering::Greater => rest.max_by(f64::total_cmp),
        _ => rest.min_by(f64::total_cmp),
    };
    let Some(next) = next else {
        return Vec::new();
    };
    let mut changed = Vec::new();
    for (i, cell) in v.iter_mut().enumerate() {
        if *cell == Some(extreme) {
            *cell = Some(next);
            changed.push(i);
        }
    }
    changed
}

/// COINr's default treatment (`Treat()` with winsorise + `log_CT`): if the
/// indicator passes, unchanged; else winsorise up to `rule.max_winsorised`
/// points, at the side the skewness points to, stopping as soon as it
/// passes; if it still fails, the ORIGINAL values become
/// ln(x − min(x) + 0.01·(max(x) − min(x))), every present cell flagged `Log`.
pub fn treat(x: &[Option<f64>], rule: &OutlierRule) -> Treated {
    let skew_before = skewness(x);
    let kurtosis_before = kurtosis(x);
    let untouched = Treated {
        values: x.to_vec(),
        cells: vec![CellTreatment::None; x.len()],
        winsorised: 0,
        logged: false,
        skew_before,
        kurtosis_before,
        skew_after: skew_before,
        kurtosis_after: kurtosis_before,
    };
    if !fails_stats(skew_before, kurtosis_before, rule) {
        return untouched;
    }

    // 1. Winsorise (COINr's winsorise()).
    let mut v = x.to_vec();
    let (mut high, mut low): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    let (mut skew, mut kurt) = (skew_before, kurtosis_before);
    let mut nwin = 0;
    while fails_stats(skew, kurt, rule) && nwin < rule.max_winsorised {
        let Some(s) = skew else { break };
        if s >= 0.0 {
            high = winsorise_step(&mut v, Ordering::Greater);
        } else {
            low = winsorise_step(&mut v, Ordering::Less);
        }
        nwin = high.len() + low.len();
        skew = skewness(&v);
        kurt = kurtosis(&v);
    }
    if !fails_stats(skew, kurt, rule) {
        let mut cells = vec![CellTreatment::None; x.len()];
        for &i in &high {
            cells[i] = CellTreatment::WinsorisedHigh;
        }
        for &i in &low {
            cells[i] = CellTreatment::WinsorisedLow;
        }
        return Treated {
            values: v,
            cells,
            winsorised: nwin,
            logged: false,
            skew_before,
            kurtosis_before,
            skew_after: skew,
            kurtosis_after: kurt,
        };
    }

    // 2. Still failing: log of the original values (COINr's log_CT).
    let present: Vec<f64> = x.iter().flatten().copied().collect();
    let Some((min, max)) = extremes(&present) else {
        return untouched;
    };
    let shift = 0.01 * (max - min);
    let values: Vec<Option<f64>> = x
        .iter()
        .map(|a| a.map(|a| (a - min + shift).ln()))
        .collect();
    let cells = x
        .iter()
        .map(|a| match a {
            Some(_) => CellTreatment::Log,
            None => CellTreatment::None,
        })
        .collect();
    let (skew_after, kurtosis_after) = (skewness(&values), kurtosis(&values));
    Treated {
        values,
        cells,
        winsorised: 0,
        logged: true,
        skew_before,
        kurtosis_before,
        skew_after,
        kurtosis_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn close(a: Option<f64>, b: f64, tol: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= tol)
    }

    fn some(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().map(|&a| Some(a)).collect()
    }

    #[test]
    fn skewness_and_kurtosis_by_hand() {
        // x = 0, 0, 0, 4 (n = 4): mean 1, d = −1, −1, −1, 3.
        // m2 = (1+1+1+9)/4 = 3, m3 = (−1−1−1+27)/4 = 6, m4 = (1+1+1+81)/4 = 21.
        // g1 = 6/3^1.5 = 2/√3; G1 = (2/√3)·√12/2 = 2.
        // g2 = 21/9 − 3 = −2/3; G2 = (5·(−2/3) + 6)·3/(2·1) = (8/3)·1.5 = 4.
        let x = [Some(0.0), None, Some(0.0), Some(0.0), Some(4.0)];
        assert!(close(skewness(&x), 2.0, 1e-12), "{:?}", skewness(&x));
        assert!(close(kurtosis(&x), 4.0, 1e-12), "{:?}", kurtosis(&x));
        // Mirror image: skewness −2, same kurtosis.
        let m = some(&[0.0, 4.0, 4.0, 4.0]);
        assert!(close(skewness(&m), -2.0, 1e-12));
        assert!(close(kurtosis(&m), 4.0, 1e-12));
        // x = 0, 0, 3 (n = 3): d = −1, −1, 2, Σd² = 6, Σd³ = 6;
        // G1 = √3·6/6^1.5·√6/1 = √3. Kurtosis needs 4 values.
        let t = some(&[0.0, 0.0, 3.0]);
        assert!(close(skewness(&t), 3f64.sqrt(), 1e-12));
        assert_eq!(kurtosis(&t), None);
        // Symmetric: 1, 2, 3, 4: skewness 0; m2 = 1.25, m4 = (2·5.0625 + 2·0.0625)/4
        // = 2.5625, g2 = 2.5625/1.5625 − 3 = −1.36; G2 = (5·(−1.36)+6)·3/2 = −1.2.
        let s = some(&[1.0, 2.0, 3.0, 4.0]);
        assert!(close(skewness(&s), 0.0, 1e-12));
        assert!(close(kurtosis(&s), -1.2, 1e-12));
    }

    #[test]
    fn statistics_edge_cases() {
        assert_eq!(skewness(&[]), None);
        assert_eq!(skewness(&[None, None, None]), None);
        assert_eq!(skewness(&[Some(1.0), Some(2.0), None]), None);
        assert_eq!(skewness(&some(&[5.0, 5.0, 5.0, 5.0])), None);
        assert_eq!(kurtosis(&some(&[5.0, 5.0, 5.0, 5.0])), None);
        assert_eq!(kurtosis(&some(&[1.0, 2.0, 3.0])), None);
        // 0.1 repeated: the mean is not exactly 0.1 in floating point, but
        // there is no spread, hence no statistics.
        assert_eq!(skewness(&[Some(0.1); 7]), None);
    }

    #[test]
    fn check_thresholds() {
        // 0, 0, 0, 4 has skewness 2 and kurtosis 4 (by hand above).
        let x = some(&[0.0, 0.0, 0.0, 4.0]);
        let rule = |skew, kurtosis| OutlierRule {
            max_winsorised: 5,
            skew,
            kurtosis,
        };
        assert!(fails(&x, &rule(1.9, 3.9)));
        assert!(!fails(&x, &rule(2.1, 3.9)));
        assert!(!fails(&x, &rule(1.9, 4.1)));
        // |skewness| is compared: the mirror image (skewness −2) fails too.
        assert!(fails(&some(&[0.0, 4.0, 4.0, 4.0]), &rule(1.9, 3.9)));
        // Default rule (2, 3.5): 1, 2, 3, 4 passes; no statistics passes.
        assert!(!fails(
            &some(&[1.0, 2.0, 3.0, 4.0]),
            &OutlierRule::default()
        ));
        assert!(!fails(&[None, Some(1.0)], &OutlierRule::default()));
        assert_eq!(
            OutlierRule::default(),
            OutlierRule {
                max_winsorised: 5,
                skew: 2.0,
                kurtosis: 3.5
            }
        );
    }

    #[test]
    fn passing_indicator_is_unchanged() {
        let x = [Some(1.0), None, Some(2.0), Some(3.0), Some(4.0)];
        let t = treat(&x, &OutlierRule::default());
        assert_eq!(t.values, x.to_vec());
        assert_eq!(t.cells, vec![CellTreatment::None; 5]);
        assert_eq!((t.winsorised, t.logged), (0, false));
        assert_eq!(t.skew_after, t.skew_before);
        let t = treat(&[None, None], &OutlierRule::default());
        assert_eq!(t.values, vec![None, None]);
        assert_eq!(t.skew_before, None);
    }

    #[test]
    fn winsorises_the_high_outlier() {
        // COINr's documentation example: x = 1..10, 30, 100. Skewness 3.06,
        // kurtosis 9.74: fails. Skew >= 0, so the maximum 100 becomes the
        // largest value below it, 30; then 1..10, 30, 30 has skewness 1.71:
        // passes after one point.
        let mut v: Vec<f64> = (1..=10).map(f64::from).collect();
        v.extend([30.0, 100.0]);
        let x = some(&v);
        assert!(fails(&x, &OutlierRule::default()));
        let t = treat(&x, &OutlierRule::default());
        let mut want = x.clone();
        want[11] = Some(30.0);
        assert_eq!(t.values, want);
        assert_eq!(t.winsorised, 1);
        assert!(!t.logged);
        assert_eq!(t.cells[11], CellTreatment::WinsorisedHigh);
        assert!(t.cells[..11].iter().all(|&c| c == CellTreatment::None));
        assert!(!fails(&t.values, &OutlierRule::default()));
        assert_eq!(t.skew_after, skewness(&want));
        assert!(close(t.skew_before, 3.063_241_034_239_5, 1e-9));
        assert!(close(t.skew_after, 1.712_038_060_089_05, 1e-9));
    }

    #[test]
    fn winsorises_the_low_outlier_with_missing_values() {
        // The mirror image (skewness −3.06): the minimum −100 becomes the
        // smallest value above it, −30. Missing values stay missing.
        let mut x: Vec<Option<f64>> = (1..=10).map(|i| Some(-f64::from(i))).collect();
        x.extend([Some(-30.0), None, Some(-100.0)]);
        let t = treat(&x, &OutlierRule::default());
        let mut want = x.clone();
        want[12] = Some(-30.0);
        assert_eq!(t.values, want);
        assert_eq!(t.winsorised, 1);
        assert_eq!(t.cells[12], CellTreatment::WinsorisedLow);
        assert_eq!(t.cells[11], CellTreatment::None);
        assert_eq!(
            t.cells
                .iter()
                .filter(|&&c| c != CellTreatment::None)
                .count(),
            1
        );
        assert!(close(t.skew_before, -3.063_241_034_239_5, 1e-9));
    }

    #[test]
    fn tied_maxima_are_winsorised_together_and_counted() {
        // 1..20 and two units at 100 (skewness 2.82, kurtosis 7.13: fails).
        // One step moves BOTH 100s to 20 (R: x[imax] <- max(x[-imax])), which
        // passes; COINr counts nwin = 2 points.
        let mut v: Vec<f64> = (1..=20).map(f64::from).collect();
        v.extend([100.0, 100.0]);
        let x = some(&v);
        assert!(fails(&x, &OutlierRule::default()));
        let t = treat(&x, &OutlierRule::default());
        assert_eq!(t.values[20], Some(20.0));
        assert_eq!(t.values[21], Some(20.0));
        assert_eq!(t.values[..20], x[..20]);
        assert_eq!(t.winsorised, 2);
        assert_eq!(t.cells[20], CellTreatment::WinsorisedHigh);
        assert_eq!(t.cells[21], CellTreatment::WinsorisedHigh);
        assert!(!t.logged);
    }

    #[test]
    fn successive_steps_count_every_point() {
        // 20 ones then 2, 4, 8, 16, 32, 64, 128. Step 1: 128 → 64 (still
        // fails: skew 2.83, kurt 7.20); step 2: both 64s → 32 (skew 2.26,
        // kurt 3.75, fails); step 3: the three 32s → 16 (skew 1.87: passes).
        // Units 24, 25, 26 were winsorised: 3 points.
        let mut v = vec![1.0; 20];
        v.extend([2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]);
        let t = treat(&some(&v), &OutlierRule::default());
        let mut want = v.clone();
        want[24..].fill(16.0);
        assert_eq!(t.values, some(&want));
        assert_eq!(t.winsorised, 3);
        assert!(
            t.cells[24..]
                .iter()
                .all(|&c| c == CellTreatment::WinsorisedHigh)
        );
        assert!(t.cells[..24].iter().all(|&c| c == CellTreatment::None));
    }

    #[test]
    fn falls_back_to_log_of_the_original_values() {
        // 100 zeros and 10..16 (skew 3.71, kurt 12.4). Five steps winsorise
        // 16, 15, 14, 13, 12 down to 11 and it still fails (skew 3.57, kurt
        // 11.0), so the ORIGINAL values are logged: min 0, max 16,
        // shift 0.01·16 = 0.16: ln(0 + 0.16) and ln(k + 0.16).
        let mut x = vec![Some(0.0); 100];
        x.extend((10..=16).map(|k| Some(f64::from(k))));
        x.push(None);
        let t = treat(&x, &OutlierRule::default());
        assert!(t.logged);
        assert_eq!(t.winsorised, 0);
        assert!(close(t.values[0], 0.16f64.ln(), 1e-12));
        assert!(close(t.values[99], 0.16f64.ln(), 1e-12));
        for (i, k) in (100..107).zip(10..=16) {
            assert!(close(t.values[i], (f64::from(k) + 0.16).ln(), 1e-12));
        }
        assert_eq!(t.values[107], None);
        assert!(t.cells[..107].iter().all(|&c| c == CellTreatment::Log));
        assert_eq!(t.cells[107], CellTreatment::None);
        assert_eq!(t.skew_after, skewness(&t.values));
        assert!(t.skew_after < t.skew_before);
        // A limit of 0 goes straight to the log.
        let none = OutlierRule {
            max_winsorised: 0,
            ..OutlierRule::default()
        };
        assert!(treat(&x, &none).logged);
    }

    #[test]
    fn winsorising_down_to_no_spread_passes() {
        // 20 zeros and three ones: the three ones become 0 together; no
        // spread is left, so no statistics, which passes.
        let mut v = vec![0.0; 20];
        v.extend([1.0; 3]);
        let x = some(&v);
        assert!(fails(&x, &OutlierRule::default()));
        let t = treat(&x, &OutlierRule::default());
        assert_eq!(t.values, some(&[0.0; 23]));
        assert_eq!(t.winsorised, 3);
        assert_eq!((t.skew_after, t.kurtosis_after), (None, None));
        assert!(!t.logged);
    }

    #[test]
    fn cell_treatment_names() {
        assert_eq!(CellTreatment::None.as_str(), "");
        assert_eq!(CellTreatment::WinsorisedHigh.as_str(), "winsorised_high");
        assert_eq!(CellTreatment::WinsorisedLow.as_str(), "winsorised_low");
        assert_eq!(CellTreatment::Log.as_str(), "log");
    }

    // ---- COINr reference (ASEM data set, COINr 1.1.14) ----

    const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/coinr-asem/");

    /// Header and rows of a reference CSV.
    fn table(file: &str) -> (Vec<String>, Vec<Vec<String>>) {
        let mut rdr = csv::Reader::from_path(format!("{PEER}{file}")).unwrap();
        let headers = rdr.headers().unwrap().iter().map(str::to_string).collect();
        let rows = rdr
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        (headers, rows)
    }

    fn number(s: &str) -> Option<f64> {
        match s.trim() {
            "" | "NA" => None,
            s => Some(s.parse().unwrap()),
        }
    }

    fn col(headers: &[String], name: &str) -> usize {
        headers.iter().position(|h| h == name).unwrap()
    }

    #[test]
    fn coinr_treatment_of_every_indicator() {
        let (mh, meta) = table("iMeta.csv");
        let indicators: Vec<String> = meta
            .iter()
            .filter(|r| r[col(&mh, "Type")] == "Indicator")
            .map(|r| r[col(&mh, "iCode")].clone())
            .collect();
        assert_eq!(indicators.len(), 49);

        let (dh, data) = table("iData.csv");
        let (th, treated) = table("treated_indicators.csv");
        let (rh, details) = table("treatment_details.csv");
        let units: Vec<String> = data.iter().map(|r| r[col(&dh, "uCode")].clone()).collect();
        assert_eq!(units.len(), 51);
        let treated_row: BTreeMap<&str, &Vec<String>> = treated
            .iter()
            .map(|r| (r[col(&th, "uCode")].as_str(), r))
            .collect();
        let detail: BTreeMap<&str, &Vec<String>> = details
            .iter()
            .map(|r| (r[col(&rh, "iCode")].as_str(), r))
            .collect();

        let rule = OutlierRule::default();
        let (mut n_winsorised, mut n_missing) = (0, 0);
        for code in &indicators {
            let x: Vec<Option<f64>> = data.iter().map(|r| number(&r[col(&dh, code)])).collect();
            n_missing += x.iter().filter(|v| v.is_none()).count();
            let t = treat(&x, &rule);
            let d = detail[code.as_str()];
            let get = |name: &str| number(&d[col(&rh, name)]);

            // Statistics and check before.
            let skew0 = get("check_SkewKurt0.Skew").unwrap();
            let kurt0 = get("check_SkewKurt0.Kurt").unwrap();
            assert!(
                close(t.skew_before, skew0, 1e-9),
                "{code}: {:?} vs {skew0}",
                t.skew_before
            );
            assert!(
                close(t.kurtosis_before, kurt0, 1e-9),
                "{code}: {:?} vs {kurt0}",
                t.kurtosis_before
            );
            let pass0 = d[col(&rh, "check_SkewKurt0.Pass")] == "TRUE";
            assert_eq!(!fails(&x, &rule), pass0, "{code}");

            // Points winsorised and the check after.
            let nwin = get("winsorise.nwin").map_or(0, |n| n as usize);
            assert_eq!(t.winsorised, nwin, "{code}");
            assert!(!t.logged, "{code}: COINr needed no log on this data");
            if let Some(skew1) = get("check_SkewKurt1.Skew") {
                let kurt1 = get("check_SkewKurt1.Kurt").unwrap();
                assert!(close(t.skew_after, skew1, 1e-9), "{code}");
                assert!(close(t.kurtosis_after, kurt1, 1e-9), "{code}");
                assert_eq!(d[col(&rh, "check_SkewKurt1.Pass")], "TRUE");
                n_winsorised += 1;
            } else {
                assert!(pass0 && nwin == 0, "{code}");
            }

            // Every treated value; flagged cells are exactly the changed ones.
            let tc = col(&th, code);
            let mut changed = 0;
            for (i, u) in units.iter().enumerate() {
                let want = number(&treated_row[u.as_str()][tc]);
                match (t.values[i], want) {
                    (None, None) => {}
                    (Some(g), Some(w)) => assert!((g - w).abs() <= 1e-9, "{code} {u}: {g} vs {w}"),
                    (g, w) => panic!("{code} {u}: {g:?} vs {w:?}"),
                }
                let moved = t.values[i] != x[i];
                changed += usize::from(moved);
                assert_eq!(
                    moved,
                    t.cells[i] == CellTreatment::WinsorisedHigh
                        || t.cells[i] == CellTreatment::WinsorisedLow,
                    "{code} {u}"
                );
            }
            assert_eq!(changed, t.winsorised, "{code}");
            if code == "FemLab" {
                assert!(t.cells.contains(&CellTreatment::WinsorisedLow));
            }
        }
        // The reference exercises winsorising (18 indicators, FemLab on the
        // low side) and missing values.
        assert_eq!(n_winsorised, 18);
        assert!(n_missing > 0);
    }
}

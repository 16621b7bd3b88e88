//! Data-driven and judgement-driven weights for the children of one node:
//! the entropy weight method (熵权法) and the analytic hierarchy process
//! (AHP, 层次分析法).
//!
//! Entropy, per child j over the units where it has a value (n_j of them):
//!   p_ij = x_ij / Σ_i x_ij,  e_j = −(1/ln n_j) Σ_i p_ij ln p_ij  (0·ln 0 = 0),
//!   d_j = 1 − e_j,  w_j = d_j / Σ_k d_k.
//! A child with fewer than 2 values, only zeros or only equal values has
//! d_j = 0 (it carries no information; 1 − e_j below 1e-12 is rounding and
//! also counts as 0); if every d_j is 0 there are no weights to give.
//!
//! AHP: the reciprocal matrix A (a_ii = 1, a_ab = ratio, a_ba = 1/ratio)
//! from one judgement per unordered pair; weights w = principal eigenvector
//! by power iteration (w ← A·w / Σ(A·w) from w = 1/n, until the largest
//! change is < 1e-15 or 1000 iterations), λmax = mean_i (A·w)_i / w_i,
//! CI = (λmax − n)/(n − 1), CR = CI / RI(n) with Saaty's random index
//! (CR = 0 for n <= 2). Judging CR is left to the caller.

use std::collections::BTreeMap;
use std::fmt;

/// Why entropy weights cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntropyError {
    /// Child `child` (0-based, in input order) has a negative value.
    Negative { child: usize },
    /// Child `child` has a NaN or infinite value.
    NotFinite { child: usize },
    /// No child carries information (every d_j = 0).
    NoInformation,
}

impl fmt::Display for EntropyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntropyError::Negative { child } => write!(
                f,
                "entropy weights need non-negative values; child {child} has a negative value"
            ),
            EntropyError::NotFinite { child } => write!(
                f,
                "entropy weights need finite values; child {child} has a NaN or infinite value"
            ),
            EntropyError::NoInformation => write!(
                f,
                "entropy weights: no child varies across units (every child has entropy 1, \
                 fewer than 2 values, or only zeros)"
            ),
        }
    }
}

impl std::error::Error for EntropyError {}

/// A divergence 1 − e below this is floating-point noise (the rounding of
/// Σ p ln p over thousands of units), taken as 0.
pub const D_NOISE: f64 = 1e-12;

/// Entropy weight method (熵权法) over the children of one node.
///
/// `columns[j]` holds child j's normalised, non-negative values over all
/// units (`None` missing, left out). Returns weights summing to 1, in child
/// order. A child with fewer than 2 values or only zeros gets d_j = 0.
pub fn entropy(columns: &[&[Option<f64>]]) -> Result<Vec<f64>, EntropyError> {
    let mut d = Vec::with_capacity(columns.len());
    for (child, col) in columns.iter().enumerate() {
        let present: Vec<f64> = col.iter().flatten().copied().collect();
        if present.iter().any(|x| !x.is_finite()) {
            return Err(EntropyError::NotFinite { child });
        }
        if present.iter().any(|&x| x < 0.0) {
            return Err(EntropyError::Negative { child });
        }
        let n = present.len();
        let total: f64 = present.iter().sum();
        // Equal values (incl. all zeros) have e = 1 exactly; do not let the
        // rounding of Σ p ln p hand them a sliver of weight.
        let all_equal = present.windows(2).all(|w| w[0] == w[1]);
        if n < 2 || total <= 0.0 || all_equal {
            d.push(0.0);
            continue;
        }
        let sum_p_ln_p: f64 = present
            .iter()
            .filter(|&&x| x > 0.0)
            .map(|&x| {
                let p = x / total;
                p * p.ln()
            })
            .sum();
        let e = -sum_p_ln_p / (n as f64).ln();
        // e is in [0, 1] mathematically; below D_NOISE, 1 − e is rounding.
        let dj = 1.0 - e;
        d.push(if dj < D_NOISE { 0.0 } else { dj });
    }
    let sum_d: f64 = d.iter().sum();
    if sum_d <= 0.0 {
        return Err(EntropyError::NoInformation);
    }
    Ok(d.into_iter().map(|dj| dj / sum_d).collect())
}

/// One AHP judgement, keyed by id: `a` is `ratio` times as important as `b`
/// (Saaty's 1–9 scale; a fraction such as 1/3 is given as 0.333…).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The id judged.
    pub a: String,
    /// The id it is compared with.
    pub b: String,
    /// How many times as important `a` is as `b`.
    pub ratio: f64,
}

/// AHP result: weights (in `ids` order, summing to 1) and consistency.
#[derive(Debug, Clone, PartialEq)]
pub struct Ahp {
    /// Principal eigenvector normalised to sum 1, in `ids` order.
    pub weights: Vec<f64>,
    /// Principal eigenvalue λmax.
    pub lambda_max: f64,
    /// Consistency index (λmax − n)/(n − 1); 0 for n = 1.
    pub ci: f64,
    /// Consistency ratio CI / RI(n); 0 for n <= 2.
    pub cr: f64,
}

/// Saaty's random consistency index RI(n) for n = 1..=15.
pub const RANDOM_INDEX: [f64; 15] = [
    0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59,
];

/// AHP weights of `ids` (output in `ids` order) from pairwise comparisons.
///
/// Every unordered pair of distinct ids must be judged exactly once (in
/// either order). On error returns every problem found: an empty or
/// duplicated id list, more than 15 ids, an unknown id, a self-comparison,
/// a ratio that is not finite and > 0, a pair judged twice, a missing pair.
/// CR is reported, not judged.
pub fn ahp(ids: &[&str], comparisons: &[Comparison]) -> Result<Ahp, Vec<String>> {
    let mut errors = Vec::new();
    let n = ids.len();
    if n == 0 {
        errors.push("AHP needs at least one id".to_string());
    }
    if n > RANDOM_INDEX.len() {
        errors.push(format!(
            "AHP over {n} ids: the random index is only tabulated up to {} ids",
            RANDOM_INDEX.len()
        ));
    }
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, &id) in ids.iter().enumerate() {
        if index.insert(id, i).is_some() {
            errors.push(format!("AHP id `{id}` is listed more than once"));
        }
    }

    let mut matrix = vec![vec![1.0; n]; n];
    // Unordered pair (lo, hi) -> position of the comparison that judged it.
    let mut seen: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (k, c) in comparisons.iter().enumerate() {
        let ia = index.get(c.a.as_str()).copied();
        let ib = index.get(c.b.as_str()).copied();
        if ia.is_none() {
            errors.push(format!(
                "comparison {} ({} vs {}): unknown id `{}`",
                k + 1,
                c.a,
                c.b,
                c.a
            ));
        }
        if ib.is_none() && c.b != c.a {
            errors.push(format!(
                "comparison {} ({} vs {}): unknown id `{}`",
                k + 1,
                c.a,
                c.b,
                c.b
            ));
        }
        if c.a == c.b {
            errors.push(format!(
                "comparison {} compares `{}` with itself",
                k + 1,
                c.a
            ));
            continue;
        }
        let ratio_ok = c.ratio.is_finite() && c.ratio > 0.0;
        if !ratio_ok {
            errors.push(format!(
                "comparison {} ({} vs {}): ratio {} is not a finite number > 0",
                k + 1,
                c.a,
                c.b,
                c.ratio
            ));
        }
        let (Some(ia), Some(ib)) = (ia, ib) else {
            continue;
        };
        let pair = (ia.min(ib), ia.max(ib));
        if let Some(&first) = seen.get(&pair) {
            errors.push(format!(
                "the pair {} / {} is judged twice (comparisons {} and {})",
                ids[pair.0],
                ids[pair.1],
                first + 1,
                k + 1
            ));
            continue;
        }
        seen.insert(pair, k);
        if ratio_ok {
            matrix[ia][ib] = c.ratio;
            matrix[ib][ia] = 1.0 / c.ratio;
        }
    }
    for i in 0..n {
        for j in i + 1..n {
            if !seen.contains_key(&(i, j)) {
                errors.push(format!(
                    "no comparison between `{}` and `{}`",
                    ids[i], ids[j]
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mul = |w: &[f64]| -> Vec<f64> {
        matrix
            .iter()
            .map(|row| row.iter().zip(w).map(|(a, x)| a * x).sum())
            .collect()
    };
    let mut w = vec![1.0 / n as f64; n];
    for _ in 0..1000 {
        let aw = mul(&w);
        let total: f64 = aw.iter().sum();
        let next: Vec<f64> = aw.iter().map(|x| x / total).collect();
        let change = next
            .iter()
            .zip(&w)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        w = next;
        if change < 1e-15 {
            break;
        }
    }
    let aw = mul(&w);
    let lambda_max = aw.iter().zip(&w).map(|(a, x)| a / x).sum::<f64>() / n as f64;
    let ci = if n > 1 {
        (lambda_max - n as f64) / (n as f64 - 1.0)
    } else {
        0.0
    };
    let cr = if n > 2 { ci / RANDOM_INDEX[n - 1] } else { 0.0 };
    Ok(Ahp {
        weights: w,
        lambda_max,
        ci,
        cr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    fn cmp(a: &str, b: &str, ratio: f64) -> Comparison {
        Comparison {
            a: a.to_string(),
            b: b.to_string(),
            ratio,
        }
    }

    #[test]
    fn entropy_by_hand_three_units_two_children() {
        // Child A = [1, 2, 3]: Σ = 6, p = 1/6, 1/3, 1/2.
        //   Σ p ln p = (1/6)(−1.791759) + (1/3)(−1.098612) + (1/2)(−0.693147)
        //            = −0.298627 − 0.366204 − 0.346574 = −1.011404
        //   e = 1.011404 / ln 3 (1.098612) = 0.920620, d = 0.079380
        // Child B = [0, 5, 5]: p = 0, 1/2, 1/2 (0·ln 0 = 0).
        //   Σ p ln p = −ln 2 = −0.693147, e = 0.693147/1.098612 = 0.630930,
        //   d = 0.369070
        // Σd = 0.448450: w_A = 0.079380/0.448450 = 0.177010, w_B = 0.822990.
        let a = [Some(1.0), Some(2.0), Some(3.0)];
        let b = [Some(0.0), Some(5.0), Some(5.0)];
        let w = entropy(&[&a, &b]).unwrap();
        assert_eq!(w.len(), 2);
        assert!(close(w[0], 0.177010, 1e-6), "{w:?}");
        assert!(close(w[1], 0.822990, 1e-6), "{w:?}");
        assert!(close(w[0] + w[1], 1.0, 1e-12));
    }

    #[test]
    fn entropy_equal_values_get_weight_zero_and_missing_are_left_out() {
        // C = [4, –, 4, 4]: p = 1/3 each, Σ p ln p = −ln 3, e = 1, d = 0.
        // A = [1, 2, –, 3]: the same three values as above, n_A = 3, d = 0.079380.
        // So A takes all the weight.
        let a = [Some(1.0), Some(2.0), None, Some(3.0)];
        let c = [Some(4.0), None, Some(4.0), Some(4.0)];
        let w = entropy(&[&c, &a]).unwrap();
        assert!(close(w[0], 0.0, 1e-12), "{w:?}");
        assert!(close(w[1], 1.0, 1e-12), "{w:?}");
    }

    #[test]
    fn entropy_no_information_and_bad_input() {
        let equal = [Some(5.0), Some(5.0)];
        let zeros = [Some(0.0), Some(0.0), None];
        let one = [Some(7.0), None, None];
        let none: [Option<f64>; 2] = [None, None];
        assert_eq!(
            entropy(&[&equal, &zeros, &one, &none]),
            Err(EntropyError::NoInformation)
        );
        assert_eq!(entropy(&[]), Err(EntropyError::NoInformation));
        // Equal values have e = 1 exactly, though Σ p ln p / ln n computed
        // in floating point is 1 − 2.2e-16 for three 4s: still no information.
        let fours = [Some(4.0), None, Some(4.0), Some(4.0)];
        assert_eq!(entropy(&[&fours]), Err(EntropyError::NoInformation));
        // A single value or only zeros contribute d = 0 next to a real child.
        let a = [Some(1.0), Some(2.0), Some(3.0)];
        let w = entropy(&[&one, &a, &zeros]).unwrap();
        assert_eq!(w[0], 0.0);
        assert!(close(w[1], 1.0, 1e-12));
        assert_eq!(w[2], 0.0);

        let neg = [Some(1.0), Some(-0.5)];
        assert_eq!(
            entropy(&[&a, &neg]),
            Err(EntropyError::Negative { child: 1 })
        );
        let nan = [Some(1.0), Some(f64::NAN)];
        assert_eq!(
            entropy(&[&nan, &a]),
            Err(EntropyError::NotFinite { child: 0 })
        );
        assert!(
            EntropyError::Negative { child: 1 }
                .to_string()
                .contains("child 1")
        );
    }

    #[test]
    fn ahp_consistent_three_by_three() {
        // a/b = 2, b/c = 3, a/c = 6: A = [[1,2,6],[1/2,1,3],[1/6,1/3,1]] has
        // rank one, w ∝ (6, 3, 1)/10 = 0.6, 0.3, 0.1, λmax = 3, CI = CR = 0.
        // Comparisons given in mixed order ("c vs b" = 1/3).
        let r = ahp(
            &["a", "b", "c"],
            &[
                cmp("a", "b", 2.0),
                cmp("c", "b", 1.0 / 3.0),
                cmp("a", "c", 6.0),
            ],
        )
        .unwrap();
        assert!(close(r.weights[0], 0.6, 1e-12), "{r:?}");
        assert!(close(r.weights[1], 0.3, 1e-12), "{r:?}");
        assert!(close(r.weights[2], 0.1, 1e-12), "{r:?}");
        assert!(close(r.lambda_max, 3.0, 1e-12), "{r:?}");
        assert!(close(r.ci, 0.0, 1e-12));
        assert!(close(r.cr, 0.0, 1e-12));
    }

    #[test]
    fn ahp_inconsistent_three_by_three_closed_form() {
        // A = [[1,3,5],[1/3,1,3],[1/5,1/3,1]].
        // For a 3×3 reciprocal matrix the principal eigenvector is the
        // normalised row geometric mean:
        //   g = (15^(1/3), 1, (1/15)^(1/3)) = (2.466212, 1, 0.405480),
        //   Σ = 3.871692 → w = 0.636986, 0.258285, 0.104729,
        // and λmax = 1 + q^(1/3) + q^(−1/3) with q = a13/(a12·a23) = 5/9:
        //   λmax = 1 + 0.822071 + 1.216440 = 3.038511
        // (checked independently by bisection on det(A − λI) = 0).
        // CI = 0.038511/2 = 0.019256, CR = 0.019256/0.58 = 0.033199.
        let r = ahp(
            &["x", "y", "z"],
            &[cmp("x", "y", 3.0), cmp("x", "z", 5.0), cmp("y", "z", 3.0)],
        )
        .unwrap();
        assert!(close(r.weights[0], 0.636986, 1e-6), "{r:?}");
        assert!(close(r.weights[1], 0.258285, 1e-6), "{r:?}");
        assert!(close(r.weights[2], 0.104729, 1e-6), "{r:?}");
        assert!(close(r.weights.iter().sum::<f64>(), 1.0, 1e-12));
        let q: f64 = 5.0 / 9.0;
        let lambda = 1.0 + q.cbrt() + q.cbrt().recip();
        assert!(close(r.lambda_max, lambda, 1e-10), "{r:?}");
        assert!(close(r.ci, (lambda - 3.0) / 2.0, 1e-10));
        assert!(close(r.cr, 0.033199, 1e-6), "{r:?}");
    }

    #[test]
    fn ahp_one_and_two_ids() {
        let one = ahp(&["only"], &[]).unwrap();
        assert_eq!(one.weights, vec![1.0]);
        assert_eq!((one.lambda_max, one.ci, one.cr), (1.0, 0.0, 0.0));
        // a is 3 times b: w = 3/4, 1/4; a 2×2 reciprocal matrix is always
        // consistent (λmax = 2), and CR = 0 by definition.
        let two = ahp(&["a", "b"], &[cmp("b", "a", 1.0 / 3.0)]).unwrap();
        assert!(close(two.weights[0], 0.75, 1e-12), "{two:?}");
        assert!(close(two.weights[1], 0.25, 1e-12), "{two:?}");
        assert!(close(two.lambda_max, 2.0, 1e-12));
        assert_eq!(two.cr, 0.0);
    }

    #[test]
    fn ahp_lists_every_problem() {
        let errs = ahp(
            &["a", "b", "c", "d"],
            &[
                cmp("a", "b", 2.0),
                cmp("b", "a", 0.5),      // a/b judged twice
                cmp("a", "e", 3.0),      // unknown id e
                cmp("c", "c", 1.0),      // self-comparison
                cmp("a", "c", 0.0),      // ratio <= 0
                cmp("b", "c", f64::NAN), // ratio not finite
                cmp("a", "d", 4.0),
                // missing: b/d, c/d
            ],
        )
        .unwrap_err();
        assert_eq!(errs.len(), 7, "{errs:#?}");
        assert!(errs[0].contains("a / b is judged twice"), "{errs:#?}");
        assert!(errs[1].contains("unknown id `e`"), "{errs:#?}");
        assert!(errs[2].contains("`c` with itself"), "{errs:#?}");
        assert!(errs[3].contains("ratio 0 is not"), "{errs:#?}");
        assert!(errs[4].contains("ratio NaN is not"), "{errs:#?}");
        assert!(errs[5].contains("`b` and `d`"), "{errs:#?}");
        assert!(errs[6].contains("`c` and `d`"), "{errs:#?}");

        let many: Vec<String> = (0..16).map(|i| format!("i{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let errs = ahp(&refs, &[]).unwrap_err();
        assert!(errs[0].contains("16 ids"), "{errs:#?}");

        let errs = ahp(&["a", "a"], &[]).unwrap_err();
        assert!(
            errs[0].contains("`a` is listed more than once"),
            "{errs:#?}"
        );
        assert!(ahp(&[], &[]).is_err());
    }
}

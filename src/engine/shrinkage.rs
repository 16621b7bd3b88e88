//! Empirical-Bayes shrinkage of small-area rates: Marshall's (1991) global
//! method-of-moments estimator, applied separately within each group (the
//! whole district, or each township).
//!
//! Within a group, over the k units with y_i present and n_i > 0:
//!   r_i = y_i / n_i,  m = Σy / Σn,  n̄ = Σn / k,
//!   v̄ = m / n̄ (Poisson) or m(1 − m) / n̄ (Binomial),
//!   s² = max(Σ n_i (r_i − m)² / Σ n_i − v̄, 0),
//!   v_i = m / n_i (Poisson) or m(1 − m) / n_i (Binomial),
//!   C_i = s² / (s² + v_i),  r̃_i = m + C_i (r_i − m).
//! s² = 0 shrinks every unit to m; v_i = 0 (m = 0, or m = 1 binomial)
//! keeps r_i. A unit with y or n missing (or not finite), or n <= 0, is
//! `None` and is left out of its group's statistics. Results are
//! proportions (y/n scale).

use std::collections::BTreeMap;

/// How counts arise: Poisson for events per resident (rate), binomial for
/// a share of a count (share).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// Events among a population at risk: v_i = m / n_i.
    Poisson,
    /// Successes out of n_i trials: v_i = m(1 − m) / n_i.
    Binomial,
}

impl Model {
    /// Sampling variance of a proportion with pooled mean `m` over `n`.
    fn variance(self, m: f64, n: f64) -> f64 {
        match self {
            Model::Poisson => m / n,
            Model::Binomial => m * (1.0 - m) / n,
        }
    }
}

/// Shrinks each unit's proportion y_i/n_i toward its group's pooled
/// proportion m = Σy/Σn (Marshall's global estimator, see module docs).
///
/// `group[i]` is unit i's group key (one key for district-wide). The slices
/// are parallel; the output has one entry per `y`, `None` where the unit
/// has no usable y and n (a unit missing from a shorter slice counts as
/// missing). Returns proportions (y/n scale, not ×1000).
pub fn shrink(
    y: &[Option<f64>],
    n: &[Option<f64>],
    group: &[&str],
    model: Model,
) -> Vec<Option<f64>> {
    // (y_i, n_i) of usable units.
    let usable: Vec<Option<(f64, f64)>> = (0..y.len())
        .map(|i| {
            let yi = y[i].filter(|v| v.is_finite())?;
            let ni = n.get(i).copied().flatten().filter(|v| v.is_finite())?;
            group.get(i)?;
            (ni > 0.0).then_some((yi, ni))
        })
        .collect();

    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, u) in usable.iter().enumerate() {
        if u.is_some() {
            groups.entry(group[i]).or_default().push(i);
        }
    }

    let mut out = vec![None; y.len()];
    for members in groups.values() {
        let units: Vec<(usize, f64, f64)> = members
            .iter()
            .filter_map(|&i| usable[i].map(|(yi, ni)| (i, yi, ni)))
            .collect();
        let k = units.len() as f64;
        let sum_y: f64 = units.iter().map(|u| u.1).sum();
        let sum_n: f64 = units.iter().map(|u| u.2).sum();
        let m = sum_y / sum_n;
        let n_bar = sum_n / k;
        let v_bar = model.variance(m, n_bar);
        let spread: f64 = units
            .iter()
            .map(|&(_, yi, ni)| ni * (yi / ni - m).powi(2))
            .sum::<f64>()
            / sum_n;
        let s2 = (spread - v_bar).max(0.0);
        for &(i, yi, ni) in &units {
            let r = yi / ni;
            let v = model.variance(m, ni);
            out[i] = Some(if v <= 0.0 {
                r
            } else {
                let c = s2 / (s2 + v);
                m + c * (r - m)
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= 1e-12)
    }

    #[test]
    fn poisson_three_units_by_hand() {
        // y = [0, 2, 10], n = [10, 100, 100]: r = 0, 1/50, 1/10.
        // m = 12/210 = 2/35, n̄ = 210/3 = 70, v̄ = (2/35)/70 = 1/1225.
        // Σ n (r − m)² = 10(2/35)² + 100(1/50 − 2/35)² + 100(1/10 − 2/35)²
        //             = 8/245 + 169/1225 + 9/49 = 62/175; / 210 = 31/18375.
        // s² = 31/18375 − 15/18375 = 16/18375.
        // Unit 1: v = m/10 = 1/175, C = (16/18375)/(16/18375 + 105/18375) = 16/121,
        //   r̃ = 2/35 (1 − 16/121) = 6/121 = 0.049587.
        // Units 2, 3: v = m/100 = 1/1750, C = 16/(16 + 10.5) = 32/53,
        //   r̃2 = 2/35 + (32/53)(1/50 − 2/35) = 46/1325 = 0.034717,
        //   r̃3 = 2/35 + (32/53)(1/10 − 2/35) = 22/265 = 0.083019.
        let y = [Some(0.0), Some(2.0), Some(10.0)];
        let n = [Some(10.0), Some(100.0), Some(100.0)];
        let out = shrink(&y, &n, &["d", "d", "d"], Model::Poisson);
        assert!(close(out[0], 6.0 / 121.0), "{out:?}");
        assert!(close(out[1], 46.0 / 1325.0), "{out:?}");
        assert!(close(out[2], 22.0 / 265.0), "{out:?}");
        // The small unit (n = 10) keeps only 16/121 of its deviation, the
        // large ones 32/53: small n moves more.
        let m = 2.0 / 35.0;
        let kept = |i: usize, r: f64| (out[i].unwrap_or(f64::NAN) - m) / (r - m);
        assert!(kept(0, 0.0) < kept(1, 0.02));
        assert!((kept(0, 0.0) - 16.0 / 121.0).abs() < 1e-12);
    }

    #[test]
    fn binomial_three_units_by_hand() {
        // Same counts, binomial: m = 2/35, m(1 − m) = 66/1225,
        // v̄ = (66/1225)/70 = 33/42875, s² = 31/18375 − 33/42875 = 118/128625.
        // Unit 1: v = 66/12250 = 33/6125, C = 118/811, r̃ = m(1 − C) = 198/4055.
        // Units 2, 3: v = 33/61250, C = 1180/1873,
        //   r̃2 = 316/9365, r̃3 = 788/9365.
        let y = [Some(0.0), Some(2.0), Some(10.0)];
        let n = [Some(10.0), Some(100.0), Some(100.0)];
        let out = shrink(&y, &n, &["d"; 3], Model::Binomial);
        assert!(close(out[0], 198.0 / 4055.0), "{out:?}");
        assert!(close(out[1], 316.0 / 9365.0), "{out:?}");
        assert!(close(out[2], 788.0 / 9365.0), "{out:?}");
    }

    #[test]
    fn groups_shrink_separately() {
        // Group "a" is the 3-unit example above; group "b" has y = [5, 15],
        // n = [50, 50]: m = 1/5, Σ n (r − m)² / Σn = (50·0.01 + 50·0.01)/100
        // = 0.01, v̄ = 0.2/50 = 0.004, s² = 0.006, v = 0.004, C = 0.6,
        // r̃ = 0.2 ∓ 0.6·0.1 = 0.14, 0.26. Interleaved, with a missing unit.
        let y = [
            Some(5.0),
            Some(0.0),
            None,
            Some(2.0),
            Some(15.0),
            Some(10.0),
        ];
        let n = [
            Some(50.0),
            Some(10.0),
            Some(40.0),
            Some(100.0),
            Some(50.0),
            Some(100.0),
        ];
        let g = ["b", "a", "b", "a", "b", "a"];
        let out = shrink(&y, &n, &g, Model::Poisson);
        assert!(close(out[0], 0.14), "{out:?}");
        assert!(close(out[1], 6.0 / 121.0), "{out:?}");
        assert_eq!(out[2], None);
        assert!(close(out[3], 46.0 / 1325.0), "{out:?}");
        assert!(close(out[4], 0.26), "{out:?}");
        assert!(close(out[5], 22.0 / 265.0), "{out:?}");
    }

    #[test]
    fn no_excess_spread_shrinks_everyone_to_the_mean() {
        // y = [0, 10], n = [10, 100]: m = 10/110 = 1/11, n̄ = 55,
        // Σ n (r − m)² = 10(1/11)² + 100(1/10 − 1/11)² = 10/121 + 1/121 = 1/11,
        // / Σn = 110 → 1/1210; v̄ = (1/11)/55 = 1/605 = 2/1210.
        // s² = max(1/1210 − 2/1210, 0) = 0 → both become 1/11.
        let out = shrink(
            &[Some(0.0), Some(10.0)],
            &[Some(10.0), Some(100.0)],
            &["d", "d"],
            Model::Poisson,
        );
        assert!(close(out[0], 1.0 / 11.0), "{out:?}");
        assert!(close(out[1], 1.0 / 11.0), "{out:?}");
    }

    #[test]
    fn zero_variance_keeps_the_raw_proportion() {
        // All-zero counts: m = 0, v_i = 0 → keep r_i = 0 (no 0/0).
        let out = shrink(
            &[Some(0.0), Some(0.0)],
            &[Some(10.0), Some(20.0)],
            &["d", "d"],
            Model::Poisson,
        );
        assert_eq!(out, vec![Some(0.0), Some(0.0)]);
        // Binomial with every trial a success: m = 1, v_i = 0 → keep 1.
        let out = shrink(
            &[Some(10.0), Some(20.0)],
            &[Some(10.0), Some(20.0)],
            &["d", "d"],
            Model::Binomial,
        );
        assert_eq!(out, vec![Some(1.0), Some(1.0)]);
    }

    #[test]
    fn missing_and_degenerate_units() {
        // Units 0-3 unusable (y missing, n missing, n = 0, n < 0) stay None
        // and do not enter the statistics: unit 4 alone is its own mean
        // (k = 1: s² = max(0 − v̄, 0) = 0, r̃ = m = 3/30).
        let y = [None, Some(1.0), Some(1.0), Some(1.0), Some(3.0)];
        let n = [Some(10.0), None, Some(0.0), Some(-5.0), Some(30.0)];
        let out = shrink(&y, &n, &["d"; 5], Model::Poisson);
        assert_eq!(&out[..4], &[None, None, None, None]);
        assert!(close(out[4], 0.1), "{out:?}");
        // All missing.
        let out = shrink(
            &[None, None],
            &[None, Some(5.0)],
            &["d", "d"],
            Model::Poisson,
        );
        assert_eq!(out, vec![None, None]);
        assert!(shrink(&[], &[], &[], Model::Binomial).is_empty());
    }
}

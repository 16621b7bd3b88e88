//! Imputation of missing cells by group.
//!
//! A missing cell that is eligible is filled with a statistic of the values
//! present (before any filling) in the same group: their mean, or their
//! median (the middle value; the mean of the two middle values for an even
//! count). A group without any present value leaves its cells missing.
//! Present values are never changed, and each filled cell is flagged.

use std::collections::BTreeMap;

/// How to fill missing cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imputation {
    /// Leave missing cells missing.
    None,
    /// Mean of the present values of the unit's group.
    GroupMean,
    /// Median of the present values of the unit's group (mean of the middle
    /// two for an even count).
    GroupMedian,
}

/// Fills missing cells that `eligible[i]` allows with the mean (or median,
/// mean of middle two) of the present values of the same group; a group
/// with no present value leaves the cell missing. Returns the values and a
/// per-unit flag "imputed". The slices are parallel; a unit missing from a
/// shorter `eligible` or `group` is not filled.
pub fn impute(
    x: &[Option<f64>],
    eligible: &[bool],
    group: &[&str],
    how: Imputation,
) -> (Vec<Option<f64>>, Vec<bool>) {
    let mut values = x.to_vec();
    let mut imputed = vec![false; x.len()];
    if how == Imputation::None {
        return (values, imputed);
    }

    let mut present: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (i, xi) in x.iter().enumerate() {
        if let (Some(v), Some(&g)) = (xi, group.get(i)) {
            present.entry(g).or_default().push(*v);
        }
    }
    let fill: BTreeMap<&str, f64> = present
        .into_iter()
        .filter_map(|(g, v)| {
            let stat = match how {
                Imputation::None => None,
                Imputation::GroupMean => super::rank::mean(&v),
                Imputation::GroupMedian => super::rank::median_of(&v),
            };
            stat.map(|s| (g, s))
        })
        .collect();

    for (i, value) in values.iter_mut().enumerate() {
        if value.is_some() || !eligible.get(i).copied().unwrap_or(false) {
            continue;
        }
        if let Some(&s) = group.get(i).and_then(|g| fill.get(g)) {
            *value = Some(s);
            imputed[i] = true;
        }
    }
    (values, imputed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_mean_by_hand() {
        // Group a: present 1, 2, 6 → mean 9/3 = 3. Group b: present 10, 20
        // → mean 15. Missing cells 1 (a) and 4 (b) are filled.
        let x = [
            Some(1.0),
            None,
            Some(2.0),
            Some(10.0),
            None,
            Some(6.0),
            Some(20.0),
        ];
        let g = ["a", "a", "a", "b", "b", "a", "b"];
        let (v, f) = impute(&x, &[true; 7], &g, Imputation::GroupMean);
        assert_eq!(
            v,
            vec![
                Some(1.0),
                Some(3.0),
                Some(2.0),
                Some(10.0),
                Some(15.0),
                Some(6.0),
                Some(20.0)
            ]
        );
        assert_eq!(f, vec![false, true, false, false, true, false, false]);
    }

    #[test]
    fn group_median_odd_and_even() {
        // Group a: present 7, 1, 100 → sorted 1, 7, 100, median 7 (mean
        // would be 36). Group b: present 4, 1, 2, 10 → sorted 1, 2, 4, 10,
        // median (2 + 4)/2 = 3 (mean would be 4.25).
        let x = [
            Some(7.0),
            Some(4.0),
            None,
            Some(1.0),
            Some(1.0),
            None,
            Some(100.0),
            Some(2.0),
            Some(10.0),
        ];
        let g = ["a", "b", "a", "a", "b", "b", "a", "b", "b"];
        let (v, f) = impute(&x, &[true; 9], &g, Imputation::GroupMedian);
        assert_eq!(v[2], Some(7.0));
        assert_eq!(v[5], Some(3.0));
        assert_eq!(
            f,
            vec![false, false, true, false, false, true, false, false, false]
        );
        // Present values untouched.
        for i in [0, 1, 3, 4, 6, 7, 8] {
            assert_eq!(v[i], x[i]);
        }
    }

    #[test]
    fn ineligible_cells_and_empty_groups_stay_missing() {
        // Cell 1 is not eligible; group "c" (cell 3) has no present value;
        // `Imputation::None` never fills. Group a mean = (2 + 4)/2 = 3.
        let x = [Some(2.0), None, None, None, Some(4.0)];
        let g = ["a", "a", "a", "c", "a"];
        let eligible = [true, false, true, true, true];
        let (v, f) = impute(&x, &eligible, &g, Imputation::GroupMean);
        assert_eq!(v, vec![Some(2.0), None, Some(3.0), None, Some(4.0)]);
        assert_eq!(f, vec![false, false, true, false, false]);

        let (v, f) = impute(&x, &[true; 5], &g, Imputation::None);
        assert_eq!(v, x.to_vec());
        assert_eq!(f, vec![false; 5]);
    }

    #[test]
    fn all_missing_and_single_value() {
        let (v, f) = impute(
            &[None, None],
            &[true, true],
            &["a", "a"],
            Imputation::GroupMedian,
        );
        assert_eq!(v, vec![None, None]);
        assert_eq!(f, vec![false, false]);
        // One present value is both the mean and the median.
        let (v, f) = impute(
            &[None, Some(5.0), None],
            &[true, true, true],
            &["a", "a", "a"],
            Imputation::GroupMedian,
        );
        assert_eq!(v, vec![Some(5.0), Some(5.0), Some(5.0)]);
        assert_eq!(f, vec![true, false, true]);
        // Ties: median of 2, 2, 2, 9 is (2 + 2)/2 = 2.
        let (v, _) = impute(
            &[Some(2.0), Some(9.0), Some(2.0), None, Some(2.0)],
            &[true; 5],
            &["a"; 5],
            Imputation::GroupMedian,
        );
        assert_eq!(v[3], Some(2.0));
    }
}

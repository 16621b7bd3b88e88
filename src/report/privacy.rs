//! Small-cell protection for the public edition of the report: a count
//! of petitions from 1 to k − 1 could point to the petitioner, so it is
//! shown as `<k`. A count is a petition count when its data point counts
//! rows or distinct values of the petitions source, or is SQL that reads
//! the petitions table and gives whole numbers for every village this
//! quarter (a growth ratio is not a count). Indicators built on such a
//! count (its value, a rate or share of it) are shown masked while the
//! count is small.

use std::collections::BTreeSet;

use crate::framework::{Aggregate, DataPointSpec, Framework};
use crate::model::DataPointTable;

/// The data points that count petitions in this quarter's table.
pub fn petition_counts(framework: &Framework, table: &DataPointTable) -> BTreeSet<String> {
    let whole = |id: &str| {
        table
            .values
            .get(id)
            .is_some_and(|v| v.iter().flatten().all(|x| x.fract() == 0.0))
    };
    framework
        .datapoints
        .iter()
        .filter(|d| match &d.spec {
            DataPointSpec::Aggregate {
                source, aggregate, ..
            } => {
                source.name == "petitions"
                    && matches!(aggregate, Aggregate::Count | Aggregate::CountDistinct)
            }
            DataPointSpec::Sql { file, .. } => {
                framework
                    .sql
                    .get(file)
                    .is_some_and(|sql| reads_petitions(sql))
                    && whole(&d.id)
            }
            DataPointSpec::Builtin(_) => false,
        })
        .map(|d| d.id.clone())
        .collect()
}

/// The cells the public edition hides: `hidden[indicator][village]`,
/// where the village has a value built on a petition count from 1 to
/// k − 1. On a hidden cell the page shows neither the value nor anything
/// it could be worked back from (score, contribution, index points).
pub fn hidden_cells(
    rule: SmallCells,
    framework: &Framework,
    table: &DataPointTable,
    values: &[crate::model::IndicatorValues],
) -> Vec<Vec<bool>> {
    let counts = petition_counts(framework, table);
    framework
        .indicators
        .iter()
        .zip(values)
        .map(|(ind, iv)| {
            let counted = counts.contains(&ind.numerator);
            (0..table.villages.len())
                .map(|v| {
                    counted && iv.raw[v].is_some() && rule.hides(table.value(&ind.numerator, v))
                })
                .collect()
        })
        .collect()
}

/// Whether SQL text names the petitions table (as a whole word).
fn reads_petitions(sql: &str) -> bool {
    let lower = sql.to_lowercase();
    lower.match_indices("petitions").any(|(i, m)| {
        let before = lower[..i].chars().next_back();
        let after = lower[i + m.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

/// The rule for one report: off, or the threshold k.
#[derive(Debug, Clone, Copy)]
pub struct SmallCells {
    pub k: Option<u32>,
}

impl SmallCells {
    pub fn new(public: bool, k: u32) -> Self {
        Self {
            k: (public && k > 1).then_some(k),
        }
    }

    /// Whether a count must be hidden.
    pub fn hides(&self, count: Option<f64>) -> bool {
        match (self.k, count) {
            (Some(k), Some(n)) => n > 0.0 && n < f64::from(k),
            _ => false,
        }
    }

    /// What is shown instead.
    pub fn mask(&self) -> String {
        format!("<{}", self.k.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_one_to_k_minus_one_only_in_public_mode() {
        let public = SmallCells::new(true, 3);
        assert!(!public.hides(Some(0.0)));
        assert!(public.hides(Some(1.0)));
        assert!(public.hides(Some(2.0)));
        assert!(!public.hides(Some(3.0)));
        assert!(!public.hides(None));
        assert_eq!(public.mask(), "<3");
        assert!(!SmallCells::new(false, 3).hides(Some(1.0)));
        assert!(!SmallCells::new(true, 1).hides(Some(1.0)), "k = 1 is off");
    }

    #[test]
    fn finds_the_petitions_table_as_a_word() {
        assert!(reads_petitions("SELECT * FROM petitions p"));
        assert!(reads_petitions("from PETITIONS\nwhere"));
        assert!(!reads_petitions("SELECT * FROM petitions_archive"));
        assert!(!reads_petitions("SELECT repeat_petitions_count FROM cases"));
    }
}

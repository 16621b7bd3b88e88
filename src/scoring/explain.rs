//! Change against the previous quarter: each village's previous index,
//! rank and tier, and the indicators whose contribution to the index moved
//! most (by absolute change; an indicator scored in only one of the two
//! quarters counts 0 in the other). Villages are matched by code.

use std::collections::BTreeMap;

use super::{Change, Driver, Scores};
use crate::model::Village;

/// How many drivers of a change are kept per village.
pub const DRIVERS: usize = 3;

/// Fills `current.villages[..].previous` from the previous quarter's scores.
pub fn compare(
    current: &mut Scores,
    villages: &[Village],
    previous: &Scores,
    previous_villages: &[Village],
) {
    let by_code: BTreeMap<&str, usize> = previous_villages
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code.as_str(), i))
        .collect();
    for (v, village) in villages.iter().enumerate() {
        let Some(&p) = by_code.get(village.code.as_str()) else {
            continue;
        };
        let before = &previous.villages[p];
        let mut drivers: Vec<Driver> = current
            .cells
            .iter()
            .zip(&previous.cells)
            .enumerate()
            .filter_map(|(k, (now, then))| {
                let points = now[v].contribution - then[p].contribution;
                (points != 0.0).then_some(Driver {
                    indicator: k,
                    points,
                })
            })
            .collect();
        drivers.sort_by(|a, b| {
            b.points
                .abs()
                .total_cmp(&a.points.abs())
                .then(a.indicator.cmp(&b.indicator))
        });
        drivers.truncate(DRIVERS);
        current.villages[v].previous = Some(Change {
            index: before.index,
            rank: before.rank,
            tier: before.tier,
            drivers,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::aggregate::Prepared;
    use crate::engine::treatment::CellTreatment;
    use crate::model::CellStatus;
    use crate::scoring::{Cell, IndicatorScoring, Tier, VillageScore};

    fn village(code: &str) -> Village {
        Village {
            code: code.into(),
            name: format!("village {code}"),
            township_code: "T1".into(),
            township_name: "township".into(),
            population: 100,
            households: 40,
            unit_type: "village".into(),
        }
    }

    fn score(index: Option<f64>, rank: Option<u32>, tier: Tier) -> VillageScore {
        VillageScore {
            index,
            rank,
            township_rank: rank,
            county_rank: rank,
            held_by: Vec::new(),
            tier,
            tier_uncapped: tier,
            dimensions: Vec::new(),
            availability: Vec::new(),
            indicators_scored: 0,
            vetoes: Vec::new(),
            strengths: Vec::new(),
            weaknesses: Vec::new(),
            uncertainty: None,
            previous: None,
        }
    }

    fn cell(contribution: f64) -> Cell {
        Cell {
            raw: None,
            shrunk: None,
            treatment: CellTreatment::None,
            normalised: None,
            status: CellStatus::Value,
            effective_weight: 0.0,
            contribution,
        }
    }

    /// Scores with `contributions[village][indicator]`.
    fn scores(villages: Vec<VillageScore>, contributions: &[&[f64]]) -> Scores {
        let indicators = contributions.first().map_or(0, |c| c.len());
        let n = villages.len();
        Scores {
            villages,
            cells: (0..indicators)
                .map(|k| contributions.iter().map(|c| cell(c[k])).collect())
                .collect(),
            indicators: (0..indicators)
                .map(|_| IndicatorScoring {
                    weight: 1.0,
                    prepared: Prepared {
                        shrunk: vec![None; n],
                        shrunk_applied: false,
                        imputed: vec![false; n],
                        values: vec![None; n],
                        treated: None,
                        centre: None,
                    },
                })
                .collect(),
            dimension_weights: Vec::new(),
            medians: vec![None; indicators],
        }
    }

    fn drivers(change: &Change) -> Vec<(usize, f64)> {
        change
            .drivers
            .iter()
            .map(|d| (d.indicator, d.points))
            .collect()
    }

    #[test]
    fn compare_matches_villages_by_code_and_keeps_the_largest_moves() {
        // Current quarter: V1, V2, V3; previous: V3, V1 (another order, no V2).
        let now_villages = [village("V1"), village("V2"), village("V3")];
        let then_villages = [village("V3"), village("V1")];
        let mut current = scores(
            vec![
                score(Some(60.0), Some(1), Tier::Green),
                score(Some(50.0), Some(2), Tier::Yellow),
                score(Some(4.0), Some(3), Tier::Red),
            ],
            &[
                &[10.0, 20.0, 5.0, 0.0],
                &[9.0, 9.0, 9.0, 9.0],
                &[1.0, 1.0, 1.0, 1.0],
            ],
        );
        let previous = scores(
            vec![
                score(Some(6.0), Some(2), Tier::Yellow),
                score(Some(57.0), Some(1), Tier::Green),
            ],
            &[&[0.0, 2.0, 1.0, 3.0], &[7.0, 25.0, 4.0, 1.0]],
        );
        compare(&mut current, &now_villages, &previous, &then_villages);

        // V1 against previous row 1: 10 − 7 = 3, 20 − 25 = −5, 5 − 4 = 1,
        // 0 − 1 = −1. By |points|: ind 1 (5), ind 0 (3), then ind 2 and 3
        // tie at 1 → the lower indicator (2) first; 3 drivers kept.
        let v1 = current.villages[0].previous.as_ref().unwrap();
        assert_eq!(drivers(v1), vec![(1, -5.0), (0, 3.0), (2, 1.0)]);
        assert_eq!(v1.index, Some(57.0));
        assert_eq!(v1.rank, Some(1));
        assert_eq!(v1.tier, Tier::Green);

        // V2 is new this quarter: no change.
        assert_eq!(current.villages[1].previous, None);

        // V3 against previous row 0: 1 − 0 = 1, 1 − 2 = −1, 1 − 1 = 0
        // (dropped), 1 − 3 = −2 → ind 3 (2), then ind 0 and 1 tie at 1.
        let v3 = current.villages[2].previous.as_ref().unwrap();
        assert_eq!(drivers(v3), vec![(3, -2.0), (0, 1.0), (1, -1.0)]);
        assert_eq!(v3.index, Some(6.0));
        assert_eq!(v3.rank, Some(2));
        assert_eq!(v3.tier, Tier::Yellow);
    }

    #[test]
    fn compare_with_an_unranked_previous_quarter() {
        // The village was not ranked last quarter (contributions 0): its
        // change carries no index or rank and every contribution now drives.
        let mut current = scores(
            vec![score(Some(30.0), Some(1), Tier::Red)],
            &[&[12.0, 18.0]],
        );
        let previous = scores(
            vec![score(None, None, Tier::InsufficientData)],
            &[&[0.0, 0.0]],
        );
        compare(&mut current, &[village("V1")], &previous, &[village("V1")]);
        let c = current.villages[0].previous.as_ref().unwrap();
        assert_eq!(c.index, None);
        assert_eq!(c.rank, None);
        assert_eq!(c.tier, Tier::InsufficientData);
        assert_eq!(drivers(c), vec![(1, 18.0), (0, 12.0)]);
    }

    #[test]
    fn compare_without_any_move_has_no_drivers() {
        let mut current = scores(
            vec![score(Some(30.0), Some(1), Tier::Red)],
            &[&[12.0, 18.0]],
        );
        let previous = scores(
            vec![score(Some(30.0), Some(1), Tier::Red)],
            &[&[12.0, 18.0]],
        );
        compare(&mut current, &[village("V1")], &previous, &[village("V1")]);
        let c = current.villages[0].previous.as_ref().unwrap();
        assert!(c.drivers.is_empty());
        assert_eq!(c.index, Some(30.0));
    }
}

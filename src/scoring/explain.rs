//! Change against the previous quarter: each village's previous index,
//! rank and tier, and the indicators whose contribution to the index moved
//! most (by absolute change; an indicator scored in only one of the two
//! quarters counts 0 in the other). Villages are matched by code.

use std::collections::BTreeMap;

use super::{Change, Driver, Scores};
use crate::datapoints::Village;

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

//! Ranks and tiers of any set of scored units: the index as printed
//! (rounded to [`INDEX_DECIMALS`]), competition ranks ("1, 2, 2, 4"),
//! tiers by thresholds or quantiles, vetoes' caps, the Monte Carlo rank
//! interval of a unit, and the plain statistics (mean, median) the engine
//! and the stages above it share. It knows nothing of villages.

use super::method::CapTier;

/// Decimals of the index as printed in `ranking.csv`; ranks and tiers use
/// the index rounded to them, so two rows that show the same index share a
/// rank and a row's tier agrees with the number it shows.
pub const INDEX_DECIMALS: i32 = 4;

/// The index as printed, ranked and tiered.
pub fn rounded(index: f64) -> f64 {
    let scale = 10f64.powi(INDEX_DECIMALS);
    (index * scale).round() / scale
}

/// Red, yellow or green (or not ranked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Green,
    Yellow,
    Red,
    InsufficientData,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Green => "green",
            Tier::Yellow => "yellow",
            Tier::Red => "red",
            Tier::InsufficientData => "insufficient_data",
        }
    }

    /// This tier capped by a veto (never better than `cap`).
    pub fn capped(self, cap: CapTier) -> Tier {
        let cap = match cap {
            CapTier::Yellow => Tier::Yellow,
            CapTier::Red => Tier::Red,
        };
        if self == Tier::InsufficientData {
            self
        } else {
            self.max(cap)
        }
    }
}

/// How a village's tier follows from its index and rank.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TierRule {
    /// `index >= green` green, `>= yellow` yellow, else red.
    Thresholds { green: f64, yellow: f64 },
    /// The lowest `red` share of ranked villages red, the next `yellow`
    /// share yellow, the rest green.
    Quantiles { red: f64, yellow: f64 },
}

/// A village's Monte Carlo results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankUncertainty {
    pub median: u32,
    pub p05: u32,
    pub p95: u32,
    /// Share of runs in which the village keeps its tier.
    pub tier_probability: f64,
    /// `tier_probability` below the framework's `certain_at`.
    pub uncertain: bool,
}

/// The median of the values present (mean of the middle two for an even
/// count); `None` without values.
pub fn median(raw: &[Option<f64>]) -> Option<f64> {
    median_of(&raw.iter().flatten().copied().collect::<Vec<_>>())
}

/// The median of `v` (mean of the middle two for an even count); `None`
/// when empty.
pub fn median_of(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// The mean of `v`; `None` when empty.
pub fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// Competition ranks ("1, 2, 2, 4") of `members` by index as printed,
/// highest first; ties listed by code.
pub fn competition_ranks(
    index: &[Option<f64>],
    members: &[usize],
    codes: &[&str],
) -> Vec<(usize, u32)> {
    competition_ranks_in(index, &TieOrder::by_code(members, codes))
}

/// The order in which members of one index are listed: by code, members
/// of one code in their given order. Made once for many rankings of one
/// set (the Monte Carlo's).
#[derive(Debug, Clone)]
pub struct TieOrder {
    /// The members in that order.
    listed: Vec<usize>,
}

impl TieOrder {
    pub fn by_code(members: &[usize], codes: &[&str]) -> Self {
        let mut listed = members.to_vec();
        listed.sort_by(|&a, &b| codes[a].cmp(codes[b]));
        TieOrder { listed }
    }
}

/// [`competition_ranks`] with the members and their tie order given.
pub fn competition_ranks_in(index: &[Option<f64>], order: &TieOrder) -> Vec<(usize, u32)> {
    // One integer per member whose order is the descending total order of
    // the printed index (high 64 bits), then the tie order (low 32): the
    // order of comparing the floats and then the codes, sorted as plain
    // integers.
    let mut keys: Vec<u128> = order
        .listed
        .iter()
        .enumerate()
        .filter_map(|(pos, &i)| {
            index[i].map(|x| (u128::from(descending_key(rounded(x))) << 32) | pos as u128)
        })
        .collect();
    keys.sort_unstable();
    let mut out = Vec::with_capacity(keys.len());
    let mut rank = 0u32;
    let mut prev: Option<f64> = None;
    for (pos, key) in keys.into_iter().enumerate() {
        let i = order.listed[(key & u128::from(u32::MAX)) as usize];
        // Ties are decided on the index as printed (-0 ties 0).
        let x = index[i].map_or(f64::NAN, rounded);
        if prev != Some(x) {
            rank = u32::try_from(pos + 1).unwrap_or(u32::MAX);
            prev = Some(x);
        }
        out.push((i, rank));
    }
    out
}

/// An unsigned integer that orders floats as `b.total_cmp(a)` does
/// (highest first).
fn descending_key(x: f64) -> u64 {
    // The bit trick of `f64::total_cmp` (flip the magnitude bits of
    // negatives, so that the signed integers order as the floats), then
    // the sign bit flipped so that unsigned integers order the same, then
    // all bits flipped for highest first.
    let mut bits = x.to_bits().cast_signed();
    bits ^= (((bits >> 63).cast_unsigned()) >> 1).cast_signed();
    !(bits.cast_unsigned() ^ (1 << 63))
}

/// A ranked village's tier.
pub fn tier(rule: TierRule, index: f64, rank: u32, ranked: usize) -> Tier {
    match rule {
        TierRule::Thresholds { green, yellow } => {
            if index >= green {
                Tier::Green
            } else if index >= yellow {
                Tier::Yellow
            } else {
                Tier::Red
            }
        }
        TierRule::Quantiles { red, yellow } => {
            // The lowest ceil(red·n) ranks are red, the next ceil((red+yellow)·n) − that yellow.
            // (0.1 + 0.2)·10 is 3.0000000000000004 in floating point: shave
            // the noise before rounding up.
            let n = ranked as f64;
            let count = |share: f64| (share * n - 1e-9).ceil().max(0.0) as usize;
            let red_from = ranked.saturating_sub(count(red));
            let yellow_from = ranked.saturating_sub(count(red + yellow));
            let r = rank as usize;
            if r > red_from {
                Tier::Red
            } else if r > yellow_from {
                Tier::Yellow
            } else {
                Tier::Green
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ranking as first written: floats compared, ties by code.
    fn ranks_by_comparing(
        index: &[Option<f64>],
        members: &[usize],
        codes: &[&str],
    ) -> Vec<(usize, u32)> {
        let mut ranked: Vec<(usize, f64)> = members
            .iter()
            .filter_map(|&i| index[i].map(|x| (i, rounded(x))))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| codes[a.0].cmp(codes[b.0])));
        let mut out = Vec::new();
        let mut rank = 0u32;
        let mut prev: Option<f64> = None;
        for (pos, (i, x)) in ranked.into_iter().enumerate() {
            if prev != Some(x) {
                rank = u32::try_from(pos + 1).unwrap();
                prev = Some(x);
            }
            out.push((i, rank));
        }
        out
    }

    #[test]
    fn integer_keys_rank_as_comparing_floats_does() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let pool = [
            -0.0,
            0.0,
            -1.5,
            1.5,
            100.0,
            99.99996,
            1e-300,
            -1e300,
            f64::NAN,
            42.0,
        ];
        for round in 0..200 {
            let n = 1 + round % 37;
            let index: Vec<Option<f64>> = (0..n)
                .map(|_| match rng.random_range(0..4) {
                    0 => None,
                    1 => Some(pool[rng.random_range(0..pool.len())]),
                    _ => Some(rng.random_range(-50.0..150.0)),
                })
                .collect();
            // Codes with repeats, so members of one code keep their order.
            let codes: Vec<String> = (0..n)
                .map(|_| format!("v{}", rng.random_range(0..9)))
                .collect();
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            let members: Vec<usize> = (0..n).filter(|_| rng.random_bool(0.9)).collect();
            assert_eq!(
                competition_ranks(&index, &members, &codes),
                ranks_by_comparing(&index, &members, &codes),
                "round {round}: {index:?} {codes:?}"
            );
        }
    }

    #[test]
    fn medians_by_hand() {
        assert_eq!(median(&[Some(3.0), None, Some(1.0), Some(2.0)]), Some(2.0));
        assert_eq!(
            median(&[Some(4.0), Some(1.0), Some(2.0), Some(10.0)]),
            Some(3.0)
        );
        assert_eq!(median(&[None]), None);
    }

    #[test]
    fn ranks_use_the_index_as_printed() {
        assert_eq!(rounded(84.99996), 85.0);
        assert_eq!(rounded(12.34564), 12.3456);
        let t = TierRule::Thresholds {
            green: 85.0,
            yellow: 70.0,
        };
        // Shown as 85.0000, so green.
        assert_eq!(tier(t, rounded(84.99996), 1, 1), Tier::Green);
    }

    #[test]
    fn tiers_by_rule() {
        let t = TierRule::Thresholds {
            green: 85.0,
            yellow: 70.0,
        };
        assert_eq!(tier(t, 85.0, 1, 10), Tier::Green);
        assert_eq!(tier(t, 84.9, 1, 10), Tier::Yellow);
        assert_eq!(tier(t, 69.99, 1, 10), Tier::Red);
        let q = TierRule::Quantiles {
            red: 0.1,
            yellow: 0.2,
        };
        // 10 ranked: rank 10 red, ranks 8-9 yellow, 1-7 green.
        assert_eq!(tier(q, 0.0, 10, 10), Tier::Red);
        assert_eq!(tier(q, 0.0, 9, 10), Tier::Yellow);
        assert_eq!(tier(q, 0.0, 8, 10), Tier::Yellow);
        assert_eq!(tier(q, 0.0, 7, 10), Tier::Green);
    }
}

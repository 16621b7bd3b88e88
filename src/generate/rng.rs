//! Randomness for the generator: one ChaCha8 stream per (table, village,
//! quarter) cell so that every cell is reproducible on its own, small
//! samplers (Poisson, log-normal, weighted choice), day arithmetic and the
//! bijective scrambling that turns counters into pseudonymous keys.

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for; each gets its own independent streams.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    District = 1,
    People = 2,
    Petitions = 3,
    Cases = 4,
    Trading = 5,
    Assistance = 6,
    Keys = 7,
    /// Field profile: which villages are planted and which look alike.
    FieldDistrict = 8,
    /// Field profile: a village's activity, intensity and episodes.
    FieldPlan = 9,
    /// Field profile: the cadre-linked firm of a village.
    FieldPeople = 10,
    FieldPetitions = 11,
    FieldCases = 12,
    FieldTrading = 13,
    FieldAssistance = 14,
}

/// SplitMix64 finaliser: a good 64-bit mixer.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream of one cell: the same inputs always give the same stream.
pub(crate) fn cell_rng(seed: u64, stream: Stream, village: usize, quarter: usize) -> ChaCha8Rng {
    let s = mix(mix(mix(seed ^ 0x5149_4E47_4C49_414E) ^ stream as u64) ^ village as u64);
    ChaCha8Rng::seed_from_u64(mix(s ^ (quarter as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93)))
}

/// Keys that scramble counters into pseudonyms, derived from the seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdKeys {
    person: [u64; 3],
    complainant: [u64; 3],
    household: [u64; 3],
    supplier: [u64; 3],
}

const MASK40: u64 = (1 << 40) - 1;
const MASK32: u64 = (1 << 32) - 1;

impl IdKeys {
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = cell_rng(seed, Stream::Keys, 0, 0);
        let mut three = || [rng.random(), rng.random(), rng.random()];
        Self {
            person: three(),
            complainant: three(),
            household: three(),
            supplier: three(),
        }
    }

    /// `P` + 10 hex digits.
    pub(crate) fn person(&self, n: u64) -> String {
        format!("P{:010X}", scramble(n, &self.person, MASK40, 20))
    }

    /// `C` + 10 hex digits.
    pub(crate) fn complainant(&self, n: u64) -> String {
        format!("C{:010X}", scramble(n, &self.complainant, MASK40, 20))
    }

    /// `H` + 10 hex digits.
    pub(crate) fn household(&self, n: u64) -> String {
        format!("H{:010X}", scramble(n, &self.household, MASK40, 20))
    }

    /// `S` + 8 hex digits.
    pub(crate) fn supplier(&self, n: u64) -> String {
        format!("S{:08X}", scramble(n, &self.supplier, MASK32, 16))
    }
}

/// A bijection on `mask`'s bit width: distinct counters give distinct keys.
fn scramble(n: u64, key: &[u64; 3], mask: u64, shift: u32) -> u64 {
    let mut x = (n ^ key[0]) & mask;
    x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15 | 1) & mask;
    x ^= x >> shift;
    x = x.wrapping_add(key[1]) & mask;
    x = x.wrapping_mul((key[2] | 1) & mask) & mask;
    x ^= x >> (shift - 3);
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9) & mask;
    x ^ (x >> (shift + 1))
}

/// Days since 1970-01-01, the Date32 representation.
pub(crate) fn day(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a valid date")).num_days() as i32
}

/// The date of a Date32 day number.
#[cfg(test)]
pub(crate) fn date(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a valid date")
        + chrono::Duration::days(i64::from(day))
}

/// A day uniformly in `[from, to)`; `from` when the range is empty.
pub(crate) fn day_in(rng: &mut ChaCha8Rng, from: i32, to: i32) -> i32 {
    if to > from {
        rng.random_range(from..to)
    } else {
        from
    }
}

/// One of `items`, chosen with the given weights (which need not sum to 1).
pub(crate) fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut u = rng.random::<f64>() * total;
    for (item, w) in items {
        if u < *w {
            return *item;
        }
        u -= w;
    }
    items.last().expect("pick needs at least one item").0
}

/// A standard normal deviate (Box–Muller).
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A log-normal value with the given median and log-scale spread.
pub(crate) fn log_normal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// Log-uniform in `[lo, hi)`.
pub(crate) fn log_uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp()
}

/// A Poisson count with mean `lambda` (normal approximation for large means).
pub(crate) fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> usize {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 40.0 {
        let x = lambda + lambda.sqrt() * normal(rng);
        return x.round().max(0.0) as usize;
    }
    let limit = (-lambda).exp();
    let mut k = 0;
    let mut p: f64 = rng.random();
    while p > limit {
        k += 1;
        p *= rng.random::<f64>();
    }
    k
}

/// `x` rounded to whole units of `x`, randomly up or down so the mean is kept.
pub(crate) fn stochastic_round(rng: &mut ChaCha8Rng, x: f64) -> usize {
    let floor = x.floor();
    let extra = usize::from(rng.random::<f64>() < x - floor);
    floor.max(0.0) as usize + extra
}

/// Yuan rounded to cents.
pub(crate) fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn scrambled_keys_are_distinct_and_sized() {
        let keys = IdKeys::new(7);
        let mut seen = BTreeSet::new();
        for n in 0..20_000u64 {
            let id = keys.person((n % 100) << 21 | n);
            assert_eq!(id.len(), 11);
            assert!(seen.insert(id));
            let s = keys.supplier(n);
            assert_eq!(s.len(), 9);
            assert!(seen.insert(s));
        }
    }

    #[test]
    fn days_round_trip() {
        let d = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(date(day(d)), d);
    }

    #[test]
    fn poisson_mean_is_close() {
        let mut rng = cell_rng(1, Stream::District, 0, 0);
        for lambda in [0.5, 3.0, 80.0] {
            let n = 4000;
            let total: usize = (0..n).map(|_| poisson(&mut rng, lambda)).sum();
            let mean = total as f64 / n as f64;
            assert!(
                (mean - lambda).abs() < 0.1 * lambda + 0.05,
                "{lambda}: {mean}"
            );
        }
    }
}

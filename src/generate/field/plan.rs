//! The field profile's planting and bookkeeping: which villages carry which
//! patterns and which clean villages are honest look-alikes (one draw for
//! the district), and per village, rebuilt on demand from the seed, its
//! activity multiplier, the intensity of its planted misconduct, the
//! planted episodes of each pattern in each planted quarter, how its crony
//! award shows, and the cadre-linked firm.

use rand::Rng;
use rand::seq::index;

use super::super::district::{Cadre, District, Village, link, serving_to_the_end};
use super::super::rng::{Stream, cell_rng, log_normal, pick};
use super::super::vocab::{ACCOUNTANT, COMMITTEE, DIRECTOR, SECRETARY};
use super::super::{GenerateOptions, Lookalike, Pattern};

/// Share of planted villages that carry a second pattern.
const SECOND_PATTERN: f64 = 0.25;
/// Share of all villages in each look-alike group.
const LOOKALIKE_SHARE: f64 = 0.04;
/// Log-scale spread of the village activity multiplier (mean 1).
const ACTIVITY_SIGMA: f64 = 0.55;

/// How much of a planted village's misconduct reaches the records in each
/// planted quarter: its planted episodes, all patterns together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intensity {
    /// One episode a quarter (45% of planted villages).
    One,
    /// Two or three (35%).
    Few,
    /// Four to six (20%).
    Many,
}

/// How a village's crony award shows in the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CronyStyle {
    /// An open tender that looks fine; the misconduct shows only as a large
    /// variation order and/or a repeat petition about the project.
    Open { variation: bool, petition: bool },
    /// A price at the ceiling and works started before the award.
    Ceiling,
}

/// What the field profile decided for one village.
#[derive(Debug, Clone)]
pub(crate) struct VillagePlan {
    /// Multiplies the village's ordinary volumes: some clean villages are
    /// simply busy (log-normal, mean 1).
    pub activity: f64,
    /// Per planted quarter (0 = `planted_from`): planted episodes by pattern.
    episodes: Vec<Vec<(Pattern, usize)>>,
    pub crony_style: CronyStyle,
    /// A `benefit_capture` village where a petition about assistance follows.
    pub capture_petition: bool,
}

impl VillagePlan {
    /// The plan of village `v`, the same every time for the same seed.
    pub(crate) fn of(d: &District, v: &Village) -> Self {
        let mut rng = cell_rng(d.seed, Stream::FieldPlan, v.idx, 0);
        let sigma = ACTIVITY_SIGMA;
        let activity = log_normal(&mut rng, (-sigma * sigma / 2.0).exp(), sigma).clamp(0.15, 6.0);
        let crony_style = if rng.random_bool(0.5) {
            CronyStyle::Ceiling
        } else {
            let (variation, petition) = pick(
                &mut rng,
                &[
                    ((true, false), 0.4),
                    ((false, true), 0.3),
                    ((true, true), 0.3),
                ],
            );
            CronyStyle::Open {
                variation,
                petition,
            }
        };
        let capture_petition = rng.random_bool(0.4);
        if v.patterns.is_empty() {
            return Self {
                activity,
                episodes: Vec::new(),
                crony_style,
                capture_petition,
            };
        }
        let intensity = pick(
            &mut rng,
            &[
                (Intensity::One, 0.45),
                (Intensity::Few, 0.35),
                (Intensity::Many, 0.20),
            ],
        );
        let quarters = d.quarters.len() - d.planted_from_index();
        // The dead stay on the rolls: their enrolments show in every planted
        // quarter, so they take their share of every quarter's episodes.
        let deceased = if v.has(Pattern::DeceasedBenefits) {
            if intensity == Intensity::One { 1 } else { 2 }
        } else {
            0
        };
        let others: Vec<Pattern> = v
            .patterns
            .iter()
            .copied()
            .filter(|p| *p != Pattern::DeceasedBenefits)
            .collect();
        let mut episodes = Vec::with_capacity(quarters);
        for k in 0..quarters {
            let total: usize = match intensity {
                Intensity::One => 1,
                Intensity::Few => rng.random_range(2..=3),
                Intensity::Many => rng.random_range(4..=6),
            };
            // With a single planted quarter nothing can wait for the next.
            let first = k == 0 || quarters == 1;
            let mut counts = Vec::new();
            if deceased > 0 {
                counts.push((Pattern::DeceasedBenefits, deceased));
            }
            match others.as_slice() {
                [] => {}
                [p] => {
                    let rest = total.saturating_sub(deceased);
                    // One episode at least, in the first planted quarter.
                    let n = if rest == 0 && first { 1 } else { rest };
                    counts.push((*p, n));
                }
                [a, b, ..] => {
                    if total == 1 && quarters > 1 {
                        // One episode a quarter: the patterns take turns.
                        counts.push((*a, usize::from(!first)));
                        counts.push((*b, usize::from(first)));
                    } else {
                        let mut na = 1;
                        let mut nb = 1;
                        for _ in 2..total {
                            if rng.random_bool(0.5) {
                                na += 1;
                            } else {
                                nb += 1;
                            }
                        }
                        counts.push((*a, na));
                        counts.push((*b, nb));
                    }
                }
            }
            episodes.push(counts);
        }
        Self {
            activity,
            episodes,
            crony_style,
            capture_petition,
        }
    }

    /// Planted episodes of `p` in window quarter `qi` (none outside the
    /// planted period). An episode is one accusation, one split job (two or
    /// three awards), one crony award, one collusive tender, one captured
    /// enrolment, one dead beneficiary still paid, or one clue.
    pub(crate) fn episodes(&self, d: &District, qi: usize, p: Pattern) -> usize {
        if !d.planted_quarter(qi) {
            return 0;
        }
        self.episodes
            .get(qi - d.planted_from_index())
            .and_then(|c| c.iter().find(|(q, _)| *q == p))
            .map_or(0, |(_, n)| *n)
    }

    /// All planted episodes in window quarter `qi`.
    #[cfg(test)]
    pub(crate) fn total_episodes(&self, d: &District, qi: usize) -> usize {
        if !d.planted_quarter(qi) {
            return 0;
        }
        self.episodes
            .get(qi - d.planted_from_index())
            .map_or(0, |c| c.iter().map(|(_, n)| n).sum())
    }
}

/// Plants the field profile's patterns and look-alikes: planted villages
/// take the patterns in turn (a quarter of them a second one); the
/// look-alike groups are disjoint sets of the remaining, clean villages.
pub(crate) fn plant(opts: &GenerateOptions, villages: &mut [Village]) {
    let mut rng = cell_rng(opts.seed, Stream::FieldDistrict, 0, 0);
    let n = villages.len();
    let mut planted = (opts.planted_share * n as f64).round() as usize;
    if n >= 5 {
        planted = planted.max(1);
    }
    let planted = planted.min(n);
    // A random order of all villages: the first are planted, the next
    // look alike.
    let order = index::sample(&mut rng, n, n).into_vec();
    for (j, &v) in order[..planted].iter().enumerate() {
        let primary = Pattern::FIELD[j % Pattern::FIELD.len()];
        let mut patterns = vec![primary];
        if rng.random_bool(SECOND_PATTERN) {
            let others: Vec<Pattern> = Pattern::FIELD
                .into_iter()
                .filter(|p| *p != primary)
                .collect();
            patterns.push(others[rng.random_range(0..others.len())]);
        }
        patterns.sort();
        villages[v].patterns = patterns;
    }
    let per_group = ((LOOKALIKE_SHARE * n as f64).round() as usize).max(usize::from(n >= 25));
    let mut clean = order[planted..].iter();
    for group in Lookalike::ALL {
        for _ in 0..per_group {
            if let Some(&v) = clean.next() {
                villages[v].lookalikes.push(group);
            }
        }
    }
}

/// The firm linked to a serving cadre (legal representative or
/// shareholder, as the registry records it) in villages that need one: the
/// crony of `crony_contracts` and `collusive_tender`, the disclosed firm of
/// `linked_fair_winner`. Never one of the village's usual suppliers.
pub(crate) fn link_firm(
    d: &District,
    v: &Village,
    cadres: &mut [Cadre],
    favourites: &[u64],
) -> Option<u64> {
    let needed = v.has(Pattern::CronyContracts)
        || v.has(Pattern::CollusiveTender)
        || v.looks_like(Lookalike::LinkedFairWinner);
    if !needed {
        return None;
    }
    let mut rng = cell_rng(d.seed, Stream::FieldPeople, v.idx, 0);
    let role = pick(&mut rng, LINKED_CADRES);
    // Serving to the end of the window: the successor where a role changed.
    let mut serving = serving_to_the_end(cadres, role);
    if serving.is_empty() {
        serving = (0..cadres.len())
            .filter(|&i| cadres[i].term_end.is_none())
            .collect();
    }
    let &i = serving.get(rng.random_range(0..serving.len().max(1)))?;
    let pool = d.townships[v.township].suppliers;
    let mut supplier = District::township_supplier(v.township, rng.random_range(pool / 2..pool));
    for _ in 0..8 {
        if !favourites.contains(&supplier) {
            break;
        }
        supplier = District::township_supplier(v.township, rng.random_range(pool / 2..pool));
    }
    Some(link(&mut cadres[i], supplier, &mut rng))
}

/// The cadres behind a cadre-linked firm: mostly the leaders.
const LINKED_CADRES: &[(&str, f64)] = &[
    (SECRETARY, 0.45),
    (DIRECTOR, 0.30),
    (COMMITTEE, 0.15),
    (ACCOUNTANT, 0.10),
];

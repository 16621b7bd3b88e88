//! Field profile, cases (问题线索与案件): `cases.parquet` as the extract
//! arrives (the same Chinese headers and loosened types as the standard
//! profile, mapped by `catalog.toml`), village then quarter order. Most
//! clues end in a talk or are closed; few are filed. Planted here:
//! `case_cluster`, clues against serving cadres for micro-corruption,
//! some verified and filed, now and then under the fourth form, often
//! only one clue in a quarter.

use std::path::Path;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::super::GenerateError;
use super::super::cases::{Case, MONEY, subject, talk};
use super::super::district::{Cell, District};
use super::super::rng::{Stream, day_in, log_uniform, pick, poisson};
use super::super::vocab::{
    ACCOUNTANT, COMMITTEE, DIRECTOR, OTHER_ROLE, SECRETARY, SUPERVISOR, TOWNSHIP_OFFICIAL,
};
use super::super::{Lookalike, Pattern};
use super::plan::VillagePlan;

/// Clues per 1,000 residents per quarter, before activity.
const RATE: f64 = 0.05;
/// A noisy village's many petitions bring more clues (mostly closed).
const NOISY: f64 = 1.6;

/// Writes `cases.parquet`; returns the rows written.
pub(crate) fn write(d: &District, out_dir: &Path) -> Result<u64, GenerateError> {
    super::write_cells(d, &out_dir.join("cases.parquet"), 0..d.quarters.len(), cell)
}

/// The clues of one village received in one quarter, in receipt order.
pub(crate) fn cell(c: &Cell, plan: &VillagePlan) -> Vec<Case> {
    let mut rng = c.rng(Stream::FieldCases);
    let noisy = c.v.looks_like(Lookalike::NoisyClean);
    let mean = c.v.volume(c.d) * RATE * plan.activity * if noisy { NOISY } else { 1.0 };
    let n = poisson(&mut rng, mean);
    let mut out: Vec<Case> = (0..n).map(|_| ordinary(c, noisy, &mut rng)).collect();
    for _ in 0..plan.episodes(c.d, c.qi, Pattern::CaseCluster) {
        out.push(cluster(c, &mut rng));
    }
    out.sort_by_key(|k| k.received);
    for (i, k) in out.iter_mut().enumerate() {
        k.case_id = format!("XS{}{}{:03}", c.v.code, c.quarter(), i + 1);
    }
    out
}

/// A first-form talk, ending in criticism with chance `criticism`.
fn talk_or_criticise(rng: &mut ChaCha8Rng, case: &mut Case, criticism: f64) {
    let sanction = if rng.random_bool(criticism) {
        "criticism"
    } else {
        "none"
    };
    talk(case, sanction);
}

/// Files the clue as a case under `form`; the sanction comes with the
/// conclusion if it falls before the extract date.
fn file(c: &Cell, rng: &mut ChaCha8Rng, case: &mut Case, filed: i32, form: i32) {
    case.filed = Some(filed);
    case.form = Some(form);
    let closed = filed + rng.random_range(40..=200);
    if closed <= c.d.as_of {
        case.closed = Some(closed);
        case.sanction = Some(match form {
            2 => pick(rng, &[("warning", 0.65), ("serious_warning", 0.35)]),
            3 => pick(rng, &[("removal", 0.45), ("probation", 0.55)]),
            _ => pick(rng, &[("expulsion", 0.6), ("prosecution", 0.4)]),
        });
    }
}

const SUBJECTS: &[(&str, f64)] = &[
    (SECRETARY, 0.24),
    (DIRECTOR, 0.18),
    (COMMITTEE, 0.16),
    (ACCOUNTANT, 0.10),
    (SUPERVISOR, 0.04),
    (OTHER_ROLE, 0.10),
    (TOWNSHIP_OFFICIAL, 0.18),
];
const ORIGINS: &[(&str, f64)] = &[
    ("petition", 0.45),
    ("inspection", 0.18),
    ("audit", 0.10),
    ("big_data", 0.07),
    ("self_report", 0.04),
    ("other", 0.16),
];
const NOISY_ORIGINS: &[(&str, f64)] = &[("petition", 0.75), ("inspection", 0.1), ("other", 0.15)];
const DISPOSALS: &[(&str, f64)] = &[
    ("talk", 0.38),
    ("close", 0.34),
    ("verify", 0.16),
    ("shelve", 0.12),
];
const NOISY_DISPOSALS: &[(&str, f64)] = &[
    ("close", 0.55),
    ("talk", 0.30),
    ("shelve", 0.10),
    ("verify", 0.05),
];
const VIOLATIONS: &[(&str, f64)] = &[
    ("eight_rules", 0.22),
    ("dereliction", 0.16),
    ("favouritism", 0.12),
    ("collective_assets", 0.12),
    ("embezzlement", 0.08),
    ("false_claims", 0.08),
    ("extortion", 0.04),
    ("bribery", 0.04),
    ("other", 0.14),
];

fn ordinary(c: &Cell, noisy: bool, rng: &mut ChaCha8Rng) -> Case {
    let d = c.d;
    let received = day_in(rng, c.start, c.end);
    let (role, person) = subject(c, rng, received, SUBJECTS, (0.85, 0.9));
    let mut case = Case::received(c.v, received, role, person);
    case.origin = pick(rng, if noisy { NOISY_ORIGINS } else { ORIGINS });
    case.disposal = if received > d.as_of - 30 && rng.random_bool(0.5) {
        "pending"
    } else {
        pick(rng, if noisy { NOISY_DISPOSALS } else { DISPOSALS })
    };
    case.violation = match case.disposal {
        "verify" => Some(pick(rng, VIOLATIONS)),
        "talk" if rng.random_bool(0.5) => Some(pick(rng, VIOLATIONS)),
        _ => None,
    };
    case.amount_cents = case
        .violation
        .filter(|v| MONEY.contains(v))
        .map(|_| (log_uniform(rng, 500.0, 30_000.0) * 100.0).round() as i64);
    match case.disposal {
        "talk" => talk_or_criticise(rng, &mut case, 0.4),
        "close" => case.sanction = Some("none"),
        "verify" => {
            let filed = received + rng.random_range(20..=90);
            if rng.random_bool(0.3) && filed <= d.as_of {
                let form = pick(rng, &[(2, 0.75), (3, 0.22), (4, 0.03)]);
                file(c, rng, &mut case, filed, form);
            } else if rng.random_bool(0.5) {
                talk_or_criticise(rng, &mut case, 0.5);
            }
        }
        _ => {}
    }
    case
}

/// Planted `case_cluster`: one clue against a serving cadre for
/// micro-corruption (small sums embezzled or falsely claimed, fees
/// extorted, favours done); some verified and filed, rarely under the
/// fourth form, others settled with a talk.
fn cluster(c: &Cell, rng: &mut ChaCha8Rng) -> Case {
    let d = c.d;
    let received = day_in(rng, c.start, c.end);
    let role = pick(
        rng,
        &[
            (SECRETARY, 0.30),
            (DIRECTOR, 0.25),
            (ACCOUNTANT, 0.25),
            (COMMITTEE, 0.20),
        ],
    );
    let person = c
        .people
        .serving(role, received, rng)
        .map(|p| d.person_id(p.person));
    let mut case = Case::received(c.v, received, role, person);
    case.origin = pick(
        rng,
        &[("petition", 0.40), ("inspection", 0.35), ("audit", 0.25)],
    );
    let violation = pick(
        rng,
        &[
            ("embezzlement", 0.30),
            ("false_claims", 0.30),
            ("extortion", 0.15),
            ("favouritism", 0.25),
        ],
    );
    case.violation = Some(violation);
    case.amount_cents = MONEY
        .contains(&violation)
        .then(|| (log_uniform(rng, 2_000.0, 80_000.0) * 100.0).round() as i64);
    let recent = received > d.as_of - 20;
    case.disposal = if recent && rng.random_bool(0.6) {
        "pending"
    } else if rng.random_bool(0.65) {
        "verify"
    } else {
        "talk"
    };
    match case.disposal {
        "verify" => {
            let filed = received + rng.random_range(10..=45);
            if rng.random_bool(0.55) && filed <= d.as_of {
                let form = pick(rng, &[(2, 0.6), (3, 0.32), (4, 0.08)]);
                file(c, rng, &mut case, filed, form);
            }
        }
        "talk" => talk_or_criticise(rng, &mut case, 0.8),
        _ => {}
    }
    case
}

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
use super::super::cases::{Case, CaseRows};
use super::super::district::{District, People, Village};
use super::super::rng::{Stream, cell_rng, day_in, log_uniform, pick, poisson};
use super::super::vocab::{
    ACCOUNTANT, COMMITTEE, DIRECTOR, OTHER_ROLE, SECRETARY, SUPERVISOR, TOWNSHIP_OFFICIAL,
};
use super::super::{Lookalike, Pattern};
use super::plan::VillagePlan;

/// Clues per 1,000 residents per quarter, before activity.
const RATE: f64 = 0.05;
/// A noisy village's many petitions bring more clues (mostly closed).
const NOISY: f64 = 1.6;
/// Violations that involve money, and so an amount.
const MONEY: &[&str] = &[
    "embezzlement",
    "false_claims",
    "extortion",
    "collective_assets",
    "bribery",
];

/// Writes `cases.parquet`; returns the rows written.
pub(crate) fn write(d: &District, out_dir: &Path) -> Result<u64, GenerateError> {
    super::write_cells(
        d,
        &out_dir.join("cases.parquet"),
        CaseRows::new(),
        0..d.quarters.len(),
        cell,
    )
}

/// The clues of one village received in one quarter, in receipt order.
pub(crate) fn cell(
    d: &District,
    v: &Village,
    people: &People,
    plan: &VillagePlan,
    qi: usize,
) -> Vec<Case> {
    let mut rng = cell_rng(d.seed, Stream::FieldCases, v.idx, qi);
    let (start, end) = d.quarter_days(qi);
    let noisy = v.looks_like(Lookalike::NoisyClean);
    let mean = v.volume(d) * RATE * plan.activity * if noisy { NOISY } else { 1.0 };
    let n = poisson(&mut rng, mean);
    let mut out: Vec<Case> = (0..n)
        .map(|_| ordinary(d, v, people, noisy, &mut rng, start, end))
        .collect();
    for _ in 0..plan.episodes(d, qi, Pattern::CaseCluster) {
        out.push(cluster(d, v, people, &mut rng, start, end));
    }
    out.sort_by_key(|c| c.received);
    for (i, c) in out.iter_mut().enumerate() {
        c.case_id = format!("XS{}{}{:03}", v.code, d.quarters[qi], i + 1);
    }
    out
}

fn blank(v: &Village, received: i32, role: &'static str, person: Option<String>) -> Case {
    Case {
        case_id: String::new(),
        village_code: v.code.clone(),
        subject_person_id: person,
        subject_role: role,
        received,
        origin: "other",
        disposal: "pending",
        filed: None,
        closed: None,
        violation: None,
        amount_cents: None,
        sanction: None,
        form: None,
    }
}

/// A first-form outcome: a talk, with or without criticism.
fn talk(rng: &mut ChaCha8Rng, case: &mut Case, criticism: f64) {
    case.form = Some(1);
    case.sanction = Some(if rng.random_bool(criticism) {
        "criticism"
    } else {
        "none"
    });
}

/// Files the clue as a case under `form`; the sanction comes with the
/// conclusion if it falls before the extract date.
fn file(d: &District, rng: &mut ChaCha8Rng, case: &mut Case, filed: i32, form: i32) {
    case.filed = Some(filed);
    case.form = Some(form);
    let closed = filed + rng.random_range(40..=200);
    if closed <= d.as_of {
        case.closed = Some(closed);
        case.sanction = Some(match form {
            2 => pick(rng, &[("warning", 0.65), ("serious_warning", 0.35)]),
            3 => pick(rng, &[("removal", 0.45), ("probation", 0.55)]),
            _ => pick(rng, &[("expulsion", 0.6), ("prosecution", 0.4)]),
        });
    }
}

fn ordinary(
    d: &District,
    v: &Village,
    people: &People,
    noisy: bool,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
) -> Case {
    let received = day_in(rng, start, end);
    let role = pick(
        rng,
        &[
            (SECRETARY, 0.24),
            (DIRECTOR, 0.18),
            (COMMITTEE, 0.16),
            (ACCOUNTANT, 0.10),
            (SUPERVISOR, 0.04),
            (OTHER_ROLE, 0.10),
            (TOWNSHIP_OFFICIAL, 0.18),
        ],
    );
    let person = match role {
        OTHER_ROLE => None,
        TOWNSHIP_OFFICIAL => rng.random_bool(0.85).then(|| d.official(v.township, rng)),
        _ => people
            .serving(role, received, rng)
            .filter(|_| rng.random_bool(0.9))
            .map(|c| c.person),
    };
    let mut case = blank(v, received, role, person.map(|p| d.person_id(p)));
    case.origin = if noisy {
        pick(
            rng,
            &[("petition", 0.75), ("inspection", 0.1), ("other", 0.15)],
        )
    } else {
        pick(
            rng,
            &[
                ("petition", 0.45),
                ("inspection", 0.18),
                ("audit", 0.10),
                ("big_data", 0.07),
                ("self_report", 0.04),
                ("other", 0.16),
            ],
        )
    };
    case.disposal = if received > d.as_of - 30 && rng.random_bool(0.5) {
        "pending"
    } else if noisy {
        pick(
            rng,
            &[
                ("close", 0.55),
                ("talk", 0.30),
                ("shelve", 0.10),
                ("verify", 0.05),
            ],
        )
    } else {
        pick(
            rng,
            &[
                ("talk", 0.38),
                ("close", 0.34),
                ("verify", 0.16),
                ("shelve", 0.12),
            ],
        )
    };
    let violations = [
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
    case.violation = match case.disposal {
        "verify" => Some(pick(rng, &violations)),
        "talk" if rng.random_bool(0.5) => Some(pick(rng, &violations)),
        _ => None,
    };
    case.amount_cents = case
        .violation
        .filter(|v| MONEY.contains(v))
        .map(|_| (log_uniform(rng, 500.0, 30_000.0) * 100.0).round() as i64);
    match case.disposal {
        "talk" => talk(rng, &mut case, 0.4),
        "close" => case.sanction = Some("none"),
        "verify" => {
            let filed = received + rng.random_range(20..=90);
            if rng.random_bool(0.3) && filed <= d.as_of {
                let form = pick(rng, &[(2, 0.75), (3, 0.22), (4, 0.03)]);
                file(d, rng, &mut case, filed, form);
            } else if rng.random_bool(0.5) {
                talk(rng, &mut case, 0.5);
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
fn cluster(
    d: &District,
    v: &Village,
    people: &People,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
) -> Case {
    let received = day_in(rng, start, end);
    let role = pick(
        rng,
        &[
            (SECRETARY, 0.30),
            (DIRECTOR, 0.25),
            (ACCOUNTANT, 0.25),
            (COMMITTEE, 0.20),
        ],
    );
    let person = people
        .serving(role, received, rng)
        .map(|c| d.person_id(c.person));
    let mut case = blank(v, received, role, person);
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
                file(d, rng, &mut case, filed, form);
            }
        }
        "talk" => talk(rng, &mut case, 0.8),
        _ => {}
    }
    case
}

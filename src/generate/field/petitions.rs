//! Field profile, petitions (信访举报): one file, `petitions.parquet`, in
//! village then quarter order. Ordinary petitions are mostly requests,
//! enquiries and appeals, scaled by the village's activity and a winter
//! peak; accusations are mostly found unsubstantiated. Planted here:
//! `petition_pressure` (accusations, mostly repeats by one or two
//! complainants, naming the secretary or director), the repeat petition
//! about a crony project, the petition that sometimes follows
//! `benefit_capture`; and the `noisy_clean` look-alike (many petitions from
//! many different people, accusations found unsubstantiated).

use std::path::Path;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::super::GenerateError;
use super::super::district::{District, LOCAL_BITS, People, Village};
use super::super::petitions::{Petition, PetitionRows, accused_leaders};
use super::super::rng::{Stream, cell_rng, day_in, pick, poisson};
use super::super::vocab::{
    ACCOUNTANT, COMMITTEE, DIRECTOR, OTHER_ROLE, SECRETARY, SUPERVISOR, TOWNSHIP_OFFICIAL,
};
use super::super::{Lookalike, Pattern};
use super::plan::{CronyStyle, VillagePlan};
use super::season;

/// Ordinary petitions per 1,000 residents per quarter, before activity.
const RATE: f64 = 0.45;
/// Petitions peak around the Spring Festival and the year-end accounts.
const SEASON: [f64; 4] = [1.2, 0.95, 0.85, 1.0];
/// How much more a `noisy_clean` village petitions.
const NOISY: f64 = 3.0;
/// Reply deadline, days after receipt.
const DUE_DAYS: i32 = 60;
/// Complainant numbers: the village's chronic petitioners, the planted
/// complainants, the crony-project complainant, then everyone.
const CHRONIC: u64 = 3;
const PRESSURE_BASE: u64 = 3;
const PROJECT_COMPLAINANT: u64 = 5;
const GENERAL_BASE: u64 = 8;

/// Writes `petitions.parquet`; returns the rows written.
pub(crate) fn write(d: &District, out_dir: &Path) -> Result<u64, GenerateError> {
    super::write_cells(
        d,
        &out_dir.join("petitions.parquet"),
        PetitionRows::new(),
        0..d.quarters.len(),
        cell,
    )
}

/// The petitions of one village received in one quarter, in receipt order.
pub(crate) fn cell(
    d: &District,
    v: &Village,
    people: &People,
    plan: &VillagePlan,
    qi: usize,
) -> Vec<Petition> {
    let mut rng = cell_rng(d.seed, Stream::FieldPetitions, v.idx, qi);
    let (start, end) = d.quarter_days(qi);
    let noisy = v.looks_like(Lookalike::NoisyClean);
    let mean = v.volume(d)
        * RATE
        * plan.activity
        * season(d.quarters[qi], SEASON)
        * if noisy { NOISY } else { 1.0 };
    let n = poisson(&mut rng, mean);
    let mut out: Vec<Petition> = (0..n)
        .map(|_| ordinary(d, v, people, noisy, &mut rng, start, end))
        .collect();
    let pressure_n = plan.episodes(d, qi, Pattern::PetitionPressure);
    if pressure_n > 0 {
        pressure(d, v, people, plan, qi, pressure_n, &mut rng, &mut out);
    }
    let crony_petition = matches!(plan.crony_style, CronyStyle::Open { petition: true, .. });
    if crony_petition && plan.episodes(d, qi, Pattern::CronyContracts) > 0 {
        out.push(project_petition(d, v, people, &mut rng, start, end));
    }
    if plan.capture_petition && plan.episodes(d, qi, Pattern::BenefitCapture) > 0 {
        out.push(assistance_petition(d, v, people, &mut rng, start, end));
    }
    out.sort_by_key(|p| p.received);
    for (i, p) in out.iter_mut().enumerate() {
        p.petition_id = Some(format!("XF{}{}{:04}", v.code, d.quarters[qi], i + 1));
    }
    out
}

fn complainant(d: &District, v: &Village, k: u64) -> String {
    d.keys.complainant((v.idx as u64) << LOCAL_BITS | k)
}

/// Days to a reply: most within the deadline, some late.
fn reply_days(rng: &mut ChaCha8Rng) -> i32 {
    let u: f64 = rng.random();
    if u < 0.82 {
        rng.random_range(10..=55)
    } else if u < 0.96 {
        rng.random_range(50..=70)
    } else {
        rng.random_range(70..=120)
    }
}

/// The accused role and, where the role is a person, who held it.
fn accused(
    d: &District,
    v: &Village,
    people: &People,
    rng: &mut ChaCha8Rng,
    received: i32,
    roles: &[(&'static str, f64)],
) -> (Option<&'static str>, Option<String>) {
    let role = pick(rng, roles);
    let person = match role {
        OTHER_ROLE => None,
        TOWNSHIP_OFFICIAL => Some(d.official(v.township, rng)),
        _ => people.serving(role, received, rng).map(|c| c.person),
    };
    (Some(role), person.map(|p| d.person_id(p)))
}

fn satisfaction(
    rng: &mut ChaCha8Rng,
    closed: Option<i32>,
    anonymous: bool,
    w: [f64; 3],
) -> Option<&'static str> {
    (closed.is_some() && !anonymous).then(|| {
        pick(
            rng,
            &[
                ("satisfied", w[0]),
                ("basically", w[1]),
                ("unsatisfied", w[2]),
            ],
        )
    })
}

/// An ordinary petition received in `[start, end)`.
fn ordinary(
    d: &District,
    v: &Village,
    people: &People,
    noisy: bool,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
) -> Petition {
    let received = day_in(rng, start, end);
    let kind = if noisy {
        pick(
            rng,
            &[
                ("request", 0.40),
                ("enquiry", 0.30),
                ("accusation", 0.18),
                ("suggestion", 0.06),
                ("appeal", 0.06),
            ],
        )
    } else {
        pick(
            rng,
            &[
                ("request", 0.36),
                ("enquiry", 0.26),
                ("accusation", 0.18),
                ("appeal", 0.12),
                ("suggestion", 0.08),
            ],
        )
    };
    let category = match kind {
        "accusation" => pick(
            rng,
            &[
                ("conduct", 0.25),
                ("collective_assets", 0.20),
                ("projects", 0.15),
                ("assistance", 0.15),
                ("land", 0.15),
                ("elections", 0.05),
                ("other", 0.05),
            ],
        ),
        "request" => pick(
            rng,
            &[
                ("assistance", 0.35),
                ("land", 0.25),
                ("projects", 0.12),
                ("collective_assets", 0.08),
                ("other", 0.20),
            ],
        ),
        "enquiry" => pick(
            rng,
            &[
                ("assistance", 0.40),
                ("land", 0.20),
                ("collective_assets", 0.10),
                ("elections", 0.05),
                ("other", 0.25),
            ],
        ),
        "appeal" => pick(
            rng,
            &[
                ("land", 0.40),
                ("assistance", 0.30),
                ("collective_assets", 0.10),
                ("other", 0.20),
            ],
        ),
        _ => pick(
            rng,
            &[
                ("projects", 0.35),
                ("collective_assets", 0.15),
                ("conduct", 0.15),
                ("other", 0.35),
            ],
        ),
    };
    let channel = pick(
        rng,
        &[
            ("online", 0.30),
            ("phone", 0.28),
            ("visit", 0.20),
            ("letter", 0.17),
            ("other", 0.05),
        ],
    );
    let accusation = kind == "accusation";
    let is_anonymous = rng.random_bool(if accusation { 0.35 } else { 0.02 });
    let (accused_role, accused_person_id) = if accusation && rng.random_bool(0.85) {
        accused(
            d,
            v,
            people,
            rng,
            received,
            &[
                (SECRETARY, 0.28),
                (DIRECTOR, 0.20),
                (COMMITTEE, 0.14),
                (ACCOUNTANT, 0.10),
                (SUPERVISOR, 0.04),
                (OTHER_ROLE, 0.06),
                (TOWNSHIP_OFFICIAL, 0.18),
            ],
        )
    } else {
        (None, None)
    };
    // Chronic petitioners come back about their land or their appeal; a
    // noisy village's petitions come from many people, once each.
    let chronic = !noisy && matches!(kind, "appeal" | "accusation" | "request");
    let (complainant_key, is_repeat) = if is_anonymous {
        (None, false)
    } else if chronic && rng.random_bool(0.08) {
        (Some(complainant(d, v, rng.random_range(0..CHRONIC))), true)
    } else {
        let divisor = if noisy { 2 } else { 6 };
        let pool = (v.population as u64 / divisor).max(40);
        let k = GENERAL_BASE + rng.random_range(0..pool);
        (Some(complainant(d, v, k)), false)
    };
    let received_plus = received + reply_days(rng);
    let closed = (received_plus <= d.as_of).then_some(received_plus);
    let finding = match (kind, closed) {
        ("accusation", Some(_)) if noisy => {
            Some(pick(rng, &[("unsubstantiated", 0.92), ("partly", 0.08)]))
        }
        ("accusation", Some(_)) => Some(pick(
            rng,
            &[
                ("unsubstantiated", 0.70),
                ("partly", 0.19),
                ("substantiated", 0.11),
            ],
        )),
        ("appeal", Some(_)) => Some(pick(
            rng,
            &[
                ("unsubstantiated", 0.60),
                ("partly", 0.25),
                ("substantiated", 0.15),
            ],
        )),
        ("accusation" | "appeal", None) => Some("pending"),
        _ => None,
    };
    let weights = if finding == Some("unsubstantiated") {
        [0.45, 0.35, 0.20]
    } else {
        [0.68, 0.24, 0.08]
    };
    Petition {
        petition_id: None,
        village_code: v.code.clone(),
        received,
        channel,
        category,
        kind,
        accused_role,
        accused_person_id,
        complainant_key,
        is_anonymous,
        is_repeat,
        due: Some(received + DUE_DAYS),
        closed,
        finding,
        satisfaction: satisfaction(rng, closed, is_anonymous, weights),
    }
}

/// Planted `petition_pressure`: `n` accusations naming the serving
/// secretary or director, from one or two complainants who come back
/// (often they had petitioned before the window too); some found true.
#[allow(clippy::too_many_arguments)]
fn pressure(
    d: &District,
    v: &Village,
    people: &People,
    plan: &VillagePlan,
    qi: usize,
    n: usize,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<Petition>,
) {
    // Choices that hold for the whole planted period.
    let mut village_rng = cell_rng(d.seed, Stream::FieldPetitions, v.idx, usize::MAX);
    let (target, other) = accused_leaders(&mut village_rng);
    let complainants = village_rng.random_range(1..=2usize);
    let petitioned_before = village_rng.random_bool(0.5);
    // Episodes of the earlier planted quarters: complainants take turns.
    let earlier: usize = (d.planted_from_index()..qi)
        .map(|q| plan.episodes(d, q, Pattern::PetitionPressure))
        .sum();

    let (start, end) = d.quarter_days(qi);
    let mut days: Vec<i32> = (0..n).map(|_| day_in(rng, start, end)).collect();
    days.sort_unstable();
    for (i, received) in days.into_iter().enumerate() {
        let e = earlier + i;
        let role = if rng.random_bool(0.85) { target } else { other };
        let accused_person_id = people
            .serving(role, received, rng)
            .map(|c| d.person_id(c.person));
        let is_anonymous = e > 0 && rng.random_bool(0.12);
        let (complainant_key, is_repeat) = if is_anonymous {
            (None, false)
        } else {
            let c = (e % complainants) as u64;
            let repeat = petitioned_before || e >= complainants;
            (Some(complainant(d, v, PRESSURE_BASE + c)), repeat)
        };
        let days = if rng.random_bool(0.45) {
            rng.random_range(61..=110)
        } else {
            rng.random_range(30..=60)
        };
        let closed = (received + days <= d.as_of).then_some(received + days);
        let finding = Some(match closed {
            None => "pending",
            Some(_) => pick(
                rng,
                &[
                    ("unsubstantiated", 0.40),
                    ("partly", 0.35),
                    ("substantiated", 0.25),
                ],
            ),
        });
        out.push(Petition {
            petition_id: None,
            village_code: v.code.clone(),
            received,
            channel: pick(
                rng,
                &[
                    ("visit", 0.35),
                    ("letter", 0.30),
                    ("online", 0.20),
                    ("phone", 0.15),
                ],
            ),
            category: pick(
                rng,
                &[
                    ("collective_assets", 0.35),
                    ("projects", 0.25),
                    ("land", 0.20),
                    ("assistance", 0.20),
                ],
            ),
            kind: "accusation",
            accused_role: Some(role),
            accused_person_id,
            complainant_key,
            is_anonymous,
            is_repeat,
            due: Some(received + DUE_DAYS),
            closed,
            finding,
            satisfaction: satisfaction(rng, closed, is_anonymous, [0.15, 0.30, 0.55]),
        });
    }
}

/// A villager who has complained about the crony project before complains
/// again (the crony award itself looked fine).
fn project_petition(
    d: &District,
    v: &Village,
    people: &People,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
) -> Petition {
    let received = day_in(rng, (end - 40).max(start), end);
    let (accused_role, accused_person_id) = accused(
        d,
        v,
        people,
        rng,
        received,
        &[(SECRETARY, 0.55), (DIRECTOR, 0.35), (COMMITTEE, 0.10)],
    );
    let days = rng.random_range(30..=90);
    let closed = (received + days <= d.as_of).then_some(received + days);
    let finding = Some(match closed {
        None => "pending",
        Some(_) => pick(
            rng,
            &[
                ("partly", 0.4),
                ("unsubstantiated", 0.4),
                ("substantiated", 0.2),
            ],
        ),
    });
    Petition {
        petition_id: None,
        village_code: v.code.clone(),
        received,
        channel: pick(rng, &[("visit", 0.4), ("letter", 0.3), ("online", 0.3)]),
        category: "projects",
        kind: "accusation",
        accused_role,
        accused_person_id,
        complainant_key: Some(complainant(d, v, PROJECT_COMPLAINANT)),
        is_anonymous: false,
        is_repeat: true,
        due: Some(received + DUE_DAYS),
        closed,
        finding,
        satisfaction: satisfaction(rng, closed, false, [0.2, 0.3, 0.5]),
    }
}

/// After a relative of a cadre or an ineligible household was enrolled, a
/// villager refused assistance complains or appeals.
fn assistance_petition(
    d: &District,
    v: &Village,
    people: &People,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
) -> Petition {
    let received = day_in(rng, start + (end - start) / 3, end);
    let kind = if rng.random_bool(0.7) {
        "accusation"
    } else {
        "appeal"
    };
    let (accused_role, accused_person_id) = if kind == "accusation" {
        accused(
            d,
            v,
            people,
            rng,
            received,
            &[(SECRETARY, 0.4), (DIRECTOR, 0.35), (COMMITTEE, 0.25)],
        )
    } else {
        (None, None)
    };
    let pool = (v.population as u64 / 6).max(40);
    let days = reply_days(rng);
    let closed = (received + days <= d.as_of).then_some(received + days);
    let finding = Some(match closed {
        None => "pending",
        Some(_) => pick(
            rng,
            &[
                ("partly", 0.35),
                ("unsubstantiated", 0.45),
                ("substantiated", 0.20),
            ],
        ),
    });
    Petition {
        petition_id: None,
        village_code: v.code.clone(),
        received,
        channel: pick(rng, &[("visit", 0.4), ("phone", 0.3), ("online", 0.3)]),
        category: "assistance",
        kind,
        accused_role,
        accused_person_id,
        complainant_key: Some(complainant(d, v, GENERAL_BASE + rng.random_range(0..pool))),
        is_anonymous: false,
        is_repeat: rng.random_bool(0.3),
        due: Some(received + DUE_DAYS),
        closed,
        finding,
        satisfaction: satisfaction(rng, closed, false, [0.3, 0.3, 0.4]),
    }
}

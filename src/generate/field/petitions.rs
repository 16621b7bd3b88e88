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
use super::super::district::{Cell, District};
use super::super::petitions::{
    Petition, accusation_reply, accused, accused_leaders, complainant, days_in, leader, reply_days,
    satisfaction,
};
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
/// Complainant numbers: the village's chronic petitioners, the planted
/// complainants, the crony-project complainant, then everyone.
const CHRONIC: u64 = 3;
const PRESSURE_BASE: u64 = 3;
const PROJECT_COMPLAINANT: u64 = 5;
const GENERAL_BASE: u64 = 8;

/// Writes `petitions.parquet`; returns the rows written.
pub(crate) fn write(d: &District, out_dir: &Path) -> Result<u64, GenerateError> {
    let path = out_dir.join("petitions.parquet");
    super::write_cells(d, &path, 0..d.quarters.len(), cell)
}

/// The petitions of one village received in one quarter, in receipt order.
pub(crate) fn cell(c: &Cell, plan: &VillagePlan) -> Vec<Petition> {
    let mut rng = c.rng(Stream::FieldPetitions);
    let noisy = c.v.looks_like(Lookalike::NoisyClean);
    let mean = c.v.volume(c.d)
        * RATE
        * plan.activity
        * season(c.quarter(), SEASON)
        * if noisy { NOISY } else { 1.0 };
    let n = poisson(&mut rng, mean);
    let mut out: Vec<Petition> = (0..n).map(|_| ordinary(c, noisy, &mut rng)).collect();
    let pressure_n = plan.episodes(c.d, c.qi, Pattern::PetitionPressure);
    if pressure_n > 0 {
        pressure(c, plan, pressure_n, &mut rng, &mut out);
    }
    let crony_petition = matches!(plan.crony_style, CronyStyle::Open { petition: true, .. });
    if crony_petition && plan.episodes(c.d, c.qi, Pattern::CronyContracts) > 0 {
        out.push(project_petition(c, &mut rng));
    }
    if plan.capture_petition && plan.episodes(c.d, c.qi, Pattern::BenefitCapture) > 0 {
        out.push(assistance_petition(c, &mut rng));
    }
    out.sort_by_key(|p| p.received);
    for (i, p) in out.iter_mut().enumerate() {
        p.petition_id = Some(format!("XF{}{}{:04}", c.v.code, c.quarter(), i + 1));
    }
    out
}

/// Days to a reply: most within the deadline, some late.
const REPLY_DAYS: [(f64, i32, i32); 3] = [(0.82, 10, 55), (0.96, 50, 70), (1.0, 70, 120)];

/// The kinds of ordinary petitions, weighted: in a `noisy_clean` village
/// and elsewhere.
const NOISY_KINDS: &[(&str, f64)] = &[
    ("request", 0.40),
    ("enquiry", 0.30),
    ("accusation", 0.18),
    ("suggestion", 0.06),
    ("appeal", 0.06),
];
const KINDS: &[(&str, f64)] = &[
    ("request", 0.36),
    ("enquiry", 0.26),
    ("accusation", 0.18),
    ("appeal", 0.12),
    ("suggestion", 0.08),
];

/// The categories of an ordinary petition of `kind`, weighted.
fn categories(kind: &str) -> &'static [(&'static str, f64)] {
    match kind {
        "accusation" => &[
            ("conduct", 0.25),
            ("collective_assets", 0.20),
            ("projects", 0.15),
            ("assistance", 0.15),
            ("land", 0.15),
            ("elections", 0.05),
            ("other", 0.05),
        ],
        "request" => &[
            ("assistance", 0.35),
            ("land", 0.25),
            ("projects", 0.12),
            ("collective_assets", 0.08),
            ("other", 0.20),
        ],
        "enquiry" => &[
            ("assistance", 0.40),
            ("land", 0.20),
            ("collective_assets", 0.10),
            ("elections", 0.05),
            ("other", 0.25),
        ],
        "appeal" => &[
            ("land", 0.40),
            ("assistance", 0.30),
            ("collective_assets", 0.10),
            ("other", 0.20),
        ],
        _ => &[
            ("projects", 0.35),
            ("collective_assets", 0.15),
            ("conduct", 0.15),
            ("other", 0.35),
        ],
    }
}

const CHANNELS: &[(&str, f64)] = &[
    ("online", 0.30),
    ("phone", 0.28),
    ("visit", 0.20),
    ("letter", 0.17),
    ("other", 0.05),
];

/// Whom ordinary accusations name.
const ACCUSED: &[(&str, f64)] = &[
    (SECRETARY, 0.28),
    (DIRECTOR, 0.20),
    (COMMITTEE, 0.14),
    (ACCOUNTANT, 0.10),
    (SUPERVISOR, 0.04),
    (OTHER_ROLE, 0.06),
    (TOWNSHIP_OFFICIAL, 0.18),
];

/// An ordinary petition received in the cell's quarter.
fn ordinary(c: &Cell, noisy: bool, rng: &mut ChaCha8Rng) -> Petition {
    let received = day_in(rng, c.start, c.end);
    let mut p = Petition::received(c.v, received);
    p.kind = pick(rng, if noisy { NOISY_KINDS } else { KINDS });
    p.category = pick(rng, categories(p.kind));
    p.channel = pick(rng, CHANNELS);
    let accusation = p.kind == "accusation";
    p.is_anonymous = rng.random_bool(if accusation { 0.35 } else { 0.02 });
    if accusation && rng.random_bool(0.85) {
        (p.accused_role, p.accused_person_id) = accused(c, rng, received, ACCUSED);
    }
    (p.complainant_key, p.is_repeat) = ordinary_complainant(c, noisy, p.kind, p.is_anonymous, rng);
    p.closed = c.by_extract(received, reply_days(rng, &REPLY_DAYS));
    p.finding = ordinary_finding(rng, noisy, p.kind, p.closed);
    let weights = if p.finding == Some("unsubstantiated") {
        [0.45, 0.35, 0.20]
    } else {
        [0.68, 0.24, 0.08]
    };
    p.satisfaction = satisfaction(rng, p.closed, p.is_anonymous, weights);
    p
}

/// Who filed an ordinary petition of `kind`, and whether it is a repeat.
/// Chronic petitioners come back about their land or their appeal; a
/// noisy village's petitions come from many people, once each.
fn ordinary_complainant(
    c: &Cell,
    noisy: bool,
    kind: &str,
    anonymous: bool,
    rng: &mut ChaCha8Rng,
) -> (Option<String>, bool) {
    let chronic = !noisy && matches!(kind, "appeal" | "accusation" | "request");
    if anonymous {
        (None, false)
    } else if chronic && rng.random_bool(0.08) {
        (Some(complainant(c, rng.random_range(0..CHRONIC))), true)
    } else {
        let divisor = if noisy { 2 } else { 6 };
        let pool = (c.v.population as u64 / divisor).max(40);
        let k = GENERAL_BASE + rng.random_range(0..pool);
        (Some(complainant(c, k)), false)
    }
}

/// The finding on an ordinary petition of `kind`: accusations and appeals
/// only, mostly unsubstantiated (in a noisy village almost always).
fn ordinary_finding(
    rng: &mut ChaCha8Rng,
    noisy: bool,
    kind: &str,
    closed: Option<i32>,
) -> Option<&'static str> {
    match (kind, closed) {
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
    }
}

/// Planted `petition_pressure`: `n` accusations naming the serving
/// secretary or director, from one or two complainants who come back
/// (often they had petitioned before the window too); some found true.
fn pressure(c: &Cell, plan: &VillagePlan, n: usize, rng: &mut ChaCha8Rng, out: &mut Vec<Petition>) {
    let d = c.d;
    // Choices that hold for the whole planted period.
    let mut village_rng = cell_rng(d.seed, Stream::FieldPetitions, c.v.idx, usize::MAX);
    let (target, other) = accused_leaders(&mut village_rng);
    let complainants = village_rng.random_range(1..=2usize);
    let petitioned_before = village_rng.random_bool(0.5);
    // Episodes of the earlier planted quarters: complainants take turns.
    let earlier: usize = (d.planted_from_index()..c.qi)
        .map(|q| plan.episodes(d, q, Pattern::PetitionPressure))
        .sum();

    for (i, received) in days_in(c, rng, n).into_iter().enumerate() {
        let e = earlier + i;
        let (role, accused_person_id) = leader(c, rng, received, (target, other, 0.85));
        let is_anonymous = e > 0 && rng.random_bool(0.12);
        let (complainant_key, is_repeat) = if is_anonymous {
            (None, false)
        } else {
            let k = (e % complainants) as u64;
            let repeat = petitioned_before || e >= complainants;
            (Some(complainant(c, PRESSURE_BASE + k)), repeat)
        };
        let days = if rng.random_bool(0.45) {
            rng.random_range(61..=110)
        } else {
            rng.random_range(30..=60)
        };
        let findings = [
            ("unsubstantiated", 0.40),
            ("partly", 0.35),
            ("substantiated", 0.25),
        ];
        let mut p = Petition::received(c.v, received);
        (p.closed, p.finding) = accusation_reply(c, rng, received, days, &findings);
        p.channel = pick(rng, PRESSURE_CHANNELS);
        p.category = pick(rng, PRESSURE_CATEGORIES);
        p.kind = "accusation";
        (p.accused_role, p.accused_person_id) = (Some(role), accused_person_id);
        (p.complainant_key, p.is_anonymous, p.is_repeat) =
            (complainant_key, is_anonymous, is_repeat);
        p.satisfaction = satisfaction(rng, p.closed, is_anonymous, [0.15, 0.30, 0.55]);
        out.push(p);
    }
}

const PRESSURE_CHANNELS: &[(&str, f64)] = &[
    ("visit", 0.35),
    ("letter", 0.30),
    ("online", 0.20),
    ("phone", 0.15),
];
const PRESSURE_CATEGORIES: &[(&str, f64)] = &[
    ("collective_assets", 0.35),
    ("projects", 0.25),
    ("land", 0.20),
    ("assistance", 0.20),
];

/// A villager who has complained about the crony project before complains
/// again (the crony award itself looked fine).
fn project_petition(c: &Cell, rng: &mut ChaCha8Rng) -> Petition {
    let received = day_in(rng, (c.end - 40).max(c.start), c.end);
    let mut p = Petition::received(c.v, received);
    p.kind = "accusation";
    p.category = "projects";
    let leaders = [(SECRETARY, 0.55), (DIRECTOR, 0.35), (COMMITTEE, 0.10)];
    (p.accused_role, p.accused_person_id) = accused(c, rng, received, &leaders);
    let days = rng.random_range(30..=90);
    let findings = [
        ("partly", 0.4),
        ("unsubstantiated", 0.4),
        ("substantiated", 0.2),
    ];
    (p.closed, p.finding) = accusation_reply(c, rng, received, days, &findings);
    p.channel = pick(rng, &[("visit", 0.4), ("letter", 0.3), ("online", 0.3)]);
    p.complainant_key = Some(complainant(c, PROJECT_COMPLAINANT));
    p.is_repeat = true;
    p.satisfaction = satisfaction(rng, p.closed, false, [0.2, 0.3, 0.5]);
    p
}

/// After a relative of a cadre or an ineligible household was enrolled, a
/// villager refused assistance complains or appeals.
fn assistance_petition(c: &Cell, rng: &mut ChaCha8Rng) -> Petition {
    let received = day_in(rng, c.start + (c.end - c.start) / 3, c.end);
    let mut p = Petition::received(c.v, received);
    p.category = "assistance";
    p.kind = if rng.random_bool(0.7) {
        "accusation"
    } else {
        "appeal"
    };
    if p.kind == "accusation" {
        let leaders = [(SECRETARY, 0.4), (DIRECTOR, 0.35), (COMMITTEE, 0.25)];
        (p.accused_role, p.accused_person_id) = accused(c, rng, received, &leaders);
    }
    let pool = (c.v.population as u64 / 6).max(40);
    let days = reply_days(rng, &REPLY_DAYS);
    let findings = [
        ("partly", 0.35),
        ("unsubstantiated", 0.45),
        ("substantiated", 0.20),
    ];
    (p.closed, p.finding) = accusation_reply(c, rng, received, days, &findings);
    p.channel = pick(rng, &[("visit", 0.4), ("phone", 0.3), ("online", 0.3)]);
    p.complainant_key = Some(complainant(c, GENERAL_BASE + rng.random_range(0..pool)));
    p.is_repeat = rng.random_bool(0.3);
    p.satisfaction = satisfaction(rng, p.closed, false, [0.3, 0.3, 0.4]);
    p
}

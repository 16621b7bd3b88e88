//! The petitions source (信访举报): `petitions/quarter=YYYYQn/part-0.parquet`,
//! partitioned by the quarter of `received_date`, with the planted
//! `petition_pressure` pattern (repeated accusations against a leader).

use std::path::Path;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::district::{Cell, District, LOCAL_BITS, Village};
use super::rng::{Stream, cell_rng, day_in, pick, poisson};
use super::sink::{Row, Rows, TableWriter};
use super::vocab::{
    ACCOUNTANT, COMMITTEE, DIRECTOR, OTHER_ROLE, SECRETARY, SUPERVISOR, TOWNSHIP_OFFICIAL,
};
use super::{Defect, GenerateError, Pattern};
use crate::contract::{self, Table};

/// Petitions per 1,000 residents per quarter.
const RATE: f64 = 0.6;
/// Statutory reply deadline, days after receipt.
const DUE_DAYS: i32 = 60;
/// Complainant numbers: frequent petitioners, then the planted ones, then everyone.
const FREQUENT: u64 = 3;
const PRESSURE_BASE: u64 = 3;
const GENERAL_BASE: u64 = 8;

#[derive(Debug, Clone)]
pub(crate) struct Petition {
    pub petition_id: Option<String>,
    pub village_code: String,
    pub received: i32,
    pub channel: &'static str,
    pub category: &'static str,
    pub kind: &'static str,
    pub accused_role: Option<&'static str>,
    pub accused_person_id: Option<String>,
    pub complainant_key: Option<String>,
    pub is_anonymous: bool,
    pub is_repeat: bool,
    pub due: Option<i32>,
    pub closed: Option<i32>,
    pub finding: Option<&'static str>,
    pub satisfaction: Option<&'static str>,
}

/// Writes one partition per quarter of the window; returns the rows written.
pub(crate) fn write(
    d: &District,
    out_dir: &Path,
    defects: &mut Vec<Defect>,
) -> Result<u64, GenerateError> {
    let mut total = 0;
    for qi in 0..d.quarters.len() {
        let rel = format!("petitions/quarter={}/part-0.parquet", d.quarters[qi]);
        let mut w = TableWriter::for_rows::<Petition>(&out_dir.join(&rel))?;
        for v in &d.villages {
            let people = d.people(v);
            for p in cell(&Cell::new(d, v, &people, qi)) {
                w.push(&p)?;
            }
        }
        if d.defects && qi + 1 == d.quarters.len() {
            insert_defects(d, qi, &rel, &mut w, defects)?;
        }
        total += w.close()?;
    }
    Ok(total)
}

/// The petitions of one village in one quarter, in receipt order.
fn cell(c: &Cell) -> Vec<Petition> {
    let mut rng = c.rng(Stream::Petitions);
    let n = poisson(&mut rng, c.v.volume(c.d) * RATE);
    let mut out: Vec<Petition> = (0..n).map(|_| ordinary(c, &mut rng)).collect();
    if c.v.has(Pattern::PetitionPressure) && c.d.active(c.v, c.qi) {
        pressure(c, &mut rng, &mut out);
    }
    out.sort_by_key(|p| p.received);
    for (i, p) in out.iter_mut().enumerate() {
        p.petition_id = Some(format!("XF-{}-{}-{:04}", c.v.code, c.quarter(), i + 1));
    }
    out
}

/// The key of complainant number `k` of the cell's village.
pub(crate) fn complainant(c: &Cell, k: u64) -> String {
    c.d.keys.complainant((c.v.idx as u64) << LOCAL_BITS | k)
}

/// The kinds of ordinary petitions, weighted.
const KINDS: &[(&str, f64)] = &[
    ("accusation", 0.30),
    ("request", 0.33),
    ("suggestion", 0.12),
    ("enquiry", 0.15),
    ("appeal", 0.10),
];

/// The categories of an ordinary petition of `kind`, weighted.
fn categories(kind: &str) -> &'static [(&'static str, f64)] {
    match kind {
        "accusation" => &[
            ("collective_assets", 0.22),
            ("projects", 0.18),
            ("assistance", 0.18),
            ("conduct", 0.22),
            ("land", 0.10),
            ("elections", 0.05),
            ("other", 0.05),
        ],
        "request" => &[
            ("land", 0.25),
            ("assistance", 0.30),
            ("projects", 0.10),
            ("collective_assets", 0.10),
            ("other", 0.25),
        ],
        "suggestion" => &[
            ("projects", 0.3),
            ("conduct", 0.2),
            ("collective_assets", 0.1),
            ("elections", 0.1),
            ("other", 0.3),
        ],
        "enquiry" => &[
            ("assistance", 0.35),
            ("land", 0.25),
            ("collective_assets", 0.10),
            ("elections", 0.05),
            ("other", 0.25),
        ],
        _ => &[
            ("land", 0.35),
            ("assistance", 0.30),
            ("collective_assets", 0.10),
            ("elections", 0.05),
            ("other", 0.20),
        ],
    }
}

const CHANNELS: &[(&str, f64)] = &[
    ("letter", 0.18),
    ("visit", 0.22),
    ("online", 0.35),
    ("phone", 0.20),
    ("other", 0.05),
];

/// Whom ordinary accusations name.
const ACCUSED: &[(&str, f64)] = &[
    (SECRETARY, 0.30),
    (DIRECTOR, 0.22),
    (COMMITTEE, 0.15),
    (ACCOUNTANT, 0.10),
    (SUPERVISOR, 0.04),
    (OTHER_ROLE, 0.04),
    (TOWNSHIP_OFFICIAL, 0.15),
];

impl Petition {
    /// A petition from `v` received on `received`, due `DUE_DAYS` later,
    /// with nothing else known yet: no id, nobody accused, no complainant,
    /// no reply (the kind, category and channel are placeholders).
    pub(crate) fn received(v: &Village, received: i32) -> Self {
        Self {
            petition_id: None,
            village_code: v.code.clone(),
            received,
            channel: "other",
            category: "other",
            kind: "enquiry",
            accused_role: None,
            accused_person_id: None,
            complainant_key: None,
            is_anonymous: false,
            is_repeat: false,
            due: Some(received + DUE_DAYS),
            closed: None,
            finding: None,
            satisfaction: None,
        }
    }
}

/// The accused role and, where the role is a person, who held it on the
/// day the petition was received.
pub(crate) fn accused(
    c: &Cell,
    rng: &mut ChaCha8Rng,
    received: i32,
    roles: &[(&'static str, f64)],
) -> (Option<&'static str>, Option<String>) {
    let Cell { d, v, people, .. } = *c;
    let role = pick(rng, roles);
    let person = match role {
        OTHER_ROLE => None,
        TOWNSHIP_OFFICIAL => Some(d.official(v.township, rng)),
        _ => people.serving(role, received, rng).map(|c| c.person),
    };
    (Some(role), person.map(|p| d.person_id(p)))
}

/// The reply to an accusation `days` after receipt: the day, if by the
/// extract date, with a finding drawn from `findings`; else pending.
pub(crate) fn accusation_reply(
    c: &Cell,
    rng: &mut ChaCha8Rng,
    received: i32,
    days: i32,
    findings: &[(&'static str, f64)],
) -> (Option<i32>, Option<&'static str>) {
    let closed = c.by_extract(received, days);
    let finding = Some(match closed {
        None => "pending",
        Some(_) => pick(rng, findings),
    });
    (closed, finding)
}

/// How a named complainant rated a reply: `w` weighs satisfied,
/// basically satisfied and unsatisfied. None before a reply or when the
/// petition was anonymous.
pub(crate) fn satisfaction(
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

/// An ordinary petition received in the cell's quarter.
fn ordinary(c: &Cell, rng: &mut ChaCha8Rng) -> Petition {
    let v = c.v;
    let received = day_in(rng, c.start, c.end);
    let kind = pick(rng, KINDS);
    let category = pick(rng, categories(kind));
    let channel = pick(rng, CHANNELS);
    let accusation = kind == "accusation";
    let is_anonymous = rng.random_bool(if accusation { 0.3 } else { 0.03 });
    let (accused_role, accused_person_id) = if accusation && rng.random_bool(0.8) {
        accused(c, rng, received, ACCUSED)
    } else {
        (None, None)
    };
    let (complainant_key, is_repeat) = if is_anonymous {
        (None, false)
    } else if rng.random_bool(0.07) {
        (Some(complainant(c, rng.random_range(0..FREQUENT))), true)
    } else {
        let pool = (v.population as u64 / 8).max(30);
        let k = GENERAL_BASE + rng.random_range(0..pool);
        (Some(complainant(c, k)), false)
    };
    let closed = c.by_extract(received, reply_days(rng, &REPLY_DAYS));
    let finding = match (kind, closed) {
        ("accusation" | "appeal", Some(_)) => Some(pick(
            rng,
            &[
                ("unsubstantiated", 0.62),
                ("partly", 0.24),
                ("substantiated", 0.14),
            ],
        )),
        ("accusation" | "appeal", None) => Some("pending"),
        _ => None,
    };
    Petition {
        channel,
        category,
        kind,
        accused_role,
        accused_person_id,
        complainant_key,
        is_anonymous,
        is_repeat,
        closed,
        finding,
        satisfaction: satisfaction(rng, closed, is_anonymous, [0.72, 0.21, 0.07]),
        ..Petition::received(v, received)
    }
}

/// Days to an ordinary reply: most within the deadline, some late.
const REPLY_DAYS: [(f64, i32, i32); 3] = [(0.80, 15, 58), (0.95, 55, 75), (1.0, 75, 110)];

/// Days to a reply, from bands `(below, first, last)`: a uniform draw
/// `u` picks the first band with `u < below`, then a day count from
/// `first` to `last`.
pub(crate) fn reply_days(rng: &mut ChaCha8Rng, bands: &[(f64, i32, i32); 3]) -> i32 {
    let u: f64 = rng.random();
    let &(_, first, last) = bands.iter().find(|b| u < b.0).unwrap_or(&bands[2]);
    rng.random_range(first..=last)
}

/// The leader planted petition pressure targets (the secretary more often),
/// and the other one, who draws the rest of the accusations.
pub(crate) fn accused_leaders(rng: &mut ChaCha8Rng) -> (&'static str, &'static str) {
    if rng.random_bool(0.6) {
        (SECRETARY, DIRECTOR)
    } else {
        (DIRECTOR, SECRETARY)
    }
}

/// Planted `petition_pressure`: several accusations against the serving
/// secretary or director, mostly repeats by the same few complainants,
/// found (partly) true more often, rated unsatisfied, often replied late.
fn pressure(c: &Cell, rng: &mut ChaCha8Rng, out: &mut Vec<Petition>) {
    // Choices that hold for the whole planted period.
    let mut village_rng = cell_rng(c.d.seed, Stream::Petitions, c.v.idx, usize::MAX);
    let (target, other) = accused_leaders(&mut village_rng);
    let n_complainants = village_rng.random_range(2..=3u64);
    let first_quarter = c.qi == c.d.planted_from_index();

    // Drawn as an i32, as it always was: the type decides the draw.
    let n = rng.random_range(4..=7i32) as usize;
    let mut seen = [false; 3];
    for (i, received) in days_in(c, rng, n).into_iter().enumerate() {
        let (role, person) = leader(c, rng, received, (target, other, 0.8));
        let is_anonymous = i > 0 && rng.random_bool(0.12);
        let (complainant_key, is_repeat) = if is_anonymous {
            (None, false)
        } else {
            let k = rng.random_range(0..n_complainants) as usize;
            let repeat = !first_quarter || seen[k];
            seen[k] = true;
            (Some(complainant(c, PRESSURE_BASE + k as u64)), repeat)
        };
        let days = if rng.random_bool(0.55) {
            rng.random_range(62..=120)
        } else {
            rng.random_range(25..=58)
        };
        let (closed, finding) = accusation_reply(c, rng, received, days, PRESSURE_FINDINGS);
        let satisfaction = (closed.is_some() && !is_anonymous).then(|| {
            pick(
                rng,
                &[
                    ("unsatisfied", 0.6),
                    ("basically", 0.25),
                    ("satisfied", 0.15),
                ],
            )
        });
        let channel = pick(
            rng,
            &[
                ("visit", 0.35),
                ("letter", 0.3),
                ("online", 0.2),
                ("phone", 0.15),
            ],
        );
        let category = pick(rng, PRESSURE_CATEGORIES);
        out.push(Petition {
            channel,
            category,
            kind: "accusation",
            accused_role: Some(role),
            accused_person_id: person,
            complainant_key,
            is_anonymous,
            is_repeat,
            closed,
            finding,
            satisfaction,
            ..Petition::received(c.v, received)
        });
    }
}

/// `n` days in the cell's quarter, in order.
pub(crate) fn days_in(c: &Cell, rng: &mut ChaCha8Rng, n: usize) -> Vec<i32> {
    let mut days: Vec<i32> = (0..n).map(|_| day_in(rng, c.start, c.end)).collect();
    days.sort_unstable();
    days
}

/// The leader a planted accusation names: `target` with chance `share`,
/// else `other`; and the person serving in that role on the day.
pub(crate) fn leader(
    c: &Cell,
    rng: &mut ChaCha8Rng,
    received: i32,
    (target, other, share): (&'static str, &'static str, f64),
) -> (&'static str, Option<String>) {
    let role = if rng.random_bool(share) {
        target
    } else {
        other
    };
    let person = c
        .people
        .serving(role, received, rng)
        .map(|p| c.d.person_id(p.person));
    (role, person)
}

const PRESSURE_FINDINGS: &[(&str, f64)] = &[
    ("substantiated", 0.3),
    ("partly", 0.4),
    ("unsubstantiated", 0.3),
];
const PRESSURE_CATEGORIES: &[(&str, f64)] = &[
    ("collective_assets", 0.35),
    ("projects", 0.25),
    ("assistance", 0.2),
    ("land", 0.2),
];

/// Appends the petition defects to the last quarter's partition.
fn insert_defects(
    d: &District,
    qi: usize,
    rel: &str,
    w: &mut TableWriter,
    defects: &mut Vec<Defect>,
) -> Result<(), GenerateError> {
    let v = &d.villages[0];
    let q = d.quarters[qi];
    let mut template = d.defect_template(qi, Stream::Petitions, ordinary);
    template.kind = "enquiry";
    template.category = "other";
    template.accused_role = None;
    template.accused_person_id = None;
    template.finding = None;

    let mut unknown = template.clone();
    let township = &d.townships[v.township].code;
    unknown.village_code = format!("{township}999");
    let id = format!("XF-{}-{q}-D001", unknown.village_code);
    unknown.petition_id = Some(id.clone());
    w.push(&unknown)?;
    let defect = format!("village_code {} is not in villages", unknown.village_code);
    defects.push(Defect::new("petitions", id, defect));

    let mut no_id = template.clone();
    no_id.petition_id = None;
    let row = w.rows();
    w.push(&no_id)?;
    let defect = format!("petition_id is null (row {row} of {rel}, counting from 0)");
    defects.push(Defect::new("petitions", String::new(), defect));

    let mut wechat = template;
    let id = format!("XF-{}-{q}-D003", v.code);
    wechat.petition_id = Some(id.clone());
    wechat.channel = "wechat";
    w.push(&wechat)?;
    let defect = "channel 'wechat' is not in the enumeration";
    defects.push(Defect::new("petitions", id, defect));
    Ok(())
}

impl Row for Petition {
    const TABLE: &'static Table = &contract::PETITIONS;

    fn append_to(&self, r: &mut Rows) {
        r.text("petition_id", self.petition_id.as_deref());
        r.text("village_code", self.village_code.as_str());
        r.date("received_date", self.received);
        r.text("channel", self.channel);
        r.text("category", self.category);
        r.text("kind", self.kind);
        r.text("accused_role", self.accused_role);
        r.text("accused_person_id", self.accused_person_id.as_deref());
        r.text("complainant_key", self.complainant_key.as_deref());
        r.flag("is_anonymous", self.is_anonymous);
        r.flag("is_repeat", self.is_repeat);
        r.date("due_date", self.due);
        r.date("closed_date", self.closed);
        r.text("finding", self.finding);
        r.text("satisfaction", self.satisfaction);
    }
}

//! The cases source (问题线索与案件): `cases.parquet`, written as a real
//! extract arrives (Chinese headers for some columns, a timestamp for the
//! receipt day, a decimal amount, a 32-bit form), with the planted
//! `case_cluster` pattern (filed cases against the village's cadres).

use std::path::Path;

use arrow::datatypes::{DataType, TimeUnit};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::district::{Cell, District, Village};
use super::rng::{Stream, day_in, log_uniform, pick, poisson};
use super::sink::{Layout, Row, Rows, TableWriter};
use super::vocab::{
    ACCOUNTANT, COMMITTEE, DIRECTOR, OTHER_ROLE, SECRETARY, SUPERVISOR, TOWNSHIP_OFFICIAL,
    cases_header,
};
use super::{Defect, GenerateError, Pattern};
use crate::contract::{self, Table};

/// Clues per 1,000 residents per quarter.
const RATE: f64 = 0.08;
/// Violations that involve money, and so an amount.
pub(crate) const MONEY: &[&str] = &[
    "embezzlement",
    "false_claims",
    "extortion",
    "collective_assets",
    "bribery",
];

#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub case_id: String,
    pub village_code: String,
    pub subject_person_id: Option<String>,
    pub subject_role: &'static str,
    pub received: i32,
    pub origin: &'static str,
    pub disposal: &'static str,
    pub filed: Option<i32>,
    pub closed: Option<i32>,
    pub violation: Option<&'static str>,
    /// Yuan in cents.
    pub amount_cents: Option<i64>,
    pub sanction: Option<&'static str>,
    pub form: Option<i32>,
}

/// Writes `cases.parquet`, village by village; returns the rows written.
pub(crate) fn write(
    d: &District,
    out_dir: &Path,
    defects: &mut Vec<Defect>,
) -> Result<u64, GenerateError> {
    let mut w = TableWriter::for_rows::<Case>(&out_dir.join("cases.parquet"))?;
    for v in &d.villages {
        let people = d.people(v);
        for qi in 0..d.quarters.len() {
            for c in cell(&Cell::new(d, v, &people, qi)) {
                w.push(&c)?;
            }
        }
    }
    if d.defects {
        let qi = d.quarters.len() - 1;
        let mut bad = d.defect_template(qi, Stream::Cases, ordinary);
        bad.case_id = format!("XS-{}-{}-D001", bad.village_code, d.quarters[qi]);
        bad.disposal = "verified";
        let defect = "disposal 'verified' is not in the enumeration (an unmapped label)";
        defects.push(Defect::new("cases", bad.case_id.clone(), defect));
        w.push(&bad)?;
    }
    w.close()
}

/// The clues of one village received in one quarter, in receipt order.
fn cell(c: &Cell) -> Vec<Case> {
    let mut rng = c.rng(Stream::Cases);
    let n = poisson(&mut rng, c.v.volume(c.d) * RATE);
    let mut out: Vec<Case> = (0..n).map(|_| ordinary(c, &mut rng)).collect();
    if c.v.has(Pattern::CaseCluster) && c.d.active(c.v, c.qi) {
        let n = rng.random_range(2..=4);
        for _ in 0..n {
            out.push(cluster(c, &mut rng));
        }
    }
    out.sort_by_key(|k| k.received);
    for (i, k) in out.iter_mut().enumerate() {
        k.case_id = format!("XS-{}-{}-{:04}", c.v.code, c.quarter(), i + 1);
    }
    // Verification confirmed the village's red alert in this quarter: the
    // clue it opened, filed two weeks later.
    if let Some(day) = c.v.confirmed.filter(|&d| c.start <= d && d < c.end) {
        out.push(follow_on(c, &mut rng, day));
        out.sort_by_key(|k| k.received);
    }
    out
}

/// The id of the follow-on case of a village confirmed on `day`
/// (`write_dispositions` names it as the disposition's `case_id`).
pub(crate) fn follow_on_id(v: &Village, day: i32) -> String {
    let q = crate::period::Quarter::containing(crate::period::date_of(day));
    format!("XS-{}-{q}-F001", v.code)
}

/// The case a confirmed alert leads to: received on the day of the
/// verdict from the inspection, about a serving cadre, filed (立案) 14
/// days later when that is within the extract.
fn follow_on(c: &Cell, rng: &mut ChaCha8Rng, day: i32) -> Case {
    let Cell { d, v, people, .. } = *c;
    let role = pick(rng, &[(SECRETARY, 0.5), (DIRECTOR, 0.3), (ACCOUNTANT, 0.2)]);
    let person = people
        .serving(role, day, rng)
        .map(|p| d.person_id(p.person));
    let violation = pick(
        rng,
        &[
            ("embezzlement", 0.3),
            ("false_claims", 0.25),
            ("favouritism", 0.25),
            ("collective_assets", 0.2),
        ],
    );
    let mut case = Case {
        case_id: follow_on_id(v, day),
        origin: "inspection",
        disposal: "verify",
        violation: Some(violation),
        amount_cents: Some((log_uniform(rng, 20_000.0, 300_000.0) * 100.0).round() as i64),
        ..Case::received(v, day, role, person)
    };
    let filed = day + 14;
    if filed <= d.as_of {
        file(d, rng, &mut case, filed, 3, filed + 30);
    }
    case
}

impl Case {
    /// A clue from `v` about `role` (and the person holding it) received
    /// on `received`, with nothing decided yet: no id, origin `other`,
    /// disposal `pending`.
    pub(crate) fn received(
        v: &Village,
        received: i32,
        role: &'static str,
        person: Option<String>,
    ) -> Self {
        Self {
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
}

/// Who a clue is about: a role from `roles` and, mostly, the person
/// holding it; `named` is the chance that a township official, and that a
/// serving cadre, is named.
pub(crate) fn subject(
    c: &Cell,
    rng: &mut ChaCha8Rng,
    received: i32,
    roles: &[(&'static str, f64)],
    named: (f64, f64),
) -> (&'static str, Option<String>) {
    let Cell { d, v, people, .. } = *c;
    let role = pick(rng, roles);
    let person = match role {
        OTHER_ROLE => None,
        TOWNSHIP_OFFICIAL => rng
            .random_bool(named.0)
            .then(|| d.official(v.township, rng)),
        _ => people
            .serving(role, received, rng)
            .filter(|_| rng.random_bool(named.1))
            .map(|c| c.person),
    };
    (role, person.map(|p| d.person_id(p)))
}

/// A first-form outcome: a talk, with `sanction` (`none` or `criticism`).
pub(crate) fn talk(case: &mut Case, sanction: &'static str) {
    case.form = Some(1);
    case.sanction = Some(sanction);
}

const SUBJECTS: &[(&str, f64)] = &[
    (SECRETARY, 0.25),
    (DIRECTOR, 0.18),
    (COMMITTEE, 0.17),
    (ACCOUNTANT, 0.12),
    (SUPERVISOR, 0.05),
    (OTHER_ROLE, 0.08),
    (TOWNSHIP_OFFICIAL, 0.15),
];
const ORIGINS: &[(&str, f64)] = &[
    ("petition", 0.42),
    ("inspection", 0.20),
    ("audit", 0.10),
    ("big_data", 0.10),
    ("self_report", 0.05),
    ("other", 0.13),
];
const VIOLATIONS: &[(&str, f64)] = &[
    ("embezzlement", 0.12),
    ("false_claims", 0.12),
    ("extortion", 0.08),
    ("favouritism", 0.15),
    ("eight_rules", 0.18),
    ("collective_assets", 0.10),
    ("bribery", 0.05),
    ("dereliction", 0.12),
    ("other", 0.08),
];

fn ordinary(c: &Cell, rng: &mut ChaCha8Rng) -> Case {
    let d = c.d;
    let received = day_in(rng, c.start, c.end);
    let (role, person) = subject(c, rng, received, SUBJECTS, (0.9, 0.92));
    let origin = pick(rng, ORIGINS);
    let disposal = if received > d.as_of - 30 && rng.random_bool(0.5) {
        "pending"
    } else {
        pick(
            rng,
            &[
                ("talk", 0.36),
                ("close", 0.30),
                ("verify", 0.24),
                ("shelve", 0.10),
            ],
        )
    };
    let violation = match disposal {
        "verify" => Some(pick(rng, VIOLATIONS)),
        "talk" if rng.random_bool(0.6) => Some(pick(rng, VIOLATIONS)),
        _ => None,
    };
    let amount_cents = violation
        .filter(|v| MONEY.contains(v))
        .map(|_| (log_uniform(rng, 1_000.0, 50_000.0) * 100.0).round() as i64);
    let mut case = Case {
        origin,
        disposal,
        violation,
        amount_cents,
        ..Case::received(c.v, received, role, person)
    };
    match disposal {
        "talk" => talk(&mut case, none_or_criticism(rng, 0.55)),
        "close" => case.sanction = Some("none"),
        "verify" => {
            let filed = received + rng.random_range(15..=75);
            if rng.random_bool(0.45) && filed <= d.as_of {
                let form = pick(rng, &[(2, 0.70), (3, 0.25), (4, 0.05)]);
                let closed = filed + rng.random_range(45..=180);
                file(d, rng, &mut case, filed, form, closed);
            } else if rng.random_bool(0.5) {
                talk(&mut case, none_or_criticism(rng, 0.6));
            }
        }
        _ => {}
    }
    case
}

/// `none` with chance `none`, else `criticism`.
fn none_or_criticism(rng: &mut ChaCha8Rng, none: f64) -> &'static str {
    if rng.random_bool(none) {
        "none"
    } else {
        "criticism"
    }
}

/// Marks a clue filed as a case under `form`; the sanction comes with the
/// conclusion, if it falls before the extract date.
fn file(d: &District, rng: &mut ChaCha8Rng, case: &mut Case, filed: i32, form: i32, closed: i32) {
    case.filed = Some(filed);
    case.form = Some(form);
    if closed <= d.as_of {
        case.closed = Some(closed);
        case.sanction = Some(match form {
            2 => pick(rng, &[("warning", 0.6), ("serious_warning", 0.4)]),
            3 => pick(rng, &[("removal", 0.5), ("probation", 0.5)]),
            _ => pick(rng, &[("expulsion", 0.7), ("prosecution", 0.3)]),
        });
    }
}

/// Planted `case_cluster`: a clue against a serving cadre for money
/// misconduct with a large amount, verified and mostly filed quickly under
/// the second or third form.
fn cluster(c: &Cell, rng: &mut ChaCha8Rng) -> Case {
    let Cell { d, v, people, .. } = *c;
    let received = day_in(rng, c.start, c.start + 50);
    let role = pick(
        rng,
        &[
            (SECRETARY, 0.35),
            (DIRECTOR, 0.25),
            (ACCOUNTANT, 0.25),
            (COMMITTEE, 0.15),
        ],
    );
    let person = people
        .serving(role, received, rng)
        .map(|p| d.person_id(p.person));
    let origin = pick(
        rng,
        &[
            ("petition", 0.35),
            ("inspection", 0.3),
            ("audit", 0.2),
            ("big_data", 0.15),
        ],
    );
    let violation = pick(
        rng,
        &[
            ("embezzlement", 0.3),
            ("false_claims", 0.25),
            ("favouritism", 0.2),
            ("collective_assets", 0.25),
        ],
    );
    let amount = (log_uniform(rng, 20_000.0, 500_000.0) * 100.0).round() as i64;
    let mut case = Case {
        origin,
        disposal: "verify",
        violation: Some(violation),
        amount_cents: Some(amount),
        ..Case::received(v, received, role, person)
    };
    let filed = received + rng.random_range(5..=20);
    if rng.random_bool(0.75) && filed <= d.as_of {
        let form = if rng.random_bool(0.6) { 2 } else { 3 };
        let closed = filed + rng.random_range(15..=40);
        file(d, rng, &mut case, filed, form, closed);
    }
    case
}

impl Row for Case {
    const TABLE: &'static Table = &contract::CASES;

    /// The cases table as the extract arrives: some Chinese headers, the
    /// receipt day as a millisecond timestamp, the amount as a decimal,
    /// the form as a 32-bit integer (`catalog.toml` maps the headers back).
    fn layout() -> Layout {
        Layout::extract(&contract::CASES, |c| {
            let data_type = match c.name {
                "received_date" => DataType::Timestamp(TimeUnit::Millisecond, None),
                "amount" => DataType::Decimal128(14, 2),
                "form" => DataType::Int32,
                _ => c.kind.canonical_type(),
            };
            (cases_header(c.name), data_type)
        })
    }

    fn append_to(&self, r: &mut Rows) {
        r.text("case_id", self.case_id.as_str());
        r.text("village_code", self.village_code.as_str());
        r.text("subject_person_id", self.subject_person_id.as_deref());
        r.text("subject_role", self.subject_role);
        r.date("received_date", self.received);
        r.text("origin", self.origin);
        r.text("disposal", self.disposal);
        r.date("filed_date", self.filed);
        r.date("closed_date", self.closed);
        r.text("violation", self.violation);
        r.cents("amount", self.amount_cents);
        r.text("sanction", self.sanction);
        r.count("form", self.form.map(i64::from));
    }
}

//! The petitions source (信访举报): `petitions/quarter=YYYYQn/part-0.parquet`,
//! partitioned by the quarter of `received_date`, with the planted
//! `petition_pressure` pattern (repeated accusations against a leader).

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayBuilder, ArrayRef, BooleanBuilder, Date32Builder, StringBuilder};
use arrow::datatypes::{DataType, SchemaRef};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::district::{District, LOCAL_BITS, People, Village};
use super::rng::{Stream, cell_rng, day_in, pick, poisson};
use super::sink::{Rows, TableWriter, field, schema};
use super::vocab::{
    ACCOUNTANT, COMMITTEE, DIRECTOR, OTHER_ROLE, SECRETARY, SUPERVISOR, TOWNSHIP_OFFICIAL,
};
use super::{Defect, GenerateError, Pattern};

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
        let mut w = TableWriter::create(&out_dir.join(&rel), PetitionRows::new())?;
        for v in &d.villages {
            let people = d.people(v);
            for p in cell(d, v, &people, qi) {
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
fn cell(d: &District, v: &Village, people: &People, qi: usize) -> Vec<Petition> {
    let mut rng = cell_rng(d.seed, Stream::Petitions, v.idx, qi);
    let (start, end) = d.quarter_days(qi);
    let n = poisson(&mut rng, v.volume(d) * RATE);
    let mut out: Vec<Petition> = (0..n)
        .map(|_| ordinary(d, v, people, &mut rng, start, end))
        .collect();
    if v.has(Pattern::PetitionPressure) && d.planted_quarter(qi) {
        pressure(d, v, people, qi, &mut rng, &mut out);
    }
    out.sort_by_key(|p| p.received);
    for (i, p) in out.iter_mut().enumerate() {
        p.petition_id = Some(format!("XF-{}-{}-{:04}", v.code, d.quarters[qi], i + 1));
    }
    out
}

fn complainant(d: &District, v: &Village, k: u64) -> String {
    d.keys.complainant((v.idx as u64) << LOCAL_BITS | k)
}

/// An ordinary petition received in `[start, end)`.
fn ordinary(
    d: &District,
    v: &Village,
    people: &People,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
) -> Petition {
    let received = day_in(rng, start, end);
    let kind = pick(
        rng,
        &[
            ("accusation", 0.30),
            ("request", 0.33),
            ("suggestion", 0.12),
            ("enquiry", 0.15),
            ("appeal", 0.10),
        ],
    );
    let category = match kind {
        "accusation" => pick(
            rng,
            &[
                ("collective_assets", 0.22),
                ("projects", 0.18),
                ("assistance", 0.18),
                ("conduct", 0.22),
                ("land", 0.10),
                ("elections", 0.05),
                ("other", 0.05),
            ],
        ),
        "request" => pick(
            rng,
            &[
                ("land", 0.25),
                ("assistance", 0.30),
                ("projects", 0.10),
                ("collective_assets", 0.10),
                ("other", 0.25),
            ],
        ),
        "suggestion" => pick(
            rng,
            &[
                ("projects", 0.3),
                ("conduct", 0.2),
                ("collective_assets", 0.1),
                ("elections", 0.1),
                ("other", 0.3),
            ],
        ),
        "enquiry" => pick(
            rng,
            &[
                ("assistance", 0.35),
                ("land", 0.25),
                ("collective_assets", 0.10),
                ("elections", 0.05),
                ("other", 0.25),
            ],
        ),
        _ => pick(
            rng,
            &[
                ("land", 0.35),
                ("assistance", 0.30),
                ("collective_assets", 0.10),
                ("elections", 0.05),
                ("other", 0.20),
            ],
        ),
    };
    let channel = pick(
        rng,
        &[
            ("letter", 0.18),
            ("visit", 0.22),
            ("online", 0.35),
            ("phone", 0.20),
            ("other", 0.05),
        ],
    );
    let accusation = kind == "accusation";
    let is_anonymous = rng.random_bool(if accusation { 0.3 } else { 0.03 });
    let (accused_role, accused_person_id) = if accusation && rng.random_bool(0.8) {
        let role = pick(
            rng,
            &[
                (SECRETARY, 0.30),
                (DIRECTOR, 0.22),
                (COMMITTEE, 0.15),
                (ACCOUNTANT, 0.10),
                (SUPERVISOR, 0.04),
                (OTHER_ROLE, 0.04),
                (TOWNSHIP_OFFICIAL, 0.15),
            ],
        );
        let person = match role {
            OTHER_ROLE => None,
            TOWNSHIP_OFFICIAL => Some(d.official(v.township, rng)),
            _ => people.serving(role, received, rng).map(|c| c.person),
        };
        (Some(role), person.map(|p| d.person_id(p)))
    } else {
        (None, None)
    };
    let (complainant_key, is_repeat) = if is_anonymous {
        (None, false)
    } else if rng.random_bool(0.07) {
        (Some(complainant(d, v, rng.random_range(0..FREQUENT))), true)
    } else {
        let pool = (v.population as u64 / 8).max(30);
        let k = GENERAL_BASE + rng.random_range(0..pool);
        (Some(complainant(d, v, k)), false)
    };
    let u: f64 = rng.random();
    let days = if u < 0.80 {
        rng.random_range(15..=58)
    } else if u < 0.95 {
        rng.random_range(55..=75)
    } else {
        rng.random_range(75..=110)
    };
    let closed = (received + days <= d.as_of).then_some(received + days);
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
    let satisfaction = (closed.is_some() && !is_anonymous).then(|| {
        pick(
            rng,
            &[
                ("satisfied", 0.72),
                ("basically", 0.21),
                ("unsatisfied", 0.07),
            ],
        )
    });
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
        satisfaction,
    }
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
fn pressure(
    d: &District,
    v: &Village,
    people: &People,
    qi: usize,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<Petition>,
) {
    // Choices that hold for the whole planted period.
    let mut village_rng = cell_rng(d.seed, Stream::Petitions, v.idx, usize::MAX);
    let (target, other) = accused_leaders(&mut village_rng);
    let n_complainants = village_rng.random_range(2..=3u64);
    let first_quarter = qi == d.planted_from_index();

    let (start, end) = d.quarter_days(qi);
    let n = rng.random_range(4..=7);
    let mut days: Vec<i32> = (0..n).map(|_| day_in(rng, start, end)).collect();
    days.sort_unstable();
    let mut seen = [false; 3];
    for (i, received) in days.into_iter().enumerate() {
        let role = if rng.random_bool(0.8) { target } else { other };
        let person = people
            .serving(role, received, rng)
            .map(|c| d.person_id(c.person));
        let is_anonymous = i > 0 && rng.random_bool(0.12);
        let (complainant_key, is_repeat) = if is_anonymous {
            (None, false)
        } else {
            let c = rng.random_range(0..n_complainants) as usize;
            let repeat = !first_quarter || seen[c];
            seen[c] = true;
            (Some(complainant(d, v, PRESSURE_BASE + c as u64)), repeat)
        };
        let days = if rng.random_bool(0.55) {
            rng.random_range(62..=120)
        } else {
            rng.random_range(25..=58)
        };
        let closed = (received + days <= d.as_of).then_some(received + days);
        let finding = Some(match closed {
            None => "pending",
            Some(_) => pick(
                rng,
                &[
                    ("substantiated", 0.3),
                    ("partly", 0.4),
                    ("unsubstantiated", 0.3),
                ],
            ),
        });
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
        out.push(Petition {
            petition_id: None,
            village_code: v.code.clone(),
            received,
            channel: pick(
                rng,
                &[
                    ("visit", 0.35),
                    ("letter", 0.3),
                    ("online", 0.2),
                    ("phone", 0.15),
                ],
            ),
            category: pick(
                rng,
                &[
                    ("collective_assets", 0.35),
                    ("projects", 0.25),
                    ("assistance", 0.2),
                    ("land", 0.2),
                ],
            ),
            kind: "accusation",
            accused_role: Some(role),
            accused_person_id: person,
            complainant_key,
            is_anonymous,
            is_repeat,
            due: Some(received + DUE_DAYS),
            closed,
            finding,
            satisfaction,
        });
    }
}

/// Appends the petition defects to the last quarter's partition.
fn insert_defects(
    d: &District,
    qi: usize,
    rel: &str,
    w: &mut TableWriter<PetitionRows>,
    defects: &mut Vec<Defect>,
) -> Result<(), GenerateError> {
    let v = &d.villages[0];
    let people = d.people(v);
    let mut rng = cell_rng(d.seed, Stream::Petitions, usize::MAX, qi);
    let (start, end) = d.quarter_days(qi);
    let q = d.quarters[qi];
    let mut template = ordinary(d, v, &people, &mut rng, start, end);
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
    defects.push(Defect {
        table: "petitions",
        row_id: id,
        defect: format!("village_code {} is not in villages", unknown.village_code),
    });

    let mut no_id = template.clone();
    no_id.petition_id = None;
    let row = w.rows();
    w.push(&no_id)?;
    defects.push(Defect {
        table: "petitions",
        row_id: String::new(),
        defect: format!("petition_id is null (row {row} of {rel}, counting from 0)"),
    });

    let mut wechat = template;
    let id = format!("XF-{}-{q}-D003", v.code);
    wechat.petition_id = Some(id.clone());
    wechat.channel = "wechat";
    w.push(&wechat)?;
    defects.push(Defect {
        table: "petitions",
        row_id: id,
        defect: "channel 'wechat' is not in the enumeration".into(),
    });
    Ok(())
}

#[derive(Debug)]
pub(crate) struct PetitionRows {
    schema: SchemaRef,
    petition_id: StringBuilder,
    village_code: StringBuilder,
    received_date: Date32Builder,
    channel: StringBuilder,
    category: StringBuilder,
    kind: StringBuilder,
    accused_role: StringBuilder,
    accused_person_id: StringBuilder,
    complainant_key: StringBuilder,
    is_anonymous: BooleanBuilder,
    is_repeat: BooleanBuilder,
    due_date: Date32Builder,
    closed_date: Date32Builder,
    finding: StringBuilder,
    satisfaction: StringBuilder,
}

impl PetitionRows {
    pub(crate) fn new() -> Self {
        use DataType::{Boolean, Date32, Utf8};
        Self {
            schema: schema(vec![
                field("petition_id", Utf8),
                field("village_code", Utf8),
                field("received_date", Date32),
                field("channel", Utf8),
                field("category", Utf8),
                field("kind", Utf8),
                field("accused_role", Utf8),
                field("accused_person_id", Utf8),
                field("complainant_key", Utf8),
                field("is_anonymous", Boolean),
                field("is_repeat", Boolean),
                field("due_date", Date32),
                field("closed_date", Date32),
                field("finding", Utf8),
                field("satisfaction", Utf8),
            ]),
            petition_id: StringBuilder::new(),
            village_code: StringBuilder::new(),
            received_date: Date32Builder::new(),
            channel: StringBuilder::new(),
            category: StringBuilder::new(),
            kind: StringBuilder::new(),
            accused_role: StringBuilder::new(),
            accused_person_id: StringBuilder::new(),
            complainant_key: StringBuilder::new(),
            is_anonymous: BooleanBuilder::new(),
            is_repeat: BooleanBuilder::new(),
            due_date: Date32Builder::new(),
            closed_date: Date32Builder::new(),
            finding: StringBuilder::new(),
            satisfaction: StringBuilder::new(),
        }
    }
}

impl Rows for PetitionRows {
    type Row = Petition;
    const TABLE: &'static str = "petitions";

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn push(&mut self, p: &Petition) {
        self.petition_id.append_option(p.petition_id.as_deref());
        self.village_code.append_value(&p.village_code);
        self.received_date.append_value(p.received);
        self.channel.append_value(p.channel);
        self.category.append_value(p.category);
        self.kind.append_value(p.kind);
        self.accused_role.append_option(p.accused_role);
        self.accused_person_id
            .append_option(p.accused_person_id.as_deref());
        self.complainant_key
            .append_option(p.complainant_key.as_deref());
        self.is_anonymous.append_value(p.is_anonymous);
        self.is_repeat.append_value(p.is_repeat);
        self.due_date.append_option(p.due);
        self.closed_date.append_option(p.closed);
        self.finding.append_option(p.finding);
        self.satisfaction.append_option(p.satisfaction);
    }

    fn len(&self) -> usize {
        self.village_code.len()
    }

    fn take_columns(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.petition_id.finish()),
            Arc::new(self.village_code.finish()),
            Arc::new(self.received_date.finish()),
            Arc::new(self.channel.finish()),
            Arc::new(self.category.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.accused_role.finish()),
            Arc::new(self.accused_person_id.finish()),
            Arc::new(self.complainant_key.finish()),
            Arc::new(self.is_anonymous.finish()),
            Arc::new(self.is_repeat.finish()),
            Arc::new(self.due_date.finish()),
            Arc::new(self.closed_date.finish()),
            Arc::new(self.finding.finish()),
            Arc::new(self.satisfaction.finish()),
        ]
    }
}

//! The cases source (问题线索与案件): `cases.parquet`, written as a real
//! extract arrives (Chinese headers for some columns, a timestamp for the
//! receipt day, a decimal amount, a 32-bit form), with the planted
//! `case_cluster` pattern (filed cases against the village's cadres).

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, Date32Builder, Decimal128Builder, Int32Builder, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::district::{District, People, Village};
use super::rng::{Stream, cell_rng, day_in, log_uniform, pick, poisson};
use super::sink::{Rows, TableWriter, field, schema};
use super::vocab::{
    ACCOUNTANT, COMMITTEE, DIRECTOR, OTHER_ROLE, SECRETARY, SUPERVISOR, TOWNSHIP_OFFICIAL,
    cases_header,
};
use super::{Defect, GenerateError, Pattern};

/// Clues per 1,000 residents per quarter.
const RATE: f64 = 0.08;
const MS_PER_DAY: i64 = 86_400_000;
/// Violations that involve money, and so an amount.
const MONEY: &[&str] = &[
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
    let mut w = TableWriter::create(&out_dir.join("cases.parquet"), CaseRows::new())?;
    for v in &d.villages {
        let people = d.people(v);
        for qi in 0..d.quarters.len() {
            for c in cell(d, v, &people, qi) {
                w.push(&c)?;
            }
        }
    }
    if d.defects {
        let qi = d.quarters.len() - 1;
        let v = &d.villages[0];
        let people = d.people(v);
        let mut rng = cell_rng(d.seed, Stream::Cases, usize::MAX, qi);
        let (start, end) = d.quarter_days(qi);
        let mut bad = ordinary(d, v, &people, &mut rng, start, end);
        bad.case_id = format!("XS-{}-{}-D001", v.code, d.quarters[qi]);
        bad.disposal = "Verify";
        defects.push(Defect {
            table: "cases",
            row_id: bad.case_id.clone(),
            defect: "disposal 'Verify' is not in the enumeration (not lower-case)".into(),
        });
        w.push(&bad)?;
    }
    w.close()
}

/// The clues of one village received in one quarter, in receipt order.
fn cell(d: &District, v: &Village, people: &People, qi: usize) -> Vec<Case> {
    let mut rng = cell_rng(d.seed, Stream::Cases, v.idx, qi);
    let (start, end) = d.quarter_days(qi);
    let n = poisson(&mut rng, v.volume(d) * RATE);
    let mut out: Vec<Case> = (0..n)
        .map(|_| ordinary(d, v, people, &mut rng, start, end))
        .collect();
    if v.has(Pattern::CaseCluster) && d.planted_quarter(qi) {
        let n = rng.random_range(2..=4);
        for _ in 0..n {
            out.push(cluster(d, v, people, &mut rng, start));
        }
    }
    out.sort_by_key(|c| c.received);
    for (i, c) in out.iter_mut().enumerate() {
        c.case_id = format!("XS-{}-{}-{:04}", v.code, d.quarters[qi], i + 1);
    }
    out
}

/// Who a clue is about: a role and, mostly, the person holding it.
fn subject(
    d: &District,
    v: &Village,
    people: &People,
    rng: &mut ChaCha8Rng,
    received: i32,
    roles: &[(&'static str, f64)],
) -> (&'static str, Option<String>) {
    let role = pick(rng, roles);
    let person = match role {
        OTHER_ROLE => None,
        TOWNSHIP_OFFICIAL => rng.random_bool(0.9).then(|| d.official(v.township, rng)),
        _ => people
            .serving(role, received, rng)
            .filter(|_| rng.random_bool(0.92))
            .map(|c| c.person),
    };
    (role, person.map(|p| d.person_id(p)))
}

fn ordinary(
    d: &District,
    v: &Village,
    people: &People,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
) -> Case {
    let received = day_in(rng, start, end);
    let (subject_role, subject_person_id) = subject(
        d,
        v,
        people,
        rng,
        received,
        &[
            (SECRETARY, 0.25),
            (DIRECTOR, 0.18),
            (COMMITTEE, 0.17),
            (ACCOUNTANT, 0.12),
            (SUPERVISOR, 0.05),
            (OTHER_ROLE, 0.08),
            (TOWNSHIP_OFFICIAL, 0.15),
        ],
    );
    let origin = pick(
        rng,
        &[
            ("petition", 0.42),
            ("inspection", 0.20),
            ("audit", 0.10),
            ("big_data", 0.10),
            ("self_report", 0.05),
            ("other", 0.13),
        ],
    );
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
    let violations = [
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
    let violation = match disposal {
        "verify" => Some(pick(rng, &violations)),
        "talk" if rng.random_bool(0.6) => Some(pick(rng, &violations)),
        _ => None,
    };
    let amount_cents = violation
        .filter(|v| MONEY.contains(v))
        .map(|_| (log_uniform(rng, 1_000.0, 50_000.0) * 100.0).round() as i64);
    let mut case = Case {
        case_id: String::new(),
        village_code: v.code.clone(),
        subject_person_id,
        subject_role,
        received,
        origin,
        disposal,
        filed: None,
        closed: None,
        violation,
        amount_cents,
        sanction: None,
        form: None,
    };
    match disposal {
        "talk" => {
            case.form = Some(1);
            case.sanction = Some(if rng.random_bool(0.55) {
                "none"
            } else {
                "criticism"
            });
        }
        "close" => case.sanction = Some("none"),
        "verify" => {
            let filed = received + rng.random_range(15..=75);
            if rng.random_bool(0.45) && filed <= d.as_of {
                let form = pick(rng, &[(2, 0.70), (3, 0.25), (4, 0.05)]);
                let closed = filed + rng.random_range(45..=180);
                file(d, rng, &mut case, filed, form, closed);
            } else if rng.random_bool(0.5) {
                case.form = Some(1);
                case.sanction = Some(if rng.random_bool(0.6) {
                    "none"
                } else {
                    "criticism"
                });
            }
        }
        _ => {}
    }
    case
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
fn cluster(d: &District, v: &Village, people: &People, rng: &mut ChaCha8Rng, start: i32) -> Case {
    let received = day_in(rng, start, start + 50);
    let role = pick(
        rng,
        &[
            (SECRETARY, 0.35),
            (DIRECTOR, 0.25),
            (ACCOUNTANT, 0.25),
            (COMMITTEE, 0.15),
        ],
    );
    let subject_person_id = people
        .serving(role, received, rng)
        .map(|c| d.person_id(c.person));
    let mut case = Case {
        case_id: String::new(),
        village_code: v.code.clone(),
        subject_person_id,
        subject_role: role,
        received,
        origin: pick(
            rng,
            &[
                ("petition", 0.35),
                ("inspection", 0.3),
                ("audit", 0.2),
                ("big_data", 0.15),
            ],
        ),
        disposal: "verify",
        filed: None,
        closed: None,
        violation: Some(pick(
            rng,
            &[
                ("embezzlement", 0.3),
                ("false_claims", 0.25),
                ("favouritism", 0.2),
                ("collective_assets", 0.25),
            ],
        )),
        amount_cents: Some((log_uniform(rng, 20_000.0, 500_000.0) * 100.0).round() as i64),
        sanction: None,
        form: None,
    };
    let filed = received + rng.random_range(5..=20);
    if rng.random_bool(0.75) && filed <= d.as_of {
        let form = if rng.random_bool(0.6) { 2 } else { 3 };
        let closed = filed + rng.random_range(15..=40);
        file(d, rng, &mut case, filed, form, closed);
    }
    case
}

#[derive(Debug)]
pub(crate) struct CaseRows {
    schema: SchemaRef,
    case_id: StringBuilder,
    village_code: StringBuilder,
    subject_person_id: StringBuilder,
    subject_role: StringBuilder,
    received: TimestampMillisecondBuilder,
    origin: StringBuilder,
    disposal: StringBuilder,
    filed_date: Date32Builder,
    closed_date: Date32Builder,
    violation: StringBuilder,
    amount: Decimal128Builder,
    sanction: StringBuilder,
    form: Int32Builder,
}

const AMOUNT_TYPE: DataType = DataType::Decimal128(14, 2);

impl CaseRows {
    pub(crate) fn new() -> Self {
        use DataType::{Date32, Int32, Utf8};
        let h = cases_header;
        Self {
            schema: schema(vec![
                field(h("case_id"), Utf8),
                field(h("village_code"), Utf8),
                field(h("subject_person_id"), Utf8),
                field(h("subject_role"), Utf8),
                field(
                    h("received_date"),
                    DataType::Timestamp(TimeUnit::Millisecond, None),
                ),
                field(h("origin"), Utf8),
                field(h("disposal"), Utf8),
                field(h("filed_date"), Date32),
                field(h("closed_date"), Date32),
                field(h("violation"), Utf8),
                field(h("amount"), AMOUNT_TYPE),
                field(h("sanction"), Utf8),
                field(h("form"), Int32),
            ]),
            case_id: StringBuilder::new(),
            village_code: StringBuilder::new(),
            subject_person_id: StringBuilder::new(),
            subject_role: StringBuilder::new(),
            received: TimestampMillisecondBuilder::new(),
            origin: StringBuilder::new(),
            disposal: StringBuilder::new(),
            filed_date: Date32Builder::new(),
            closed_date: Date32Builder::new(),
            violation: StringBuilder::new(),
            amount: Decimal128Builder::new().with_data_type(AMOUNT_TYPE),
            sanction: StringBuilder::new(),
            form: Int32Builder::new(),
        }
    }
}

impl Rows for CaseRows {
    type Row = Case;
    const TABLE: &'static str = "cases";

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn push(&mut self, c: &Case) {
        self.case_id.append_value(&c.case_id);
        self.village_code.append_value(&c.village_code);
        self.subject_person_id
            .append_option(c.subject_person_id.as_deref());
        self.subject_role.append_value(c.subject_role);
        self.received
            .append_value(i64::from(c.received) * MS_PER_DAY);
        self.origin.append_value(c.origin);
        self.disposal.append_value(c.disposal);
        self.filed_date.append_option(c.filed);
        self.closed_date.append_option(c.closed);
        self.violation.append_option(c.violation);
        self.amount.append_option(c.amount_cents.map(i128::from));
        self.sanction.append_option(c.sanction);
        self.form.append_option(c.form);
    }

    fn len(&self) -> usize {
        self.case_id.len()
    }

    fn take_columns(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.case_id.finish()),
            Arc::new(self.village_code.finish()),
            Arc::new(self.subject_person_id.finish()),
            Arc::new(self.subject_role.finish()),
            Arc::new(self.received.finish()),
            Arc::new(self.origin.finish()),
            Arc::new(self.disposal.finish()),
            Arc::new(self.filed_date.finish()),
            Arc::new(self.closed_date.finish()),
            Arc::new(self.violation.finish()),
            Arc::new(self.amount.finish()),
            Arc::new(self.sanction.finish()),
            Arc::new(self.form.finish()),
        ]
    }
}

//! The assistance source (社会救助): `assistance.parquet`, one row per
//! enrolment: a steady stock of long-lived enrolments (dibao by household,
//! tekun, disability, other) renewed by new approvals each quarter, short
//! temporary assistance, and the planted `benefit_capture` pattern.

use std::path::Path;

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::district::{BENEFICIARY_BASE, District, LOCAL_BITS, People, Village};
use super::rng::{Stream, cell_rng, cents, day, day_in, pick, poisson};
use super::sink::{Row, Rows, TableWriter};
use super::{Defect, GenerateError, Pattern};
use crate::contract::{self, Table};

/// A long-lived programme: how many are enrolled and for how long.
#[derive(Debug, Clone, Copy)]
struct Programme {
    name: &'static str,
    /// Enrolled persons per 1,000 residents.
    per_thousand: f64,
    /// Mean enrolment length in days.
    mean_days: f64,
    /// Monthly amount range, yuan.
    amount: (f64, f64),
    /// Enrolled as whole households.
    households: bool,
    /// Share of exits that are deaths.
    death_share: f64,
}

const PROGRAMMES: &[Programme] = &[
    Programme {
        name: "dibao",
        per_thousand: 30.0,
        mean_days: 4.0 * 365.0,
        amount: (300.0, 900.0),
        households: true,
        death_share: 0.15,
    },
    Programme {
        name: "tekun",
        per_thousand: 4.0,
        mean_days: 6.0 * 365.0,
        amount: (700.0, 1400.0),
        households: false,
        death_share: 0.5,
    },
    Programme {
        name: "disability",
        per_thousand: 15.0,
        mean_days: 8.0 * 365.0,
        amount: (80.0, 160.0),
        households: false,
        death_share: 0.25,
    },
    Programme {
        name: "other",
        per_thousand: 0.5,
        mean_days: 3.0 * 365.0,
        amount: (100.0, 500.0),
        households: false,
        death_share: 0.1,
    },
];

/// Temporary assistance approvals per 1,000 residents per quarter.
const TEMPORARY_PER_THOUSAND: f64 = 1.5;

#[derive(Debug, Clone)]
pub(crate) struct Enrolment {
    pub record_id: String,
    pub person_id: String,
    pub household_id: String,
    pub village_code: String,
    pub program: &'static str,
    pub approved: i32,
    pub start: i32,
    pub end: Option<i32>,
    pub monthly_amount: f64,
    pub last_review: Option<i32>,
    pub death: Option<i32>,
    pub asset_flag: bool,
    pub kin_filed: bool,
}

impl Enrolment {
    /// Person number `who` of `v`, of household `household_id`, enrolled
    /// in `program` at `monthly_amount` yuan: no id, no days, review or
    /// death yet, nothing flagged.
    pub(crate) fn new(
        d: &District,
        v: &Village,
        who: u64,
        household_id: &str,
        program: &'static str,
        monthly_amount: f64,
    ) -> Self {
        Self {
            record_id: String::new(),
            person_id: d.person_id(who),
            household_id: household_id.to_string(),
            village_code: v.code.clone(),
            program,
            approved: 0,
            start: 0,
            end: None,
            monthly_amount,
            last_review: None,
            death: None,
            asset_flag: false,
            kin_filed: false,
        }
    }
}

/// Writes `assistance.parquet`, village by village; returns the rows written.
pub(crate) fn write(
    d: &District,
    out_dir: &Path,
    defects: &mut Vec<Defect>,
) -> Result<u64, GenerateError> {
    let mut w = TableWriter::for_rows::<Enrolment>(&out_dir.join("assistance.parquet"))?;
    let mut first: Option<Enrolment> = None;
    for v in &d.villages {
        let people = d.people(v);
        for e in village(d, v, &people) {
            if first.is_none() {
                first = Some(e.clone());
            }
            w.push(&e)?;
        }
    }
    if d.defects {
        let dup = match first {
            Some(e) => e,
            None => {
                // No enrolments at all (volume factor 0): write the row twice.
                let v = &d.villages[0];
                let mut b = Builder::new(d, v, cell_rng(d.seed, Stream::Assistance, usize::MAX, 0));
                b.enrol(&PROGRAMMES[0], None, d.as_of - 30, None);
                let mut e = b.rows.remove(0);
                e.record_id = format!("JZ-{}-000001", v.code);
                w.push(&e)?;
                e
            }
        };
        defects.push(Defect {
            table: "assistance",
            row_id: dup.record_id.clone(),
            defect: "record_id is duplicated (written twice)".into(),
        });
        w.push(&dup)?;
    }
    w.close()
}

/// Builds one village's enrolments, numbering persons and households.
struct Builder<'a> {
    d: &'a District,
    v: &'a Village,
    rng: ChaCha8Rng,
    next_person: u64,
    next_household: u64,
    rows: Vec<Enrolment>,
}

impl<'a> Builder<'a> {
    fn new(d: &'a District, v: &'a Village, rng: ChaCha8Rng) -> Self {
        Self {
            d,
            v,
            rng,
            next_person: BENEFICIARY_BASE,
            next_household: 0,
            rows: Vec::new(),
        }
    }

    fn person(&mut self) -> u64 {
        let n = (self.v.idx as u64) << LOCAL_BITS | self.next_person;
        // Wraps (reusing beneficiaries' numbers, never cadres' or kin's) only
        // past two million beneficiaries in one village.
        self.next_person += 1;
        if self.next_person >= 1 << LOCAL_BITS {
            self.next_person = BENEFICIARY_BASE;
        }
        n
    }

    fn household(&mut self) -> String {
        let n = (self.v.idx as u64) << LOCAL_BITS | self.next_household;
        self.next_household = (self.next_household + 1) % (1 << LOCAL_BITS);
        self.d.keys.household(n)
    }

    fn exponential(&mut self, mean: f64) -> i32 {
        let u: f64 = self.rng.random();
        (-mean * (1.0 - u).ln()).round().min(1e6) as i32
    }

    /// The latest yearly review on or before `until`, if any.
    fn last_review(&mut self, approved: i32, until: i32) -> Option<i32> {
        let jitter = self.rng.random_range(0..=20);
        let years = (until - approved - jitter) / 365;
        (years >= 1).then_some(approved + years * 365 + jitter)
    }

    /// Enrols a household (or one person) in `p`, approved on `approved`,
    /// ending `length` days after the start (never when `None`).
    /// `person` overrides the beneficiary of a single-person enrolment.
    fn enrol(&mut self, p: &Programme, person: Option<u64>, approved: i32, length: Option<i32>) {
        let size = if p.households && person.is_none() {
            pick(&mut self.rng, &[(1, 0.4), (2, 0.3), (3, 0.2), (4, 0.1)])
        } else {
            1
        };
        let household_id = self.household();
        let start = approved + self.rng.random_range(0..=20);
        let end = length
            .map(|l| start.saturating_add(l.max(1)))
            .filter(|e| *e <= self.d.as_of);
        let dies = end.is_some() && self.rng.random_bool(p.death_share);
        let dead_member = self.rng.random_range(0..size);
        for m in 0..size {
            let who = match person {
                Some(n) => n,
                None => self.person(),
            };
            let until = end.unwrap_or(self.d.as_of);
            let mut last_review = if p.name == "temporary" {
                None
            } else {
                self.last_review(approved, until)
            };
            // A missed review now and then.
            if end.is_none() && self.rng.random_bool(0.02) {
                last_review = last_review.map(|r| r - 365).filter(|r| *r > approved);
            }
            let death = match end {
                Some(e) if dies && m == dead_member => Some(e - self.rng.random_range(5..=40)),
                // The registry sometimes reports a death before payments stop.
                None if self.rng.random_bool(0.004) => {
                    Some(self.d.as_of - self.rng.random_range(0..=45))
                }
                _ => None,
            };
            let means_tested = matches!(p.name, "dibao" | "tekun");
            let amount = cents(self.rng.random_range(p.amount.0..=p.amount.1).round());
            let mut row = Enrolment::new(self.d, self.v, who, &household_id, p.name, amount);
            (row.approved, row.start, row.end) = (approved, start, end);
            row.last_review = last_review;
            row.death = death;
            row.asset_flag = means_tested && self.rng.random_bool(0.01);
            self.rows.push(row);
        }
    }
}

/// All enrolments of one village, in approval order.
fn village(d: &District, v: &Village, people: &People) -> Vec<Enrolment> {
    let rng = cell_rng(d.seed, Stream::Assistance, v.idx, 0);
    let mut b = Builder::new(d, v, rng);
    let window_start = d.window_start();
    let volume = v.volume(d);

    for p in PROGRAMMES {
        // The stock at the window's start, then the approvals that replace exits.
        let persons = volume * p.per_thousand;
        let units = if p.households { persons / 2.0 } else { persons };
        let stock = poisson(&mut b.rng, units);
        for _ in 0..stock {
            // Time enrolled so far: exponential, redrawn evenly when past the cap.
            let mut age = b.exponential(p.mean_days);
            if !(20..=12 * 365).contains(&age) {
                age = b.rng.random_range(20..=12 * 365);
            }
            let remaining = b.exponential(p.mean_days);
            let approved = window_start - age;
            let length = remaining + age - 20;
            b.enrol(p, None, approved, Some(length.max(1)));
        }
        for qi in 0..d.quarters.len() {
            let (start, end) = d.quarter_days(qi);
            let new = poisson(&mut b.rng, units * f64::from(end - start) / p.mean_days);
            for _ in 0..new {
                let approved = day_in(&mut b.rng, start, end);
                let length = b.exponential(p.mean_days);
                b.enrol(p, None, approved, Some(length));
            }
        }
    }
    let temporary = Programme {
        name: "temporary",
        per_thousand: 0.0,
        mean_days: 60.0,
        amount: (500.0, 3000.0),
        households: false,
        death_share: 0.0,
    };
    for qi in 0..d.quarters.len() {
        let (start, end) = d.quarter_days(qi);
        for _ in 0..poisson(&mut b.rng, volume * TEMPORARY_PER_THOUSAND) {
            let approved = day_in(&mut b.rng, start, end);
            let length = b.rng.random_range(30..=90);
            b.enrol(&temporary, None, approved, Some(length));
        }
    }

    // Now and then a cadre's relative is enrolled: filed as it should be,
    // rarely not.
    let kin = people.serving_kin(d.as_of);
    if !kin.is_empty() {
        if b.rng.random_bool(0.25) {
            let who = kin[b.rng.random_range(0..kin.len())];
            let approved = b.rng.random_range(window_start - 3 * 365..d.as_of - 30);
            b.enrol(&PROGRAMMES[0], Some(who), approved, None);
            if let Some(last) = b.rows.last_mut() {
                last.kin_filed = true;
            }
        }
        if b.rng.random_bool(0.03) {
            let who = kin[b.rng.random_range(0..kin.len())];
            let approved = window_start - b.rng.random_range(200..1500);
            b.enrol(&PROGRAMMES[0], Some(who), approved, None);
        }
    }

    if v.has(Pattern::BenefitCapture) {
        capture(d, people, &mut b);
    }

    let mut rows = b.rows;
    rows.sort_by_key(|e| e.approved);
    for (i, e) in rows.iter_mut().enumerate() {
        e.record_id = format!("JZ-{}-{:06}", v.code, i + 1);
    }
    rows
}

/// When a rectified village's captured enrolments were stopped: a few
/// days before the end of the rectification quarter.
fn rectification_end(v: &Village) -> Option<i32> {
    v.rectified.map(|r| day(r.end()) - 5)
}

/// Planted `benefit_capture`: in each planted quarter new dibao/tekun
/// enrolments for serving cadres' kin, not filed, often asset-flagged; and,
/// from before the planted period, deceased beneficiaries still paid and
/// enrolments left without review for over a year.
fn capture(d: &District, people: &People, b: &mut Builder<'_>) {
    let from = d.planted_from_index();
    let planted_start = day(d.planted_from.start());
    let mut kin = people.serving_kin(planted_start);
    kin.sort_unstable();
    kin.dedup();
    kin.shuffle(&mut b.rng);
    let mut kin = kin.into_iter();
    let dibao = &PROGRAMMES[0];
    let tekun = &PROGRAMMES[1];
    for qi in from..d.quarters.len() {
        // Rectified: no new enrolments for kin after it.
        if !d.active(b.v, qi) {
            break;
        }
        let (start, end) = d.quarter_days(qi);
        for _ in 0..b.rng.random_range(2..=4) {
            let Some(who) = kin.next() else { break };
            let p = if b.rng.random_bool(0.75) {
                dibao
            } else {
                tekun
            };
            let approved = day_in(&mut b.rng, start, end);
            b.enrol(p, Some(who), approved, None);
            let flagged = b.rng.random_bool(0.5);
            let high = b.rng.random_range(0.85..=1.0) * p.amount.1;
            if let Some(e) = b.rows.last_mut() {
                e.kin_filed = false;
                e.asset_flag = flagged;
                e.monthly_amount = cents(high.round());
                e.death = None;
                e.end = rectification_end(b.v).or(e.end);
            }
        }
    }
    // Deceased before the planted period, still enrolled, not reviewed.
    for _ in 0..b.rng.random_range(2..=3) {
        let p = if b.rng.random_bool(0.7) { dibao } else { tekun };
        let approved = planted_start - b.rng.random_range(700..2500);
        let person = b.person();
        b.enrol(p, Some(person), approved, None);
        let death = planted_start - b.rng.random_range(30..=300);
        let review = planted_start - b.rng.random_range(380..=600);
        if let Some(e) = b.rows.last_mut() {
            e.death = Some(death);
            e.last_review = Some(review.max(approved + 1));
            e.asset_flag = false;
            e.end = rectification_end(b.v).or(e.end);
        }
    }
    // Enrolments not reviewed for over a year, flagged by the asset match.
    for _ in 0..b.rng.random_range(3..=5) {
        let approved = planted_start - b.rng.random_range(800..2500);
        let person = b.person();
        b.enrol(dibao, Some(person), approved, None);
        let review = planted_start - b.rng.random_range(380..=700);
        if let Some(e) = b.rows.last_mut() {
            e.last_review = Some(review.max(approved + 1));
            e.asset_flag = true;
            e.death = None;
        }
    }
}

impl Row for Enrolment {
    const TABLE: &'static Table = &contract::ASSISTANCE;

    fn append_to(&self, r: &mut Rows) {
        r.text("record_id", self.record_id.as_str());
        r.text("person_id", self.person_id.as_str());
        r.text("household_id", self.household_id.as_str());
        r.text("village_code", self.village_code.as_str());
        r.text("program", self.program);
        r.date("approved_date", self.approved);
        r.date("start_date", self.start);
        r.date("end_date", self.end);
        r.amount("monthly_amount", self.monthly_amount);
        r.date("last_review_date", self.last_review);
        r.date("death_date", self.death);
        r.flag("asset_flag", self.asset_flag);
        r.flag("kin_filed", self.kin_filed);
    }
}

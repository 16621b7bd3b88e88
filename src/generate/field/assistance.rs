//! Field profile, assistance (社会救助): `assistance.parquet`, one row per
//! enrolled person, village by village. Each village's stock at the start
//! of the window, the approvals of each quarter (more at the start of the
//! year) and the special enrolments are separate cells with their own
//! streams and number ranges. Enrolments are reviewed once a year, early
//! in the year, and end at a review or after a death with an ordinary lag
//! of days to weeks; tekun beneficiaries, mostly elderly, die most often.
//! Planted here: `benefit_capture` (enrolments for cadres' kin not filed,
//! or for the ineligible, asset-flagged) and `deceased_benefits` (one or
//! two dead beneficiaries still paid a quarter or more after the death);
//! and the `poor_high_dibao` and `background_deaths` look-alikes.

use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::super::GenerateError;
use super::super::assistance::Enrolment;
use super::super::district::{BENEFICIARY_BASE, District, LOCAL_BITS, People, Village};
use super::super::rng::{Stream, cell_rng, cents, day, day_in, pick, poisson};
use super::super::sink::TableWriter;
use super::super::{Lookalike, Pattern};
use super::plan::VillagePlan;
use super::season;

/// A long-lived programme.
#[derive(Debug, Clone, Copy)]
struct Programme {
    name: &'static str,
    /// Enrolled persons per 1,000 residents.
    per_thousand: f64,
    /// How much more a poor village enrols.
    poor: f64,
    /// Enrolled as whole households.
    households: bool,
    /// Deaths per enrolled person per year.
    deaths: f64,
    /// Share of enrolments ended at each yearly review.
    exit_at_review: f64,
    /// Monthly amount range, yuan.
    amount: (f64, f64),
}

const DIBAO: Programme = Programme {
    name: "dibao",
    per_thousand: 22.0,
    poor: 2.6,
    households: true,
    deaths: 0.025,
    exit_at_review: 0.18,
    amount: (300.0, 900.0),
};
const TEKUN: Programme = Programme {
    name: "tekun",
    per_thousand: 4.0,
    poor: 2.5,
    households: false,
    deaths: 0.09,
    exit_at_review: 0.03,
    amount: (700.0, 1400.0),
};
const PROGRAMMES: [Programme; 4] = [
    DIBAO,
    TEKUN,
    Programme {
        name: "disability",
        per_thousand: 9.0,
        poor: 1.3,
        households: false,
        deaths: 0.02,
        exit_at_review: 0.06,
        amount: (100.0, 400.0),
    },
    Programme {
        name: "other",
        per_thousand: 3.0,
        poor: 1.5,
        households: false,
        deaths: 0.015,
        exit_at_review: 0.30,
        amount: (200.0, 600.0),
    },
];
/// Mean persons per dibao household.
const DIBAO_HOUSEHOLD: f64 = 2.15;
/// Temporary assistance approvals per 1,000 residents per quarter.
const TEMPORARY_PER_THOUSAND: f64 = 1.0;
/// New approvals follow the yearly review.
const SEASON: [f64; 4] = [1.3, 0.9, 0.9, 0.9];
/// Days from a death to the end of the enrolment, ordinarily.
const LAG: (i32, i32) = (3, 40);

/// The village's cells besides its quarters, by number-range slot.
const STOCK: usize = 0;
const KIN: usize = 1;
const DECEASED: usize = 2;
const BACKGROUND: usize = 3;
const SLOTS_BEFORE_QUARTERS: usize = 4;

/// Writes `assistance.parquet`; returns the rows written.
pub(crate) fn write(d: &District, out_dir: &Path) -> Result<u64, GenerateError> {
    let mut w = TableWriter::for_rows::<Enrolment>(&out_dir.join("assistance.parquet"))?;
    for v in &d.villages {
        let people = d.people(v);
        let plan = VillagePlan::of(d, v);
        for e in village(d, v, &people, &plan) {
            w.push(&e)?;
        }
    }
    w.close()
}

/// Builds the enrolments of one cell of a village, numbering persons and
/// households from the cell's own range.
struct Cell<'a> {
    d: &'a District,
    v: &'a Village,
    rng: ChaCha8Rng,
    /// First local number and size of the cell's person and household ranges.
    persons: (u64, u64),
    households: (u64, u64),
    next: u64,
    next_household: u64,
    rows: Vec<Enrolment>,
}

impl<'a> Cell<'a> {
    fn new(d: &'a District, v: &'a Village, slot: usize) -> Self {
        let slots = (SLOTS_BEFORE_QUARTERS + d.quarters.len()) as u64;
        let person_block = ((1u64 << LOCAL_BITS) - BENEFICIARY_BASE) / slots;
        let household_block = (1u64 << LOCAL_BITS) / slots;
        Self {
            d,
            v,
            rng: cell_rng(d.seed, Stream::FieldAssistance, v.idx, slot),
            persons: (BENEFICIARY_BASE + slot as u64 * person_block, person_block),
            households: (slot as u64 * household_block, household_block),
            next: 0,
            next_household: 0,
            rows: Vec::new(),
        }
    }

    /// A new beneficiary (numbers wrap within the range only past some
    /// ten thousand in one cell).
    fn person(&mut self) -> u64 {
        let n = self.persons.0 + self.next % self.persons.1;
        self.next += 1;
        (self.v.idx as u64) << LOCAL_BITS | n
    }

    fn household(&mut self) -> String {
        let n = self.households.0 + self.next_household % self.households.1;
        self.next_household += 1;
        self.d.keys.household((self.v.idx as u64) << LOCAL_BITS | n)
    }

    /// The yearly review days after `after` up to the extract date: early
    /// in each year, now and then missed.
    fn reviews(&mut self, after: i32) -> Vec<i32> {
        let mut out = Vec::new();
        let mut year = year_of(after) + 1;
        loop {
            let r = year_start(year) + self.rng.random_range(5..=85);
            if r > self.d.as_of {
                break;
            }
            if !self.rng.random_bool(0.02) {
                out.push(r);
            }
            year += 1;
        }
        out
    }

    /// An exponential waiting time in days for `per_year` events a year.
    fn wait(&mut self, per_year: f64) -> i32 {
        if per_year <= 0.0 {
            return i32::MAX / 2;
        }
        let u: f64 = self.rng.random();
        (-(1.0 - u).ln() / per_year * 365.0).min(1e6) as i32
    }

    /// Enrols a household (or the given person) in `p`, approved on
    /// `approved`; nobody leaves before `from` (the stock at the window's
    /// start is the enrolments that lasted until then). Returns the index
    /// of the first row written.
    fn enrol(&mut self, p: &Programme, approved: i32, person: Option<u64>, from: i32) -> usize {
        let size = if p.households && person.is_none() {
            pick(&mut self.rng, &[(1, 0.35), (2, 0.30), (3, 0.20), (4, 0.15)])
        } else {
            1
        };
        let household_id = self.household();
        let start = approved + self.rng.random_range(3..=25);
        let reviews = self.reviews(start);
        // The household leaves at a review after `from`, if at all.
        let mut household_end = None;
        for &r in &reviews {
            if r > from && self.rng.random_bool(p.exit_at_review) {
                household_end = Some(r);
                break;
            }
        }
        let first = self.rows.len();
        let amount = cents(self.rng.random_range(p.amount.0..=p.amount.1).round());
        for _ in 0..size {
            let who = match person {
                Some(n) => n,
                None => self.person(),
            };
            let died = start.max(from).saturating_add(self.wait(p.deaths));
            let alive_until = household_end.unwrap_or(self.d.as_of);
            let (death, end) = if died < alive_until && died <= self.d.as_of {
                let end = died + self.rng.random_range(LAG.0..=LAG.1);
                (Some(died), (end <= self.d.as_of).then_some(end))
            } else {
                (None, household_end)
            };
            let until = end.unwrap_or(self.d.as_of).min(death.unwrap_or(i32::MAX));
            let last_review = reviews.iter().copied().rfind(|r| *r <= until);
            let mut row = Enrolment::new(self.d, self.v, who, &household_id, p.name, amount);
            (row.approved, row.start, row.end) = (approved, start, end);
            row.last_review = last_review;
            row.death = death;
            self.rows.push(row);
        }
        first
    }

    /// Temporary assistance: a one-off of one to three months.
    fn temporary(&mut self, approved: i32) {
        let start = approved + self.rng.random_range(0..=10);
        let end = start + self.rng.random_range(30..=90);
        let person = self.person();
        let household_id = self.household();
        let amount = cents(self.rng.random_range(500.0..=3000.0_f64).round());
        let mut row = Enrolment::new(self.d, self.v, person, &household_id, "temporary", amount);
        (row.approved, row.start) = (approved, start);
        row.end = (end <= self.d.as_of).then_some(end);
        self.rows.push(row);
    }
}

fn year_of(d: i32) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a valid date");
    (epoch + chrono::Duration::days(i64::from(d))).year()
}

fn year_start(year: i32) -> i32 {
    day(NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January is a valid date"))
}

/// Persons enrolled in `p` per 1,000 residents in village `v`.
fn rate(v: &Village, p: &Programme) -> f64 {
    if v.looks_like(Lookalike::PoorHighDibao) {
        p.per_thousand * p.poor
    } else {
        p.per_thousand
    }
}

/// Enrolled units (households or persons) for `persons` enrolled persons.
fn units(p: &Programme, persons: f64) -> f64 {
    if p.households {
        persons / DIBAO_HOUSEHOLD
    } else {
        persons
    }
}

/// Yearly exits per enrolled unit (the rate new approvals replace).
fn turnover(p: &Programme) -> f64 {
    let at_review = -(1.0 - p.exit_at_review).ln();
    if p.households {
        at_review
    } else {
        at_review + p.deaths
    }
}

/// All enrolments of one village, in approval order.
pub(crate) fn village(
    d: &District,
    v: &Village,
    people: &People,
    plan: &VillagePlan,
) -> Vec<Enrolment> {
    let window_start = d.window_start();
    let volume = v.volume(d);
    let poor = v.looks_like(Lookalike::PoorHighDibao);
    let mut rows = Vec::new();

    // The stock at the window's start: ages of a constant-hazard stock are
    // exponential; nobody in it leaves before the window.
    let mut stock = Cell::new(d, v, STOCK);
    for p in &PROGRAMMES {
        let n = poisson(&mut stock.rng, units(p, volume * rate(v, p)));
        for _ in 0..n {
            let age = stock.wait(turnover(p)).clamp(20, 15 * 365);
            let approved = window_start - age;
            let first = stock.enrol(p, approved, None, window_start);
            flag_assets(&mut stock, p, first, poor);
        }
    }
    rows.append(&mut stock.rows);

    // Each quarter's approvals replace the exits.
    for qi in 0..d.quarters.len() {
        let mut c = Cell::new(d, v, SLOTS_BEFORE_QUARTERS + qi);
        let (start, end) = d.quarter_days(qi);
        let years = f64::from(end - start) / 365.0;
        let s = season(d.quarters[qi], SEASON);
        for p in &PROGRAMMES {
            let mean = units(p, volume * rate(v, p)) * turnover(p) * years * s;
            for _ in 0..poisson(&mut c.rng, mean) {
                let approved = day_in(&mut c.rng, start, end);
                let first = c.enrol(p, approved, None, approved);
                flag_assets(&mut c, p, first, poor);
            }
        }
        let temporary = volume * TEMPORARY_PER_THOUSAND * if poor { 2.0 } else { 1.0 };
        for _ in 0..poisson(&mut c.rng, temporary) {
            let approved = day_in(&mut c.rng, start, end);
            c.temporary(approved);
        }
        let captured = plan.episodes(d, qi, Pattern::BenefitCapture);
        if captured > 0 {
            capture(d, v, people, plan, qi, captured, &mut c);
        }
        rows.append(&mut c.rows);
    }

    rows.append(&mut kin(d, v, people, poor));
    let deceased = plan.episodes(d, d.planted_from_index(), Pattern::DeceasedBenefits);
    if deceased > 0 {
        rows.append(&mut still_paid(d, v, deceased));
    }
    if v.looks_like(Lookalike::BackgroundDeaths) {
        rows.append(&mut background_deaths(d, v));
    }

    rows.sort_by_key(|e| e.approved);
    for (i, e) in rows.iter_mut().enumerate() {
        e.record_id = format!("JZ{}{:06}", v.code, i + 1);
    }
    rows
}

/// The asset match flags an eligible household now and then (a flag
/// cleared later); a poor village's enrolments are all checked and clear.
fn flag_assets(c: &mut Cell<'_>, p: &Programme, first: usize, poor: bool) {
    if poor || !matches!(p.name, "dibao" | "tekun") || !c.rng.random_bool(0.004) {
        return;
    }
    if let Some(e) = c.rows.get_mut(first) {
        e.asset_flag = true;
    }
}

/// The serving cadres' kin, in an order fixed for the village: planted
/// enrolments take them from the front, honest ones from the back.
fn kin_order(d: &District, v: &Village, people: &People) -> Vec<u64> {
    let mut kin = people.serving_kin(day(d.planted_from.start()));
    kin.sort_unstable();
    kin.dedup();
    let mut rng = cell_rng(d.seed, Stream::FieldAssistance, v.idx, usize::MAX);
    kin.shuffle(&mut rng);
    kin
}

/// Honest enrolments of cadres' kin, filed as they should be: now and then
/// in any village, more often in a poor one; rarely, elsewhere, the filing
/// is forgotten.
fn kin(d: &District, v: &Village, people: &People, poor: bool) -> Vec<Enrolment> {
    let mut c = Cell::new(d, v, KIN);
    let kin = kin_order(d, v, people);
    if kin.is_empty() {
        return Vec::new();
    }
    let n = if poor {
        pick(&mut c.rng, &[(0, 0.1), (1, 0.6), (2, 0.3)])
    } else {
        usize::from(c.rng.random_bool(0.2))
    };
    let window_start = d.window_start();
    for j in 0..n.min(kin.len()) {
        let who = kin[kin.len() - 1 - j];
        let p = if c.rng.random_bool(0.8) { DIBAO } else { TEKUN };
        let approved = day_in(&mut c.rng, window_start - 3 * 365, d.as_of - 30);
        let first = c.enrol(&p, approved, Some(who), approved.max(window_start));
        let filed = poor || !c.rng.random_bool(0.05);
        if let Some(e) = c.rows.get_mut(first) {
            e.kin_filed = filed;
        }
    }
    c.rows
}

/// Planted `benefit_capture`: `n` new dibao or tekun enrolments in quarter
/// `qi`, each for a serving cadre's relative not filed as kin (some also
/// asset-flagged), or for an ineligible household the asset match flags.
fn capture(
    d: &District,
    v: &Village,
    people: &People,
    plan: &VillagePlan,
    qi: usize,
    n: usize,
    c: &mut Cell<'_>,
) {
    let kin = kin_order(d, v, people);
    // Relatives already taken in the earlier planted quarters.
    let earlier: usize = (d.planted_from_index()..qi)
        .map(|q| plan.episodes(d, q, Pattern::BenefitCapture))
        .sum();
    let (start, end) = d.quarter_days(qi);
    for i in 0..n {
        let e = earlier + i;
        let relative = (e < kin.len() / 2 && c.rng.random_bool(0.6)).then(|| kin[e]);
        let p = if c.rng.random_bool(0.75) {
            DIBAO
        } else {
            TEKUN
        };
        let approved = day_in(&mut c.rng, start, end);
        let who = match relative {
            Some(k) => k,
            None => c.person(),
        };
        let first = c.enrol(&p, approved, Some(who), approved);
        let flagged = relative.is_none() || c.rng.random_bool(0.3);
        let high = c.rng.random_range(0.6..=1.0) * p.amount.1;
        if let Some(row) = c.rows.get_mut(first) {
            row.asset_flag = flagged;
            row.kin_filed = false;
            row.monthly_amount = cents(high.round()).max(row.monthly_amount);
            row.death = None;
            row.end = None;
        }
    }
}

/// Planted `deceased_benefits`: `n` beneficiaries who died a quarter or
/// more before the planted period and are still paid, or stopped only
/// recently, long after the death; the review, if any, was signed after
/// the death or before it.
fn still_paid(d: &District, v: &Village, n: usize) -> Vec<Enrolment> {
    let mut c = Cell::new(d, v, DECEASED);
    let planted_start = day(d.planted_from.start());
    let (last_start, _) = d.quarter_days(d.quarters.len() - 1);
    for _ in 0..n {
        let p = if c.rng.random_bool(0.5) { TEKUN } else { DIBAO };
        let died = planted_start - c.rng.random_range(95..=400);
        let approved = died - c.rng.random_range(400..=2500);
        let person = c.person();
        let first = c.enrol(&p, approved, Some(person), d.as_of);
        let reviews = c.reviews(approved + 25);
        let signed_after = c.rng.random_bool(0.5);
        let review = reviews.iter().copied().rfind(|r| signed_after || *r < died);
        let stopped = c
            .rng
            .random_bool(0.3)
            .then(|| day_in(&mut c.rng, last_start, d.as_of).max(died + 180));
        if let Some(row) = c.rows.get_mut(first) {
            row.death = Some(died);
            row.end = stopped.filter(|s| *s <= d.as_of);
            row.last_review = review.filter(|r| *r > row.start);
            row.asset_flag = false;
        }
    }
    c.rows
}

/// Look-alike `background_deaths`: several long-standing beneficiaries,
/// mostly elderly, die during the window, most in its last two quarters;
/// each enrolment ends days to a few weeks after the death (or is about
/// to, when the death is recent).
fn background_deaths(d: &District, v: &Village) -> Vec<Enrolment> {
    let mut c = Cell::new(d, v, BACKGROUND);
    let window_start = d.window_start();
    let planted_start = day(d.planted_from.start());
    let n = c.rng.random_range(4..=7);
    for _ in 0..n {
        // Tekun, dibao or disability.
        let p = PROGRAMMES[pick(&mut c.rng, &[(1, 0.5), (0, 0.3), (2, 0.2)])];
        let approved = window_start - c.rng.random_range(365..=8 * 365);
        let person = c.person();
        let first = c.enrol(&p, approved, Some(person), d.as_of);
        let died = if c.rng.random_bool(0.7) {
            day_in(&mut c.rng, planted_start, d.as_of)
        } else {
            day_in(&mut c.rng, window_start, planted_start)
        };
        let end = died + c.rng.random_range(LAG.0..=35);
        let reviews = c.reviews(approved + 25);
        let review = reviews.iter().copied().rfind(|r| *r < died);
        if let Some(row) = c.rows.get_mut(first) {
            row.death = Some(died);
            row.end = (end <= d.as_of).then_some(end);
            row.last_review = review.filter(|r| *r > row.start);
        }
    }
    c.rows
}

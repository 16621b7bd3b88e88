//! The trading source (公共资源交易 / 村级小额工程): `trading/YYYY.parquet`,
//! one file per calendar year of `awarded_date`, with the planted
//! `bid_splitting` and `crony_contracts` patterns.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder,
    StringBuilder,
};
use arrow::datatypes::{DataType, SchemaRef};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::district::{District, People, Village};
use super::rng::{Stream, cell_rng, cents, day_in, log_normal, pick, stochastic_round};
use super::sink::{Rows, TableWriter, field, schema};
use super::{Defect, GenerateError, Pattern};

#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub project_id: String,
    pub village_code: String,
    pub category: &'static str,
    pub method: &'static str,
    pub budget: f64,
    pub contract_amount: Option<f64>,
    pub bidder_count: Option<i64>,
    pub winner_id: Option<String>,
    pub announced: Option<i32>,
    pub bid_deadline: Option<i32>,
    pub awarded: i32,
    pub start: Option<i32>,
    pub completed: Option<i32>,
    pub change_amount: Option<f64>,
    pub publicized: bool,
}

/// Writes one file per calendar year; returns the rows written.
pub(crate) fn write(
    d: &District,
    out_dir: &Path,
    defects: &mut Vec<Defect>,
) -> Result<u64, GenerateError> {
    let mut years: Vec<i32> = d.quarters.iter().map(|q| q.year()).collect();
    years.dedup();
    let mut total = 0;
    for &year in &years {
        let path = out_dir.join("trading").join(format!("{year}.parquet"));
        let mut w = TableWriter::create(&path, ProjectRows::new())?;
        let quarters: Vec<usize> = (0..d.quarters.len())
            .filter(|&qi| d.quarters[qi].year() == year)
            .collect();
        for v in &d.villages {
            let people = d.people(v);
            for &qi in &quarters {
                for p in cell(d, v, &people, qi) {
                    w.push(&p)?;
                }
            }
        }
        if d.defects && Some(&year) == years.last() {
            let qi = d.quarters.len() - 1;
            let v = &d.villages[0];
            let people = d.people(v);
            let mut rng = cell_rng(d.seed, Stream::Trading, usize::MAX, qi);
            let (start, end) = d.quarter_days(qi);
            let mut bad = ordinary(d, v, &people, &mut rng, start, end);
            bad.project_id = format!("JY-{}-{}-D001", v.code, d.quarters[qi]);
            bad.budget = -bad.budget;
            defects.push(Defect {
                table: "trading",
                row_id: bad.project_id.clone(),
                defect: format!("budget {} is negative", bad.budget),
            });
            w.push(&bad)?;
        }
        total += w.close()?;
    }
    Ok(total)
}

/// The awards of one village in one quarter, in award order.
fn cell(d: &District, v: &Village, people: &People, qi: usize) -> Vec<Project> {
    let mut rng = cell_rng(d.seed, Stream::Trading, v.idx, qi);
    let (start, end) = d.quarter_days(qi);
    let base = f64::from(rng.random_range(1..=4u8));
    let n = stochastic_round(&mut rng, base * d.volume_factor);
    let mut out: Vec<Project> = (0..n)
        .map(|_| ordinary(d, v, people, &mut rng, start, end))
        .collect();
    if d.planted_quarter(qi) {
        if v.has(Pattern::BidSplitting) {
            splitting(d, v, people, &mut rng, start, end, &mut out);
        }
        if v.has(Pattern::CronyContracts) {
            crony(d, v, people, &mut rng, start, end, &mut out);
        }
    }
    out.sort_by_key(|p| p.awarded);
    for (i, p) in out.iter_mut().enumerate() {
        p.project_id = format!("JY-{}-{}-{:03}", v.code, d.quarters[qi], i + 1);
    }
    out
}

/// Budget rounded to hundreds of yuan, as budgets are set.
fn budget(rng: &mut ChaCha8Rng) -> f64 {
    (log_normal(rng, 40_000.0, 1.0).clamp(5_000.0, 2_000_000.0) / 100.0).round() * 100.0
}

fn ordinary(
    d: &District,
    v: &Village,
    people: &People,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
) -> Project {
    let awarded = day_in(rng, start, end);
    let category = pick(
        rng,
        &[
            ("works", 0.45),
            ("goods", 0.20),
            ("services", 0.20),
            ("asset_lease", 0.10),
            ("asset_sale", 0.05),
        ],
    );
    let budget = budget(rng);
    let method = if matches!(category, "asset_lease" | "asset_sale") {
        pick(
            rng,
            &[("open_tender", 0.5), ("lottery", 0.3), ("negotiation", 0.2)],
        )
    } else if budget >= 400_000.0 {
        pick(
            rng,
            &[("open_tender", 0.85), ("invited", 0.10), ("lottery", 0.05)],
        )
    } else if budget >= 100_000.0 {
        pick(
            rng,
            &[
                ("open_tender", 0.45),
                ("lottery", 0.30),
                ("invited", 0.15),
                ("inquiry", 0.10),
            ],
        )
    } else {
        let m = pick(
            rng,
            &[
                ("inquiry", 0.45),
                ("lottery", 0.25),
                ("negotiation", 0.10),
                ("direct", 0.10),
                ("open_tender", 0.10),
            ],
        );
        if m == "direct" && budget >= 50_000.0 {
            "inquiry"
        } else {
            m
        }
    };
    let bidders = match method {
        "direct" => 1,
        "negotiation" => rng.random_range(2..=3),
        _ if rng.random_bool(0.02) => 1,
        _ => rng.random_range(3..=6),
    };
    let (announced, bid_deadline) = if method == "direct" || rng.random_bool(0.02) {
        (None, None)
    } else {
        let window = match method {
            "open_tender" => rng.random_range(20..=30),
            "invited" => rng.random_range(10..=20),
            "lottery" => rng.random_range(7..=15),
            _ if rng.random_bool(0.03) => rng.random_range(3..=4),
            _ => rng.random_range(5..=10),
        };
        let deadline = awarded - rng.random_range(1..=10);
        (Some(deadline - window), Some(deadline))
    };
    let (lead, length) = match category {
        "works" => (rng.random_range(5..=30), rng.random_range(20..=180)),
        "goods" => (rng.random_range(3..=15), rng.random_range(1..=20)),
        "services" => (rng.random_range(3..=20), rng.random_range(30..=365)),
        "asset_lease" => (rng.random_range(1..=30), i32::MAX),
        _ => (i32::MAX, i32::MAX),
    };
    let start_day = if category == "works" && rng.random_bool(0.015) {
        Some(awarded - rng.random_range(1..=5))
    } else {
        awarded.checked_add(lead)
    }
    .filter(|s| *s <= d.as_of);
    let completed = start_day
        .and_then(|s| s.checked_add(length))
        .filter(|c| *c <= d.as_of);
    let contract = cents(budget * rng.random_range(0.85..0.97));
    let change_amount = match category {
        "works" if rng.random_bool(0.12) => Some(cents(contract * rng.random_range(0.02..0.10))),
        "services" if rng.random_bool(0.04) => Some(cents(contract * rng.random_range(0.02..0.10))),
        _ => None,
    };
    Project {
        project_id: String::new(),
        village_code: v.code.clone(),
        category,
        method,
        budget,
        contract_amount: Some(contract),
        bidder_count: Some(bidders),
        winner_id: Some(
            d.keys
                .supplier(d.winner(v, people, budget >= 400_000.0, rng)),
        ),
        announced,
        bid_deadline,
        awarded,
        start: start_day,
        completed,
        change_amount,
        publicized: rng.random_bool(0.93),
    }
}

/// Planted `bid_splitting`: 3–5 works awards just below the 100,000 yuan
/// approval threshold within a few weeks, without competition, mostly to
/// the same firm.
fn splitting(
    d: &District,
    v: &Village,
    people: &People,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
    out: &mut Vec<Project>,
) {
    let favoured = d.keys.supplier(d.winner(v, people, false, rng));
    let n = rng.random_range(3..=5);
    let first = day_in(rng, start, (end - 30).max(start + 1));
    for i in 0..n {
        let awarded = (first + rng.random_range(0..30)).min(end - 1);
        let budget = f64::from(rng.random_range(90_000..=99_999));
        let method = pick(
            rng,
            &[("direct", 0.4), ("negotiation", 0.3), ("inquiry", 0.3)],
        );
        let (announced, bid_deadline) = if method == "direct" {
            (None, None)
        } else {
            let deadline = awarded - rng.random_range(1..=5);
            (Some(deadline - rng.random_range(5..=8)), Some(deadline))
        };
        let winner = if i < 2 || rng.random_bool(0.75) {
            favoured.clone()
        } else {
            d.keys.supplier(d.winner(v, people, false, rng))
        };
        let contract = cents(budget * rng.random_range(0.95..0.995));
        let start_day = Some(awarded + rng.random_range(3..=15)).filter(|s| *s <= d.as_of);
        out.push(Project {
            project_id: String::new(),
            village_code: v.code.clone(),
            category: "works",
            method,
            budget,
            contract_amount: Some(contract),
            bidder_count: Some(1),
            winner_id: Some(winner),
            announced,
            bid_deadline,
            awarded,
            start: start_day,
            completed: start_day
                .map(|s| s + rng.random_range(20..=60))
                .filter(|c| *c <= d.as_of),
            change_amount: None,
            publicized: rng.random_bool(0.8),
        });
    }
}

/// Planted `crony_contracts`: awards to the firm linked to a cadre, at the
/// full budget, with large variations, work started before the award, a
/// call for bids of under five days and no published result.
fn crony(
    d: &District,
    v: &Village,
    people: &People,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
    out: &mut Vec<Project>,
) {
    let Some(supplier) = people.crony else {
        return;
    };
    let winner = d.keys.supplier(supplier);
    let n = rng.random_range(2..=3);
    for _ in 0..n {
        let awarded = day_in(rng, start, end);
        let budget =
            (log_normal(rng, 80_000.0, 0.6).clamp(30_000.0, 400_000.0) / 100.0).round() * 100.0;
        let method = pick(
            rng,
            &[("inquiry", 0.4), ("invited", 0.3), ("negotiation", 0.3)],
        );
        let deadline = awarded - rng.random_range(1..=5);
        let announced = deadline - rng.random_range(1..=4);
        let contract = cents(budget * rng.random_range(0.99..=1.0));
        let started = awarded - rng.random_range(5..=30);
        out.push(Project {
            project_id: String::new(),
            village_code: v.code.clone(),
            category: if rng.random_bool(0.7) {
                "works"
            } else {
                "services"
            },
            method,
            budget,
            contract_amount: Some(contract),
            bidder_count: Some(rng.random_range(2..=3)),
            winner_id: Some(winner.clone()),
            announced: Some(announced),
            bid_deadline: Some(deadline),
            awarded,
            start: Some(started),
            completed: Some(started + rng.random_range(30..=120)).filter(|c| *c <= d.as_of),
            change_amount: Some(cents(contract * rng.random_range(0.2..=0.5))),
            publicized: false,
        });
    }
}

#[derive(Debug)]
pub(crate) struct ProjectRows {
    schema: SchemaRef,
    project_id: StringBuilder,
    village_code: StringBuilder,
    category: StringBuilder,
    method: StringBuilder,
    budget: Float64Builder,
    contract_amount: Float64Builder,
    bidder_count: Int64Builder,
    winner_id: StringBuilder,
    announced_date: Date32Builder,
    bid_deadline: Date32Builder,
    awarded_date: Date32Builder,
    start_date: Date32Builder,
    completed_date: Date32Builder,
    change_amount: Float64Builder,
    publicized: BooleanBuilder,
}

impl ProjectRows {
    pub(crate) fn new() -> Self {
        use DataType::{Boolean, Date32, Float64, Int64, Utf8};
        Self {
            schema: schema(vec![
                field("project_id", Utf8),
                field("village_code", Utf8),
                field("category", Utf8),
                field("method", Utf8),
                field("budget", Float64),
                field("contract_amount", Float64),
                field("bidder_count", Int64),
                field("winner_id", Utf8),
                field("announced_date", Date32),
                field("bid_deadline", Date32),
                field("awarded_date", Date32),
                field("start_date", Date32),
                field("completed_date", Date32),
                field("change_amount", Float64),
                field("publicized", Boolean),
            ]),
            project_id: StringBuilder::new(),
            village_code: StringBuilder::new(),
            category: StringBuilder::new(),
            method: StringBuilder::new(),
            budget: Float64Builder::new(),
            contract_amount: Float64Builder::new(),
            bidder_count: Int64Builder::new(),
            winner_id: StringBuilder::new(),
            announced_date: Date32Builder::new(),
            bid_deadline: Date32Builder::new(),
            awarded_date: Date32Builder::new(),
            start_date: Date32Builder::new(),
            completed_date: Date32Builder::new(),
            change_amount: Float64Builder::new(),
            publicized: BooleanBuilder::new(),
        }
    }
}

impl Rows for ProjectRows {
    type Row = Project;
    const TABLE: &'static str = "trading";

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn push(&mut self, p: &Project) {
        self.project_id.append_value(&p.project_id);
        self.village_code.append_value(&p.village_code);
        self.category.append_value(p.category);
        self.method.append_value(p.method);
        self.budget.append_value(p.budget);
        self.contract_amount.append_option(p.contract_amount);
        self.bidder_count.append_option(p.bidder_count);
        self.winner_id.append_option(p.winner_id.as_deref());
        self.announced_date.append_option(p.announced);
        self.bid_deadline.append_option(p.bid_deadline);
        self.awarded_date.append_value(p.awarded);
        self.start_date.append_option(p.start);
        self.completed_date.append_option(p.completed);
        self.change_amount.append_option(p.change_amount);
        self.publicized.append_value(p.publicized);
    }

    fn len(&self) -> usize {
        self.project_id.len()
    }

    fn take_columns(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.project_id.finish()),
            Arc::new(self.village_code.finish()),
            Arc::new(self.category.finish()),
            Arc::new(self.method.finish()),
            Arc::new(self.budget.finish()),
            Arc::new(self.contract_amount.finish()),
            Arc::new(self.bidder_count.finish()),
            Arc::new(self.winner_id.finish()),
            Arc::new(self.announced_date.finish()),
            Arc::new(self.bid_deadline.finish()),
            Arc::new(self.awarded_date.finish()),
            Arc::new(self.start_date.finish()),
            Arc::new(self.completed_date.finish()),
            Arc::new(self.change_amount.finish()),
            Arc::new(self.publicized.finish()),
        ]
    }
}

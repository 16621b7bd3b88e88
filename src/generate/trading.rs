//! The trading source (公共资源交易 / 村级小额工程): `trading/YYYY.parquet`,
//! one file per calendar year of `awarded_date`, with the planted
//! `bid_splitting` and `crony_contracts` patterns.

use std::path::Path;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::district::{Cell, District, Village};
use super::rng::{Stream, cents, day_in, log_normal, pick, stochastic_round};
use super::sink::{Row, Rows, TableWriter};
use super::{Defect, GenerateError, Pattern};
use crate::contract::{self, Table};

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
        let mut w = TableWriter::for_rows::<Project>(&path)?;
        let quarters: Vec<usize> = (0..d.quarters.len())
            .filter(|&qi| d.quarters[qi].year() == year)
            .collect();
        for v in &d.villages {
            let people = d.people(v);
            for &qi in &quarters {
                for p in cell(&Cell::new(d, v, &people, qi)) {
                    w.push(&p)?;
                }
            }
        }
        if d.defects && Some(&year) == years.last() {
            let qi = d.quarters.len() - 1;
            let mut bad = d.defect_template(qi, Stream::Trading, ordinary);
            bad.project_id = format!("JY-{}-{}-D001", bad.village_code, d.quarters[qi]);
            bad.budget = -bad.budget;
            let defect = format!("budget {} is negative", bad.budget);
            defects.push(Defect::new("trading", bad.project_id.clone(), defect));
            w.push(&bad)?;
        }
        total += w.close()?;
    }
    Ok(total)
}

/// The awards of one village in one quarter, in award order.
fn cell(c: &Cell) -> Vec<Project> {
    let mut rng = c.rng(Stream::Trading);
    let base = f64::from(rng.random_range(1..=4u8));
    let n = stochastic_round(&mut rng, base * c.d.volume_factor);
    let mut out: Vec<Project> = (0..n).map(|_| ordinary(c, &mut rng)).collect();
    if c.d.active(c.v, c.qi) {
        if c.v.has(Pattern::BidSplitting) {
            splitting(c, &mut rng, &mut out);
        }
        if c.v.has(Pattern::CronyContracts) {
            crony(c, &mut rng, &mut out);
        }
    }
    out.sort_by_key(|p| p.awarded);
    for (i, p) in out.iter_mut().enumerate() {
        p.project_id = format!("JY-{}-{}-{:03}", c.v.code, c.quarter(), i + 1);
    }
    out
}

impl Project {
    /// An award in `v` on `awarded` with only its terms known: no id, no
    /// price, bidders or winner, no call for bids, no works, unpublished.
    pub(crate) fn awarded(
        v: &Village,
        awarded: i32,
        category: &'static str,
        method: &'static str,
        budget: f64,
    ) -> Self {
        Self {
            project_id: String::new(),
            village_code: v.code.clone(),
            category,
            method,
            budget,
            contract_amount: None,
            bidder_count: None,
            winner_id: None,
            announced: None,
            bid_deadline: None,
            awarded,
            start: None,
            completed: None,
            change_amount: None,
            publicized: false,
        }
    }
}

/// Yuan rounded to hundreds, as budgets are set.
pub(crate) fn hundreds(x: f64) -> f64 {
    (x / 100.0).round() * 100.0
}

/// Days from award to the start of work, and the work's length.
pub(crate) fn schedule(category: &str, rng: &mut ChaCha8Rng) -> (i32, i32) {
    match category {
        "works" => (rng.random_range(5..=30), rng.random_range(20..=180)),
        "goods" => (rng.random_range(3..=15), rng.random_range(1..=20)),
        "services" => (rng.random_range(3..=20), rng.random_range(30..=365)),
        "asset_lease" => (rng.random_range(1..=30), i32::MAX),
        _ => (i32::MAX, i32::MAX),
    }
}

const CATEGORIES: &[(&str, f64)] = &[
    ("works", 0.45),
    ("goods", 0.20),
    ("services", 0.20),
    ("asset_lease", 0.10),
    ("asset_sale", 0.05),
];

/// How ordinary awards of `category` with `budget` are made, weighted.
fn methods(category: &str, budget: f64) -> &'static [(&'static str, f64)] {
    if matches!(category, "asset_lease" | "asset_sale") {
        &[("open_tender", 0.5), ("lottery", 0.3), ("negotiation", 0.2)]
    } else if budget >= 400_000.0 {
        &[("open_tender", 0.85), ("invited", 0.10), ("lottery", 0.05)]
    } else if budget >= 100_000.0 {
        &[
            ("open_tender", 0.45),
            ("lottery", 0.30),
            ("invited", 0.15),
            ("inquiry", 0.10),
        ]
    } else {
        &[
            ("inquiry", 0.45),
            ("lottery", 0.25),
            ("negotiation", 0.10),
            ("direct", 0.10),
            ("open_tender", 0.10),
        ]
    }
}

/// How an ordinary award of `category` with `budget` is made: direct
/// awards only below 50,000 yuan.
fn method(rng: &mut ChaCha8Rng, category: &str, budget: f64) -> &'static str {
    match pick(rng, methods(category, budget)) {
        "direct" if budget >= 50_000.0 => "inquiry",
        m => m,
    }
}

/// Days from the announcement of an ordinary call for bids to its
/// deadline, by method: an open tender, an invited tender, a lottery, a
/// rushed quote, a quote. `None` when there is no call: a direct award,
/// or now and then a call not recorded.
pub(crate) fn call_window(
    rng: &mut ChaCha8Rng,
    method: &str,
    windows: &[(i32, i32); 5],
) -> Option<i32> {
    if method == "direct" || rng.random_bool(0.02) {
        return None;
    }
    let (first, last) = match method {
        "open_tender" => windows[0],
        "invited" => windows[1],
        "lottery" => windows[2],
        _ if rng.random_bool(0.03) => windows[3],
        _ => windows[4],
    };
    Some(rng.random_range(first..=last))
}

/// The call for bids of an ordinary award by `method`: announced, and the
/// deadline for bids.
fn ordinary_call(rng: &mut ChaCha8Rng, method: &str, awarded: i32) -> (Option<i32>, Option<i32>) {
    let windows = [(20, 30), (10, 20), (7, 15), (3, 4), (5, 10)];
    let Some(window) = call_window(rng, method, &windows) else {
        return (None, None);
    };
    let deadline = awarded - rng.random_range(1..=10);
    (Some(deadline - window), Some(deadline))
}

fn ordinary(c: &Cell, rng: &mut ChaCha8Rng) -> Project {
    let Cell { d, v, people, .. } = *c;
    let awarded = day_in(rng, c.start, c.end);
    let category = pick(rng, CATEGORIES);
    let budget = hundreds(log_normal(rng, 40_000.0, 1.0).clamp(5_000.0, 2_000_000.0));
    let method = method(rng, category, budget);
    let bidders = match method {
        "direct" => 1,
        "negotiation" => rng.random_range(2..=3),
        _ if rng.random_bool(0.02) => 1,
        _ => rng.random_range(3..=6),
    };
    let (announced, bid_deadline) = ordinary_call(rng, method, awarded);
    let (lead, length) = schedule(category, rng);
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
    let winner = d.winner(v, people, budget >= 400_000.0, rng);
    Project {
        contract_amount: Some(contract),
        bidder_count: Some(bidders),
        winner_id: Some(d.keys.supplier(winner)),
        announced,
        bid_deadline,
        start: start_day,
        completed,
        change_amount,
        publicized: rng.random_bool(0.93),
        ..Project::awarded(v, awarded, category, method, budget)
    }
}

/// Planted `bid_splitting`: 3–5 works awards just below the 100,000 yuan
/// approval threshold within a few weeks, without competition, mostly to
/// the same firm.
fn splitting(c: &Cell, rng: &mut ChaCha8Rng, out: &mut Vec<Project>) {
    let Cell {
        d, v, people, end, ..
    } = *c;
    let favoured = d.keys.supplier(d.winner(v, people, false, rng));
    let n = rng.random_range(3..=5);
    let first = day_in(rng, c.start, (end - 30).max(c.start + 1));
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
        let completed = start_day
            .map(|s| s + rng.random_range(20..=60))
            .filter(|c| *c <= d.as_of);
        out.push(Project {
            contract_amount: Some(contract),
            bidder_count: Some(1),
            winner_id: Some(winner),
            announced,
            bid_deadline,
            start: start_day,
            completed,
            publicized: rng.random_bool(0.8),
            ..Project::awarded(v, awarded, "works", method, budget)
        });
    }
}

/// Planted `crony_contracts`: awards to the firm linked to a cadre, at the
/// full budget, with large variations, work started before the award, a
/// call for bids of under five days and no published result.
fn crony(c: &Cell, rng: &mut ChaCha8Rng, out: &mut Vec<Project>) {
    let Cell { d, v, .. } = *c;
    let Some(supplier) = c.people.crony else {
        return;
    };
    let winner = d.keys.supplier(supplier);
    let n = rng.random_range(2..=3);
    for _ in 0..n {
        let awarded = day_in(rng, c.start, c.end);
        let budget = hundreds(log_normal(rng, 80_000.0, 0.6).clamp(30_000.0, 400_000.0));
        let method = pick(
            rng,
            &[("inquiry", 0.4), ("invited", 0.3), ("negotiation", 0.3)],
        );
        let deadline = awarded - rng.random_range(1..=5);
        let announced = deadline - rng.random_range(1..=4);
        let contract = cents(budget * rng.random_range(0.99..=1.0));
        let started = awarded - rng.random_range(5..=30);
        let category = if rng.random_bool(0.7) {
            "works"
        } else {
            "services"
        };
        out.push(Project {
            contract_amount: Some(contract),
            bidder_count: Some(rng.random_range(2..=3)),
            winner_id: Some(winner.clone()),
            announced: Some(announced),
            bid_deadline: Some(deadline),
            start: Some(started),
            completed: Some(started + rng.random_range(30..=120)).filter(|c| *c <= d.as_of),
            change_amount: Some(cents(contract * rng.random_range(0.2..=0.5))),
            ..Project::awarded(v, awarded, category, method, budget)
        });
    }
}

impl Row for Project {
    const TABLE: &'static Table = &contract::TRADING;

    fn append_to(&self, r: &mut Rows) {
        r.text("project_id", self.project_id.as_str());
        r.text("village_code", self.village_code.as_str());
        r.text("category", self.category);
        r.text("method", self.method);
        r.amount("budget", self.budget);
        r.amount("contract_amount", self.contract_amount);
        r.count("bidder_count", self.bidder_count);
        r.text("winner_id", self.winner_id.as_deref());
        r.date("announced_date", self.announced);
        r.date("bid_deadline", self.bid_deadline);
        r.date("awarded_date", self.awarded);
        r.date("start_date", self.start);
        r.date("completed_date", self.completed);
        r.amount("change_amount", self.change_amount);
        r.flag("publicized", self.publicized);
    }
}

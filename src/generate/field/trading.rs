//! Field profile, trading (公共资源交易 / 村级小额工程): one partition per
//! quarter of `awarded_date`, `trading/quarter=YYYYQn/part-0.parquet`.
//! Ordinary awards are mostly small direct and inquiry awards below the
//! 100,000 yuan approval threshold, with some open tenders, more in the
//! building season (Q2–Q3). Planted here: `bid_splitting` (one job split
//! into two or three awards just below the threshold), `crony_contracts`
//! (awards to a cadre's firm, showing as a variation order or as a price at
//! the ceiling with works begun early), `collusive_tender` (an invited
//! tender with a short call and one bidder); and the `remote_single_bid`
//! and `linked_fair_winner` look-alikes.

use std::path::Path;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::super::GenerateError;
use super::super::district::{Cell, District};
use super::super::rng::{Stream, cents, day_in, log_normal, pick, poisson};
use super::super::trading::{Project, call_window, hundreds, schedule};
use super::super::{Lookalike, Pattern};
use super::plan::{CronyStyle, VillagePlan};
use super::season;

/// The common approval threshold: awards from here up need the township's
/// approval and, mostly, a tender.
pub(crate) const THRESHOLD: f64 = 100_000.0;
/// Building season: little in winter and around the Spring Festival.
const SEASON: [f64; 4] = [0.6, 1.25, 1.35, 0.8];
/// Awards per village per quarter, plus this many per 1,000 residents.
const BASE: f64 = 0.6;
const PER_THOUSAND: f64 = 0.45;
/// Chance that a `linked_fair_winner` village tenders a job its linked
/// firm wins in a quarter before the last (it always does in the last).
const FAIR_LINKED_EARLIER: f64 = 0.3;

/// Writes one partition per quarter; returns the rows written.
pub(crate) fn write(d: &District, out_dir: &Path) -> Result<u64, GenerateError> {
    let mut total = 0;
    for qi in 0..d.quarters.len() {
        let path = out_dir
            .join("trading")
            .join(format!("quarter={}", d.quarters[qi]))
            .join("part-0.parquet");
        total += super::write_cells(d, &path, qi..qi + 1, cell)?;
    }
    Ok(total)
}

/// The awards of one village in one quarter, in award order.
pub(crate) fn cell(c: &Cell, plan: &VillagePlan) -> Vec<Project> {
    let Cell { d, v, qi, .. } = *c;
    let mut rng = c.rng(Stream::FieldTrading);
    let remote = v.looks_like(Lookalike::RemoteSingleBid);
    let mean = (BASE * d.volume_factor + PER_THOUSAND * v.volume(d))
        * plan.activity
        * season(c.quarter(), SEASON);
    let n = poisson(&mut rng, mean);
    let mut out: Vec<Project> = (0..n).map(|_| ordinary(c, remote, &mut rng)).collect();
    for _ in 0..plan.episodes(d, qi, Pattern::BidSplitting) {
        splitting(c, &mut rng, &mut out);
    }
    if let Some(crony) = c.people.crony {
        let winner = d.keys.supplier(crony);
        for _ in 0..plan.episodes(d, qi, Pattern::CronyContracts) {
            out.push(crony_award(c, plan, &winner, &mut rng));
        }
        for _ in 0..plan.episodes(d, qi, Pattern::CollusiveTender) {
            out.push(collusive(c, &winner, &mut rng));
        }
        let last = qi + 1 == d.quarters.len();
        if v.looks_like(Lookalike::LinkedFairWinner)
            && (last || rng.random_bool(FAIR_LINKED_EARLIER))
        {
            out.push(fair_linked(c, &winner, &mut rng));
        }
    }
    out.sort_by_key(|p| p.awarded);
    for (i, p) in out.iter_mut().enumerate() {
        p.project_id = format!("JY{}{}{:03}", v.code, c.quarter(), i + 1);
    }
    out
}

/// The terms of an award, from which [`project`] writes its record. The
/// fields of a literal are evaluated in the order written: where a field
/// draws from the stream, its place decides the draw.
#[derive(Debug)]
struct Terms {
    category: &'static str,
    method: &'static str,
    budget: f64,
    /// Yuan, before rounding to cents.
    contract: f64,
    bidders: i64,
    winner: String,
    /// The call for bids: announced, deadline.
    call: Option<(i32, i32)>,
    /// The first day of work, if any; it shows only by the extract date.
    start: Option<i32>,
    /// Days of work.
    length: i32,
    change: Option<f64>,
    publicized: bool,
}

/// The award of `terms` made on `awarded`.
fn project(c: &Cell, awarded: i32, t: Terms) -> Project {
    let as_of = c.d.as_of;
    let start = t.start.filter(|s| *s <= as_of);
    Project {
        contract_amount: Some(cents(t.contract)),
        bidder_count: Some(t.bidders),
        winner_id: Some(t.winner),
        announced: t.call.map(|c| c.0),
        bid_deadline: t.call.map(|c| c.1),
        start,
        completed: start
            .and_then(|s| s.checked_add(t.length))
            .filter(|c| *c <= as_of),
        change_amount: t.change.map(cents),
        publicized: t.publicized,
        ..Project::awarded(c.v, awarded, t.category, t.method, t.budget)
    }
}

/// A call for bids: announced `window` days before a deadline shortly
/// before the award.
fn call(rng: &mut ChaCha8Rng, awarded: i32, window: i32) -> Option<(i32, i32)> {
    let deadline = awarded - rng.random_range(1..=7);
    Some((deadline - window, deadline))
}

const CATEGORIES: &[(&str, f64)] = &[
    ("works", 0.45),
    ("goods", 0.22),
    ("services", 0.20),
    ("asset_lease", 0.09),
    ("asset_sale", 0.04),
];

/// How ordinary awards of `category` with `budget` are made, weighted.
fn methods(category: &str, budget: f64, remote: bool) -> &'static [(&'static str, f64)] {
    if matches!(category, "asset_lease" | "asset_sale") {
        &[
            ("open_tender", 0.45),
            ("negotiation", 0.35),
            ("lottery", 0.2),
        ]
    } else if remote && budget >= THRESHOLD {
        // Few firms come this far: quotes and single bids are normal.
        &[("open_tender", 0.6), ("invited", 0.25), ("inquiry", 0.15)]
    } else if remote {
        &[("inquiry", 0.5), ("direct", 0.35), ("negotiation", 0.15)]
    } else if budget >= 400_000.0 {
        &[("open_tender", 0.9), ("invited", 0.1)]
    } else if budget >= THRESHOLD {
        &[
            ("open_tender", 0.65),
            ("lottery", 0.15),
            ("invited", 0.12),
            ("inquiry", 0.08),
        ]
    } else {
        &[
            ("inquiry", 0.42),
            ("direct", 0.30),
            ("open_tender", 0.12),
            ("negotiation", 0.08),
            ("lottery", 0.08),
        ]
    }
}

/// How an ordinary award of `category` with `budget` is made: direct
/// awards only for small sums.
fn method(rng: &mut ChaCha8Rng, category: &str, budget: f64, remote: bool) -> &'static str {
    match pick(rng, methods(category, budget, remote)) {
        "direct" if budget >= 30_000.0 => "inquiry",
        m => m,
    }
}

/// How many bid for an ordinary award by `method`.
fn bidders(rng: &mut ChaCha8Rng, method: &str, remote: bool) -> i64 {
    match method {
        "direct" => 1,
        "negotiation" if remote => rng.random_range(1..=2),
        "negotiation" => rng.random_range(1..=3),
        _ if remote && rng.random_bool(0.45) => 1,
        _ if remote => rng.random_range(2..=3),
        _ if rng.random_bool(0.03) => 1,
        "inquiry" if rng.random_bool(0.7) => 3,
        "inquiry" => rng.random_range(2..=5),
        "invited" => rng.random_range(3..=5),
        "lottery" => rng.random_range(4..=12),
        _ => (3 + poisson(rng, 2.5)).min(12) as i64,
    }
}

/// The call for bids of an ordinary award by `method`, if any.
fn ordinary_call(rng: &mut ChaCha8Rng, method: &str, awarded: i32) -> Option<(i32, i32)> {
    let windows = [(20, 30), (10, 20), (7, 12), (1, 2), (3, 7)];
    let window = call_window(rng, method, &windows)?;
    call(rng, awarded, window)
}

fn ordinary(c: &Cell, remote: bool, rng: &mut ChaCha8Rng) -> Project {
    let Cell { d, v, people, .. } = *c;
    let awarded = day_in(rng, c.start, c.end);
    let category = pick(rng, CATEGORIES);
    let budget = hundreds(log_normal(rng, 28_000.0, 0.95).clamp(2_000.0, 3_000_000.0));
    let method = method(rng, category, budget, remote);
    let bidders = bidders(rng, method, remote);
    let call = ordinary_call(rng, method, awarded);
    let (lead, length) = schedule(category, rng);
    // Emergency repairs begin before the paperwork now and then.
    let start = if category == "works" && rng.random_bool(0.01) {
        Some(awarded - rng.random_range(1..=7))
    } else {
        awarded.checked_add(lead)
    };
    let share = match method {
        _ if remote => rng.random_range(0.86..0.96),
        "open_tender" => rng.random_range(0.78..0.95),
        "lottery" => rng.random_range(0.85..0.97),
        _ => rng.random_range(0.86..0.98),
    };
    let contract = budget * share;
    let change = match category {
        "works" if rng.random_bool(if remote { 0.08 } else { 0.10 }) => {
            Some(contract * rng.random_range(0.02..0.12))
        }
        "services" if rng.random_bool(0.03) => Some(contract * rng.random_range(0.02..0.10)),
        _ => None,
    };
    let winner = if remote && !people.favourites.is_empty() && rng.random_bool(0.85) {
        people.favourites[rng.random_range(0..people.favourites.len())]
    } else {
        d.winner(v, people, budget >= 400_000.0, rng)
    };
    let terms = Terms {
        category,
        method,
        budget,
        contract,
        bidders,
        winner: d.keys.supplier(winner),
        call,
        start,
        length,
        change,
        publicized: rng.random_bool(if remote { 0.97 } else { 0.95 }),
    };
    project(c, awarded, terms)
}

/// Planted `bid_splitting`: one job split into two or three awards, each
/// budgeted at 88–99.9% of the threshold, to the same usual supplier
/// within five weeks, by direct award or a pro-forma inquiry.
fn splitting(c: &Cell, rng: &mut ChaCha8Rng, out: &mut Vec<Project>) {
    let Cell {
        d, v, start, end, ..
    } = *c;
    let winner = d.keys.supplier(d.winner(v, c.people, false, rng));
    let parts = rng.random_range(2..=3);
    let category = if rng.random_bool(0.8) {
        "works"
    } else {
        "goods"
    };
    let first = day_in(rng, start, (end - 35).max(start + 1));
    for _ in 0..parts {
        let awarded = (first + rng.random_range(0..35)).min(end - 1);
        let budget = hundreds(THRESHOLD * rng.random_range(0.88..0.999));
        let (method, bidders, call) = if rng.random_bool(0.5) {
            ("direct", 1, None)
        } else {
            let window = rng.random_range(2..=5);
            let deadline = awarded - rng.random_range(1..=3);
            let bidders = rng.random_range(1..=3);
            ("inquiry", bidders, Some((deadline - window, deadline)))
        };
        let terms = Terms {
            category,
            method,
            budget,
            contract: budget * rng.random_range(0.95..0.995),
            bidders,
            winner: winner.clone(),
            call,
            start: Some(awarded + rng.random_range(2..=12)),
            length: rng.random_range(15..=60),
            change: None,
            publicized: rng.random_bool(0.85),
        };
        out.push(project(c, awarded, terms));
    }
}

/// Planted `crony_contracts`: an award to the firm of a serving cadre.
/// Open style: a proper open tender at a normal price, with a variation
/// order of 20–60% of the contract (or only the repeat petition, written
/// by the petitions source). Ceiling style: a quote or invited award at
/// 98–100% of the budget, works begun before the award.
fn crony_award(c: &Cell, plan: &VillagePlan, winner: &str, rng: &mut ChaCha8Rng) -> Project {
    let awarded = day_in(rng, c.start, c.end);
    let category = if rng.random_bool(0.75) {
        "works"
    } else {
        "services"
    };
    let terms = match plan.crony_style {
        CronyStyle::Open { variation, .. } => {
            let budget = hundreds(log_normal(rng, 180_000.0, 0.5).clamp(THRESHOLD, 900_000.0));
            let window = rng.random_range(20..=28);
            let call = call(rng, awarded, window);
            let contract = budget * rng.random_range(0.85..0.94);
            Terms {
                category,
                method: "open_tender",
                budget,
                contract,
                change: variation.then(|| contract * rng.random_range(0.20..=0.60)),
                start: Some(awarded + rng.random_range(7..=25)),
                length: rng.random_range(40..=150),
                bidders: rng.random_range(3..=6),
                winner: winner.to_string(),
                call,
                publicized: true,
            }
        }
        CronyStyle::Ceiling => {
            let budget = hundreds(log_normal(rng, 70_000.0, 0.6).clamp(20_000.0, 400_000.0));
            let method = pick(
                rng,
                &[("inquiry", 0.45), ("invited", 0.30), ("negotiation", 0.25)],
            );
            let window = rng.random_range(3..=7);
            let call = call(rng, awarded, window);
            let contract = budget * rng.random_range(0.98..=1.0);
            Terms {
                category,
                method,
                budget,
                contract,
                change: rng
                    .random_bool(0.3)
                    .then(|| contract * rng.random_range(0.10..0.30)),
                start: Some(awarded - rng.random_range(5..=30)),
                length: rng.random_range(30..=120),
                bidders: rng.random_range(2..=3),
                publicized: rng.random_bool(0.6),
                winner: winner.to_string(),
                call,
            }
        }
    };
    project(c, awarded, terms)
}

/// Planted `collusive_tender`: an invited tender announced one to four
/// days before its deadline, one bidder, the cadre-linked firm winning at
/// the ceiling, then a large variation order.
fn collusive(c: &Cell, winner: &str, rng: &mut ChaCha8Rng) -> Project {
    let awarded = day_in(rng, c.start, c.end);
    let budget = hundreds(log_normal(rng, 260_000.0, 0.45).clamp(110_000.0, 1_200_000.0));
    let deadline = awarded - rng.random_range(1..=3);
    let call = Some((deadline - rng.random_range(1..=4), deadline));
    let contract = budget * rng.random_range(0.995..=1.0);
    let terms = Terms {
        category: "works",
        method: "invited",
        budget,
        contract,
        change: Some(contract * rng.random_range(0.25..=0.60)),
        start: Some(awarded + rng.random_range(3..=15)),
        length: rng.random_range(40..=150),
        publicized: rng.random_bool(0.75),
        bidders: 1,
        winner: winner.to_string(),
        call,
    };
    project(c, awarded, terms)
}

/// Look-alike `linked_fair_winner`: the disclosed firm of a cadre wins a
/// genuinely open tender, many bidders, a normal price, no variation.
fn fair_linked(c: &Cell, winner: &str, rng: &mut ChaCha8Rng) -> Project {
    let awarded = day_in(rng, c.start, c.end);
    let budget = hundreds(log_normal(rng, 200_000.0, 0.5).clamp(THRESHOLD, 1_000_000.0));
    let window = rng.random_range(20..=30);
    let call = call(rng, awarded, window);
    let terms = Terms {
        category: "works",
        method: "open_tender",
        budget,
        contract: budget * rng.random_range(0.75..=0.92),
        start: Some(awarded + rng.random_range(7..=30)),
        length: rng.random_range(40..=150),
        bidders: rng.random_range(5..=10),
        winner: winner.to_string(),
        call,
        change: None,
        publicized: true,
    };
    project(c, awarded, terms)
}

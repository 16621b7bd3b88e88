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
use super::super::district::{District, People, Village};
use super::super::rng::{Stream, cell_rng, cents, day_in, log_normal, pick, poisson};
use super::super::trading::{Project, ProjectRows};
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
        total += super::write_cells(d, &path, ProjectRows::new(), qi..qi + 1, cell)?;
    }
    Ok(total)
}

/// The awards of one village in one quarter, in award order.
pub(crate) fn cell(
    d: &District,
    v: &Village,
    people: &People,
    plan: &VillagePlan,
    qi: usize,
) -> Vec<Project> {
    let mut rng = cell_rng(d.seed, Stream::FieldTrading, v.idx, qi);
    let (start, end) = d.quarter_days(qi);
    let remote = v.looks_like(Lookalike::RemoteSingleBid);
    let mean = (BASE * d.volume_factor + PER_THOUSAND * v.volume(d))
        * plan.activity
        * season(d.quarters[qi], SEASON);
    let n = poisson(&mut rng, mean);
    let mut out: Vec<Project> = (0..n)
        .map(|_| ordinary(d, v, people, remote, &mut rng, start, end))
        .collect();
    for _ in 0..plan.episodes(d, qi, Pattern::BidSplitting) {
        splitting(d, v, people, &mut rng, start, end, &mut out);
    }
    if let Some(crony) = people.crony {
        let winner = d.keys.supplier(crony);
        for _ in 0..plan.episodes(d, qi, Pattern::CronyContracts) {
            out.push(crony_award(d, v, plan, &winner, &mut rng, start, end));
        }
        for _ in 0..plan.episodes(d, qi, Pattern::CollusiveTender) {
            out.push(collusive(d, v, &winner, &mut rng, start, end));
        }
        let last = qi + 1 == d.quarters.len();
        if v.looks_like(Lookalike::LinkedFairWinner)
            && (last || rng.random_bool(FAIR_LINKED_EARLIER))
        {
            out.push(fair_linked(d, v, &winner, &mut rng, start, end));
        }
    }
    out.sort_by_key(|p| p.awarded);
    for (i, p) in out.iter_mut().enumerate() {
        p.project_id = format!("JY{}{}{:03}", v.code, d.quarters[qi], i + 1);
    }
    out
}

/// Yuan rounded to hundreds, as budgets are set.
fn hundreds(x: f64) -> f64 {
    (x / 100.0).round() * 100.0
}

/// Days from award to the start of work, and the work's length.
fn schedule(category: &str, rng: &mut ChaCha8Rng) -> (i32, i32) {
    match category {
        "works" => (rng.random_range(5..=30), rng.random_range(20..=180)),
        "goods" => (rng.random_range(3..=15), rng.random_range(1..=20)),
        "services" => (rng.random_range(3..=20), rng.random_range(30..=365)),
        "asset_lease" => (rng.random_range(1..=30), i32::MAX),
        _ => (i32::MAX, i32::MAX),
    }
}

/// A project with the given terms, dated from `awarded`.
#[allow(clippy::too_many_arguments)]
fn project(
    d: &District,
    v: &Village,
    category: &'static str,
    method: &'static str,
    budget: f64,
    contract: f64,
    bidders: i64,
    winner: String,
    awarded: i32,
    call: Option<(i32, i32)>,
    start: Option<i32>,
    length: i32,
    change: Option<f64>,
    publicized: bool,
) -> Project {
    let start = start.filter(|s| *s <= d.as_of);
    Project {
        project_id: String::new(),
        village_code: v.code.clone(),
        category,
        method,
        budget,
        contract_amount: Some(cents(contract)),
        bidder_count: Some(bidders),
        winner_id: Some(winner),
        announced: call.map(|c| c.0),
        bid_deadline: call.map(|c| c.1),
        awarded,
        start,
        completed: start
            .and_then(|s| s.checked_add(length))
            .filter(|c| *c <= d.as_of),
        change_amount: change.map(cents),
        publicized,
    }
}

/// A call for bids: announced `window` days before a deadline shortly
/// before the award.
fn call(rng: &mut ChaCha8Rng, awarded: i32, window: i32) -> Option<(i32, i32)> {
    let deadline = awarded - rng.random_range(1..=7);
    Some((deadline - window, deadline))
}

fn ordinary(
    d: &District,
    v: &Village,
    people: &People,
    remote: bool,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
) -> Project {
    let awarded = day_in(rng, start, end);
    let category = pick(
        rng,
        &[
            ("works", 0.45),
            ("goods", 0.22),
            ("services", 0.20),
            ("asset_lease", 0.09),
            ("asset_sale", 0.04),
        ],
    );
    let budget = hundreds(log_normal(rng, 28_000.0, 0.95).clamp(2_000.0, 3_000_000.0));
    let method = if matches!(category, "asset_lease" | "asset_sale") {
        pick(
            rng,
            &[
                ("open_tender", 0.45),
                ("negotiation", 0.35),
                ("lottery", 0.2),
            ],
        )
    } else if remote {
        // Few firms come this far: quotes and single bids are normal.
        if budget >= THRESHOLD {
            pick(
                rng,
                &[("open_tender", 0.6), ("invited", 0.25), ("inquiry", 0.15)],
            )
        } else {
            pick(
                rng,
                &[("inquiry", 0.5), ("direct", 0.35), ("negotiation", 0.15)],
            )
        }
    } else if budget >= 400_000.0 {
        pick(rng, &[("open_tender", 0.9), ("invited", 0.1)])
    } else if budget >= THRESHOLD {
        pick(
            rng,
            &[
                ("open_tender", 0.65),
                ("lottery", 0.15),
                ("invited", 0.12),
                ("inquiry", 0.08),
            ],
        )
    } else {
        pick(
            rng,
            &[
                ("inquiry", 0.42),
                ("direct", 0.30),
                ("open_tender", 0.12),
                ("negotiation", 0.08),
                ("lottery", 0.08),
            ],
        )
    };
    // Direct awards only for small sums.
    let method = if method == "direct" && budget >= 30_000.0 {
        "inquiry"
    } else {
        method
    };
    let bidders: i64 = match method {
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
    };
    let call = if method == "direct" || rng.random_bool(0.02) {
        None
    } else {
        let window = match method {
            "open_tender" => rng.random_range(20..=30),
            "invited" => rng.random_range(10..=20),
            "lottery" => rng.random_range(7..=12),
            _ if rng.random_bool(0.03) => rng.random_range(1..=2),
            _ => rng.random_range(3..=7),
        };
        call(rng, awarded, window)
    };
    let (lead, length) = schedule(category, rng);
    // Emergency repairs begin before the paperwork now and then.
    let start_day = if category == "works" && rng.random_bool(0.01) {
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
    let publicized = rng.random_bool(if remote { 0.97 } else { 0.95 });
    project(
        d,
        v,
        category,
        method,
        budget,
        contract,
        bidders,
        d.keys.supplier(winner),
        awarded,
        call,
        start_day,
        length,
        change,
        publicized,
    )
}

/// Planted `bid_splitting`: one job split into two or three awards, each
/// budgeted at 88–99.9% of the threshold, to the same usual supplier
/// within five weeks, by direct award or a pro-forma inquiry.
fn splitting(
    d: &District,
    v: &Village,
    people: &People,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
    out: &mut Vec<Project>,
) {
    let winner = d.keys.supplier(d.winner(v, people, false, rng));
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
            (
                "inquiry",
                rng.random_range(1..=3),
                Some((deadline - window, deadline)),
            )
        };
        let contract = budget * rng.random_range(0.95..0.995);
        let start_day = Some(awarded + rng.random_range(2..=12));
        let length = rng.random_range(15..=60);
        let publicized = rng.random_bool(0.85);
        out.push(project(
            d,
            v,
            category,
            method,
            budget,
            contract,
            bidders,
            winner.clone(),
            awarded,
            call,
            start_day,
            length,
            None,
            publicized,
        ));
    }
}

/// Planted `crony_contracts`: an award to the firm of a serving cadre.
/// Open style: a proper open tender at a normal price, with a variation
/// order of 20–60% of the contract (or only the repeat petition, written
/// by the petitions source). Ceiling style: a quote or invited award at
/// 98–100% of the budget, works begun before the award.
fn crony_award(
    d: &District,
    v: &Village,
    plan: &VillagePlan,
    winner: &str,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
) -> Project {
    let awarded = day_in(rng, start, end);
    let category = if rng.random_bool(0.75) {
        "works"
    } else {
        "services"
    };
    match plan.crony_style {
        CronyStyle::Open { variation, .. } => {
            let budget = hundreds(log_normal(rng, 180_000.0, 0.5).clamp(THRESHOLD, 900_000.0));
            let window = rng.random_range(20..=28);
            let call = call(rng, awarded, window);
            let contract = budget * rng.random_range(0.85..0.94);
            let change = variation.then(|| contract * rng.random_range(0.20..=0.60));
            let start_day = Some(awarded + rng.random_range(7..=25));
            let length = rng.random_range(40..=150);
            let bidders = rng.random_range(3..=6);
            project(
                d,
                v,
                category,
                "open_tender",
                budget,
                contract,
                bidders,
                winner.to_string(),
                awarded,
                call,
                start_day,
                length,
                change,
                true,
            )
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
            let change = rng
                .random_bool(0.3)
                .then(|| contract * rng.random_range(0.10..0.30));
            let start_day = Some(awarded - rng.random_range(5..=30));
            let length = rng.random_range(30..=120);
            let bidders = rng.random_range(2..=3);
            let publicized = rng.random_bool(0.6);
            project(
                d,
                v,
                category,
                method,
                budget,
                contract,
                bidders,
                winner.to_string(),
                awarded,
                call,
                start_day,
                length,
                change,
                publicized,
            )
        }
    }
}

/// Planted `collusive_tender`: an invited tender announced one to four
/// days before its deadline, one bidder, the cadre-linked firm winning at
/// the ceiling, then a large variation order.
fn collusive(
    d: &District,
    v: &Village,
    winner: &str,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
) -> Project {
    let awarded = day_in(rng, start, end);
    let budget = hundreds(log_normal(rng, 260_000.0, 0.45).clamp(110_000.0, 1_200_000.0));
    let deadline = awarded - rng.random_range(1..=3);
    let call = Some((deadline - rng.random_range(1..=4), deadline));
    let contract = budget * rng.random_range(0.995..=1.0);
    let change = Some(contract * rng.random_range(0.25..=0.60));
    let start_day = Some(awarded + rng.random_range(3..=15));
    let length = rng.random_range(40..=150);
    let publicized = rng.random_bool(0.75);
    project(
        d,
        v,
        "works",
        "invited",
        budget,
        contract,
        1,
        winner.to_string(),
        awarded,
        call,
        start_day,
        length,
        change,
        publicized,
    )
}

/// Look-alike `linked_fair_winner`: the disclosed firm of a cadre wins a
/// genuinely open tender, many bidders, a normal price, no variation.
fn fair_linked(
    d: &District,
    v: &Village,
    winner: &str,
    rng: &mut ChaCha8Rng,
    start: i32,
    end: i32,
) -> Project {
    let awarded = day_in(rng, start, end);
    let budget = hundreds(log_normal(rng, 200_000.0, 0.5).clamp(THRESHOLD, 1_000_000.0));
    let window = rng.random_range(20..=30);
    let call = call(rng, awarded, window);
    let contract = budget * rng.random_range(0.75..=0.92);
    let start_day = Some(awarded + rng.random_range(7..=30));
    let length = rng.random_range(40..=150);
    let bidders = rng.random_range(5..=10);
    project(
        d,
        v,
        "works",
        "open_tender",
        budget,
        contract,
        bidders,
        winner.to_string(),
        awarded,
        call,
        start_day,
        length,
        None,
        true,
    )
}

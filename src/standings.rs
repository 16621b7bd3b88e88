//! Standings: what the scored quarter says beyond each village's own row,
//! computed once for the report and the analysts' tables to lay out: the
//! township league and, in a province extract, the county league
//! (competition ranks of the mean index, this quarter and last), the largest movers, rank movement, the district's
//! and townships' medians over the trend quarters, and the medians a
//! village page compares a village against.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::rank::{Tier, competition_ranks, mean, median, median_of};
use crate::framework::Framework;
use crate::model::{DataPointTable, IndicatorValues, Village};
use crate::period::Quarter;
use crate::scoring::{PastQuarter, Scores, listing_order};

/// How many falls and how many rises the movers list shows.
pub const MOVERS: usize = 5;
/// How many of the largest rank moves the movement chart names.
pub const NAMED_MOVES: usize = 6;

/// One township (or county) in its league.
#[derive(Debug, Clone, PartialEq)]
pub struct TownshipStanding {
    pub code: String,
    pub name: String,
    /// Competition rank of the mean index as printed ("1, 2, 2, 4").
    pub rank: u32,
    /// The indices of its ranked villages, in village order.
    pub indices: Vec<f64>,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    /// Sample standard deviation; `None` with fewer than two villages.
    pub sd: Option<f64>,
    pub min: f64,
    pub max: f64,
    /// Villages of the township in tier red.
    pub red: usize,
    pub previous_mean: Option<f64>,
    pub previous_rank: Option<u32>,
    /// Mean index per trend quarter, oldest first.
    pub trend: Vec<Option<f64>>,
}

/// One quarter of the trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendQuarter {
    pub quarter: Quarter,
    pub ranked: usize,
    /// The district's median index of ranked villages.
    pub median: Option<f64>,
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
}

/// A ranked village's move from last quarter's rank to this one's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankMove {
    pub village: usize,
    pub before: u32,
    pub now: u32,
    pub tier: Tier,
    /// Among the [`NAMED_MOVES`] largest moves.
    pub named: bool,
}

/// The medians a village page sets a village against.
#[derive(Debug, Clone, Default)]
pub struct Medians {
    /// Per indicator, the district's median raw value.
    pub district_raw: Vec<Option<f64>>,
    /// Per (township, indicator), the township's median raw value.
    pub township_raw: BTreeMap<(String, usize), Option<f64>>,
    /// Per dimension, the median score of ranked villages.
    pub dimension: Vec<Option<f64>>,
    /// Per township, per dimension, the median score of its ranked villages.
    pub township_dimension: BTreeMap<String, Vec<Option<f64>>>,
    /// Per trend quarter before this one, each village's index (ranked
    /// villages only), by village code.
    pub past_index: Vec<BTreeMap<String, Option<f64>>>,
}

/// Everything the quarter's standings hold.
#[derive(Debug, Clone)]
pub struct Standings {
    /// Villages in listing order (rank, then code; unranked last).
    pub order: Vec<usize>,
    /// The ranked villages, in listing order.
    pub ranked: Vec<usize>,
    pub median_index: Option<f64>,
    pub median_previous: Option<f64>,
    /// The largest falls (most negative first) and rises (largest first):
    /// (village, index change).
    pub falls: Vec<(usize, f64)>,
    pub rises: Vec<(usize, f64)>,
    /// Ranked villages with an index last quarter as well (no movers
    /// list without one).
    pub compared: usize,
    /// Villages by township code, in village order.
    pub township_members: BTreeMap<String, Vec<usize>>,
    /// The league, by rank then code; townships without a ranked village
    /// are left out.
    pub townships: Vec<TownshipStanding>,
    /// The county league, as the townships' (with one county: empty).
    pub counties: Vec<TownshipStanding>,
    /// The trend quarters, oldest first; the last is this one.
    pub trend: Vec<TrendQuarter>,
    pub moves: Vec<RankMove>,
    /// Per indicator, its dimension's position in the framework.
    pub dimension_of: Vec<usize>,
    pub medians: Medians,
}

/// What a league groups villages by: their township or their county.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Township,
    County,
}

impl Level {
    fn code(self, v: &Village) -> &str {
        match self {
            Level::Township => &v.township_code,
            Level::County => v.county_code(),
        }
    }
}

/// Villages (indices) by township code, in village order.
fn by_township(villages: &[Village]) -> BTreeMap<String, Vec<usize>> {
    by_level(villages, Level::Township)
}

/// Villages (indices) by township or county code, in village order.
fn by_level(villages: &[Village], level: Level) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, v) in villages.iter().enumerate() {
        out.entry(level.code(v).to_string()).or_default().push(i);
    }
    out
}

/// Ranked villages' indices of one township.
fn township_indices(scores: &Scores, members: &[usize]) -> Vec<f64> {
    members
        .iter()
        .filter(|&&v| scores.villages[v].rank.is_some())
        .filter_map(|&v| scores.villages[v].index)
        .collect()
}

/// The median index of a quarter's ranked villages.
fn median_index(scores: &Scores) -> Option<f64> {
    let v: Vec<f64> = scores
        .villages
        .iter()
        .filter(|s| s.rank.is_some())
        .filter_map(|s| s.index)
        .collect();
    median_of(&v)
}

/// Sample standard deviation; `None` with fewer than two values.
pub fn sd(v: &[f64]) -> Option<f64> {
    let m = mean(v)?;
    (v.len() > 1)
        .then(|| (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt())
}

/// The standings of the quarter in `table`, scored as `scores`, after the
/// `history` quarters (oldest first); the trend reaches back
/// `[report] trend_quarters`. `county_names` names the counties of a
/// province extract (code → name).
pub fn compute(
    framework: &Framework,
    table: &DataPointTable,
    values: &[IndicatorValues],
    scores: &Scores,
    history: &[PastQuarter],
    county_names: &BTreeMap<String, String>,
) -> Standings {
    let villages = &table.villages;
    let order = listing_order(&scores.villages, villages);
    let ranked: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&v| scores.villages[v].rank.is_some())
        .collect();
    let ranked_indices: Vec<f64> = ranked
        .iter()
        .filter_map(|&v| scores.villages[v].index)
        .collect();
    let previous = history.last();
    let (falls, rises, compared) = movers(scores, &ranked);
    let township_members = by_township(villages);
    let trend_from = history
        .len()
        .saturating_sub(framework.report.trend_quarters.saturating_sub(1));
    let past = &history[trend_from..];
    let quarters: Vec<(Quarter, &[Village], &Scores)> = past
        .iter()
        .map(|p| (p.quarter, p.villages.as_slice(), &p.scores))
        .chain(std::iter::once((
            table.quarter,
            villages.as_slice(),
            scores,
        )))
        .collect();
    let township_name = |m: &[usize]| villages[m[0]].township_name.clone();
    let townships = league(
        Level::Township,
        &township_name,
        scores,
        previous,
        &township_members,
        &quarters,
    );
    let counties = if crate::model::several_counties(villages) {
        let county_name = |m: &[usize]| {
            let code = villages[m[0]].county_code();
            county_names
                .get(code)
                .map_or(code, String::as_str)
                .to_string()
        };
        let members = by_level(villages, Level::County);
        league(
            Level::County,
            &county_name,
            scores,
            previous,
            &members,
            &quarters,
        )
    } else {
        Vec::new()
    };
    Standings {
        median_index: median_of(&ranked_indices),
        median_previous: previous.and_then(|p| median_index(&p.scores)),
        falls,
        rises,
        compared,
        townships,
        counties,
        trend: quarters.iter().map(|q| trend_quarter(q.0, q.2)).collect(),
        moves: rank_moves(scores, &ranked),
        dimension_of: dimension_of(framework),
        medians: medians(framework, values, scores, &ranked, &township_members, past),
        township_members,
        order,
        ranked,
    }
}

/// The largest falls and rises of the index among ranked villages with a
/// previous index.
type Moves = Vec<(usize, f64)>;

fn movers(scores: &Scores, ranked: &[usize]) -> (Moves, Moves, usize) {
    let mut moved: Vec<(usize, f64)> = ranked
        .iter()
        .filter_map(|&v| {
            let s = &scores.villages[v];
            let d = s.index? - s.previous.as_ref()?.index?;
            Some((v, d))
        })
        .collect();
    moved.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let falls = moved
        .iter()
        .filter(|m| m.1 < 0.0)
        .take(MOVERS)
        .copied()
        .collect();
    let rises = moved
        .iter()
        .rev()
        .filter(|m| m.1 > 0.0)
        .take(MOVERS)
        .copied()
        .collect();
    (falls, rises, moved.len())
}

/// A league of townships or counties: each one's mean index this quarter
/// and last, ranked by competition on the mean as printed.
fn league(
    level: Level,
    name: &dyn Fn(&[usize]) -> String,
    scores: &Scores,
    previous: Option<&PastQuarter>,
    members: &BTreeMap<String, Vec<usize>>,
    quarters: &[(Quarter, &[Village], &Scores)],
) -> Vec<TownshipStanding> {
    let previous_members = previous.map(|p| by_level(&p.villages, level));
    let codes: Vec<&str> = members.keys().map(String::as_str).collect();
    let now: Vec<Option<f64>> = members
        .values()
        .map(|m| mean(&township_indices(scores, m)))
        .collect();
    let before: Vec<Option<f64>> = codes
        .iter()
        .map(|code| {
            let (p, g) = previous.zip(previous_members.as_ref())?;
            g.get(*code)
                .and_then(|m| mean(&township_indices(&p.scores, m)))
        })
        .collect();
    let all: Vec<usize> = (0..codes.len()).collect();
    let rank_now: BTreeMap<usize, u32> =
        competition_ranks(&now, &all, &codes).into_iter().collect();
    let rank_before: BTreeMap<usize, u32> = competition_ranks(&before, &all, &codes)
        .into_iter()
        .collect();
    let mut out: Vec<TownshipStanding> = members
        .iter()
        .enumerate()
        .filter_map(|(t, (code, m))| {
            let rank = *rank_now.get(&t)?;
            let indices = township_indices(scores, m);
            Some(TownshipStanding {
                code: code.clone(),
                name: name(m),
                rank,
                mean: now[t],
                median: median_of(&indices),
                sd: sd(&indices),
                min: indices.iter().copied().fold(f64::INFINITY, f64::min),
                max: indices.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                red: m
                    .iter()
                    .filter(|&&v| scores.villages[v].tier == Tier::Red)
                    .count(),
                previous_mean: before[t],
                previous_rank: rank_before.get(&t).copied(),
                trend: trend(level, code, quarters),
                indices,
            })
        })
        .collect();
    out.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.code.cmp(&b.code)));
    out
}

/// A township's (or county's) mean index in each of the trend quarters.
fn trend(
    level: Level,
    code: &str,
    quarters: &[(Quarter, &[Village], &Scores)],
) -> Vec<Option<f64>> {
    quarters
        .iter()
        .map(|(_, vs, s)| {
            let members: Vec<usize> = vs
                .iter()
                .enumerate()
                .filter(|(_, x)| level.code(x) == code)
                .map(|(i, _)| i)
                .collect();
            mean(&township_indices(s, &members))
        })
        .collect()
}

fn trend_quarter(quarter: Quarter, s: &Scores) -> TrendQuarter {
    let count = |t: Tier| s.villages.iter().filter(|x| x.tier == t).count();
    TrendQuarter {
        quarter,
        ranked: s.villages.iter().filter(|x| x.rank.is_some()).count(),
        median: median_index(s),
        green: count(Tier::Green),
        yellow: count(Tier::Yellow),
        red: count(Tier::Red),
    }
}

/// Ranked villages with a rank last quarter, the [`NAMED_MOVES`] largest
/// moves (ties by village order) named.
fn rank_moves(scores: &Scores, ranked: &[usize]) -> Vec<RankMove> {
    let mut moves: Vec<RankMove> = ranked
        .iter()
        .filter_map(|&v| {
            let s = &scores.villages[v];
            Some(RankMove {
                village: v,
                before: s.previous.as_ref()?.rank?,
                now: s.rank?,
                tier: s.tier,
                named: false,
            })
        })
        .collect();
    let size = |m: &RankMove| (i64::from(m.before) - i64::from(m.now)).abs();
    let mut by_move: Vec<usize> = (0..moves.len()).collect();
    by_move.sort_by(|&a, &b| {
        size(&moves[b])
            .cmp(&size(&moves[a]))
            .then(moves[a].village.cmp(&moves[b].village))
    });
    let named: BTreeSet<usize> = by_move.into_iter().take(NAMED_MOVES).collect();
    for (i, m) in moves.iter_mut().enumerate() {
        m.named = named.contains(&i);
    }
    moves
}

fn dimension_of(framework: &Framework) -> Vec<usize> {
    framework
        .indicators
        .iter()
        .map(|i| {
            framework
                .dimensions
                .iter()
                .position(|d| d.id == i.dimension)
                .unwrap_or(0)
        })
        .collect()
}

fn medians(
    framework: &Framework,
    values: &[IndicatorValues],
    scores: &Scores,
    ranked: &[usize],
    members: &BTreeMap<String, Vec<usize>>,
    past: &[PastQuarter],
) -> Medians {
    let dimensions = framework.dimensions.len();
    let mut township_raw = BTreeMap::new();
    for (code, m) in members {
        for (k, iv) in values.iter().enumerate() {
            let raw: Vec<Option<f64>> = m.iter().map(|&v| iv.raw[v]).collect();
            township_raw.insert((code.clone(), k), median(&raw));
        }
    }
    let dimension_median = |villages: &mut dyn Iterator<Item = usize>, d: usize| {
        let v: Vec<f64> = villages
            .filter_map(|x| scores.villages[x].dimensions[d])
            .collect();
        median_of(&v)
    };
    Medians {
        district_raw: values.iter().map(|iv| median(&iv.raw)).collect(),
        township_raw,
        dimension: (0..dimensions)
            .map(|d| dimension_median(&mut ranked.iter().copied(), d))
            .collect(),
        township_dimension: members
            .iter()
            .map(|(code, m)| {
                let medians = (0..dimensions)
                    .map(|d| {
                        dimension_median(
                            &mut m
                                .iter()
                                .copied()
                                .filter(|&x| scores.villages[x].rank.is_some()),
                            d,
                        )
                    })
                    .collect();
                (code.clone(), medians)
            })
            .collect(),
        past_index: past
            .iter()
            .map(|p| {
                p.villages
                    .iter()
                    .zip(&p.scores.villages)
                    .map(|(v, s)| (v.code.clone(), s.index.filter(|_| s.rank.is_some())))
                    .collect()
            })
            .collect(),
    }
}

//! Alerts: what the scored quarter asks someone to look at, per village.
//! They follow from the scores and the `[report]` settings; the report
//! shows them and `alerts.csv` lists them.
//!
//! Kinds, in the order a village lists them:
//! - `veto`: a negative-list rule (一票否决) capped the tier;
//! - `summons`: among the `summons` lowest ranked villages (约谈名单);
//! - `red`: tier red;
//! - `tier_down`: a worse tier than last quarter;
//! - `index_drop`: the index fell by `alert_drop` points or more;
//! - `worst`: the district's worst score on an indicator that varies,
//!   where the village is not tied with half the district or more.

use std::collections::BTreeMap;

use crate::engine::rank::Tier;
use crate::framework::Framework;
use crate::model::{CellStatus, Village};
use crate::scoring::{Scores, listing_order};

/// One alert for one village.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub kind: AlertKind,
    /// The indicator (`worst`) or veto (`veto`) it is about.
    pub subject: Option<String>,
    pub detail_zh: String,
    pub detail_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertKind {
    Veto,
    Summons,
    Red,
    TierDown,
    IndexDrop,
    Worst,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Veto => "veto",
            AlertKind::Summons => "summons",
            AlertKind::Red => "red",
            AlertKind::TierDown => "tier_down",
            AlertKind::IndexDrop => "index_drop",
            AlertKind::Worst => "worst",
        }
    }
}

fn tier_zh(t: Tier) -> &'static str {
    match t {
        Tier::Green => "绿",
        Tier::Yellow => "黄",
        Tier::Red => "红",
        Tier::InsufficientData => "数据不足",
    }
}

/// The villages of the summons list, lowest ranked first: the last
/// `n` ranked villages in listing order (ties at the cut all join).
pub fn summons(scores: &Scores, villages: &[Village], n: usize) -> Vec<usize> {
    let ranked: Vec<usize> = listing_order(&scores.villages, villages)
        .into_iter()
        .filter(|&v| scores.villages[v].rank.is_some())
        .collect();
    if ranked.is_empty() {
        return Vec::new();
    }
    let cut = ranked.len().saturating_sub(n);
    let cut_rank = scores.villages[ranked[cut]].rank;
    let mut out: Vec<usize> = ranked
        .into_iter()
        .filter(|&v| scores.villages[v].rank >= cut_rank)
        .collect();
    out.reverse();
    out
}

/// Every village's alerts, in village order.
pub fn alerts(framework: &Framework, villages: &[Village], scores: &Scores) -> Vec<Vec<Alert>> {
    let settings = &framework.report;
    let summoned: BTreeMap<usize, usize> = summons(scores, villages, settings.summons)
        .into_iter()
        .enumerate()
        .map(|(i, v)| (v, i))
        .collect();
    let ranked = scores.villages.iter().filter(|s| s.rank.is_some()).count();
    // Per indicator: the worst normalised score among ranked villages, and
    // how many share it.
    let worst: Vec<Option<(f64, usize)>> = scores
        .cells
        .iter()
        .map(|cells| {
            let values: Vec<f64> = cells
                .iter()
                .zip(&scores.villages)
                .filter(|(c, s)| s.rank.is_some() && c.status == CellStatus::Value)
                .filter_map(|(c, _)| c.normalised)
                .collect();
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if values.is_empty() || min == max {
                return None;
            }
            let tied = values.iter().filter(|&&x| x == min).count();
            (2 * tied < values.len()).then_some((min, tied))
        })
        .collect();
    scores
        .villages
        .iter()
        .enumerate()
        .map(|(v, s)| {
            let mut out = Vec::new();
            for &k in &s.vetoes {
                let veto = &framework.scoring.vetoes[k];
                out.push(Alert {
                    kind: AlertKind::Veto,
                    subject: Some(veto.id.clone()),
                    detail_zh: veto.reason_zh.clone(),
                    detail_en: veto.reason_en.clone(),
                });
            }
            if let (Some(&position), Some(rank)) = (summoned.get(&v), s.rank) {
                out.push(Alert {
                    kind: AlertKind::Summons,
                    subject: None,
                    detail_zh: format!(
                        "约谈名单第 {} 位（全区排名 {rank}/{ranked}）",
                        position + 1
                    ),
                    detail_en: format!(
                        "summons list, number {} (rank {rank} of {ranked})",
                        position + 1
                    ),
                });
            }
            if s.tier == Tier::Red {
                out.push(Alert {
                    kind: AlertKind::Red,
                    subject: None,
                    detail_zh: "红色等级".into(),
                    detail_en: "red tier".into(),
                });
            }
            if let Some(p) = &s.previous {
                let ranks = |t: Tier| t != Tier::InsufficientData;
                if ranks(p.tier) && ranks(s.tier) && s.tier > p.tier {
                    out.push(Alert {
                        kind: AlertKind::TierDown,
                        subject: None,
                        detail_zh: format!("等级由{}降为{}", tier_zh(p.tier), tier_zh(s.tier)),
                        detail_en: format!(
                            "tier fell from {} to {}",
                            p.tier.as_str(),
                            s.tier.as_str()
                        ),
                    });
                }
                if let (Some(now), Some(then)) = (s.index, p.index) {
                    let drop = then - now;
                    if drop >= settings.alert_drop {
                        out.push(Alert {
                            kind: AlertKind::IndexDrop,
                            subject: None,
                            detail_zh: format!("指数较上季度下降 {drop:.1} 分"),
                            detail_en: format!("index fell {drop:.1} points on last quarter"),
                        });
                    }
                }
            }
            if s.rank.is_some() {
                for (k, ind) in framework.indicators.iter().enumerate() {
                    let cell = &scores.cells[k][v];
                    if let (Some((min, tied)), Some(x)) = (worst[k], cell.normalised)
                        && cell.status == CellStatus::Value
                        && x == min
                    {
                        let shared_zh = if tied > 1 {
                            format!("（与另 {} 村并列）", tied - 1)
                        } else {
                            String::new()
                        };
                        let shared_en = if tied > 1 {
                            format!(" (with {} other villages)", tied - 1)
                        } else {
                            String::new()
                        };
                        out.push(Alert {
                            kind: AlertKind::Worst,
                            subject: Some(ind.id.clone()),
                            detail_zh: format!("「{}」全区最差{shared_zh}", ind.name_zh),
                            detail_en: format!(
                                "worst in the district on \"{}\"{shared_en}",
                                ind.name_en
                            ),
                        });
                    }
                }
            }
            out
        })
        .collect()
}

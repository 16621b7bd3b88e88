//! The alert lifecycle (data contract 1.1, "Dispositions"): every alert
//! gets a stable id, its first quarter, its age and a status from what
//! verification (核查) recorded, so an alert is followed from raised to
//! closed across quarters.
//!
//! - **Id**: `<village_code>:<kind>:<first_quarter>`, the kind with its
//!   subject for `worst` and `veto` (`worst.trd_mean_bidders`). The first
//!   quarter is where the alert's current unbroken run of quarters began,
//!   reckoned over the quarters the run scored (the report's trend window),
//!   or an earlier one a disposition names for the same village and kind
//!   while that alert is not closed. No person key goes into it.
//! - **Status**: the outcome of the alert's latest disposition by
//!   `decided_date` (ties: the later row), among those decided by the end
//!   of the assessed quarter; `open` without one.
//! - **The list** (with a `dispositions` table): an alert raised now is
//!   listed unless a `false_positive` closed it and it has fired without a
//!   break since (the same evidence); an alert of an earlier quarter stays
//!   listed while `open`, `pending`, `confirmed` or `partly`; a
//!   `false_positive` or `rectified` decided in the assessed quarter is
//!   listed once, as closed this quarter. A `rectified` alert that still
//!   fires is a new alert from the quarter after the rectification.
//!   Without a `dispositions` table only this quarter's alerts are
//!   listed, all `open`.
//! - **整改不完成，预警不变色**: a village with a `confirmed` or `partly`
//!   alert not yet `rectified` keeps at most the tier the alert stands for
//!   (a red alert red, a veto its cap, any other alert yellow), whatever
//!   its index says; `ranking.csv` names it in `veto` as
//!   `unrectified_alert` with the alert's id in `veto_reason`.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Date32Type;
use datafusion::prelude::SessionContext;

use crate::alerts::{Alert, AlertKind};
use crate::engine::method::CapTier;
use crate::error::{Error, Result};
use crate::framework::Framework;
use crate::model::Village;
use crate::period::Quarter;
use crate::period::day_number as days;

/// What verification recorded, and the status an alert without a record
/// has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Open,
    Pending,
    Confirmed,
    Partly,
    FalsePositive,
    Rectified,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Pending => "pending",
            Status::Confirmed => "confirmed",
            Status::Partly => "partly",
            Status::FalsePositive => "false_positive",
            Status::Rectified => "rectified",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Status::Pending,
            "confirmed" => Status::Confirmed,
            "partly" => Status::Partly,
            "false_positive" => Status::FalsePositive,
            "rectified" => Status::Rectified,
            _ => return None,
        })
    }

    /// Closed: nothing more to verify or rectify.
    pub fn is_closed(self) -> bool {
        matches!(self, Status::FalsePositive | Status::Rectified)
    }

    /// Verification found it (wholly or partly) true.
    pub fn is_substantiated(self) -> bool {
        matches!(self, Status::Confirmed | Status::Partly)
    }

    /// Chinese label for the report.
    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Open => "待核查",
            Status::Pending => "核查中",
            Status::Confirmed => "属实",
            Status::Partly => "部分属实",
            Status::FalsePositive => "不属实",
            Status::Rectified => "已整改",
        }
    }
}

/// One row of the `dispositions` table (its `case_id` is not read: it
/// must not reach an output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disposition {
    pub alert_id: String,
    pub village_code: String,
    pub outcome: Status,
    /// Days since 1970-01-01.
    pub decided: i32,
}

/// An alert's key within a village: its kind, with the subject for kinds
/// that have one (`worst.trd_mean_bidders`).
pub fn kind_key(alert: &Alert) -> String {
    match &alert.subject {
        Some(s) => format!("{}.{s}", alert.kind.as_str()),
        None => alert.kind.as_str().to_string(),
    }
}

/// The id of a village's alert `key` first raised in `first`.
pub fn alert_id(village_code: &str, key: &str, first: Quarter) -> String {
    format!("{village_code}:{key}:{first}")
}

/// An id's parts: village code, kind key, first quarter.
pub fn parse_id(id: &str) -> Option<(&str, &str, Quarter)> {
    let (village, rest) = id.split_once(':')?;
    let (key, quarter) = rest.rsplit_once(':')?;
    let kind = key.split('.').next()?;
    let known = [
        AlertKind::Veto,
        AlertKind::Summons,
        AlertKind::Red,
        AlertKind::TierDown,
        AlertKind::IndexDrop,
        AlertKind::Worst,
    ]
    .iter()
    .any(|k| k.as_str() == kind);
    (known && !village.is_empty()).then_some(())?;
    Some((village, key, quarter.parse().ok()?))
}

/// An alert on the list.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracked {
    pub id: String,
    /// The village (index into the assessed villages).
    pub village: usize,
    pub key: String,
    pub first_quarter: Quarter,
    /// Quarters since the first (0 when first raised now).
    pub age_quarters: i32,
    pub status: Status,
    /// The latest disposition's date (days since 1970-01-01).
    pub last_decided: Option<i32>,
    /// This quarter's alert, when it fired now; `None` for an alert of an
    /// earlier quarter kept on the list.
    pub raised_now: Option<Alert>,
    /// Closed (`false_positive`, `rectified`) in the assessed quarter.
    pub closed_now: bool,
}

/// A village's tier held by a substantiated alert not yet rectified.
#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    pub cap: CapTier,
    pub alert_id: String,
}

/// The quarter's alert list and the tiers it holds.
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    /// Whether a `dispositions` table was given (else every alert is
    /// this quarter's and `open`).
    pub with_dispositions: bool,
    /// Per village (village order), its listed alerts: this quarter's in
    /// their order, then earlier ones by first quarter.
    pub listed: Vec<Vec<Tracked>>,
    /// Per village, the holds on its tier.
    pub holds: Vec<Vec<Hold>>,
    /// Dispositions of villages outside the assessed ones, or decided
    /// after the assessed quarter (not used).
    pub dispositions_not_used: usize,
}

/// The quarter holding a Date32 day.
fn quarter_of(day: i32) -> Quarter {
    Quarter::containing(crate::period::date_of(day))
}

/// Quarters since year 0, for ages.
fn ordinal(q: Quarter) -> i32 {
    q.year() * 4 + i32::from(q.number()) - 1
}

/// The latest disposition of each id decided by the end of `quarter`.
fn latest(dispositions: &[Disposition], quarter: Quarter) -> (BTreeMap<&str, &Disposition>, usize) {
    let end = days(quarter.end());
    let mut out: BTreeMap<&str, &Disposition> = BTreeMap::new();
    let mut later = 0;
    for d in dispositions {
        if d.decided >= end {
            later += 1;
            continue;
        }
        match out.get(d.alert_id.as_str()) {
            Some(prev) if prev.decided > d.decided => {}
            _ => {
                out.insert(&d.alert_id, d);
            }
        }
    }
    (out, later)
}

/// The cap an alert of `key` holds: a red alert red, a veto its cap,
/// others yellow.
fn cap_of(framework: &Framework, key: &str) -> CapTier {
    let (kind, subject) = key.split_once('.').unwrap_or((key, ""));
    match kind {
        "red" => CapTier::Red,
        "veto" => framework
            .scoring
            .vetoes
            .iter()
            .find(|v| v.id == subject)
            .map_or(CapTier::Yellow, |v| v.cap),
        _ => CapTier::Yellow,
    }
}

/// The quarter's list: `alerts` of the assessed quarter (per village),
/// `earlier` the alerts of the scored quarters before it (oldest first,
/// each per village of `villages`, which every quarter shares by code),
/// `dispositions` when the table was given.
pub fn track(
    framework: &Framework,
    villages: &[Village],
    quarter: Quarter,
    alerts: &[Vec<Alert>],
    earlier: &[(Quarter, BTreeMap<String, BTreeSet<String>>)],
    dispositions: Option<&[Disposition]>,
) -> Lifecycle {
    let n = villages.len();
    let (decided, later) = latest(dispositions.unwrap_or(&[]), quarter);
    let index: BTreeMap<&str, usize> = villages
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code.as_str(), i))
        .collect();
    // Dispositions by (village, key): their ids with first quarters.
    let mut known: BTreeMap<(usize, &str), Vec<(Quarter, &Disposition)>> = BTreeMap::new();
    let mut not_used = later;
    for (id, d) in &decided {
        match parse_id(id).and_then(|(code, key, first)| Some((*index.get(code)?, key, first))) {
            Some((v, key, first)) if villages[v].code == d.village_code => {
                known.entry((v, key)).or_default().push((first, *d));
            }
            _ => not_used += 1,
        }
    }
    let mut listed: Vec<Vec<Tracked>> = vec![Vec::new(); n];
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let quarter_start = days(quarter.start());
    for (v, village_alerts) in alerts.iter().enumerate() {
        let code = &villages[v].code;
        for alert in village_alerts {
            let key = kind_key(alert);
            // The unbroken run of quarters back from now.
            let mut first = quarter;
            for (q, fired) in earlier.iter().rev() {
                if *q == first.previous() && fired.get(code).is_some_and(|k| k.contains(&key)) {
                    first = *q;
                } else {
                    break;
                }
            }
            let records = known.get(&(v, key.as_str()));
            // An earlier first quarter a disposition names, while it is
            // not closed; or the closing disposition of this run.
            let mut chosen: Option<(Quarter, &Disposition)> = None;
            for &(f, d) in records.into_iter().flatten() {
                let same_run = f >= first && f <= quarter;
                let applies = (!d.outcome.is_closed() && f <= quarter) || same_run;
                if applies && chosen.is_none_or(|(g, _)| f < g) {
                    chosen = Some((f, d));
                }
            }
            let (first, status, last) = match chosen {
                Some((_, d)) if d.outcome == Status::Rectified && d.decided < quarter_start => {
                    // Rectified before this quarter and firing again: a new alert.
                    let after = quarter_of(d.decided).next().max(first).min(quarter);
                    (after, Status::Open, None)
                }
                Some((f, d)) => (f.min(first), d.outcome, Some(d.decided)),
                None => (first, Status::Open, None),
            };
            let id = alert_id(code, &key, first);
            let closed_now = status.is_closed() && last.is_some_and(|l| l >= quarter_start);
            taken.insert(id.clone());
            if status == Status::FalsePositive && !closed_now {
                continue;
            }
            listed[v].push(Tracked {
                id,
                village: v,
                key,
                first_quarter: first,
                age_quarters: ordinal(quarter) - ordinal(first),
                status,
                last_decided: last,
                raised_now: Some(alert.clone()),
                closed_now,
            });
        }
    }
    if dispositions.is_some() {
        // Every alert raised now, listed or suppressed as a false positive.
        let raised: BTreeSet<(usize, String)> = alerts
            .iter()
            .enumerate()
            .flat_map(|(v, a)| a.iter().map(move |x| (v, kind_key(x))))
            .collect();
        carry_over(
            villages,
            quarter,
            earlier,
            &known,
            &raised,
            &mut taken,
            &mut listed,
        );
    }
    let holds = listed
        .iter()
        .map(|l| {
            l.iter()
                .filter(|t| t.status.is_substantiated())
                .map(|t| Hold {
                    cap: cap_of(framework, &t.key),
                    alert_id: t.id.clone(),
                })
                .collect()
        })
        .collect();
    Lifecycle {
        with_dispositions: dispositions.is_some(),
        listed,
        holds,
        dispositions_not_used: not_used,
    }
}

/// Alerts of earlier quarters not raised now: those dispositions name
/// (while open, or closed in the assessed quarter) and, within the scored
/// quarters, those without a disposition (open).
fn carry_over(
    villages: &[Village],
    quarter: Quarter,
    earlier: &[(Quarter, BTreeMap<String, BTreeSet<String>>)],
    known: &BTreeMap<(usize, &str), Vec<(Quarter, &Disposition)>>,
    raised_now: &BTreeSet<(usize, String)>,
    taken: &mut BTreeSet<String>,
    listed: &mut [Vec<Tracked>],
) {
    let quarter_start = days(quarter.start());
    let mut carried: Vec<Tracked> = Vec::new();
    for (&(v, key), records) in known {
        for &(first, d) in records {
            let id = alert_id(&villages[v].code, key, first);
            let closed_now = d.outcome.is_closed() && d.decided >= quarter_start;
            if taken.contains(&id) || first > quarter || (d.outcome.is_closed() && !closed_now) {
                continue;
            }
            taken.insert(id.clone());
            carried.push(Tracked {
                id,
                village: v,
                key: key.to_string(),
                first_quarter: first,
                age_quarters: ordinal(quarter) - ordinal(first),
                status: d.outcome,
                last_decided: Some(d.decided),
                raised_now: None,
                closed_now,
            });
        }
    }
    // Runs of earlier quarters, with no disposition, that ended before
    // now (a run that reaches now is this quarter's alert).
    let index: BTreeMap<&str, usize> = villages
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code.as_str(), i))
        .collect();
    let mut runs: BTreeMap<(&str, &str), Vec<(Quarter, Quarter)>> = BTreeMap::new();
    for (q, fired) in earlier {
        for (code, keys) in fired {
            for key in keys {
                let r = runs.entry((code.as_str(), key.as_str())).or_default();
                match r.last_mut() {
                    Some((_, end)) if *end == q.previous() => *end = *q,
                    _ => r.push((*q, *q)),
                }
            }
        }
    }
    for ((code, key), spans) in runs {
        let Some(&v) = index.get(code) else {
            continue;
        };
        for (start, end) in spans {
            let id = alert_id(code, key, start);
            if end == quarter.previous() && raised_now.contains(&(v, key.to_string())) {
                continue;
            }
            if taken.insert(id.clone()) {
                carried.push(Tracked {
                    id,
                    village: v,
                    key: key.to_string(),
                    first_quarter: start,
                    age_quarters: ordinal(quarter) - ordinal(start),
                    status: Status::Open,
                    last_decided: None,
                    raised_now: None,
                    closed_now: false,
                });
            }
        }
    }
    carried.sort_by(|a, b| {
        (a.village, a.first_quarter, &a.key).cmp(&(b.village, b.first_quarter, &b.key))
    });
    for t in carried {
        let v = t.village;
        listed[v].push(t);
    }
}

/// The alerts that fired in a scored quarter, by village code: their kind
/// keys.
pub fn fired(villages: &[Village], alerts: &[Vec<Alert>]) -> BTreeMap<String, BTreeSet<String>> {
    villages
        .iter()
        .zip(alerts)
        .filter(|(_, a)| !a.is_empty())
        .map(|(v, a)| (v.code.clone(), a.iter().map(kind_key).collect()))
        .collect()
}

/// Reads the registered `dispositions` table; `None` when it was absent.
pub async fn read_dispositions(
    ctx: &SessionContext,
    present: bool,
) -> Result<Option<Vec<Disposition>>> {
    if !present {
        return Ok(None);
    }
    let context = "reading the dispositions table";
    let batches = ctx
        .sql(
            "SELECT alert_id, village_code, outcome, decided_date FROM dispositions \
             ORDER BY decided_date, alert_id, outcome",
        )
        .await
        .map_err(Error::query(context))?
        .collect()
        .await
        .map_err(Error::query(context))?;
    let mut out = Vec::new();
    for b in &batches {
        let text = |i: usize| {
            datafusion::arrow::compute::cast(
                b.column(i),
                &datafusion::arrow::datatypes::DataType::Utf8,
            )
            .map_err(|e| Error::Arrow {
                context: context.into(),
                source: e,
            })
        };
        let (ids, codes, outcomes) = (text(0)?, text(1)?, text(2)?);
        let (ids, codes, outcomes) = (
            ids.as_string::<i32>(),
            codes.as_string::<i32>(),
            outcomes.as_string::<i32>(),
        );
        let dates = b
            .column(3)
            .as_primitive_opt::<Date32Type>()
            .ok_or_else(|| Error::Internal {
                context: context.into(),
                message: "decided_date is not Date32".into(),
            })?;
        for r in 0..b.num_rows() {
            if ids.is_null(r) || dates.is_null(r) {
                continue;
            }
            let Some(outcome) = Status::parse(outcomes.value(r)) else {
                continue;
            };
            out.push(Disposition {
                alert_id: ids.value(r).to_string(),
                village_code: codes.value(r).to_string(),
                outcome,
                decided: dates.value(r),
            });
        }
    }
    Ok(Some(out))
}

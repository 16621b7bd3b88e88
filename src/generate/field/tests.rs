//! Tests of the field profile: determinism by seed, the layout and its
//! catalog, stale files between profiles, every pattern and look-alike
//! group planted, look-alikes clean, the low intensity (many planted
//! villages with a single episode in the last quarter), and each
//! pattern's and look-alike's footprint measured from the written data.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use chrono::Datelike;

use super::super::district::{District, Village};
use super::super::rng::{date, day};
use super::super::tests::{
    bools, dates, files, floats, ints, read, relations_by_village, run, same_files, strings,
    timestamp_days, values,
};
use super::super::{GenerateOptions, GenerateSummary, Lookalike, Pattern, Profile, generate};
use super::plan::{CronyStyle, VillagePlan};
use crate::catalog::Catalog;

fn field(seed: u64, villages: usize, townships: usize) -> GenerateOptions {
    GenerateOptions {
        profile: Profile::Field,
        seed,
        villages,
        townships,
        ..GenerateOptions::default()
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_data() {
    let opts = field(5, 80, 4);
    let (a, sa) = run(&opts);
    let (b, sb) = run(&opts);
    let fa = same_files(a.path(), b.path());
    assert_eq!(sa.rows, sb.rows);
    assert_eq!(sa.planted, sb.planted);
    assert_eq!(sa.lookalikes, sb.lookalikes);

    let (c, _) = run(&field(6, 80, 4));
    let fc = files(c.path());
    for name in [
        "petitions.parquet",
        "cases.parquet",
        "assistance.parquet",
        "trading/quarter=2026Q3/part-0.parquet",
        "ground_truth.csv",
        "lookalikes.csv",
    ] {
        assert_ne!(fa[Path::new(name)], fc[Path::new(name)], "{name}");
    }

    // The standard profile with the same seed is another district's events.
    let (s, _) = run(&GenerateOptions {
        profile: Profile::Standard,
        ..opts
    });
    let fs = files(s.path());
    assert_ne!(
        fa[Path::new("assistance.parquet")],
        fs[Path::new("assistance.parquet")]
    );
}

#[test]
fn layout_and_catalog_are_the_contracts() {
    let (dir, summary) = run(&field(3, 40, 4));
    let root = dir.path();
    assert!(root.join("petitions.parquet").is_file());
    assert!(!root.join("petitions").exists());
    for q in ["2024Q4", "2025Q3", "2026Q3"] {
        assert!(
            root.join(format!("trading/quarter={q}/part-0.parquet"))
                .is_file(),
            "{q}"
        );
    }
    for f in [
        "cases.parquet",
        "assistance.parquet",
        "ground_truth.csv",
        "lookalikes.csv",
    ] {
        assert!(root.join(f).is_file(), "{f}");
    }
    let catalog = Catalog::load(root, None).unwrap();
    for (table, path) in [
        ("petitions", "petitions.parquet"),
        ("trading", "trading"),
        ("cases", "cases.parquet"),
        ("assistance", "assistance.parquet"),
    ] {
        let loc = catalog.location(table).unwrap();
        assert!(loc.explicit, "{table}");
        assert_eq!(loc.path, root.join(path), "{table}");
    }
    // Partitions hold the awards of their quarter.
    let (start, end) = (
        day(crate::period::Quarter::new(2026, 3).unwrap().start()),
        day(crate::period::Quarter::new(2026, 3).unwrap().end()),
    );
    let t = read(&root.join("trading/quarter=2026Q3/part-0.parquet"));
    assert!(
        dates(&t, "awarded_date")
            .iter()
            .all(|d| (start..end).contains(&d.unwrap()))
    );
    for (table, path) in [
        ("petitions", "petitions.parquet"),
        ("cases", "cases.parquet"),
        ("trading", "trading"),
        ("assistance", "assistance.parquet"),
    ] {
        assert_eq!(
            summary.rows[table],
            read(&root.join(path)).num_rows() as u64,
            "{table}"
        );
    }
    let a = read(&root.join("assistance.parquet"));
    let ids = values(&a, "record_id");
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    let p = read(&root.join("petitions.parquet"));
    let ids = values(&p, "petition_id");
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
}

#[test]
fn the_profiles_remove_each_others_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    generate(&field(2, 30, 3), root).unwrap();
    let standard = GenerateOptions {
        villages: 30,
        townships: 3,
        ..GenerateOptions::default()
    };
    generate(&standard, root).unwrap();
    assert!(!root.join("petitions.parquet").exists());
    assert!(!root.join("lookalikes.csv").exists());
    assert!(!root.join("trading/quarter=2026Q3").exists());
    assert!(root.join("trading/2026.parquet").is_file());
    generate(&field(2, 30, 3), root).unwrap();
    assert!(!root.join("petitions").exists());
    assert!(!root.join("trading/2026.parquet").exists());
    assert!(root.join("lookalikes.csv").is_file());
    let opts = GenerateOptions {
        defects: true,
        ..field(2, 30, 3)
    };
    assert!(generate(&opts, root).is_err(), "defects are standard only");
}

#[test]
fn low_intensity_many_planted_villages_show_one_episode() {
    let opts = field(11, 600, 12);
    let d = District::build(&opts);
    let last = d.quarters.len() - 1;
    let from = d.planted_from_index();
    let planted: Vec<_> = d
        .villages
        .iter()
        .filter(|v| !v.patterns.is_empty())
        .collect();
    assert_eq!(planted.len(), 72);
    let mut single = 0;
    for v in &planted {
        let plan = VillagePlan::of(&d, v);
        for qi in 0..from {
            assert_eq!(
                plan.total_episodes(&d, qi),
                0,
                "{}: before the window",
                v.code
            );
        }
        // Every planted pattern shows in the planted period.
        for p in &v.patterns {
            let n: usize = (from..=last).map(|qi| plan.episodes(&d, qi, *p)).sum();
            assert!(n >= 1, "{} {p}: no episode", v.code);
        }
        let total = plan.total_episodes(&d, last);
        assert!(total >= 1, "{}: nothing in the last quarter", v.code);
        if total == 1 {
            single += 1;
        }
    }
    println!(
        "{single} of {} planted villages show a single episode in the last quarter",
        planted.len()
    );
    assert!(
        3 * single >= planted.len(),
        "{single} of {} planted villages with a single episode",
        planted.len()
    );
    for v in d.villages.iter().filter(|v| v.patterns.is_empty()) {
        let plan = VillagePlan::of(&d, v);
        assert!((0..=last).all(|qi| plan.total_episodes(&d, qi) == 0));
    }
}

/// The trading columns the footprint checks read.
struct Trading {
    rows: usize,
    village: Vec<String>,
    method: Vec<String>,
    budget: Vec<f64>,
    contract: Vec<f64>,
    change: Vec<Option<f64>>,
    bidders: Vec<i64>,
    winner: Vec<String>,
    awarded: Vec<i32>,
    announced: Vec<Option<i32>>,
    deadline: Vec<Option<i32>>,
    started: Vec<Option<i32>>,
    published: Vec<bool>,
}

/// The petitions columns the footprint checks read.
struct Petitions {
    rows: usize,
    village: Vec<String>,
    received: Vec<i32>,
    kind: Vec<String>,
    category: Vec<String>,
    repeat: Vec<bool>,
    finding: Vec<Option<String>>,
    accused: Vec<Option<String>>,
}

/// The cases columns the footprint checks read.
struct Cases {
    rows: usize,
    village: Vec<String>,
    received: Vec<i32>,
    violation: Vec<Option<String>>,
    subject: Vec<Option<String>>,
    filed: Vec<Option<i32>>,
}

/// The assistance columns the footprint checks read.
struct Assistance {
    rows: usize,
    village: Vec<String>,
    person: Vec<String>,
    program: Vec<String>,
    approved: Vec<i32>,
    ended: Vec<Option<i32>>,
    death: Vec<Option<i32>>,
    asset: Vec<bool>,
    filed: Vec<bool>,
    /// Row numbers by village.
    rows_of: BTreeMap<String, Vec<usize>>,
}

/// One 600-village field district, generated once for all the footprint
/// checks, and what they read from its files.
struct Footprint {
    d: District,
    summary: GenerateSummary,
    lookalikes_csv: String,
    ground_truth_csv: String,
    /// Cadres serving to the end of the window.
    serving: BTreeSet<String>,
    /// (village, firm) of the serving cadres' firms, and (village, person)
    /// of the cadres' kin.
    firms: BTreeSet<(String, String)>,
    kin: BTreeSet<(String, String)>,
    t: Trading,
    p: Petitions,
    k: Cases,
    a: Assistance,
}

fn unwrapped<T>(v: Vec<Option<T>>) -> Vec<T> {
    v.into_iter().map(Option::unwrap).collect()
}

impl Footprint {
    fn generate() -> Self {
        let opts = field(11, 600, 12);
        let (dir, summary) = run(&opts);
        let root = dir.path();
        let c = read(&root.join("cadres.parquet"));
        let serving: BTreeSet<String> = values(&c, "person_id")
            .into_iter()
            .zip(dates(&c, "term_end"))
            .filter(|(_, e)| e.is_none())
            .map(|(p, _)| p)
            .collect();
        let mut firms = BTreeSet::new();
        let mut kin = BTreeSet::new();
        for (v, p, rel, related) in relations_by_village(root) {
            if rel == "legal_rep" || rel == "shareholder" {
                if serving.contains(&p) {
                    firms.insert((v, related));
                }
            } else if rel != "employee" {
                kin.insert((v, related));
            }
        }
        let text = |name: &str| std::fs::read_to_string(root.join(name)).unwrap();
        Self {
            d: District::build(&opts),
            lookalikes_csv: text("lookalikes.csv"),
            ground_truth_csv: text("ground_truth.csv"),
            summary,
            serving,
            firms,
            kin,
            t: Trading::read(root),
            p: Petitions::read(root),
            k: Cases::read(root),
            a: Assistance::read(root),
        }
    }
}

impl Trading {
    fn read(root: &Path) -> Self {
        let t = read(&root.join("trading"));
        Self {
            rows: t.num_rows(),
            village: values(&t, "village_code"),
            method: values(&t, "method"),
            budget: unwrapped(floats(&t, "budget")),
            contract: unwrapped(floats(&t, "contract_amount")),
            change: floats(&t, "change_amount"),
            bidders: unwrapped(ints(&t, "bidder_count")),
            winner: values(&t, "winner_id"),
            awarded: unwrapped(dates(&t, "awarded_date")),
            announced: dates(&t, "announced_date"),
            deadline: dates(&t, "bid_deadline"),
            started: dates(&t, "start_date"),
            published: bools(&t, "publicized"),
        }
    }

    /// The variation order as a share of the contract.
    fn change_share(&self, i: usize) -> f64 {
        self.change[i].map_or(0.0, |c| c / self.contract[i])
    }
}

impl Petitions {
    fn read(root: &Path) -> Self {
        let p = read(&root.join("petitions.parquet"));
        Self {
            rows: p.num_rows(),
            village: values(&p, "village_code"),
            received: unwrapped(dates(&p, "received_date")),
            kind: values(&p, "kind"),
            category: values(&p, "category"),
            repeat: bools(&p, "is_repeat"),
            finding: strings(&p, "finding"),
            accused: strings(&p, "accused_person_id"),
        }
    }

    fn of(&self, code: &str) -> usize {
        self.village.iter().filter(|v| v.as_str() == code).count()
    }
}

impl Cases {
    fn read(root: &Path) -> Self {
        let k = read(&root.join("cases.parquet"));
        Self {
            rows: k.num_rows(),
            village: values(&k, "村居代码"),
            received: timestamp_days(&k, "受理日期"),
            violation: strings(&k, "violation"),
            subject: strings(&k, "subject_person_id"),
            filed: dates(&k, "filed_date"),
        }
    }
}

impl Assistance {
    fn read(root: &Path) -> Self {
        let a = read(&root.join("assistance.parquet"));
        let village = values(&a, "village_code");
        let mut rows_of: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, v) in village.iter().enumerate() {
            rows_of.entry(v.clone()).or_default().push(i);
        }
        Self {
            rows: a.num_rows(),
            village,
            person: values(&a, "person_id"),
            program: values(&a, "program"),
            approved: unwrapped(dates(&a, "approved_date")),
            ended: dates(&a, "end_date"),
            death: dates(&a, "death_date"),
            asset: bools(&a, "asset_flag"),
            filed: bools(&a, "kin_filed"),
            rows_of,
        }
    }

    fn of(&self, code: &str) -> &[usize] {
        self.rows_of.get(code).map_or(&[], Vec::as_slice)
    }
}

fn footprint() -> &'static Footprint {
    static FOOTPRINT: OnceLock<Footprint> = OnceLock::new();
    FOOTPRINT.get_or_init(Footprint::generate)
}

impl Footprint {
    fn village(&self, code: &str) -> &Village {
        self.d.villages.iter().find(|v| v.code == code).unwrap()
    }

    fn in_quarter(&self, day: i32, qi: usize) -> bool {
        let (s, e) = self.d.quarter_days(qi);
        (s..e).contains(&day)
    }

    /// The awards of village `code` in quarter `qi`.
    fn awards(&self, code: &str, qi: usize) -> Vec<usize> {
        let t = &self.t;
        (0..t.rows)
            .filter(|&i| t.village[i] == code && self.in_quarter(t.awarded[i], qi))
            .collect()
    }

    /// Whether award `i` went to a firm of one of the village's serving cadres.
    fn linked(&self, i: usize) -> bool {
        let t = &self.t;
        self.firms
            .contains(&(t.village[i].clone(), t.winner[i].clone()))
    }

    fn is_kin(&self, code: &str, person: &str) -> bool {
        self.kin.contains(&(code.to_string(), person.to_string()))
    }

    /// Each planted village and quarter of the planted period, with the
    /// village's plan.
    fn planted_quarters(&self) -> Vec<(&str, VillagePlan, usize)> {
        let from = self.d.planted_from_index();
        let last = self.d.quarters.len() - 1;
        let mut out = Vec::new();
        for p in &self.summary.planted {
            let v = self.village(&p.village_code);
            for qi in from..=last {
                out.push((v.code.as_str(), VillagePlan::of(&self.d, v), qi));
            }
        }
        out
    }

    fn members(&self, g: Lookalike) -> Vec<&str> {
        self.summary
            .lookalikes
            .iter()
            .filter(|l| l.groups.contains(&g))
            .map(|l| l.village_code.as_str())
            .collect()
    }

    /// Villages neither planted nor look-alikes.
    fn clean(&self) -> Vec<&str> {
        self.d
            .villages
            .iter()
            .filter(|v| v.patterns.is_empty() && v.lookalikes.is_empty())
            .map(|v| v.code.as_str())
            .collect()
    }

    /// Rows `count` finds in `codes`, per 1,000 of their residents.
    fn per_thousand(&self, codes: &[&str], count: impl Fn(&str) -> usize) -> f64 {
        let n: usize = codes.iter().map(|c| count(c)).sum();
        let pop: i64 = codes.iter().map(|c| self.village(c).population).sum();
        n as f64 * 1000.0 / pop as f64
    }
}

#[test]
fn every_pattern_and_group_is_planted_and_listed() {
    let f = footprint();
    let summary = &f.summary;
    let patterns: BTreeSet<Pattern> = summary
        .planted
        .iter()
        .flat_map(|p| p.patterns.iter().copied())
        .collect();
    assert_eq!(patterns, Pattern::FIELD.into_iter().collect());
    let mut groups: BTreeMap<Lookalike, usize> = BTreeMap::new();
    for l in &summary.lookalikes {
        for g in &l.groups {
            *groups.entry(*g).or_default() += 1;
        }
    }
    assert_eq!(groups.len(), Lookalike::ALL.len(), "{groups:?}");
    for (g, n) in &groups {
        assert!((18..=30).contains(n), "{g}: {n} villages");
    }
    let planted_codes: BTreeSet<&str> = summary
        .planted
        .iter()
        .map(|p| p.village_code.as_str())
        .collect();
    for l in &summary.lookalikes {
        let code = l.village_code.as_str();
        assert!(!planted_codes.contains(code), "{code}");
    }
    let mut lines = f.lookalikes_csv.lines();
    assert_eq!(lines.next(), Some("village_code,group"));
    let mut expected: Vec<String> = summary
        .lookalikes
        .iter()
        .flat_map(|l| {
            l.groups
                .iter()
                .map(move |g| format!("{},{g}", l.village_code))
        })
        .collect();
    expected.sort();
    assert_eq!(lines.map(str::to_string).collect::<Vec<_>>(), expected);
    assert!(
        f.ground_truth_csv
            .contains(",collusive_tender,2026Q2,2026Q3")
    );
    assert!(
        f.ground_truth_csv
            .contains(",deceased_benefits,2026Q2,2026Q3")
    );
}

#[test]
fn bid_splitting_and_collusive_tenders_show_in_trading() {
    let f = footprint();
    let t = &f.t;
    for (code, plan, qi) in f.planted_quarters() {
        let n = |pat| plan.episodes(&f.d, qi, pat);
        let here = f.awards(code, qi);
        if n(Pattern::BidSplitting) > 0 {
            let split: Vec<usize> = here
                .iter()
                .copied()
                .filter(|&i| (88_000.0..=99_900.0).contains(&t.budget[i]))
                .filter(|&i| t.method[i] == "direct" || t.method[i] == "inquiry")
                .collect();
            assert!(split.len() >= 2 * n(Pattern::BidSplitting), "{code}: split");
            let mut by_winner: BTreeMap<&str, usize> = BTreeMap::new();
            for &i in &split {
                *by_winner.entry(t.winner[i].as_str()).or_default() += 1;
            }
            assert!(by_winner.values().any(|c| *c >= 2), "{code}: one firm");
        }
        if n(Pattern::CollusiveTender) > 0 {
            let m = here
                .iter()
                .filter(|&&i| f.linked(i) && t.method[i] == "invited" && t.bidders[i] == 1)
                .filter(|&&i| (1..=4).contains(&(t.deadline[i].unwrap() - t.announced[i].unwrap())))
                .filter(|&&i| t.contract[i] >= 0.995 * t.budget[i] - 0.01)
                .filter(|&&i| t.change_share(i) >= 0.25)
                .count();
            assert_eq!(m, n(Pattern::CollusiveTender), "{code}: collusive");
        }
    }
}

#[test]
fn crony_contracts_show_in_trading_and_petitions() {
    let f = footprint();
    let (t, p) = (&f.t, &f.p);
    for (code, plan, qi) in f.planted_quarters() {
        let n = plan.episodes(&f.d, qi, Pattern::CronyContracts);
        if n == 0 {
            continue;
        }
        let crony: Vec<usize> = f
            .awards(code, qi)
            .into_iter()
            .filter(|&i| f.linked(i))
            .collect();
        assert!(crony.len() >= n, "{code}: crony");
        let count = |keep: &dyn Fn(usize) -> bool| crony.iter().filter(|&&i| keep(i)).count();
        match plan.crony_style {
            CronyStyle::Ceiling => {
                let m = count(&|i| {
                    t.contract[i] >= 0.98 * t.budget[i] - 0.01
                        && t.started[i].is_some_and(|s| s < t.awarded[i])
                });
                assert!(m >= n, "{code}: ceiling");
            }
            CronyStyle::Open {
                variation,
                petition,
            } => {
                let open = count(&|i| t.method[i] == "open_tender" && t.published[i]);
                assert!(open >= n, "{code}: open");
                if variation {
                    let m = count(&|i| (0.2..=0.6).contains(&t.change_share(i)));
                    assert!(m >= n, "{code}: variation");
                }
                if petition {
                    let m = (0..p.rows)
                        .filter(|&i| p.village[i] == code && f.in_quarter(p.received[i], qi))
                        .filter(|&i| p.category[i] == "projects" && p.repeat[i])
                        .count();
                    assert!(m >= 1, "{code}: project petition");
                }
            }
        }
    }
}

#[test]
fn petition_pressure_and_case_clusters_name_serving_cadres() {
    let f = footprint();
    let (p, k) = (&f.p, &f.k);
    let micro = ["embezzlement", "false_claims", "extortion", "favouritism"];
    for (code, plan, qi) in f.planted_quarters() {
        let n = |pat| plan.episodes(&f.d, qi, pat);
        if n(Pattern::PetitionPressure) > 0 {
            let m = (0..p.rows)
                .filter(|&i| p.village[i] == code && f.in_quarter(p.received[i], qi))
                .filter(|&i| p.kind[i] == "accusation")
                .filter(|&i| p.accused[i].as_ref().is_some_and(|a| f.serving.contains(a)))
                .count();
            assert!(m >= n(Pattern::PetitionPressure), "{code}: pressure");
        }
        if n(Pattern::CaseCluster) > 0 {
            let m = (0..k.rows)
                .filter(|&i| k.village[i] == code && f.in_quarter(k.received[i], qi))
                .filter(|&i| {
                    k.violation[i]
                        .as_deref()
                        .is_some_and(|x| micro.contains(&x))
                })
                .filter(|&i| k.subject[i].as_ref().is_some_and(|s| f.serving.contains(s)))
                .count();
            assert!(m >= n(Pattern::CaseCluster), "{code}: clues");
        }
    }
}

#[test]
fn benefit_capture_and_deceased_benefits_show_in_assistance() {
    let f = footprint();
    let a = &f.a;
    let last = f.d.quarters.len() - 1;
    let planted_start = f.d.quarter_days(f.d.planted_from_index()).0;
    // Paid a quarter or more after the death.
    let still_paid = |i: usize| match a.death[i] {
        Some(dd) => dd <= planted_start - 92 && a.ended[i].is_none_or(|e| e - dd >= 180),
        None => false,
    };
    for (code, plan, qi) in f.planted_quarters() {
        let captured = plan.episodes(&f.d, qi, Pattern::BenefitCapture);
        if captured > 0 {
            let m = a
                .of(code)
                .iter()
                .filter(|&&i| f.in_quarter(a.approved[i], qi))
                .filter(|&&i| a.program[i] == "dibao" || a.program[i] == "tekun")
                .filter(|&&i| a.asset[i] || (f.is_kin(code, &a.person[i]) && !a.filed[i]))
                .count();
            assert!(m >= captured, "{code}: capture");
        }
        if qi == last {
            let paid = a.of(code).iter().filter(|&&i| still_paid(i)).count();
            let planted_dead = plan.episodes(&f.d, last, Pattern::DeceasedBenefits);
            assert_eq!(paid, planted_dead, "{code}: dead still paid");
        }
    }
    // Outside deceased_benefits, every enrolment ends within weeks of a death.
    let dead_planted: BTreeSet<&str> = f
        .summary
        .planted
        .iter()
        .filter(|p| p.patterns.contains(&Pattern::DeceasedBenefits))
        .map(|p| p.village_code.as_str())
        .collect();
    for i in 0..a.rows {
        let v = a.village[i].as_str();
        if let (false, Some(dd)) = (dead_planted.contains(v), a.death[i]) {
            match a.ended[i] {
                Some(e) => assert!((0..=45).contains(&(e - dd)), "{v}: lag {}", e - dd),
                None => assert!(f.d.as_of - dd <= 45, "{v}: unpaid death"),
            }
        }
    }
}

#[test]
fn assistance_lookalikes_are_honest() {
    let f = footprint();
    let a = &f.a;
    // background_deaths: several deaths in the window, each with an
    // ordinary lag (checked for every village with the planted deaths).
    let window_start = f.d.window_start();
    for code in f.members(Lookalike::BackgroundDeaths) {
        let n = a
            .of(code)
            .iter()
            .filter(|&&i| a.death[i].is_some_and(|dd| dd >= window_start))
            .count();
        assert!(n >= 4, "{code}: {n} deaths");
    }
    // poor_high_dibao: more dibao, no asset flags, kin filed.
    let poor = f.members(Lookalike::PoorHighDibao);
    for code in &poor {
        for &i in a.of(code) {
            assert!(!a.asset[i], "{code}: asset flag");
            if f.is_kin(code, &a.person[i]) {
                assert!(a.filed[i], "{code}: kin not filed");
            }
        }
    }
    let dibao = |code: &str| {
        a.of(code)
            .iter()
            .filter(|&&i| a.program[i] == "dibao" && a.ended[i].is_none())
            .count()
    };
    let poor_rate = f.per_thousand(&poor, dibao);
    let clean_rate = f.per_thousand(&f.clean(), dibao);
    assert!(
        poor_rate > 1.8 * clean_rate,
        "dibao {poor_rate:.1} vs {clean_rate:.1}"
    );
}

#[test]
fn petition_and_trading_lookalikes_are_honest() {
    let f = footprint();
    let (p, t) = (&f.p, &f.t);
    let clean = f.clean();
    // noisy_clean: many petitions, no repeats, nothing substantiated.
    let noisy = f.members(Lookalike::NoisyClean);
    for i in (0..p.rows).filter(|&i| noisy.contains(&p.village[i].as_str())) {
        assert!(!p.repeat[i], "{}: repeat", p.village[i]);
        if p.kind[i] == "accusation" {
            let finding = p.finding[i].as_deref();
            assert_ne!(finding, Some("substantiated"), "{}", p.village[i]);
        }
    }
    let (noisy_rate, clean_rate) = (
        f.per_thousand(&noisy, |c| p.of(c)),
        f.per_thousand(&clean, |c| p.of(c)),
    );
    assert!(
        noisy_rate > 2.0 * clean_rate,
        "petitions {noisy_rate:.1} vs {clean_rate:.1}"
    );
    // remote_single_bid: single bids common, fair prices.
    let remote = f.members(Lookalike::RemoteSingleBid);
    let single = |codes: &[&str]| {
        let rows: Vec<usize> = (0..t.rows)
            .filter(|&i| codes.contains(&t.village[i].as_str()) && t.method[i] != "direct")
            .collect();
        rows.iter().filter(|&&i| t.bidders[i] == 1).count() as f64 / rows.len() as f64
    };
    let (remote_single, clean_single) = (single(&remote), single(&clean));
    assert!(
        remote_single > 3.0 * clean_single,
        "single bids {remote_single:.2} vs {clean_single:.2}"
    );
    for i in (0..t.rows).filter(|&i| remote.contains(&t.village[i].as_str())) {
        assert!(
            t.contract[i] <= 0.96 * t.budget[i] + 0.01,
            "{}: price",
            t.village[i]
        );
    }
    // linked_fair_winner: in the last quarter, an open tender won by the
    // disclosed firm, many bidders, a normal price, no variation.
    let last = f.d.quarters.len() - 1;
    for code in f.members(Lookalike::LinkedFairWinner) {
        let m = f
            .awards(code, last)
            .into_iter()
            .filter(|&i| f.linked(i) && t.method[i] == "open_tender" && t.bidders[i] >= 5)
            .filter(|&i| (0.75..=0.92).contains(&(t.contract[i] / t.budget[i])))
            .filter(|&i| t.change[i].is_none() && t.published[i])
            .count();
        assert!(m >= 1, "{code}: fair linked award");
    }
}

/// Ordinary life: requests, enquiries and appeals dominate; accusations
/// mostly unsubstantiated; few clues filed; most awards small; more
/// building in Q2-Q3; clean villages differ more than Poisson noise.
#[test]
fn ordinary_life_is_everyday_seasonal_and_overdispersed() {
    let f = footprint();
    let (p, k, t) = (&f.p, &f.k, &f.t);
    let everyday = p
        .kind
        .iter()
        .filter(|k| matches!(k.as_str(), "request" | "enquiry" | "appeal"))
        .count();
    assert!(everyday * 10 > p.rows * 6, "{everyday} of {}", p.rows);
    let closed_accusations: Vec<usize> = (0..p.rows)
        .filter(|&i| p.kind[i] == "accusation" && p.finding[i].as_deref() != Some("pending"))
        .collect();
    let unsubstantiated = closed_accusations
        .iter()
        .filter(|&&i| p.finding[i].as_deref() == Some("unsubstantiated"))
        .count();
    assert!(unsubstantiated * 2 > closed_accusations.len());
    let filed_cases = k.filed.iter().flatten().count();
    assert!(filed_cases * 6 < k.rows, "{filed_cases} of {}", k.rows);
    let small = t.budget.iter().filter(|b| **b < 100_000.0).count();
    assert!(small * 4 > t.rows * 3, "{small} of {}", t.rows);
    let by_quarter = |n: u32| {
        t.awarded
            .iter()
            .filter(|a| date(**a).month0() / 3 + 1 == n)
            .count()
    };
    assert!(
        by_quarter(2) + by_quarter(3) > 3 * (by_quarter(1) + by_quarter(4)) / 2,
        "seasonality"
    );
    let mut rates: Vec<f64> = f
        .clean()
        .iter()
        .map(|c| p.of(c) as f64 * 1000.0 / f.village(c).population as f64)
        .collect();
    rates.sort_by(f64::total_cmp);
    let (p10, p90) = (rates[rates.len() / 10], rates[rates.len() * 9 / 10]);
    assert!(
        p90 > 2.0 * p10,
        "petitions per 1,000: p10 {p10:.1}, p90 {p90:.1}"
    );
}

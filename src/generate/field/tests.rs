//! Tests of the field profile: determinism by seed, the layout and its
//! catalog, stale files between profiles, every pattern and look-alike
//! group planted, look-alikes clean, the low intensity (many planted
//! villages with a single episode in the last quarter), and each
//! pattern's and look-alike's footprint measured from the written data.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use arrow::array::{Array, RecordBatch, TimestampMillisecondArray};
use chrono::Datelike;

use super::super::district::District;
use super::super::rng::{date, day};
use super::super::tests::{
    bools, dates, files, floats, ints, read, run, same_files, strings, values,
};
use super::super::{GenerateOptions, Lookalike, Pattern, Profile, generate};
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

/// Receipt days of the cases extract (a millisecond timestamp).
fn received_days(b: &RecordBatch) -> Vec<i32> {
    let a = b
        .column_by_name("受理日期")
        .unwrap()
        .as_any()
        .downcast_ref::<TimestampMillisecondArray>()
        .unwrap();
    (0..a.len())
        .map(|i| (a.value(i) / 86_400_000) as i32)
        .collect()
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

/// Everything the footprint checks need from one 600-village district.
#[test]
fn patterns_and_lookalikes_show_in_the_data() {
    let opts = field(11, 600, 12);
    let (dir, summary) = run(&opts);
    let root = dir.path();
    let d = District::build(&opts);
    let last = d.quarters.len() - 1;
    let from = d.planted_from_index();
    let planted_start = d.quarter_days(from).0;
    let as_of = d.as_of;

    // Every pattern and group, look-alikes clean, the lists as written.
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
        assert!(
            !planted_codes.contains(l.village_code.as_str()),
            "{}",
            l.village_code
        );
    }
    let text = std::fs::read_to_string(root.join("lookalikes.csv")).unwrap();
    let mut lines = text.lines();
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
    let truth = std::fs::read_to_string(root.join("ground_truth.csv")).unwrap();
    assert!(truth.contains(",collusive_tender,2026Q2,2026Q3"));
    assert!(truth.contains(",deceased_benefits,2026Q2,2026Q3"));

    // Who is who: cadres' kin and the firms of serving cadres, by village.
    let c = read(&root.join("cadres.parquet"));
    let r = read(&root.join("relations.parquet"));
    let cadre_village: BTreeMap<String, String> = values(&c, "person_id")
        .into_iter()
        .zip(values(&c, "village_code"))
        .collect();
    let serving: BTreeSet<String> = values(&c, "person_id")
        .into_iter()
        .zip(dates(&c, "term_end"))
        .filter(|(_, e)| e.is_none())
        .map(|(p, _)| p)
        .collect();
    let mut firms: BTreeSet<(String, String)> = BTreeSet::new();
    let mut kin: BTreeSet<(String, String)> = BTreeSet::new();
    for ((p, rel), related) in values(&r, "person_id")
        .into_iter()
        .zip(values(&r, "relation"))
        .zip(values(&r, "related_id"))
    {
        let v = cadre_village[&p].clone();
        if rel == "legal_rep" || rel == "shareholder" {
            if serving.contains(&p) {
                firms.insert((v, related));
            }
        } else if rel != "employee" {
            kin.insert((v, related));
        }
    }

    let village = |code: &str| d.villages.iter().find(|v| v.code == code).unwrap();
    let in_quarter = |day: i32, qi: usize| {
        let (s, e) = d.quarter_days(qi);
        (s..e).contains(&day)
    };

    // Trading.
    let t = read(&root.join("trading"));
    let tv = values(&t, "village_code");
    let method = values(&t, "method");
    let budget: Vec<f64> = floats(&t, "budget")
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let contract: Vec<f64> = floats(&t, "contract_amount")
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let change = floats(&t, "change_amount");
    let bidders: Vec<i64> = ints(&t, "bidder_count")
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let winner = values(&t, "winner_id");
    let awarded: Vec<i32> = dates(&t, "awarded_date")
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let announced = dates(&t, "announced_date");
    let deadline = dates(&t, "bid_deadline");
    let started = dates(&t, "start_date");
    let published = bools(&t, "publicized");
    let awards = |code: &str, qi: usize| -> Vec<usize> {
        (0..t.num_rows())
            .filter(|&i| tv[i] == code && in_quarter(awarded[i], qi))
            .collect()
    };
    let linked = |i: usize| firms.contains(&(tv[i].clone(), winner[i].clone()));
    let change_share = |i: usize| change[i].map_or(0.0, |c| c / contract[i]);

    // Petitions and cases.
    let p = read(&root.join("petitions.parquet"));
    let pv = values(&p, "village_code");
    let received: Vec<i32> = dates(&p, "received_date")
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let kind = values(&p, "kind");
    let category = values(&p, "category");
    let repeat = bools(&p, "is_repeat");
    let finding = strings(&p, "finding");
    let accused = strings(&p, "accused_person_id");
    let k = read(&root.join("cases.parquet"));
    let kv = values(&k, "村居代码");
    let kday = received_days(&k);
    let violation = strings(&k, "violation");
    let subject = strings(&k, "subject_person_id");

    // Assistance.
    let a = read(&root.join("assistance.parquet"));
    let av = values(&a, "village_code");
    let person = values(&a, "person_id");
    let program = values(&a, "program");
    let approved: Vec<i32> = dates(&a, "approved_date")
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let ended = dates(&a, "end_date");
    let death = dates(&a, "death_date");
    let asset = bools(&a, "asset_flag");
    let filed = bools(&a, "kin_filed");
    let mut rows_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, v) in av.iter().enumerate() {
        rows_of.entry(v.as_str()).or_default().push(i);
    }
    // Paid a quarter or more after the death.
    let still_paid = |i: usize| match death[i] {
        Some(dd) => dd <= planted_start - 92 && ended[i].is_none_or(|e| e - dd >= 180),
        None => false,
    };

    for pv_ in &summary.planted {
        let code = pv_.village_code.as_str();
        let v = village(code);
        let plan = VillagePlan::of(&d, v);
        for qi in from..=last {
            let n = |pat| plan.episodes(&d, qi, pat);
            let here = awards(code, qi);
            if n(Pattern::BidSplitting) > 0 {
                let split: Vec<usize> = here
                    .iter()
                    .copied()
                    .filter(|&i| (88_000.0..=99_900.0).contains(&budget[i]))
                    .filter(|&i| method[i] == "direct" || method[i] == "inquiry")
                    .collect();
                assert!(split.len() >= 2 * n(Pattern::BidSplitting), "{code}: split");
                let mut by_winner: BTreeMap<&str, usize> = BTreeMap::new();
                for &i in &split {
                    *by_winner.entry(winner[i].as_str()).or_default() += 1;
                }
                assert!(by_winner.values().any(|c| *c >= 2), "{code}: one firm");
            }
            if n(Pattern::CollusiveTender) > 0 {
                let m = here
                    .iter()
                    .filter(|&&i| linked(i) && method[i] == "invited" && bidders[i] == 1)
                    .filter(|&&i| {
                        let call = deadline[i].unwrap() - announced[i].unwrap();
                        (1..=4).contains(&call)
                    })
                    .filter(|&&i| contract[i] >= 0.995 * budget[i] - 0.01)
                    .filter(|&&i| change_share(i) >= 0.25)
                    .count();
                assert_eq!(m, n(Pattern::CollusiveTender), "{code}: collusive");
            }
            if n(Pattern::CronyContracts) > 0 {
                let crony: Vec<usize> = here.iter().copied().filter(|&i| linked(i)).collect();
                assert!(crony.len() >= n(Pattern::CronyContracts), "{code}: crony");
                match plan.crony_style {
                    CronyStyle::Ceiling => {
                        let m = crony
                            .iter()
                            .filter(|&&i| contract[i] >= 0.98 * budget[i] - 0.01)
                            .filter(|&&i| started[i].is_some_and(|s| s < awarded[i]))
                            .count();
                        assert!(m >= n(Pattern::CronyContracts), "{code}: ceiling");
                    }
                    CronyStyle::Open {
                        variation,
                        petition,
                    } => {
                        let open = crony
                            .iter()
                            .filter(|&&i| method[i] == "open_tender" && published[i])
                            .count();
                        assert!(open >= n(Pattern::CronyContracts), "{code}: open");
                        if variation {
                            let m = crony
                                .iter()
                                .filter(|&&i| (0.2..=0.6).contains(&change_share(i)))
                                .count();
                            assert!(m >= n(Pattern::CronyContracts), "{code}: variation");
                        }
                        if petition {
                            let m = (0..p.num_rows())
                                .filter(|&i| pv[i] == code && in_quarter(received[i], qi))
                                .filter(|&i| category[i] == "projects" && repeat[i])
                                .count();
                            assert!(m >= 1, "{code}: project petition");
                        }
                    }
                }
            }
            if n(Pattern::PetitionPressure) > 0 {
                let m = (0..p.num_rows())
                    .filter(|&i| pv[i] == code && in_quarter(received[i], qi))
                    .filter(|&i| kind[i] == "accusation")
                    .filter(|&i| accused[i].as_ref().is_some_and(|a| serving.contains(a)))
                    .count();
                assert!(m >= n(Pattern::PetitionPressure), "{code}: pressure");
            }
            if n(Pattern::CaseCluster) > 0 {
                let micro = ["embezzlement", "false_claims", "extortion", "favouritism"];
                let m = (0..k.num_rows())
                    .filter(|&i| kv[i] == code && in_quarter(kday[i], qi))
                    .filter(|&i| violation[i].as_deref().is_some_and(|x| micro.contains(&x)))
                    .filter(|&i| subject[i].as_ref().is_some_and(|s| serving.contains(s)))
                    .count();
                assert!(m >= n(Pattern::CaseCluster), "{code}: clues");
            }
            if n(Pattern::BenefitCapture) > 0 {
                let m = rows_of[code]
                    .iter()
                    .filter(|&&i| in_quarter(approved[i], qi))
                    .filter(|&&i| program[i] == "dibao" || program[i] == "tekun")
                    .filter(|&&i| {
                        asset[i]
                            || (kin.contains(&(code.to_string(), person[i].clone())) && !filed[i])
                    })
                    .count();
                assert!(m >= n(Pattern::BenefitCapture), "{code}: capture");
            }
        }
        let paid = rows_of[code].iter().filter(|&&i| still_paid(i)).count();
        let planted_dead = plan.episodes(&d, last, Pattern::DeceasedBenefits);
        assert_eq!(paid, planted_dead, "{code}: dead still paid");
    }

    // Outside deceased_benefits, every enrolment ends within weeks of a death.
    let dead_planted: BTreeSet<&str> = summary
        .planted
        .iter()
        .filter(|p| p.patterns.contains(&Pattern::DeceasedBenefits))
        .map(|p| p.village_code.as_str())
        .collect();
    for i in 0..a.num_rows() {
        if dead_planted.contains(av[i].as_str()) {
            continue;
        }
        if let Some(dd) = death[i] {
            match ended[i] {
                Some(e) => assert!((0..=45).contains(&(e - dd)), "{}: lag {}", av[i], e - dd),
                None => assert!(as_of - dd <= 45, "{}: unpaid death", av[i]),
            }
        }
    }

    let members = |g: Lookalike| -> Vec<&str> {
        summary
            .lookalikes
            .iter()
            .filter(|l| l.groups.contains(&g))
            .map(|l| l.village_code.as_str())
            .collect()
    };
    let clean: Vec<&str> = d
        .villages
        .iter()
        .filter(|v| v.patterns.is_empty() && v.lookalikes.is_empty())
        .map(|v| v.code.as_str())
        .collect();
    let per_thousand = |codes: &[&str], count: &dyn Fn(&str) -> usize| -> f64 {
        let n: usize = codes.iter().map(|c| count(c)).sum();
        let pop: i64 = codes.iter().map(|c| village(c).population).sum();
        n as f64 * 1000.0 / pop as f64
    };

    // background_deaths: several deaths in the window, each with an
    // ordinary lag (checked above for every village).
    let window_start = d.window_start();
    for code in members(Lookalike::BackgroundDeaths) {
        let n = rows_of[code]
            .iter()
            .filter(|&&i| death[i].is_some_and(|dd| dd >= window_start))
            .count();
        assert!(n >= 4, "{code}: {n} deaths");
    }

    // poor_high_dibao: more dibao, no asset flags, kin filed.
    let poor = members(Lookalike::PoorHighDibao);
    for code in &poor {
        for &i in &rows_of[code] {
            assert!(!asset[i], "{code}: asset flag");
            if kin.contains(&(code.to_string(), person[i].clone())) {
                assert!(filed[i], "{code}: kin not filed");
            }
        }
    }
    let dibao = |code: &str| {
        rows_of[code]
            .iter()
            .filter(|&&i| program[i] == "dibao" && ended[i].is_none())
            .count()
    };
    let (poor_rate, clean_rate) = (per_thousand(&poor, &dibao), per_thousand(&clean, &dibao));
    assert!(
        poor_rate > 1.8 * clean_rate,
        "dibao {poor_rate:.1} vs {clean_rate:.1}"
    );

    // noisy_clean: many petitions, no repeats, nothing substantiated.
    let noisy = members(Lookalike::NoisyClean);
    for i in 0..p.num_rows() {
        if noisy.contains(&pv[i].as_str()) {
            assert!(!repeat[i], "{}: repeat", pv[i]);
            if kind[i] == "accusation" {
                assert_ne!(finding[i].as_deref(), Some("substantiated"), "{}", pv[i]);
            }
        }
    }
    let petitions = |code: &str| pv.iter().filter(|v| v.as_str() == code).count();
    let (noisy_rate, clean_rate) = (
        per_thousand(&noisy, &petitions),
        per_thousand(&clean, &petitions),
    );
    assert!(
        noisy_rate > 2.0 * clean_rate,
        "petitions {noisy_rate:.1} vs {clean_rate:.1}"
    );

    // remote_single_bid: single bids common, fair prices.
    let remote = members(Lookalike::RemoteSingleBid);
    let single = |codes: &[&str]| {
        let rows: Vec<usize> = (0..t.num_rows())
            .filter(|&i| codes.contains(&tv[i].as_str()) && method[i] != "direct")
            .collect();
        rows.iter().filter(|&&i| bidders[i] == 1).count() as f64 / rows.len() as f64
    };
    let (remote_single, clean_single) = (single(&remote), single(&clean));
    assert!(
        remote_single > 3.0 * clean_single,
        "single bids {remote_single:.2} vs {clean_single:.2}"
    );
    for i in 0..t.num_rows() {
        if remote.contains(&tv[i].as_str()) {
            assert!(contract[i] <= 0.96 * budget[i] + 0.01, "{}: price", tv[i]);
        }
    }

    // linked_fair_winner: in the last quarter, an open tender won by the
    // disclosed firm, many bidders, a normal price, no variation.
    for code in members(Lookalike::LinkedFairWinner) {
        let m = awards(code, last)
            .into_iter()
            .filter(|&i| linked(i) && method[i] == "open_tender" && bidders[i] >= 5)
            .filter(|&i| (0.75..=0.92).contains(&(contract[i] / budget[i])))
            .filter(|&i| change[i].is_none() && published[i])
            .count();
        assert!(m >= 1, "{code}: fair linked award");
    }

    // Ordinary life: requests, enquiries and appeals dominate; accusations
    // mostly unsubstantiated; few clues filed; most awards small; more
    // building in Q2-Q3.
    let everyday = kind
        .iter()
        .filter(|k| matches!(k.as_str(), "request" | "enquiry" | "appeal"))
        .count();
    assert!(
        everyday * 10 > p.num_rows() * 6,
        "{everyday} of {}",
        p.num_rows()
    );
    let closed_accusations: Vec<usize> = (0..p.num_rows())
        .filter(|&i| kind[i] == "accusation" && finding[i].as_deref() != Some("pending"))
        .collect();
    let unsubstantiated = closed_accusations
        .iter()
        .filter(|&&i| finding[i].as_deref() == Some("unsubstantiated"))
        .count();
    assert!(unsubstantiated * 2 > closed_accusations.len());
    let filed_cases = dates(&k, "filed_date").iter().flatten().count();
    assert!(
        filed_cases * 6 < k.num_rows(),
        "{filed_cases} of {}",
        k.num_rows()
    );
    let small = budget.iter().filter(|b| **b < 100_000.0).count();
    assert!(small * 4 > t.num_rows() * 3, "{small} of {}", t.num_rows());
    let by_quarter = |n: u32| {
        awarded
            .iter()
            .filter(|a| date(**a).month0() / 3 + 1 == n)
            .count()
    };
    assert!(
        by_quarter(2) + by_quarter(3) > 3 * (by_quarter(1) + by_quarter(4)) / 2,
        "seasonality"
    );
    // Over-dispersion: clean villages differ more than Poisson noise.
    let mut rates: Vec<f64> = clean
        .iter()
        .map(|c| petitions(c) as f64 * 1000.0 / village(c).population as f64)
        .collect();
    rates.sort_by(f64::total_cmp);
    let (p10, p90) = (rates[rates.len() / 10], rates[rates.len() * 9 / 10]);
    assert!(
        p90 > 2.0 * p10,
        "petitions per 1,000: p10 {p10:.1}, p90 {p90:.1}"
    );
}

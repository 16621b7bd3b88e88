//! Every data point of the default framework (`indicators/`, `sql/`)
//! against a value computed by hand on a tiny district: the three villages
//! of `District::new()` (V1 pop 2000, V2 pop 1000, V3 pop 4000), quarter
//! 2026Q3 = [2026-07-01, 2026-10-01). The previous quarter is
//! [2026-04-01, 2026-07-01), the trailing four quarters
//! [2025-07-01, 2026-07-01). Every source has rows that count and rows that
//! must not (outside the quarter, wrong kind or programme, a cadre of another
//! village or out of office, a kin link where a business link is needed and
//! the reverse, an open item).
//!
//! A data point added to the framework without a hand-checked value here
//! fails `every_framework_data_point_is_hand_checked`.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::collections::BTreeSet;

use common::*;
use datafusion::prelude::SessionContext;
use qinglian::catalog::Catalog;
use qinglian::contract::Table;
use qinglian::datapoints::{self, DataPointTable};
use qinglian::framework::Framework;
use qinglian::ingest;
use qinglian::period::Quarter;

/// Writes `table` from a header and rows of cells in the header's order:
/// `-` is null, columns left out of the header get valid defaults.
fn put_table(d: &District, table: &Table, header: &[&str], rows: &[&[&str]]) {
    let rows: Vec<Vec<(&str, Option<&str>)>> = rows
        .iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{}: {r:?}", table.name);
            header
                .iter()
                .zip(r.iter())
                .map(|(h, c)| (*h, (*c != "-").then_some(*c)))
                .collect()
        })
        .collect();
    let rows: Vec<&[(&str, Option<&str>)]> = rows.iter().map(Vec::as_slice).collect();
    d.put(table, &rows);
}

/// The district. Person keys: K* cadres, B* beneficiaries related to a
/// cadre, X* other beneficiaries, S* suppliers.
#[rustfmt::skip]
fn district() -> District {
    let d = District::new();

    // K1 is secretary of V1 and, from the quarter's first day, also its
    // director (一肩挑: two serving rows, which must not double-count).
    // K2's term as V1 director ended the day before the quarter. K3 became
    // V2 director mid-quarter. K4's V2 term ended on the quarter's first day
    // (still serving in it). K5's V3 term starts on the day after the
    // quarter (not serving). K6 serves in V3.
    put_table(&d, &CADRES,
        &["person_id", "village_code", "role", "term_start", "term_end"],
        &[
            &["K1", V1, "secretary",  "2021-01-01", "-"],
            &["K1", V1, "director",   "2026-07-01", "-"],
            &["K2", V1, "director",   "2018-01-01", "2026-06-30"],
            &["K3", V2, "director",   "2026-07-15", "-"],
            &["K4", V2, "committee",  "2021-01-01", "2026-07-01"],
            &["K5", V3, "secretary",  "2026-10-01", "-"],
            &["K6", V3, "accountant", "2020-01-01", "-"],
        ],
    );
    put_table(&d, &RELATIONS,
        &["person_id", "related_id", "relation"],
        &[
            &["K1", "B1", "spouse"],
            &["K1", "S1", "legal_rep"],
            &["K1", "B7", "other_kin"],   // B7 is enrolled in V2, not K1's village
            &["K2", "B2", "child"],       // K2 out of office
            &["K2", "S2", "shareholder"], // K2 out of office (and S2 wins in V2)
            &["K3", "B3", "sibling"],
            &["K3", "S3", "employee"],
            &["K4", "B3", "in_law"],      // B3 is kin of two V2 cadres: counted once
            &["K4", "S3", "shareholder"], // S3 is linked to two V2 cadres: counted once
            &["K5", "B5", "parent"],      // K5 not yet serving
            &["K5", "S8", "legal_rep"],   // K5 not yet serving
            &["K6", "B6", "employee"],    // a business link to a beneficiary: not kin
            &["K6", "S6", "sibling"],     // a kin link to a supplier: not a business link
        ],
    );

    put_table(&d, &PETITIONS,
        &["petition_id", "village_code", "received_date", "kind", "accused_role", "accused_person_id", "is_repeat", "due_date", "closed_date", "finding", "satisfaction"],
        &[
            // V1, in the quarter
            &["p01", V1, "2026-07-10", "accusation", "secretary",         "K1", "false", "2026-08-09", "2026-07-30", "substantiated",   "satisfied"],
            &["p02", V1, "2026-08-01", "accusation", "director",          "K2", "true",  "2026-08-31", "-",          "unsubstantiated", "unsatisfied"],
            &["p03", V1, "2026-09-01", "request",    "-",                 "-",  "true",  "2026-09-10", "2026-09-11", "substantiated",   "basically"],
            &["p04", V1, "2026-09-20", "accusation", "township_official", "-",  "false", "2026-10-10", "2026-09-25", "pending",         "-"],
            // V1, outside the quarter
            &["p05", V1, "2026-06-20", "accusation", "secretary",         "K1", "false", "2026-07-05", "2026-07-05", "substantiated",   "unsatisfied"],
            &["p06", V1, "2026-10-01", "accusation", "director",          "K1", "true",  "-",          "-",          "-",               "-"],
            &["p07", V1, "2025-08-15", "accusation", "-",                 "-",  "false", "-",          "2025-09-01", "-",               "-"],
            &["p08", V1, "2025-06-30", "accusation", "-",                 "-",  "false", "-",          "2025-07-10", "-",               "-"],
            &["p09", V1, "2026-04-01", "accusation", "-",                 "-",  "false", "-",          "2026-04-20", "-",               "-"],
            &["p10", V1, "2026-01-10", "accusation", "-",                 "-",  "false", "2026-06-30", "-",          "-",               "-"],
            &["p11", V1, "2026-02-01", "request",    "-",                 "-",  "false", "-",          "2026-02-10", "-",               "-"],
            // V2, in the quarter
            &["p21", V2, "2026-07-20", "accusation", "director",          "K3", "false", "2026-08-04", "2026-08-19", "partly",          "unsatisfied"],
            &["p22", V2, "2026-09-30", "accusation", "secretary",         "K1", "false", "2026-10-01", "-",          "-",               "-"],
            &["p23", V2, "2026-07-01", "suggestion", "-",                 "-",  "true",  "-",          "2026-07-11", "-",               "satisfied"],
            &["p24", V2, "2026-08-20", "accusation", "committee",         "K4", "false", "-",          "2026-09-19", "substantiated",   "-"],
            &["p25", V2, "2026-07-20", "enquiry",    "director",          "K3", "false", "-",          "2026-07-25", "-",               "-"],
            // V2, outside
            &["p26", V2, "2025-06-30", "accusation", "-",                 "-",  "false", "-",          "2025-07-30", "-",               "-"],
            // V3, outside the quarter only
            &["p31", V3, "2025-10-01", "accusation", "-",                 "-",  "false", "-",          "2025-10-20", "-",               "-"],
            &["p32", V3, "2026-06-01", "request",    "-",                 "-",  "false", "2026-07-10", "-",          "-",               "-"],
        ],
    );

    put_table(&d, &CASES,
        &["case_id", "village_code", "subject_person_id", "received_date", "filed_date", "violation", "amount", "form"],
        &[
            &["c01", V1, "K1", "2026-07-05", "2026-08-01", "embezzlement",      "12000",  "3"],
            &["c02", V1, "K2", "2026-08-10", "-",          "eight_rules",       "3000.5", "3"],
            &["c03", V1, "-",  "2026-09-30", "-",          "-",                 "-",      "-"],
            &["c04", V1, "K1", "2026-06-30", "2026-07-10", "false_claims",      "50000",  "4"],
            &["c05", V2, "K4", "2026-07-01", "2026-07-20", "favouritism",       "8000",   "4"],
            &["c06", V2, "K1", "2026-09-15", "2026-09-20", "extortion",         "2000",   "2"],
            &["c07", V2, "K3", "2026-10-01", "-",          "embezzlement",      "100000", "3"],
            &["c08", V3, "K5", "2026-08-08", "-",          "collective_assets", "40000",  "3"],
            &["c09", V3, "K6", "2026-09-09", "2026-09-30", "bribery",           "1500",   "2"],
            &["c10", V3, "K6", "2026-07-15", "-",          "-",                 "-",      "-"],
        ],
    );

    put_table(&d, &TRADING,
        &["project_id", "village_code", "method", "budget", "contract_amount", "bidder_count", "winner_id", "announced_date", "bid_deadline", "awarded_date", "start_date", "change_amount", "publicized"],
        &[
            // V1, in the quarter
            &["t01", V1, "open_tender", "200000", "199000", "3", "S1", "2026-07-01", "2026-07-21", "2026-07-25", "2026-08-01", "10000", "true"],
            &["t02", V1, "direct",      "95000",  "95000",  "-", "S9", "-",          "-",          "2026-08-05", "2026-08-01", "-",     "false"],
            &["t03", V1, "direct",      "92000",  "90000",  "-", "S9", "-",          "-",          "2026-08-20", "-",          "-",     "false"],
            &["t04", V1, "inquiry",     "99999",  "-",      "1", "S9", "2026-09-01", "2026-09-04", "2026-09-10", "-",          "7000",  "true"],
            &["t05", V1, "open_tender", "96000",  "80000",  "4", "S9", "2026-08-20", "2026-09-10", "2026-09-15", "2026-09-20", "5000",  "true"],
            // V1, outside
            &["t06", V1, "direct",      "50000",  "50000",  "-", "S1", "-",          "-",          "2026-06-30", "-",          "-",     "false"],
            &["t07", V1, "direct",      "95000",  "95000",  "-", "S9", "-",          "-",          "2026-10-01", "-",          "-",     "false"],
            // V2, in the quarter
            &["t11", V2, "negotiation", "94000",  "94000",  "1", "S3", "-",          "-",          "2026-07-01", "2026-06-25", "6000",  "true"],
            &["t12", V2, "negotiation", "91000",  "-",      "-", "S3", "-",          "-",          "2026-09-30", "-",          "-",     "false"],
            &["t13", V2, "invited",     "150000", "140000", "2", "S2", "2026-08-01", "2026-08-05", "2026-08-10", "-",          "-",     "true"],
            &["t14", V2, "lottery",     "30000",  "29800",  "5", "S4", "2026-09-01", "2026-09-06", "2026-09-12", "-",          "-",     "true"],
            // V3, in the quarter except t23
            &["t21", V3, "direct",      "60000",  "-",      "-", "S6", "-",          "-",          "2026-08-08", "-",          "-",     "true"],
            &["t22", V3, "inquiry",     "97000",  "96500",  "3", "S7", "2026-07-10", "2026-07-20", "2026-07-25", "-",          "-",     "true"],
            &["t23", V3, "inquiry",     "98000",  "97000",  "2", "S7", "2026-06-01", "2026-06-05", "2026-06-15", "-",          "-",     "true"],
            &["t24", V3, "open_tender", "300000", "250000", "6", "S8", "2026-07-01", "2026-07-31", "2026-08-30", "2026-09-01", "20000", "true"],
            &["t25", V3, "direct",      "93000",  "-",      "-", "-",  "-",          "-",          "2026-09-01", "-",          "-",     "false"],
            &["t26", V3, "direct",      "94000",  "-",      "-", "-",  "-",          "-",          "2026-09-02", "-",          "-",     "false"],
        ],
    );

    put_table(&d, &ASSISTANCE,
        &["record_id", "person_id", "village_code", "program", "approved_date", "start_date", "end_date", "last_review_date", "death_date", "asset_flag", "kin_filed"],
        &[
            &["a01", "B1", V1, "dibao",      "2026-07-05", "2026-08-01", "-",          "-",          "-",          "false", "true"],
            &["a02", "B2", V1, "dibao",      "2025-03-01", "2025-04-01", "-",          "2025-06-30", "-",          "true",  "false"],
            &["a03", "X1", V1, "tekun",      "2024-01-10", "2024-02-01", "2026-07-01", "2025-07-01", "2026-06-15", "false", "false"],
            &["a04", "X2", V1, "temporary",  "2026-08-15", "2026-08-15", "2026-08-31", "-",          "-",          "false", "false"],
            &["a05", "X3", V1, "dibao",      "2023-01-01", "2023-02-01", "2026-06-30", "-",          "2026-05-01", "true",  "false"],
            &["a06", "X4", V1, "dibao",      "2026-09-30", "2026-10-01", "-",          "-",          "-",          "false", "false"],
            &["a11", "B3", V2, "tekun",      "2026-07-20", "2026-08-01", "-",          "-",          "-",          "false", "false"],
            &["a12", "B7", V2, "dibao",      "2026-08-01", "2026-08-01", "-",          "-",          "-",          "false", "false"],
            &["a13", "X5", V2, "dibao",      "2024-05-01", "2024-06-01", "-",          "-",          "2026-07-15", "true",  "false"],
            &["a14", "X6", V2, "disability", "2022-01-01", "2022-01-01", "-",          "-",          "2025-12-31", "true",  "false"],
            &["a15", "B3", V2, "temporary",  "2026-08-01", "2026-08-01", "2026-08-31", "-",          "-",          "false", "false"],
            &["a21", "B5", V3, "dibao",      "2026-08-10", "2026-09-01", "-",          "-",          "-",          "false", "false"],
            &["a22", "B6", V3, "tekun",      "2026-09-01", "2026-09-01", "-",          "-",          "-",          "false", "false"],
            &["a23", "X7", V3, "dibao",      "2025-06-01", "2025-07-01", "2026-09-15", "2025-09-01", "-",          "true",  "false"],
            &["a24", "X8", V3, "other",      "2026-05-01", "2026-05-01", "-",          "-",          "-",          "false", "false"],
            &["a25", "X9", V3, "dibao",      "2026-06-20", "2026-07-01", "-",          "-",          "-",          "false", "false"],
        ],
    );
    d
}

const fn n(v1: f64, v2: f64, v3: f64) -> [Option<f64>; 3] {
    [Some(v1), Some(v2), Some(v3)]
}

/// The hand-computed value of every data point for [V1, V2, V3].
#[rustfmt::skip]
const EXPECTED: &[(&str, [Option<f64>; 3])] = &[
    // ---- petitions (received in the quarter: V1 p01-p04, V2 p21-p25, V3 none;
    //      p05, p06 (received on the end day), p08 ... are outside)
    ("pet_total", n(4.0, 5.0, 0.0)),
    // p01 p02 p04 | p21 p22 p24 (p03 request, p23 suggestion, p25 enquiry)
    ("pet_accusations", n(3.0, 3.0, 0.0)),
    // p02 p03 (p06 is a repeat after the quarter) | p23
    ("pet_repeats", n(2.0, 1.0, 0.0)),
    // accused_role secretary/director: p01 p02 (p04 township official) |
    // p21 p22 (p24 committee; p25 names a director but is an enquiry)
    ("pet_top_accusations", n(2.0, 2.0, 0.0)),
    // accusations with substantiated/partly/unsubstantiated: p01 p02 (p04 pending,
    // p03's finding is on a request) | p21 p24 (p22 no finding)
    ("pet_concluded_findings", n(2.0, 2.0, 0.0)),
    // p01 (p02 unsubstantiated) | p21 partly, p24
    ("pet_substantiated", n(1.0, 2.0, 0.0)),
    // satisfaction set: p01 p02 p03 | p21 p23
    ("pet_rated", n(3.0, 2.0, 0.0)),
    // p02 (p05 is last quarter) | p21
    ("pet_unsatisfied", n(1.0, 1.0, 0.0)),
    // V1: p01 20, p02 open to 2026-09-30 60, p03 10, p04 5 -> 95 / 4;
    // V2: p21 30, p22 open and received on 09-30 0, p23 10, p24 30, p25 5 -> 75 / 5;
    // V3: no petition in the quarter, unavailable
    ("pet_handling_days", [Some(23.75), Some(15.0), None]),
    // (accusations in the quarter + 1) / (accusations in the 4 quarters before / 4 + 1):
    // V1 (3 + 1) / (4 / 4 + 1), trailing p05 p07 p09 p10 (p08 on 2025-06-30 is one day
    // early, p11 a request); V2 (3 + 1) / (0 + 1), p26 is one day early;
    // V3 (0 + 1) / (1 / 4 + 1), trailing p31
    ("pet_accusation_growth_ratio", n(2.0, 4.0, 0.8)),
    // due_date in the quarter, whatever the receipt date:
    // V1 p01 p02 p03 p05 (p04 due 10-10, p10 due 06-30) | V2 p21 (p22 due on the
    // end day) | V3 p32 (received last quarter)
    ("pet_replies_due", n(4.0, 1.0, 1.0)),
    // of those, closed after due_date or open: p02 open, p03 one day late
    // (p05 closed on its due date) | p21 closed late | p32 open
    ("pet_replies_overdue", n(2.0, 1.0, 1.0)),
    // accusations naming a serving secretary/director of the same village by key:
    // p01 K1 (two serving rows, counted once; p02 names K2 out of office) |
    // p21 K3 (p22 names K1 of V1, p24 names committee member K4, p25 an enquiry)
    ("pet_serving_leader_accusations", n(1.0, 1.0, 0.0)),

    // ---- cases (received in the quarter: V1 c01-c03, V2 c05 c06, V3 c08-c10;
    //      c04 last quarter, c07 on the end day)
    ("case_clues", n(3.0, 2.0, 3.0)),
    // filed_date set: c01 (c04 outside) | c05 c06 | c09
    ("case_filed", n(1.0, 2.0, 1.0)),
    // form >= 3: c01 c02 | c05 (c06 form 2) | c08 (c09 form 2)
    ("case_serious_forms", n(2.0, 1.0, 1.0)),
    // 12000 + 3000.5 (c03 no amount) | 8000 + 2000 | 40000 + 1500
    ("case_amount", n(15000.5, 10000.0, 41500.0)),
    // embezzlement etc.: c01 (c02 eight_rules) | c05 favouritism, c06 extortion |
    // c08 collective_assets (c09 bribery)
    ("case_micro_corruption", n(1.0, 2.0, 1.0)),
    // subject is a serving cadre of the same village: c01 K1 (counted once; c02 K2
    // out of office) | c05 K4, term ended on the first day (c06 K1 is V1's) |
    // c09 c10 K6 (c08 K5 starts after the quarter)
    ("case_serving_cadre_subjects", n(1.0, 1.0, 2.0)),

    // ---- trading (awarded in the quarter: V1 t01-t05, V2 t11-t14 (t11 on the
    //      first day, t12 on the last), V3 t21 t22 t24-t26; t06 t23 last quarter,
    //      t07 on the end day)
    ("trd_projects", n(5.0, 4.0, 5.0)),
    // 200000 + 95000 + 92000 + 99999 + 96000 | 94000 + 91000 + 150000 + 30000 |
    // 60000 + 97000 + 300000 + 93000 + 94000
    ("trd_budget", n(582_999.0, 365_000.0, 644_000.0)),
    // not direct with bidder_count: t01 t04 t05 | t11 t13 t14 (t12 no count) | t22 t24
    ("trd_bid_procedures", n(3.0, 3.0, 2.0)),
    // bidder_count 1: t04 | t11 | none
    ("trd_single_bids", n(1.0, 1.0, 0.0)),
    // direct or negotiation: t02 + t03 | t11 + t12 | t21 + t25 + t26
    ("trd_noncompetitive_budget", n(187_000.0, 185_000.0, 247_000.0)),
    // contract_amount set: t01 t02 t03 t05 | t11 t13 t14 | t22 t24
    ("trd_contracted", n(4.0, 3.0, 2.0)),
    // contract >= 99% of budget: t01 (99.5%) t02 (100%), not t03 (97.8%) t05 |
    // t11 t14 (99.3%), not t13 | t22 (99.5%), not t24
    ("trd_near_budget", n(2.0, 2.0, 1.0)),
    // budget in [90000, 100000): t02 t03 t04 t05 | t11 t12 | t22 t25 t26
    ("trd_below_threshold", n(4.0, 2.0, 3.0)),
    // 199000 + 95000 + 90000 + 80000 | 94000 + 140000 + 29800 | 96500 + 250000
    ("trd_contract_sum", n(464_000.0, 263_800.0, 346_500.0)),
    // change_amount of contracted projects: t01 + t05 (t04's 7000 has no contract) |
    // t11 | t24
    ("trd_change_sum", n(15_000.0, 6_000.0, 20_000.0)),
    // start_date set: t01 t02 t05 | t11 | t24
    ("trd_started", n(3.0, 1.0, 1.0)),
    // started before award: t02 | t11 | none
    ("trd_started_early", n(1.0, 1.0, 0.0)),
    // publicized false: t02 t03 | t12 | t25 t26
    ("trd_unpublished", n(2.0, 1.0, 2.0)),
    // announced and deadline set: t01 t04 t05 | t13 t14 | t22 t24
    ("trd_advertised", n(3.0, 2.0, 2.0)),
    // method not direct: t01 t04 t05 | t11-t14 | t22 t24
    ("trd_not_direct", n(3.0, 4.0, 2.0)),
    // not direct and no announcement: none | t11 t12 | none
    ("trd_unannounced", n(0.0, 2.0, 0.0)),
    // deadline < announced + 5 days: t04 (3 days; t01 20, t05 21) |
    // t13 (4 days; t14 exactly 5 is not short) | none (t22 10, t24 30)
    ("trd_short_advert", n(1.0, 1.0, 0.0)),
    // same winner, >= 2 awards in [90000, 100000) by direct/negotiation/inquiry:
    // S9 t02 t03 t04 (t05 open tender, t07 outside) | S3 t11 t12 |
    // none (S7 t22 alone in the quarter, t25 t26 have no winner)
    ("trd_split_cluster_projects", n(3.0, 2.0, 0.0)),
    // winner has a business link to a serving cadre of the village:
    // t01 S1 K1 (t06 outside) | t11 t12 S3, linked to K3 and K4, counted once
    // (t13 S2 linked to K2, of V1 and out of office) | none (S6 is K6's kin,
    // S8's K5 not yet serving)
    ("trd_cadre_linked_awards", n(1.0, 2.0, 0.0)),
    // budgets of those: 200000 | 94000 + 91000 | 0
    ("trd_cadre_linked_value", n(200_000.0, 185_000.0, 0.0)),

    // ---- assistance (active: start < 2026-10-01 and end null or >= 2026-07-01;
    //      new: approved in the quarter)
    // dibao active: a01 a02 (a05 ended 06-30, a06 starts 10-01) | a12 a13 | a21 a23 a25
    ("asst_active_dibao", n(2.0, 2.0, 3.0)),
    // dibao/tekun approved in the quarter: a01 a06 (a04 temporary) | a11 a12 |
    // a21 a22 (a25 approved last quarter)
    ("asst_new_means_tested", n(2.0, 2.0, 2.0)),
    // dibao/tekun active: a01 a02 a03 (ends on the first day) | a11 a12 a13 |
    // a21 a22 a23 a25
    ("asst_active_means_tested", n(3.0, 3.0, 4.0)),
    // of those with asset_flag: a02 (a05 inactive) | a13 (a14 disability) | a23
    ("asst_active_asset_flagged", n(1.0, 1.0, 1.0)),
    // active, any programme: a01-a04 | a11-a15 | a21-a25
    ("asst_active_all", n(4.0, 5.0, 5.0)),
    // active, any programme, died before 2026-07-01: a03 (a05 inactive) | a14
    // (a13 died in the quarter) | none
    ("asst_deceased_active", n(1.0, 1.0, 0.0)),
    // active dibao/tekun, last review (else approval) + 1 year < 2026-07-01:
    // a02 reviewed 2025-06-30 (a03 reviewed 2025-07-01 is exactly one year) |
    // a13 never reviewed, approved 2024-05-01 | none (a23 reviewed 2025-09-01)
    ("asst_overdue_reviews", n(1.0, 1.0, 0.0)),
    // dibao/tekun approved in the quarter, kin of a serving cadre of the village:
    // a01 B1 K1's spouse (K1 has two serving rows, counted once; a02 B2 is kin of
    // K2, out of office) | a11 B3 kin of K3 and K4, counted once (a12 B7 is kin
    // of K1 of V1, a15 temporary) | none (B5's K5 not yet serving, B6 a business
    // link)
    ("asst_kin_new", n(1.0, 1.0, 0.0)),
    // active: the same a01 | a11 | none
    ("asst_kin_active", n(1.0, 1.0, 0.0)),
    // of those not filed: none (a01 filed) | a11 | none
    ("asst_kin_unfiled", n(0.0, 1.0, 0.0)),
];

async fn compute(d: &District, fw: &Framework, q: &str) -> DataPointTable {
    let catalog = Catalog::load(d.path(), None).unwrap();
    let ctx = SessionContext::new();
    let ing = ingest::ingest(&ctx, &catalog).await.unwrap();
    for t in &ing.tables {
        assert!(t.is_present(), "{} absent", t.table);
        assert_eq!(
            t.rows_rejected, 0,
            "{}: {:?}",
            t.table, t.rejected_by_reason
        );
    }
    datapoints::compute(&ctx, fw, &ing, q.parse::<Quarter>().unwrap())
        .await
        .unwrap()
}

fn default_framework() -> Framework {
    Framework::load(&repo().join("indicators")).unwrap_or_else(|e| panic!("{e}"))
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
        (None, None) => true,
        _ => false,
    }
}

#[tokio::test]
async fn every_default_data_point_matches_hand_computation() {
    let d = district();
    let t = compute(&d, &default_framework(), "2026Q3").await;
    assert_eq!(
        t.villages
            .iter()
            .map(|v| v.code.as_str())
            .collect::<Vec<_>>(),
        [V1, V2, V3]
    );
    let mut wrong = Vec::new();
    for (id, want) in EXPECTED {
        assert_eq!(
            t.availability.get(*id),
            Some(&datapoints::Availability::Available),
            "{id}"
        );
        let got = &t.values[*id];
        if got.len() != 3 || !got.iter().zip(want).all(|(g, w)| same(*g, *w)) {
            wrong.push(format!("{id}: got {got:?}, want {want:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "data points differ from the hand computation:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_framework_data_point_is_hand_checked() {
    let fw = default_framework();
    let in_framework: BTreeSet<&str> = fw
        .datapoints
        .iter()
        .filter(|d| !["population", "households"].contains(&d.id.as_str()))
        .map(|d| d.id.as_str())
        .collect();
    let checked: BTreeSet<&str> = EXPECTED.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        checked.len(),
        EXPECTED.len(),
        "a data point is listed twice"
    );
    assert_eq!(
        checked, in_framework,
        "hand-checked data points differ from the framework's"
    );
}

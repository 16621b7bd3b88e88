//! Trading awards of the hand-made district, and the trading data points and indicators computed by hand.

use crate::*;

#[rustfmt::skip]
pub fn rows(d: &District) {
    put_table(d, &TRADING,
        &["project_id", "village_code", "method", "budget", "contract_amount", "bidder_count", "winner_id", "announced_date", "bid_deadline", "awarded_date", "start_date", "change_amount", "publicized"],
        &[
            // V1, in the quarter
            &["t01", V1, "open_tender", "200000", "199000", "3", "S1", "2026-07-01", "2026-07-21", "2026-07-25", "2026-08-01", "10000", "true"],
            &["t02", V1, "direct",      "95000",  "95000",  "-", "S9", "-",          "-",          "2026-08-05", "2026-08-01", "-",     "false"],
            &["t03", V1, "direct",      "92000",  "93000",  "-", "S9", "-",          "-",          "2026-08-20", "-",          "-",     "false"], // signed above budget
            &["t04", V1, "inquiry",     "99999",  "-",      "1", "S9", "2026-09-01", "2026-09-04", "2026-09-10", "-",          "7000",  "true"],
            &["t05", V1, "open_tender", "96000",  "80000",  "4", "S9", "2026-08-20", "2026-09-10", "2026-09-15", "2026-09-20", "8000",  "true"], // variation exactly 10%: not big
            // V1, outside
            &["t06", V1, "direct",      "50000",  "50000",  "-", "S1", "-",          "-",          "2026-06-30", "-",          "-",     "false"],
            &["t07", V1, "direct",      "95000",  "95000",  "-", "S9", "-",          "-",          "2026-10-01", "-",          "-",     "false"],
            // V1, rolling year only: t08 on its first day, t09 the day before it
            &["t08", V1, "direct",      "150000", "-",      "-", "S1", "-",          "-",          "2025-10-01", "-",          "-",     "true"],
            &["t09", V1, "direct",      "100000", "-",      "-", "S9", "-",          "-",          "2025-09-30", "-",          "-",     "true"],
            // V2, in the quarter
            &["t11", V2, "negotiation", "94000",  "94000",  "1", "S3", "-",          "-",          "2026-07-01", "2026-06-25", "6000",  "true"],
            &["t12", V2, "negotiation", "91000",  "-",      "-", "S3", "-",          "-",          "2026-09-30", "-",          "-",     "false"],
            &["t13", V2, "invited",     "150000", "140000", "2", "S2", "2026-08-01", "2026-08-05", "2026-08-10", "-",          "-",     "true"],
            &["t14", V2, "lottery",     "30000",  "29800",  "5", "S4", "2026-09-01", "2026-09-06", "2026-09-12", "-",          "3000",  "true"], // variation above 10%
            // V3, in the quarter except t23
            &["t21", V3, "direct",      "60000",  "-",      "1", "S6", "-",          "-",          "2026-08-08", "-",          "-",     "true"], // direct: its bidder count is not a procedure's
            &["t22", V3, "inquiry",     "97000",  "96500",  "3", "S7", "2026-07-10", "2026-07-20", "2026-07-25", "-",          "-",     "true"],
            &["t23", V3, "inquiry",     "98000",  "97000",  "2", "S7", "2026-06-01", "2026-06-05", "2026-06-15", "-",          "-",     "true"],
            &["t24", V3, "open_tender", "300000", "250000", "6", "S8", "2026-07-01", "2026-07-31", "2026-08-30", "2026-09-01", "20000", "true"],
            &["t25", V3, "direct",      "93000",  "-",      "-", "-",  "-",          "-",          "2026-09-01", "-",          "-",     "false"],
            &["t26", V3, "direct",      "94000",  "-",      "-", "-",  "-",          "-",          "2026-09-02", "-",          "-",     "false"],
        ],
    );
}

/// Hand-computed data points for [V1, V2, V3].
#[rustfmt::skip]
pub const DATAPOINTS: &[(&str, [Option<f64>; 3])] = &[
    // ---- trading (awarded in the quarter: V1 t01-t05, V2 t11-t14 (t11 on the
    //      first day, t12 on the last), V3 t21 t22 t24-t26; t06 t23 last quarter,
    //      t07 on the end day; t08 t09 only for the rolling year)
    ("trd_projects", n(5.0, 4.0, 5.0)),
    // 200000 + 95000 + 92000 + 99999 + 96000 | 94000 + 91000 + 150000 + 30000 |
    // 60000 + 97000 + 300000 + 93000 + 94000
    ("trd_budget", n(582_999.0, 365_000.0, 644_000.0)),
    // not direct with bidder_count: t01 t04 t05 | t11 t13 t14 (t12 no count) |
    // t22 t24 (t21 direct, though it has a count)
    ("trd_bid_procedures", n(3.0, 3.0, 2.0)),
    // bidder_count 1: t04 | t11 | none (t21 has 1 but is direct)
    ("trd_single_bids", n(1.0, 1.0, 0.0)),
    // direct or negotiation: t02 + t03 | t11 + t12 | t21 + t25 + t26
    ("trd_noncompetitive_budget", n(187_000.0, 185_000.0, 247_000.0)),
    // contract_amount set: t01 t02 t03 t05 | t11 t13 t14 | t22 t24
    ("trd_contracted", n(4.0, 3.0, 2.0)),
    // contract >= 0.99 × budget: t01 (99.5%) t02 (100%) t03 (above budget), not t05 |
    // t11 t14 (99.3%), not t13 | t22 (99.5%), not t24
    ("trd_near_budget", n(3.0, 2.0, 1.0)),
    // budget in [100000 × (1 - 0.1), 100000): t02 t03 t04 t05 | t11 t12 | t22 t25 t26
    ("trd_below_threshold", n(4.0, 2.0, 3.0)),
    // 199000 + 95000 + 93000 + 80000 | 94000 + 140000 + 29800 | 96500 + 250000
    ("trd_contract_sum", n(467_000.0, 263_800.0, 346_500.0)),
    // change_amount of contracted projects: t01 + t05 = 10000 + 8000 (t04's 7000 has
    // no contract) | t11 + t14 = 6000 + 3000 | t24
    ("trd_change_sum", n(18_000.0, 9_000.0, 20_000.0)),
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
    // t01 S1 K1 (t06 t08 outside) | t11 t12 S3, linked to K3 and K4, counted once
    // (t13 S2 linked to K2, of V1 and out of office) | none (S6 is K6's kin,
    // S8's K5 not yet serving)
    ("trd_cadre_linked_awards", n(1.0, 2.0, 0.0)),
    // budgets of those: 200000 | 94000 + 91000 | 0
    ("trd_cadre_linked_value", n(200_000.0, 185_000.0, 0.0)),
    // rolling year [2025-10-01, 2026-10-01), winner set: t01-t05 t06 t08 (t08 on
    // the first day; t09 the day before, t07 on the end day) | t11-t14 |
    // t21 t22 t23 t24 (t25 t26 no winner)
    ("trd_awarded_year", n(7.0, 4.0, 4.0)),
    // largest winner's budget / budget with a winner, rolling year:
    // S1 t01 + t06 + t08 = 200000 + 50000 + 150000 = 400000 beats
    // S9 t02 + t03 + t04 + t05 = 95000 + 92000 + 99999 + 96000 = 382999 (with t09 S9
    // would lead; without t08 too); total 400000 + 382999 = 782999 |
    // S3 t11 + t12 = 185000 of 365000 | S8 t24 300000 of 60000 + 97000 + 98000 +
    // 300000 = 555000 (S7 t22 + t23 = 195000; t25 t26 no winner)
    ("trd_top_supplier_budget_share", n(400_000.0 / 782_999.0, 185_000.0 / 365_000.0, 300_000.0 / 555_000.0)),
    // mean bidder_count, not direct: (3 + 1 + 4) / 3 | (1 + 2 + 5) / 3 (t12 null) |
    // (3 + 6) / 2 (t21 direct, t23 outside)
    ("trd_bidders_mean", n(8.0 / 3.0, 8.0 / 3.0, 4.5)),
    // change_amount > 0.1 × contract_amount: none (t01 10000 <= 19900, t05 8000 = 8000,
    // t04 no contract) | t14 3000 > 2980 (t11 6000 <= 9400) | none (t24 20000 <= 25000)
    ("trd_big_variations", n(0.0, 1.0, 0.0)),
    // contract_amount > budget: t03 93000 > 92000 (t02 equal) | none (t11 equal) | none
    ("trd_over_budget", n(1.0, 0.0, 0.0)),
    // method direct: t02 t03 (t06 t07 t08 t09 outside) | none | t21 t25 t26
    ("trd_direct_awards", n(2.0, 0.0, 3.0)),
    // linked awards (as trd_cadre_linked_awards) without real competition or at
    // the ceiling: t01 open tender with 3 bidders but 199000 >= 0.99 x 200000 |
    // t11 t12 negotiation | none
    ("trd_linked_uncompetitive", n(1.0, 2.0, 0.0)),
];

/// Hand-computed indicators for [V1, V2, V3], from the data points above
/// by each indicator's formula and minimum.
#[rustfmt::skip]
pub const INDICATORS: &[(&str, [Option<f64>; 3])] = &[
    // trd_single_bids / trd_bid_procedures, min 2: 1/3 | 1/3 | 0/2
    ("trd_single_bidder_share", n(1.0 / 3.0, 1.0 / 3.0, 0.0)),
    // trd_noncompetitive_budget / trd_budget, min 100000 yuan
    ("trd_noncompetitive_value_share", n(187_000.0 / 582_999.0, 185_000.0 / 365_000.0, 247_000.0 / 644_000.0)),
    // trd_near_budget / trd_contracted, min 2: 3/4 | 2/3 | 1/2
    ("trd_near_budget_share", n(0.75, 2.0 / 3.0, 0.5)),
    // trd_below_threshold / trd_projects, min 2: 4/5 | 2/4 | 3/5
    ("trd_below_threshold_share", n(0.8, 0.5, 0.6)),
    // trd_split_cluster_projects / trd_projects, min 2: 3/5 | 2/4 | 0/5
    ("trd_split_cluster_share", n(0.6, 0.5, 0.0)),
    // trd_change_sum / trd_contract_sum, min 100000 yuan
    ("trd_variation_ratio", n(18_000.0 / 467_000.0, 9_000.0 / 263_800.0, 20_000.0 / 346_500.0)),
    // trd_cadre_linked_awards / trd_projects, min 2: 1/5 | 2/4 | 0/5
    ("trd_cadre_linked_share", n(0.2, 0.5, 0.0)),
    // trd_cadre_linked_value / trd_budget, min 100000 yuan
    ("trd_cadre_linked_value_share", n(200_000.0 / 582_999.0, 185_000.0 / 365_000.0, 0.0)),
    // value trd_top_supplier_budget_share, basis trd_awarded_year 7 | 4 | 4 >= 3
    ("trd_top_supplier_share", n(400_000.0 / 782_999.0, 185_000.0 / 365_000.0, 300_000.0 / 555_000.0)),
    // value trd_bidders_mean, basis trd_bid_procedures 3 | 3 | 2 >= 2
    ("trd_mean_bidders", n(8.0 / 3.0, 8.0 / 3.0, 4.5)),
    // trd_big_variations / trd_contracted, min 2: 0/4 | 1/3 | 0/2
    ("trd_big_variation_share", n(0.0, 1.0 / 3.0, 0.0)),
    // trd_over_budget / trd_contracted, min 2: 1/4 | 0/3 | 0/2
    ("trd_over_budget_share", n(0.25, 0.0, 0.0)),
    // trd_direct_awards / trd_projects, min 2: 2/5 | 0/4 | 3/5
    ("trd_direct_award_share", n(0.4, 0.0, 0.6)),
    // trd_unpublished / trd_projects, min 2: 2/5 | 1/4 | 2/5
    ("open_trd_unpublished_share", n(0.4, 0.25, 0.4)),
    // trd_started_early / trd_started, min 2: 1/3 | 1 started, below 2 | 1 started
    ("open_trd_started_before_award_share", [Some(1.0 / 3.0), None, None]),
    // trd_short_advert / trd_advertised, min 2: 1/3 | 1/2 | 0/2
    ("open_trd_short_advert_share", n(1.0 / 3.0, 0.5, 0.0)),
    // trd_unannounced / trd_not_direct, min 2: 0/3 | 2/4 | 0/2
    ("open_trd_unannounced_share", n(0.0, 0.5, 0.0)),
    // hard findings, counts: trd_linked_uncompetitive, trd_split_cluster_projects,
    // trd_started_early as they are
    ("fd_linked_uncompetitive_count", n(1.0, 2.0, 0.0)),
    ("fd_split_cluster_count", n(3.0, 2.0, 0.0)),
    ("fd_started_early_count", n(1.0, 1.0, 0.0)),
];

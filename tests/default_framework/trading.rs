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
}

/// Hand-computed data points for [V1, V2, V3].
#[rustfmt::skip]
pub const DATAPOINTS: &[(&str, [Option<f64>; 3])] = &[
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
];

/// Hand-computed indicators for [V1, V2, V3], from the data points above
/// by each indicator's formula and minimum.
#[rustfmt::skip]
pub const INDICATORS: &[(&str, [Option<f64>; 3])] = &[
];

//! Clues and cases of the hand-made district, and the cases data points and indicators computed by hand.

use crate::*;

#[rustfmt::skip]
pub fn rows(d: &District) {
    put_table(d, &CASES,
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
}

/// Hand-computed data points for [V1, V2, V3].
#[rustfmt::skip]
pub const DATAPOINTS: &[(&str, [Option<f64>; 3])] = &[
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
];

/// Hand-computed indicators for [V1, V2, V3], from the data points above
/// by each indicator's formula and minimum.
#[rustfmt::skip]
pub const INDICATORS: &[(&str, [Option<f64>; 3])] = &[
];

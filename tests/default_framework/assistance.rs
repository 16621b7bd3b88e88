//! Assistance enrolments of the hand-made district, and the assistance data points and indicators computed by hand.

use crate::*;

#[rustfmt::skip]
pub fn rows(d: &District) {
    put_table(d, &ASSISTANCE,
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
}

/// Hand-computed data points for [V1, V2, V3].
#[rustfmt::skip]
pub const DATAPOINTS: &[(&str, [Option<f64>; 3])] = &[
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

/// Hand-computed indicators for [V1, V2, V3], from the data points above
/// by each indicator's formula and minimum.
#[rustfmt::skip]
pub const INDICATORS: &[(&str, [Option<f64>; 3])] = &[
];

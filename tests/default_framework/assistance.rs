//! Assistance enrolments of the hand-made district, and the assistance data points and indicators computed by hand.

use crate::*;

#[rustfmt::skip]
pub fn rows(d: &District) {
    put_table(d, &ASSISTANCE,
        &["record_id", "person_id", "household_id", "village_code", "program", "approved_date", "start_date", "end_date", "last_review_date", "death_date", "asset_flag", "kin_filed"],
        &[
            &["a01", "B1",  "H01", V1, "dibao",      "2026-07-05", "2026-08-01", "-",          "-",          "-",          "false", "true"],
            &["a02", "B2",  "H02", V1, "dibao",      "2025-03-01", "2025-04-01", "-",          "2025-06-30", "-",          "true",  "false"],
            &["a03", "X1",  "H03", V1, "tekun",      "2024-01-10", "2024-02-01", "2026-07-01", "2025-07-01", "2026-06-15", "false", "false"],
            &["a04", "X2",  "H03", V1, "temporary",  "2026-08-15", "2026-08-15", "2026-08-31", "-",          "-",          "false", "false"],
            &["a05", "X3",  "H05", V1, "dibao",      "2023-01-01", "2023-02-01", "2026-06-30", "-",          "2026-05-01", "true",  "false"],
            &["a06", "X4",  "H06", V1, "dibao",      "2026-09-30", "2026-10-01", "-",          "-",          "-",          "true",  "false"],
            // approvals before the quarter, all ended before it (growth, rolling year)
            &["a07", "X10", "H07", V1, "dibao",      "2025-07-01", "2025-07-01", "2025-12-31", "-",          "-",          "false", "false"],
            &["a08", "X11", "H08", V1, "tekun",      "2026-03-15", "2026-04-01", "2026-06-30", "-",          "-",          "false", "false"],
            &["a09", "X12", "H09", V1, "dibao",      "2025-06-30", "2025-07-01", "2026-01-31", "-",          "-",          "false", "false"],
            // a second dibao enrolment of a02's household
            &["a10", "X13", "H02", V1, "dibao",      "2024-09-01", "2024-10-01", "-",          "2026-02-01", "-",          "false", "false"],
            // cadres enrolled themselves: K1 serving (two posts), K2 out of office
            &["k01", "K1",  "HK1", V1, "dibao",      "2022-03-01", "2022-04-01", "-",          "2026-03-01", "-",          "false", "false"],
            &["k02", "K2",  "HK2", V1, "dibao",      "2019-05-01", "2019-06-01", "-",          "2026-01-10", "-",          "false", "false"],
            &["a11", "B3",  "H11", V2, "tekun",      "2026-07-20", "2026-08-01", "-",          "-",          "-",          "false", "false"],
            &["a12", "B7",  "H12", V2, "dibao",      "2026-08-01", "2026-08-01", "-",          "-",          "-",          "false", "false"],
            &["a13", "X5",  "H12", V2, "dibao",      "2024-05-01", "2024-06-01", "-",          "-",          "2026-07-15", "true",  "false"],
            &["a14", "X6",  "H14", V2, "disability", "2022-01-01", "2022-01-01", "-",          "-",          "2025-12-31", "true",  "false"],
            &["a15", "B3",  "H11", V2, "temporary",  "2026-08-01", "2026-08-01", "2026-08-31", "-",          "-",          "true",  "false"],
            // K4 serving (term ended on the quarter's first day); K6 is a cadre of V3
            &["k11", "K4",  "HK4", V2, "tekun",      "2020-03-01", "2020-04-01", "-",          "2026-04-01", "-",          "false", "false"],
            &["k12", "K6",  "HK6", V2, "dibao",      "2021-03-01", "2021-04-01", "-",          "2026-05-01", "-",          "false", "false"],
            &["a21", "B5",  "H21", V3, "dibao",      "2026-08-10", "2026-09-01", "-",          "-",          "-",          "false", "false"],
            &["a22", "B6",  "H21", V3, "tekun",      "2026-06-30", "2026-09-01", "-",          "-",          "-",          "false", "false"],
            &["a23", "X7",  "H23", V3, "dibao",      "2025-06-01", "2025-07-01", "2026-09-15", "2025-09-01", "-",          "true",  "false"],
            &["a24", "X8",  "H24", V3, "other",      "2026-05-01", "2026-05-01", "-",          "-",          "-",          "false", "false"],
            &["a25", "X9",  "H25", V3, "dibao",      "2026-06-20", "2026-07-01", "-",          "-",          "-",          "true",  "false"],
            // a23's household, ended the day before the quarter
            &["a26", "X14", "H23", V3, "dibao",      "2025-10-01", "2025-10-01", "2026-06-30", "-",          "-",          "false", "false"],
            // a02's household key, but in V3
            &["a27", "X15", "H02", V3, "dibao",      "2024-11-01", "2024-12-01", "-",          "2026-06-01", "-",          "false", "false"],
            // a member of a25's household under the same approval (not a duplicate)
            &["a28", "X16", "H25", V3, "dibao",      "2026-06-20", "2026-07-01", "-",          "-",          "-",          "false", "false"],
            // X7 enrolled in dibao a second time, same approval as a23 (a duplicate)
            &["a29", "X7",  "H23", V3, "dibao",      "2025-06-01", "2025-07-01", "-",          "2025-09-01", "-",          "false", "false"],
            // K5 not yet serving; K6 serving in V3 but on temporary assistance
            &["k21", "K5",  "HK5", V3, "dibao",      "2023-01-01", "2023-02-01", "-",          "2026-02-01", "-",          "false", "false"],
            &["k22", "K6",  "HK6", V3, "temporary",  "2026-02-01", "2026-02-01", "-",          "-",          "-",          "false", "false"],
        ],
    );
}

/// Hand-computed data points for [V1, V2, V3].
#[rustfmt::skip]
pub const DATAPOINTS: &[(&str, [Option<f64>; 3])] = &[
    // ---- assistance (active: start < 2026-10-01 and end null or >= 2026-07-01;
    //      new: approved in the quarter)
    // dibao active: a01 a02 a10 k01 k02 (a05 ended 06-30, a06 starts 10-01, a07 a09
    // ended) | a12 a13 k12 | a21 a23 a25 a27 a28 a29 k21 (a26 ended 06-30)
    ("asst_active_dibao", n(5.0, 3.0, 7.0)),
    // dibao/tekun approved in the quarter: a01 a06 (a04 temporary) | a11 a12 (a15
    // temporary) | a21 (a22 approved 06-30, a25 approved last quarter)
    ("asst_new_means_tested", n(2.0, 2.0, 1.0)),
    // dibao/tekun active: a01 a02 a03 (ends on the first day) a10 k01 k02 |
    // a11 a12 a13 k11 k12 | a21 a22 a23 a25 a27 a28 a29 k21
    ("asst_active_means_tested", n(6.0, 5.0, 8.0)),
    // of those with asset_flag: a02 (a05, a06 inactive) | a13 (a14 disability,
    // a15 temporary) | a23 a25 (a28 of a25's household not flagged)
    ("asst_active_asset_flagged", n(1.0, 1.0, 2.0)),
    // active, any programme: a01-a04 a10 k01 k02 | a11-a15 k11 k12 |
    // a21-a25 a27 a28 a29 k21 k22
    ("asst_active_all", n(7.0, 7.0, 10.0)),
    // active, any programme, died before 2026-07-01: a03 (a05 inactive) | a14
    // (a13 died in the quarter) | none
    ("asst_deceased_active", n(1.0, 1.0, 0.0)),
    // active dibao/tekun, last review (else approval) + 1 year < 2026-07-01:
    // a02 reviewed 2025-06-30 (a03 reviewed 2025-07-01 is exactly one year; a10
    // k01 k02 reviewed in 2026) | a13 never reviewed, approved 2024-05-01 (k11 k12
    // reviewed in 2026) | none (a23 reviewed 2025-09-01, a22 approved 2026-06-30,
    // a29 reviewed 2025-09-01, a28 approved 2026-06-20, a27 k21 reviewed in 2026)
    ("asst_overdue_reviews", n(1.0, 1.0, 0.0)),
    // dibao/tekun approved in the quarter, kin of a serving cadre of the village:
    // a01 B1 K1's spouse (K1 has two serving rows, counted once; a02 B2 is kin of
    // K2, out of office) | a11 B3 kin of K3 and K4, counted once (a12 B7 is kin
    // of K1 of V1, a15 temporary) | none (B5's K5 not yet serving, B6 a business
    // link and approved last quarter)
    ("asst_kin_new", n(1.0, 1.0, 0.0)),
    // active: the same a01 | a11 | none
    ("asst_kin_active", n(1.0, 1.0, 0.0)),
    // of those not filed: none (a01 filed) | a11 | none
    ("asst_kin_unfiled", n(0.0, 1.0, 0.0)),
    // dibao/tekun approved in [2025-10-01, 2026-10-01): a01 a06 a08 (a07 2025-07-01
    // is before the rolling year, a04 temporary) | a11 a12 | a21 a22 a25 a26 a28 (a26
    // on the first day; a24 other, k22 temporary, a29 approved 2025-06-01)
    ("asst_new_means_tested_year", n(3.0, 2.0, 5.0)),
    // (dibao/tekun approved in the quarter + 1) / (approved in [2025-07-01,
    // 2026-07-01) / 4 + 1): V1 (2 + 1) / (2 / 4 + 1), trailing a07 (first day) a08
    // (a09 on 2025-06-30 is one day early); V2 (2 + 1) / (0 + 1); V3 (1 + 1) /
    // (4 / 4 + 1), trailing a22 a25 a26 a28 (a23 a29 2025-06-01 early, a24 other,
    // k22 temporary)
    ("asst_new_approval_growth_ratio", n(2.0, 3.0, 1.0)),
    // dibao/tekun approved in the quarter with asset_flag: a06 (a02 approved
    // earlier) | none (a15 temporary) | none (a25 approved last quarter)
    ("asst_new_asset_flagged", n(1.0, 0.0, 0.0)),
    // active dibao/tekun of a household whose active enrolments of the programme in
    // the village come from two approval dates, or name one person twice:
    // a02 a10 (H02, approved 2025-03-01 and 2024-09-01; a03 tekun and a04
    // temporary in H03) | a12 a13 (H12; a11 tekun and a15 temporary in H11) |
    // a23 a29 (X7 twice in H23; a26 of H23 ended 06-30, not a third) (a25 a28 one
    // approval of H25; a21 dibao and a22 tekun in H21; a27's H02 is in V1)
    ("asst_duplicate_household", n(2.0, 2.0, 2.0)),
    // active dibao/tekun of a serving cadre of the same village: k01 K1 (two
    // serving rows, counted once; k02 K2 out of office) | k11 K4 (term ended on the
    // first day; k12 K6 is a cadre of V3) | none (k21 K5 not yet serving, k22 K6
    // temporary)
    ("asst_cadre_beneficiaries", n(1.0, 1.0, 0.0)),
    // active, died before 2026-07-01 and not ended within 60 days of the death:
    // none (a03 ended 2026-07-01, 16 days after its death on 06-15: the
    // ordinary lag) | a14 (died 2025-12-31, still open) | none
    ("asst_deceased_paid", n(0.0, 1.0, 0.0)),
];

/// Hand-computed indicators for [V1, V2, V3], from the data points above
/// by each indicator's formula and minimum.
#[rustfmt::skip]
pub const INDICATORS: &[(&str, [Option<f64>; 3])] = &[
    // 1000 × active dibao / population: 1000 × 5 / 2000 | 1000 × 3 / 1000 |
    // 1000 × 7 / 4000 (two_sided: the raw value is the rate)
    ("asst_dibao_rate", n(2.5, 3.0, 1.75)),
    // 1000 × new dibao/tekun / population: 1000 × 2 / 2000 | 1000 × 2 / 1000 |
    // 1000 × 1 / 4000
    ("asst_new_approval_rate", n(1.0, 2.0, 0.25)),
    // growth ratio, basis = approvals over the rolling year 3 | 2 | 5, all >= 2
    ("asst_new_approval_growth", n(2.0, 3.0, 1.0)),
    // active flagged / active dibao/tekun (min 3): 1 / 6 | 1 / 5 | 2 / 8
    ("asst_asset_flag_share", n(1.0 / 6.0, 0.2, 0.25)),
    // new flagged / new dibao/tekun (min 2): 1 / 2 | 0 / 2 | 1 new approval < 2
    ("asst_new_asset_flagged_share", [Some(0.5), Some(0.0), None]),
    // deceased active / active all (min 3): 1 / 7 | 1 / 7 | 0 / 10
    ("asst_deceased_active_share", n(1.0 / 7.0, 1.0 / 7.0, 0.0)),
    // duplicated / active dibao/tekun (min 3): 2 / 6 | 2 / 5 | 2 / 8
    ("asst_duplicate_household_share", n(2.0 / 6.0, 0.4, 0.25)),
    // cadres enrolled / active dibao/tekun (min 3): 1 / 6 | 1 / 5 | 0 / 8
    ("asst_cadre_beneficiary_share", n(1.0 / 6.0, 0.2, 0.0)),
    // kin new / new dibao/tekun (min 2): 1 / 2 | 1 / 2 | 1 new approval < 2
    ("asst_kin_new_share", [Some(0.5), Some(0.5), None]),
    // kin active / active dibao/tekun (min 3): 1 / 6 | 1 / 5 | 0 / 8
    ("asst_kin_active_share", n(1.0 / 6.0, 0.2, 0.0)),
    // overdue / active dibao/tekun (min 3): 1 / 6 | 1 / 5 | 0 / 8
    ("open_asst_overdue_review_share", n(1.0 / 6.0, 0.2, 0.0)),
    // unfiled kin / active dibao/tekun (min 3): 0 / 6 | 1 / 5 | 0 / 8
    ("open_asst_kin_unfiled_share", n(0.0, 0.2, 0.0)),
    // hard findings, counts: asst_deceased_paid, asst_kin_unfiled,
    // asst_cadre_beneficiaries, asst_new_asset_flagged as they are
    ("fd_deceased_paid_count", n(0.0, 1.0, 0.0)),
    ("fd_kin_unfiled_count", n(0.0, 1.0, 0.0)),
    ("fd_cadre_beneficiary_count", n(1.0, 1.0, 0.0)),
    ("fd_new_asset_flagged_count", n(1.0, 0.0, 0.0)),
];

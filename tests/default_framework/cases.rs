//! Clues and cases of the hand-made district, and the cases data points and indicators computed by hand.

use crate::*;

#[rustfmt::skip]
pub fn rows(d: &District) {
    put_table(d, &CASES,
        &["case_id", "village_code", "subject_person_id", "subject_role", "received_date", "origin",      "disposal", "filed_date", "closed_date", "violation",         "amount", "form"],
        &[
            // V1, in the quarter
            &["c01", V1, "K1", "secretary",  "2026-07-05", "inspection",  "verify",  "2026-08-01", "2026-09-10", "embezzlement",      "12000",  "3"],
            &["c02", V1, "K2", "director",   "2026-08-10", "petition",    "talk",    "-",          "-",          "eight_rules",       "3000.5", "3"],
            &["c03", V1, "-",  "committee",  "2026-09-30", "petition",    "pending", "-",          "-",          "-",                 "-",      "-"],
            // V1, before the quarter
            &["c04", V1, "K1", "secretary",  "2026-06-30", "audit",       "verify",  "2026-07-10", "2026-08-30", "false_claims",      "50000",  "4"],
            &["c11", V1, "K2", "director",   "2025-07-01", "inspection",  "verify",  "2025-08-15", "-",          "other",             "-",      "-"],
            &["c12", V1, "K1", "secretary",  "2025-06-30", "petition",    "pending", "-",          "-",          "embezzlement",      "-",      "-"],
            &["c13", V1, "K1", "secretary",  "2026-01-15", "big_data",    "verify",  "2026-10-01", "-",          "false_claims",      "20000",  "-"],
            &["c14", V1, "Y1", "committee",  "2025-11-20", "petition",    "pending", "-",          "-",          "favouritism",       "-",      "-"],
            &["c15", V1, "K2", "director",   "2025-09-30", "audit",       "close",   "-",          "2025-10-20", "embezzlement",      "-",      "-"],
            &["c16", V1, "Y2", "committee",  "2025-03-03", "petition",    "pending", "-",          "2025-05-01", "other",             "-",      "-"],
            // V2, in the quarter and the day after it
            &["c05", V2, "K4", "committee",  "2026-07-01", "big_data",    "verify",  "2026-07-20", "-",          "favouritism",       "8000",   "4"],
            &["c06", V2, "K1", "secretary",  "2026-09-15", "petition",    "verify",  "2026-09-20", "-",          "extortion",         "2000",   "2"],
            &["c07", V2, "K3", "director",   "2026-10-01", "inspection",  "pending", "-",          "-",          "embezzlement",      "100000", "3"],
            // V2, before the quarter
            &["c21", V2, "K3", "director",   "2026-04-02", "petition",    "pending", "-",          "-",          "extortion",         "-",      "-"],
            &["c22", V2, "K4", "committee",  "2025-12-12", "inspection",  "talk",    "-",          "-",          "favouritism",       "-",      "-"],
            // V3, in the quarter
            &["c08", V3, "K5", "secretary",  "2026-08-08", "self_report", "shelve",  "-",          "-",          "collective_assets", "40000",  "3"],
            &["c09", V3, "K6", "accountant", "2026-09-09", "audit",       "verify",  "2026-09-30", "-",          "bribery",           "1500",   "2"],
            &["c10", V3, "K6", "accountant", "2026-07-15", "other",       "pending", "-",          "-",          "-",                 "-",      "-"],
            // V3, before the quarter
            &["c31", V3, "K6", "accountant", "2025-08-20", "audit",       "verify",  "2025-10-10", "2026-01-05", "embezzlement",      "3000",   "2"],
            &["c32", V3, "Y3", "committee",  "2026-02-14", "petition",    "close",   "-",          "2026-03-01", "other",             "-",      "-"],
            &["c33", V3, "K5", "secretary",  "2026-05-05", "big_data",    "pending", "-",          "-",          "embezzlement",      "-",      "-"],
            &["c34", V3, "-",  "other",      "2026-06-15", "other",       "pending", "-",          "-",          "false_claims",      "-",      "-"],
        ],
    );
}

/// Hand-computed data points for [V1, V2, V3].
#[rustfmt::skip]
pub const DATAPOINTS: &[(&str, [Option<f64>; 3])] = &[
    // ---- cases (received in the quarter: V1 c01-c03, V2 c05 c06, V3 c08-c10;
    //      c04 last quarter, c07 on the end day, c11-c34 earlier)
    ("case_clues", n(3.0, 2.0, 3.0)),
    // filed_date set: c01 (c04 outside) | c05 c06 | c09
    ("case_filed", n(1.0, 2.0, 1.0)),
    // form >= 3: c01 c02 | c05 (c06 form 2) | c08 (c09 form 2)
    ("case_serious_forms", n(2.0, 1.0, 1.0)),
    // form = 4 received in the quarter: none (c04 is last quarter's) | c05 |
    // none (c07 is the day after, form 3 anyway)
    ("case_prosecution_referrals", n(0.0, 1.0, 0.0)),
    // 12000 + 3000.5 (c03 no amount) | 8000 + 2000 | 40000 + 1500
    ("case_amount", n(15000.5, 10000.0, 41500.0)),
    // embezzlement etc.: c01 (c02 eight_rules) | c05 favouritism, c06 extortion |
    // c08 collective_assets (c09 bribery)
    ("case_micro_corruption", n(1.0, 2.0, 1.0)),
    // subject is a serving cadre of the same village: c01 K1 (counted once; c02 K2
    // out of office) | c05 K4, term ended on the first day (c06 K1 is V1's) |
    // c09 c10 K6 (c08 K5 starts after the quarter)
    ("case_serving_cadre_subjects", n(1.0, 1.0, 2.0)),
    // ---- trailing four quarters [2025-07-01, 2026-07-01):
    // V1 c11 (the first day) c15 c14 c13 c04 (the last day; c12 on 2025-06-30 one day
    // early, c16 earlier) | V2 c22 c21 | V3 c31 c32 c33 c34
    ("case_clues_trailing", n(5.0, 2.0, 4.0)),
    // of those, filed before 2026-10-01: c11 c04 (c13 filed on 2026-10-01, the day
    // after the quarter; c14 c15 not filed) | none | c31 (c32-c34 not filed)
    ("case_filed_trailing", n(2.0, 0.0, 1.0)),
    // of those, disposal pending: c14 (c12 pending but one day early; c03 pending but
    // in the quarter) | c21 (c22 talk) | c33 c34 (c32 closed)
    ("case_pending_trailing", n(1.0, 1.0, 2.0)),
    // ---- rolling year [2025-10-01, 2026-10-01):
    // V1 c14 c13 c04 c01 c02 c03 (c15 on 2025-09-30 one day early, c11 c12 c16
    // earlier) | V2 c22 c21 c05 c06 (c07 on the end day) | V3 c32 c33 c34 c08 c09 c10
    // (c31 earlier)
    ("case_clues_year", n(6.0, 4.0, 6.0)),
    // violation embezzlement: c01 (c15 one day early, c12 earlier) | none (c07 on the
    // end day) | c33 (c31 earlier)
    ("case_embezzlement_year", n(1.0, 0.0, 1.0)),
    // violation false_claims: c04 c13 | none | c34
    ("case_false_claims_year", n(2.0, 0.0, 1.0)),
    // violation favouritism: c14 | c05 c22 | none
    ("case_favouritism_year", n(1.0, 2.0, 0.0)),
    // violation extortion: none | c06 c21 | none
    ("case_extortion_year", n(0.0, 2.0, 0.0)),
    // origin inspection/audit/big_data: c01 inspection, c04 audit, c13 big_data (c15 audit
    // one day early, c11 inspection earlier, c02 c03 c14 petitions) | c05 big_data, c22
    // inspection (c07 inspection on the end day) | c09 audit, c33 big_data (c08
    // self_report, c10 c34 other, c31 audit earlier)
    ("case_detected_year", n(3.0, 2.0, 2.0)),
    // subject_role secretary/director: c01 c02 c04 c13 (c03 c14 committee) | c06 c21
    // (c05 c22 committee, c07 director on the end day) | c08 c33 (c09 c10 accountant,
    // c32 committee, c34 other)
    ("case_leader_subject_year", n(4.0, 2.0, 2.0)),
    // persons with two or more clues in the rolling year, per village: K1 (c01 c04 c13,
    // counted once; K2 has c02 only, c11 c15 are earlier; c03 no key) | K4 (c05 c22; K1's
    // c06 in V2 is not combined with V1's, K3 has c21 only, c07 on the end day) |
    // K5 (c08 c33), K6 (c09 c10; c31 earlier; c34 no key)
    ("case_repeat_subjects", n(1.0, 1.0, 2.0)),
    // ---- up to the quarter's end, disposal pending and closed_date null:
    // c03 c12 c14 (c16 pending but has a closed_date) | c21 (c07 received on the end
    // day) | c10 c33 c34
    ("case_open_clues", n(3.0, 1.0, 3.0)),
    // their age in days on 2026-09-30: c03 0, c12 457 (from 2025-06-30), c14 314 (from
    // 2025-11-20) -> 771 / 3 | c21 181 (from 2026-04-02) | c10 77 (from 07-15), c33 148
    // (from 05-05), c34 107 (from 06-15) -> 332 / 3
    ("case_open_clue_days", n(257.0, 181.0, 332.0 / 3.0)),
    // embezzlement, false claims, extortion, favouritism (not collective assets):
    // c01 | c05 c06 | none (c08 collective_assets, c09 bribery)
    ("case_micro_corruption_clues", n(1.0, 2.0, 0.0)),
];

/// Hand-computed indicators for [V1, V2, V3], from the data points above
/// by each indicator's formula and minimum.
#[rustfmt::skip]
pub const INDICATORS: &[(&str, [Option<f64>; 3])] = &[
    // 1000 x case_clues / population: 3/2000 | 2/1000 | 3/4000
    ("case_clue_rate", n(1.5, 2.0, 0.75)),
    // 1000 x case_filed / population: 1/2000 | 2/1000 | 1/4000
    ("case_filed_rate", n(0.5, 2.0, 0.25)),
    // 1000 x case_serious_forms / population: 2/2000 | 1/1000 | 1/4000
    ("case_serious_form_rate", n(1.0, 1.0, 0.25)),
    // 1000 x case_amount / population: 15000.5/2000 | 10000/1000 | 41500/4000
    ("case_amount_rate", n(7500.25, 10000.0, 10375.0)),
    // 1000 x case_micro_corruption / population: 1/2000 | 2/1000 | 1/4000
    ("case_micro_corruption_rate", n(0.5, 2.0, 0.25)),
    // 1000 x case_serving_cadre_subjects / population: 1/2000 | 1/1000 | 2/4000
    ("case_serving_cadre_subject_rate", n(0.5, 1.0, 0.5)),
    // case_filed_trailing / case_clues_trailing, min 3: 2/5 | 0/2 below 3 | 1/4
    ("case_conversion_share", [Some(0.4), None, Some(0.25)]),
    // 1000 x case_embezzlement_year / population: 1/2000 | 0/1000 | 1/4000
    ("case_embezzlement_rate", n(0.5, 0.0, 0.25)),
    // 1000 x case_false_claims_year / population: 2/2000 | 0/1000 | 1/4000
    ("case_false_claims_rate", n(1.0, 0.0, 0.25)),
    // 1000 x case_favouritism_year / population: 1/2000 | 2/1000 | 0/4000
    ("case_favouritism_rate", n(0.5, 2.0, 0.0)),
    // 1000 x case_extortion_year / population: 0/2000 | 2/1000 | 0/4000
    ("case_extortion_rate", n(0.0, 2.0, 0.0)),
    // case_open_clue_days, basis case_open_clues >= 1: 771/3 (3) | 181 (1) | 332/3 (3)
    ("case_open_clue_age", n(257.0, 181.0, 332.0 / 3.0)),
    // 1000 x case_detected_year / population: 3/2000 | 2/1000 | 2/4000
    ("case_detected_clue_rate", n(1.5, 2.0, 0.5)),
    // case_leader_subject_year / case_clues_year, min 3: 4/6 | 2/4 | 2/6
    ("case_leader_subject_share", n(4.0 / 6.0, 0.5, 2.0 / 6.0)),
    // 1000 x case_repeat_subjects / population: 1/2000 | 1/1000 | 2/4000
    ("case_repeat_subject_rate", n(0.5, 1.0, 0.5)),
    // case_pending_trailing / case_clues_trailing, min 3: 1/5 | 1/2 below 3 | 2/4
    ("open_case_pending_share", [Some(0.2), None, Some(0.5)]),
    // hard findings, counts: case_serious_forms, case_filed as they are
    ("fd_serious_form_count", n(2.0, 1.0, 1.0)),
    ("fd_filed_case_count", n(1.0, 2.0, 1.0)),
    ("fd_micro_corruption_clue_count", n(1.0, 2.0, 0.0)),
];

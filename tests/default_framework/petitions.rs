//! Petitions of the hand-made district, and the petitions data points and indicators computed by hand.

use crate::*;

#[rustfmt::skip]
pub fn rows(d: &District) {
    put_table(d, &PETITIONS,
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
}

/// Hand-computed data points for [V1, V2, V3].
#[rustfmt::skip]
pub const DATAPOINTS: &[(&str, [Option<f64>; 3])] = &[
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
];

/// Hand-computed indicators for [V1, V2, V3], from the data points above
/// by each indicator's formula and minimum.
#[rustfmt::skip]
pub const INDICATORS: &[(&str, [Option<f64>; 3])] = &[
];

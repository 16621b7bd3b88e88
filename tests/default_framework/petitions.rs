//! Petitions of the hand-made district, and the petitions data points and indicators computed by hand.

use crate::*;

#[rustfmt::skip]
pub fn rows(d: &District) {
    // Complainant keys C*: C1 petitions twice about V1 in the quarter (one
    // complainant) and once on 2025-06-30, one day before the trailing four
    // quarters; C2 petitioned about V1 in 2026Q1 (returning); C3 petitions
    // about V2 in the quarter but earlier only about V1 (not returning to V2);
    // C4 petitioned about V2 on 2025-09-30 (returning; the same day is one day
    // before the rolling year); C5's earlier V2 petition is one day too early.
    put_table(d, &PETITIONS,
        &["petition_id", "village_code", "received_date", "kind", "category", "accused_role", "accused_person_id", "is_anonymous", "complainant_key", "is_repeat", "due_date", "closed_date", "finding", "satisfaction"],
        &[
            // V1, in the quarter
            &["p01", V1, "2026-07-10", "accusation", "collective_assets", "secretary",         "K1", "false", "C1", "false", "2026-08-09", "2026-07-30", "substantiated",   "satisfied"],
            &["p02", V1, "2026-08-01", "accusation", "projects",          "director",          "K2", "false", "C1", "true",  "2026-08-31", "-",          "unsubstantiated", "unsatisfied"],
            &["p03", V1, "2026-09-01", "request",    "land",              "-",                 "-",  "false", "C2", "true",  "2026-09-10", "2026-09-11", "substantiated",   "basically"],
            &["p04", V1, "2026-09-20", "accusation", "conduct",           "township_official", "-",  "true",  "-",  "false", "2026-10-10", "2026-09-25", "pending",         "-"],
            // V1, outside the quarter
            &["p05", V1, "2026-06-20", "accusation", "collective_assets", "secretary",         "K1", "false", "C3", "false", "2026-07-05", "2026-07-05", "substantiated",   "unsatisfied"],
            &["p06", V1, "2026-10-01", "accusation", "projects",          "director",          "K1", "false", "-",  "true",  "-",          "-",          "-",               "-"],
            &["p07", V1, "2025-08-15", "accusation", "other",             "-",                 "-",  "false", "-",  "false", "-",          "2025-09-01", "-",               "-"],
            &["p08", V1, "2025-06-30", "accusation", "other",             "-",                 "-",  "false", "C1", "false", "-",          "2025-07-10", "-",               "-"],
            &["p09", V1, "2026-04-01", "accusation", "other",             "-",                 "-",  "false", "-",  "false", "-",          "2026-04-20", "-",               "-"],
            &["p10", V1, "2026-01-10", "accusation", "other",             "-",                 "-",  "false", "-",  "false", "2026-06-30", "-",          "-",               "-"],
            &["p11", V1, "2026-02-01", "request",    "other",             "-",                 "-",  "false", "C2", "false", "-",          "2026-02-10", "-",               "-"],
            // V2, in the quarter
            &["p21", V2, "2026-07-20", "accusation", "assistance",        "director",          "K3", "false", "C4", "false", "2026-08-04", "2026-08-19", "partly",          "unsatisfied"],
            &["p22", V2, "2026-09-30", "accusation", "land",              "secretary",         "K1", "true",  "-",  "false", "2026-10-01", "-",          "-",               "-"],
            &["p23", V2, "2026-07-01", "suggestion", "other",             "-",                 "-",  "false", "C5", "true",  "-",          "2026-07-11", "-",               "satisfied"],
            &["p24", V2, "2026-08-20", "accusation", "conduct",           "committee",         "K4", "false", "C3", "false", "-",          "2026-09-19", "substantiated",   "-"],
            &["p25", V2, "2026-07-20", "enquiry",    "assistance",        "director",          "K3", "false", "C6", "false", "-",          "2026-07-25", "-",               "-"],
            &["p27", V2, "2026-08-10", "accusation", "elections",         "-",                 "-",  "false", "C7", "false", "2026-09-09", "2026-10-01", "unsubstantiated", "-"],
            // V2, outside
            &["p26", V2, "2025-06-30", "accusation", "other",             "-",                 "-",  "false", "C5", "false", "-",          "2025-07-30", "-",               "-"],
            &["p28", V2, "2025-09-30", "accusation", "other",             "-",                 "-",  "false", "C4", "false", "-",          "2025-10-15", "-",               "-"],
            // V3, outside the quarter only
            &["p31", V3, "2025-10-01", "accusation", "other",             "-",                 "-",  "false", "-",  "false", "-",          "2025-10-20", "-",               "-"],
            &["p32", V3, "2026-06-01", "request",    "other",             "-",                 "-",  "false", "-",  "false", "2026-07-10", "-",          "-",               "-"],
        ],
    );
}

/// Hand-computed data points for [V1, V2, V3].
#[rustfmt::skip]
pub const DATAPOINTS: &[(&str, [Option<f64>; 3])] = &[
    // ---- petitions (received in the quarter: V1 p01-p04, V2 p21-p25 p27, V3 none;
    //      p05, p06 (received on the end day), p08 ... are outside)
    ("pet_total", n(4.0, 6.0, 0.0)),
    // p01 p02 p04 | p21 p22 p24 p27 (p03 request, p23 suggestion, p25 enquiry)
    ("pet_accusations", n(3.0, 4.0, 0.0)),
    // p02 p03 (p06 is a repeat after the quarter) | p23
    ("pet_repeats", n(2.0, 1.0, 0.0)),
    // accused_role secretary/director: p01 p02 (p04 township official) |
    // p21 p22 (p24 committee, p27 no role; p25 names a director but is an enquiry)
    ("pet_top_accusations", n(2.0, 2.0, 0.0)),
    // accusations with substantiated/partly/unsubstantiated: p01 p02 (p04 pending,
    // p03's finding is on a request) | p21 p24 p27 (p22 no finding)
    ("pet_concluded_findings", n(2.0, 3.0, 0.0)),
    // p01 (p02 unsubstantiated) | p21 partly, p24 (p27 unsubstantiated)
    ("pet_substantiated", n(1.0, 2.0, 0.0)),
    // satisfaction set: p01 p02 p03 | p21 p23
    ("pet_rated", n(3.0, 2.0, 0.0)),
    // p02 (p05 is last quarter) | p21
    ("pet_unsatisfied", n(1.0, 1.0, 0.0)),
    // V1: p01 20, p02 open to 2026-09-30 60, p03 10, p04 5 -> 95 / 4;
    // V2: p21 30, p22 open and received on 09-30 0, p23 10, p24 30, p25 5,
    //     p27 closed on 10-01 so counted to 09-30: 21 + 30 = 51 -> 126 / 6;
    // V3: no petition in the quarter, unavailable
    ("pet_handling_days", [Some(23.75), Some(21.0), None]),
    // (accusations in the quarter + 1) / (accusations in the 4 quarters before / 4 + 1):
    // V1 (3 + 1) / (4 / 4 + 1), trailing p05 p07 p09 p10 (p08 on 2025-06-30 is one day
    // early, p11 a request); V2 (4 + 1) / (1 / 4 + 1), trailing p28 (p26 is one day
    // early); V3 (0 + 1) / (1 / 4 + 1), trailing p31
    ("pet_accusation_growth_ratio", n(2.0, 4.0, 0.8)),
    // the same accusations, quarter + trailing: V1 3 + 4 | V2 4 + 1 | V3 0 + 1
    ("pet_accusation_growth_basis", n(7.0, 5.0, 1.0)),
    // due_date in the quarter, whatever the receipt date:
    // V1 p01 p02 p03 p05 (p04 due 10-10, p10 due 06-30) | V2 p21 p27 (p22 due on the
    // end day) | V3 p32 (received last quarter)
    ("pet_replies_due", n(4.0, 2.0, 1.0)),
    // of those, closed after due_date or open: p02 open, p03 one day late
    // (p05 closed on its due date) | p21 closed late, p27 closed after the quarter |
    // p32 open
    ("pet_replies_overdue", n(2.0, 2.0, 1.0)),
    // accusations naming a serving secretary/director of the same village by key:
    // p01 K1 (two serving rows, counted once; p02 names K2 out of office) |
    // p21 K3 (p22 names K1 of V1, p24 names committee member K4, p25 an enquiry)
    ("pet_serving_leader_accusations", n(1.0, 1.0, 0.0)),
    // accusations received 2025-10-01 .. 2026-09-30: p01 p02 p04 p05 p09 p10 (p07
    // 2025-08-15 and p08 before, p06 on the end day) | p21 p22 p24 p27 (p28 on
    // 2025-09-30, one day before) | p31 on the rolling year's first day
    ("pet_accusations_year", n(6.0, 4.0, 1.0)),
    // real-name accusations: p01 p02 (p04 anonymous, p03 a request) |
    // p21 p24 p27 (p22 anonymous, p25 an enquiry)
    ("pet_named_accusations", n(2.0, 3.0, 0.0)),
    // accusations about collective assets, projects, assistance or land:
    // p01 p02 (p04 conduct, p03 land but a request) | p21 assistance, p22 land
    // (p24 conduct, p27 elections, p25 an enquiry)
    ("pet_micro_power_accusations", n(2.0, 2.0, 0.0)),
    // distinct keys in the quarter that petitioned about the same village in
    // 2025-07-01 .. 2026-06-30: C2 (p11; C1's p08 is one day early) |
    // C4 (p28; C5's p26 is one day early, C3's p05 concerned V1) | none
    ("pet_returning_complainants", n(1.0, 1.0, 0.0)),
    // distinct non-null keys in the quarter: C1 (p01 p02, once) C2 (p03; p04 no key) |
    // C4 C5 C3 C6 C7 (p22 no key) | none
    ("pet_complainants", n(2.0, 5.0, 0.0)),
    // received in the quarter and closed before 2026-10-01: p01 p03 p04 (p02 open) |
    // p21 p23 p24 p25 (p22 open, p27 closed on the end day)
    ("pet_closed", n(3.0, 4.0, 0.0)),
    // of those, no satisfaction: p04 | p24 p25
    ("pet_closed_unrated", n(1.0, 2.0, 0.0)),
    // received before 2026-10-01, due before it and open at it: p02, p10 (received
    // last quarter; p03 closed late but before the end, p04 due 10-10) | p27 closed
    // on the end day (p22 due on the end day) | p32
    ("pet_backlog", n(2.0, 1.0, 1.0)),
    // accusations found substantiated: p01 | p24 (p21 only partly) | none
    ("pet_substantiated_full", n(1.0, 1.0, 0.0)),
    // repeat accusations naming the secretary or director: p02 (p03 a request,
    // p06 after the quarter) | none (p21 p22 not repeats) | none
    ("pet_repeat_leader_accusations", n(1.0, 0.0, 0.0)),
];

/// Hand-computed indicators for [V1, V2, V3], from the data points above
/// by each indicator's formula and minimum.
#[rustfmt::skip]
pub const INDICATORS: &[(&str, [Option<f64>; 3])] = &[
    // 1000 x accusations / population: 3 / 2000, 4 / 1000, 0 / 4000
    ("pet_accusation_rate", n(1.5, 4.0, 0.0)),
    // accusations / petitions, min 3 petitions: 3 / 4, 4 / 6, V3 0 petitions
    ("pet_accusation_share", [Some(0.75), Some(4.0 / 6.0), None]),
    // repeats / petitions, min 3: 2 / 4, 1 / 6, V3 0 petitions
    ("pet_repeat_share", [Some(0.5), Some(1.0 / 6.0), None]),
    // secretary/director accusations / accusations, min 3: 2 / 3, 2 / 4, V3 0
    ("pet_top_accused_share", [Some(2.0 / 3.0), Some(0.5), None]),
    // 1000 x registry-matched: 1 / 2000, 1 / 1000, 0 / 4000
    ("pet_serving_leader_accused_rate", n(0.5, 1.0, 0.0)),
    // substantiated / concluded, min 3: V1 2 concluded, 2 / 3, V3 0
    ("pet_substantiated_share", [None, Some(2.0 / 3.0), None]),
    // unsatisfied / rated, min 3: 1 / 3, V2 2 rated, V3 0
    ("pet_unsatisfied_share", [Some(1.0 / 3.0), None, None]),
    // the ratio where the basis reaches 3: 2.0 (7), 4.0 (5), V3 basis 1
    ("pet_accusation_growth", [Some(2.0), Some(4.0), None]),
    // 1000 x rolling-year accusations: 6 / 2000, 4 / 1000, 1 / 4000
    ("pet_accusation_year_rate", n(3.0, 4.0, 0.25)),
    // 1000 x real-name accusations: 2 / 2000, 3 / 1000, 0 / 4000
    ("pet_named_accusation_rate", n(1.0, 3.0, 0.0)),
    // 1000 x micro-power accusations: 2 / 2000, 2 / 1000, 0 / 4000
    ("pet_micro_power_accusation_rate", n(1.0, 2.0, 0.0)),
    // returning / complainants, min 3: V1 2 complainants, 1 / 5, V3 0
    ("pet_returning_complainant_share", [None, Some(0.2), None]),
    // overdue / due, min 3: 2 / 4, V2 2 due, V3 1 due
    ("open_petition_overdue_share", [Some(0.5), None, None]),
    // mean days where the basis (petitions) reaches 3: 23.75 (4), 21.0 (6), V3 none
    ("open_petition_handling_days", [Some(23.75), Some(21.0), None]),
    // unrated / closed, min 3: 1 / 3, 2 / 4, V3 0 closed
    ("open_petition_unrated_share", [Some(1.0 / 3.0), Some(0.5), None]),
    // 1000 x backlog: 2 / 2000, 1 / 1000, 1 / 4000
    ("open_petition_backlog_rate", n(1.0, 1.0, 0.25)),
    // hard finding, count: pet_substantiated_full as it is
    ("fd_substantiated_accusation_count", n(1.0, 1.0, 0.0)),
    ("fd_repeat_leader_accusation_count", n(1.0, 0.0, 0.0)),
];

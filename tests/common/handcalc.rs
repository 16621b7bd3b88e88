//! The hand-computed district and framework shared by the data-point and
//! scoring tests. Quarter 2026Q3 = [2026-07-01, 2026-10-01).

use qinglian::framework::Framework;

use super::*;

/// Three villages with petitions, trading, assistance, one cadre and one kin link.
pub fn handcalc_district() -> District {
    let d = District::new();
    let p = |id: &'static str,
             v: &'static str,
             date: &'static str,
             kind: &'static str,
             closed: Option<&'static str>,
             who: Option<&'static str>| {
        vec![
            ("petition_id", Some(id)),
            ("village_code", Some(v)),
            ("received_date", Some(date)),
            ("kind", Some(kind)),
            ("closed_date", closed),
            ("complainant_key", who),
        ]
    };
    let rows = [
        p(
            "p1",
            V1,
            "2026-07-10",
            "accusation",
            Some("2026-07-30"),
            Some("C1"),
        ),
        p("p2", V1, "2026-08-01", "request", None, Some("C1")),
        p(
            "p3",
            V1,
            "2026-04-15",
            "accusation",
            Some("2026-05-15"),
            None,
        ),
        p(
            "p4",
            V2,
            "2026-09-30",
            "accusation",
            Some("2026-10-20"),
            None,
        ),
        p(
            "p5",
            V2,
            "2025-12-01",
            "accusation",
            Some("2025-12-05"),
            None,
        ),
        p("p6", V1, "2026-10-01", "accusation", None, None),
        p("p7", V2, "2025-06-30", "accusation", None, None),
    ];
    let rows: Vec<&[(&str, Option<&str>)]> = rows.iter().map(Vec::as_slice).collect();
    d.put(&PETITIONS, &rows);
    d.put(
        &TRADING,
        &[
            &[
                ("project_id", Some("t1")),
                ("village_code", Some(V1)),
                ("awarded_date", Some("2026-08-01")),
                ("budget", Some("95000")),
                ("contract_amount", Some("90000")),
            ],
            &[
                ("project_id", Some("t2")),
                ("village_code", Some(V1)),
                ("awarded_date", Some("2026-09-01")),
                ("budget", Some("50000")),
                ("contract_amount", None),
            ],
            &[
                ("project_id", Some("t3")),
                ("village_code", Some(V3)),
                ("awarded_date", Some("2026-07-01")),
                ("budget", Some("10000")),
                ("contract_amount", Some("10000")),
            ],
            &[
                ("project_id", Some("t4")),
                ("village_code", Some(V2)),
                ("awarded_date", Some("2026-06-30")),
                ("budget", Some("70000")),
            ],
        ],
    );
    let a = |id: &'static str,
             person: &'static str,
             v: &'static str,
             approved: &'static str,
             start: &'static str,
             end: Option<&'static str>| {
        vec![
            ("record_id", Some(id)),
            ("person_id", Some(person)),
            ("village_code", Some(v)),
            ("approved_date", Some(approved)),
            ("start_date", Some(start)),
            ("end_date", end),
        ]
    };
    let rows = [
        a("a1", "P-B1", V1, "2026-07-05", "2026-01-01", None),
        a(
            "a2",
            "P-B2",
            V1,
            "2025-12-20",
            "2026-01-01",
            Some("2026-06-30"),
        ),
        a("a3", "P-B3", V1, "2026-09-29", "2026-09-30", None),
        a("a4", "P-B4", V2, "2026-09-29", "2026-10-01", None),
        a(
            "a5",
            "P-B5",
            V2,
            "2024-12-20",
            "2025-01-01",
            Some("2026-07-01"),
        ),
        a("a6", "P-B1", V2, "2026-08-01", "2026-08-01", None),
    ];
    let rows: Vec<&[(&str, Option<&str>)]> = rows.iter().map(Vec::as_slice).collect();
    d.put(&ASSISTANCE, &rows);
    d.put(
        &CADRES,
        &[&[
            ("person_id", Some("P-K1")),
            ("village_code", Some(V1)),
            ("role", Some("secretary")),
            ("term_start", Some("2021-01-01")),
        ]],
    );
    d.put(
        &RELATIONS,
        &[&[
            ("person_id", Some("P-K1")),
            ("related_id", Some("P-B1")),
            ("relation", Some("spouse")),
        ]],
    );
    d
}

pub fn handcalc_framework() -> Framework {
    Framework::load(&repo().join("tests/fixtures/frameworks/handcalc"))
        .unwrap_or_else(|e| panic!("{e}"))
}

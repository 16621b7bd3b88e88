//! The data contract's vocabulary for the generator: the role values it
//! writes and the cases extract's Chinese headers. The tests check every
//! written value against the enumerations of `crate::contract`.

pub(crate) const SECRETARY: &str = "secretary";
pub(crate) const DIRECTOR: &str = "director";
pub(crate) const COMMITTEE: &str = "committee";
pub(crate) const SUPERVISOR: &str = "supervisor";
pub(crate) const ACCOUNTANT: &str = "accountant";
pub(crate) const OTHER_ROLE: &str = "other";
pub(crate) const TOWNSHIP_OFFICIAL: &str = "township_official";

/// The cases extract's headers that differ from the canonical names:
/// (extract header, canonical name), in column order.
pub(crate) const CASES_HEADERS: &[(&str, &str)] = &[
    ("线索编号", "case_id"),
    ("村居代码", "village_code"),
    ("受理日期", "received_date"),
    ("线索来源", "origin"),
    ("处置方式", "disposal"),
    ("涉及金额", "amount"),
];

/// The extract's header for a canonical cases column.
pub(crate) fn cases_header(canonical: &'static str) -> &'static str {
    CASES_HEADERS
        .iter()
        .find(|(_, c)| *c == canonical)
        .map_or(canonical, |(h, _)| h)
}

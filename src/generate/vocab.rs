//! The data contract's vocabulary for the generator: the role values it
//! writes, the enumerations (which the tests check every written value
//! against) and the cases extract's Chinese headers.

#[cfg(test)]
pub(crate) const UNIT_TYPES: &[&str] = &["village", "community"];

pub(crate) const SECRETARY: &str = "secretary";
pub(crate) const DIRECTOR: &str = "director";
pub(crate) const COMMITTEE: &str = "committee";
pub(crate) const SUPERVISOR: &str = "supervisor";
pub(crate) const ACCOUNTANT: &str = "accountant";
pub(crate) const OTHER_ROLE: &str = "other";
pub(crate) const TOWNSHIP_OFFICIAL: &str = "township_official";

#[cfg(test)]
pub(crate) const CADRE_ROLES: &[&str] = &[
    SECRETARY, DIRECTOR, COMMITTEE, SUPERVISOR, ACCOUNTANT, OTHER_ROLE,
];
/// `cadres.role` values and `township_official`.
#[cfg(test)]
pub(crate) const ACCUSED_ROLES: &[&str] = &[
    SECRETARY,
    DIRECTOR,
    COMMITTEE,
    SUPERVISOR,
    ACCOUNTANT,
    OTHER_ROLE,
    TOWNSHIP_OFFICIAL,
];

#[cfg(test)]
pub(crate) const KIN_RELATIONS: &[&str] = &[
    "spouse",
    "parent",
    "child",
    "sibling",
    "in_law",
    "other_kin",
];
#[cfg(test)]
pub(crate) const BUSINESS_RELATIONS: &[&str] = &["legal_rep", "shareholder", "employee"];

#[cfg(test)]
pub(crate) const CHANNELS: &[&str] = &["letter", "visit", "online", "phone", "other"];
#[cfg(test)]
pub(crate) const PETITION_CATEGORIES: &[&str] = &[
    "collective_assets",
    "land",
    "projects",
    "assistance",
    "conduct",
    "elections",
    "other",
];
#[cfg(test)]
pub(crate) const PETITION_KINDS: &[&str] =
    &["accusation", "request", "suggestion", "appeal", "enquiry"];
#[cfg(test)]
pub(crate) const FINDINGS: &[&str] = &["substantiated", "partly", "unsubstantiated", "pending"];
#[cfg(test)]
pub(crate) const SATISFACTION: &[&str] = &["satisfied", "basically", "unsatisfied"];

#[cfg(test)]
pub(crate) const ORIGINS: &[&str] = &[
    "petition",
    "inspection",
    "audit",
    "big_data",
    "self_report",
    "other",
];
#[cfg(test)]
pub(crate) const DISPOSALS: &[&str] = &["talk", "verify", "shelve", "close", "pending"];
#[cfg(test)]
pub(crate) const VIOLATIONS: &[&str] = &[
    "embezzlement",
    "false_claims",
    "extortion",
    "favouritism",
    "eight_rules",
    "collective_assets",
    "bribery",
    "dereliction",
    "other",
];
#[cfg(test)]
pub(crate) const SANCTIONS: &[&str] = &[
    "none",
    "criticism",
    "warning",
    "serious_warning",
    "removal",
    "probation",
    "expulsion",
    "prosecution",
];

#[cfg(test)]
pub(crate) const TRADING_CATEGORIES: &[&str] =
    &["works", "goods", "services", "asset_lease", "asset_sale"];
#[cfg(test)]
pub(crate) const METHODS: &[&str] = &[
    "open_tender",
    "invited",
    "negotiation",
    "inquiry",
    "lottery",
    "direct",
];

#[cfg(test)]
pub(crate) const PROGRAMS: &[&str] = &["dibao", "tekun", "temporary", "disability", "other"];

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

//! The data contract (`shared/spec/data-contract.md`, version 1) as data:
//! every canonical table, its columns, their types, enumerations and row
//! checks. Ingest, validation and masking all read these definitions.

use datafusion::arrow::datatypes::DataType;

/// The contract version this build implements.
pub const CONTRACT_VERSION: u32 = 1;

/// `cadres.role` values.
pub const CADRE_ROLES: &[&str] = &[
    "secretary",
    "director",
    "committee",
    "supervisor",
    "accountant",
    "other",
];

/// `cadres.role` values and `township_official` (petitions, cases).
pub const ACCUSED_ROLES: &[&str] = &[
    "secretary",
    "director",
    "committee",
    "supervisor",
    "accountant",
    "other",
    "township_official",
];

/// Kin relations in `relations.relation`.
pub const KIN_RELATIONS: &[&str] = &[
    "spouse",
    "parent",
    "child",
    "sibling",
    "in_law",
    "other_kin",
];
/// Business relations in `relations.relation`.
pub const BUSINESS_RELATIONS: &[&str] = &["legal_rep", "shareholder", "employee"];

/// What a column holds; decides its canonical Arrow type and the input
/// types it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Identifier or code: a string.
    Text,
    /// A string from a closed list of lower-case values.
    Enum(&'static [&'static str]),
    /// A day.
    Date,
    /// Yuan.
    Amount,
    /// A whole number.
    Count,
    /// True or false.
    Bool,
}

impl Kind {
    /// The canonical Arrow type a cast produces. Strings that arrive as
    /// strings are not cast: Utf8, LargeUtf8 and Utf8View are kept as they are.
    pub fn canonical_type(self) -> DataType {
        match self {
            Kind::Text | Kind::Enum(_) => DataType::Utf8,
            Kind::Date => DataType::Date32,
            Kind::Amount => DataType::Float64,
            Kind::Count => DataType::Int64,
            Kind::Bool => DataType::Boolean,
        }
    }

    /// Human description of what the contract expects.
    pub fn expected(self) -> &'static str {
        match self {
            Kind::Text => "string (Utf8, LargeUtf8, Utf8View; integers are cast)",
            Kind::Enum(_) => "string (Utf8, LargeUtf8, Utf8View)",
            Kind::Date => "date (Date32; Date64, Timestamp or an ISO date string are cast)",
            Kind::Amount => "number (Float, Decimal or integer; a numeric string is cast)",
            Kind::Count => "integer (any integer type; an integer string is cast)",
            Kind::Bool => "boolean (Boolean; the strings true/false are cast)",
        }
    }

    /// How an input column of `found` type becomes canonical, or `None`
    /// when it cannot.
    pub fn conversion(self, found: &DataType) -> Option<Conversion> {
        use DataType::*;
        let is_string = matches!(found, Utf8 | LargeUtf8 | Utf8View);
        let is_int = found.is_integer();
        match self {
            Kind::Text => {
                if is_string {
                    Some(Conversion::Keep)
                } else if is_int {
                    Some(Conversion::Cast)
                } else {
                    None
                }
            }
            Kind::Enum(_) => is_string.then_some(Conversion::Keep),
            Kind::Date => match found {
                Date32 => Some(Conversion::Keep),
                Date64 | Timestamp(_, _) => Some(Conversion::Cast),
                _ if is_string => Some(Conversion::TryCast),
                _ => None,
            },
            Kind::Amount => match found {
                Float64 => Some(Conversion::Keep),
                Float16
                | Float32
                | Decimal32(_, _)
                | Decimal64(_, _)
                | Decimal128(_, _)
                | Decimal256(_, _) => Some(Conversion::Cast),
                _ if is_int => Some(Conversion::Cast),
                _ if is_string => Some(Conversion::TryCast),
                _ => None,
            },
            Kind::Count => match found {
                Int64 => Some(Conversion::Keep),
                _ if is_int => Some(Conversion::Cast),
                _ if is_string => Some(Conversion::TryCast),
                _ => None,
            },
            Kind::Bool => match found {
                Boolean => Some(Conversion::Keep),
                _ if is_string => Some(Conversion::TryCast),
                _ => None,
            },
        }
    }
}

/// How a column is brought to its canonical type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// Already canonical.
    Keep,
    /// Always succeeds (widening, truncating a timestamp to its day).
    Cast,
    /// May fail per row (a string holding a date): a failed row is rejected
    /// with `bad_value:<column>`.
    TryCast,
}

/// A per-row check beyond type, nullability and enumeration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `>= 0`.
    NonNegative,
    /// `> 0`.
    Positive,
    /// Within an inclusive range.
    Range(i64, i64),
    /// Exactly this many ASCII digits.
    Digits(usize),
}

/// One canonical column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    /// A pseudonymous person, household or supplier key: never written to
    /// any output, masked in rejects.
    pub person_key: bool,
    pub check: Option<Check>,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        nullable: false,
        person_key: false,
        check: None,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Column {
    Column {
        nullable: true,
        ..col(name, kind)
    }
}

const fn key(mut c: Column) -> Column {
    c.person_key = true;
    c
}

const fn checked(mut c: Column, check: Check) -> Column {
    c.check = Some(check);
    c
}

/// Reference table or event source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Reference,
    Source,
}

/// One canonical table.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub role: Role,
    /// Chinese name, for messages and reports.
    pub name_zh: &'static str,
    pub columns: &'static [Column],
    /// The unique id column, if any.
    pub id: Option<&'static str>,
    /// The column that dates an event (sources only).
    pub event_date: Option<&'static str>,
    /// Whether rows must name a known village.
    pub has_village: bool,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn is_source(&self) -> bool {
        self.role == Role::Source
    }
}

use Kind::*;

pub static VILLAGES: Table = Table {
    name: "villages",
    role: Role::Reference,
    name_zh: "村社名录",
    columns: &[
        checked(col("village_code", Text), Check::Digits(12)),
        col("village_name", Text),
        checked(col("township_code", Text), Check::Digits(9)),
        col("township_name", Text),
        checked(col("population", Count), Check::Positive),
        checked(col("households", Count), Check::Positive),
        col("unit_type", Enum(&["village", "community"])),
    ],
    id: Some("village_code"),
    event_date: None,
    has_village: false,
};

/// Extension: the optional county names of a province extract (a county is
/// the first 6 digits of a village code; without this table its name is
/// the code).
pub static COUNTIES: Table = Table {
    name: "counties",
    role: Role::Reference,
    name_zh: "县区名录",
    columns: &[
        checked(col("county_code", Text), Check::Digits(6)),
        col("county_name", Text),
    ],
    id: Some("county_code"),
    event_date: None,
    has_village: false,
};

pub static CADRES: Table = Table {
    name: "cadres",
    role: Role::Reference,
    name_zh: "村干部",
    columns: &[
        key(col("person_id", Text)),
        col("village_code", Text),
        col("role", Enum(CADRE_ROLES)),
        col("term_start", Date),
        opt("term_end", Date),
    ],
    id: None,
    event_date: None,
    has_village: true,
};

pub static RELATIONS: Table = Table {
    name: "relations",
    role: Role::Reference,
    name_zh: "亲属与关联企业",
    columns: &[
        key(col("person_id", Text)),
        key(col("related_id", Text)),
        col(
            "relation",
            Enum(&[
                "spouse",
                "parent",
                "child",
                "sibling",
                "in_law",
                "other_kin",
                "legal_rep",
                "shareholder",
                "employee",
            ]),
        ),
    ],
    id: None,
    event_date: None,
    has_village: false,
};

pub static PETITIONS: Table = Table {
    name: "petitions",
    role: Role::Source,
    name_zh: "信访举报",
    columns: &[
        col("petition_id", Text),
        col("village_code", Text),
        col("received_date", Date),
        col(
            "channel",
            Enum(&["letter", "visit", "online", "phone", "other"]),
        ),
        col(
            "category",
            Enum(&[
                "collective_assets",
                "land",
                "projects",
                "assistance",
                "conduct",
                "elections",
                "other",
            ]),
        ),
        col(
            "kind",
            Enum(&["accusation", "request", "suggestion", "appeal", "enquiry"]),
        ),
        opt("accused_role", Enum(ACCUSED_ROLES)),
        key(opt("accused_person_id", Text)),
        key(opt("complainant_key", Text)),
        col("is_anonymous", Bool),
        col("is_repeat", Bool),
        opt("due_date", Date),
        opt("closed_date", Date),
        opt(
            "finding",
            Enum(&["substantiated", "partly", "unsubstantiated", "pending"]),
        ),
        opt(
            "satisfaction",
            Enum(&["satisfied", "basically", "unsatisfied"]),
        ),
    ],
    id: Some("petition_id"),
    event_date: Some("received_date"),
    has_village: true,
};

pub static CASES: Table = Table {
    name: "cases",
    role: Role::Source,
    name_zh: "问题线索与案件",
    columns: &[
        col("case_id", Text),
        col("village_code", Text),
        key(opt("subject_person_id", Text)),
        col("subject_role", Enum(ACCUSED_ROLES)),
        col("received_date", Date),
        col(
            "origin",
            Enum(&[
                "petition",
                "inspection",
                "audit",
                "big_data",
                "self_report",
                "other",
            ]),
        ),
        col(
            "disposal",
            Enum(&["talk", "verify", "shelve", "close", "pending"]),
        ),
        opt("filed_date", Date),
        opt("closed_date", Date),
        opt(
            "violation",
            Enum(&[
                "embezzlement",
                "false_claims",
                "extortion",
                "favouritism",
                "eight_rules",
                "collective_assets",
                "bribery",
                "dereliction",
                "other",
            ]),
        ),
        checked(opt("amount", Amount), Check::NonNegative),
        opt(
            "sanction",
            Enum(&[
                "none",
                "criticism",
                "warning",
                "serious_warning",
                "removal",
                "probation",
                "expulsion",
                "prosecution",
            ]),
        ),
        checked(opt("form", Count), Check::Range(1, 4)),
    ],
    id: Some("case_id"),
    event_date: Some("received_date"),
    has_village: true,
};

pub static TRADING: Table = Table {
    name: "trading",
    role: Role::Source,
    name_zh: "公共资源交易",
    columns: &[
        col("project_id", Text),
        col("village_code", Text),
        col(
            "category",
            Enum(&["works", "goods", "services", "asset_lease", "asset_sale"]),
        ),
        col(
            "method",
            Enum(&[
                "open_tender",
                "invited",
                "negotiation",
                "inquiry",
                "lottery",
                "direct",
            ]),
        ),
        checked(col("budget", Amount), Check::Positive),
        checked(opt("contract_amount", Amount), Check::NonNegative),
        checked(opt("bidder_count", Count), Check::NonNegative),
        key(opt("winner_id", Text)),
        opt("announced_date", Date),
        opt("bid_deadline", Date),
        col("awarded_date", Date),
        opt("start_date", Date),
        opt("completed_date", Date),
        checked(opt("change_amount", Amount), Check::NonNegative),
        col("publicized", Bool),
    ],
    id: Some("project_id"),
    event_date: Some("awarded_date"),
    has_village: true,
};

pub static ASSISTANCE: Table = Table {
    name: "assistance",
    role: Role::Source,
    name_zh: "社会救助",
    columns: &[
        col("record_id", Text),
        key(col("person_id", Text)),
        key(col("household_id", Text)),
        col("village_code", Text),
        col(
            "program",
            Enum(&["dibao", "tekun", "temporary", "disability", "other"]),
        ),
        col("approved_date", Date),
        col("start_date", Date),
        opt("end_date", Date),
        checked(col("monthly_amount", Amount), Check::NonNegative),
        opt("last_review_date", Date),
        opt("death_date", Date),
        col("asset_flag", Bool),
        col("kin_filed", Bool),
    ],
    id: Some("record_id"),
    event_date: Some("approved_date"),
    has_village: true,
};

/// Contract 1.1: what verification (核查) found for alerts of earlier
/// runs (optional). `case_id` links to `cases` and never reaches an output.
pub static DISPOSITIONS: Table = Table {
    name: "dispositions",
    role: Role::Reference,
    name_zh: "预警核查处置",
    columns: &[
        col("alert_id", Text),
        col("village_code", Text),
        col(
            "outcome",
            Enum(&[
                "confirmed",
                "partly",
                "false_positive",
                "rectified",
                "pending",
            ]),
        ),
        col("decided_date", Date),
        key(opt("case_id", Text)),
    ],
    id: None,
    event_date: None,
    has_village: true,
};

/// Every table, reference tables first (validation of sources needs
/// `villages`).
pub static TABLES: [&Table; 9] = [
    &VILLAGES,
    &COUNTIES,
    &CADRES,
    &RELATIONS,
    &PETITIONS,
    &CASES,
    &TRADING,
    &ASSISTANCE,
    &DISPOSITIONS,
];

/// The four event sources.
pub fn sources() -> impl Iterator<Item = &'static Table> {
    TABLES.iter().copied().filter(|t| t.is_source())
}

/// A table by name.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().copied().find(|t| t.name == name)
}

/// Every column name that holds a person, household or supplier key, in any
/// table.
pub fn person_key_columns() -> Vec<&'static str> {
    let mut v: Vec<&str> = TABLES
        .iter()
        .flat_map(|t| t.columns.iter())
        .filter(|c| c.person_key)
        .map(|c| c.name)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_village_code_where_it_should() {
        for t in TABLES {
            if t.has_village {
                assert!(t.column("village_code").is_some(), "{}", t.name);
            }
            if let Some(d) = t.event_date {
                assert_eq!(t.column(d).map(|c| c.kind), Some(Kind::Date), "{}", t.name);
            }
        }
    }

    #[test]
    fn conversions_follow_the_contract() {
        assert_eq!(
            Kind::Date.conversion(&DataType::Date32),
            Some(Conversion::Keep)
        );
        assert_eq!(
            Kind::Date.conversion(&DataType::Timestamp(
                datafusion::arrow::datatypes::TimeUnit::Millisecond,
                None
            )),
            Some(Conversion::Cast)
        );
        assert_eq!(Kind::Date.conversion(&DataType::Boolean), None);
        assert_eq!(
            Kind::Amount.conversion(&DataType::Decimal128(14, 2)),
            Some(Conversion::Cast)
        );
        assert_eq!(Kind::Count.conversion(&DataType::Float64), None);
        assert_eq!(Kind::Enum(&["a"]).conversion(&DataType::Int32), None);
    }

    #[test]
    fn person_keys_are_known() {
        let keys = person_key_columns();
        for k in [
            "person_id",
            "related_id",
            "accused_person_id",
            "complainant_key",
            "subject_person_id",
            "winner_id",
            "household_id",
        ] {
            assert!(keys.contains(&k), "{k}");
        }
    }
}

//! Reading `catalog.toml` (data contract 1.1, "The source catalog"): the
//! TOML is walked key by key so that every problem anywhere in it (an
//! unknown key, table, column or canonical value, a wrong type, a strftime
//! format that cannot write a date) is reported together with the others,
//! each by its path, with the nearest known key as a suggestion.

use std::collections::BTreeMap;

use toml::{Table as TomlTable, Value};

use crate::contract::{self, Kind, Table};

/// The keys of a `[sources.<table>]` entry: the contract's, then the
/// extension `normalise`.
pub const ENTRY_KEYS: &[&str] = &[
    "path",
    "format",
    "encoding",
    "delimiter",
    "date_format",
    "booleans",
    "columns",
    "values",
    "date_formats",
    "normalise",
];

/// The switches of `normalise = { … }`.
pub const NORMALISE_KEYS: &[&str] = &["trim", "fullwidth", "case"];

/// One `[sources.<table>]` entry as written, checked key by key.
#[derive(Debug, Default, Clone)]
pub struct RawEntry {
    pub path: Option<String>,
    pub format: Option<String>,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    pub date_format: Option<String>,
    pub booleans: Option<(Vec<String>, Vec<String>)>,
    /// extract header → canonical column, in file order of the keys.
    pub columns: Vec<(String, String)>,
    /// canonical column → (extract value → canonical value).
    pub values: BTreeMap<String, Vec<(String, String)>>,
    /// canonical column → strftime format.
    pub date_formats: BTreeMap<String, String>,
    /// trim, fullwidth, case.
    pub normalise: [Option<bool>; 3],
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// "; did you mean X?" when a known name is close to `name`, else the list.
pub fn suggest(name: &str, known: &[&str]) -> String {
    let best = known
        .iter()
        .map(|k| (distance(name, k), *k))
        .min_by_key(|(d, k)| (*d, *k));
    match best {
        Some((d, k)) if d <= 2.max(name.chars().count() / 3) => format!("; did you mean {k}?"),
        _ => format!("; expected one of {}", known.join(", ")),
    }
}

fn type_name(v: &Value) -> &'static str {
    v.type_str()
}

/// Reads the catalog's text into its entries by table; every problem is
/// pushed to `problems` (the entries are what could be read).
pub fn read(text: &str, problems: &mut Vec<String>) -> BTreeMap<String, RawEntry> {
    let doc: TomlTable = match text.parse() {
        Ok(d) => d,
        Err(e) => {
            problems.push(format!("not valid TOML: {e}"));
            return BTreeMap::new();
        }
    };
    let mut out = BTreeMap::new();
    for (key, value) in &doc {
        if key != "sources" {
            problems.push(format!("{key}: unknown key{}", suggest(key, &["sources"])));
            continue;
        }
        let Some(sources) = value.as_table() else {
            problems.push(format!(
                "sources: expected a table of [sources.<table>] entries, found {}",
                type_name(value)
            ));
            continue;
        };
        let names: Vec<&str> = contract::TABLES.iter().map(|t| t.name).collect();
        for (name, entry) in sources {
            let at = format!("sources.{name}");
            let Some(table) = contract::table(name) else {
                problems.push(format!(
                    "{at}: no such table in the data contract{}",
                    suggest(name, &names)
                ));
                continue;
            };
            let Some(entry) = entry.as_table() else {
                problems.push(format!(
                    "{at}: expected a table, found {}",
                    type_name(entry)
                ));
                continue;
            };
            out.insert(name.clone(), read_entry(&at, table, entry, problems));
        }
    }
    out
}

fn string(at: &str, v: &Value, problems: &mut Vec<String>) -> Option<String> {
    match v.as_str() {
        Some(s) => Some(s.to_string()),
        None => {
            problems.push(format!("{at}: expected a string, found {}", type_name(v)));
            None
        }
    }
}

fn table<'v>(at: &str, v: &'v Value, problems: &mut Vec<String>) -> Option<&'v TomlTable> {
    let t = v.as_table();
    if t.is_none() {
        problems.push(format!("{at}: expected a table, found {}", type_name(v)));
    }
    t
}

fn one_of(at: &str, v: &Value, allowed: &[&str], problems: &mut Vec<String>) -> Option<String> {
    let s = string(at, v, problems)?;
    let lower = s.to_ascii_lowercase();
    if allowed.contains(&lower.as_str()) {
        Some(lower)
    } else {
        problems.push(format!(
            "{at}: '{s}' is not allowed{}",
            suggest(&lower, allowed)
        ));
        None
    }
}

/// The canonical column `name` of `table`, or a problem at `at`.
fn column<'t>(
    at: &str,
    table: &'t Table,
    name: &str,
    problems: &mut Vec<String>,
) -> Option<&'t contract::Column> {
    let c = table.column(name);
    if c.is_none() {
        let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        problems.push(format!(
            "{at}: '{name}' is not a column of {}{}",
            table.name,
            suggest(name, &names)
        ));
    }
    c
}

/// Whether a strftime format writes and reads back a whole date.
pub fn date_format_problem(format: &str) -> Option<String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
        return Some(format!(
            "'{format}' is not a strftime format (see chrono's strftime: %Y year, %m month, %d day)"
        ));
    }
    let day = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("a date");
    let written = day.format(format).to_string();
    match chrono::NaiveDate::parse_from_str(&written, format) {
        Ok(back) if back == day => None,
        _ => Some(format!(
            "'{format}' does not name a whole date; it needs the year, month and day (e.g. %Y年%m月%d日)"
        )),
    }
}

fn read_entry(
    at: &str,
    table: &'static Table,
    entry: &TomlTable,
    problems: &mut Vec<String>,
) -> RawEntry {
    let mut out = RawEntry::default();
    for (key, v) in entry {
        let here = format!("{at}.{key}");
        match key.as_str() {
            "path" => out.path = string(&here, v, problems),
            "format" => out.format = one_of(&here, v, &["parquet", "csv"], problems),
            "encoding" => out.encoding = one_of(&here, v, &["utf-8", "gb18030"], problems),
            "delimiter" => {
                out.delimiter = string(&here, v, problems).filter(|d| {
                    let ok = d.len() == 1 && d.is_ascii() && d != "\"" && d != "\n";
                    if !ok {
                        problems.push(format!(
                            "{here}: '{d}' is not a one-character ASCII delimiter; use \",\", \";\", \"|\" or \"\\t\""
                        ));
                    }
                    ok
                });
            }
            "date_format" => {
                out.date_format = string(&here, v, problems).filter(|f| {
                    let p = date_format_problem(f);
                    if let Some(p) = &p {
                        problems.push(format!("{here}: {p}"));
                    }
                    p.is_none()
                });
            }
            "booleans" => out.booleans = booleans(&here, v, problems),
            "columns" => out.columns = columns(&here, table, v, problems),
            "values" => out.values = values(&here, table, v, problems),
            "date_formats" => out.date_formats = date_formats(&here, table, v, problems),
            "normalise" => out.normalise = normalise(&here, v, problems),
            other => problems.push(format!("{here}: unknown key{}", suggest(other, ENTRY_KEYS))),
        }
    }
    if out.format.as_deref() != Some("csv") {
        for (key, given) in [
            ("encoding", out.encoding.is_some()),
            ("delimiter", out.delimiter.is_some()),
        ] {
            if given {
                problems.push(format!(
                    "{at}.{key}: only a CSV source takes {key}; add format = \"csv\" or remove it"
                ));
            }
        }
    }
    out
}

fn words(at: &str, v: &Value, problems: &mut Vec<String>) -> Vec<String> {
    let Some(list) = v.as_array() else {
        problems.push(format!(
            "{at}: expected a list of words, found {}",
            type_name(v)
        ));
        return Vec::new();
    };
    list.iter()
        .enumerate()
        .filter_map(|(i, w)| string(&format!("{at}[{i}]"), w, problems))
        .collect()
}

fn booleans(at: &str, v: &Value, problems: &mut Vec<String>) -> Option<(Vec<String>, Vec<String>)> {
    let t = table(at, v, problems)?;
    let (mut yes, mut no) = (Vec::new(), Vec::new());
    for (key, v) in t {
        let here = format!("{at}.{key}");
        match key.as_str() {
            "true" => yes = words(&here, v, problems),
            "false" => no = words(&here, v, problems),
            other => problems.push(format!(
                "{here}: unknown key{}",
                suggest(other, &["true", "false"])
            )),
        }
    }
    for w in yes.iter().filter(|w| no.contains(w)) {
        problems.push(format!("{at}: '{w}' is listed as both true and false"));
    }
    Some((yes, no))
}

fn columns(
    at: &str,
    table: &'static Table,
    v: &Value,
    problems: &mut Vec<String>,
) -> Vec<(String, String)> {
    let Some(t) = self::table(at, v, problems) else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for (extract, canonical) in t {
        let here = format!("{at}.\"{extract}\"");
        let Some(canonical) = string(&here, canonical, problems) else {
            continue;
        };
        if column(&here, table, &canonical, problems).is_none() {
            continue;
        }
        if let Some((prev, _)) = out.iter().find(|(_, c)| *c == canonical) {
            problems.push(format!(
                "{at}: both \"{prev}\" and \"{extract}\" map to '{canonical}'; keep one"
            ));
            continue;
        }
        out.push((extract.clone(), canonical));
    }
    out
}

fn values(
    at: &str,
    table: &'static Table,
    v: &Value,
    problems: &mut Vec<String>,
) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out = BTreeMap::new();
    let Some(t) = self::table(at, v, problems) else {
        return out;
    };
    for (name, map) in t {
        let here = format!("{at}.{name}");
        let Some(c) = column(&here, table, name, problems) else {
            continue;
        };
        let allowed: Option<&[&str]> = match c.kind {
            Kind::Enum(values) => Some(values),
            Kind::Text => None,
            Kind::Bool => {
                problems.push(format!(
                    "{here}: '{name}' is a boolean; list its words under booleans = {{ true = [...], false = [...] }}"
                ));
                continue;
            }
            _ => {
                problems.push(format!(
                    "{here}: value maps apply to text and enumeration columns; '{name}' holds {}",
                    c.kind.expected()
                ));
                continue;
            }
        };
        let Some(map) = self::table(&here, map, problems) else {
            continue;
        };
        let mut pairs = Vec::new();
        for (arrived, canonical) in map {
            let there = format!("{here}.\"{arrived}\"");
            let Some(canonical) = string(&there, canonical, problems) else {
                continue;
            };
            if let Some(allowed) = allowed
                && !allowed.contains(&canonical.as_str())
            {
                problems.push(format!(
                    "{there}: '{canonical}' is not a value of {}.{name}{}",
                    table.name,
                    suggest(&canonical, allowed)
                ));
                continue;
            }
            pairs.push((arrived.clone(), canonical));
        }
        out.insert(name.clone(), pairs);
    }
    out
}

fn date_formats(
    at: &str,
    table: &'static Table,
    v: &Value,
    problems: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(t) = self::table(at, v, problems) else {
        return out;
    };
    for (name, format) in t {
        let here = format!("{at}.{name}");
        let Some(c) = column(&here, table, name, problems) else {
            continue;
        };
        if c.kind != Kind::Date {
            problems.push(format!("{here}: '{name}' is not a date column"));
            continue;
        }
        let Some(format) = string(&here, format, problems) else {
            continue;
        };
        match date_format_problem(&format) {
            Some(p) => problems.push(format!("{here}: {p}")),
            None => {
                out.insert(name.clone(), format);
            }
        }
    }
    out
}

fn normalise(at: &str, v: &Value, problems: &mut Vec<String>) -> [Option<bool>; 3] {
    let mut out = [None; 3];
    let Some(t) = table(at, v, problems) else {
        return out;
    };
    for (key, v) in t {
        let here = format!("{at}.{key}");
        let Some(i) = NORMALISE_KEYS.iter().position(|k| k == key) else {
            problems.push(format!(
                "{here}: unknown key{}",
                suggest(key, NORMALISE_KEYS)
            ));
            continue;
        };
        match v.as_bool() {
            Some(b) => out[i] = Some(b),
            None => problems.push(format!(
                "{here}: expected true or false, found {}",
                type_name(v)
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(text: &str) -> Vec<String> {
        let mut problems = Vec::new();
        read(text, &mut problems);
        problems
    }

    #[test]
    fn a_misspelt_key_is_named_with_the_nearest() {
        let p = problems_of("[sources.petitions]\ndate_fromat = \"%Y\"\n");
        assert_eq!(
            p,
            ["sources.petitions.date_fromat: unknown key; did you mean date_format?"]
        );
    }

    #[test]
    fn every_problem_is_reported_together() {
        let p = problems_of(
            "[sources.petitons]\n[sources.cases]\nformat = \"xlsx\"\ndelimiter = \";\"\ndate_format = \"%Q\"\n[sources.petitions.values.channel]\n\"来信\" = \"lettre\"\n[sources.petitions.date_formats]\ndue_dat = \"%Y/%m/%d\"\n",
        );
        assert_eq!(p.len(), 6, "{p:#?}");
        assert!(
            p[0].starts_with("sources.cases.date_format: '%Q'"),
            "{p:#?}"
        );
        assert!(
            p.iter().any(|x| x.contains("did you mean petitions?")),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|x| x.starts_with("sources.cases.format: 'xlsx'")),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|x| x.starts_with("sources.cases.delimiter: only a CSV source")),
            "{p:#?}"
        );
        assert!(
            p.iter().any(|x| x
                .contains("'lettre' is not a value of petitions.channel; did you mean letter?")),
            "{p:#?}"
        );
        assert!(
            p.iter().any(|x| x.contains("did you mean due_date?")),
            "{p:#?}"
        );
    }

    #[test]
    fn formats_must_write_a_whole_date() {
        assert_eq!(date_format_problem("%Y年%m月%d日"), None);
        assert_eq!(date_format_problem("%Y/%m/%d"), None);
        assert!(date_format_problem("%Y-%m").is_some());
        assert!(date_format_problem("%Q").is_some());
    }

    #[test]
    fn suggestions_are_near_or_the_list() {
        assert_eq!(suggest("delimter", ENTRY_KEYS), "; did you mean delimiter?");
        assert!(suggest("zzzzzzzz", &["a", "b"]).starts_with("; expected one of a, b"));
    }
}

//! The default framework as this binary carries it, for `qinglian
//! indicators init`: every file of `indicators/` (the naive analyst's
//! baseline aside) and `sql/`, written out as a district's own framework
//! to start from. `tests/framework.rs` checks that the list is the
//! repository's files, byte for byte.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Path (relative to the repository) and text of each default file.
pub const FILES: &[(&str, &str)] = &[
    (
        "indicators/datapoints/assistance.toml",
        include_str!("../../indicators/datapoints/assistance.toml"),
    ),
    (
        "indicators/datapoints/cases.toml",
        include_str!("../../indicators/datapoints/cases.toml"),
    ),
    (
        "indicators/datapoints/crossmatch.toml",
        include_str!("../../indicators/datapoints/crossmatch.toml"),
    ),
    (
        "indicators/datapoints/findings.toml",
        include_str!("../../indicators/datapoints/findings.toml"),
    ),
    (
        "indicators/datapoints/petitions.toml",
        include_str!("../../indicators/datapoints/petitions.toml"),
    ),
    (
        "indicators/datapoints/trading.toml",
        include_str!("../../indicators/datapoints/trading.toml"),
    ),
    (
        "indicators/definitions/assistance.toml",
        include_str!("../../indicators/definitions/assistance.toml"),
    ),
    (
        "indicators/definitions/cases.toml",
        include_str!("../../indicators/definitions/cases.toml"),
    ),
    (
        "indicators/definitions/findings.toml",
        include_str!("../../indicators/definitions/findings.toml"),
    ),
    (
        "indicators/definitions/openness_assistance.toml",
        include_str!("../../indicators/definitions/openness_assistance.toml"),
    ),
    (
        "indicators/definitions/openness_cases.toml",
        include_str!("../../indicators/definitions/openness_cases.toml"),
    ),
    (
        "indicators/definitions/openness_petitions.toml",
        include_str!("../../indicators/definitions/openness_petitions.toml"),
    ),
    (
        "indicators/definitions/openness_trading.toml",
        include_str!("../../indicators/definitions/openness_trading.toml"),
    ),
    (
        "indicators/definitions/petitions.toml",
        include_str!("../../indicators/definitions/petitions.toml"),
    ),
    (
        "indicators/definitions/trading.toml",
        include_str!("../../indicators/definitions/trading.toml"),
    ),
    (
        "indicators/framework.toml",
        include_str!("../../indicators/framework.toml"),
    ),
    (
        "sql/asst_cadre_beneficiary.sql",
        include_str!("../../sql/asst_cadre_beneficiary.sql"),
    ),
    (
        "sql/asst_cadre_kin.sql",
        include_str!("../../sql/asst_cadre_kin.sql"),
    ),
    (
        "sql/asst_duplicate_household.sql",
        include_str!("../../sql/asst_duplicate_household.sql"),
    ),
    (
        "sql/asst_new_approval_growth.sql",
        include_str!("../../sql/asst_new_approval_growth.sql"),
    ),
    (
        "sql/case_repeat_subjects.sql",
        include_str!("../../sql/case_repeat_subjects.sql"),
    ),
    (
        "sql/case_serving_cadre_subjects.sql",
        include_str!("../../sql/case_serving_cadre_subjects.sql"),
    ),
    (
        "sql/pet_accusation_growth.sql",
        include_str!("../../sql/pet_accusation_growth.sql"),
    ),
    (
        "sql/pet_replies_due.sql",
        include_str!("../../sql/pet_replies_due.sql"),
    ),
    (
        "sql/pet_returning_complainants.sql",
        include_str!("../../sql/pet_returning_complainants.sql"),
    ),
    (
        "sql/pet_serving_leader_accusations.sql",
        include_str!("../../sql/pet_serving_leader_accusations.sql"),
    ),
    (
        "sql/trd_cadre_linked_awards.sql",
        include_str!("../../sql/trd_cadre_linked_awards.sql"),
    ),
    (
        "sql/trd_short_advert.sql",
        include_str!("../../sql/trd_short_advert.sql"),
    ),
    (
        "sql/trd_split_clusters.sql",
        include_str!("../../sql/trd_split_clusters.sql"),
    ),
    (
        "sql/trd_top_supplier.sql",
        include_str!("../../sql/trd_top_supplier.sql"),
    ),
];

/// What `init` puts at the top of the copied `framework.toml`.
const HEADER: &str = "# A district's own framework, started from qinglian's default one
# (`qinglian indicators init`). Edit the files under indicators/ (weights,
# thresholds, indicators) and sql/ (data points written in SQL), check them
# with `qinglian indicators list --framework <dir>/indicators`, and run
# with `qinglian run --framework <dir>/indicators`. docs/framework-format.md
# in the qinglian repository describes every key.

";

/// Writes the default framework under `out` (`indicators/`, `sql/`);
/// refuses to overwrite a file that exists. Returns the files written.
pub fn init(out: &Path) -> Result<Vec<PathBuf>> {
    if let Some(found) = FILES.iter().map(|(p, _)| out.join(p)).find(|p| p.exists()) {
        return Err(Error::Request(format!(
            "{} already holds a framework ({} exists); choose an empty directory",
            out.display(),
            found.display()
        )));
    }
    let mut written = Vec::new();
    for (rel, text) in FILES {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io("creating", parent))?;
        }
        let body = if *rel == "indicators/framework.toml" {
            format!("{HEADER}{text}")
        } else {
            (*text).to_string()
        };
        std::fs::write(&path, body).map_err(Error::io("writing", &path))?;
        written.push(path);
    }
    Ok(written)
}

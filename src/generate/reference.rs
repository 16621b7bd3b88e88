//! The reference tables: `villages.parquet`, `counties.parquet` (the
//! contract's extension), `cadres.parquet` and `relations.parquet`, in
//! code order.

use std::collections::BTreeMap;
use std::path::Path;

use super::GenerateError;
use super::district::District;
use super::sink::{Layout, TableWriter};
use crate::contract;

/// Writes the four reference tables; returns their row counts by table.
pub(crate) fn write(d: &District, out_dir: &Path) -> Result<BTreeMap<String, u64>, GenerateError> {
    let villages = write_villages(d, &out_dir.join("villages.parquet"))?;
    let mut counties = TableWriter::create(
        &out_dir.join("counties.parquet"),
        Layout::canonical(&contract::COUNTIES),
    )?;
    for (code, name) in &d.counties {
        counties.row(|r| {
            r.text("county_code", code.as_str());
            r.text("county_name", name.as_str());
        })?;
    }
    let cadres_path = out_dir.join("cadres.parquet");
    let mut cadres = TableWriter::create(&cadres_path, Layout::canonical(&contract::CADRES))?;
    let relations_path = out_dir.join("relations.parquet");
    let mut relations =
        TableWriter::create(&relations_path, Layout::canonical(&contract::RELATIONS))?;
    for v in &d.villages {
        let people = d.people(v);
        for c in &people.cadres {
            let person_id = d.person_id(c.person);
            cadres.row(|r| {
                r.text("person_id", person_id.as_str());
                r.text("village_code", v.code.as_str());
                r.text("role", c.role);
                r.date("term_start", c.term_start);
                r.date("term_end", c.term_end);
            })?;
            let kin = c.kin.iter().map(|(kin, rel)| (d.person_id(*kin), *rel));
            let firms = c
                .business
                .iter()
                .map(|(s, rel)| (d.keys.supplier(*s), *rel));
            for (related_id, relation) in kin.chain(firms) {
                relations.row(|r| {
                    r.text("person_id", person_id.as_str());
                    r.text("related_id", related_id.as_str());
                    r.text("relation", relation);
                })?;
            }
        }
    }
    Ok(BTreeMap::from([
        ("villages".to_string(), villages),
        ("counties".to_string(), counties.close()?),
        ("cadres".to_string(), cadres.close()?),
        ("relations".to_string(), relations.close()?),
    ]))
}

fn write_villages(d: &District, path: &Path) -> Result<u64, GenerateError> {
    let mut w = TableWriter::create(path, Layout::canonical(&contract::VILLAGES))?;
    for v in &d.villages {
        let township = &d.townships[v.township];
        w.row(|r| {
            r.text("village_code", v.code.as_str());
            r.text("village_name", v.name.as_str());
            r.text("township_code", township.code.as_str());
            r.text("township_name", township.name.as_str());
            r.count("population", v.population);
            r.count("households", v.households);
            r.text(
                "unit_type",
                if v.community { "community" } else { "village" },
            );
        })?;
    }
    w.close()
}

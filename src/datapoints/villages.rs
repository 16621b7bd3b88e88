//! Reading the villages table: every village the stage computes data
//! points for, in the order of their codes; narrowing it to one county
//! (`run --county`) and reading the counties' names.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use super::run::strings;
use crate::error::{Error, Result};
use crate::model::Village;

/// Reads the villages (sorted by code).
pub async fn read_villages(ctx: &SessionContext) -> Result<Vec<Village>> {
    let batches = ctx
        .sql(
            "SELECT village_code, village_name, township_code, township_name, population, households, unit_type \
             FROM villages ORDER BY village_code",
        )
        .await
        .map_err(Error::query("reading villages"))?
        .collect()
        .await
        .map_err(Error::query("reading villages"))?;
    let mut out = Vec::new();
    for b in &batches {
        let s = |i: usize| strings(b, i);
        let (code, name, tc, tn, ut) = (s(0)?, s(1)?, s(2)?, s(3)?, s(6)?);
        let pop = b.column(4).as_primitive_opt::<Int64Type>();
        let hh = b.column(5).as_primitive_opt::<Int64Type>();
        let (Some(pop), Some(hh)) = (pop, hh) else {
            return Err(Error::Internal {
                context: "reading villages".into(),
                message: "population or households is not Int64".into(),
            });
        };
        for r in 0..b.num_rows() {
            out.push(Village {
                code: code[r].clone(),
                name: name[r].clone(),
                township_code: tc[r].clone(),
                township_name: tn[r].clone(),
                population: pop.value(r),
                households: hh.value(r),
                unit_type: ut[r].clone(),
            });
        }
    }
    Ok(out)
}

/// Narrows the registered `villages` table to the villages of county
/// `code` (the first 6 digits of their codes), so the data points, and
/// with them the normalisation, the ranks and the tiers, are the county's
/// own. Source rows of other counties stay validated against the whole
/// extract (they are not rejected) and are left out of every data point.
/// Returns (villages kept, villages in the extract).
pub async fn scope_to_county(ctx: &SessionContext, code: &str) -> Result<(usize, usize)> {
    let digits = crate::model::COUNTY_DIGITS;
    if code.len() != digits || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Request(format!(
            "--county {code}: a county code is the first {digits} digits of a village code (e.g. 330102)"
        )));
    }
    let all = read_villages(ctx).await?;
    let kept = all.iter().filter(|v| v.county_code() == code).count();
    if kept == 0 {
        let mut counties: Vec<&str> = all.iter().map(|v| v.county_code()).collect();
        counties.dedup();
        return Err(Error::Request(format!(
            "--county {code}: no village of the villages table is in county {code}; its counties are {}",
            counties.join(", ")
        )));
    }
    let context = "narrowing villages to one county";
    let batches = ctx
        .sql(&format!(
            "SELECT * FROM villages WHERE substr(village_code, 1, {digits}) = '{code}'"
        ))
        .await
        .map_err(Error::query(context))?
        .collect()
        .await
        .map_err(Error::query(context))?;
    let schema = match batches.first() {
        Some(b) => b.schema(),
        None => {
            return Err(Error::Internal {
                context: context.into(),
                message: "the narrowed villages came back without a batch".into(),
            });
        }
    };
    let table = MemTable::try_new(schema, vec![batches]).map_err(Error::query(context))?;
    ctx.deregister_table("villages")
        .map_err(Error::query(context))?;
    ctx.register_table("villages", Arc::new(table))
        .map_err(Error::query(context))?;
    Ok((kept, all.len()))
}

/// County names by code from the optional `counties` table (registered
/// empty when absent); a county without a row is named by its code.
pub async fn county_names(ctx: &SessionContext) -> Result<BTreeMap<String, String>> {
    let context = "reading the counties table";
    let batches = ctx
        .sql("SELECT county_code, county_name FROM counties ORDER BY county_code")
        .await
        .map_err(Error::query(context))?
        .collect()
        .await
        .map_err(Error::query(context))?;
    let mut out = BTreeMap::new();
    for b in &batches {
        for (code, name) in strings(b, 0)?.into_iter().zip(strings(b, 1)?) {
            out.insert(code, name);
        }
    }
    Ok(out)
}

//! Reading the villages table: every village the stage computes data
//! points for, in the order of their codes.

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;
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

//! Duplicate ids over every file of a table, found without grouping the
//! ids themselves: a first pass groups a 64-bit hash of each id (cheap to
//! hash and to group, whatever the ids' length), and only the rows whose
//! hash occurs twice are grouped again by the id itself, so a hash
//! collision never rejects a row. On a clean table the second pass has
//! nothing to read and is skipped.

use std::hash::BuildHasher;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, UInt64Array, UInt64Builder};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};

/// The fixed seed of the ids' hash: the same hash on every run (only the
/// grouping depends on it, never a result).
const SEED: u64 = 0x71_6e_67_6c_69_61_6e;

/// `qinglian_id_hash(text)`: a 64-bit hash of each id, null for null.
#[derive(Debug, PartialEq, Eq, Hash)]
struct IdHash {
    signature: Signature,
}

impl ScalarUDFImpl for IdHash {
    fn name(&self) -> &str {
        "qinglian_id_hash"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::UInt64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let state = foldhash::fast::FixedState::with_seed(SEED);
        let ids: ArrayRef = args.args[0].to_array(args.number_rows)?;
        let mut out = UInt64Builder::with_capacity(ids.len());
        let mut put = |v: Option<&str>| out.append_option(v.map(|s| state.hash_one(s)));
        match ids.data_type() {
            DataType::Utf8 => ids.as_string::<i32>().iter().for_each(&mut put),
            DataType::LargeUtf8 => ids.as_string::<i64>().iter().for_each(&mut put),
            DataType::Utf8View => ids.as_string_view().iter().for_each(&mut put),
            other => {
                return Err(DataFusionError::Internal(format!(
                    "qinglian_id_hash takes text, not {other}"
                )));
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

fn id_hash() -> ScalarUDF {
    ScalarUDF::new_from_impl(IdHash {
        signature: Signature::one_of(
            [DataType::Utf8, DataType::LargeUtf8, DataType::Utf8View]
                .into_iter()
                .map(|t| TypeSignature::Exact(vec![t]))
                .collect(),
            Volatility::Immutable,
        ),
    })
}

/// `qinglian_id_hash` as a cluster sends it (it carries nothing), `None`
/// for another function.
pub fn function_to_wire(udf: &ScalarUDF) -> Option<Vec<u8>> {
    udf.inner()
        .downcast_ref::<IdHash>()
        .map(|_| b"qinglian".to_vec())
}

/// The function [`function_to_wire`] sent, `None` for another name.
pub fn function_from_wire(name: &str) -> Option<ScalarUDF> {
    (name == "qinglian_id_hash").then(id_hash)
}

/// Registers the function the passes call.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(id_hash());
}

/// Registers `__dups_<table>` (one column `__dup`): the ids of `id` that
/// occur more than once in `__mapped_<table>`. Reads the id column alone.
pub async fn register_duplicates(ctx: &SessionContext, table: &str, id: &str) -> Result<()> {
    let context = format!("finding duplicate ids of {table}");
    let mapped = format!("__mapped_{table}");
    let hashes = ctx
        .sql(&format!(
            "SELECT qinglian_id_hash(\"{id}\") AS k FROM {mapped} WHERE \"{id}\" IS NOT NULL \
             GROUP BY k HAVING COUNT(*) > 1"
        ))
        .await
        .map_err(Error::query(context.clone()))?
        .collect()
        .await
        .map_err(Error::query(context.clone()))?;
    let candidates: usize = hashes.iter().map(RecordBatch::num_rows).sum();
    let ids = if candidates == 0 {
        let df = ctx
            .sql(&format!("SELECT \"{id}\" AS __dup FROM {mapped} LIMIT 0"))
            .await
            .map_err(Error::query(context.clone()))?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        MemTable::try_new(schema, vec![Vec::new()])
    } else {
        let keys: Vec<u64> = hashes
            .iter()
            .flat_map(|b| {
                b.column(0)
                    .as_primitive::<datafusion::arrow::datatypes::UInt64Type>()
                    .values()
                    .to_vec()
            })
            .collect();
        let schema = Arc::new(Schema::new(vec![Field::new("k", DataType::UInt64, false)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(UInt64Array::from(keys))])
            .map_err(|e| Error::Arrow {
            context: context.clone(),
            source: e,
        })?;
        let table_name = format!("__dup_hashes_{table}");
        let keys =
            MemTable::try_new(schema, vec![vec![batch]]).map_err(Error::query(context.clone()))?;
        ctx.register_table(&table_name, Arc::new(keys))
            .map_err(Error::query(context.clone()))?;
        let df = ctx
            .sql(&format!(
                "SELECT \"{id}\" AS __dup FROM {mapped} \
                 WHERE \"{id}\" IS NOT NULL \
                   AND qinglian_id_hash(\"{id}\") IN (SELECT k FROM {table_name}) \
                 GROUP BY \"{id}\" HAVING COUNT(*) > 1"
            ))
            .await
            .map_err(Error::query(context.clone()))?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await.map_err(Error::query(context.clone()))?;
        MemTable::try_new(schema, vec![batches])
    }
    .map_err(Error::query(context.clone()))?;
    ctx.register_table(format!("__dups_{table}"), Arc::new(ids))
        .map_err(Error::query(context))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use datafusion::arrow::array::StringArray;

    use super::*;

    async fn duplicates(ids: &[Option<&str>]) -> Vec<String> {
        let ctx = SessionContext::new();
        register(&ctx);
        let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, true)]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(ids.to_vec()))],
        )
        .unwrap();
        let t = MemTable::try_new(schema, vec![vec![batch]]).unwrap();
        ctx.register_table("__mapped_t", Arc::new(t)).unwrap();
        register_duplicates(&ctx, "t", "id").await.unwrap();
        let batches = ctx
            .sql("SELECT __dup FROM __dups_t ORDER BY __dup")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        batches
            .iter()
            .flat_map(|b| {
                b.column(0)
                    .as_string::<i32>()
                    .iter()
                    .map(|v| v.unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[tokio::test]
    async fn ids_found_twice_and_only_those() {
        let found = duplicates(&[
            Some("a"),
            Some("b"),
            Some("a"),
            None,
            None,
            Some("c"),
            Some("b"),
            Some("b"),
        ])
        .await;
        assert_eq!(found, ["a", "b"]);
        assert!(
            duplicates(&[Some("a"), Some("b"), None, None])
                .await
                .is_empty()
        );
    }
}

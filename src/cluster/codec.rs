//! What qinglian's plans carry that Ballista's codecs do not: in-memory
//! tables (the rejected ids, a quarter table, an absent source's empty
//! table) as Arrow IPC, and qinglian's own functions (date parsing, text
//! tidying, value maps with their labels, the ids' hash) by name and
//! payload. The client, the scheduler and every executor use the same
//! pair, so no plan has to fall back to running locally.

use std::io::Cursor;
use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Extension, LogicalPlan, ScalarUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};

use crate::ingest::{function_from_wire, function_to_wire};

/// The first bytes of an in-memory table this codec wrote, so that a
/// table provider of Ballista's own is told apart and passed on.
const MEMORY_TABLE: &[u8] = b"qinglian-memtable-1\n";

/// The logical codec: Ballista's (file formats, its cache node) plus
/// in-memory tables and qinglian's functions.
#[derive(Debug, Default)]
pub struct LogicalCodec {
    ballista: BallistaLogicalExtensionCodec,
}

/// The physical codec: Ballista's (shuffles) plus qinglian's functions;
/// in-memory scans are DataFusion's own `MemorySourceConfig`.
#[derive(Debug, Default)]
pub struct PhysicalCodec {
    ballista: BallistaPhysicalExtensionCodec,
}

fn encode_function(udf: &ScalarUDF, buf: &mut Vec<u8>) {
    if let Some(payload) = function_to_wire(udf) {
        buf.extend_from_slice(&payload);
    }
}

fn decode_function(name: &str, payload: &[u8]) -> Result<Arc<ScalarUDF>> {
    match function_from_wire(name, payload) {
        Some(udf) => udf.map(Arc::new),
        None => Err(DataFusionError::Plan(format!(
            "the function {name} is not known to this qinglian; run the same qinglian version on the client, the scheduler and every executor"
        ))),
    }
}

/// An in-memory table as Arrow IPC: the marker, the partition count, then
/// each partition's length and stream.
fn encode_memory_table(table: &MemTable, buf: &mut Vec<u8>) -> Result<()> {
    buf.extend_from_slice(MEMORY_TABLE);
    let partitions = u32::try_from(table.batches.len())
        .map_err(|_| DataFusionError::Internal("too many partitions".into()))?;
    buf.extend_from_slice(&partitions.to_le_bytes());
    for partition in &table.batches {
        let batches = partition.try_read().map_err(|_| {
            DataFusionError::Internal("an in-memory table is being written to".into())
        })?;
        let mut stream = Vec::new();
        let mut writer = StreamWriter::try_new(&mut stream, &table.schema())?;
        for b in batches.iter() {
            writer.write(b)?;
        }
        writer.finish()?;
        drop(writer);
        buf.extend_from_slice(&(stream.len() as u64).to_le_bytes());
        buf.extend_from_slice(&stream);
    }
    Ok(())
}

fn decode_memory_table(mut buf: &[u8], schema: SchemaRef) -> Result<Arc<dyn TableProvider>> {
    let short = || DataFusionError::Internal("an in-memory table cut short".into());
    let mut take = |n: usize| -> Result<&[u8]> {
        if buf.len() < n {
            return Err(short());
        }
        let (head, rest) = buf.split_at(n);
        buf = rest;
        Ok(head)
    };
    let count = u32::from_le_bytes(take(4)?.try_into().map_err(|_| short())?);
    let mut partitions = Vec::new();
    for _ in 0..count {
        let len = u64::from_le_bytes(take(8)?.try_into().map_err(|_| short())?);
        let stream = take(usize::try_from(len).map_err(|_| short())?)?;
        let reader = StreamReader::try_new(Cursor::new(stream), None)?;
        let batches = reader.collect::<std::result::Result<Vec<RecordBatch>, _>>()?;
        partitions.push(batches);
    }
    Ok(Arc::new(MemTable::try_new(schema, partitions)?))
}

impl LogicalExtensionCodec for LogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.ballista.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        match buf.strip_prefix(MEMORY_TABLE) {
            Some(rest) => decode_memory_table(rest, schema),
            None => self
                .ballista
                .try_decode_table_provider(buf, table_ref, schema, ctx),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        match node.downcast_ref::<MemTable>() {
            Some(table) => encode_memory_table(table, buf),
            None => self
                .ballista
                .try_encode_table_provider(table_ref, node, buf),
        }
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.ballista.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.ballista.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_function(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_function(node, buf);
        Ok(())
    }
}

impl PhysicalExtensionCodec for PhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.ballista.try_decode(buf, inputs, ctx, proto_converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.ballista.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_function(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_function(node, buf);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::prelude::SessionContext;

    use super::*;

    #[test]
    fn an_in_memory_table_comes_back_with_its_partitions_and_rows() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let batch = |ids: Vec<Option<&str>>, n: Vec<i64>| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from(ids)),
                    Arc::new(Int64Array::from(n)),
                ],
            )
            .unwrap()
        };
        let table = MemTable::try_new(
            schema.clone(),
            vec![
                vec![batch(vec![Some("甲"), None], vec![1, 2])],
                vec![],
                vec![batch(vec![Some("b")], vec![3]), batch(vec![], vec![])],
            ],
        )
        .unwrap();
        let codec = LogicalCodec::default();
        let mut buf = Vec::new();
        codec
            .try_encode_table_provider(&"t".into(), Arc::new(table), &mut buf)
            .unwrap();
        let ctx = SessionContext::new();
        let back = codec
            .try_decode_table_provider(&buf, &"t".into(), schema.clone(), &ctx.task_ctx())
            .unwrap();
        let back = back.downcast_ref::<MemTable>().unwrap();
        let rows: Vec<usize> = back
            .batches
            .iter()
            .map(|p| {
                p.try_read()
                    .unwrap()
                    .iter()
                    .map(RecordBatch::num_rows)
                    .sum()
            })
            .collect();
        assert_eq!(rows, [2, 0, 1]);
        let first = back.batches[0].try_read().unwrap()[0].clone();
        assert_eq!(first, batch(vec![Some("甲"), None], vec![1, 2]));
        // Cut short, it is an error, not a smaller table.
        assert!(
            codec
                .try_decode_table_provider(
                    &buf[..buf.len() - 3],
                    &"t".into(),
                    schema,
                    &ctx.task_ctx()
                )
                .is_err()
        );
    }

    #[test]
    fn an_unknown_function_is_refused_by_name() {
        let err = decode_function("qinglian_not_a_function", b"").unwrap_err();
        assert!(err.to_string().contains("qinglian_not_a_function"));
    }
}

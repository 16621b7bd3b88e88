//! The reference tables: `villages.parquet`, `cadres.parquet` and
//! `relations.parquet`, in village-code order.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, Date32Builder, Int64Array, RecordBatch, StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, SchemaRef};

use super::GenerateError;
use super::district::{District, Village};
use super::sink::{ParquetSink, Rows, TableWriter, field, schema};

/// Writes the three reference tables; returns their row counts.
pub(crate) fn write(d: &District, out_dir: &Path) -> Result<(u64, u64, u64), GenerateError> {
    let villages = write_villages(d, &out_dir.join("villages.parquet"))?;
    let mut cadres = TableWriter::create(&out_dir.join("cadres.parquet"), CadreRows::new())?;
    let mut relations =
        TableWriter::create(&out_dir.join("relations.parquet"), RelationRows::new())?;
    for v in &d.villages {
        let people = d.people(v);
        for c in &people.cadres {
            let person_id = d.person_id(c.person);
            cadres.push(&CadreRow {
                person_id: person_id.clone(),
                village_code: v.code.clone(),
                role: c.role,
                term_start: c.term_start,
                term_end: c.term_end,
            })?;
            for (kin, rel) in &c.kin {
                relations.push(&RelationRow {
                    person_id: person_id.clone(),
                    related_id: d.person_id(*kin),
                    relation: rel,
                })?;
            }
            for (supplier, rel) in &c.business {
                relations.push(&RelationRow {
                    person_id: person_id.clone(),
                    related_id: d.keys.supplier(*supplier),
                    relation: rel,
                })?;
            }
        }
    }
    Ok((villages, cadres.close()?, relations.close()?))
}

fn write_villages(d: &District, path: &Path) -> Result<u64, GenerateError> {
    let s = schema(vec![
        field("village_code", DataType::Utf8),
        field("village_name", DataType::Utf8),
        field("township_code", DataType::Utf8),
        field("township_name", DataType::Utf8),
        field("population", DataType::Int64),
        field("households", DataType::Int64),
        field("unit_type", DataType::Utf8),
    ]);
    let mut sink = ParquetSink::create(path, s.clone())?;
    for chunk in d.villages.chunks(super::sink::BATCH_ROWS) {
        let township = |v: &Village| &d.townships[v.township];
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(chunk.iter().map(|v| &v.code))),
            Arc::new(StringArray::from_iter_values(chunk.iter().map(|v| &v.name))),
            Arc::new(StringArray::from_iter_values(
                chunk.iter().map(|v| &township(v).code),
            )),
            Arc::new(StringArray::from_iter_values(
                chunk.iter().map(|v| &township(v).name),
            )),
            Arc::new(chunk.iter().map(|v| v.population).collect::<Int64Array>()),
            Arc::new(chunk.iter().map(|v| v.households).collect::<Int64Array>()),
            Arc::new(StringArray::from_iter_values(
                chunk
                    .iter()
                    .map(|v| if v.community { "community" } else { "village" }),
            )),
        ];
        let batch = RecordBatch::try_new(s.clone(), columns)
            .map_err(|e| GenerateError::Arrow("villages".into(), e))?;
        sink.write(&batch)?;
    }
    sink.close()
}

#[derive(Debug)]
struct CadreRow {
    person_id: String,
    village_code: String,
    role: &'static str,
    term_start: i32,
    term_end: Option<i32>,
}

#[derive(Debug)]
struct CadreRows {
    schema: SchemaRef,
    person_id: StringBuilder,
    village_code: StringBuilder,
    role: StringBuilder,
    term_start: Date32Builder,
    term_end: Date32Builder,
}

impl CadreRows {
    fn new() -> Self {
        Self {
            schema: schema(vec![
                field("person_id", DataType::Utf8),
                field("village_code", DataType::Utf8),
                field("role", DataType::Utf8),
                field("term_start", DataType::Date32),
                field("term_end", DataType::Date32),
            ]),
            person_id: StringBuilder::new(),
            village_code: StringBuilder::new(),
            role: StringBuilder::new(),
            term_start: Date32Builder::new(),
            term_end: Date32Builder::new(),
        }
    }
}

impl Rows for CadreRows {
    type Row = CadreRow;
    const TABLE: &'static str = "cadres";

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn push(&mut self, r: &CadreRow) {
        self.person_id.append_value(&r.person_id);
        self.village_code.append_value(&r.village_code);
        self.role.append_value(r.role);
        self.term_start.append_value(r.term_start);
        self.term_end.append_option(r.term_end);
    }

    fn len(&self) -> usize {
        self.person_id.len()
    }

    fn take_columns(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.person_id.finish()),
            Arc::new(self.village_code.finish()),
            Arc::new(self.role.finish()),
            Arc::new(self.term_start.finish()),
            Arc::new(self.term_end.finish()),
        ]
    }
}

#[derive(Debug)]
struct RelationRow {
    person_id: String,
    related_id: String,
    relation: &'static str,
}

#[derive(Debug)]
struct RelationRows {
    schema: SchemaRef,
    person_id: StringBuilder,
    related_id: StringBuilder,
    relation: StringBuilder,
}

impl RelationRows {
    fn new() -> Self {
        Self {
            schema: schema(vec![
                field("person_id", DataType::Utf8),
                field("related_id", DataType::Utf8),
                field("relation", DataType::Utf8),
            ]),
            person_id: StringBuilder::new(),
            related_id: StringBuilder::new(),
            relation: StringBuilder::new(),
        }
    }
}

impl Rows for RelationRows {
    type Row = RelationRow;
    const TABLE: &'static str = "relations";

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn push(&mut self, r: &RelationRow) {
        self.person_id.append_value(&r.person_id);
        self.related_id.append_value(&r.related_id);
        self.relation.append_value(r.relation);
    }

    fn len(&self) -> usize {
        self.person_id.len()
    }

    fn take_columns(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.person_id.finish()),
            Arc::new(self.related_id.finish()),
            Arc::new(self.relation.finish()),
        ]
    }
}

//! The real export style (`qinglian generate --export-style real`): after
//! the canonical files are written, rewrites three sources the way the
//! district's systems really export them, and writes the `catalog.toml`
//! (data contract 1.1, "The source catalog") that maps them back:
//!
//! - petitions: one GB18030 CSV `信访件.csv` (CRLF line ends, as a Windows
//!   system writes it), Chinese headers, Chinese labels for every
//!   enumeration, 是/否 for the booleans, dates as `2025年03月01日` and the
//!   reply deadline as `2025/03/01`, empty cells for nulls;
//! - cases: a UTF-8 CSV `问题线索.csv` with a byte-order mark and `;` as
//!   the delimiter, its extract headers, Chinese labels, ISO dates;
//! - trading: Parquet in place, with decimal amounts, the award day as a
//!   millisecond timestamp, the village code as an integer and Chinese
//!   labels for the award method.
//!
//! Villages, cadres, relations and assistance stay canonical Parquet, so
//! the directory mixes formats as a real one does. Person keys pass
//! through unchanged (they are pseudonymous); a value without a label (a
//! defect row's unmapped one) is written as it is, so that the pipeline
//! rejects it as it does in the canonical files. The canonical files that
//! were rewritten are removed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use arrow::datatypes::{
    DataType, Date32Type, Field, Float64Type, Int32Type, Int64Type, Schema, TimeUnit,
    TimestampMillisecondType,
};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatchReader;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::sink::ParquetSink;
use super::{GenerateError, vocab};
use crate::contract::{self, Column, Table};

const MS_PER_DAY: i64 = 86_400_000;
/// The precision and scale of the decimal amounts written.
const DECIMAL: (u8, i8) = (14, 2);

/// Canonical value → the system's label, per enumeration column.
type Labels = &'static [(&'static str, &'static [(&'static str, &'static str)])];

/// Roles of the accused (petitions) and of the subject (cases).
const ROLES: &[(&str, &str)] = &[
    ("secretary", "村党组织书记"),
    ("director", "村委会主任"),
    ("committee", "村两委委员"),
    ("supervisor", "村务监督委员会主任"),
    ("accountant", "村报账员"),
    ("other", "其他人员"),
    ("township_official", "乡镇干部"),
];

const PETITION_LABELS: Labels = &[
    (
        "channel",
        &[
            ("letter", "来信"),
            ("visit", "来访"),
            ("online", "网上"),
            ("phone", "电话"),
            ("other", "其他"),
        ],
    ),
    (
        "category",
        &[
            ("collective_assets", "三资管理"),
            ("land", "征地拆迁"),
            ("projects", "工程项目"),
            ("assistance", "惠民资金"),
            ("conduct", "作风问题"),
            ("elections", "换届选举"),
            ("other", "其他"),
        ],
    ),
    (
        "kind",
        &[
            ("accusation", "检举控告"),
            ("request", "求决"),
            ("suggestion", "意见建议"),
            ("appeal", "申诉"),
            ("enquiry", "咨询"),
        ],
    ),
    ("accused_role", ROLES),
    (
        "finding",
        &[
            ("substantiated", "属实"),
            ("partly", "部分属实"),
            ("unsubstantiated", "不属实"),
            ("pending", "核查中"),
        ],
    ),
    (
        "satisfaction",
        &[
            ("satisfied", "满意"),
            ("basically", "基本满意"),
            ("unsatisfied", "不满意"),
        ],
    ),
];

const CASE_LABELS: Labels = &[
    ("subject_role", ROLES),
    (
        "origin",
        &[
            ("petition", "信访举报"),
            ("inspection", "巡察移交"),
            ("audit", "审计移交"),
            ("big_data", "大数据预警"),
            ("self_report", "主动交代"),
            ("other", "其他"),
        ],
    ),
    (
        "disposal",
        &[
            ("talk", "谈话函询"),
            ("verify", "初步核实"),
            ("shelve", "暂存待查"),
            ("close", "予以了结"),
            ("pending", "待处置"),
        ],
    ),
    (
        "violation",
        &[
            ("embezzlement", "贪污挪用"),
            ("false_claims", "虚报冒领"),
            ("extortion", "吃拿卡要"),
            ("favouritism", "优亲厚友"),
            ("eight_rules", "违反中央八项规定精神"),
            ("collective_assets", "侵占集体资产"),
            ("bribery", "行贿受贿"),
            ("dereliction", "失职失责"),
            ("other", "其他"),
        ],
    ),
    (
        "sanction",
        &[
            ("none", "未处分"),
            ("criticism", "批评教育"),
            ("warning", "警告"),
            ("serious_warning", "严重警告"),
            ("removal", "撤销党内职务"),
            ("probation", "留党察看"),
            ("expulsion", "开除党籍"),
            ("prosecution", "移送司法机关"),
        ],
    ),
];

const TRADING_LABELS: Labels = &[(
    "method",
    &[
        ("open_tender", "公开招标"),
        ("invited", "邀请招标"),
        ("negotiation", "竞争性谈判"),
        ("inquiry", "询价"),
        ("lottery", "明标抽签"),
        ("direct", "直接发包"),
    ],
)];

/// The petition system's headers: (extract header, canonical name).
const PETITION_HEADERS: &[(&str, &str)] = &[
    ("信访件编号", "petition_id"),
    ("村社代码", "village_code"),
    ("受理日期", "received_date"),
    ("信访方式", "channel"),
    ("问题类别", "category"),
    ("信访类型", "kind"),
    ("被反映人职务", "accused_role"),
    ("被反映人", "accused_person_id"),
    ("信访人", "complainant_key"),
    ("是否匿名", "is_anonymous"),
    ("是否重复信访", "is_repeat"),
    ("办理期限", "due_date"),
    ("办结日期", "closed_date"),
    ("核查结论", "finding"),
    ("满意度", "satisfaction"),
];

/// How a CSV extract's text is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextEncoding {
    Gb18030,
    /// UTF-8 after a byte-order mark.
    Utf8Bom,
}

impl TextEncoding {
    /// The catalog's word for it.
    fn as_str(self) -> &'static str {
        match self {
            Self::Gb18030 => "gb18030",
            Self::Utf8Bom => "utf-8",
        }
    }
}

/// One source rewritten as a CSV extract, and what its catalog entry says.
#[derive(Debug)]
struct CsvExtract {
    table: &'static Table,
    /// File name in the data directory.
    file: &'static str,
    /// Why it looks as it does (the catalog's comment).
    comment: &'static str,
    encoding: TextEncoding,
    delimiter: u8,
    /// Lines end in CR LF.
    crlf: bool,
    /// (extract header, canonical name) of the renamed columns.
    headers: &'static [(&'static str, &'static str)],
    /// The same for the canonical files read (cases has its extract headers
    /// there already).
    read_as: &'static [(&'static str, &'static str)],
    /// The table's text date format; none for ISO 8601.
    date_format: Option<&'static str>,
    /// Per-column overrides: (canonical column, format).
    date_formats: &'static [(&'static str, &'static str)],
    /// The words for true and false; none for true/false.
    booleans: Option<(&'static str, &'static str)>,
    labels: Labels,
}

const PETITIONS: CsvExtract = CsvExtract {
    table: &contract::PETITIONS,
    file: "信访件.csv",
    comment: "信访举报: the petition system's export, one GB18030 CSV with CRLF lines, Chinese headers and labels, 是/否, Chinese dates.",
    encoding: TextEncoding::Gb18030,
    delimiter: b',',
    crlf: true,
    headers: PETITION_HEADERS,
    read_as: &[],
    date_format: Some("%Y年%m月%d日"),
    date_formats: &[("due_date", "%Y/%m/%d")],
    booleans: Some(("是", "否")),
    labels: PETITION_LABELS,
};

const CASES: CsvExtract = CsvExtract {
    table: &contract::CASES,
    file: "问题线索.csv",
    comment: "问题线索与案件: the case system's export, UTF-8 with a byte-order mark, ';' between fields, Chinese labels, ISO dates.",
    encoding: TextEncoding::Utf8Bom,
    delimiter: b';',
    crlf: false,
    headers: vocab::CASES_HEADERS,
    read_as: vocab::CASES_HEADERS,
    date_format: None,
    date_formats: &[],
    booleans: None,
    labels: CASE_LABELS,
};

/// The header of `canonical` in `headers`, else the canonical name.
fn header_of(
    headers: &'static [(&'static str, &'static str)],
    canonical: &'static str,
) -> &'static str {
    headers
        .iter()
        .find(|(_, c)| *c == canonical)
        .map_or(canonical, |(h, _)| h)
}

/// The label of `value` in `column`, or the value itself when it has none.
fn label<'v>(labels: Labels, column: &str, value: &'v str) -> &'v str {
    labels
        .iter()
        .find(|(c, _)| *c == column)
        .and_then(|(_, pairs)| pairs.iter().find(|(v, _)| *v == value))
        .map_or(value, |(_, l)| l)
}

fn arrow_error(table: &str, message: String) -> GenerateError {
    GenerateError::Arrow(table.to_string(), ArrowError::InvalidArgumentError(message))
}

/// Rewrites the canonical district in `out_dir` in the real export style
/// (see the module's description) and writes its `catalog.toml`.
pub(crate) fn restyle(out_dir: &Path) -> Result<(), GenerateError> {
    let mut replaced = write_csv(out_dir, &PETITIONS)?;
    replaced.extend(write_csv(out_dir, &CASES)?);
    restyle_trading(out_dir)?;
    super::write_text(&out_dir.join(crate::catalog::CATALOG_FILE), &catalog())?;
    for f in &replaced {
        std::fs::remove_file(f).map_err(GenerateError::io(f))?;
    }
    // The emptied partition directories, then the source's directory.
    let petitions = out_dir.join(contract::PETITIONS.name);
    for f in &replaced {
        let mut dir = f.parent();
        while let Some(d) = dir.filter(|d| d.starts_with(&petitions)) {
            let _ = std::fs::remove_dir(d);
            dir = d.parent();
        }
    }
    Ok(())
}

/// Removes the CSV extracts an earlier real-style run wrote (trading is
/// rewritten in place, and its files are removed with the canonical ones).
pub(crate) fn remove_stale(out_dir: &Path) -> Result<(), GenerateError> {
    for x in [&PETITIONS, &CASES] {
        let path = out_dir.join(x.file);
        if path.is_file() {
            std::fs::remove_file(&path).map_err(GenerateError::io(&path))?;
        }
    }
    Ok(())
}

/// The canonical Parquet files of `table`: `<name>.parquet`, else every
/// Parquet file under `<name>/`, in path order (as ingest reads them).
fn source_files(out_dir: &Path, table: &str) -> Result<Vec<PathBuf>, GenerateError> {
    let file = out_dir.join(format!("{table}.parquet"));
    if file.is_file() {
        return Ok(vec![file]);
    }
    let mut out = Vec::new();
    let mut stack = vec![out_dir.join(table)];
    while let Some(dir) = stack.pop() {
        for p in super::read_dir_sorted(&dir)? {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    if out.is_empty() {
        let message = format!("no Parquet file of {table} in {}", out_dir.display());
        return Err(arrow_error(table, message));
    }
    Ok(out)
}

fn read_parquet(table: &str, path: &Path) -> Result<ParquetRecordBatchReader, GenerateError> {
    let reading = |e: parquet::errors::ParquetError| {
        GenerateError::Arrow(
            table.to_string(),
            ArrowError::ParquetError(format!("reading {}: {e}", path.display())),
        )
    };
    let file = File::open(path).map_err(GenerateError::io(path))?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(ParquetRecordBatchReaderBuilder::build)
        .map_err(reading)
}

/// A text file being written in an extract's encoding, chunk by chunk.
struct TextSink {
    path: PathBuf,
    file: BufWriter<File>,
    encoding: TextEncoding,
}

impl TextSink {
    fn create(path: &Path, encoding: TextEncoding) -> Result<Self, GenerateError> {
        let file = File::create(path).map_err(GenerateError::io(path))?;
        let mut sink = Self {
            path: path.to_path_buf(),
            file: BufWriter::with_capacity(1 << 20, file),
            encoding,
        };
        if encoding == TextEncoding::Utf8Bom {
            sink.raw(b"\xEF\xBB\xBF")?;
        }
        Ok(sink)
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<(), GenerateError> {
        self.file
            .write_all(bytes)
            .map_err(GenerateError::io(&self.path))
    }

    /// Writes whole CSV records, UTF-8 text, in the sink's encoding.
    fn text(&mut self, utf8: &[u8]) -> Result<(), GenerateError> {
        let text = std::str::from_utf8(utf8).map_err(|e| GenerateError::Io {
            path: self.path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
        match self.encoding {
            TextEncoding::Utf8Bom => self.raw(text.as_bytes()),
            TextEncoding::Gb18030 => {
                // GB18030 encodes every Unicode scalar value.
                let (bytes, _, _) = encoding_rs::GB18030.encode(text);
                self.raw(&bytes)
            }
        }
    }

    fn close(mut self) -> Result<(), GenerateError> {
        self.file.flush().map_err(GenerateError::io(&self.path))
    }
}

/// How one canonical column is written as text.
#[derive(Debug)]
struct TextCell {
    column: &'static Column,
    /// Its index in the canonical batch.
    index: usize,
    date_format: &'static str,
    booleans: (&'static str, &'static str),
    labels: Labels,
}

impl TextCell {
    fn plan(x: &CsvExtract, schema: &Schema) -> Result<Vec<Self>, GenerateError> {
        let mut out = Vec::new();
        for c in x.table.columns {
            let name = header_of(x.read_as, c.name);
            let index = schema
                .index_of(name)
                .map_err(|e| GenerateError::Arrow(x.table.name.to_string(), e))?;
            let date_format = x
                .date_formats
                .iter()
                .find(|(col, _)| *col == c.name)
                .map(|(_, f)| *f)
                .or(x.date_format)
                .unwrap_or("%Y-%m-%d");
            out.push(Self {
                column: c,
                index,
                date_format,
                booleans: x.booleans.unwrap_or(("true", "false")),
                labels: x.labels,
            });
        }
        Ok(out)
    }

    /// The text of row `row` of `array` (its column), none for a null.
    fn text(&self, array: &dyn Array, row: usize) -> Result<Option<String>, String> {
        if array.is_null(row) {
            return Ok(None);
        }
        let day = |days: i64| format_day(days, self.date_format);
        let text = match array.data_type() {
            DataType::Utf8 => {
                let v = array.as_string::<i32>().value(row);
                label(self.labels, self.column.name, v).to_string()
            }
            DataType::Date32 => day(i64::from(array.as_primitive::<Date32Type>().value(row)))?,
            DataType::Timestamp(TimeUnit::Millisecond, None) => {
                let ms = array.as_primitive::<TimestampMillisecondType>().value(row);
                day(ms.div_euclid(MS_PER_DAY))?
            }
            // The shortest text that reads back as the same number.
            DataType::Float64 => array.as_primitive::<Float64Type>().value(row).to_string(),
            DataType::Decimal128(_, _) => {
                let a = array.as_any().downcast_ref::<Decimal128Array>();
                a.map(|a| a.value_as_string(row)).unwrap_or_default()
            }
            DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
            DataType::Int32 => array.as_primitive::<Int32Type>().value(row).to_string(),
            DataType::Boolean => {
                let (yes, no) = self.booleans;
                (if array.as_boolean().value(row) {
                    yes
                } else {
                    no
                })
                .to_string()
            }
            other => return Err(format!("column {} is {other}", self.column.name)),
        };
        Ok(Some(text))
    }
}

/// The day `days` after 1970-01-01 in the strftime `format`.
fn format_day(days: i64, format: &str) -> Result<String, String> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch");
    epoch
        .checked_add_signed(chrono::TimeDelta::days(days))
        .map(|d| d.format(format).to_string())
        .ok_or_else(|| format!("day {days} is out of range"))
}

/// Writes the CSV extract `x` from its canonical files; returns them.
fn write_csv(out_dir: &Path, x: &CsvExtract) -> Result<Vec<PathBuf>, GenerateError> {
    let name = x.table.name;
    let files = source_files(out_dir, name)?;
    let path = out_dir.join(x.file);
    let mut sink = TextSink::create(&path, x.encoding)?;
    let terminator = if x.crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut builder = csv::WriterBuilder::new();
    builder.delimiter(x.delimiter).terminator(terminator);
    // Whole records, batch by batch, into the text sink.
    let mut buf: Vec<u8> = Vec::new();
    let mut w = builder.from_writer(&mut buf);
    let header = x.table.columns.iter().map(|c| header_of(x.headers, c.name));
    w.write_record(header).map_err(GenerateError::csv(&path))?;
    drop(w);
    sink.text(&buf)?;
    let mut record: Vec<String> = Vec::with_capacity(x.table.columns.len());
    for f in &files {
        for batch in read_parquet(name, f)? {
            let batch = batch.map_err(|e| GenerateError::Arrow(name.to_string(), e))?;
            let cells = TextCell::plan(x, &batch.schema())?;
            buf.clear();
            let mut w = builder.from_writer(&mut buf);
            for row in 0..batch.num_rows() {
                record.clear();
                for cell in &cells {
                    let text = cell
                        .text(batch.column(cell.index).as_ref(), row)
                        .map_err(|m| arrow_error(name, format!("{}: {m}", f.display())))?;
                    record.push(text.unwrap_or_default());
                }
                w.write_record(&record).map_err(GenerateError::csv(&path))?;
            }
            w.flush().map_err(GenerateError::io(&path))?;
            drop(w);
            sink.text(&buf)?;
        }
    }
    sink.close()?;
    Ok(files)
}

/// Rewrites every trading file in place (through a temporary file).
fn restyle_trading(out_dir: &Path) -> Result<(), GenerateError> {
    let name = contract::TRADING.name;
    for f in source_files(out_dir, name)? {
        let mut temp = f.clone().into_os_string();
        temp.push(".tmp");
        let temp = PathBuf::from(temp);
        let mut sink: Option<ParquetSink> = None;
        for batch in read_parquet(name, &f)? {
            let batch = batch.map_err(|e| GenerateError::Arrow(name.to_string(), e))?;
            let batch = trading_batch(&batch)
                .map_err(|m| arrow_error(name, format!("{}: {m}", f.display())))?;
            if sink.is_none() {
                sink = Some(ParquetSink::create(&temp, batch.schema())?);
            }
            if let Some(s) = sink.as_mut() {
                s.write(&batch)?;
            }
        }
        // A file without rows still has its (restyled) columns.
        let sink = match sink {
            Some(s) => s,
            None => ParquetSink::create(&temp, Arc::new(trading_schema(&read_schema(name, &f)?)))?,
        };
        sink.close()?;
        std::fs::rename(&temp, &f).map_err(GenerateError::io(&f))?;
    }
    Ok(())
}

fn read_schema(table: &str, path: &Path) -> Result<Schema, GenerateError> {
    Ok(read_parquet(table, path)?.schema().as_ref().clone())
}

/// The restyled type of a trading column, if it changes.
fn trading_type(column: &str) -> Option<DataType> {
    match column {
        "village_code" => Some(DataType::Int64),
        "budget" | "contract_amount" | "change_amount" => {
            Some(DataType::Decimal128(DECIMAL.0, DECIMAL.1))
        }
        "awarded_date" => Some(DataType::Timestamp(TimeUnit::Millisecond, None)),
        _ => None,
    }
}

fn trading_schema(canonical: &Schema) -> Schema {
    let fields: Vec<Field> = canonical
        .fields()
        .iter()
        .map(|f| match trading_type(f.name()) {
            Some(t) => Field::new(f.name(), t, f.is_nullable()),
            None => f.as_ref().clone(),
        })
        .collect();
    Schema::new(fields)
}

/// A canonical trading batch as the trading platform exports it.
fn trading_batch(batch: &RecordBatch) -> Result<RecordBatch, String> {
    let schema = batch.schema();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (f, a) in schema.fields().iter().zip(batch.columns()) {
        let column = match (f.name().as_str(), a.data_type()) {
            ("village_code", DataType::Utf8) => integer_codes(a.as_string::<i32>())?,
            ("budget" | "contract_amount" | "change_amount", DataType::Float64) => {
                decimal_yuan(f.name(), a.as_primitive::<Float64Type>())?
            }
            ("awarded_date", DataType::Date32) => {
                let days = a.as_primitive::<Date32Type>();
                let ms: TimestampMillisecondArray = days.unary(|d| i64::from(d) * MS_PER_DAY);
                Arc::new(ms)
            }
            ("method", DataType::Utf8) => {
                let labels: StringArray = a
                    .as_string::<i32>()
                    .iter()
                    .map(|v| v.map(|v| label(TRADING_LABELS, "method", v)))
                    .collect();
                Arc::new(labels)
            }
            (name, t) if trading_type(name).is_some() => {
                return Err(format!("column {name} is {t}, not canonical"));
            }
            _ => a.clone(),
        };
        columns.push(column);
    }
    RecordBatch::try_new(Arc::new(trading_schema(&schema)), columns).map_err(|e| e.to_string())
}

/// Codes as integers; a code an integer cannot give back (a leading zero,
/// a non-digit) is refused.
fn integer_codes(codes: &StringArray) -> Result<ArrayRef, String> {
    let mut out = Vec::with_capacity(codes.len());
    for code in codes {
        out.push(match code {
            None => None,
            Some(c) => match c.parse::<i64>() {
                Ok(n) if n.to_string() == c => Some(n),
                _ => return Err(format!("village code '{c}' is not an integer code")),
            },
        });
    }
    Ok(Arc::new(Int64Array::from(out)))
}

/// Yuan as decimals of two places; an amount not in whole fen is refused
/// (the decimal could not give it back).
fn decimal_yuan(column: &str, yuan: &Float64Array) -> Result<ArrayRef, String> {
    let mut out = Vec::with_capacity(yuan.len());
    for y in yuan {
        out.push(match y {
            None => None,
            Some(y) => {
                let fen = (y * 100.0).round();
                if fen.abs() >= 1e15 || fen / 100.0 != y {
                    return Err(format!("{column} {y} is not in whole fen"));
                }
                Some(fen as i128)
            }
        });
    }
    Decimal128Array::from(out)
        .with_precision_and_scale(DECIMAL.0, DECIMAL.1)
        .map(|a| Arc::new(a) as ArrayRef)
        .map_err(|e| e.to_string())
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The district's `catalog.toml` in the real style.
fn catalog() -> String {
    let mut t = String::from(
        "# Source catalog (data contract 1.1, \"The source catalog\"): where each table's\n\
         # extract is and how it maps onto the canonical table. Written by\n\
         # `qinglian generate --export-style real`: the sources as the district's systems\n\
         # export them, next to reference tables and a source in canonical Parquet.\n",
    );
    t.push_str("\n# Reference tables and 社会救助 (assistance): canonical Parquet.\n");
    for table in [
        &contract::VILLAGES,
        &contract::CADRES,
        &contract::RELATIONS,
        &contract::ASSISTANCE,
    ] {
        t.push_str(&format!(
            "[sources.{}]\npath = \"{}.parquet\"\n",
            table.name, table.name
        ));
    }
    for x in [&PETITIONS, &CASES] {
        csv_entry(&mut t, x);
    }
    t.push_str(
        "\n# 公共资源交易 (trading): the platform's Parquet, one file per year; amounts as\n\
         # decimals, the award day as a timestamp, the village code as an integer,\n\
         # the award method as the platform's label.\n\
         [sources.trading]\npath = \"trading\"\nformat = \"parquet\"\n",
    );
    values(&mut t, "trading", TRADING_LABELS);
    t
}

/// The catalog entry of the CSV extract `x`.
fn csv_entry(t: &mut String, x: &CsvExtract) {
    let name = x.table.name;
    t.push_str(&format!("\n# {}\n[sources.{name}]\n", x.comment));
    t.push_str(&format!("path = {}\n", quoted(x.file)));
    t.push_str("format = \"csv\"\n");
    t.push_str(&format!("encoding = \"{}\"\n", x.encoding.as_str()));
    let delimiter = char::from(x.delimiter).to_string();
    t.push_str(&format!("delimiter = {}\n", quoted(&delimiter)));
    if let Some(f) = x.date_format {
        t.push_str(&format!("date_format = {}\n", quoted(f)));
    }
    if let Some((yes, no)) = x.booleans {
        t.push_str(&format!(
            "booleans = {{ true = [{}], false = [{}] }}\n",
            quoted(yes),
            quoted(no)
        ));
    }
    t.push_str(&format!(
        "\n# extract header = canonical name\n[sources.{name}.columns]\n"
    ));
    for (header, canonical) in x.headers {
        t.push_str(&format!("{} = \"{canonical}\"\n", quoted(header)));
    }
    values(t, name, x.labels);
    if !x.date_formats.is_empty() {
        t.push_str(&format!(
            "\n# per-column date formats\n[sources.{name}.date_formats]\n"
        ));
        for (column, format) in x.date_formats {
            t.push_str(&format!("{column} = {}\n", quoted(format)));
        }
    }
}

/// `[sources.<table>.values.<column>]` sections: label = canonical value.
fn values(t: &mut String, table: &str, labels: Labels) {
    if !labels.is_empty() {
        t.push_str("\n# extract label = canonical value, per canonical column\n");
    }
    for (i, (column, pairs)) in labels.iter().enumerate() {
        let gap = if i == 0 { "" } else { "\n" };
        t.push_str(&format!("{gap}[sources.{table}.values.{column}]\n"));
        for (canonical, label) in *pairs {
            t.push_str(&format!("{} = \"{canonical}\"\n", quoted(label)));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use std::collections::BTreeSet;

    use super::*;
    use crate::catalog::{Catalog, Encoding, Format};
    use crate::contract::Kind;
    use crate::generate::tests::{files, run, small};
    use crate::generate::{ExportStyle, GenerateOptions};

    fn real(seed: u64) -> GenerateOptions {
        GenerateOptions {
            export_style: ExportStyle::Real,
            defects: true,
            ..small(seed)
        }
    }

    #[test]
    fn every_enumeration_of_a_restyled_source_has_a_label_for_each_value() {
        for (table, labels) in [
            (&contract::PETITIONS, PETITION_LABELS),
            (&contract::CASES, CASE_LABELS),
        ] {
            for c in table.columns {
                let Kind::Enum(values) = c.kind else { continue };
                let (_, pairs) = labels
                    .iter()
                    .find(|(col, _)| *col == c.name)
                    .unwrap_or_else(|| panic!("{}.{} has no labels", table.name, c.name));
                let canonical: Vec<&str> = pairs.iter().map(|(v, _)| *v).collect();
                assert_eq!(canonical, values, "{}.{}", table.name, c.name);
                let distinct: BTreeSet<&str> = pairs.iter().map(|(_, l)| *l).collect();
                assert_eq!(distinct.len(), pairs.len(), "{}.{}", table.name, c.name);
            }
        }
        let Kind::Enum(methods) = contract::TRADING.column("method").unwrap().kind else {
            panic!("method is an enumeration");
        };
        let mapped: Vec<&str> = TRADING_LABELS[0].1.iter().map(|(v, _)| *v).collect();
        assert_eq!(mapped, methods);
        let headers: Vec<&str> = PETITION_HEADERS.iter().map(|(_, c)| *c).collect();
        let columns: Vec<&str> = contract::PETITIONS.columns.iter().map(|c| c.name).collect();
        assert_eq!(headers, columns);
    }

    #[test]
    fn the_real_style_leaves_only_extracts_and_a_catalog_that_reads_them() {
        let (dir, summary) = run(&real(16));
        let root = dir.path();
        for gone in ["petitions", "cases.parquet"] {
            assert!(!root.join(gone).exists(), "{gone}");
        }
        for kept in [
            "villages.parquet",
            "assistance.parquet",
            "ground_truth.csv",
            "defects.csv",
        ] {
            assert!(root.join(kept).is_file(), "{kept}");
        }
        let catalog = Catalog::load(root, None).unwrap();
        let p = catalog.location("petitions").unwrap();
        assert_eq!(
            (p.format, p.encoding, p.delimiter),
            (Format::Csv, Encoding::Gb18030, b',')
        );
        assert_eq!(p.date_format_of("due_date"), Some("%Y/%m/%d"));
        assert_eq!(p.values["channel"]["来访"], "visit");
        let c = catalog.location("cases").unwrap();
        assert_eq!(
            (c.format, c.encoding, c.delimiter),
            (Format::Csv, Encoding::Utf8, b';')
        );
        assert_eq!(c.path, root.join("问题线索.csv"));
        assert_eq!(
            catalog.location("trading").unwrap().values["method"]["直接发包"],
            "direct"
        );

        let bytes = std::fs::read(root.join("信访件.csv")).unwrap();
        assert!(std::str::from_utf8(&bytes).is_err());
        let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(&bytes);
        assert!(!had_errors);
        assert!(
            text.starts_with("信访件编号,村社代码,受理日期,"),
            "{}",
            &text[..60]
        );
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        assert_eq!(lines.len() as u64, summary.rows["petitions"] + 1);
        assert!(lines.iter().any(|l| l.contains("年") && l.contains(",否,")));

        let bytes = std::fs::read(root.join("问题线索.csv")).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        assert!(bytes[3..].starts_with("线索编号;村居代码;".as_bytes()));
        let text = std::str::from_utf8(&bytes).unwrap();
        assert_eq!(text.lines().count() as u64, summary.rows["cases"] + 1);
        assert!(text.contains(";谈话函询;") || text.contains(";初步核实;"));
        // The defect's unmapped label passes through, to be rejected.
        assert!(text.contains(";verified;"));
    }

    #[test]
    fn trading_is_restyled_in_place_with_the_platforms_types() {
        let (dir, summary) = run(&real(17));
        let files = source_files(dir.path(), "trading").unwrap();
        let mut rows = 0;
        for f in &files {
            let batches: Vec<RecordBatch> = read_parquet("trading", f)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let schema = batches[0].schema();
            let t = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
            assert_eq!(t("village_code"), DataType::Int64);
            assert_eq!(t("budget"), DataType::Decimal128(14, 2));
            assert_eq!(t("change_amount"), DataType::Decimal128(14, 2));
            assert_eq!(
                t("awarded_date"),
                DataType::Timestamp(TimeUnit::Millisecond, None)
            );
            assert_eq!(t("category"), DataType::Utf8);
            for b in &batches {
                rows += b.num_rows() as u64;
                let methods = b.column_by_name("method").unwrap().as_string::<i32>();
                assert!(methods.iter().flatten().all(|m| !m.is_ascii()));
            }
        }
        assert_eq!(rows, summary.rows["trading"]);
        assert!(files.iter().all(|f| !f.to_string_lossy().ends_with(".tmp")));
    }

    #[test]
    fn the_real_style_is_deterministic_and_a_canonical_run_after_it_is_canonical() {
        let (a, _) = run(&real(18));
        let (b, _) = run(&real(18));
        assert_eq!(files(a.path()), files(b.path()));
        // A canonical run over a real-style one leaves what a fresh one does.
        let canonical = GenerateOptions {
            defects: true,
            ..small(18)
        };
        crate::generate::generate(&canonical, a.path()).unwrap();
        let (c, _) = run(&canonical);
        assert_eq!(files(a.path()), files(c.path()));
    }

    #[test]
    fn amounts_and_codes_that_the_platform_types_cannot_hold_are_refused() {
        let y = Float64Array::from(vec![Some(12.34), None, Some(0.125)]);
        let err = decimal_yuan("budget", &y).unwrap_err();
        assert!(err.contains("0.125"), "{err}");
        let ok = decimal_yuan("budget", &Float64Array::from(vec![12.34])).unwrap();
        assert_eq!(
            ok.as_any()
                .downcast_ref::<Decimal128Array>()
                .unwrap()
                .value(0),
            1234
        );
        assert!(integer_codes(&StringArray::from(vec!["0123"])).is_err());
        assert!(integer_codes(&StringArray::from(vec!["990101001201"])).is_ok());
        assert_eq!(
            format_day(20_148, "%Y年%m月%d日").unwrap(),
            "2025年03月01日"
        );
    }
}

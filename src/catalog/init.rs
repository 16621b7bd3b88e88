//! `qinglian catalog init`: a first `catalog.toml` drafted from the
//! extracts themselves, to edit rather than to write from nothing. It finds
//! each table's extract (named after the table as in the contract's
//! layout, or any other CSV or Parquet file of the data directory whose
//! headers fit a table), detects a CSV file's encoding (UTF-8, else
//! GB18030) and delimiter, matches headers to canonical columns (canonical
//! names, then a dictionary of common Chinese headers), counts the
//! distinct values of enumerated and boolean columns and maps those a
//! dictionary of Chinese labels knows, detects the format of text dates,
//! and writes what it could not settle as comments beside what the
//! contract allows. docs/catalog.md lists the dictionaries.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{CATALOG_FILE, Encoding, Format};
use crate::contract::{self, Column, Kind, Table};
use crate::error::{Error, Result};

// ---------------------------------------------------------------------------
// The dictionaries (docs/catalog.md lists them).

/// Common headers of the district systems' exports, and the canonical
/// column each names. A header is looked up with its spaces removed,
/// full-width forms folded to ASCII, ASCII letters lower-cased and a
/// trailing parenthesis (a unit such as （元）) left out. An entry applies
/// to the tables that have its column; the first entry that fits wins.
pub const HEADERS: &[(&str, &str)] = &[
    // Every table.
    ("村社代码", "village_code"),
    ("村代码", "village_code"),
    ("村居代码", "village_code"),
    ("村(社区)代码", "village_code"),
    ("村社区代码", "village_code"),
    ("行政区划代码", "village_code"),
    ("区划代码", "village_code"),
    ("统计用区划代码", "village_code"),
    // villages
    ("村社名称", "village_name"),
    ("村名称", "village_name"),
    ("村名", "village_name"),
    ("村居名称", "village_name"),
    ("村(社区)名称", "village_name"),
    ("乡镇代码", "township_code"),
    ("乡镇街道代码", "township_code"),
    ("镇街代码", "township_code"),
    ("乡镇名称", "township_name"),
    ("乡镇街道名称", "township_name"),
    ("乡镇街道", "township_name"),
    ("乡镇", "township_name"),
    ("镇街", "township_name"),
    ("户籍人口", "population"),
    ("户籍人口数", "population"),
    ("人口数", "population"),
    ("人口", "population"),
    ("户数", "households"),
    ("户籍户数", "households"),
    ("村社类型", "unit_type"),
    ("单位类型", "unit_type"),
    ("村居类型", "unit_type"),
    // cadres (person_id also in relations and assistance)
    ("人员编号", "person_id"),
    ("人员标识", "person_id"),
    ("干部编号", "person_id"),
    ("救助对象编号", "person_id"),
    ("对象编号", "person_id"),
    ("职务", "role"),
    ("担任职务", "role"),
    ("任职开始日期", "term_start"),
    ("任职起始日期", "term_start"),
    ("任职日期", "term_start"),
    ("任期开始日期", "term_start"),
    ("任职结束日期", "term_end"),
    ("离任日期", "term_end"),
    ("任期结束日期", "term_end"),
    // relations
    ("关联人编号", "related_id"),
    ("关联对象编号", "related_id"),
    ("关系人编号", "related_id"),
    ("关系", "relation"),
    ("关系类型", "relation"),
    ("关联关系", "relation"),
    // petitions
    ("信访件编号", "petition_id"),
    ("信访编号", "petition_id"),
    ("信访举报件编号", "petition_id"),
    ("件编号", "petition_id"),
    ("受理日期", "received_date"),
    ("登记日期", "received_date"),
    ("收件日期", "received_date"),
    ("线索受理日期", "received_date"),
    ("信访方式", "channel"),
    ("信访渠道", "channel"),
    ("来源渠道", "channel"),
    ("反映方式", "channel"),
    ("问题类别", "category"),
    ("问题类型", "category"),
    ("反映问题类别", "category"),
    ("项目类别", "category"),
    ("项目类型", "category"),
    ("交易类别", "category"),
    ("信访类型", "kind"),
    ("信访性质", "kind"),
    ("信访类别", "kind"),
    ("件类型", "kind"),
    ("被反映人职务", "accused_role"),
    ("被举报人职务", "accused_role"),
    ("被反映人编号", "accused_person_id"),
    ("被反映人", "accused_person_id"),
    ("被举报人编号", "accused_person_id"),
    ("信访人标识", "complainant_key"),
    ("信访人编号", "complainant_key"),
    ("信访人", "complainant_key"),
    ("举报人编号", "complainant_key"),
    ("是否匿名", "is_anonymous"),
    ("匿名", "is_anonymous"),
    ("是否重复信访", "is_repeat"),
    ("是否重复件", "is_repeat"),
    ("是否重复", "is_repeat"),
    ("重复件", "is_repeat"),
    ("办理期限", "due_date"),
    ("答复期限", "due_date"),
    ("办结期限", "due_date"),
    ("应办结日期", "due_date"),
    ("办结日期", "closed_date"),
    ("结案日期", "closed_date"),
    ("审结日期", "closed_date"),
    ("核查结论", "finding"),
    ("调查结论", "finding"),
    ("查实情况", "finding"),
    ("满意度", "satisfaction"),
    ("满意度评价", "satisfaction"),
    ("群众满意度", "satisfaction"),
    // cases
    ("线索编号", "case_id"),
    ("问题线索编号", "case_id"),
    ("案件编号", "case_id"),
    ("被反映人编号", "subject_person_id"),
    ("被调查人编号", "subject_person_id"),
    ("涉及人员编号", "subject_person_id"),
    ("被反映人职务", "subject_role"),
    ("被调查人职务", "subject_role"),
    ("涉及人员职务", "subject_role"),
    ("线索来源", "origin"),
    ("问题线索来源", "origin"),
    ("处置方式", "disposal"),
    ("处置类型", "disposal"),
    ("立案日期", "filed_date"),
    ("违纪类型", "violation"),
    ("违纪违法类型", "violation"),
    ("问题性质", "violation"),
    ("涉及金额", "amount"),
    ("涉案金额", "amount"),
    ("处分", "sanction"),
    ("处分种类", "sanction"),
    ("处理结果", "sanction"),
    ("四种形态", "form"),
    ("运用形态", "form"),
    // trading
    ("项目编号", "project_id"),
    ("交易编号", "project_id"),
    ("交易方式", "method"),
    ("采购方式", "method"),
    ("发包方式", "method"),
    ("预算金额", "budget"),
    ("预算价", "budget"),
    ("控制价", "budget"),
    ("成交金额", "contract_amount"),
    ("合同金额", "contract_amount"),
    ("中标金额", "contract_amount"),
    ("投标人数", "bidder_count"),
    ("投标单位数", "bidder_count"),
    ("投标人数量", "bidder_count"),
    ("中标人编号", "winner_id"),
    ("中标单位编号", "winner_id"),
    ("成交供应商编号", "winner_id"),
    ("公告日期", "announced_date"),
    ("公告发布日期", "announced_date"),
    ("发布日期", "announced_date"),
    ("投标截止日期", "bid_deadline"),
    ("截止日期", "bid_deadline"),
    ("中标日期", "awarded_date"),
    ("成交日期", "awarded_date"),
    ("定标日期", "awarded_date"),
    ("开工日期", "start_date"),
    ("竣工日期", "completed_date"),
    ("完工日期", "completed_date"),
    ("变更金额", "change_amount"),
    ("变更追加金额", "change_amount"),
    ("追加金额", "change_amount"),
    ("是否公示", "publicized"),
    ("结果公示", "publicized"),
    ("是否结果公示", "publicized"),
    // assistance
    ("救助编号", "record_id"),
    ("救助记录编号", "record_id"),
    ("记录编号", "record_id"),
    ("家庭编号", "household_id"),
    ("户编号", "household_id"),
    ("救助类别", "program"),
    ("救助类型", "program"),
    ("救助项目", "program"),
    ("审批日期", "approved_date"),
    ("批准日期", "approved_date"),
    ("开始日期", "start_date"),
    ("享受开始日期", "start_date"),
    ("起始日期", "start_date"),
    ("结束日期", "end_date"),
    ("享受结束日期", "end_date"),
    ("停保日期", "end_date"),
    ("月救助金额", "monthly_amount"),
    ("月补助金额", "monthly_amount"),
    ("月保障金额", "monthly_amount"),
    ("每月金额", "monthly_amount"),
    ("最近复核日期", "last_review_date"),
    ("动态复核日期", "last_review_date"),
    ("复核日期", "last_review_date"),
    ("死亡日期", "death_date"),
    ("资产比对异常", "asset_flag"),
    ("有无超标资产", "asset_flag"),
    ("资产标志", "asset_flag"),
    ("是否亲属备案", "kin_filed"),
    ("近亲属备案", "kin_filed"),
    ("亲属备案", "kin_filed"),
];

/// Common labels of enumerated columns, and the canonical value each
/// stands for. A value is looked up with its spaces removed and ASCII
/// letters lower-cased; an entry applies to the columns that allow its
/// value; the first entry that fits wins (so 低保 is `dibao` in
/// `assistance.program` and `assistance` in `petitions.category`).
pub const LABELS: &[(&str, &str)] = &[
    // petitions.channel
    ("来信", "letter"),
    ("信件", "letter"),
    ("写信", "letter"),
    ("来访", "visit"),
    ("走访", "visit"),
    ("到访", "visit"),
    ("网上", "online"),
    ("网络", "online"),
    ("网上信访", "online"),
    ("网络举报", "online"),
    ("网站", "online"),
    ("微信", "online"),
    ("电话", "phone"),
    ("来电", "phone"),
    ("电话举报", "phone"),
    // petitions.category
    ("三资", "collective_assets"),
    ("三资管理", "collective_assets"),
    ("集体三资", "collective_assets"),
    ("集体资产", "collective_assets"),
    ("征地拆迁", "land"),
    ("征地", "land"),
    ("拆迁", "land"),
    ("土地", "land"),
    ("工程项目", "projects"),
    ("工程建设", "projects"),
    ("低保", "dibao"),
    ("惠民资金", "assistance"),
    ("惠民资金/低保", "assistance"),
    ("低保", "assistance"),
    ("社会救助", "assistance"),
    ("作风", "conduct"),
    ("作风问题", "conduct"),
    ("工作作风", "conduct"),
    ("换届选举", "elections"),
    ("选举", "elections"),
    ("换届", "elections"),
    // petitions.kind
    ("检举控告", "accusation"),
    ("检举", "accusation"),
    ("控告", "accusation"),
    ("举报", "accusation"),
    ("求决", "request"),
    ("意见建议", "suggestion"),
    ("批评建议", "suggestion"),
    ("建议", "suggestion"),
    ("申诉", "appeal"),
    ("咨询", "enquiry"),
    // roles: cadres.role, petitions.accused_role, cases.subject_role
    ("书记", "secretary"),
    ("村党组织书记", "secretary"),
    ("党支部书记", "secretary"),
    ("村支书", "secretary"),
    ("支书", "secretary"),
    ("主任", "director"),
    ("村委会主任", "director"),
    ("居委会主任", "director"),
    ("村主任", "director"),
    ("委员", "committee"),
    ("村委委员", "committee"),
    ("两委委员", "committee"),
    ("村两委委员", "committee"),
    ("村务监督委员会", "supervisor"),
    ("村务监督委员会主任", "supervisor"),
    ("监委会主任", "supervisor"),
    ("村监委", "supervisor"),
    ("报账员", "accountant"),
    ("会计", "accountant"),
    ("村报账员", "accountant"),
    ("其他人员", "other"),
    ("乡镇干部", "township_official"),
    ("乡镇工作人员", "township_official"),
    ("镇干部", "township_official"),
    // petitions.finding
    ("属实", "substantiated"),
    ("部分属实", "partly"),
    ("基本属实", "partly"),
    ("不属实", "unsubstantiated"),
    ("待查", "pending"),
    ("办理中", "pending"),
    ("核查中", "pending"),
    // petitions.satisfaction
    ("满意", "satisfied"),
    ("非常满意", "satisfied"),
    ("基本满意", "basically"),
    ("不满意", "unsatisfied"),
    // cases.origin
    ("信访举报", "petition"),
    ("信访", "petition"),
    ("巡察", "inspection"),
    ("巡视巡察", "inspection"),
    ("巡察移交", "inspection"),
    ("审计", "audit"),
    ("审计移送", "audit"),
    ("审计移交", "audit"),
    ("大数据预警", "big_data"),
    ("大数据监督", "big_data"),
    ("大数据", "big_data"),
    ("主动投案", "self_report"),
    ("主动交代", "self_report"),
    // cases.disposal
    ("谈话函询", "talk"),
    ("谈话", "talk"),
    ("函询", "talk"),
    ("初步核实", "verify"),
    ("初核", "verify"),
    ("暂存待查", "shelve"),
    ("予以了结", "close"),
    ("了结", "close"),
    ("待处置", "pending"),
    // cases.violation
    ("贪污挪用", "embezzlement"),
    ("贪污", "embezzlement"),
    ("挪用", "embezzlement"),
    ("虚报冒领", "false_claims"),
    ("吃拿卡要", "extortion"),
    ("优亲厚友", "favouritism"),
    ("违反八项规定", "eight_rules"),
    ("违反中央八项规定精神", "eight_rules"),
    ("八项规定", "eight_rules"),
    ("侵占集体资产", "collective_assets"),
    ("受贿", "bribery"),
    ("行贿受贿", "bribery"),
    ("失职渎职", "dereliction"),
    ("渎职", "dereliction"),
    ("失职失责", "dereliction"),
    // cases.sanction
    ("无", "none"),
    ("未处分", "none"),
    ("批评教育", "criticism"),
    ("批评", "criticism"),
    ("警告", "warning"),
    ("严重警告", "serious_warning"),
    ("撤销职务", "removal"),
    ("撤销党内职务", "removal"),
    ("留党察看", "probation"),
    ("开除党籍", "expulsion"),
    ("开除", "expulsion"),
    ("移送司法", "prosecution"),
    ("移送司法机关", "prosecution"),
    // trading.category
    ("工程", "works"),
    ("工程类", "works"),
    ("工程项目", "works"),
    ("工程建设", "works"),
    ("货物", "goods"),
    ("货物类", "goods"),
    ("服务", "services"),
    ("服务类", "services"),
    ("资产租赁", "asset_lease"),
    ("租赁", "asset_lease"),
    ("资产出租", "asset_lease"),
    ("资产出让", "asset_sale"),
    ("资产出售", "asset_sale"),
    ("资产转让", "asset_sale"),
    // trading.method
    ("公开招标", "open_tender"),
    ("邀请招标", "invited"),
    ("竞争性谈判", "negotiation"),
    ("竞争性磋商", "negotiation"),
    ("询价", "inquiry"),
    ("询价比选", "inquiry"),
    ("比选", "inquiry"),
    ("明标抽签", "lottery"),
    ("抽签", "lottery"),
    ("直接发包", "direct"),
    ("直接委托", "direct"),
    // assistance.program
    ("最低生活保障", "dibao"),
    ("城乡低保", "dibao"),
    ("特困", "tekun"),
    ("特困供养", "tekun"),
    ("特困人员", "tekun"),
    ("临时救助", "temporary"),
    ("残疾人补贴", "disability"),
    ("残疾人两项补贴", "disability"),
    // villages.unit_type
    ("村", "village"),
    ("行政村", "village"),
    ("社区", "community"),
    // relations.relation
    ("配偶", "spouse"),
    ("夫妻", "spouse"),
    ("父母", "parent"),
    ("父亲", "parent"),
    ("母亲", "parent"),
    ("子女", "child"),
    ("儿子", "child"),
    ("女儿", "child"),
    ("兄弟姐妹", "sibling"),
    ("姻亲", "in_law"),
    ("其他亲属", "other_kin"),
    ("法定代表人", "legal_rep"),
    ("法人", "legal_rep"),
    ("股东", "shareholder"),
    ("员工", "employee"),
    ("雇员", "employee"),
    // Every column with `other`; relations' is `other_kin`.
    ("其他", "other"),
    ("其它", "other"),
    ("其他", "other_kin"),
    ("其它", "other_kin"),
];

/// Words for true in boolean columns (beyond true and 1, which are always
/// read), lower-case.
pub const TRUE_WORDS: &[&str] = &[
    "是",
    "有",
    "y",
    "yes",
    "√",
    "已公示",
    "公示",
    "已备案",
    "备案",
    "匿名",
    "重复",
    "重复件",
];

/// Words for false (beyond false and 0), lower-case.
pub const FALSE_WORDS: &[&str] = &[
    "否",
    "无",
    "n",
    "no",
    "×",
    "未公示",
    "不公示",
    "未备案",
    "实名",
    "非匿名",
    "不重复",
    "首次件",
];

/// The text date formats tried, in order; ISO 8601 (`2025-03-01`) is
/// always read and needs none.
pub const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d"];

/// Values of one column listed in the draft at most; the rest are counted.
const MAX_LISTED: usize = 60;

/// Distinct values of one column counted at most (an id column taken for
/// an enumeration would otherwise fill memory).
const MAX_DISTINCT: usize = 10_000;

// ---------------------------------------------------------------------------
// What the draft holds.

/// The catalog drafted for a data directory: one entry per table found,
/// and the files left out with why.
#[derive(Debug, Clone)]
pub struct Draft {
    pub data_dir: PathBuf,
    /// In contract order.
    pub tables: Vec<TableDraft>,
    /// Canonical tables no extract was found for.
    pub not_found: Vec<&'static str>,
    /// Files or directories read but not placed, with the reason.
    pub unplaced: Vec<(String, String)>,
}

/// One table's entry.
#[derive(Debug, Clone)]
pub struct TableDraft {
    pub table: &'static Table,
    /// Relative to the data directory, `/`-separated.
    pub path: String,
    pub format: Format,
    pub files: usize,
    pub rows: u64,
    /// CSV only.
    pub encoding: Option<Encoding>,
    /// CSV only.
    pub delimiter: Option<u8>,
    /// Every header of the extract (its first file), in order, with the
    /// canonical column it was matched to.
    pub headers: Vec<(String, Option<&'static str>)>,
    /// Canonical columns no header was matched to (ingest needs every
    /// column, a nullable one too).
    pub missing: Vec<&'static Column>,
    /// The table's text date format, when one is needed.
    pub date_format: Option<&'static str>,
    /// Date columns whose format differs from the table's.
    pub date_formats: BTreeMap<&'static str, &'static str>,
    /// Boolean words found: (true words, false words).
    pub booleans: (Vec<String>, Vec<String>),
    /// Per enumerated column, the values that are not canonical, most
    /// frequent first.
    pub values: BTreeMap<&'static str, Vec<ValueDraft>>,
    /// Per column, values nothing reads: dates no format reads, numbers
    /// that do not read as numbers, words that are not boolean words.
    pub unread: Vec<Unread>,
    /// Anything else to tell (files in another encoding, amounts in 万元,
    /// a column with more distinct values than are counted).
    pub notes: Vec<String>,
}

/// One distinct value of an enumerated column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueDraft {
    /// As ingest sees it: trimmed, full-width digits and letters folded.
    pub value: String,
    pub rows: u64,
    /// The canonical value the label dictionary gives, if any.
    pub canonical: Option<&'static str>,
}

/// Values of one column that nothing in the draft reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    pub column: &'static str,
    pub rows: u64,
    /// One of them.
    pub example: String,
    /// What they fail to be: "date", "number", "integer", "boolean word".
    pub what: &'static str,
}

impl TableDraft {
    /// The value map the draft writes for `column`: value → canonical.
    pub fn mapped(&self, column: &str) -> BTreeMap<&str, &str> {
        self.values
            .get(column)
            .into_iter()
            .flatten()
            .filter_map(|v| Some((v.value.as_str(), v.canonical?)))
            .collect()
    }

    /// Headers matched to no canonical column.
    pub fn unmatched_headers(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(_, c)| c.is_none())
            .map(|(h, _)| h.as_str())
            .collect()
    }

    /// One line for the terminal: where, how, what is left to do.
    pub fn summary(&self) -> String {
        let how = match (self.encoding, self.delimiter) {
            (Some(e), Some(d)) => {
                format!("csv, {}, {}", e.as_str(), quote(&char::from(d).to_string()))
            }
            _ => "parquet".to_string(),
        };
        let matched = self.headers.iter().filter(|(_, c)| c.is_some()).count();
        let mut parts = vec![
            format!("{:<11} {} ({how})", self.table.name, self.path),
            plural(self.rows, "row"),
            format!("{matched} of {} headers matched", self.headers.len()),
        ];
        if !self.missing.is_empty() {
            parts.push(format!("missing {}", missing_names(&self.missing)));
        }
        let values: Vec<&ValueDraft> = self.values.values().flatten().collect();
        let mapped = values.iter().filter(|v| v.canonical.is_some()).count();
        if mapped > 0 {
            parts.push(plural(mapped as u64, "label") + " mapped");
        }
        let open = values.len() - mapped + self.unread.len();
        if open > 0 {
            parts.push(plural(open as u64, "commented line") + " to settle");
        }
        parts.join("; ")
    }
}

// ---------------------------------------------------------------------------
// Drafting and writing.

/// Reads the extracts of `data_dir` and drafts their catalog.
pub fn draft(data_dir: &Path) -> Result<Draft> {
    if !data_dir.is_dir() {
        return Err(Error::Input {
            path: data_dir.to_path_buf(),
            message: "the data directory does not exist; pass --data DIR with the extracts".into(),
        });
    }
    let mut unplaced = Vec::new();
    let mut opened = Vec::new();
    for c in discover(data_dir)? {
        match open(&c) {
            Ok(o) => opened.push((c, o)),
            Err(reason) => unplaced.push((c.rel, reason)),
        }
    }
    let mut tables = Vec::new();
    for (i, table) in assign(&opened, &mut unplaced) {
        let (c, o) = &opened[i];
        match analyse(c, o, table) {
            Ok(d) => tables.push(d),
            Err(reason) => unplaced.push((c.rel.clone(), reason)),
        }
    }
    tables.sort_by_key(|t| position(t.table));
    // The counties table is the contract's optional extension: a district
    // has none to miss.
    let not_found = contract::TABLES
        .iter()
        .filter(|t| t.name != contract::COUNTIES.name && t.name != contract::DISPOSITIONS.name)
        .filter(|t| tables.iter().all(|d| d.table.name != t.name))
        .map(|t| t.name)
        .collect();
    Ok(Draft {
        data_dir: data_dir.to_path_buf(),
        tables,
        not_found,
        unplaced,
    })
}

/// Drafts the catalog of `data_dir` into `out` (default
/// `<data_dir>/catalog.toml`); an existing file is kept unless `force`.
/// Returns where it wrote, and the draft.
pub fn write(data_dir: &Path, out: Option<&Path>, force: bool) -> Result<(PathBuf, Draft)> {
    let path = out.map_or_else(|| data_dir.join(CATALOG_FILE), Path::to_path_buf);
    if path.exists() && !force {
        return Err(Error::Request(format!(
            "{} already exists; pass --force to overwrite it, or --out FILE to write the draft elsewhere",
            path.display()
        )));
    }
    let d = draft(data_dir)?;
    std::fs::write(&path, d.to_toml()).map_err(Error::io("writing", &path))?;
    Ok((path, d))
}

fn position(table: &Table) -> usize {
    contract::TABLES
        .iter()
        .position(|t| t.name == table.name)
        .unwrap_or(usize::MAX)
}

// ---------------------------------------------------------------------------
// Finding the extracts.

/// A file, or a directory of files, that may hold a table.
#[derive(Debug)]
struct Candidate {
    /// Relative to the data directory.
    rel: String,
    files: Vec<PathBuf>,
    format: Format,
    /// Named after this table.
    named: Option<&'static Table>,
}

/// Every table's extract by its contract name (`<name>.parquet`,
/// `<name>.csv`, `<name>/`), then every other CSV or Parquet file at the
/// top of the data directory.
fn discover(data_dir: &Path) -> Result<Vec<Candidate>> {
    let mut out = Vec::new();
    for table in contract::TABLES {
        if let Some(c) = named(data_dir, table)? {
            out.push(c);
        }
    }
    let mut others = Vec::new();
    for e in std::fs::read_dir(data_dir).map_err(Error::unreadable(data_dir))? {
        let path = e.map_err(Error::unreadable(data_dir))?.path();
        let name = file_name(&path);
        let claimed = out.iter().any(|c| c.files.contains(&path));
        if path.is_file()
            && !claimed
            && !hidden(&name)
            && let Some(format) = format_of(&name)
        {
            others.push(Candidate {
                rel: name,
                files: vec![path],
                format,
                named: None,
            });
        }
    }
    others.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.extend(others);
    Ok(out)
}

fn named(data_dir: &Path, table: &'static Table) -> Result<Option<Candidate>> {
    for format in [Format::Parquet, Format::Csv] {
        let rel = format!("{}.{}", table.name, extension(format));
        let path = data_dir.join(&rel);
        if path.is_file() {
            return Ok(Some(Candidate {
                rel,
                files: vec![path],
                format,
                named: Some(table),
            }));
        }
    }
    let dir = data_dir.join(table.name);
    if !dir.is_dir() {
        return Ok(None);
    }
    let all = files_under(&dir)?;
    // As ingest lists a directory: the extension exactly, Parquet first.
    for format in [Format::Parquet, Format::Csv] {
        let suffix = format!(".{}", extension(format));
        let files: Vec<PathBuf> = all
            .iter()
            .filter(|f| file_name(f).ends_with(&suffix))
            .cloned()
            .collect();
        if !files.is_empty() {
            return Ok(Some(Candidate {
                rel: table.name.to_string(),
                files,
                format,
                named: Some(table),
            }));
        }
    }
    Ok(None)
}

/// The files under `dir`, recursively, sorted; hidden ones (`.`, `_`) left out.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(Error::unreadable(&d))? {
            let path = e.map_err(Error::unreadable(&d))?.path();
            if hidden(&file_name(&path)) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn hidden(name: &str) -> bool {
    name.starts_with(['.', '_'])
}

fn format_of(name: &str) -> Option<Format> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".parquet") {
        Some(Format::Parquet)
    } else if lower.ends_with(".csv") {
        Some(Format::Csv)
    } else {
        None
    }
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Parquet => "parquet",
        Format::Csv => "csv",
    }
}

// ---------------------------------------------------------------------------
// Reading the extracts.

/// An extract's first file opened: its headers, whether each holds text,
/// and for CSV how the text is written.
#[derive(Debug)]
struct Opened {
    headers: Vec<String>,
    text: Vec<bool>,
    encoding: Option<Encoding>,
    delimiter: Option<u8>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV file's text: UTF-8 (a byte-order mark dropped) when it is valid
/// UTF-8, else GB18030 when it is valid GB18030.
fn decode(path: &Path) -> std::result::Result<(String, Encoding), String> {
    let mut bytes = std::fs::read(path).map_err(|e| format!("cannot be read ({e})"))?;
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((text, Encoding::Utf8)),
        Err(e) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(e.as_bytes())
            .map(|t| (t.into_owned(), Encoding::Gb18030))
            .ok_or_else(|| "is neither UTF-8 nor GB18030 text; re-export it in one of them".into()),
    }
}

/// The most frequent of `,` `;` `|` and tab in the header line (`,` when
/// there is none).
fn delimiter_of(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    let mut best = (0, b',');
    for d in [b',', b';', b'|', b'\t'] {
        let n = header.bytes().filter(|&b| b == d).count();
        if n > best.0 {
            best = (n, d);
        }
    }
    best.1
}

fn csv_reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// The header of a CSV file as ingest reads it: each name trimmed.
fn csv_headers(reader: &mut csv::Reader<&[u8]>) -> std::result::Result<Vec<String>, String> {
    Ok(reader
        .headers()
        .map_err(|e| format!("cannot be read as CSV ({e})"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect())
}

fn is_text(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_text(v),
        _ => false,
    }
}

fn open(c: &Candidate) -> std::result::Result<Opened, String> {
    let first = c.files.first().ok_or("holds no file")?;
    match c.format {
        Format::Csv => {
            let (text, encoding) = decode(first)?;
            let delimiter = delimiter_of(&text);
            let headers = csv_headers(&mut csv_reader(&text, delimiter))?;
            Ok(Opened {
                text: vec![true; headers.len()],
                headers,
                encoding: Some(encoding),
                delimiter: Some(delimiter),
            })
        }
        Format::Parquet => {
            let file = File::open(first).map_err(|e| format!("cannot be read ({e})"))?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| format!("is not a readable Parquet file ({e})"))?;
            let fields = builder.schema().fields();
            Ok(Opened {
                headers: fields.iter().map(|f| f.name().clone()).collect(),
                text: fields.iter().map(|f| is_text(f.data_type())).collect(),
                encoding: None,
                delimiter: None,
            })
        }
    }
}

/// A column whose values are counted.
#[derive(Debug)]
struct Want {
    header: String,
    column: &'static Column,
}

/// What was counted of one column.
#[derive(Debug, Default, Clone)]
struct Counts {
    /// Distinct values (enumerations, booleans, dates) and their rows.
    values: BTreeMap<String, u64>,
    /// Rows past [`MAX_DISTINCT`] distinct values.
    overflow: u64,
    /// Numbers that do not read as numbers, and one of them.
    bad: u64,
    example: Option<String>,
}

const WHITESPACE: &[char] = &[' ', '\t', '\r', '\n', '\u{3000}', '\u{a0}'];

/// A text value as ingest normalises it before the value map: trimmed,
/// then (but for booleans) full-width digits, letters and `－` folded.
fn normalise(raw: &str, fold: bool) -> String {
    let t = raw.trim_matches(WHITESPACE);
    if !fold {
        return t.to_string();
    }
    t.chars()
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' | '－' => {
                char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

fn tally(kind: Kind, raw: &str, counts: &mut Counts) {
    let v = normalise(raw, kind != Kind::Bool);
    if v.is_empty() {
        return;
    }
    let bad = match kind {
        Kind::Amount => v.parse::<f64>().is_err(),
        Kind::Count => v.parse::<i64>().is_err(),
        _ => {
            if counts.values.len() < MAX_DISTINCT || counts.values.contains_key(&v) {
                *counts.values.entry(v).or_default() += 1;
            } else {
                counts.overflow += 1;
            }
            return;
        }
    };
    if bad {
        counts.bad += 1;
        counts.example.get_or_insert(v);
    }
}

/// Counts the wanted columns of one CSV file; its rows, and its encoding.
fn tally_csv(
    path: &Path,
    delimiter: u8,
    wants: &[Want],
    counts: &mut [Counts],
) -> std::result::Result<(u64, Encoding), String> {
    let (text, encoding) = decode(path)?;
    let mut reader = csv_reader(&text, delimiter);
    let headers = csv_headers(&mut reader)?;
    let at: Vec<Option<usize>> = wants
        .iter()
        .map(|w| headers.iter().position(|h| *h == w.header))
        .collect();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.map_err(|e| format!("cannot be read as CSV ({e})"))?;
        rows += 1;
        for ((w, i), counts) in wants.iter().zip(&at).zip(counts.iter_mut()) {
            if let Some(v) = i.and_then(|i| record.get(i)) {
                tally(w.column.kind, v, counts);
            }
        }
    }
    Ok((rows, encoding))
}

/// Counts the wanted columns of one Parquet file; its rows.
fn tally_parquet(
    path: &Path,
    wants: &[Want],
    counts: &mut [Counts],
) -> std::result::Result<u64, String> {
    let unreadable = |e: &dyn std::fmt::Display| format!("is not a readable Parquet file ({e})");
    let file = File::open(path).map_err(|e| format!("cannot be read ({e})"))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| unreadable(&e))?;
    let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let schema = builder.schema().clone();
    let mut roots: Vec<usize> = wants
        .iter()
        .filter_map(|w| schema.index_of(&w.header).ok())
        .collect();
    roots.sort_unstable();
    roots.dedup();
    if roots.is_empty() {
        return Ok(rows);
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .build()
        .map_err(|e| unreadable(&e))?;
    for batch in reader {
        let batch = batch.map_err(|e| unreadable(&e))?;
        for (w, counts) in wants.iter().zip(counts.iter_mut()) {
            let Some(col) = batch.column_by_name(&w.header) else {
                continue;
            };
            if !is_text(col.data_type()) {
                continue;
            }
            let text = cast(col, &DataType::Utf8).map_err(|e| unreadable(&e))?;
            for v in text.as_string::<i32>().iter().flatten() {
                tally(w.column.kind, v, counts);
            }
        }
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------
// Matching headers and tables.

/// A header as it is looked up: spaces removed, full-width forms folded,
/// ASCII lower-cased, a trailing parenthesis left out; and the
/// parenthesis' content.
fn header_key(header: &str) -> (String, Option<String>) {
    let key: String = header
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect::<String>()
        .to_ascii_lowercase();
    if let Some(inner) = key.strip_suffix(')')
        && let Some(open) = inner.rfind('(')
        && open > 0
    {
        return (key[..open].to_string(), Some(inner[open + 1..].to_string()));
    }
    (key, None)
}

/// The canonical column of `table` a header names: its own name (in any
/// case or spacing), else the header dictionary's.
fn canonical_of(table: &'static Table, header: &str) -> Option<&'static str> {
    let (key, _) = header_key(header);
    if let Some(c) = table.column(&key) {
        return Some(c.name);
    }
    HEADERS
        .iter()
        .find(|(h, c)| *h == key && table.column(c).is_some())
        .map(|(_, c)| *c)
}

/// Each header's canonical column in `table`: exact canonical names first,
/// then the dictionary; a column is given to one header only.
fn match_headers(table: &'static Table, headers: &[String]) -> Vec<Option<&'static str>> {
    let mut out: Vec<Option<&'static str>> = headers
        .iter()
        .map(|h| table.column(h).map(|c| c.name))
        .collect();
    for (i, h) in headers.iter().enumerate() {
        if out[i].is_some() {
            continue;
        }
        let c = canonical_of(table, h);
        if c.is_some() && !out.contains(&c) {
            out[i] = c;
        }
    }
    out
}

/// How well headers fit a table: (required columns matched, columns
/// matched); `None` when too few fit to take the file for the table.
fn fit(table: &'static Table, headers: &[String]) -> Option<(usize, usize)> {
    let matched: Vec<&str> = match_headers(table, headers)
        .into_iter()
        .flatten()
        .collect();
    let required = table.columns.iter().filter(|c| !c.nullable).count();
    let got = table
        .columns
        .iter()
        .filter(|c| !c.nullable && matched.contains(&c.name))
        .count();
    (got >= required.min(3)).then_some((got, matched.len()))
}

/// Which table each extract is read as: a named one as its name says,
/// another as the free table its headers fit best. Files that fit none,
/// or only a table already taken, go to `unplaced`.
fn assign(
    opened: &[(Candidate, Opened)],
    unplaced: &mut Vec<(String, String)>,
) -> Vec<(usize, &'static Table)> {
    let mut out: Vec<(usize, &'static Table)> = opened
        .iter()
        .enumerate()
        .filter_map(|(i, (c, _))| Some((i, c.named?)))
        .collect();
    let mut fits = Vec::new();
    for (i, (c, o)) in opened.iter().enumerate() {
        if c.named.is_none() {
            for t in contract::TABLES {
                if let Some(score) = fit(t, &o.headers) {
                    fits.push((score, i, t));
                }
            }
        }
    }
    fits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i, t) in &fits {
        let free = out.iter().all(|(j, u)| j != i && u.name != t.name);
        if free {
            out.push((*i, t));
        }
    }
    for (i, (c, o)) in opened.iter().enumerate() {
        if out.iter().any(|(j, _)| *j == i) {
            continue;
        }
        let reason = match fits.iter().find(|(_, j, _)| *j == i) {
            Some(((_, n), _, t)) => {
                let holder = out
                    .iter()
                    .find(|(_, u)| u.name == t.name)
                    .map_or("", |(j, _)| opened[*j].0.rel.as_str());
                format!(
                    "looks like {} ({n} headers matched), which is read from {}; point [sources.{}] path at it if it is the right one",
                    t.name,
                    quote(holder),
                    t.name
                )
            }
            None => format!("its headers fit no table ({})", o.headers.join(", ")),
        };
        unplaced.push((c.rel.clone(), reason));
    }
    out
}

// ---------------------------------------------------------------------------
// Analysing one table's extract.

/// Reads every file of `c` as `table` and drafts its entry.
fn analyse(
    c: &Candidate,
    o: &Opened,
    table: &'static Table,
) -> std::result::Result<TableDraft, String> {
    let matched = match_headers(table, &o.headers);
    let wants: Vec<Want> = o
        .headers
        .iter()
        .zip(&matched)
        .zip(&o.text)
        .filter_map(|((h, m), text)| {
            let column = table.column((*m)?)?;
            (*text && column.kind != Kind::Text).then(|| Want {
                header: h.clone(),
                column,
            })
        })
        .collect();
    let mut counts = vec![Counts::default(); wants.len()];
    let mut d = TableDraft {
        table,
        path: c.rel.clone(),
        format: c.format,
        files: c.files.len(),
        rows: 0,
        encoding: o.encoding,
        delimiter: o.delimiter,
        headers: o
            .headers
            .iter()
            .cloned()
            .zip(matched.iter().copied())
            .collect(),
        missing: table
            .columns
            .iter()
            .filter(|col| !matched.contains(&Some(col.name)))
            .collect(),
        date_format: None,
        date_formats: BTreeMap::new(),
        booleans: (Vec::new(), Vec::new()),
        values: BTreeMap::new(),
        unread: Vec::new(),
        notes: units(&o.headers),
    };
    for f in &c.files {
        d.rows += match (c.format, o.delimiter) {
            (Format::Csv, Some(delimiter)) => {
                let (rows, encoding) = tally_csv(f, delimiter, &wants, &mut counts)?;
                if Some(encoding) != o.encoding {
                    d.notes.push(format!(
                        "{} is in {}, the first file in {}; the catalog takes one encoding per table",
                        quote(&file_name(f)),
                        encoding.as_str(),
                        o.encoding.map_or("", Encoding::as_str)
                    ));
                }
                rows
            }
            _ => tally_parquet(f, &wants, &mut counts)?,
        };
    }
    settle(&mut d, &wants, &counts);
    Ok(d)
}

/// Notes on headers whose unit is 万元: the contract takes yuan.
fn units(headers: &[String]) -> Vec<String> {
    headers
        .iter()
        .filter(|h| header_key(h).1.is_some_and(|u| u.contains("万元")))
        .map(|h| {
            format!(
                "{} is in 万元 (10,000 yuan); the contract takes yuan, so convert it in the extract",
                quote(h)
            )
        })
        .collect()
}

/// Turns the counts into the entry's value maps, boolean words, date
/// formats and unread values.
fn settle(d: &mut TableDraft, wants: &[Want], counts: &[Counts]) {
    let mut dates = Vec::new();
    for (w, n) in wants.iter().zip(counts) {
        let name = w.column.name;
        match w.column.kind {
            Kind::Enum(allowed) => {
                let v = enum_values(allowed, n);
                if !v.is_empty() {
                    d.values.insert(name, v);
                }
            }
            Kind::Bool => boolean_words(d, name, n),
            Kind::Date => {
                let (format, unread) = guess_date(&n.values);
                dates.push((name, format));
                d.unread.extend(unread.map(|(rows, example)| Unread {
                    column: name,
                    rows,
                    example,
                    what: "date",
                }));
            }
            Kind::Amount | Kind::Count => {
                if let Some(example) = n.example.clone() {
                    d.unread.push(Unread {
                        column: name,
                        rows: n.bad,
                        example,
                        what: if w.column.kind == Kind::Count {
                            "integer"
                        } else {
                            "number"
                        },
                    });
                }
            }
            Kind::Text => {}
        }
        if n.overflow > 0 {
            d.notes.push(format!(
                "{name}: more than {MAX_DISTINCT} distinct values; {} were not counted. Is this header really {name}?",
                plural(n.overflow, "row")
            ));
        }
    }
    date_formats(d, &dates);
}

/// The non-canonical values of an enumerated column, most frequent first,
/// each with the label dictionary's canonical value if it has one.
fn enum_values(allowed: &'static [&'static str], counts: &Counts) -> Vec<ValueDraft> {
    let mut out: Vec<ValueDraft> = counts
        .values
        .iter()
        .filter(|(v, _)| !allowed.contains(&v.to_lowercase().as_str()))
        .map(|(v, &rows)| ValueDraft {
            value: v.clone(),
            rows,
            canonical: label(allowed, v),
        })
        .collect();
    out.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.value.cmp(&b.value)));
    out
}

/// The label dictionary's canonical value of `value` among `allowed`.
fn label(allowed: &[&str], value: &str) -> Option<&'static str> {
    let key: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    LABELS
        .iter()
        .find(|(l, c)| *l == key && allowed.contains(c))
        .map(|(_, c)| *c)
}

/// Sorts a boolean column's words into the table's true and false lists;
/// a word neither list knows is unread.
fn boolean_words(d: &mut TableDraft, column: &'static str, counts: &Counts) {
    for (v, &rows) in &counts.values {
        let lower = v.to_lowercase();
        if ["true", "false", "1", "0"].contains(&lower.as_str()) {
            continue;
        }
        let list = if TRUE_WORDS.contains(&lower.as_str()) {
            &mut d.booleans.0
        } else if FALSE_WORDS.contains(&lower.as_str()) {
            &mut d.booleans.1
        } else {
            d.unread.push(Unread {
                column,
                rows,
                example: v.clone(),
                what: "boolean word",
            });
            continue;
        };
        if !list.contains(v) {
            list.push(v.clone());
        }
    }
}

/// Whether `v` is an ISO 8601 date as the engine reads it: `YYYY-MM-DD`.
fn is_iso(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok()
}

/// The format of a text date column: `None` when ISO 8601 reads every
/// value, else the first of [`DATE_FORMATS`] that reads the most; and the
/// rows neither reads, with one of them.
pub fn guess_date(values: &BTreeMap<String, u64>) -> (Option<&'static str>, Option<(u64, String)>) {
    let reads = |format: Option<&str>| -> u64 {
        values
            .iter()
            .filter(|(v, _)| {
                is_iso(v) || format.is_some_and(|f| chrono::NaiveDate::parse_from_str(v, f).is_ok())
            })
            .map(|(_, n)| n)
            .sum()
    };
    let iso = reads(None);
    let mut best = (iso, None);
    for f in DATE_FORMATS {
        let n = reads(Some(f));
        if n > best.0 {
            best = (n, Some(*f));
        }
    }
    let total: u64 = values.values().sum();
    let unread = (best.0 < total).then(|| {
        let example = values
            .keys()
            .find(|v| {
                !is_iso(v)
                    && best
                        .1
                        .is_none_or(|f| chrono::NaiveDate::parse_from_str(v, f).is_err())
            })
            .cloned()
            .unwrap_or_default();
        (total - best.0, example)
    });
    (best.1, unread)
}

/// The table's date format is the one most date columns need; a column
/// that needs another has its own.
fn date_formats(d: &mut TableDraft, dates: &[(&'static str, Option<&'static str>)]) {
    let mut uses: Vec<(&'static str, usize)> = Vec::new();
    for f in dates.iter().filter_map(|(_, f)| *f) {
        match uses.iter_mut().find(|(g, _)| *g == f) {
            Some((_, n)) => *n += 1,
            None => uses.push((f, 1)),
        }
    }
    // The most used; on a tie, the first met.
    let table = uses.iter().rev().max_by_key(|(_, n)| *n).map(|(f, _)| *f);
    d.date_format = table;
    for (column, f) in dates {
        if let Some(f) = f
            && Some(*f) != table
        {
            d.date_formats.insert(*column, *f);
        }
    }
}

// ---------------------------------------------------------------------------
// Writing the draft.

/// `s` as a TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `a, b (nullable)`.
fn missing_names(columns: &[&Column]) -> String {
    columns
        .iter()
        .map(|c| {
            if c.nullable {
                format!("{} (nullable)", c.name)
            } else {
                c.name.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn line(out: &mut String, text: impl AsRef<str>) {
    out.push_str(text.as_ref());
    out.push('\n');
}

fn list(words: &[String]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| quote(w)).collect();
    format!("[{}]", quoted.join(", "))
}

impl Draft {
    /// The catalog as TOML, commented: what was detected, what is left to
    /// fill in.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        self.preamble(&mut out);
        for t in &self.tables {
            line(&mut out, "");
            t.render(&mut out);
        }
        out
    }

    fn preamble(&self, out: &mut String) {
        let dir = quote(&self.data_dir.display().to_string());
        for text in [
            format!(
                "# Source catalog for the extracts in {dir}, drafted by `qinglian catalog init`"
            ),
            "# (data contract 1.1, \"The source catalog\"; docs/catalog.md).".into(),
            "# Headers and labels were matched by name from a dictionary, the encoding,".into(),
            "# delimiter and date formats guessed from the data: review every entry, fill in"
                .into(),
            "# each commented line left = \"\" (or delete it), then check the catalog with".into(),
            "# `qinglian validate` before a run. Text values are trimmed, full-width".into(),
            "# folded and case folded before the value maps; a table's entry switches a".into(),
            "# step off with e.g. normalise = { case = false }.".into(),
        ] {
            line(out, text);
        }
        if !self.not_found.is_empty() {
            line(out, "#");
            line(
                out,
                format!("# No extract found for: {}", self.not_found.join(", ")),
            );
            line(
                out,
                "# (a source left out is reported as unavailable; villages is required).",
            );
        }
        if !self.unplaced.is_empty() {
            line(out, "#");
            line(out, "# Files not placed:");
            for (path, reason) in &self.unplaced {
                line(out, format!("#   {}: {reason}", quote(path)));
            }
        }
    }
}

impl TableDraft {
    fn render(&self, out: &mut String) {
        let t = self.table.name;
        line(out, format!("[sources.{t}]"));
        let matched = self.headers.iter().filter(|(_, c)| c.is_some()).count();
        line(
            out,
            format!(
                "# {} ({}): {} in {}; {matched} of {} headers matched",
                self.table.name_zh,
                t,
                plural(self.rows, "row"),
                plural(self.files as u64, "file"),
                self.headers.len()
            ),
        );
        line(out, format!("path = {}", quote(&self.path)));
        line(out, format!("format = \"{}\"", extension(self.format)));
        if let Some(e) = self.encoding {
            line(out, format!("encoding = \"{}\"", e.as_str()));
        }
        if let Some(d) = self.delimiter {
            line(
                out,
                format!("delimiter = {}", quote(&char::from(d).to_string())),
            );
        }
        if let Some(f) = self.date_format {
            line(out, format!("date_format = {}", quote(f)));
        }
        let (yes, no) = &self.booleans;
        if !yes.is_empty() || !no.is_empty() {
            line(
                out,
                format!(
                    "booleans = {{ true = {}, false = {} }}",
                    list(yes),
                    list(no)
                ),
            );
        }
        for u in self.unread.iter().filter(|u| u.what != "date") {
            line(
                out,
                format!(
                    "# {}: {} not read as a {}, e.g. {}; {}",
                    u.column,
                    plural(u.rows, "row"),
                    u.what,
                    quote(&u.example),
                    if u.what == "boolean word" {
                        "add the words to booleans true or false above"
                    } else {
                        "fix them in the extract or they are rejected"
                    }
                ),
            );
        }
        for note in &self.notes {
            line(out, format!("# {note}"));
        }
        self.render_columns(out);
        self.render_values(out);
        self.render_dates(out);
    }

    fn render_columns(&self, out: &mut String) {
        let renamed: Vec<(&String, &str)> = self
            .headers
            .iter()
            .filter_map(|(h, c)| Some((h, (*c)?)).filter(|(h, c)| h.as_str() != *c))
            .collect();
        let unmatched = self.unmatched_headers();
        if renamed.is_empty() && unmatched.is_empty() && self.missing.is_empty() {
            return;
        }
        line(out, "");
        line(
            out,
            format!(
                "[sources.{}.columns]   # extract header = canonical name",
                self.table.name
            ),
        );
        for (h, c) in renamed {
            line(out, format!("{} = \"{c}\"", quote(h)));
        }
        for h in unmatched {
            line(
                out,
                format!(
                    "# {} = \"\"   # matched no canonical column; name one, or leave it out",
                    quote(h)
                ),
            );
        }
        if !self.missing.is_empty() {
            line(
                out,
                format!("# still missing: {}", missing_names(&self.missing)),
            );
            line(
                out,
                "# ingest needs every column: map a header to each, or add it to the extract (empty where nullable)",
            );
        }
    }

    fn render_values(&self, out: &mut String) {
        for c in self.table.columns {
            let (Some(values), Kind::Enum(allowed)) = (self.values.get(c.name), c.kind) else {
                continue;
            };
            line(out, "");
            line(
                out,
                format!(
                    "[sources.{}.values.{}]   # extract value = canonical value",
                    self.table.name, c.name
                ),
            );
            for v in values.iter().take(MAX_LISTED) {
                let rows = plural(v.rows, "row");
                match v.canonical {
                    Some(canonical) => line(
                        out,
                        format!("{} = \"{canonical}\"   # {rows}", quote(&v.value)),
                    ),
                    None => line(
                        out,
                        format!(
                            "# {} = \"\"   # {rows}; one of {}",
                            quote(&v.value),
                            allowed.join(", ")
                        ),
                    ),
                }
            }
            if values.len() > MAX_LISTED {
                let rest = &values[MAX_LISTED..];
                line(
                    out,
                    format!(
                        "# … {} more values in {} not listed",
                        rest.len(),
                        plural(rest.iter().map(|v| v.rows).sum(), "row")
                    ),
                );
            }
        }
    }

    fn render_dates(&self, out: &mut String) {
        let unread: Vec<&Unread> = self.unread.iter().filter(|u| u.what == "date").collect();
        if self.date_formats.is_empty() && unread.is_empty() {
            return;
        }
        line(out, "");
        line(
            out,
            format!(
                "[sources.{}.date_formats]   # column = strftime format",
                self.table.name
            ),
        );
        for (c, f) in &self.date_formats {
            line(out, format!("{c} = {}", quote(f)));
        }
        for u in unread {
            line(
                out,
                format!(
                    "# {} = \"\"   # {} read in no known format, e.g. {}; write its format",
                    u.column,
                    plural(u.rows, "row"),
                    quote(&u.example)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(values: &[(&str, u64)]) -> BTreeMap<String, u64> {
        values.iter().map(|(v, n)| ((*v).to_string(), *n)).collect()
    }

    #[test]
    fn headers_are_looked_up_loosely() {
        assert_eq!(
            header_key(" 预算金额（元）"),
            ("预算金额".into(), Some("元".into()))
        );
        assert_eq!(header_key("Village_Code"), ("village_code".into(), None));
        let t = contract::table("trading").unwrap();
        assert_eq!(canonical_of(t, "预算金额（元）"), Some("budget"));
        assert_eq!(canonical_of(t, "项目类别"), Some("category"));
        let p = contract::table("petitions").unwrap();
        assert_eq!(canonical_of(p, "被反映人编号"), Some("accused_person_id"));
        let c = contract::table("cases").unwrap();
        assert_eq!(canonical_of(c, "被反映人编号"), Some("subject_person_id"));
        assert_eq!(canonical_of(c, "备注"), None);
    }

    #[test]
    fn a_column_goes_to_one_header() {
        let v = contract::table("villages").unwrap();
        let headers = ["村代码", "village_code", "行政区划代码"].map(String::from);
        assert_eq!(
            match_headers(v, &headers),
            [None, Some("village_code"), None]
        );
    }

    #[test]
    fn labels_follow_the_column() {
        let program = contract::table("assistance")
            .unwrap()
            .column("program")
            .unwrap();
        let category = contract::table("petitions")
            .unwrap()
            .column("category")
            .unwrap();
        let relation = contract::table("relations")
            .unwrap()
            .column("relation")
            .unwrap();
        fn allowed(c: &Column) -> &'static [&'static str] {
            match c.kind {
                Kind::Enum(a) => a,
                _ => &[],
            }
        }
        assert_eq!(label(allowed(program), "低保"), Some("dibao"));
        assert_eq!(label(allowed(category), "低保"), Some("assistance"));
        assert_eq!(label(allowed(relation), "其他"), Some("other_kin"));
        assert_eq!(label(allowed(category), "其 他"), Some("other"));
        assert_eq!(label(allowed(category), "其他方式"), None);
    }

    #[test]
    fn every_dictionary_entry_is_in_the_contract() {
        for (h, c) in HEADERS {
            assert!(
                contract::TABLES.iter().any(|t| t.column(c).is_some()),
                "{h} = {c}"
            );
            assert_eq!(header_key(h).0, *h, "{h} is not written as it is looked up");
        }
        for (l, v) in LABELS {
            let known = contract::TABLES
                .iter()
                .flat_map(|t| t.columns)
                .any(|c| matches!(c.kind, Kind::Enum(a) if a.contains(v)));
            assert!(known, "{l} = {v}");
        }
        for w in TRUE_WORDS {
            assert!(!FALSE_WORDS.contains(w), "{w}");
        }
        for f in DATE_FORMATS {
            assert_eq!(super::super::read::date_format_problem(f), None, "{f}");
        }
    }

    #[test]
    fn dates_take_the_format_that_reads_them() {
        assert_eq!(guess_date(&counts(&[("2025-03-01", 3)])), (None, None));
        assert_eq!(
            guess_date(&counts(&[("2025年03月01日", 3), ("2025-03-02", 1)])),
            (Some("%Y年%m月%d日"), None)
        );
        assert_eq!(guess_date(&counts(&[("20250301", 1)])).0, Some("%Y%m%d"));
        assert_eq!(guess_date(&counts(&[("2025.3.1", 1)])).0, Some("%Y.%m.%d"));
        assert_eq!(
            guess_date(&counts(&[("2025/03/01", 2), ("三月一日", 1)])),
            (Some("%Y/%m/%d"), Some((1, "三月一日".into())))
        );
    }

    #[test]
    fn values_are_normalised_as_ingest_does() {
        assert_eq!(normalise("\u{3000}１２Ａ－ ", true), "12A-");
        assert_eq!(normalise(" 是 ", false), "是");
        assert_eq!(quote("a\"b\\\t"), "\"a\\\"b\\\\\\t\"");
    }
}

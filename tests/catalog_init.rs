//! `qinglian catalog init` (issue 16): a catalog drafted from a district's
//! extracts as the systems export them (a GB18030 CSV of petitions with
//! Chinese headers, labels, 是/否 and 年月日 dates; a UTF-8 CSV of trading
//! with a byte-order mark, `;` and two date formats; a file that is no
//! table) beside the canonical villages table. The draft names what it
//! detected, comments what is left, loads with the catalog reader, and
//! ingest reads the extracts through it.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::fs::File;
use std::path::Path;
use std::process::{Command, Output};

use datafusion::arrow::array::AsArray;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use qinglian::catalog::init::{self, Draft, TableDraft};
use qinglian::catalog::{CATALOG_FILE, Catalog, Encoding, Format};

/// The first two village codes of a villages Parquet file.
fn village_codes(path: &Path) -> (String, String) {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batch = reader.into_iter().next().unwrap().unwrap();
    let codes = cast(
        batch.column_by_name("village_code").unwrap(),
        &DataType::Utf8,
    )
    .unwrap();
    let codes = codes.as_string::<i32>();
    (codes.value(0).to_string(), codes.value(1).to_string())
}

/// Petitions as a 信访 system exports them: Chinese headers and labels,
/// 是/否, dates as 2025年03月01日, one label (其他方式) no dictionary knows,
/// one label behind an ideographic space.
fn petitions_csv(a: &str, b: &str) -> String {
    let header = "信访件编号,村社代码,受理日期,信访方式,问题类别,信访类型,被反映人职务,被反映人编号,信访人标识,是否匿名,是否重复信访,办理期限,办结日期,核查结论,满意度";
    let rows = [
        format!(
            "XF001,{a},2025年03月01日,来信,三资,检举控告,村党组织书记,P001,C1,是,否,2025年04月01日,2025年03月20日,属实,满意"
        ),
        format!("XF002,{a},2025年03月05日,来访,征地拆迁,求决,,,C2,否,否,2025年04月05日,,,"),
        format!(
            "XF003,{b},2025年03月09日,网上,工程项目,意见建议,村委会主任,P003,C0,否,是,2025年04月09日,2025年03月30日,不属实,基本满意"
        ),
        format!(
            "XF004,{b},2025年02月11日,电话,作风,检举控告,乡镇干部,P004,C1,是,否,2025年03月11日,2025年03月01日,部分属实,不满意"
        ),
        format!(
            "XF005,{a},2025年01月15日,其他方式,其他,咨询,,,C2,否,否,2025年02月15日,2025年01月20日,,"
        ),
        format!(
            "XF006,{b},2025年01月20日,letter,collective_assets,accusation,secretary,P006,C0,否,否,2025年02月20日,,pending,"
        ),
        format!("XF007,{a},2025年01月22日,其他方式,换届选举,申诉,,,C1,否,否,,,,"),
        format!("XF008,{a},2025年03月02日,\u{3000}来信,三资,检举控告,,,C2,否,否,,,,"),
    ];
    format!("{header}\r\n{}\r\n", rows.join("\r\n"))
}

/// Trading as a 交易 system exports it: UTF-8 with a byte-order mark, `;`,
/// amounts headed （元）, dates as 2025/03/01 but completion as 20250601,
/// and a remarks column no canonical column holds.
fn trading_csv(a: &str, b: &str) -> String {
    let header = "项目编号;村社代码;项目类别;交易方式;预算金额（元）;成交金额（元）;投标人数;中标人编号;公告日期;投标截止日期;中标日期;开工日期;竣工日期;变更金额（元）;是否公示;备注";
    format!(
        "\u{feff}{header}\n\
         GC001;{a};工程;公开招标;120000;118000;5;S01;2025/02/01;2025/02/20;2025/03/01;2025/03/20;20250601;0;是;\n\
         GC002;{b};货物;询价;30000;29000;3;S02;2025/02/10;2025/02/28;2025/03/10;;;;否;急\n\
         GC003;{a};服务;直接发包;8000;8000;1;S01;;;2025/03/15;2025/03/16;20250420;1200;是;\n"
    )
}

/// A data directory: the sample villages, the two CSV extracts, and a
/// CSV that is no table.
fn district() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let villages = dir.path().join("villages.parquet");
    std::fs::copy(repo.join("data-samples/villages.parquet"), &villages).unwrap();
    let (a, b) = village_codes(&villages);
    let petitions = petitions_csv(&a, &b);
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(&petitions);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gb).is_err(),
        "the GB18030 bytes are not UTF-8"
    );
    std::fs::write(dir.path().join("信访件.csv"), gb).unwrap();
    std::fs::write(dir.path().join("村级工程.csv"), trading_csv(&a, &b)).unwrap();
    std::fs::write(
        dir.path().join("说明.csv"),
        "序号,说明\n1,本目录为季度抽取\n",
    )
    .unwrap();
    dir
}

fn table<'d>(draft: &'d Draft, name: &str) -> &'d TableDraft {
    draft
        .tables
        .iter()
        .find(|t| t.table.name == name)
        .unwrap_or_else(|| panic!("no {name} in {draft:#?}"))
}

#[test]
fn the_gb18030_petitions_are_read_as_they_were_exported() {
    let dir = district();
    let draft = init::draft(dir.path()).unwrap();
    let p = table(&draft, "petitions");
    assert_eq!(p.path, "信访件.csv");
    assert_eq!(p.format, Format::Csv);
    assert_eq!(p.encoding, Some(Encoding::Gb18030));
    assert_eq!(p.delimiter, Some(b','));
    assert_eq!(p.rows, 8);
    assert_eq!(p.date_format, Some("%Y年%m月%d日"));
    assert!(p.date_formats.is_empty(), "{:?}", p.date_formats);
    assert!(p.unmatched_headers().is_empty(), "{:?}", p.headers);
    assert_eq!(p.headers.len(), 15);
    assert!(p.missing.is_empty(), "{:?}", p.missing);
    assert_eq!(p.booleans, (vec!["是".to_string()], vec!["否".to_string()]));
    let channel = p.mapped("channel");
    assert_eq!(channel.len(), 4, "{channel:?}");
    for (label, canonical) in [
        ("来信", "letter"),
        ("来访", "visit"),
        ("网上", "online"),
        ("电话", "phone"),
    ] {
        assert_eq!(channel.get(label), Some(&canonical), "{channel:?}");
    }
    assert_eq!(p.mapped("category")["三资"], "collective_assets");
    assert_eq!(p.mapped("kind")["检举控告"], "accusation");
    assert_eq!(p.mapped("accused_role")["乡镇干部"], "township_official");
    assert_eq!(p.mapped("finding")["部分属实"], "partly");
    assert_eq!(p.mapped("satisfaction")["基本满意"], "basically");
    // The trimmed label counts with the others; canonical values need nothing.
    let letter = p.values["channel"].iter().find(|v| v.value == "来信");
    assert_eq!(letter.map(|v| v.rows), Some(2));
    assert!(p.values["channel"].iter().all(|v| v.value != "letter"));
    // Only 其他方式 is left, with its count.
    let open: Vec<(&str, &str, u64)> = p
        .values
        .iter()
        .flat_map(|(c, vs)| vs.iter().map(move |v| (*c, v)))
        .filter(|(_, v)| v.canonical.is_none())
        .map(|(c, v)| (c, v.value.as_str(), v.rows))
        .collect();
    assert_eq!(open, [("channel", "其他方式", 2)]);
    assert!(p.unread.is_empty(), "{:?}", p.unread);
}

#[test]
fn the_draft_writes_what_it_found_and_comments_what_is_left() {
    let dir = district();
    let text = init::draft(dir.path()).unwrap().to_toml();
    for expected in [
        "[sources.petitions]\n",
        "path = \"信访件.csv\"\nformat = \"csv\"\nencoding = \"gb18030\"\ndelimiter = \",\"\ndate_format = \"%Y年%m月%d日\"\nbooleans = { true = [\"是\"], false = [\"否\"] }\n",
        "\"信访件编号\" = \"petition_id\"\n",
        "\"是否重复信访\" = \"is_repeat\"\n",
        "[sources.petitions.values.channel]",
        "\"来信\" = \"letter\"   # 2 rows\n",
        "\"电话\" = \"phone\"   # 1 row\n",
        "# \"其他方式\" = \"\"   # 2 rows; one of letter, visit, online, phone, other\n",
        // Matched by its headers; UTF-8 with a BOM, `;`.
        "[sources.trading]\n# 公共资源交易 (trading): 3 rows in 1 file; 15 of 16 headers matched\npath = \"村级工程.csv\"\nformat = \"csv\"\nencoding = \"utf-8\"\ndelimiter = \";\"\ndate_format = \"%Y/%m/%d\"\n",
        "\"预算金额（元）\" = \"budget\"\n",
        "# \"备注\" = \"\"   # matched no canonical column; name one, or leave it out\n",
        "\"公开招标\" = \"open_tender\"   # 1 row\n",
        "[sources.trading.date_formats]   # column = strftime format\ncompleted_date = \"%Y%m%d\"\n",
        "#   \"说明.csv\": its headers fit no table (序号, 说明)\n",
        "# No extract found for: cadres, relations, cases, assistance",
        "[sources.villages]\n# 村社名录 (villages): 60 rows in 1 file; 7 of 7 headers matched\npath = \"villages.parquet\"\nformat = \"parquet\"\n\n",
    ] {
        assert!(text.contains(expected), "{expected}\nnot in\n{text}");
    }
    // The canonical villages table needs no mapping.
    assert!(!text.contains("[sources.villages."), "{text}");
}

#[tokio::test]
async fn the_draft_loads_and_ingest_reads_the_extracts_through_it() {
    let dir = district();
    let (path, _) = init::write(dir.path(), None, false).unwrap();
    assert_eq!(path, dir.path().join(CATALOG_FILE));
    let catalog = Catalog::load(dir.path(), None).unwrap();
    let p = catalog.location("petitions").unwrap();
    assert_eq!(
        (p.format, p.encoding, p.delimiter),
        (Format::Csv, Encoding::Gb18030, b',')
    );
    assert_eq!(p.date_format_of("due_date"), Some("%Y年%m月%d日"));
    assert_eq!(p.values["channel"]["来访"], "visit");
    let t = catalog.location("trading").unwrap();
    assert_eq!(t.date_format_of("completed_date"), Some("%Y%m%d"));
    assert_eq!(t.source_column("budget"), "预算金额（元）");

    let ingested = qinglian::pipeline::validate(dir.path(), None, None)
        .await
        .unwrap();
    let petitions = ingested.report("petitions").unwrap();
    assert_eq!(
        (petitions.rows_read, petitions.rows_accepted),
        (8, 6),
        "{petitions:#?}"
    );
    assert_eq!(
        petitions.rejected_by_reason.iter().collect::<Vec<_>>(),
        [(&"bad_enum:channel".to_string(), &2)],
        "only the label left to settle is rejected"
    );
    let trading = ingested.report("trading").unwrap();
    assert_eq!(
        (trading.rows_read, trading.rows_rejected),
        (3, 0),
        "{trading:#?}"
    );
}

#[test]
fn a_catalog_is_overwritten_only_with_force() {
    let dir = district();
    let out = dir.path().join("draft.toml");
    init::write(dir.path(), Some(&out), false).unwrap();
    std::fs::write(&out, "# edited\n").unwrap();
    let err = init::write(dir.path(), Some(&out), false).unwrap_err();
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "# edited\n");
    init::write(dir.path(), Some(&out), true).unwrap();
    assert!(Catalog::load(dir.path(), Some(&out)).is_ok());
}

fn qinglian(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qinglian"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_command_writes_the_draft_and_keeps_an_existing_one() {
    let dir = district();
    let data = dir.path().as_os_str();
    let args = ["catalog".as_ref(), "init".as_ref(), "--data".as_ref(), data];
    let first = qinglian(&args);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains("wrote "), "{stdout}");
    assert!(
        stdout.contains("petitions   信访件.csv (csv, gb18030, \",\")"),
        "{stdout}"
    );
    assert!(stdout.contains("说明.csv"), "{stdout}");
    let written = std::fs::read_to_string(dir.path().join(CATALOG_FILE)).unwrap();
    assert!(written.contains("encoding = \"gb18030\""), "{written}");
    Catalog::load(dir.path(), None).unwrap();

    let again = qinglian(&args);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );

    let forced = qinglian(&[&args[..], &["--force".as_ref()]].concat());
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
}

/// The items of the docs' table rows for `key`: `| \`key\` | a, b |`.
fn doc_items<'d>(docs: &'d str, key: &str) -> Vec<&'d str> {
    let start = format!("| `{key}` |");
    docs.lines()
        .filter_map(|l| l.strip_prefix(&start))
        .flat_map(|rest| rest.trim_end_matches('|').split(','))
        .map(str::trim)
        .collect()
}

#[test]
fn docs_list_every_dictionary_entry() {
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/catalog.md"))
            .unwrap();
    for (header, column) in init::HEADERS {
        assert!(
            doc_items(&docs, column).contains(header),
            "docs/catalog.md does not list {header} under {column}"
        );
    }
    for (label, value) in init::LABELS {
        assert!(
            doc_items(&docs, value).contains(label),
            "docs/catalog.md does not list {label} under {value}"
        );
    }
    let words = docs
        .lines()
        .find(|l| l.starts_with("| 是, "))
        .unwrap_or_default();
    let cells: Vec<Vec<&str>> = words
        .trim_matches('|')
        .split('|')
        .map(|c| c.split(',').map(str::trim).collect())
        .collect();
    assert_eq!(
        cells,
        [init::TRUE_WORDS.to_vec(), init::FALSE_WORDS.to_vec()]
    );
    for format in init::DATE_FORMATS {
        assert!(docs.contains(&format!("`{format}`")), "{format}");
    }
}

//! An Excel workbook (Office Open XML, .xlsx) of tables, for readers who never open a CSV
//! (issue 22 item 15): a sheet per table, its first row the header in bold and frozen, numbers
//! as numbers and every other cell as text. Written with the `zip` crate that the importer's
//! workbook reader (calamine) already builds, rather than a spreadsheet crate of its own.

use std::io::Write;

/// Excel's limits: rows per sheet, characters per cell, characters per sheet name.
pub const MAX_ROWS: usize = 1_048_576;
const MAX_CELL_CHARS: usize = 32_767;
const MAX_SHEET_NAME: usize = 31;

/// The application named in docProps/app.xml, the first entry of the archive, stored
/// uncompressed: how `report` knows a workbook it may replace.
pub const APPLICATION_MARK: &str = "<Application>migproj report</Application>";

/// One sheet: its name and rows (the first the header), cells as text; a cell that reads as a
/// finite number is written as a number.
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\` or control
/// characters, not empty, unique among `taken` (a number added where it is not).
pub fn sheet_name(wanted: &str, taken: &[String]) -> String {
    let clean: String = wanted
        .chars()
        .map(|c| {
            if "[]:*?/\\".contains(c) || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let clean = clean.trim().trim_matches('\'').trim();
    let base: String = if clean.is_empty() {
        "Sheet".into()
    } else {
        clean.chars().take(MAX_SHEET_NAME).collect()
    };
    let lower = |s: &str| s.to_lowercase();
    let mut name = base.clone();
    let mut k = 2;
    while taken.iter().any(|t| lower(t) == lower(&name)) {
        let suffix = format!(" ({k})");
        let keep = MAX_SHEET_NAME - suffix.chars().count();
        name = base.chars().take(keep).collect::<String>() + &suffix;
        k += 1;
    }
    name
}

/// XML text: escaped, without the characters XML 1.0 forbids, cut to Excel's cell limit.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().take(MAX_CELL_CHARS) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A cell's number, when its text is one (as a CSV reader would take it).
fn as_number(text: &str) -> Option<f64> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed != text {
        return None;
    }
    // Only plain decimal numbers: not "inf", "NaN", "0x10" or "1_000".
    if !trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
    {
        return None;
    }
    trimmed.parse::<f64>().ok().filter(|x| x.is_finite())
}

fn worksheet(sheet: &Sheet) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <sheetViews><sheetView workbookViewId=\"0\">\
         <pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>\
         </sheetView></sheetViews><sheetData>",
    );
    for (r, row) in sheet.rows.iter().take(MAX_ROWS).enumerate() {
        xml.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in row.iter().enumerate() {
            let at = format!("{}{}", crate::import::column_letters(c), r + 1);
            match as_number(cell).filter(|_| r > 0) {
                Some(x) => xml.push_str(&format!("<c r=\"{at}\"><v>{x:?}</v></c>")),
                None if cell.is_empty() => {}
                None => xml.push_str(&format!(
                    "<c r=\"{at}\" t=\"inlineStr\"{}><is><t xml:space=\"preserve\">{}</t></is></c>",
                    if r == 0 { " s=\"1\"" } else { "" },
                    xml_text(cell)
                )),
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

const STYLES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font>\
<font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>\
<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>\
<fill><patternFill patternType=\"gray125\"/></fill></fills>\
<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
<cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>\
<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
</styleSheet>";

/// The workbook's bytes. Sheets past Excel's row limit are cut there (the caller says so).
pub fn workbook(sheets: &[Sheet]) -> std::io::Result<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    let deflated = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let header = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
    let mut put = |name: &str, text: &str, options| -> std::io::Result<()> {
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        zip.write_all(text.as_bytes())
    };
    put(
        "docProps/app.xml",
        &format!(
            "{header}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">{APPLICATION_MARK}</Properties>"
        ),
        stored,
    )?;
    let mut types = format!(
        "{header}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
         <Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>\
         <Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
    );
    let mut book = format!(
        "{header}<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>"
    );
    let mut rels = format!(
        "{header}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    );
    for (k, sheet) in sheets.iter().enumerate() {
        let n = k + 1;
        types.push_str(&format!(
            "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        ));
        book.push_str(&format!(
            "<sheet name=\"{}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>",
            xml_text(&sheet.name)
        ));
        rels.push_str(&format!(
            "<Relationship Id=\"rId{n}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet{n}.xml\"/>"
        ));
    }
    types.push_str("</Types>");
    book.push_str("</sheets></workbook>");
    rels.push_str(&format!(
        "<Relationship Id=\"rId{}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>",
        sheets.len() + 1
    ));
    put("[Content_Types].xml", &types, deflated)?;
    put(
        "_rels/.rels",
        &format!(
            "{header}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>\
             <Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>\
             </Relationships>"
        ),
        deflated,
    )?;
    put("xl/workbook.xml", &book, deflated)?;
    put("xl/_rels/workbook.xml.rels", &rels, deflated)?;
    put("xl/styles.xml", STYLES, deflated)?;
    for (k, sheet) in sheets.iter().enumerate() {
        put(
            &format!("xl/worksheets/sheet{}.xml", k + 1),
            &worksheet(sheet),
            deflated,
        )?;
    }
    let cursor = zip.finish().map_err(std::io::Error::other)?;
    Ok(cursor.into_inner())
}

/// Whether `head` (a file's first bytes) is a workbook [`workbook`] wrote.
pub fn is_ours(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
        && head
            .windows(APPLICATION_MARK.len())
            .any(|w| w == APPLICATION_MARK.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let taken = vec!["Table 1".to_string()];
        assert_eq!(sheet_name("Table 1", &taken), "Table 1 (2)");
        assert_eq!(sheet_name("a/b:c", &[]), "a b c");
        assert_eq!(sheet_name("", &[]), "Sheet");
        assert_eq!(sheet_name(&"x".repeat(40), &[]).chars().count(), 31);
    }

    #[test]
    fn only_plain_decimal_numbers_are_numbers() {
        assert_eq!(as_number("154000000"), Some(154e6));
        assert_eq!(as_number("-1.5e-3"), Some(-1.5e-3));
        for text in ["", " 1", "inf", "NaN", "1,000", "15.2 (13.9-16.2)", "0x10"] {
            assert_eq!(as_number(text), None, "{text}");
        }
    }

    /// calamine (the importer's reader) reads the workbook back: sheet names, header text,
    /// numbers as numbers, escaped text as written.
    #[test]
    fn a_workbook_reads_back() {
        use calamine::{Data, Reader, Xlsx};
        let sheets = vec![
            Sheet {
                name: "Table 1".into(),
                rows: vec![
                    vec!["region".into(), "stock".into()],
                    vec!["Europe & <Asia>".into(), "154000000".into()],
                    vec!["World".into(), "".into()],
                ],
            },
            Sheet {
                name: "projection".into(),
                rows: vec![vec!["year".into()], vec!["1990".into()]],
            },
        ];
        let bytes = workbook(&sheets).unwrap();
        assert!(is_ours(&bytes[..1024.min(bytes.len())]));
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["Table 1", "projection"]);
        let range = book.worksheet_range("Table 1").unwrap();
        assert_eq!(range.get((0, 0)), Some(&Data::String("region".into())));
        assert_eq!(
            range.get((1, 0)),
            Some(&Data::String("Europe & <Asia>".into()))
        );
        assert_eq!(range.get((1, 1)), Some(&Data::Float(154e6)));
        assert_eq!(range.get((2, 1)), Some(&Data::Empty));
        let range = book.worksheet_range("projection").unwrap();
        assert_eq!(range.get((1, 0)), Some(&Data::Float(1990.0)));
    }
}

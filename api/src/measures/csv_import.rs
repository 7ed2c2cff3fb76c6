//! Reading a CSV upload: every problem found in one pass, each by file line and by the column as
//! the file's own header names it. Headers are matched ignoring case, spaces, hyphens and
//! underscores, with the aliases below; commas or semicolons are detected from the header (a
//! semicolon file may write decimal commas, `12,5`); a UTF-8 byte-order mark is ignored.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::validate::{MAX_ROWS, RawRow};
use crate::error::{FieldError, UserErrorCode};

/// What a column may hold: the name in messages and in `Columns`, the CSV name, and every header
/// accepted for it (normalised: lower case, words joined by `_`).
const FIELDS: [(&str, &str, &[&str]); 7] = [
    ("measure", "measure", &["measure", "measure_id", "measure_code", "code"]),
    ("site", "site", &["site", "site_id", "site_slug", "hospital", "institution"]),
    ("periodStart", "period_start", &["period_start", "period", "start", "month", "week", "quarter", "date"]),
    ("value", "value", &["value", "result"]),
    ("numerator", "numerator", &["numerator", "num"]),
    ("denominator", "denominator", &["denominator", "denom"]),
    ("note", "note", &["note", "notes", "comment", "comments"]),
];

/// The header a template or an error message suggests.
pub const HEADER: &str = "measure,site,period_start,value,numerator,denominator,note";

/// How the file names each field's column, for error paths and messages.
#[derive(Clone, Debug, Default)]
pub struct Columns(HashMap<&'static str, String>);

impl Columns {
    /// The file's name for a field (`periodStart` → `Period_Start` as written), or the CSV name
    /// where the file has no such column.
    pub fn name_of(&self, field: &str) -> String {
        if let Some(name) = self.0.get(field) {
            return name.clone();
        }
        FIELDS
            .iter()
            .find(|(f, ..)| *f == field)
            .map_or_else(|| field.to_owned(), |(_, csv, _)| (*csv).to_owned())
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
}

/// A data row and the measure its `measure` cell names, if the file has that column.
pub struct FileRow {
    pub line: usize,
    pub measure: Option<String>,
    pub row: RawRow,
}

/// A file read as far as it could be: its rows, its columns, and what was wrong with them.
pub struct Upload {
    pub rows: Vec<FileRow>,
    pub columns: Columns,
    pub problems: Vec<FieldError>,
}

fn at_line(line: usize, message: impl Into<String>) -> FieldError {
    FieldError::new(&format!("file.{line}"), UserErrorCode::Invalid, message)
}

fn normalise(header: &str) -> String {
    header
        .trim()
        .to_lowercase()
        .split([' ', '-', '_'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

fn field_of(header: &str) -> Option<&'static str> {
    let name = normalise(header);
    FIELDS.iter().find(|(_, _, aliases)| aliases.contains(&name.as_str())).map(|(field, ..)| *field)
}

/// Comma unless the header line has more semicolons than commas.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    let count = |c: char| header.chars().filter(|&x| x == c).count();
    if count(';') > count(',') { b';' } else { b',' }
}

/// Reads the file. `Err` when nothing can be read row by row (not text, empty, a header without
/// the site or period); otherwise the rows and every problem found in them.
pub fn parse(bytes: &[u8]) -> Result<Upload, Vec<FieldError>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let byte = bytes.get(e.valid_up_to()).copied().unwrap_or_default();
            return Err(vec![at_line(
                line,
                format!(
                    "line {line} is not UTF-8 text (byte 0x{byte:02X}): save the file as \"CSV UTF-8\"; \
                     Excel's plain \"CSV\" writes another encoding"
                ),
            )]);
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(vec![at_line(
            1,
            format!("the file is empty: its first line must be a header such as {HEADER}"),
        )]);
    }
    let separator = delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|_| vec![at_line(1, "the header line cannot be read")])?.clone();
    let (columns, position, mut problems) = read_header(&header);
    if !columns.has("site") || !columns.has("periodStart") {
        return Err(problems);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
                problems
                    .push(at_line(line, format!("line {line} cannot be read as CSV (an unclosed quote?)")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != header.len() {
            let sep = if separator == b';' { "semicolons" } else { "commas" };
            problems.push(at_line(
                line,
                format!(
                    "line {line} has {} cells where the header has {}: check for {sep} inside a cell that is not quoted",
                    record.len(),
                    header.len()
                ),
            ));
            continue;
        }
        if rows.len() == MAX_ROWS {
            problems.push(at_line(line, format!("at most {MAX_ROWS} rows per file: split it")));
            break;
        }
        rows.push(read_row(&record, line, &position, &columns, separator, &mut problems));
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(at_line(2, "the file has a header and no rows"));
    }
    Ok(Upload { rows, columns, problems })
}

/// Which column holds which field; problems with the header itself.
fn read_header(header: &csv::StringRecord) -> (Columns, HashMap<&'static str, usize>, Vec<FieldError>) {
    let mut columns = Columns::default();
    let mut position = HashMap::new();
    let mut problems = Vec::new();
    for (index, name) in header.iter().enumerate() {
        match field_of(name) {
            None => problems.push(at_line(
                1,
                format!(
                    "unknown column `{name}`: the columns are {HEADER} (see the documentation for the other names \
                     each may have)"
                ),
            )),
            Some(field) => match columns.0.get(field) {
                Some(first) => problems.push(at_line(
                    1,
                    format!("columns `{first}` and `{name}` both give the {}; keep one", columns.name_of(field)),
                )),
                None => {
                    columns.0.insert(field, name.to_owned());
                    position.insert(field, index);
                }
            },
        }
    }
    for required in ["site", "periodStart"] {
        if !columns.has(required) {
            let found = header.iter().collect::<Vec<_>>().join(", ");
            problems.push(at_line(
                1,
                format!(
                    "the header has no `{}` column (it has: {found}); the first line must be a header such as {HEADER}",
                    columns.name_of(required)
                ),
            ));
        }
    }
    (columns, position, problems)
}

fn read_row(
    record: &csv::StringRecord,
    line: usize,
    position: &HashMap<&'static str, usize>,
    columns: &Columns,
    separator: u8,
    problems: &mut Vec<FieldError>,
) -> FileRow {
    let cell = |field: &str| position.get(field).and_then(|i| record.get(*i)).filter(|v| !v.is_empty());
    let mut unreadable = false;
    let mut number = |field: &str| -> Option<f64> {
        let text = cell(field)?;
        // A semicolon file comes from a locale that writes decimal commas.
        let written =
            if separator == b';' && !text.contains('.') { text.replace(',', ".") } else { text.to_owned() };
        match written.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                unreadable = true;
                problems.push(FieldError::new(
                    &format!("file.{line}.{}", columns.name_of(field)),
                    UserErrorCode::Invalid,
                    format!("`{text}` is not a number"),
                ));
                None
            }
        }
    };
    let (value, numerator, denominator) = (number("value"), number("numerator"), number("denominator"));
    let period = cell("periodStart").unwrap_or_default();
    FileRow {
        line,
        measure: cell("measure").map(str::to_owned),
        row: RawRow {
            site: cell("site").unwrap_or_default().to_owned(),
            period_start: NaiveDate::parse_from_str(period, "%Y-%m-%d").map_err(|_| period.to_owned()),
            value,
            numerator,
            denominator,
            note: cell("note").map(str::to_owned),
            unreadable,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(|e| e.field.join(".")).collect()
    }

    #[test]
    fn headers_match_ignoring_case_with_aliases() {
        let upload =
            parse(b"Site,Period Start,NUMERATOR,Denom,Comments\nnorthgate,2026-01-01,3,4,\"late, but in\"\n")
                .unwrap();
        assert!(upload.problems.is_empty(), "{:?}", lines(&upload.problems));
        let row = &upload.rows[0].row;
        assert_eq!((row.numerator, row.denominator), (Some(3.0), Some(4.0)));
        assert_eq!(row.note.as_deref(), Some("late, but in"));
        assert_eq!(upload.columns.name_of("periodStart"), "Period Start");
        assert_eq!(upload.columns.name_of("value"), "value");
    }

    #[test]
    fn a_semicolon_file_may_write_decimal_commas() {
        let upload =
            parse("\u{feff}measure;site;month;value\nABX;northgate;2026-01-01;12,5\n".as_bytes()).unwrap();
        assert!(upload.problems.is_empty());
        assert_eq!(upload.rows[0].row.value, Some(12.5));
        assert_eq!(upload.rows[0].measure.as_deref(), Some("ABX"));
    }

    #[test]
    fn every_row_problem_is_reported_by_line_and_the_files_own_column() {
        let text = "Site,Period_Start,Value\nnorthgate,2026-01-01,abc\nnorthgate,2026-02-01,NaN\n,,\nx\n\"open,2026-03-01,1\n";
        let upload = parse(text.as_bytes()).unwrap();
        assert_eq!(
            lines(&upload.problems),
            ["input.file.2.Value", "input.file.3.Value", "input.file.5", "input.file.6"]
        );
        assert!(
            upload.problems[2].message.contains("1 cells where the header has 3"),
            "{}",
            upload.problems[2].message
        );
        assert!(upload.rows.iter().all(|r| r.row.unreadable));
    }

    #[test]
    fn files_that_cannot_be_read_say_why() {
        let empty = parse(b"  \n").err().unwrap();
        assert!(empty[0].message.contains("empty"));
        let latin1 = parse(b"site,period_start,value\nH\xf4pital,2026-01-01,1\n").err().unwrap();
        assert_eq!(lines(&latin1), ["input.file.2"]);
        assert!(latin1[0].message.contains("UTF-8"));
        let no_period = parse(b"site,when\nx,y\n").err().unwrap();
        assert_eq!(no_period.len(), 2, "the unknown column and the missing one");
        let header_only = parse(b"site,period_start\n").unwrap();
        assert!(header_only.problems[0].message.contains("no rows"));
        let twice = parse(b"site,hospital,period_start\na,b,2026-01-01\n").err();
        assert!(twice.is_none(), "a repeated field is reported, and the rows still read");
    }
}

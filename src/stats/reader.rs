//! Reads one statistics CSV into [`Records`]: recognizes its view from the
//! header, deserializes each row into the view's row type, and counts what it
//! could not use in the file's coverage. Never fails: a damaged row is counted
//! and shown, a read error ends the file with what was read so far.

use super::rows::{CsvRow, RowKey};
use super::views::{Header, Records, View};
use super::{Keyed, StatsInput};
use crate::coverage::FileCoverage;
use crate::parse::timestamp::Timestamp;
use csv::StringRecord;
use std::io::{BufRead, BufReader, Read};

/// How many damaged rows are shown per file.
const EXAMPLES: usize = 10;

/// A value that does not parse as its column's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadValue {
    pub column: String,
    pub value: String,
}

/// What reading one data row gave.
#[derive(Debug, Default)]
pub struct RowRead {
    /// Its `snapshot_at`.
    pub at: Option<Timestamp>,
    /// `false` when a column the view needs is empty or unreadable.
    pub used: bool,
    /// Values that did not parse (read as empty).
    pub bad: Vec<BadValue>,
}

/// The longest header line read (a file whose first line is longer is not a
/// statistics export).
const HEADER_MAX: u64 = 1 << 20;

/// How a CSV is spelled: its separator, and whether it is PostgreSQL's COPY
/// text format (tab-separated, no quotes, backslash escapes, `\N` for null).
#[derive(Debug, Clone, Copy)]
struct Dialect {
    delimiter: u8,
    copy_text: bool,
}

impl Dialect {
    /// The dialect of a file whose first line (without its BOM) is `first`:
    /// tab-separated with an unquoted header is COPY's text format; with
    /// quoted names, a spreadsheet's or a GUI tool's CSV with tabs.
    fn of(first: &[u8]) -> Dialect {
        let delimiter = crate::input::sniff::csv_header_delimiter(&String::from_utf8_lossy(first))
            .unwrap_or(b',');
        Dialect {
            delimiter,
            copy_text: delimiter == b'\t' && !first.contains(&b'"'),
        }
    }

    /// Said in the coverage when the file is not spelled as psql's CSV.
    fn describe(self, bom: bool) -> Option<String> {
        let mut parts = Vec::new();
        if self.copy_text {
            parts.push("tab-separated (COPY text format: \\N is null)".to_string());
        } else if self.delimiter != b',' {
            parts.push(format!("'{}'-separated", self.delimiter as char));
        }
        if bom {
            parts.push("UTF-8 byte order mark".into());
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// Reads one statistics CSV. `path` names the file in the report, `folder` groups
/// it with the other files of its export. The separator (`,`, `;`, tab, `|`) is
/// the header's; a UTF-8 byte order mark is skipped.
pub fn read_csv(path: &str, folder: &str, reader: impl Read) -> (StatsInput, FileCoverage) {
    let mut cov = FileCoverage::new(path);
    let mut reader = BufReader::new(reader);
    let mut first = Vec::new();
    if let Err(e) = (&mut reader).take(HEADER_MAX).read_until(b'\n', &mut first) {
        cov.error = Some(format!("cannot read the CSV header: {e}"));
        return (StatsInput::default(), cov);
    }
    let bom = first.starts_with(b"\xef\xbb\xbf");
    if bom {
        first.drain(..3);
    }
    let dialect = Dialect::of(&first);
    cov.dialect = dialect.describe(bom);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .delimiter(dialect.delimiter)
        .quoting(!dialect.copy_text)
        .from_reader(std::io::Cursor::new(first).chain(reader));
    let mut raw = csv::ByteRecord::new();
    let header = match rdr.read_byte_record(&mut raw) {
        Ok(true) => Header::new(
            raw.iter()
                .map(|f| std::str::from_utf8(f).unwrap_or(""))
                .collect::<Vec<_>>(),
        ),
        Ok(false) => return (StatsInput::default(), cov),
        Err(e) => {
            cov.error = Some(format!("cannot read the CSV header: {e}"));
            return (StatsInput::default(), cov);
        }
    };
    let views = match View::recognize(&header) {
        Ok(v) => v,
        Err(why) => {
            cov.format = Some("csv".into());
            cov.skipped = Some(why);
            return (StatsInput::default(), cov);
        }
    };
    let names: Vec<&str> = views.iter().map(|v| v.name()).collect();
    cov.format = Some(format!("csv: {}", names.join(" + ")));
    cov.missing_columns = views.iter().flat_map(|v| v.missing(&header)).collect();
    cov.lines_total = 1;
    cov.ignored("csv header", 1);
    let mut records = read_rows(&mut rdr, &header, &views, dialect, &mut cov);
    for name in names {
        records
            .views
            .insert(name.to_string(), vec![path.to_string()]);
    }
    let mut input = StatsInput::default();
    input.folders.insert(folder.to_string(), records);
    (input, cov)
}

/// Reads the data rows after the header.
fn read_rows(
    rdr: &mut csv::Reader<impl Read>,
    header: &Header,
    views: &[View],
    dialect: Dialect,
    cov: &mut FileCoverage,
) -> Records {
    let fitted: Vec<(View, StringRecord)> = views
        .iter()
        .map(|v| (*v, v.fit_header(&header.record())))
        .collect();
    let mut records = Records::default();
    let mut raw = csv::ByteRecord::new();
    let mut record = StringRecord::new();
    let mut row_no = 1u64;
    let mut times = std::collections::BTreeSet::new();
    loop {
        match rdr.read_byte_record(&mut raw) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // a broken quote or an I/O error: stop here, keep what was read
                cov.error = Some(format!("CSV read error after row {row_no}: {e}"));
                break;
            }
        }
        row_no += 1;
        cov.lines_total += 1;
        if lossy_text(&raw, dialect.copy_text, &mut record) {
            cov.invalid_utf8_lines += 1;
        }
        if record.len() != header.len() {
            cov.lines_unrecognized += 1;
            let why = format!(
                "{} fields where the header has {} (row not used)",
                record.len(),
                header.len()
            );
            push_example(cov, row_no, why);
            continue;
        }
        // a joined export: the row is read as each view, counted once
        let mut read = RowRead::default();
        for (i, (view, names)) in fitted.iter().enumerate() {
            let r = records.add(*view, names, &record);
            if i == 0 {
                read = r;
            }
        }
        times.extend(read.at);
        count_row(cov, row_no, &read);
    }
    if times.len() > 1 {
        records.times_in_one_file.push(times.into_iter().collect());
    }
    records
}

/// Copies `raw` into `record` as text (COPY text format unescaped when
/// `copy_text`); `true` when some bytes were not UTF-8 (replaced).
fn lossy_text(raw: &csv::ByteRecord, copy_text: bool, record: &mut StringRecord) -> bool {
    let mut lossy = false;
    record.clear();
    for f in raw.iter() {
        let text = match std::str::from_utf8(f) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => {
                lossy = true;
                String::from_utf8_lossy(f)
            }
        };
        if copy_text {
            record.push_field(&unescape_copy_text(&text));
        } else {
            record.push_field(&text);
        }
    }
    lossy
}

/// A field of PostgreSQL's COPY text format as its value: `\N` (null) is empty,
/// `\t`, `\n`, `\r`, `\\` and the other backslash escapes are undone.
fn unescape_copy_text(f: &str) -> std::borrow::Cow<'_, str> {
    if f == "\\N" {
        return "".into();
    }
    if !f.contains('\\') {
        return f.into();
    }
    let mut out = String::with_capacity(f.len());
    let mut chars = f.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // `\NNN` octal and `\xHH` hexadecimal byte values
            Some(d @ '0'..='7') => {
                let mut v = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.clone().next().and_then(|c| c.to_digit(8)) {
                        Some(x) => {
                            v = v * 8 + x;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            }
            Some('x') => {
                let (mut v, mut n) = (0, 0);
                while n < 2 {
                    match chars.clone().next().and_then(|c| c.to_digit(16)) {
                        Some(x) => {
                            v = v * 16 + x;
                            chars.next();
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 {
                    out.push('x');
                } else {
                    out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                }
            }
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out.into()
}

/// Counts a data row as parsed or unrecognized, with an example of the latter.
fn count_row(cov: &mut FileCoverage, row_no: u64, read: &RowRead) {
    if !read.used {
        cov.lines_unrecognized += 1;
        push_example(
            cov,
            row_no,
            "a required column is empty or unreadable (row not used)".into(),
        );
    } else if !read.bad.is_empty() {
        cov.lines_unrecognized += 1;
        let what: Vec<String> = read
            .bad
            .iter()
            .map(|b| format!("{} = '{}'", b.column, b.value))
            .collect();
        push_example(
            cov,
            row_no,
            format!(
                "unreadable value(s) {} (row used, those values taken as empty)",
                what.join(", ")
            ),
        );
    } else {
        cov.lines_parsed += 1;
    }
}

fn push_example(cov: &mut FileCoverage, row: u64, text: String) {
    if cov.unrecognized_examples.len() < EXAMPLES {
        cov.unrecognized_examples
            .push((row, format!("CSV row {row}: {text}")));
    }
}

/// Whether `record` (under `names`) reads as both the row key and `R`.
fn reads_as<R: CsvRow>(names: &StringRecord, record: &StringRecord) -> Result<(), csv::Error> {
    record.deserialize::<RowKey>(Some(names))?;
    record.deserialize::<R>(Some(names))?;
    Ok(())
}

/// The header names as `R` reads them: a column that names a field an earlier
/// column already gave (a duplicate name, or an old and a new name of one
/// column) is blanked, so the first one is read.
pub fn fit<R: CsvRow>(names: &StringRecord) -> StringRecord {
    let empty = |n: usize| StringRecord::from(vec![""; n]);
    if reads_as::<R>(names, &empty(names.len())).is_ok() {
        return names.clone();
    }
    let mut fitted = StringRecord::new();
    for name in names {
        fitted.push_field(name);
        if reads_as::<R>(&fitted, &empty(fitted.len())).is_err() {
            fitted.truncate(fitted.len() - 1);
            fitted.push_field("");
        }
    }
    fitted
}

/// The value as reported when one cell does not read as `R` (or the row key).
fn bad_value<R: CsvRow>(name: &str, value: &str) -> Option<String> {
    let names = StringRecord::from(vec![name]);
    let record = StringRecord::from(vec![value]);
    let err = reads_as::<R>(&names, &record).err()?;
    Some(match err.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.kind() {
            csv::DeserializeErrorKind::Message(m) => m.clone(),
            other => other.to_string(),
        },
        other => format!("{other:?}"),
    })
}

/// Deserializes a row as `R`: values that do not parse are reported, with
/// their column, and read as empty.
fn deserialize<R: CsvRow>(
    names: &StringRecord,
    record: &StringRecord,
) -> (RowKey, R, Vec<BadValue>) {
    if let (Ok(key), Ok(row)) = (
        record.deserialize::<RowKey>(Some(names)),
        record.deserialize::<R>(Some(names)),
    ) {
        return (key, row, Vec::new());
    }
    let mut bad = Vec::new();
    let mut clean = StringRecord::new();
    for (name, value) in names.iter().zip(record) {
        match bad_value::<R>(name, value) {
            Some(shown) => {
                bad.push(BadValue {
                    column: name.to_string(),
                    value: shown,
                });
                clean.push_field("");
            }
            None => clean.push_field(value),
        }
    }
    let key = clean.deserialize(Some(names)).unwrap_or_default();
    let row = clean.deserialize(Some(names)).unwrap_or_default();
    (key, row, bad)
}

/// Reads one data row of a view whose rows are `R` into `rows`.
pub fn read_row<R: CsvRow>(
    names: &StringRecord,
    record: &StringRecord,
    per_database: bool,
    rows: &mut Vec<Keyed<R::Record>>,
) -> RowRead {
    let (key, row, bad) = deserialize::<R>(names, record);
    let at = key.snapshot_at.0;
    let db = if per_database { key.datname.0 } else { None };
    let used = match row.into_record() {
        Some(row) => {
            rows.push(Keyed { at, db, row });
            true
        }
        None => false,
    };
    RowRead { at, used, bad }
}

#[cfg(test)]
mod tests;

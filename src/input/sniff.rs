//! Recognizes a log's format from its first lines: stderr, csvlog, jsonlog (also
//! Google Cloud SQL's JSON export) or syslog.

/// A log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogFormat {
    Stderr,
    Csvlog,
    Jsonlog,
    Syslog,
    /// pgBouncer's own log.
    Pgbouncer,
}

impl LogFormat {
    /// The name used on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Stderr => "stderr",
            LogFormat::Csvlog => "csvlog",
            LogFormat::Jsonlog => "jsonlog",
            LogFormat::Syslog => "syslog",
            LogFormat::Pgbouncer => "pgbouncer",
        }
    }

    /// Parses a `--format` value.
    pub fn from_name(s: &str) -> Option<LogFormat> {
        Some(match s {
            "stderr" => LogFormat::Stderr,
            "csvlog" | "csv" => LogFormat::Csvlog,
            "jsonlog" | "json" => LogFormat::Jsonlog,
            "syslog" => LogFormat::Syslog,
            "pgbouncer" => LogFormat::Pgbouncer,
            _ => return None,
        })
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY-MM-DD HH:MM:SS` at the start of `s` (optionally quoted).
fn starts_with_datetime(s: &str) -> bool {
    let s = s.strip_prefix('"').unwrap_or(s);
    let b = s.as_bytes();
    b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
}

/// pgBouncer's lines: a timestamp, its zone, `[pid]`, then a severity word
/// followed by a space, not a colon (`... UTC [13630] LOG stats: ...`).
fn looks_pgbouncer(line: &str) -> bool {
    if !starts_with_datetime(line) || line.starts_with('"') {
        return false;
    }
    let Some((_, rest)) = line.split_once(" [") else {
        return false;
    };
    let Some((pid, rest)) = rest.split_once("] ") else {
        return false;
    };
    !pid.is_empty()
        && is_digits(pid)
        && [
            "LOG ", "WARNING ", "ERROR ", "FATAL ", "NOTICE ", "DEBUG ", "NOISE ",
        ]
        .iter()
        .any(|l| rest.starts_with(l))
}

/// A csvlog record starts with a timestamp field followed by a comma, and its
/// first line has the severity field (`LOG`, `ERROR`, ...) among many commas.
fn looks_csv(line: &str) -> bool {
    if !starts_with_datetime(line) {
        return false;
    }
    // the 19 bytes checked may end inside a character (a damaged line)
    let Some(after) = line.strip_prefix('"').unwrap_or(line).get(19..) else {
        return false;
    };
    let first_field_end = after.find(',');
    first_field_end.is_some_and(|p| !after[..p].contains(' ') || after[..p].split(' ').count() <= 2)
        && line.matches(',').count() >= 12
        && [
            ",LOG,",
            ",ERROR,",
            ",FATAL,",
            ",WARNING,",
            ",NOTICE,",
            ",INFO,",
            ",PANIC,",
            ",DEBUG",
        ]
        .iter()
        .any(|l| line.contains(l))
}

/// `Mon DD HH:MM:SS host ident[pid]: ` (BSD syslog) or an ISO timestamp (RFC 5424
/// style) followed by `host ident[pid]: `.
pub fn looks_syslog(line: &str) -> bool {
    let Some(colon) = line.find("]: ") else {
        return false;
    };
    let head = &line[..colon];
    let Some(open) = head.rfind('[') else {
        return false;
    };
    // `postgres[123]`, or Heroku's `app[postgres.123]` (and its metrics' `app[heroku-postgres]`)
    let ident = &head[open + 1..];
    let pid = ident.strip_prefix("postgres.").unwrap_or(ident);
    if !is_digits(pid) && ident != "heroku-postgres" {
        return false;
    }
    let words: Vec<&str> = head[..open].split_whitespace().collect();
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match words.as_slice() {
        [mon, day, time, _host, _ident] => {
            MONTHS.contains(mon) && is_digits(day) && time.len() == 8 && time.as_bytes()[2] == b':'
        }
        [iso, _, _] | [iso, _] => {
            iso.len() >= 19 && iso.as_bytes()[4] == b'-' && iso.as_bytes()[10] == b'T'
        }
        _ => false,
    }
}

/// The sample read as CSV: records that start like a csvlog record (a
/// timestamp, a severity among 20 fields or more), and all records (a quoted
/// field holds its newlines; the last record may be cut by the sample's end).
fn csv_records(lines: &[&str]) -> (usize, usize) {
    let text = lines.join("\n");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let (mut looks, mut all) = (0, 0);
    for r in rdr.records() {
        let Ok(r) = r else { break };
        all += 1;
        let severity = r.get(11).unwrap_or("");
        if r.len() >= 20
            && starts_with_datetime(r.get(0).unwrap_or(""))
            && matches!(
                severity,
                "LOG"
                    | "ERROR"
                    | "FATAL"
                    | "PANIC"
                    | "WARNING"
                    | "NOTICE"
                    | "INFO"
                    | "DEBUG1"
                    | "DEBUG2"
                    | "DEBUG3"
                    | "DEBUG4"
                    | "DEBUG5"
                    | "STATEMENT"
                    | "DETAIL"
            )
        {
            looks += 1;
        }
    }
    (looks, all)
}

/// Picks the format most of the sample's lines look like; stderr when nothing else fits.
pub fn sniff(sample: &[&str]) -> LogFormat {
    let lines: Vec<&str> = sample
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty())
        .take(200)
        .collect();
    if lines.is_empty() {
        return LogFormat::Stderr;
    }
    // JSON objects that are log records: jsonlog's severity or Cloud SQL's payload.
    let json = lines
        .iter()
        .filter(|l| {
            l.trim_start().starts_with('{')
                && (l.contains("\"error_severity\"")
                    || l.contains("\"textPayload\"")
                    || l.contains("\"logging_pod"))
        })
        .count();
    let csv = lines.iter().filter(|l| looks_csv(l)).count();
    // a csvlog record may span many lines (a plan, a long query): by records
    let (csv_records, records) = csv_records(&lines);
    if csv_records > 0 && csv_records * 2 >= records && csv_records * 3 < lines.len() {
        return LogFormat::Csvlog;
    }
    let syslog = lines.iter().filter(|l| looks_syslog(l)).count();
    let pgbouncer = lines.iter().filter(|l| looks_pgbouncer(l)).count();
    let best = [
        (json, LogFormat::Jsonlog),
        (csv, LogFormat::Csvlog),
        (syslog, LogFormat::Syslog),
        (pgbouncer, LogFormat::Pgbouncer),
    ]
    .into_iter()
    .max_by_key(|(n, _)| *n)
    .unwrap_or((0, LogFormat::Stderr));
    // csvlog records and JSON objects may span lines; a third of lines is plenty.
    if best.0 > 0 && best.0 * 3 >= lines.len() {
        best.1
    } else {
        LogFormat::Stderr
    }
}

/// Whether a first line looks like a CSV header ([`csv_header_delimiter`]).
pub fn looks_like_csv_header(line: &str) -> bool {
    csv_header_delimiter(line).is_some()
}

/// The separator of a first line that is a CSV header: at least two fields
/// separated by `,`, `;`, a tab or `|` (what psql, pgAdmin, DBeaver and
/// spreadsheets write), each an SQL identifier, optionally quoted, or psql's
/// `?column?`; a UTF-8 byte order mark is ignored. Log lines never are.
pub fn csv_header_delimiter(line: &str) -> Option<u8> {
    let line = line
        .trim_end_matches(['\r', '\n'])
        .trim_start_matches('\u{feff}');
    [b',', b';', b'\t', b'|']
        .into_iter()
        .find(|&d| header_fields(line, d as char))
}

/// Whether `line` split at `d` is a header: two fields or more, each a name.
fn header_fields(line: &str, d: char) -> bool {
    let mut fields: Vec<&str> = line.split(d).collect();
    if fields.len() > 2 && fields.last().is_some_and(|f| f.trim().is_empty()) {
        fields.pop();
    }
    fields.len() >= 2
        && fields.iter().all(|f| {
            let f = f.trim().trim_matches('"');
            let mut chars = f.chars();
            f == "?column?"
                || (chars
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_across_the_timestamp_end_is_no_csv_record() {
        // bytes 18..21 are one character: byte 19 is inside it
        let line = "2024-05-02 03:43:4\u{fffd}4.948 CEST,a,b,c,d,e,f,g,h,i,j,k,l,m,LOG,x";
        assert!(!looks_csv(line));
        assert!(!looks_csv(&format!("\"{line}")));
        assert_eq!(sniff(&[line]), LogFormat::Stderr);
    }

    #[test]
    fn recognizes_each_format() {
        assert_eq!(
            sniff(&["2024-05-01 10:00:00.001 UTC [1] LOG:  statement: SELECT 1"]),
            LogFormat::Stderr
        );
        assert_eq!(
            sniff(&[
                "2021-01-22 10:03:22.785 CET,\"aaaa\",\"aaaa\",1486,\"127.0.0.1:52306\",6009c305.5ce,32878,\"SELECT\",2021-01-21 19:08:05 CET,14/10903,0,LOG,00000,\"duration: 26.120 ms  statement: x\",,,,,,,,,\"app\""
            ]),
            LogFormat::Csvlog
        );
        assert_eq!(
            sniff(&[
                "{\"timestamp\":\"2024-06-27 00:00:07.369 CEST\",\"pid\":1,\"error_severity\":\"LOG\"}"
            ]),
            LogFormat::Jsonlog
        );
        assert_eq!(
            sniff(&["{\"name\": \"a package.json\"}"]),
            LogFormat::Stderr
        );
        assert_eq!(
            sniff(&["Feb 11 13:15:39 test-pc postgres[10808]: [1-1] db=,user= LOG:  listening"]),
            LogFormat::Syslog
        );
        assert_eq!(
            sniff(&["2024-02-11T13:15:39.123+01:00 test-pc postgres[10808]: [1-1] LOG:  x"]),
            LogFormat::Syslog
        );
    }

    #[test]
    fn stderr_with_commas_is_not_csv() {
        let l = "2024-05-01 10:00:00.001 UTC [1]: [1-1] user=a,db=b,app=c,client=d LOG:  duration: 1.0 ms  statement: SELECT 1,2,3,4,5,6,7,8,9,10,11,12";
        assert_eq!(sniff(&[l]), LogFormat::Stderr);
    }

    #[test]
    fn header_lines_are_told_from_log_lines() {
        assert!(looks_like_csv_header(
            "snapshot_at,datname,relid,schemaname\r"
        ));
        assert!(looks_like_csv_header("\"name\",\"setting\""));
        assert!(!looks_like_csv_header(
            "2024-01-01 00:00:00.000 UTC,\"u\",\"d\",1,\"[local]\",x,1,\"SELECT\""
        ));
        assert!(!looks_like_csv_header("# samples"));
        assert!(!looks_like_csv_header("single_column"));
        assert_eq!(csv_header_delimiter("relname;seq_scan"), Some(b';'));
        assert_eq!(
            csv_header_delimiter("\u{feff}\"RELNAME\";\"SEQ_SCAN\""),
            Some(b';')
        );
        assert_eq!(
            csv_header_delimiter("relid\trelname\tseq_scan"),
            Some(b'\t')
        );
        assert_eq!(csv_header_delimiter("a|b"), Some(b'|'));
        assert_eq!(csv_header_delimiter("relname,?column?"), Some(b','));
        // a log line with semicolons is not a header
        assert_eq!(csv_header_delimiter("LOG:  x; y"), None);
    }
}

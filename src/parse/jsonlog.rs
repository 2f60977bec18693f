//! jsonlog (PostgreSQL 15+): one JSON object per line, read with serde_json and
//! mapped to the same [`LogEntry`] as stderr. Also CloudNativePG's pod logs,
//! whose `logger: "postgres"` records carry the server's csvlog columns (as
//! strings) under `record`; records of its other loggers (instance manager,
//! WAL archiving) are counted as not analyzed. Also Google Cloud SQL's JSON export,
//! whose `textPayload` is a stderr line without its timestamp: the record's
//! `timestamp` is put in front of it and the line goes through the stderr parser
//! with the detected prefix. Unknown fields are ignored; a line that is not a JSON
//! object with a message is unrecognized.

use super::StderrParser;
use super::entry::{Assembled, LogEntry};
use super::events::{Event, EventBuilder};
use super::prefix::{Level, LinePrefix, detect};
use super::timestamp::{Clock, Timestamp, datetime, datetime_zone};
use serde::Deserialize;

/// The fields pgsift reads from a jsonlog or Cloud SQL record.
#[derive(Debug, Default, Deserialize)]
struct Record {
    timestamp: Option<String>,
    user: Option<String>,
    dbname: Option<String>,
    pid: Option<u32>,
    remote_host: Option<String>,
    session_id: Option<String>,
    session_line_num: Option<u64>,
    error_severity: Option<String>,
    state_code: Option<String>,
    message: Option<String>,
    detail: Option<String>,
    hint: Option<String>,
    internal_query: Option<String>,
    context: Option<String>,
    statement: Option<String>,
    application_name: Option<String>,
    query_id: Option<i64>,
    #[serde(rename = "textPayload")]
    text_payload: Option<String>,
    /// CloudNativePG: which component wrote the line, and the server's record.
    logger: Option<String>,
    record: Option<CnpgRecord>,
}

/// A CloudNativePG `record`: PostgreSQL's csvlog columns, every value a string.
#[derive(Debug, Default, Deserialize)]
struct CnpgRecord {
    log_time: Option<String>,
    user_name: Option<String>,
    database_name: Option<String>,
    process_id: Option<String>,
    connection_from: Option<String>,
    session_id: Option<String>,
    session_line_num: Option<String>,
    error_severity: Option<String>,
    sql_state_code: Option<String>,
    message: Option<String>,
    detail: Option<String>,
    hint: Option<String>,
    internal_query: Option<String>,
    context: Option<String>,
    query: Option<String>,
    application_name: Option<String>,
    query_id: Option<String>,
}

impl CnpgRecord {
    /// The record as a jsonlog one (`connection_from` without its port).
    fn into_record(self) -> Record {
        let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
        Record {
            timestamp: self.log_time,
            user: self.user_name,
            dbname: self.database_name,
            pid: self.process_id.and_then(|p| p.parse().ok()),
            remote_host: self.connection_from.map(|c| match c.rsplit_once(':') {
                Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host.to_string(),
                _ => c,
            }),
            session_id: self.session_id,
            session_line_num: self.session_line_num.and_then(|n| n.parse().ok()),
            error_severity: self.error_severity,
            state_code: self.sql_state_code,
            message: self.message,
            detail: nonempty(self.detail),
            hint: nonempty(self.hint),
            internal_query: nonempty(self.internal_query),
            context: nonempty(self.context),
            statement: nonempty(self.query),
            application_name: self.application_name,
            query_id: self.query_id.and_then(|q| q.parse().ok()),
            ..Record::default()
        }
    }
}

/// Parses an RFC 3339 instant (`2020-05-02T13:00:20.382318Z`, `...+02:00`).
pub fn rfc3339(s: &str) -> Option<Timestamp> {
    if s.len() < 19 || s.as_bytes()[10] != b'T' {
        return None;
    }
    let body = format!("{} {}", &s[..10], &s[11..]);
    let (rest, wall) = datetime(&body).ok()?;
    let offset_min = match rest {
        "Z" | "" => 0,
        r => super::timestamp::zone_offset(r)?,
    };
    Some(Timestamp(wall.0 - i64::from(offset_min) * 60_000))
}

fn parse_record(line: &str) -> Option<Record> {
    let l = line.trim();
    if !l.starts_with('{') {
        return None;
    }
    serde_json::from_str(l).ok()
}

/// The stderr line a Cloud SQL record stands for: its timestamp, then its payload.
/// Cloud SQL writes each line of a multi-line message as its own record; a payload
/// starting with a tab continues the previous one and is passed on as it is.
fn cloud_line(r: &Record) -> Option<String> {
    let payload = r.text_payload.as_deref()?;
    if payload.starts_with('\t') {
        return Some(payload.trim_end_matches('\n').to_string());
    }
    let ts = r.timestamp.as_deref().and_then(rfc3339)?;
    Some(format!(
        "{} UTC {}",
        ts.format(),
        payload.trim_end_matches('\n')
    ))
}

/// Streams jsonlog (or Cloud SQL JSON) lines into events.
pub struct JsonlogParser {
    events: EventBuilder,
    /// For Cloud SQL exports: the stderr parser its payloads go through.
    cloud: Option<StderrParser>,
    line_no: u64,
    zones: Vec<String>,
}

impl JsonlogParser {
    /// Builds a parser; `sample` (the file's first lines) is used to detect the
    /// prefix of Cloud SQL payloads, unless `given` is set. Returns the prefix used
    /// for payloads, if any.
    pub fn new(sample: &[&str], given: Option<&LinePrefix>) -> (Self, Option<LinePrefix>) {
        let synthetic: Vec<String> = sample
            .iter()
            .filter_map(|l| parse_record(l))
            .filter_map(|r| cloud_line(&r))
            .collect();
        let prefix = if synthetic.is_empty() {
            None
        } else {
            match given {
                Some(p) => Some(LinePrefix::compile(&format!("%m {}", p.source()))),
                None => {
                    let refs: Vec<&str> = synthetic.iter().map(String::as_str).collect();
                    detect(&refs).ok().map(|d| d.prefix)
                }
            }
        };
        let parser = JsonlogParser {
            events: EventBuilder::default(),
            cloud: prefix.clone().map(StderrParser::new),
            line_no: 0,
            zones: Vec::new(),
        };
        (parser, prefix)
    }

    /// Feeds one line (one JSON object).
    pub fn push_line(&mut self, line: &str, out: &mut impl FnMut(Event)) {
        self.line_no += 1;
        if line.trim().is_empty() {
            if let Some(c) = self.cloud.as_mut() {
                c.push_line("", out);
            } else {
                out(Event::Blank);
            }
            return;
        }
        let record = parse_record(line);
        if let (Some(c), Some(r)) = (self.cloud.as_mut(), record.as_ref()) {
            match cloud_line(r) {
                Some(l) => c.push_line(&l, out),
                None => {
                    // keep the inner parser's line numbers in step
                    c.push_line(line, out);
                }
            }
            return;
        }
        if let Some(c) = self.cloud.as_mut() {
            c.push_line(line, out);
            return;
        }
        // CloudNativePG: the server's record, or another component's line
        let record = match record {
            Some(Record {
                logger: Some(logger),
                record,
                ..
            }) => match (logger.as_str(), record) {
                ("postgres", Some(r)) => Some(r.into_record()),
                _ => {
                    out(Event::Ignored {
                        category: "CloudNativePG record (not the server's)",
                        lines: 1,
                    });
                    return;
                }
            },
            other => other,
        };
        match record.and_then(|r| self.entry(r)) {
            Some(e) => self.events.push(Assembled::Entry(Box::new(e), None), out),
            None => out(Event::Unrecognized {
                line: self.line_no,
                text: line.to_string(),
                lines: 1,
            }),
        }
    }

    fn entry(&mut self, r: Record) -> Option<LogEntry> {
        let (_, (ts, zone)) = datetime_zone(r.timestamp.as_deref()?).ok()?;
        self.events.set_zone(zone);
        if !self.zones.iter().any(|z| z == zone) {
            self.zones.push(zone.to_string());
        }
        let level = Level::from_word(r.error_severity.as_deref()?)?;
        let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
        Some(LogEntry {
            ts: Some(ts),
            pid: r.pid,
            session_id: r.session_id.map(Into::into),
            user: nonempty(r.user).map(Into::into),
            db: nonempty(r.dbname).map(Into::into),
            app: nonempty(r.application_name).map(Into::into),
            client: nonempty(r.remote_host).map(Into::into),
            level: Some(level),
            sqlstate: r.state_code.map(Into::into),
            query_id: r.query_id.filter(|q| *q != 0),
            session_line: r.session_line_num,
            message: r.message?,
            detail: r.detail,
            hint: r.hint,
            context: r.context,
            statement: r.statement,
            query: r.internal_query,
            line: self.line_no,
            lines: 1,
        })
    }

    /// Flushes open entries and unpaired statements.
    pub fn finish(&mut self, out: &mut impl FnMut(Event)) {
        if let Some(c) = self.cloud.as_mut() {
            c.finish(out);
        }
        self.events.finish(out);
    }

    /// Leaves out the entries `filter` does not keep.
    pub fn set_filter(&mut self, filter: std::sync::Arc<super::filter::EntryFilter>) {
        if let Some(c) = self.cloud.as_mut() {
            c.set_filter(filter.clone());
        }
        self.events.set_filter(filter);
    }

    pub fn zones(&self) -> Vec<String> {
        match &self.cloud {
            Some(c) => c.zones().to_vec(),
            None => self.zones.clone(),
        }
    }

    /// The clock of the entries' timestamps: jsonlog always writes
    /// milliseconds; a Cloud SQL payload's, that of its prefix.
    pub fn clock(&self) -> Option<Clock> {
        match &self.cloud {
            Some(c) => c.prefix().clock(),
            None => Some(Clock::Millis),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&str]) -> Vec<Event> {
        let (mut p, _) = JsonlogParser::new(lines, None);
        let mut ev = Vec::new();
        for l in lines {
            p.push_line(l, &mut |e| ev.push(e));
        }
        p.finish(&mut |e| ev.push(e));
        ev
    }

    #[test]
    fn native_jsonlog_record() {
        let ev = run(&[
            r#"{"timestamp":"2024-06-27 00:00:07.369 CEST","user":"bob","dbname":"shop","pid":58151,"error_severity":"LOG","message":"duration: 2.500 ms  statement: SELECT 1","application_name":"psql","backend_type":"client backend","query_id":0,"unknown_field":[1,2]}"#,
            "{not json",
        ]);
        match &ev[0] {
            Event::Query(q) => {
                assert_eq!(q.duration_us, Some(2500));
                assert_eq!(q.entry.user.as_deref(), Some("bob"));
                assert_eq!(q.entry.ts.unwrap().format(), "2024-06-26 22:00:07.369");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(ev[1], Event::Unrecognized { line: 2, .. }));
    }

    #[test]
    fn cloud_sql_payloads_go_through_the_stderr_parser() {
        let a = r#"{"severity":"INFO","textPayload":"[24667]: [2-1] db=cloudsqladmin,user=cloudsqladmin LOG:  connection authorized: user=cloudsqladmin database=cloudsqladmin","timestamp":"2020-05-02T13:00:20.38403Z"}"#;
        let b = r#"{"severity":"INFO","textPayload":"[24668]: [3-1] db=app,user=bob LOG:  duration: 1.250 ms  statement: SELECT 2","timestamp":"2020-05-02T13:00:21.5Z"}"#;
        let ev = run(&[a, b, a, b]);
        let q: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Query(q) => Some(q),
                _ => None,
            })
            .collect();
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].entry.user.as_deref(), Some("bob"));
        assert_eq!(q[0].entry.db.as_deref(), Some("app"));
        assert_eq!(q[0].entry.ts.unwrap().format(), "2020-05-02 13:00:21.500");
    }

    #[test]
    fn cloudnative_pg_records_are_the_servers_csvlog_columns() {
        let pg = r#"{"level":"info","ts":"2025-12-09T00:32:20.823314307Z","logger":"postgres","msg":"record","logging_pod":"cluster-test1-1","record":{"log_time":"2025-12-09 00:32:20.822 UTC","user_name":"app","database_name":"shop","process_id":"4003","connection_from":"10.0.0.7:51234","session_id":"69376dbf.fa3","session_line_num":"1","command_tag":"SELECT","error_severity":"LOG","sql_state_code":"00000","message":"duration: 100.000 ms  statement: SELECT 1","detail":"","application_name":"psql","backend_type":"client backend","query_id":"0"}}"#;
        let manager = r#"{"level":"info","ts":"2025-12-09T00:32:21Z","logger":"wal-archive","msg":"Archived WAL file","logging_pod":"cluster-test1-1","walName":"pg_wal/000000010000000000000003"}"#;
        let ev = run(&[pg, manager]);
        match &ev[0] {
            Event::Query(q) => {
                assert_eq!(q.duration_us, Some(100_000));
                assert_eq!(q.entry.pid, Some(4003));
                assert_eq!(q.entry.db.as_deref(), Some("shop"));
                assert_eq!(q.entry.client.as_deref(), Some("10.0.0.7"));
                assert_eq!(q.entry.detail, None);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(ev[1], Event::Ignored { .. }), "{:?}", ev[1]);
    }

    #[test]
    fn rfc3339_offsets() {
        assert_eq!(
            rfc3339("2020-05-02T15:00:00+02:00"),
            rfc3339("2020-05-02T13:00:00Z")
        );
    }
}

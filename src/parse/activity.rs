//! Server activity messages: lock waits, temporary files, checkpoints, autovacuum,
//! connection attempts, authentication failures, cancellations, and error messages
//! normalized for grouping. Each parser takes the message text of one entry.

/// A lock wait line (`log_lock_waits`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockWait {
    pub pid: u32,
    /// `still waiting`, `acquired` or `deadlock` (detected while waiting).
    pub state: LockState,
    /// `ShareLock`, `AccessExclusiveLock`, ...
    pub mode: String,
    /// What was waited for, as logged: `transaction 1179`, `relation 16385 of database 16384`, ...
    pub object: String,
    pub waited_us: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockState {
    Waiting,
    Acquired,
    Deadlock,
}

fn ms_to_us(s: &str) -> Option<u64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.len() > 12 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut us: u64 = whole.parse::<u64>().ok()? * 1000;
    let frac: String = frac.chars().chain("000".chars()).take(3).collect();
    us += frac.parse::<u64>().ok()?;
    Some(us)
}

/// `process 123 still waiting for ShareLock on transaction 456 after 1000.050 ms`,
/// also `acquired` and `detected deadlock while waiting for`.
pub fn lock_wait(msg: &str) -> Option<LockWait> {
    let rest = msg.strip_prefix("process ")?;
    let (pid, rest) = rest.split_once(' ')?;
    let (state, rest) = if let Some(r) = rest.strip_prefix("still waiting for ") {
        (LockState::Waiting, r)
    } else if let Some(r) = rest.strip_prefix("acquired ") {
        (LockState::Acquired, r)
    } else if let Some(r) = rest.strip_prefix("detected deadlock while waiting for ") {
        (LockState::Deadlock, r)
    } else {
        return None;
    };
    let (mode, rest) = rest.split_once(" on ")?;
    // `... after 100.121 ms`, sometimes followed by ` at character 22`
    let (object, after) = rest.rsplit_once(" after ")?;
    let ms = after.split_once(" ms").map(|(m, _)| m)?;
    Some(LockWait {
        pid: pid.parse().ok()?,
        state,
        mode: mode.to_string(),
        object: object.to_string(),
        waited_us: ms_to_us(ms)?,
    })
}

/// The object of a lock wait without the ids that differ every time (a
/// transaction id, a tuple's position), so waits on the same kind of thing group.
pub fn lock_object_kind(object: &str, context: Option<&str>) -> String {
    // CONTEXT: `while updating tuple (0,7) in relation "customers"`: the relation's name
    let relation = context
        .and_then(|c| c.split(" in relation \"").nth(1))
        .and_then(|r| r.split('"').next());
    let kind = object.split(' ').next().unwrap_or(object);
    match (kind, relation) {
        ("relation", _) => object.to_string(),
        (k, Some(r)) => format!("{k} (rows of relation \"{r}\")"),
        ("tuple", None) => object
            .split_once(" of ")
            .map_or_else(|| "tuple".to_string(), |(_, rel)| format!("tuple of {rel}")),
        (k, None) => k.to_string(),
    }
}

/// `Process holding the lock: 6001. Wait queue: 6005.` -> the holders' pids.
pub fn lock_holders(detail: &str) -> Vec<u32> {
    let Some(after) = detail
        .strip_prefix("Process holding the lock: ")
        .or_else(|| detail.strip_prefix("Processes holding the lock: "))
    else {
        return Vec::new();
    };
    let list = after
        .split(". ")
        .next()
        .unwrap_or(after)
        .trim_end_matches('.');
    list.split(", ")
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}

/// `temporary file: path "base/pgsql_tmp/pgsql_tmp123.0", size 1048576` -> bytes.
pub fn temp_file(msg: &str) -> Option<u64> {
    let rest = msg.strip_prefix("temporary file: path \"")?;
    rest.rsplit_once("\", size ")?.1.trim().parse().ok()
}

/// A checkpoint (or restartpoint) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointMsg {
    /// `checkpoint starting: <flags>`, with the reason it was taken.
    Starting { reason: &'static str },
    /// `checkpoint complete: wrote N buffers ...; write=X s, sync=Y s, total=Z s; ... distance=D kB`.
    Complete {
        buffers: u64,
        write_ms: u64,
        sync_ms: u64,
        total_ms: u64,
        distance_kb: u64,
    },
    /// `checkpoints are occurring too frequently (N seconds apart)`.
    TooFrequent { seconds: u64 },
}

fn number_after<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let i = s.find(key)? + key.len();
    let rest = &s[i..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// `1.234` seconds as 1234 ms: the same digit shift as milliseconds to microseconds.
fn seconds_as_ms(s: &str) -> Option<u64> {
    ms_to_us(s)
}

/// Parses checkpoint messages.
pub fn checkpoint(msg: &str) -> Option<CheckpointMsg> {
    let starting = msg
        .strip_prefix("checkpoint starting: ")
        .or_else(|| msg.strip_prefix("restartpoint starting: "));
    if let Some(flags) = starting {
        let reason = [
            "shutdown",
            "end-of-recovery",
            "immediate",
            "wal",
            "xlog",
            "time",
        ]
        .into_iter()
        .find(|r| flags.split(' ').any(|f| f == *r))
        .map_or("other", |r| if r == "xlog" { "wal" } else { r });
        return Some(CheckpointMsg::Starting { reason });
    }
    if msg.starts_with("checkpoint complete: ") || msg.starts_with("restartpoint complete: ") {
        return Some(CheckpointMsg::Complete {
            buffers: number_after(msg, "wrote ")?.parse().ok()?,
            write_ms: seconds_as_ms(number_after(msg, "write=")?)?,
            sync_ms: seconds_as_ms(number_after(msg, "sync=")?)?,
            total_ms: seconds_as_ms(number_after(msg, "total=")?)?,
            distance_kb: number_after(msg, "distance=")
                .and_then(|d| d.parse().ok())
                .unwrap_or(0),
        });
    }
    let secs = msg.strip_prefix("checkpoints are occurring too frequently (")?;
    Some(CheckpointMsg::TooFrequent {
        seconds: secs.split(' ').next()?.parse().ok()?,
    })
}

/// One autovacuum or autoanalyze run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Autovacuum {
    pub analyze: bool,
    /// `db.schema.table`
    pub table: String,
    pub elapsed_ms: Option<u64>,
    pub pages_removed: u64,
    pub tuples_removed: u64,
}

/// `automatic vacuum of table "db.schema.table": index scans: N` with its
/// multi-line detail (pages, tuples, ..., `system usage: ... elapsed: X s`), and
/// `automatic analyze of table "..."`.
pub fn autovacuum(msg: &str) -> Option<Autovacuum> {
    let (analyze, rest) = if let Some(r) = msg.strip_prefix("automatic analyze of table \"") {
        (true, r)
    } else if let Some(r) = msg.strip_prefix("automatic vacuum of table \"") {
        (false, r)
    } else if let Some(r) = msg
        .strip_prefix("automatic aggressive vacuum")
        .or_else(|| msg.strip_prefix("automatic vacuum to prevent wraparound"))
    {
        (false, r.split_once("of table \"")?.1)
    } else {
        return None;
    };
    let (table, detail) = rest.split_once('"')?;
    let removed = |key: &str| {
        detail
            .lines()
            .find_map(|l| l.trim_start().strip_prefix(key))
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Some(Autovacuum {
        analyze,
        table: table.to_string(),
        elapsed_ms: number_after(detail, "elapsed: ").and_then(seconds_as_ms),
        pages_removed: removed("pages: "),
        tuples_removed: removed("tuples: "),
    })
}

/// `connection received: host=H port=P` -> the host.
pub fn connection_received(msg: &str) -> Option<&str> {
    let rest = msg.strip_prefix("connection received: ")?;
    rest.split(' ').find_map(|w| w.strip_prefix("host="))
}

/// A failed login (FATAL): the user it was for, when the message names one.
pub fn auth_failure(msg: &str) -> Option<Option<&str>> {
    for p in [
        "password authentication failed for user \"",
        "Peer authentication failed for user \"",
        "Ident authentication failed for user \"",
        "LDAP authentication failed for user \"",
        "certificate authentication failed for user \"",
    ] {
        if let Some(r) = msg.strip_prefix(p) {
            return Some(r.split('"').next());
        }
    }
    if let Some(r) = msg.strip_prefix("role \"")
        && r.contains("\" does not exist")
    {
        return Some(r.split('"').next());
    }
    if let Some(r) = msg.strip_prefix("role \"")
        && r.contains("\" is not permitted to log in")
    {
        return Some(r.split('"').next());
    }
    if msg.starts_with("no pg_hba.conf entry for ")
        || msg.starts_with("pg_hba.conf rejects connection for ")
    {
        return Some(
            msg.split("user \"")
                .nth(1)
                .and_then(|r| r.split('"').next()),
        );
    }
    None
}

/// The kind of a cancellation, from `canceling statement due to ...` and friends.
pub fn cancellation(msg: &str) -> Option<&'static str> {
    Some(match msg {
        m if m.starts_with("canceling statement due to statement timeout") => "statement_timeout",
        m if m.starts_with("canceling statement due to lock timeout") => "lock_timeout",
        m if m.starts_with("canceling statement due to user request") => "user_request",
        m if m.starts_with("canceling statement due to conflict with recovery") => {
            "recovery_conflict"
        }
        m if m.starts_with("canceling autovacuum task") => "autovacuum",
        m if m.starts_with("terminating connection due to idle-in-transaction timeout") => {
            "idle_in_transaction_timeout"
        }
        m if m.starts_with("terminating connection due to idle-session timeout") => {
            "idle_session_timeout"
        }
        _ => return None,
    })
}

/// The SQLSTATE of well-known messages, for logs whose prefix does not print it
/// (`%e`): the code PostgreSQL raises with that message.
pub fn known_sqlstate(msg: &str) -> Option<&'static str> {
    const KNOWN: &[(&str, &str)] = &[
        ("syntax error at or near", "42601"),
        ("syntax error at end of input", "42601"),
        ("division by zero", "22012"),
        ("duplicate key value violates unique constraint", "23505"),
        ("violates foreign key constraint", "23503"),
        ("violates not-null constraint", "23502"),
        ("violates check constraint", "23514"),
        ("deadlock detected", "40P01"),
        ("could not serialize access", "40001"),
        ("canceling statement due to statement timeout", "57014"),
        ("canceling statement due to user request", "57014"),
        ("canceling statement due to lock timeout", "55P03"),
        ("canceling statement due to conflict with recovery", "40001"),
        ("password authentication failed for user", "28P01"),
        ("no pg_hba.conf entry for", "28000"),
        (
            "terminating connection due to idle-in-transaction timeout",
            "25P03",
        ),
        // date and time types raise invalid_datetime_format
        ("invalid input syntax for type timestamp", "22007"),
        ("invalid input syntax for type date", "22007"),
        ("invalid input syntax for type time", "22007"),
        ("invalid input syntax for type interval", "22007"),
        ("date/time field value out of range", "22008"),
        ("invalid input syntax for", "22P02"),
        ("value too long for type", "22001"),
        ("out of shared memory", "53200"),
        ("sorry, too many clients already", "53300"),
        ("remaining connection slots are reserved", "53300"),
        ("permission denied for", "42501"),
        ("current transaction is aborted", "25P02"),
        ("could not obtain lock on", "55P03"),
    ];
    let first = msg.lines().next().unwrap_or_default();
    if let Some(rest) = first
        .strip_prefix("relation \"")
        .or_else(|| first.strip_prefix("table \""))
        && rest.contains("\" does not exist")
    {
        return Some("42P01");
    }
    if first.starts_with("column ") && first.contains(" does not exist") {
        return Some("42703");
    }
    if first.starts_with("function ") && first.contains(" does not exist") {
        return Some("42883");
    }
    if first.starts_with("role \"") && first.contains("\" does not exist") {
        return Some("28000");
    }
    if first.starts_with("database \"") && first.contains("\" does not exist") {
        return Some("3D000");
    }
    KNOWN
        .iter()
        .find(|(m, _)| first.contains(m))
        .map(|(_, c)| *c)
}

/// Words after which a double-quoted name is an object's identifier (kept:
/// `unique constraint "customers_pkey"` and `"customers_email_key"` are two
/// problems), not a value (masked: `type integer: "abc"`, `near "SELEC"`).
/// Role names are masked: failed logins name whatever a client tried (one
/// group per guess), and the failed-logins table lists them.
const NAMES_AN_OBJECT: &[&str] = &[
    "constraint",
    "relation",
    "table",
    "column",
    "index",
    "function",
    "procedure",
    "database",
    "schema",
    "sequence",
    "view",
    "trigger",
    "extension",
    "tablespace",
    "operator",
    "type",
    "domain",
    "policy",
    "publication",
    "subscription",
    "slot",
    "parameter",
];

/// An error message with its variable parts replaced, for grouping: values
/// become `"?"` / `'?'` and numbers `?`; the identifier of a named object
/// (`constraint "x"`, `relation "t"`) is kept. The cursor position stderr
/// appends (` at character 15`; csvlog and jsonlog keep it apart) is dropped,
/// so one error groups alike from every format.
pub fn normalize_message(msg: &str) -> String {
    let first_line = msg.lines().next().unwrap_or_default();
    let first_line = strip_cursor_position(first_line);
    let mut out = String::with_capacity(first_line.len());
    let mut chars = first_line.chars().peekable();
    let mut prev_word = false;
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                let mut quoted = String::new();
                let mut closed = false;
                for d in chars.by_ref() {
                    if d == c {
                        closed = true;
                        break;
                    }
                    quoted.push(d);
                }
                let before = out.trim_end().rsplit(' ').next().unwrap_or("");
                let identifier = c == '"'
                    && closed
                    && !quoted.contains('@')
                    && NAMES_AN_OBJECT.contains(&before.to_ascii_lowercase().as_str());
                out.push(c);
                if identifier {
                    // generated names (`pg_temp_5`, `orders_2024_07`): digits masked
                    let mut digits = false;
                    for ch in quoted.chars() {
                        if ch.is_ascii_digit() {
                            if !digits {
                                out.push('?');
                            }
                            digits = true;
                        } else {
                            out.push(ch);
                            digits = false;
                        }
                    }
                } else {
                    out.push('?');
                }
                out.push(c);
                prev_word = false;
            }
            d if d.is_ascii_digit() && !prev_word => {
                while chars
                    .peek()
                    .is_some_and(|x| x.is_ascii_digit() || *x == '.')
                {
                    chars.next();
                }
                out.push('?');
            }
            _ => {
                prev_word = c.is_alphanumeric() || c == '_';
                out.push(c);
            }
        }
    }
    // messages written by applications (RAISE) may name people: mask e-mail addresses
    out.split(' ')
        .map(|w| {
            if w.contains('@') && w.len() > 2 {
                "?"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `msg` without the ` at character N` stderr appends to a message with a
/// cursor position.
fn strip_cursor_position(msg: &str) -> &str {
    match msg.rsplit_once(" at character ") {
        Some((head, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_waits() {
        let w = lock_wait(
            "process 6005 still waiting for ShareLock on transaction 1179 after 100.146 ms",
        )
        .unwrap();
        assert_eq!(
            (
                w.pid,
                w.state,
                w.mode.as_str(),
                w.object.as_str(),
                w.waited_us
            ),
            (
                6005,
                LockState::Waiting,
                "ShareLock",
                "transaction 1179",
                100_146
            )
        );
        let r = lock_wait(
            "process 7 acquired AccessShareLock on relation 16385 of database 16384 after 996.8 ms",
        )
        .unwrap();
        assert_eq!(r.state, LockState::Acquired);
        assert_eq!(r.waited_us, 996_800);
        assert_eq!(
            lock_object_kind(&r.object, None),
            "relation 16385 of database 16384"
        );
        let at = lock_wait("process 9 still waiting for AccessShareLock on relation 16426 of database 16386 after 100.121 ms at character 22").unwrap();
        assert_eq!(
            (at.object.as_str(), at.waited_us),
            ("relation 16426 of database 16386", 100_121)
        );
        let d = lock_wait("process 6016 detected deadlock while waiting for ShareLock on transaction 1181 after 100.174 ms").unwrap();
        assert_eq!(d.state, LockState::Deadlock);
        assert_eq!(
            lock_object_kind(
                "transaction 1179",
                Some("while updating tuple (0,7) in relation \"customers\"")
            ),
            "transaction (rows of relation \"customers\")"
        );
        assert_eq!(
            lock_holders("Process holding the lock: 6001. Wait queue: 6005."),
            [6001]
        );
        assert_eq!(
            lock_holders("Processes holding the lock: 1, 2. Wait queue: 3."),
            [1, 2]
        );
    }

    #[test]
    fn temp_files_and_checkpoints() {
        assert_eq!(
            temp_file("temporary file: path \"base/pgsql_tmp/pgsql_tmp5953.0\", size 1187840"),
            Some(1_187_840)
        );
        assert_eq!(
            checkpoint("checkpoint starting: immediate force wait"),
            Some(CheckpointMsg::Starting {
                reason: "immediate"
            })
        );
        assert_eq!(
            checkpoint("checkpoint starting: shutdown immediate"),
            Some(CheckpointMsg::Starting { reason: "shutdown" })
        );
        assert_eq!(
            checkpoint(
                "checkpoint complete: wrote 3 buffers (0.0%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.001 s, sync=0.002 s, total=1.010 s; sync files=2, longest=0.001 s, average=0.001 s; distance=12 kB, estimate=12 kB"
            ),
            Some(CheckpointMsg::Complete {
                buffers: 3,
                write_ms: 1,
                sync_ms: 2,
                total_ms: 1010,
                distance_kb: 12
            })
        );
        assert_eq!(
            checkpoint("checkpoints are occurring too frequently (8 seconds apart)"),
            Some(CheckpointMsg::TooFrequent { seconds: 8 })
        );
    }

    #[test]
    fn autovacuum_details() {
        let v = autovacuum("automatic vacuum of table \"shop.public.orders\": index scans: 1\npages: 5 removed, 303 remain, 10 scanned\ntuples: 828 removed, 667 remain, 24 are dead\nsystem usage: CPU: user: 0.02 s, system: 0.00 s, elapsed: 0.25 s").unwrap();
        assert_eq!(
            (
                v.analyze,
                v.table.as_str(),
                v.elapsed_ms,
                v.pages_removed,
                v.tuples_removed
            ),
            (false, "shop.public.orders", Some(250), 5, 828)
        );
        let a = autovacuum("automatic analyze of table \"db.s.t\"\nsystem usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.02 s").unwrap();
        assert!(a.analyze);
        assert_eq!(a.elapsed_ms, Some(20));
    }

    #[test]
    fn auth_cancel_and_messages() {
        assert_eq!(
            auth_failure("password authentication failed for user \"report@corp.example\""),
            Some(Some("report@corp.example"))
        );
        assert_eq!(
            auth_failure("role \"ghost\" does not exist"),
            Some(Some("ghost"))
        );
        assert_eq!(auth_failure("relation \"x\" does not exist"), None);
        assert_eq!(
            cancellation("canceling statement due to statement timeout"),
            Some("statement_timeout")
        );
        assert_eq!(
            known_sqlstate("relation \"order_archive\" does not exist"),
            Some("42P01")
        );
        assert_eq!(
            known_sqlstate("duplicate key value violates unique constraint \"x\""),
            Some("23505")
        );
        assert_eq!(known_sqlstate("something else"), None);
        assert_eq!(
            connection_received("connection received: host=127.0.0.1 port=5432"),
            Some("127.0.0.1")
        );
        assert_eq!(
            normalize_message(
                "duplicate key value violates unique constraint \"customers_email_key\""
            ),
            "duplicate key value violates unique constraint \"customers_email_key\""
        );
        // values are masked, the stderr cursor position dropped
        assert_eq!(
            normalize_message("syntax error at or near \"SELEC\" at character 15"),
            "syntax error at or near \"?\""
        );
        assert_eq!(
            normalize_message("invalid input syntax for type integer: \"abc\""),
            "invalid input syntax for type integer: \"?\""
        );
        assert_eq!(
            normalize_message(
                "null value in column \"email\" of relation \"customers\" violates not-null constraint"
            ),
            "null value in column \"email\" of relation \"customers\" violates not-null constraint"
        );
        // digits of generated names are masked
        assert_eq!(
            normalize_message("relation \"pg_temp_5.tmp_123\" does not exist"),
            "relation \"pg_temp_?.tmp_?\" does not exist"
        );
        assert_eq!(
            normalize_message("savepoint \"sa_savepoint_12\" does not exist"),
            "savepoint \"?\" does not exist"
        );
        // role names are masked (failed logins: whatever a client tried)
        assert_eq!(
            normalize_message("password authentication failed for user \"bob\""),
            "password authentication failed for user \"?\""
        );
        assert_eq!(
            normalize_message("role \"intruder\" does not exist"),
            "role \"?\" does not exist"
        );
        assert_eq!(
            normalize_message("value 'abc' for t1 too long"),
            "value '?' for t1 too long"
        );
        assert_eq!(
            normalize_message("insufficient funds for alice@example.com"),
            "insufficient funds for ?"
        );
        assert!(
            autovacuum("automatic vacuum to prevent wraparound of table \"d.s.t\": index scans: 0")
                .is_some()
        );
        assert_eq!(
            auth_failure(
                "pg_hba.conf rejects connection for host \"1.2.3.4\", user \"bob\", database \"x\""
            ),
            Some(Some("bob"))
        );
    }
}

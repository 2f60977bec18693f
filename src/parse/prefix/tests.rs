use super::detect::KNOWN_PREFIXES;
use super::escape::set_free;
use super::matching::{match_first_path, match_items};
use super::*;

fn m<'a>(p: &str, l: &'a str) -> PrefixedLine<'a> {
    LinePrefix::compile(p)
        .match_line(l)
        .unwrap_or_else(|| panic!("{p:?} did not match {l:?}"))
}

#[test]
fn a_literal_that_overlaps_itself_is_tried_at_every_position() {
    // the application name ends in the literal's first character: only the
    // second of the overlapping "::" candidates lets the rest match
    let l = m("%a::%p ", "x:::123 LOG:  statement: SELECT 1");
    assert_eq!((l.fields.app, l.fields.pid), (Some("x:"), Some(123)));
    // two readings fit; the first candidate that lets the rest match wins
    let l = m("%a::%p::%d ", "x:::1::2::y LOG:  statement: SELECT 1");
    assert_eq!(
        (l.fields.app, l.fields.pid, l.fields.db),
        (Some("x:"), Some(1), Some("2::y"))
    );
}

#[test]
fn a_literal_is_found_where_its_bytes_are_whatever_its_length() {
    let hay = "user=a,db=b,app=c,client=d user=,db=,app=,client= ]: [-1] user=x";
    for lit in [
        " ",
        ",",
        ",db=",
        "]: [",
        "-1] user=",
        ",client=",
        ",client= ",
        "user=x",
        "=x",
        "x",
        "user=,db=,app=",
        "no such text",
        "user=x and more",
    ] {
        let l = Lit::new(lit.to_string());
        for at in 0..=hay.len() + 2 {
            let naive = hay
                .as_bytes()
                .get(at..)
                .is_some_and(|r| r.starts_with(lit.as_bytes()));
            assert_eq!(l.at(hay.as_bytes(), at), naive, "{lit:?} at {at}");
        }
    }
}

#[test]
fn the_severity_search_skips_only_what_no_prefix_match_could_use() {
    let lines = [
        "2024-05-01 12:00:00.123 UTC [42]: [3-1] user=a,db=b,app=c,client=d LOG:  x",
        "2024-05-01 12:00:00 UTC [42]: [3-1] user=,db=,app=,client= LOG:  x",
        "2024-05-01 12:00:00 UTC [42] LOG:  x",
        "2024-05-01 12:00:00.1 UTC [7] u@d LOG:  duration: 1 ms",
        "2024-05-01 12:00:00 UTC:127.0.0.1(5):u@d:[7]:LOG:  x",
        "1714564800.123 [7] LOG:  x",
        "2024-05-01 12:00:00 Z [1] ERROR:  a: LOG:  b",
        "x LOG:  y",
        "LOG:  y",
        "",
    ];
    for p in KNOWN_PREFIXES {
        let fast = LinePrefix::compile(p);
        let mut slow = fast.clone();
        slow.shortest = 0;
        assert!(fast.shortest > 0 || p.is_empty(), "{p}");
        for l in lines {
            assert_eq!(fast.match_line_full(l), slow.match_line_full(l), "{p} {l}");
        }
    }
}

#[test]
fn free_text_values_are_trimmed_like_str_trim() {
    for v in [
        "bob",
        " bob ",
        "\u{b}bob\u{b}",
        "bob\u{a0}",
        "\u{3000}bob",
        "b",
        " ",
        "\u{b}",
        "[unknown]",
        " [unknown] ",
        "ünïcode",
    ] {
        let mut f = PrefixFields::default();
        set_free(Escape::User, v, &mut f);
        let want = Some(v.trim()).filter(|t| !t.is_empty() && *t != "[unknown]");
        assert_eq!(f.user, want, "{v:?}");
    }
}

#[test]
fn the_first_path_gives_what_the_backtracking_search_gives() {
    let cases: &[(&str, &[&str])] = &[
        (
            "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
            &[
                "2024-05-01 10:00:00.001 UTC [7]: [3-1] user=u,db=d,app=psql,client=::1 ",
                // separators inside values: the first path fails, backtracking finds it
                "2024-05-01 10:00:00.001 UTC [7]: [3-1] user=a,db=b,db=c,app=x,app=y,client=h ",
                "2024-05-01 10:00:00.001 UTC [7]: [3-1] user=,db=,app=,client= ",
                "2024-05-01 10:00:00.001 UTC [7]: [3-1] user=u,db=d,app=a b,client=h ",
                "2024-05-01 10:00:00.001 UTC [7]: [3-1] user=u,db=d,app=x,client=a b ",
            ],
        ),
        (
            "%t:%r:%u@%d:[%p]:",
            &[
                "2024-05-01 10:00:00 UTC:10.0.0.1(5432):report@corp@sales:[9]:",
                "2024-05-01 10:00:00 UTC:[local]:u@d:[9]:",
            ],
        ),
        (
            "%m [%p] %q%u@%d ",
            &["2024-05-01 10:00:00.001 UTC [7] a@b@c "],
        ),
        ("%5p %m %x ", &["  123 2024-05-01 10:00:00.001 UTC  "]),
    ];
    for (prefix, lines) in cases {
        let p = LinePrefix::compile(prefix);
        for line in *lines {
            let mut searched = PrefixFields::default();
            let found = match_items(&p.items, line, &mut searched);
            let mut fast = PrefixFields::default();
            let first = match_first_path(&p.items, line, &mut fast);
            let mut all = PrefixFields::default();
            assert_eq!(
                match_all(&p.items, line, &mut all),
                found,
                "{prefix} / {line}"
            );
            assert_eq!(all, searched, "{prefix} / {line}");
            if first {
                assert_eq!(fast, searched, "{prefix} / {line}");
            }
        }
    }
    // the backtracking case is exercised: the first path fails there
    let p = LinePrefix::compile("%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ");
    let line = "2024-05-01 10:00:00.001 UTC [7]: [3-1] user=u,db=d,app=x,client=a b ";
    let mut f = PrefixFields::default();
    assert!(!match_first_path(&p.items, line, &mut f));
    let mut f = PrefixFields::default();
    assert!(match_all(&p.items, line, &mut f));
    assert_eq!(f.client, Some("a b"));
}

#[test]
fn pgbadger_style_prefix() {
    let l = m(
        "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
        "2017-09-06 08:41:41 UTC [36]: [121-1] user=postgres,db=postgres,app=pgbench,client=172.23.0.1 LOG:  duration: 2.280 ms  statement: END;",
    );
    assert_eq!(l.fields.pid, Some(36));
    assert_eq!(l.fields.line_num, Some(121));
    assert_eq!(l.fields.user, Some("postgres"));
    assert_eq!(l.fields.app, Some("pgbench"));
    assert_eq!(l.fields.client, Some("172.23.0.1"));
    assert_eq!(l.fields.tz, Some("UTC"));
    assert_eq!(l.level, Level::Log);
    assert_eq!(l.message, "duration: 2.280 ms  statement: END;");
}

#[test]
fn debian_default_with_q_and_odd_names() {
    let p = "%m [%p] %q%u@%d ";
    let l = m(
        p,
        "2024-05-01 10:00:00.123 UTC [42] report@corp.example@shop-eu.ü LOG:  statement: SELECT 1",
    );
    assert_eq!(l.fields.user, Some("report@corp.example"));
    assert_eq!(l.fields.db, Some("shop-eu.ü"));
    assert_eq!(l.fields.ts.unwrap().format(), "2024-05-01 10:00:00.123");
    // background process: nothing after %q
    let bg = m(
        p,
        "2024-05-01 10:00:00.123 UTC [7] LOG:  checkpoint starting: time",
    );
    assert_eq!(bg.fields.pid, Some(7));
    assert_eq!(bg.fields.user, None);
    assert_eq!(bg.message, "checkpoint starting: time");
}

#[test]
fn rds_prefix_with_host_port() {
    let l = m(
        "%t:%r:%u@%d:[%p]:",
        "2024-05-01 10:00:00 UTC:10.0.0.5(53422):app-user@orders.db:[1234]:LOG:  duration: 1.5 ms  statement: SELECT 1",
    );
    assert_eq!(l.fields.client, Some("10.0.0.5(53422)"));
    assert_eq!(l.fields.user, Some("app-user"));
    assert_eq!(l.fields.db, Some("orders.db"));
    assert_eq!(l.fields.pid, Some(1234));
}

#[test]
fn every_escape_compiles_and_matches() {
    let p = "%m|%n|%p|%P|%l|%c|%b|%a|%u|%d|%r|%h|%i|%e|%s|%v|%x|%Q|%%|";
    let line = "2024-05-01 10:00:00.123 UTC|1714557600.123|42|41|7|6632131e.2a|client backend|psql|bob|db1|127.0.0.1(5000)|127.0.0.1|SELECT|00000|2024-05-01 09:59:00 UTC|3/12|0|-123456|%|ERROR:  42P01: relation \"x\" does not exist";
    let l = m(p, line);
    assert_eq!(l.fields.pid, Some(42));
    assert_eq!(l.fields.leader_pid, Some(41));
    assert_eq!(l.fields.session_id, Some("6632131e.2a"));
    assert_eq!(l.fields.backend_type, Some("client backend"));
    assert_eq!(l.fields.cmd_tag, Some("SELECT"));
    assert_eq!(l.fields.query_id, Some(-123456));
    assert_eq!(l.fields.sqlstate, Some("00000"));
    assert_eq!(l.level, Level::Error);
    assert_eq!(l.sqlstate, Some("42P01"));
    assert_eq!(l.message, "relation \"x\" does not exist");
}

#[test]
fn secondary_levels_and_padding() {
    let l = m(
        "%m [%-6p] ",
        "2024-05-01 10:00:00.123 UTC [42    ] DETAIL:  parameters: $1 = '1'",
    );
    assert_eq!(l.level, Level::Detail);
    assert!(l.level.is_secondary());
}

#[test]
fn message_containing_level_word_is_not_a_prefix() {
    let l = m(
        "%m [%p] ",
        "2024-05-01 10:00:00.123 UTC [42] LOG:  statement: SELECT 'ERROR:  x'",
    );
    assert_eq!(l.message, "statement: SELECT 'ERROR:  x'");
}

#[test]
fn detects_required_prefixes() {
    let cases = [
        (
            "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
            "2017-09-06 08:41:41 UTC [36]: [121-1] user=postgres,db=postgres,app=pgbench,client=172.23.0.1 LOG:  duration: 2.280 ms  statement: END;",
        ),
        (
            "%m [%p] %q%u@%d ",
            "2024-05-01 10:00:00.123 UTC [42] bob@db1 LOG:  duration: 1.000 ms  statement: SELECT 1",
        ),
        (
            "%t:%r:%u@%d:[%p]:",
            "2024-05-01 10:00:00 UTC:10.0.0.5(53422):bob@db1:[1234]:LOG:  duration: 1.5 ms  statement: SELECT 1",
        ),
        (
            "%m [%p] ",
            "2024-05-01 10:00:00.123 UTC [42] LOG:  duration: 1.000 ms  statement: SELECT 1",
        ),
    ];
    for (expected, line) in cases {
        let bg = "2024-05-01 10:00:00.123 UTC [7] LOG:  checkpoint starting: time";
        let sample = if expected.contains("%q") {
            vec![line, line, bg]
        } else {
            vec![line, line]
        };
        let d = detect(&sample).unwrap_or_else(|_| panic!("no prefix for {line}"));
        let got = d.prefix.match_line(line).unwrap();
        let want = LinePrefix::compile(expected).match_line(line).unwrap();
        assert_eq!(got, want, "detected {:?} for {line}", d.prefix.source());
    }
}

#[test]
fn infers_unknown_prefix() {
    let line =
        "2024-05-01 10:00:00.123 UTC [42] [5-1] usr=bob;database=x LOG:  statement: SELECT 1";
    let p = infer(line).unwrap();
    assert_eq!(p, "%m [%p] [%l-1] %qusr=%u;database=%d ");
    let d = detect(&[line, line]).unwrap();
    assert_eq!(d.prefix.match_line(line).unwrap().fields.user, Some("bob"));
}

#[test]
fn non_ascii_before_a_double_space_does_not_panic() {
    let p = LinePrefix::compile("%m [%p] ");
    // a translated severity (lc_messages fr_FR) is one; an unknown word is not
    let l = p
        .match_line("2024-05-01 10:00:00.003 CEST [1] DÉTAIL:  x")
        .unwrap();
    assert_eq!(l.level, Level::Detail);
    assert!(
        p.match_line("2024-05-01 10:00:00.003 CEST [1] ÉTÉ:  x")
            .is_none()
    );
    let l = p
        .match_line("2024-05-01 10:00:00.003 CEST [1] LOG:  Nachricht für:  x")
        .unwrap();
    assert_eq!(l.message, "Nachricht für:  x");
    assert!(detect(&["ÉTÉ:  что-то", "für:  x"]).is_err());
    // a translation of two words (Korean STATEMENT)
    let l = p
        .match_line("2024-05-01 10:00:00.003 CEST [1] 명령 구문:  SELECT 1/0")
        .unwrap();
    assert_eq!((l.level, l.message), (Level::Statement, "SELECT 1/0"));
}

#[test]
fn background_only_sample_still_picks_the_q_prefix() {
    let bg = "2024-05-01 10:00:00.123 UTC [7] LOG:  checkpoint starting: time";
    let d = detect(&[bg, bg, bg]).unwrap();
    let user = "2024-05-01 10:00:01.000 UTC [8] bob@db1 LOG:  statement: SELECT 1";
    assert_eq!(d.prefix.match_line(user).unwrap().fields.user, Some("bob"));
}

#[test]
fn detection_fails_on_garbage() {
    assert!(detect(&["hello world", "this is not a log", "LOG: nope"]).is_err());
}

#[test]
fn the_clock_is_the_last_timestamp_escapes() {
    let clock = |p: &str| LinePrefix::compile(p).clock();
    assert_eq!(clock("%t [%p]: user=%u,db=%d "), Some(Clock::Seconds));
    assert_eq!(clock("%m [%p] "), Some(Clock::Millis));
    assert_eq!(clock("%n [%p] "), Some(Clock::Millis));
    assert_eq!(clock("%-30t %p "), Some(Clock::Seconds));
    // %s (the session's start) is no entry's time
    assert_eq!(clock("%s [%p] "), None);
    assert_eq!(clock("[%p] %q%u@%d "), None);
    // a later escape overwrites the earlier one's value (syslog's synthetic %m)
    assert_eq!(clock("%m [%p] %t "), Some(Clock::Seconds));
    assert_eq!(clock("%t [%p] %m "), Some(Clock::Millis));
}

#[test]
fn a_prefix_of_many_free_fields_matches_in_bounded_steps() {
    // inferred from `x` and 22 `user=a database=b`: took 87 s on one line
    let line = format!("x{} LOG:  hello", " user=a database=b".repeat(22));
    let p = super::detect::infer(&line).unwrap();
    assert_eq!(p.matches("%u").count(), 22);
    let prefix = LinePrefix::compile(&p);
    let l = prefix.match_line(&line).expect("its own line matches");
    assert_eq!((l.level, l.message), (Level::Log, "hello"));
    // a line it cannot match is given up on, not searched for ever
    let other = format!("x{} LOG:  hello", " user=a database=b".repeat(21));
    let _ = prefix.match_line(&other);
    // memoized failures still find a match that needs backtracking
    let p = LinePrefix::compile("%a %u %d ");
    let l = p.match_line("my app bob shop LOG:  x").unwrap();
    assert_eq!(l.fields.db, Some("shop"));
}

#[test]
fn a_severity_past_the_longest_prefix_is_not_a_prefixed_line() {
    let p = LinePrefix::compile("%m [%p] ");
    let near = format!("2024-05-01 10:00:00.123 UTC [7] {}LOG:  x", "");
    assert!(p.match_line(&near).is_some());
    // a continuation line of logged text stored in a table: its `LOG:` lies
    // far from its start (and what comes before is no prefix anyway)
    let far = format!(
        "{} 2024-05-01 10:00:00.123 UTC [7] LOG:  x",
        "a".repeat(MAX_PREFIX_BYTES)
    );
    assert!(p.match_line(&far).is_none());
    assert!(super::detect::infer(&far).is_none());
}

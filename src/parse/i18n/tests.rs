use super::format::Format;
use super::*;

#[test]
fn a_format_captures_its_arguments_and_renders_them_in_english() {
    let de = Format::parse("Prozess %d wartet immer noch auf %s-Sperre auf %s nach %ld,%03d ms")
        .unwrap();
    let en = Format::parse("process %d still waiting for %s on %s after %ld.%03d ms").unwrap();
    let args = de
        .capture("Prozess 6005 wartet immer noch auf ShareLock-Sperre auf Transaktion 1179 nach 100,146 ms")
        .unwrap();
    assert_eq!(
        en.render(&args),
        "process 6005 still waiting for ShareLock on Transaktion 1179 after 100.146 ms"
    );
    // positional arguments
    let local = Format::parse("%2$s then %1$s").unwrap();
    let english = Format::parse("%s before %s").unwrap();
    assert_eq!(
        english.render(&local.capture("b then a").unwrap()),
        "a before b"
    );
    // not this format
    assert!(de.capture("Prozess x wartet").is_none());
}

#[test]
fn localized_severities_and_messages_read_back_in_english() {
    assert_eq!(severity("FEHLER"), Some(Level::Error));
    assert_eq!(severity("ОШИБКА"), Some(Level::Error));
    assert_eq!(Level::from_word("ERREUR"), Some(Level::Error));
    assert_eq!(Level::from_word("NOPE"), None);
    let mut t = Translator::default();
    assert_eq!(
        t.english("Dauer: 2.500 ms  Anweisung: SELECT 1\n  FROM t")
            .as_deref(),
        Some("duration: 2.500 ms  statement: SELECT 1\n  FROM t")
    );
    // English needs nothing; an unknown message is left alone
    assert_eq!(t.english("duration: 1.000 ms  statement: SELECT 1"), None);
    assert_eq!(t.english("irgendetwas anderes"), None);
    // the prepared statement's name, %s%s%s
    let mut t = Translator::default();
    assert_eq!(
        t.english("Dauer: 0.100 ms  Ausführen S_1: SELECT $1")
            .as_deref(),
        Some("duration: 0.100 ms  execute S_1: SELECT $1")
    );
}

#[test]
fn a_pathological_line_is_given_up_within_its_budget() {
    // every `b` and `c` is a candidate end: unbounded, this backtracks
    // quadratically or worse; within the budget it gives up (not a match)
    let f = Format::parse("a%sb%sc%sd").unwrap();
    let line = format!("a{}", "bc".repeat(50_000));
    assert!(f.capture(&line).is_none());
    // a long line that does match is still matched
    let long = format!("a{}b1c2d", "x".repeat(50_000));
    let args = f.capture(&long).unwrap();
    assert_eq!((args[0].len(), args[1], args[2]), (50_000, "1", "2"));
}

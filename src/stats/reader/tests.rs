use super::*;

#[test]
fn reads_rows_and_counts_damaged_ones() {
    let csv = "relid,schemaname,relname,indexrelid,indexrelname,idx_scan,idx_tup_read,idx_tup_fetch\n\
               1,public,t,2,t_pkey,5,5,5\n\
               1,public,t,3,t_a,zero,0,0\n\
               1,public,,4,t_b,0,0,0\n\
               1,public,t,5\n";
    let (input, cov) = read_csv("x.csv", "snap", csv.as_bytes());
    let r = &input.folders["snap"];
    assert_eq!(r.indexes.len(), 2);
    assert_eq!(r.indexes[0].row.idx_scan, Some(5));
    assert_eq!(r.indexes[1].row.idx_scan, None);
    assert_eq!(cov.lines_total, 5);
    assert_eq!(cov.lines_parsed, 1);
    assert_eq!(cov.lines_ignored, 1);
    assert_eq!(cov.lines_unrecognized, 3);
    assert!(cov.unrecognized_examples[0].1.contains("idx_scan = 'zero'"));
    assert!(cov.unrecognized_examples[2].1.contains("4 fields"));
    assert_eq!(cov.format.as_deref(), Some("csv: pg_stat_user_indexes"));
}

#[test]
fn unknown_csv_is_skipped_and_broken_quotes_keep_what_was_read() {
    let (input, cov) = read_csv("x.csv", "snap", "a,b\n1,2\n".as_bytes());
    assert!(input.is_empty());
    assert!(cov.skipped.is_some());
    let csv = "name,setting,unit\nwork_mem,4096,kB\nbad,\"unterminated\n";
    let (input, cov) = read_csv("s.csv", "snap", csv.as_bytes());
    assert_eq!(input.folders["snap"].settings.len(), 1);
    assert_eq!(cov.lines_parsed, 1);
    // the unterminated quote runs to the end of the file: one short row, counted
    assert_eq!(cov.lines_unrecognized, 1);
    assert_eq!(cov.lines_total, 3);
}

#[test]
fn invalid_utf8_is_read_lossily_and_counted() {
    let csv = b"name,setting,unit\nwork_mem,4\xff096,kB\n";
    let (input, cov) = read_csv("s.csv", "snap", &csv[..]);
    assert_eq!(cov.invalid_utf8_lines, 1);
    assert_eq!(
        input.folders["snap"].settings[0].row.setting,
        "4\u{fffd}096"
    );
}

fn read(csv: &str) -> (Records, FileCoverage) {
    let (mut input, cov) = read_csv("x.csv", "snap", csv.as_bytes());
    (input.folders.remove("snap").unwrap_or_default(), cov)
}

#[test]
fn pg12_and_pg17_statement_columns_read_the_same() {
    let pg12 = "userid,dbid,queryid,query,calls,total_time,max_time,rows,blk_read_time,blk_write_time,rolname\n\
                10,5,-42,select 1,3,12.5,9,3,1.5,0.5,app\n";
    let pg17 = "userid,dbid,toplevel,queryid,query,plans,total_plan_time,calls,total_exec_time,max_exec_time,rows,shared_blk_read_time,shared_blk_write_time,stats_since,rolname\n\
                10,5,t,-42,select 1,3,0.25,3,12.5,9,3,1.5,0.5,2026-01-01 00:00:00+00,app\n";
    let (a, cov) = read(pg12);
    assert_eq!(cov.lines_parsed, 1);
    let (b, _) = read(pg17);
    let (a, b) = (&a.statements[0].row, &b.statements[0].row);
    assert_eq!(
        (
            a.queryid,
            a.calls,
            a.exec_ms,
            a.max_ms,
            a.io_read_ms,
            a.io_write_ms
        ),
        (Some(-42), 3, 12.5, Some(9.0), 1.5, 0.5)
    );
    assert_eq!(
        (
            b.queryid,
            b.calls,
            b.exec_ms,
            b.max_ms,
            b.io_read_ms,
            b.io_write_ms
        ),
        (
            a.queryid,
            a.calls,
            a.exec_ms,
            a.max_ms,
            a.io_read_ms,
            a.io_write_ms
        )
    );
    assert_eq!(a.user.as_deref(), Some("app"));
    // columns PostgreSQL 12 lacks read as their neutral value
    assert_eq!((a.plan_ms, a.toplevel, a.stats_since), (0.0, None, None));
    assert_eq!((b.plan_ms, b.toplevel), (0.25, Some(true)));
}

#[test]
fn bgwriter_before_17_and_the_checkpointer_read_into_one_record() {
    let (r, _) = read(
        "checkpoints_timed,checkpoints_req,checkpoint_write_time,checkpoint_sync_time,buffers_checkpoint,buffers_clean,buffers_alloc\n\
         7,2,100.5,3,40,5,60\n",
    );
    let (c, _) =
        read("num_timed,num_requested,write_time,sync_time,buffers_written\n7,2,100.5,3,40\n");
    let (old, new) = (&r.checkpoints[0].row, &c.checkpoints[0].row);
    assert_eq!(
        (
            old.timed,
            old.requested,
            old.write_ms,
            old.sync_ms,
            old.buffers_checkpoint
        ),
        (Some(7), Some(2), Some(100.5), Some(3.0), Some(40))
    );
    assert_eq!(
        (
            new.timed,
            new.requested,
            new.write_ms,
            new.sync_ms,
            new.buffers_checkpoint
        ),
        (
            old.timed,
            old.requested,
            old.write_ms,
            old.sync_ms,
            old.buffers_checkpoint
        )
    );
    assert_eq!((old.buffers_clean, new.buffers_clean), (Some(5), None));
}

#[test]
fn a_bad_value_is_reported_under_the_column_name_the_file_uses() {
    let csv = "queryid,query,calls,total_time,rows\n1,select 1,3,slow,many\n";
    let (r, cov) = read(csv);
    // the row is used, the bad values read as empty
    assert_eq!(r.statements[0].row.exec_ms, 0.0);
    assert_eq!(r.statements[0].row.rows, 0);
    assert_eq!(cov.lines_unrecognized, 1);
    assert_eq!(
        cov.unrecognized_examples[0].1,
        "CSV row 2: unreadable value(s) total_time = 'slow', rows = 'many' (row used, those values taken as empty)"
    );
    // a bad required value: the row is not used
    let (r, cov) = read("queryid,query,calls\n1,select 1,three\n");
    assert!(r.statements.is_empty());
    assert!(cov.unrecognized_examples[0].1.contains("a required column"));
}

#[test]
fn a_bad_snapshot_time_is_reported_once_and_the_row_kept() {
    let csv = "snapshot_at,datname,server_version_num\nsoon,app,150000\n";
    let (r, cov) = read(csv);
    assert_eq!(r.meta.len(), 1);
    assert_eq!((r.meta[0].at, r.meta[0].row.snapshot_at), (None, None));
    assert_eq!(r.meta[0].db.as_deref(), Some("app"));
    assert_eq!(
        cov.unrecognized_examples[0].1,
        "CSV row 2: unreadable value(s) snapshot_at = 'soon' (row used, those values taken as empty)"
    );
}

#[test]
fn a_column_given_twice_or_under_two_names_is_read_from_the_first() {
    let (r, cov) = read("relname,indexrelname,idx_scan,idx_scan\nt,t_a,5,9\n");
    assert_eq!(r.indexes[0].row.idx_scan, Some(5));
    assert_eq!(cov.lines_parsed, 1);
    let (r, cov) = read("queryid,query,calls,total_time,total_exec_time\n1,select 1,1,2.5,7\n");
    assert_eq!(r.statements[0].row.exec_ms, 2.5);
    assert_eq!(cov.lines_parsed, 1);
}

#[test]
fn missing_columns_take_their_defaults() {
    let (r, _) = read("relname,indexrelname,idx_scan\nt,t_a,\n");
    let i = &r.indexes[0].row;
    assert_eq!(
        (i.schema.as_str(), i.idx_scan, i.idx_tup_read),
        ("public", None, None)
    );
    let (r, _) = read("pid,state,query,backend_start\n7,active,select,2026-01-01 00:00:00\n");
    assert!(!r.sessions[0].row.blocked_by_known);
    let (r, _) = read("pid,state,query,backend_start,blocked_by\n7,active,select,,{3}\n");
    assert_eq!(r.sessions[0].row.blocked_by, [3]);
    assert!(r.sessions[0].row.blocked_by_known);
    // a lock without `granted` is not used
    let (r, cov) = read("locktype,mode,granted,pid\nrelation,AccessShareLock,,7\n");
    assert!(r.locks.is_empty());
    assert_eq!(cov.lines_unrecognized, 1);
}

#[test]
fn per_database_views_key_rows_by_datname_and_others_do_not() {
    let (r, _) = read("datname,relname,seq_scan,seq_tup_read,n_live_tup\napp,t,1,1,1\n");
    assert_eq!(r.tables[0].db.as_deref(), Some("app"));
    let (r, _) = read("datname,pid,state,query,backend_start\napp,7,idle,,\n");
    assert_eq!(r.sessions[0].db, None);
    assert_eq!(r.sessions[0].row.datname.as_deref(), Some("app"));
}

#[test]
fn index_definitions_read_pg_indexes_and_catalog_exports() {
    let plain = "schemaname,tablename,indexname,tablespace,indexdef\n\
                 public,t,t_pkey,,CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)\n\
                 public,t,t_bad,,not an index\n";
    let (r, cov) = read(plain);
    assert_eq!(r.index_defs.len(), 1);
    assert_eq!(cov.lines_unrecognized, 1);
    let d = &r.index_defs[0].row;
    assert!(d.primary && d.unique && d.valid && !d.catalog);
    let catalog = "indexname,relname,indisprimary,indisunique,indisvalid,contype,pg_relation_size,indexdef\n\
                   t_a,t,f,f,f,,8192,CREATE INDEX t_a ON t (a)\n";
    let (r, _) = read(catalog);
    let d = &r.index_defs[0].row;
    assert_eq!(
        (d.name.as_str(), d.table.as_str(), d.bytes),
        ("t_a", "t", Some(8192))
    );
    assert!(!d.primary && !d.valid && d.catalog);
}

#[test]
fn semicolons_a_bom_quoted_upper_case_headers_and_null_spellings_read() {
    let csv = "\u{feff}\"RELNAME\";\"SEQ_SCAN\";\"SEQ_TUP_READ\";\"N_LIVE_TUP\";\"IDX_SCAN\"\n\
               orders;1,204;48,160,000;NULL;[NULL]\n";
    let (r, cov) = read(csv);
    assert_eq!(
        cov.dialect.as_deref(),
        Some("';'-separated, UTF-8 byte order mark")
    );
    assert_eq!(cov.lines_parsed, 1, "{cov:?}");
    let t = &r.tables[0].row;
    assert_eq!((t.seq_scan, t.seq_tup_read), (Some(1204), Some(48_160_000)));
    assert_eq!((t.n_live_tup, t.idx_scan), (None, None));
}

#[test]
fn copy_text_format_is_unescaped_and_backslash_n_is_null() {
    let tsv = "userid\tdbid\tqueryid\tquery\tcalls\ttotal_exec_time\trows\n\
               10\t5\t-42\tselect 'a\\tb'\\nfrom t where x = \"q\"\t3\t\\N\t3\n";
    let (r, cov) = read(tsv);
    assert!(cov.dialect.as_deref().unwrap().starts_with("tab-separated"));
    assert_eq!(cov.lines_parsed, 1, "{cov:?}");
    let s = &r.statements[0].row;
    assert_eq!(s.query, "select 'a\tb'\nfrom t where x = \"q\"");
    assert_eq!(s.exec_ms, 0.0);
    assert_eq!(s.calls, 3);
    // octal and hexadecimal escapes, and a backslash kept as COPY wrote it
    let tsv = "name\tsetting\na\\144b\t\\x41\\\\d\n";
    let (r, _) = read(tsv);
    assert_eq!(r.settings[0].row.name, "adb");
    assert_eq!(r.settings[0].row.setting, "A\\d");
    // a quoted header: a tool's CSV with tabs, quotes and newlines kept
    let tsv = "\"name\"\t\"setting\"\n\"a\"\t\"two\nlines\"\n\"b\"\t\"5\"\n";
    let (r, cov) = read(tsv);
    assert_eq!(cov.lines_parsed, 2, "{cov:?}");
    assert_eq!(r.settings[0].row.setting, "two\nlines");
    assert_eq!(r.settings[1].row.setting, "5");
}

use super::*;
use crate::stats::records::{Checkpoints, Table};

fn header(s: &str) -> Header {
    Header::new(s.split(','))
}

#[test]
fn recognizes_views_by_columns_of_every_version() {
    let pg12 = header(
        "userid,dbid,queryid,query,calls,total_time,min_time,max_time,mean_time,stddev_time,rows",
    );
    assert_eq!(View::recognize(&pg12), Ok(vec![View::Statements]));
    let pg17_ckpt = header(
        "num_timed,num_requested,restartpoints_timed,write_time,sync_time,buffers_written,stats_reset",
    );
    assert_eq!(View::recognize(&pg17_ckpt), Ok(vec![View::Checkpointer]));
    let pg17_bgw = header("buffers_clean,maxwritten_clean,buffers_alloc,stats_reset");
    assert_eq!(View::recognize(&pg17_bgw), Ok(vec![View::Bgwriter]));
    let pg_indexes = header("schemaname,tablename,indexname,tablespace,indexdef");
    assert_eq!(View::recognize(&pg_indexes), Ok(vec![View::IndexDefs]));
    let idx = header(
        "relid,indexrelid,schemaname,relname,indexrelname,idx_scan,idx_tup_read,idx_tup_fetch",
    );
    assert_eq!(View::recognize(&idx), Ok(vec![View::Indexes]));
    let io = header("relid,indexrelid,schemaname,relname,indexrelname,idx_blks_read,idx_blks_hit");
    assert_eq!(View::recognize(&io), Ok(vec![View::IndexIo]));
}

#[test]
fn unknown_and_incomplete_headers_say_why() {
    let e = View::recognize(&header("a,b,c")).unwrap_err();
    assert!(e.contains("not a statistics view"), "{e}");
    let e = View::recognize(&header(
        "relid,schemaname,relname,indexrelname,idx_tup_read",
    ))
    .unwrap_err();
    assert!(
        e.contains("pg_stat_user_indexes") && e.contains("idx_scan"),
        "{e}"
    );
}

/// Headers of each view as PostgreSQL 12 and 17 (or pgsift's export) write them.
const HEADERS: &[(View, &str)] = &[
    (
        View::Meta,
        "snapshot_at,datname,server_version_num,version,postmaster_start,is_replica,db_stats_reset,pgss_version,block_size,track_io_timing",
    ),
    (
        View::Statements,
        "userid,dbid,queryid,query,calls,total_time,min_time,max_time,mean_time,stddev_time,rows,shared_blks_hit,shared_blks_read,shared_blks_dirtied,shared_blks_written,local_blks_hit,local_blks_read,local_blks_dirtied,local_blks_written,temp_blks_read,temp_blks_written,blk_read_time,blk_write_time,datname,rolname",
    ),
    (
        View::Statements,
        "userid,dbid,toplevel,queryid,query,plans,total_plan_time,min_plan_time,max_plan_time,mean_plan_time,stddev_plan_time,calls,total_exec_time,min_exec_time,max_exec_time,mean_exec_time,stddev_exec_time,rows,shared_blks_hit,shared_blks_read,shared_blk_read_time,shared_blk_write_time,stats_since,minmax_stats_since,datname,rolname",
    ),
    (View::StatementsInfo, "dealloc,stats_reset"),
    (
        View::Indexes,
        "relid,indexrelid,schemaname,relname,indexrelname,idx_scan,idx_tup_read,idx_tup_fetch",
    ),
    (
        View::Indexes,
        "relid,indexrelid,schemaname,relname,indexrelname,idx_scan,last_idx_scan,idx_tup_read,idx_tup_fetch",
    ),
    (
        View::IndexIo,
        "relid,indexrelid,schemaname,relname,indexrelname,idx_blks_read,idx_blks_hit",
    ),
    (
        View::Tables,
        "relid,schemaname,relname,seq_scan,seq_tup_read,idx_scan,idx_tup_fetch,n_tup_ins,n_tup_upd,n_tup_del,n_tup_hot_upd,n_live_tup,n_dead_tup,n_mod_since_analyze,last_vacuum,last_autovacuum,last_analyze,last_autoanalyze,vacuum_count,autovacuum_count,analyze_count,autoanalyze_count",
    ),
    (
        View::Tables,
        "relid,schemaname,relname,seq_scan,last_seq_scan,seq_tup_read,idx_scan,last_idx_scan,idx_tup_fetch,n_tup_ins,n_tup_upd,n_tup_del,n_tup_hot_upd,n_tup_newpage_upd,n_live_tup,n_dead_tup,n_mod_since_analyze,n_ins_since_vacuum,last_vacuum",
    ),
    (
        View::TableIo,
        "relid,schemaname,relname,heap_blks_read,heap_blks_hit,idx_blks_read,idx_blks_hit,toast_blks_read,toast_blks_hit,tidx_blks_read,tidx_blks_hit",
    ),
    (
        View::Database,
        "datid,datname,numbackends,xact_commit,xact_rollback,blks_read,blks_hit,tup_returned,tup_fetched,tup_inserted,tup_updated,tup_deleted,conflicts,temp_files,temp_bytes,deadlocks,checksum_failures,checksum_last_failure,blk_read_time,blk_write_time,stats_reset",
    ),
    (
        View::Database,
        "datid,datname,numbackends,xact_commit,xact_rollback,blks_read,blks_hit,temp_files,temp_bytes,deadlocks,session_time,active_time,idle_in_transaction_time,sessions,sessions_abandoned,stats_reset",
    ),
    (
        View::Bgwriter,
        "checkpoints_timed,checkpoints_req,checkpoint_write_time,checkpoint_sync_time,buffers_checkpoint,buffers_clean,maxwritten_clean,buffers_backend,buffers_backend_fsync,buffers_alloc,stats_reset",
    ),
    (
        View::Bgwriter,
        "buffers_clean,maxwritten_clean,buffers_alloc,stats_reset",
    ),
    (
        View::Checkpointer,
        "num_timed,num_requested,restartpoints_timed,restartpoints_req,restartpoints_done,write_time,sync_time,buffers_written,stats_reset",
    ),
    (
        View::Activity,
        "datid,datname,pid,usesysid,usename,application_name,client_addr,client_hostname,client_port,backend_start,xact_start,query_start,state_change,wait_event_type,wait_event,state,backend_xid,backend_xmin,query,backend_type",
    ),
    (
        View::Activity,
        "datid,datname,pid,leader_pid,usesysid,usename,application_name,client_addr,backend_start,xact_start,query_start,state_change,wait_event_type,wait_event,state,backend_xid,backend_xmin,query_id,query,backend_type,blocked_by,snapshot_at",
    ),
    (
        View::Locks,
        "locktype,database,relation,page,tuple,virtualxid,transactionid,classid,objid,objsubid,virtualtransaction,pid,mode,granted,fastpath",
    ),
    (
        View::Locks,
        "locktype,database,relation,page,tuple,virtualxid,transactionid,classid,objid,objsubid,virtualtransaction,pid,mode,granted,fastpath,waitstart,relation_name",
    ),
    (
        View::IndexDefs,
        "schemaname,tablename,indexname,indexrelid,indrelid,method,indisunique,indisprimary,indisexclusion,indisvalid,indisready,indimmediate,indnatts,indnkeyatts,indkey,indclass,indoption,key_columns,expressions,predicate,constraint_name,constraint_type,indexdef,index_bytes",
    ),
    (
        View::IndexDefs,
        "schemaname,tablename,indexname,tablespace,indexdef",
    ),
    (
        View::ForeignKeys,
        "schemaname,tablename,conname,referenced_table,conkey,columns",
    ),
    (
        View::TableSizes,
        "schemaname,relname,relid,relkind,relispartition,reltuples,relpages,table_bytes,table_with_toast_bytes,indexes_bytes,total_bytes,xid_age,reloptions",
    ),
    (
        View::ColumnStats,
        "schemaname,tablename,attname,inherited,null_frac,avg_width,n_distinct,correlation",
    ),
    (
        View::Columns,
        "datname,schemaname,tablename,column_name,data_type,not_null",
    ),
    (
        View::Settings,
        "name,setting,unit,source,boot_val,reset_val,pending_restart",
    ),
    (
        View::SizeFunctions,
        "relname,pg_relation_size,pg_total_relation_size,reltuples",
    ),
    (
        View::SizeColumns,
        "schemaname,relname,table_size,total_size",
    ),
    (
        View::Wal,
        "wal_records,wal_fpi,wal_bytes,wal_buffers_full,wal_write,wal_sync,wal_write_time,wal_sync_time,stats_reset",
    ),
    (
        View::Io,
        "backend_type,object,context,reads,read_time,writes,write_time,writebacks,writeback_time,extends,extend_time,op_bytes,hits,evictions,reuses,fsyncs,fsync_time,stats_reset",
    ),
];

#[test]
fn every_view_is_recognized_from_its_headers_of_pg12_and_pg17() {
    for (view, cols) in HEADERS {
        assert_eq!(View::recognize(&header(cols)), Ok(vec![*view]), "{cols}");
    }
    for view in View::ALL {
        assert!(
            HEADERS.iter().any(|(v, _)| v == view),
            "{view:?} has no header in HEADERS"
        );
    }
}

#[test]
fn real_headers_match_one_signature_so_the_table_order_only_ranks_odd_ones() {
    for (view, cols) in HEADERS {
        let h = header(cols);
        let matching: Vec<View> = View::ALL
            .iter()
            .copied()
            .filter(|v| v.signature().iter().all(|c| h.has(c)))
            .collect();
        assert_eq!(matching, vec![*view], "{cols}");
    }
}

#[test]
fn the_table_declares_distinct_views() {
    // one name per view, but the three spellings of table sizes
    let names: std::collections::BTreeSet<&str> = View::ALL.iter().map(|v| v.name()).collect();
    assert_eq!(names.len(), View::ALL.len() - 2);
    assert!(View::Tables.per_database() && View::IndexDefs.per_database());
    assert!(!View::Activity.per_database() && !View::Statements.per_database());
    // a view joined with its I/O counterpart is read as both
    let both = header("relname,indexrelname,idx_scan,idx_blks_read,idx_blks_hit");
    assert_eq!(
        View::recognize(&both),
        Ok(vec![View::Indexes, View::IndexIo])
    );
    let sized = header(
        "relid,schemaname,relname,seq_scan,seq_tup_read,idx_scan,n_live_tup,pg_total_relation_size",
    );
    assert_eq!(
        View::recognize(&sized),
        Ok(vec![View::Tables, View::SizeFunctions])
    );
}

#[test]
fn a_header_mixing_unrelated_views_is_refused_and_known_views_are_named() {
    // pg_stat_activity joined with pg_locks: one row per lock, not per session
    let mixed = header("pid,locktype,mode,granted,state,query,backend_start");
    let why = View::recognize(&mixed).unwrap_err();
    assert!(
        why.contains("several views (pg_stat_activity, pg_locks)"),
        "{why}"
    );
    let progress = header("pid,datid,datname,relid,phase,heap_blks_total,heap_blks_scanned");
    let why = View::recognize(&progress).unwrap_err();
    assert!(
        why.starts_with("pg_stat_progress_vacuum: recognized, not analyzed"),
        "{why}"
    );
}

#[test]
fn missing_wanted_columns_are_named_with_what_they_show() {
    let h = header("relname,seq_scan,seq_tup_read,n_live_tup,idx_scan");
    let missing = View::Tables.missing(&h);
    assert!(
        missing.contains(&"n_dead_tup (dead tuples)".to_string()),
        "{missing:?}"
    );
    assert!(missing.contains(&"relid (which exports are snapshots of one database)".to_string()));
    assert!(!missing.iter().any(|m| m.starts_with("idx_scan")));
    let pg12 = header("queryid,query,calls,total_time,rows,shared_blks_hit,shared_blks_read,dbid");
    assert_eq!(View::Statements.missing(&pg12), Vec::<String>::new());
}

#[test]
fn headers_are_compared_trimmed_and_in_lower_case() {
    let h = header("\u{feff}Name , SETTING");
    assert_eq!(View::recognize(&h), Ok(vec![View::Settings]));
    assert_eq!(h.record(), csv::StringRecord::from(vec!["name", "setting"]));
    // quotes kept by a reader that does not unquote (COPY text format)
    let h = header("\"NAME\",\"Setting\"");
    assert_eq!(h.record(), csv::StringRecord::from(vec!["name", "setting"]));
}

fn keyed<T>(row: T) -> Keyed<T> {
    Keyed {
        at: None,
        db: None,
        row,
    }
}

#[test]
fn records_merge_appends_every_view_and_lists_files_sorted() {
    let table = |name: &str| Table {
        name: name.into(),
        ..Default::default()
    };
    let mut a = Records {
        tables: vec![keyed(table("a"))],
        ..Default::default()
    };
    a.views
        .insert("pg_stat_user_tables".into(), vec!["z.csv".into()]);
    let mut b = Records {
        tables: vec![keyed(table("b"))],
        checkpoints: vec![keyed(Checkpoints {
            timed: Some(3),
            ..Default::default()
        })],
        times_in_one_file: vec![vec![Timestamp(1), Timestamp(2)]],
        ..Default::default()
    };
    b.views
        .insert("pg_stat_user_tables".into(), vec!["a.csv".into()]);
    b.views
        .insert("pg_stat_checkpointer".into(), vec!["c.csv".into()]);
    a.merge(b);
    let names: Vec<&str> = a.tables.iter().map(|t| t.row.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(a.checkpoints[0].row.timed, Some(3));
    assert_eq!(a.times_in_one_file.len(), 1);
    assert_eq!(a.views["pg_stat_user_tables"], ["a.csv", "z.csv"]);
    assert_eq!(a.views.len(), 2);
    // the identity
    let before = a.clone();
    a.merge(Records::default());
    assert_eq!(a, before);
}

#[test]
fn placed_rows_follow_the_table_order() {
    let r = Records {
        table_io: vec![keyed(Table::default())],
        tables: vec![Keyed {
            at: Some(Timestamp(5)),
            db: Some("app".into()),
            row: Table::default(),
        }],
        ..Default::default()
    };
    let rows = r.placed_rows();
    assert_eq!(rows.len(), 2);
    // pg_stat_user_tables first: its row is the one pg_statio completes
    assert_eq!((rows[0].at, rows[0].db), (Some(Timestamp(5)), Some("app")));
    assert_eq!((rows[1].at, rows[1].db), (None, None));
}

#[test]
fn partial_results_keep_the_records_field_names() {
    let json = serde_json::to_value(Records::default()).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    // pg_stat_bgwriter and pg_stat_checkpointer rows share `checkpoints`
    assert_eq!(
        keys,
        [
            "checkpoints",
            "column_stats",
            "columns",
            "databases",
            "foreign_keys",
            "index_defs",
            "index_io",
            "indexes",
            "io",
            "locks",
            "meta",
            "modified",
            "sessions",
            "settings",
            "statements",
            "statements_info",
            "table_io",
            "table_sizes",
            "tables",
            "times_in_one_file",
            "views",
            "wal"
        ]
    );
}

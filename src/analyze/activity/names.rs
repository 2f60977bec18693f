//! Lock objects by name: the log writes `relation 16431 of database 16387`;
//! where the statistics exports give the oids (`pg_stat_database.datid`,
//! `pg_stat_user_tables.relid`), the report writes
//! `relation public.orders (16431) of database shop`.

use super::{DeadlocksView, LocksView};
use crate::stats::snapshot::DatabaseStats;
use std::collections::HashMap;

/// Database and table names by oid.
#[derive(Debug, Default)]
pub struct ObjectNames {
    databases: HashMap<u64, String>,
    /// By (database oid, table oid).
    relations: HashMap<(u64, u64), String>,
}

impl ObjectNames {
    /// The names the exports hold. A table's database oid is found from its
    /// snapshot's database name.
    pub fn from_stats(dbs: &[DatabaseStats]) -> ObjectNames {
        let mut n = ObjectNames::default();
        // an oid two servers give different names (16384 is every cluster's
        // first database) is left unnamed rather than named wrongly
        let mut clash: Vec<u64> = Vec::new();
        for d in dbs.iter().flat_map(|s| &s.view.databases) {
            if let Some(id) = d.datid.filter(|_| !d.datname.is_empty())
                && let Some(old) = n.databases.insert(id, d.datname.clone())
                && old != d.datname
            {
                clash.push(id);
            }
        }
        for id in clash {
            n.databases.remove(&id);
        }
        let by_name: HashMap<&str, u64> = n
            .databases
            .iter()
            .map(|(id, name)| (name.as_str(), *id))
            .collect();
        for s in dbs {
            let Some(datid) = s.view.database.as_deref().and_then(|d| by_name.get(d)) else {
                continue;
            };
            for t in &s.view.tables {
                if let Some(relid) = t.relid {
                    let name = format!("{}.{}", t.schema, t.name);
                    if let Some(old) = n.relations.insert((*datid, relid), name.clone())
                        && old != name
                    {
                        n.relations.remove(&(*datid, relid));
                    }
                }
            }
        }
        n
    }

    pub fn is_empty(&self) -> bool {
        self.databases.is_empty()
    }

    /// `text` with each `relation R of database D` named as far as known.
    pub fn name(&self, text: &str) -> String {
        const REL: &str = "relation ";
        const DB: &str = " of database ";
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find(REL) {
            out.push_str(&rest[..i + REL.len()]);
            rest = &rest[i + REL.len()..];
            let rel_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            let Some(after) = rest[rel_len..].strip_prefix(DB).filter(|_| rel_len > 0) else {
                continue;
            };
            let db_len = after.bytes().take_while(u8::is_ascii_digit).count();
            let (Ok(rel), Ok(db)) = (
                rest[..rel_len].parse::<u64>(),
                after[..db_len].parse::<u64>(),
            ) else {
                continue;
            };
            match self.relations.get(&(db, rel)) {
                Some(name) => out.push_str(&format!("{name} ({rel})")),
                None => out.push_str(&rest[..rel_len]),
            }
            out.push_str(DB);
            match self.databases.get(&db) {
                Some(name) => out.push_str(name),
                None => out.push_str(&after[..db_len]),
            }
            rest = &after[db_len..];
        }
        out.push_str(rest);
        out
    }

    /// Names the objects of lock waits and deadlocks.
    pub fn apply(&self, locks: &mut LocksView, deadlocks: &mut DeadlocksView) {
        if self.is_empty() {
            return;
        }
        for i in &mut locks.items {
            i.object = self.name(&i.object);
        }
        for t in &mut locks.by_object {
            t.key = self.name(&t.key);
            t.label = self.name(&t.label);
        }
        for d in &mut deadlocks.items {
            d.cycle = self.name(&d.cycle);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> ObjectNames {
        ObjectNames {
            databases: [(16387, "shop".to_string())].into(),
            relations: [((16387, 16431), "public.orders".to_string())].into(),
        }
    }

    #[test]
    fn known_oids_are_named_and_unknown_ones_kept() {
        let n = names();
        assert_eq!(
            n.name("relation 16431 of database 16387"),
            "relation public.orders (16431) of database shop"
        );
        assert_eq!(
            n.name("tuple (0,7) of relation 99 of database 16387"),
            "tuple (0,7) of relation 99 of database shop"
        );
        assert_eq!(
            n.name("relation 16431 of database 5"),
            "relation 16431 of database 5"
        );
        assert_eq!(
            n.name("Process 1 waits for ShareLock on relation 16431 of database 16387; blocked by process 2.\nProcess 2 waits for relation 16431 of database 16387."),
            "Process 1 waits for ShareLock on relation public.orders (16431) of database shop; blocked by process 2.\nProcess 2 waits for relation public.orders (16431) of database shop."
        );
        // text that only looks like it
        for t in [
            "relation \"customers\"",
            "relation ",
            "relation 12 of data",
            "transaction 1179",
        ] {
            assert_eq!(n.name(t), t);
        }
    }
}

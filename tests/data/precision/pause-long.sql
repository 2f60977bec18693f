-- tests/data/precision/pause-long.sql: one explicit transaction with a
-- 2500 ms pause of the client between its UPDATE and its SELECT (pgbench's
-- \sleep runs in the client, between two statements). Each client updates
-- its own row (51, 52, ...): no lock waits with the short transactions.
BEGIN;
UPDATE accounts SET bal = bal + 1 WHERE id = :client_id + 51;
\sleep 2500 ms
SELECT bal FROM accounts WHERE id = :client_id + 51;
END;

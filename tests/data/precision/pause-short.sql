-- tests/data/precision/pause-short.sql: one explicit transaction with a
-- 300 ms pause of the client between its UPDATE and its SELECT (pgbench's
-- \sleep runs in the client, between two statements). Each client updates
-- its own row: no lock waits between clients.
BEGIN;
UPDATE accounts SET bal = bal + 1 WHERE id = :client_id + 1;
\sleep 300 ms
SELECT bal FROM accounts WHERE id = :client_id + 1;
END;

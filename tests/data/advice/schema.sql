-- tests/data/advice/schema.sql: the schema and data of tests/data/advice/workload.sh,
-- loaded by that script on a real PostgreSQL 15 and by tests/ddl.rs, which runs
-- the index DDL pgsift proposes for this workload against it.
-- orders.customer_email is deliberately NOT indexed; orders.customer_id is (the
-- foreign key's index); customers.country has 8 values (12.5% of rows each),
-- orders.status 4 (25% each): neither is worth an index.
CREATE TABLE customers (
    id         integer PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    name       text NOT NULL,
    country    text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE orders (
    id             bigint PRIMARY KEY,
    customer_id    integer NOT NULL REFERENCES customers (id),
    customer_email text NOT NULL,
    status         text NOT NULL,
    total          numeric(10, 2) NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
INSERT INTO customers (id, email, name, country, created_at)
SELECT g, 'customer' || g || '@example.com', 'Customer ' || g,
       (ARRAY['FR', 'DE', 'ES', 'IT', 'NL', 'BE', 'PT', 'PL'])[1 + g % 8],
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour'
  FROM generate_series(1, 2000) AS g;
INSERT INTO orders (id, customer_id, customer_email, status, total, created_at)
SELECT g, (g * 7) % 2000 + 1, 'customer' || ((g * 7) % 2000 + 1) || '@example.com',
       (ARRAY['pending', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
       ((g * 7919) % 100000) / 100.0,
       timestamptz '2024-02-01 00:00:00+00' + g * interval '7 minutes'
  FROM generate_series(1, 40000) AS g;
ANALYZE customers;
ANALYZE orders;

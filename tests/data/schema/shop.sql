-- The samples' shop schema and data, as samples/workload.sh (run 1) creates
-- them: copied from that script (its two migration steps, without the COMMIT
-- and auto_explain settings around them), for tests/ddl.rs, which runs the
-- index DDL pgsift proposes for the samples against it on a real PostgreSQL.
CREATE TABLE customers (
    id         integer PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    name       text NOT NULL,
    note       text,
    created_at timestamptz NOT NULL
);
CREATE TABLE orders (
    id             bigint PRIMARY KEY,
    customer_id    integer NOT NULL REFERENCES customers (id),
    customer_email text NOT NULL,
    status         text NOT NULL,
    total_cents    integer NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE TABLE order_items (
    id               bigserial PRIMARY KEY,
    order_id         bigint NOT NULL REFERENCES orders (id),
    sku              text NOT NULL,
    quantity         integer NOT NULL,
    unit_price_cents integer NOT NULL
);
CREATE INDEX order_items_order_id_idx ON order_items (order_id);
INSERT INTO customers (id, email, name, created_at)
SELECT g, 'customer' || g || '@example.com', 'Customer ' || g,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour'
  FROM generate_series(1, 2000) AS g;
INSERT INTO orders (id, customer_id, customer_email, status, total_cents, created_at)
SELECT g, (g - 1) / 20 + 1, 'customer' || ((g - 1) / 20 + 1) || '@example.com',
       (ARRAY['pending', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
       (g * 7919) % 100000,
       timestamptz '2024-02-01 00:00:00+00' + g * interval '7 minutes'
  FROM generate_series(1, 40000) AS g;
INSERT INTO order_items (order_id, sku, quantity, unit_price_cents)
SELECT o, 'SKU-' || (o * 31 + k) % 500, 1 + (o + k) % 5, 100 + (o * k) % 9900
  FROM generate_series(1, 40000) AS o, generate_series(1, 3) AS k;
ANALYZE customers;
ANALYZE orders;

CREATE TABLE payments (
    id             bigint PRIMARY KEY,
    order_id       bigint NOT NULL,
    gateway_txn_id bigint NOT NULL,
    status         text NOT NULL,
    amount_cents   integer NOT NULL,
    created_at     timestamptz NOT NULL
);
INSERT INTO payments (id, order_id, gateway_txn_id, status, amount_cents, created_at)
SELECT g, g, 880000000 + g * 37,
       (ARRAY['authorized', 'captured', 'captured', 'refunded'])[1 + g % 4],
       (g * 7919) % 100000,
       timestamptz '2024-02-01 00:05:00+00' + g * interval '7 minutes'
  FROM generate_series(1, 40000) AS g;
ALTER TABLE payments ADD CONSTRAINT payments_order_id_fkey
    FOREIGN KEY (order_id) REFERENCES orders (id);
CREATE INDEX payments_order_id_fk_idx ON payments (order_id);
CREATE TABLE shipments (
    id          bigint PRIMARY KEY,
    order_id    bigint NOT NULL,
    customer_id integer NOT NULL,
    carrier     text NOT NULL,
    tracking_no text NOT NULL,
    status      text NOT NULL,
    shipped_at  timestamptz NOT NULL,
    CONSTRAINT shipments_tracking_no_key UNIQUE (tracking_no)
);
INSERT INTO shipments (id, order_id, customer_id, carrier, tracking_no, status, shipped_at)
SELECT o.id, o.id, o.customer_id,
       (ARRAY['DHL', 'UPS', 'GLS', 'DPD', 'Colissimo'])[1 + o.id % 5],
       'TRK' || lpad(o.id::text, 9, '0'),
       CASE WHEN o.id % 10 < 8 THEN 'delivered'
            WHEN o.id % 10 = 8 THEN 'in_transit'
            ELSE 'pending' END,
       o.created_at + interval '1 day'
  FROM orders AS o
 WHERE o.id % 4 <> 0;
CREATE INDEX shipments_carrier_unused_idx ON shipments (carrier);
CREATE INDEX shipments_order_id_dup_idx ON shipments (order_id);
CREATE INDEX shipments_order_id_idx ON shipments (order_id);
CREATE INDEX shipments_customer_id_shipped_at_idx ON shipments (customer_id, shipped_at);
CREATE INDEX shipments_customer_id_redundant_idx ON shipments (customer_id);
CREATE INDEX shipments_customer_id_open_idx ON shipments (customer_id)
    WHERE status <> 'delivered';
ANALYZE payments;
ANALYZE shipments;


\set cid random(1, 2000)
select email from customers where id = :cid \gset
select id, status, total, created_at from orders where customer_email = :email order by created_at desc limit 10;
\sleep 150 ms

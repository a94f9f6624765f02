-- Axon Webhooks outbox example: emit a webhook event from a trigger, in the same
-- transaction as the business write.
--
-- `axon-webhooks migrate --db postgres://…` installs
--   axon.emit_event(tenant_id text, type text, data jsonb, idempotency_key text DEFAULT NULL)
--     RETURNS text  -- the event id
-- The event exists, fans out to the tenant's subscribed endpoints and wakes the
-- dispatchers (NOTIFY axon_work) if and only if the surrounding transaction commits.
-- (tests/store/outbox_pgtest.cpp runs this very file.)

CREATE TABLE IF NOT EXISTS products (
  id          bigserial PRIMARY KEY,
  tenant_id   text NOT NULL,  -- the Axon tenant (ten_…) whose endpoints hear about it
  name        text NOT NULL,
  price_cents integer NOT NULL
);

CREATE OR REPLACE FUNCTION products_emit_created() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM axon.emit_event(NEW.tenant_id, 'product.created', to_jsonb(NEW));
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS products_emit_created ON products;
CREATE TRIGGER products_emit_created
  AFTER INSERT ON products
  FOR EACH ROW EXECUTE FUNCTION products_emit_created();

-- Then, anywhere in your application:
--   BEGIN;
--   INSERT INTO products (tenant_id, name, price_cents) VALUES ('ten_…', 'Lamp', 4200);
--   COMMIT;   -- the webhook "product.created" is now queued; ROLLBACK would leave no trace
--
-- Or call it directly:
--   SELECT axon.emit_event('ten_…', 'order.paid', '{"order": 42}', 'order-42-paid');

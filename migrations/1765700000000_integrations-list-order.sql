-- Up Migration

-- GET /v1/integrations pages through integrations in (created_at, id) order with a keyset cursor: this
-- index makes each page a short range scan instead of a sort of the whole table.
CREATE INDEX integrations_created_id ON integrations (created_at, id);

-- Down Migration
DROP INDEX integrations_created_id;

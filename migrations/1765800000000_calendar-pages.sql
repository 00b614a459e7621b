-- Up Migration

-- GET /v1/calendar pages through integrations in (app_id, id) order, the order the page lists them in,
-- with a keyset cursor: this index makes each page a short range scan instead of a sort of the table.
CREATE INDEX integrations_app_id_id ON integrations (app_id, id);

-- Down Migration
DROP INDEX integrations_app_id_id;

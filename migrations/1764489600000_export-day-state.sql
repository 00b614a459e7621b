-- Up Migration

-- The latest attempt per (integration, table, day), kept in step with export_runs by the ledger code.
-- The export calendar reads this instead of ranking every attempt, so two years of days for hundreds
-- of integrations is one index range scan.
CREATE TABLE export_day_state (
  integration_id  uuid        NOT NULL,
  table_name      text        NOT NULL,
  day             date        NOT NULL,
  run_row_id      bigint      NOT NULL,
  status          text        NOT NULL,
  rows            bigint,
  bytes           bigint,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (integration_id, day, table_name)
);

INSERT INTO export_day_state (integration_id, table_name, day, run_row_id, status, rows, bytes)
SELECT DISTINCT ON (integration_id, day, table_name) integration_id, table_name, day, id, status, rows, bytes
FROM export_runs ORDER BY integration_id, day, table_name, id DESC;

-- Down Migration
DROP TABLE export_day_state;

-- Up Migration

-- Issue 12, operations that run themselves: alerts, auto-pause with catch-up, lookback.
-- The webhook secret is sealed like the S3 secret (AES-256-GCM, bound to the row, key id for rotation).
ALTER TABLE integrations
  ADD COLUMN alerts_webhook_url           text,
  ADD COLUMN alerts_format                text CHECK (alerts_format IN ('json', 'slack')),
  ADD COLUMN alerts_secret_enc            text,
  ADD COLUMN alerts_secret_key_id         text,
  ADD COLUMN lookback_days                integer NOT NULL DEFAULT 3 CHECK (lookback_days BETWEEN 0 AND 31),
  ADD COLUMN auto_pause_after_failed_days integer NOT NULL DEFAULT 3 CHECK (auto_pause_after_failed_days BETWEEN 0 AND 365),
  ADD COLUMN auto_paused_at               timestamptz,
  ADD COLUMN auto_paused_since_day        date,
  ADD COLUMN auto_pause_reason            text;

-- What the source held when the attempt started reading it (count and order-independent hash of row keys):
-- the lookback compares it with the source now.
ALTER TABLE export_runs ADD COLUMN source_fingerprint text;

-- The outcome of each scheduled day, one row per integration and day (a retried activity overwrites its
-- own row): the streak of configuration failures that pauses a schedule is read from here.
CREATE TABLE scheduled_outcomes (
  integration_id  uuid        NOT NULL,
  day             date        NOT NULL,
  outcome         text        NOT NULL CHECK (outcome IN ('succeeded', 'config_failed', 'failed')),
  error           text,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (integration_id, day)
);

-- Down Migration
DROP TABLE scheduled_outcomes;
ALTER TABLE export_runs DROP COLUMN source_fingerprint;
ALTER TABLE integrations
  DROP COLUMN alerts_webhook_url, DROP COLUMN alerts_format, DROP COLUMN alerts_secret_enc, DROP COLUMN alerts_secret_key_id,
  DROP COLUMN lookback_days, DROP COLUMN auto_pause_after_failed_days, DROP COLUMN auto_paused_at,
  DROP COLUMN auto_paused_since_day, DROP COLUMN auto_pause_reason;

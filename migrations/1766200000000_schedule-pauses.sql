-- Up Migration

-- Every stretch of time an integration's daily schedule was paused by ua-export (an operator's pause
-- through the API, CLI or console, a disable, a deletion in progress, an auto-pause), so that a
-- scheduled run can tell a day it skipped on purpose from a day whose run never started (Temporal's
-- scheduler drops a start that fails non-retryably): only the second is owed and repaired
-- (src/ops/missed-runs.ts). A firing at time T was paused when paused_at <= T < resumed_at (or no
-- resume yet). At most one stretch is open per integration.
CREATE TABLE schedule_pauses (
  integration_id uuid        NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  paused_at      timestamptz NOT NULL,
  resumed_at     timestamptz,
  note           text        NOT NULL,
  PRIMARY KEY (integration_id, paused_at),
  CHECK (resumed_at IS NULL OR resumed_at >= paused_at)
);
CREATE UNIQUE INDEX schedule_pauses_open ON schedule_pauses (integration_id) WHERE resumed_at IS NULL;

-- Pauses before this release were not recorded: every firing before it counts as paused, so an
-- upgrade never exports a day an operator skipped. Integrations paused right now stay paused from here.
INSERT INTO schedule_pauses (integration_id, paused_at, resumed_at, note)
SELECT id, created_at, now(), 'before ua-export recorded pauses' FROM integrations WHERE created_at < now();
INSERT INTO schedule_pauses (integration_id, paused_at, note)
SELECT id, now(), CASE WHEN NOT enabled THEN 'integration disabled' ELSE 'auto-paused' END
FROM integrations WHERE NOT enabled OR auto_paused_at IS NOT NULL;

-- Down Migration

DROP TABLE schedule_pauses;

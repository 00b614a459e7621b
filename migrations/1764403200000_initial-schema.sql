-- Up Migration

-- The source the export reads. Column order after created_at is the CSV contract (see src/export/columns.ts).
CREATE TABLE ua_events (
  id                           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id                       uuid        NOT NULL,
  created_at                   timestamptz NOT NULL DEFAULT now(),
  profile_id                   uuid,
  event_type                   text        NOT NULL,
  event_datetime               timestamptz NOT NULL,
  campaign_id                  text,
  campaign_name                text,
  adset_id                     text,
  adset_name                   text,
  ad_id                        text,
  ad_name                      text,
  platform                     text,
  attribution_source           text,
  attribution_network_user_id  text,
  attribution_status           text,
  attribution_channel          text,
  attribution_campaign         text,
  attribution_ad_group         text,
  attribution_ad_set           text,
  attribution_creative         text,
  click_datetime               timestamptz,
  install_datetime             timestamptz,
  conversion_datetime          timestamptz,
  conversion_type              text,
  conversion_value_usd         numeric,
  conversion_value_local       numeric,
  currency                     text CHECK (currency ~ '^[A-Z]{3}$'),
  country                      text,
  device_type                  text,
  os_version                   text,
  app_version                  text,
  user_agent                   text,
  ip_address                   inet,
  idfa                         text,
  idfv                         text,
  advertising_id               text,
  android_id                   text,
  android_app_set_id           text,
  device                       text,
  custom_parameters            jsonb       NOT NULL DEFAULT '{}'::jsonb,
  user_attributes              jsonb
);
-- The export pages one app-day in (created_at, id) order: this index serves the window, the order and the cursor.
CREATE INDEX ua_events_app_created_id ON ua_events (app_id, created_at, id);

CREATE TABLE campaign_metrics (
  app_id         uuid    NOT NULL,
  campaign_id    text    NOT NULL,
  campaign_name  text,
  adset_id       text    NOT NULL DEFAULT '',
  adset_name     text,
  ad_id          text    NOT NULL DEFAULT '',
  ad_name        text,
  platform       text    NOT NULL,
  date           date    NOT NULL,
  impressions    bigint  NOT NULL DEFAULT 0,
  clicks         bigint  NOT NULL DEFAULT 0,
  installs       bigint  NOT NULL DEFAULT 0,
  conversions    bigint  NOT NULL DEFAULT 0,
  spend_usd      numeric,
  spend_local    numeric,
  cpi_usd        numeric,
  cpc_usd        numeric,
  cpm_usd        numeric,
  ctr            numeric,
  icr            numeric,
  ipm            numeric,
  ltv_usd        numeric,
  PRIMARY KEY (app_id, date, platform, campaign_id, adset_id, ad_id)
);

CREATE TABLE integrations (
  id                        uuid        PRIMARY KEY,
  app_id                    uuid        NOT NULL,
  endpoint_url              text        NOT NULL,
  region                    text        NOT NULL DEFAULT 'us-east-1',
  bucket                    text        NOT NULL,
  folder                    text        NOT NULL DEFAULT '',
  access_key_id             text        NOT NULL,
  -- AES-256-GCM ciphertext (iv | tag | data, base64) and the id of the key that sealed it, so keys can rotate.
  secret_access_key_enc     text        NOT NULL,
  secret_key_id             text        NOT NULL,
  force_path_style          boolean     NOT NULL DEFAULT true,
  settings                  jsonb       NOT NULL DEFAULT '{}'::jsonb,
  historical_cutoff         timestamptz NOT NULL DEFAULT now(),
  enabled                   boolean     NOT NULL DEFAULT true,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  last_status               text,
  last_error                text,
  last_status_at            timestamptz
);
CREATE INDEX integrations_app ON integrations (app_id);

-- One row per attempt (workflow run) per integration, table and day; the newest row per (integration, table, day) is the day's state.
CREATE TABLE export_runs (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  integration_id   uuid        NOT NULL,
  table_name       text        NOT NULL CHECK (table_name IN ('ua_events', 'campaign_metrics')),
  day              date        NOT NULL,
  workflow_id      text        NOT NULL,
  run_id           text        NOT NULL,
  kind             text        NOT NULL DEFAULT 'manual',
  status           text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
  object_key       text,
  manifest_key     text,
  upload_id        text,
  rows             bigint,
  bytes            bigint,
  parts            integer,
  sha256           text,
  error            text,
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  UNIQUE (workflow_id, run_id, table_name)
);
CREATE INDEX export_runs_integration_day ON export_runs (integration_id, day, table_name, id DESC);

-- Down Migration
DROP TABLE export_runs;
DROP TABLE integrations;
DROP TABLE campaign_metrics;
DROP TABLE ua_events;

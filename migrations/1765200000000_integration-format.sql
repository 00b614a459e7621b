-- Up Migration

-- The file format an integration's days are delivered in (src/export/formats/format.ts). Existing
-- integrations keep plain CSV, byte for byte. compression applies to Parquet only, so it is NULL for
-- the CSV formats; the checks keep a row the API could never have written out of the table.
ALTER TABLE integrations
  ADD COLUMN format text NOT NULL DEFAULT 'csv',
  ADD COLUMN compression text;

ALTER TABLE integrations
  ADD CONSTRAINT integrations_format_check CHECK (format IN ('csv', 'csv_gzip', 'parquet')),
  ADD CONSTRAINT integrations_compression_check CHECK (
    (format = 'parquet' AND compression IN ('zstd', 'snappy', 'gzip', 'none'))
    OR (format <> 'parquet' AND compression IS NULL)
  );

-- Down Migration

ALTER TABLE integrations DROP CONSTRAINT integrations_compression_check, DROP CONSTRAINT integrations_format_check;
ALTER TABLE integrations DROP COLUMN compression, DROP COLUMN format;

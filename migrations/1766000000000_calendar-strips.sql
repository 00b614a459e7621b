-- Up Migration

-- The export calendar's overview draws one letter per integration and day. Read from export_day_state,
-- every load visits and aggregates one index entry and heap row per integration, day and table. This
-- table holds the same states as one string per integration, table and calendar year, a letter per
-- day of that year, so two years of an integration are a few short rows.
--
-- A trigger on export_day_state writes it in the same statement as every change there (the ledger's
-- upserts, a cancellation's fallback, a hand-made fix, a truncation), so it never shows a state the
-- ledger does not hold and needs no code path of its own to stay exact. Each change rewrites one
-- letter in place (`overlay`) on the row the upsert has locked, so two days of one year written at
-- once by two transactions cannot lose each other's letter.
CREATE TABLE export_year_strip (
  integration_id uuid     NOT NULL,
  table_name     text     NOT NULL,
  year           smallint NOT NULL,
  -- Letter k is day k of the year (export_day_letter): s succeeded with rows, z succeeded with 0 rows,
  -- n succeeded without a count, f failed, r running, c cancelled, '-' no attempt.
  states         text     NOT NULL,
  PRIMARY KEY (integration_id, year, table_name)
);

CREATE FUNCTION export_day_letter(p_status text, p_rows bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p_status
    WHEN 'succeeded' THEN CASE WHEN p_rows = 0 THEN 'z' WHEN p_rows IS NULL THEN 'n' ELSE 's' END
    WHEN 'failed' THEN 'f' WHEN 'running' THEN 'r' ELSE 'c' END
$$;

CREATE FUNCTION set_export_strip_letter(p_integration uuid, p_table text, p_day date, p_letter text) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO export_year_strip AS s (integration_id, table_name, year, states)
  VALUES (
    p_integration, p_table, extract(year FROM p_day)::smallint,
    overlay(repeat('-', (make_date(extract(year FROM p_day)::int + 1, 1, 1) - make_date(extract(year FROM p_day)::int, 1, 1)))
            PLACING p_letter FROM extract(doy FROM p_day)::int FOR 1))
  ON CONFLICT (integration_id, year, table_name) DO UPDATE
    SET states = overlay(s.states PLACING p_letter FROM extract(doy FROM p_day)::int FOR 1)
$$;

CREATE FUNCTION export_day_state_to_strip() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM set_export_strip_letter(OLD.integration_id, OLD.table_name, OLD.day, '-');
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (OLD.integration_id, OLD.table_name, OLD.day) IS DISTINCT FROM (NEW.integration_id, NEW.table_name, NEW.day) THEN
      PERFORM set_export_strip_letter(OLD.integration_id, OLD.table_name, OLD.day, '-');
    ELSIF export_day_letter(OLD.status, OLD.rows) = export_day_letter(NEW.status, NEW.rows) THEN
      RETURN NULL; -- a retried start or a finish with the same outcome: the letter stands
    END IF;
  END IF;
  PERFORM set_export_strip_letter(NEW.integration_id, NEW.table_name, NEW.day, export_day_letter(NEW.status, NEW.rows));
  RETURN NULL;
END
$$;

CREATE FUNCTION export_day_state_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE export_year_strip;
  RETURN NULL;
END
$$;

-- Rebuilds every strip from export_day_state: for this migration, and for bulk loads (the benches'
-- seeds) that write export_day_state with the row trigger disabled. One ordered pass over the rows
-- that exist: each letter is preceded by the '-' of the days since the previous row of its strip, and
-- the year is padded to its end. (Looking up every day of every year instead took minutes on a
-- ledger of 1.4M day states, during which CREATE TRIGGER holds every ledger write off.)
CREATE FUNCTION refill_export_year_strip() RETURNS void
LANGUAGE sql AS $$
  TRUNCATE export_year_strip;
  INSERT INTO export_year_strip (integration_id, table_name, year, states)
  SELECT integration_id, table_name, year::smallint,
         string_agg(repeat('-', doy - prev - 1) || letter, '' ORDER BY doy)
           || repeat('-', (make_date(year + 1, 1, 1) - make_date(year, 1, 1)) - max(doy))
  FROM (
    SELECT integration_id, table_name, extract(year FROM day)::int AS year, extract(doy FROM day)::int AS doy,
           export_day_letter(status, rows) AS letter,
           coalesce(lag(extract(doy FROM day)::int) OVER (PARTITION BY integration_id, table_name, extract(year FROM day) ORDER BY day), 0) AS prev
    FROM export_day_state
  ) d
  GROUP BY integration_id, table_name, year;
$$;

-- Created before the fill: CREATE TRIGGER holds off writers to export_day_state until this migration
-- commits, so no change falls between the fill and the trigger.
CREATE TRIGGER export_day_state_strip AFTER INSERT OR UPDATE OR DELETE ON export_day_state
  FOR EACH ROW EXECUTE FUNCTION export_day_state_to_strip();
CREATE TRIGGER export_day_state_strip_truncate AFTER TRUNCATE ON export_day_state
  FOR EACH STATEMENT EXECUTE FUNCTION export_day_state_truncated();

SELECT refill_export_year_strip();

-- Down Migration
DROP TRIGGER export_day_state_strip_truncate ON export_day_state;
DROP TRIGGER export_day_state_strip ON export_day_state;
DROP FUNCTION refill_export_year_strip();
DROP FUNCTION export_day_state_truncated();
DROP FUNCTION export_day_state_to_strip();
DROP FUNCTION set_export_strip_letter(uuid, text, date, text);
DROP FUNCTION export_day_letter(text, bigint);
DROP TABLE export_year_strip;

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { duckdbRecipe } from '../../src/export/recipes/duckdb.js';
import { LOADING_FORMATS, loadingFormat } from '../../src/export/recipes/formats.js';
import { loadingDoc } from '../../src/export/recipes/loading-doc.js';
import { polarsRecipe } from '../../src/export/recipes/polars.js';
import { pyarrowRecipe } from '../../src/export/recipes/pyarrow.js';
import { columnNames, TABLES } from '../../src/export/tables.js';

describe('docs/LOADING.md', () => {
  it('is exactly what the generator writes (npm run docs:loading regenerates it)', () => {
    expect(readFileSync(new URL('../../docs/LOADING.md', import.meta.url), 'utf8')).toBe(loadingDoc());
  });

  it('has a recipe of every reader for every format', () => {
    const doc = loadingDoc();
    for (const reader of ['DuckDB', 'Polars', 'pandas / pyarrow', 'ClickHouse', 'Spark (PySpark)', 'Athena / Glue', 'BigQuery', 'Snowflake']) {
      for (const f of LOADING_FORMATS) expect(doc).toContain(`### ${reader}: ${f.label} (\`*${f.extension}\`)`);
    }
  });
});

describe("the local readers' recipes", () => {
  const recipes = [duckdbRecipe, polarsRecipe, pyarrowRecipe];

  it('glob on the data extension only, so manifests and schemas are never rows', () => {
    for (const recipe of recipes) {
      for (const f of LOADING_FORMATS) {
        const code = recipe(f, '/data');
        expect(code).toContain(`dt=*/*${f.extension}`);
        expect(code).not.toMatch(/dt=\*\/\*['"]/);
      }
    }
  });

  it('declare every column of both tables, user_attributes included', () => {
    for (const recipe of recipes) {
      const code = recipe(loadingFormat('csv'), '/data');
      for (const table of TABLES) for (const c of columnNames(table, true)) expect(code).toMatch(new RegExp(`["']${c}["']`));
    }
  });

  it('never let DuckDB sniff a CSV, and keep "" apart from NULL', () => {
    const sql = duckdbRecipe(loadingFormat('csv'), '/data');
    expect(sql).toContain('auto_detect = false');
    expect(sql).toContain('allow_quoted_nulls = false');
    expect(sql).toContain("'os_version': 'VARCHAR'");
    expect(sql).toContain("'event_datetime': 'TIMESTAMPTZ'");
  });
});

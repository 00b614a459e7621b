import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sink } from '../helpers/cli-fixtures.js';
import { CliError } from '../../src/cli/client.js';
import type { CliIo, CommandGroup } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';

/** fetchAndRender, the action of every simple command, run through runCli with a test command group. */

type Answer = { status: number; body: unknown };
type Seen = { args?: unknown; opts?: unknown; viewArgs?: unknown; requests: number };

/** `ua-export thing show <a> <b> [--flag]`: GETs /v1/integrations/<a> and renders it as `view <id> <a> <b>`. */
function thingGroup(seen: Seen, exitCode?: (v: { id: string; ok?: boolean }) => number): CommandGroup {
  return (program, ctx) => {
    program
      .command('thing')
      .command('show')
      .argument('<a>')
      .argument('<b>')
      .option('--flag')
      .addOption(ctx.jsonOption())
      .action(
        ctx.fetchAndRender(
          async (client, args: [string, string], opts: { flag?: boolean; json?: boolean }) => {
            seen.requests++;
            seen.args = args;
            seen.opts = opts;
            return await client.getIntegration(args[0]);
          },
          (v, args) => {
            seen.viewArgs = args;
            return `view ${v.id} ${args.join(' ')}`;
          },
          exitCode,
        ),
      );
  };
}

async function run(argv: string[], group: CommandGroup, answer: Answer | (() => never), env: Record<string, string> = {}) {
  const calls: { url: string; auth: string | undefined }[] = [];
  const stdout = sink();
  const stderr = sink();
  const io: CliIo = {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: { UA_EXPORT_TOKEN: 'tok', UA_EXPORT_API_URL: 'http://api.test', ...env },
    fetch: async (input: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: input instanceof Request ? input.url : String(input), auth: (init?.headers as Record<string, string>).authorization });
      const a = typeof answer === 'function' ? answer() : answer;
      return new Response(JSON.stringify(a.body), { status: a.status, headers: { 'content-type': 'application/json' } });
    },
  };
  const code = await runCli(argv, io, [group]);
  return { code, calls, stdout: stdout.text(), stderr: stderr.text() };
}

const THING = { id: 'i-1', ok: false, nested: { n: 1 } };

describe('fetchAndRender', () => {
  it("makes the request with the command line's client, arguments and options, then prints the human view", async () => {
    const seen: Seen = { requests: 0 };
    const r = await run(['--token', 'flagtok', 'thing', 'show', 'i-1', 'b2', '--flag'], thingGroup(seen), { status: 200, body: THING });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([{ url: 'http://api.test/v1/integrations/i-1', auth: 'Bearer flagtok' }]);
    expect(seen.args).toEqual(['i-1', 'b2']);
    expect(seen.opts).toEqual({ flag: true });
    expect(seen.viewArgs).toEqual(['i-1', 'b2']);
    expect(r.stdout).toBe('view i-1 i-1 b2\n');
    expect(r.stderr).toBe('');
  });

  it("with --json prints the API's JSON (indented) instead of the view", async () => {
    const seen: Seen = { requests: 0 };
    const r = await run(['thing', 'show', 'i-1', 'b2', '--json'], thingGroup(seen), { status: 200, body: THING });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${JSON.stringify(THING, null, 2)}\n`);
    expect(seen.viewArgs).toBeUndefined();
  });

  it('exits with the code the answer maps to, with and without --json', async () => {
    const byOk = (v: { ok?: boolean }) => (v.ok ? 0 : 1);
    for (const json of [[], ['--json']]) {
      const failed = await run(['thing', 'show', 'i-1', 'b2', ...json], thingGroup({ requests: 0 }, byOk), { status: 200, body: THING });
      expect(failed.code, json.join()).toBe(1);
      expect(failed.stdout, json.join()).not.toBe('');
      const passed = await run(['thing', 'show', 'i-1', 'b2', ...json], thingGroup({ requests: 0 }, byOk), { status: 200, body: { ...THING, ok: true } });
      expect(passed.code, json.join()).toBe(0);
    }
  });

  it('an API error: exit 2, the error on stderr, nothing on stdout', async () => {
    const body = { error: 'not_found', message: 'integration i-1 not found', details: [], requestId: 'r1' };
    const r = await run(['thing', 'show', 'i-1', 'b2'], thingGroup({ requests: 0 }), { status: 404, body });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error: integration i-1 not found (HTTP 404 not_found)');
  });

  it('an API error with --json: the error body on stdout as well', async () => {
    const body = { error: 'validation_failed', message: 'request is invalid', details: [{ field: 'a', rule: 'bad' }], requestId: 'r1' };
    const r = await run(['thing', 'show', 'i-1', 'b2', '--json'], thingGroup({ requests: 0 }), { status: 400, body });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual(body);
    expect(r.stderr).toContain('  a: bad');
  });

  it('no token: exit 2 before any request', async () => {
    const seen: Seen = { requests: 0 };
    const r = await run(['thing', 'show', 'i-1', 'b2'], thingGroup(seen), { status: 200, body: THING }, { UA_EXPORT_TOKEN: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no API token');
    expect(seen.requests).toBe(0);
    expect(r.calls).toHaveLength(0);
  });

  it('a CliError from the request: its message and its exit code', async () => {
    const group: CommandGroup = (program, ctx) => {
      program
        .command('boom')
        .addOption(ctx.jsonOption())
        .action(
          ctx.fetchAndRender(
            async () => {
              throw new CliError('it broke', 1);
            },
            () => 'never',
          ),
        );
    };
    const r = await run(['boom'], group, { status: 200, body: {} });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: it broke\n');
  });

  it('the API unreachable: exit 2', async () => {
    const r = await run(['thing', 'show', 'i-1', 'b2'], thingGroup({ requests: 0 }), () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: /);
  });
});

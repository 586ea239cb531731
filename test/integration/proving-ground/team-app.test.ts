import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS, deepMerge } from 'loadbearing/model';
import { CommandRegistry, runCli } from 'loadbearing/ops';
import { proveCommand } from '../../../proving-ground/src/prove-command';
import { freePort, serviceNodePath } from '../../../proving-ground/src/local-stack';
import { ContractError, startTeamApp, WRONG_PORT_GRACE_MS } from '../../../proving-ground/src/team-app';
import { haproxyUnavailable } from '../../../proving-ground/src/topology/haproxy';
import { serviceTestsUnavailable } from '../support/service-harness';

// `loadbearing prove` on a team's own app (app.artifact): the proving ground runs the team's
// artifact (test/fixtures/prove-team-app: node:http only) as every local instance, sends it the
// team's request mix, and says which scenarios do not apply to it. An app that breaks the runtime
// contract is refused in one line (the refusals that need a running process are here; the others
// are unit tests in proving-ground/test/team-app.test.ts).
const unavailable = serviceTestsUnavailable('prove on a team artifact against real processes', [haproxyUnavailable()]);
const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'prove-team-app');
const work = mkdtempSync(join(tmpdir(), 'prove-team-app-'));

function capture() {
  let text = '';
  return { stream: { write: (chunk: string) => (text += chunk) }, text: () => text };
}

/** A one-file app in its own directory. */
function app(name: string, source: string): string {
  const dir = mkdtempSync(join(work, `${name}-`));
  writeFileSync(join(dir, 'server.js'), source);
  return dir;
}

describe.skipIf(unavailable !== undefined)('prove on a team artifact', () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const start = async (dir: string, timeoutMs: number) => {
    const port = await freePort();
    return startTeamApp(
      { command: serviceNodePath(), args: [join(dir, 'server.js')], cwd: dir, healthPath: '/healthz', startTimeoutMs: timeoutMs },
      { PATH: process.env.PATH, APP_PORT: String(port) },
    ).then(
      async (s) => {
        await s.stop();
        return { port, error: undefined };
      },
      (error: Error) => ({ port, error }),
    );
  };

  it('refuses an app that listens on another port than APP_PORT, naming the port it uses', async () => {
    const other = await freePort();
    const dir = app('wrong-port', `require('node:http').createServer((q, s) => s.end('ok')).listen(${other}, '127.0.0.1');`);
    const started = Date.now();
    const { port, error } = await start(dir, 60_000);
    expect(error).toBeInstanceOf(ContractError);
    expect(error!.message).toBe(
      `your app (app.artifact) does not honour the runtime contract: it listens on port ${other}, not on APP_PORT (${port}); fix: listen on the port in the APP_PORT environment variable (app.env)`,
    );
    // Refused once it has listened elsewhere for the grace period, not at the start timeout.
    expect(Date.now() - started).toBeLessThan(WRONG_PORT_GRACE_MS + 10_000);
  });

  it('refuses an app whose health path does not answer 200', async () => {
    const dir = app(
      'no-health',
      `require('node:http').createServer((q, s) => { s.writeHead(404); s.end('{"error":"not_found","message":"no"}'); }).listen(Number(process.env.APP_PORT), '127.0.0.1');`,
    );
    const { error } = await start(dir, 2_000);
    expect(error).toBeInstanceOf(ContractError);
    expect(error!.message).toMatch(
      /^your app \(app\.artifact\) does not honour the runtime contract: GET \/healthz on APP_PORT answered 404, not 200/,
    );
    expect(error!.message.split('\n')).toHaveLength(1);
  });

  it('refuses an app that exits at start, with its last line of output', async () => {
    const dir = app('exits', `console.error('cannot find module ./config'); process.exit(3);`);
    const { error } = await start(dir, 5_000);
    expect(error).toBeInstanceOf(ContractError);
    expect(error!.message).toMatch(
      /exited \(code 3\) before it answered GET \/healthz; its last output: cannot find module \.\/config; fix: /,
    );
  });

  it('proves the team app: its artifact on every instance, its mix, and the scenarios that need the reference service named', async () => {
    const configFile = join(work, 'config.json');
    const dev = deepMerge(BUILTIN_ENVIRONMENTS.dev, {
      app: {
        artifact: {
          path: FIXTURE,
          startCommand: 'server.js',
          proveRequests: [
            { path: '/api/greeting', share: 3 },
            { path: '/healthz', share: 1 },
          ],
        },
      },
    });
    writeFileSync(configFile, JSON.stringify({ environments: { dev } }));
    const out = capture();
    const err = capture();
    const code = await runCli(
      [
        'prove',
        '--env',
        'dev',
        '-c',
        `configFile=${configFile}`,
        '--quick',
        '--scenario',
        'steady-state',
        '--scenario',
        'worker-crash',
        '--json',
      ],
      { stdout: out.stream, stderr: err.stream, registry: new CommandRegistry().register(proveCommand) },
    );
    // --json: one JSON document on stdout; the summary for people is on stderr.
    const results = JSON.parse(out.text());
    expect([0, 1], err.text()).toContain(code);
    expect(results.app).toMatchObject({
      kind: 'team-artifact',
      artifact: FIXTURE,
      runtime: 'nodejs',
      mix: 'GET /api/greeting (75%), GET /healthz (25%)',
      mixSource: 'app.artifact.proveRequests',
    });
    const steady = results.scenarios.find((s: { id: string }) => s.id === 'steady-state');
    expect(steady.applies).toBe(true);
    // Every request went to the team's paths, and the team app answered them.
    const m = steady.runs[0].measurement;
    // (Not every one in time: on a busy 2-core machine the generator and HAProxy share the cores with it.)
    expect(m.run.byKind.app.counts.sent).toBeGreaterThan(100);
    expect(m.run.byKind.app.counts.ok).toBeGreaterThan(100);
    expect(Object.keys(m.run.errorKinds).filter((k) => k.startsWith('404'))).toEqual([]);
    expect(m.run.byKind.write.counts.sent).toBe(0);
    // No checks of the reference service's writes.
    expect(steady.checks.map((c: { id: string }) => c.id)).not.toContain('lost-writes');
    const worker = results.scenarios.find((s: { id: string }) => s.id === 'worker-crash');
    expect(worker).toMatchObject({ applies: false, reason: expect.stringMatching(/^does not apply to a team artifact: /) });

    const stderr = err.text();
    expect(stderr).toContain(
      `app: your app ${FIXTURE} (runtime nodejs, health path /healthz); request mix: GET /api/greeting (75%), GET /healthz (25%), from app.artifact.proveRequests`,
    );
    expect(stderr).toMatch(/skip {2}worker-crash: does not apply to a team artifact: /);
    const resultsMd = /^results: (\S+results\.md) /m.exec(stderr)?.[1];
    expect(resultsMd, stderr).toBeDefined();
    const md = readFileSync(resultsMd!, 'utf8');
    expect(md).toContain(`App: your app ${FIXTURE}`);
    expect(md).toContain('does not apply to a team artifact');
    rmSync(join(resultsMd!, '..'), { recursive: true, force: true });
  }, 600_000);
});

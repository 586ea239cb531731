import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS, deepMerge, type EnvironmentConfig } from 'loadbearing/model';
import { CommandRegistry, runCli } from 'loadbearing/ops';
import { environmentConfig } from '../src/local-stack/service-stack';
import { proveCommand } from '../src/prove-command';
import { SCENARIO_IDS } from '../src/scenario-ids';
import {
  contractProblem,
  describeMix,
  prepareTeamApp,
  TEAM_APP_DROPPED_CHECKS,
  teamAppChecks,
  teamApplicability,
  teamAppProblem,
  teamMix,
  teamRequests,
} from '../src/team-app';
import { seededRandom } from '../src/load/mix';

const FIXTURE = join(__dirname, '..', '..', 'test', 'fixtures', 'prove-team-app');
const work = mkdtempSync(join(tmpdir(), 'team-app-unit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const withArtifact = (artifact: Record<string, unknown>, change: Record<string, unknown> = {}): EnvironmentConfig =>
  environmentConfig('dev', { app: { artifact: { path: FIXTURE, startCommand: 'server.js', ...artifact } }, ...change });

function capture() {
  let text = '';
  return { stream: { write: (chunk: string) => (text += chunk) }, text: () => text };
}

describe('prove refuses a team artifact it cannot run, in one line naming what is missing and the fix', () => {
  it('installCommand: it is meant to run as root on AL2023', () => {
    const problem = teamAppProblem(withArtifact({ runtime: 'provided', installCommand: './install.sh', startCommand: 'server.js' }));
    expect(problem).toBe(
      'environments.dev.app.artifact.installCommand "./install.sh" is set: it is meant to run as root on an AL2023 instance, and prove will not run it on this machine; fix: prove an artifact that needs no install step (bundle its dependencies and runtime into it) with a config without installCommand',
    );
  });

  it('a path that does not exist (any more)', () => {
    const config = withArtifact({});
    const gone = { ...config, app: { ...config.app, artifact: { ...config.app.artifact!, path: join(work, 'no-such-app') } } };
    expect(teamAppProblem(gone)).toBe(
      `environments.dev.app.artifact.path ${join(work, 'no-such-app')} does not exist; fix: build your app there (a directory, or a .zip, .tar.gz or .tgz archive) or point app.artifact.path at it (relative to the config file's folder)`,
    );
    expect(() => prepareTeamApp(gone)).toThrow(/does not exist; fix: /);
  });

  it('a .zip on a machine without unzip', () => {
    const zip = join(work, 'app.zip');
    writeFileSync(zip, 'PK');
    const config = withArtifact({ path: zip });
    expect(teamAppProblem(config, (name) => name !== 'unzip')).toBe(
      `environments.dev.app.artifact.path ${zip} is a .zip and this machine has no unzip; fix: install unzip (apt-get install unzip), or give a directory or a .tar.gz`,
    );
  });

  it('a Node.js major this machine has no binary of', () => {
    const problem = teamAppProblem(withArtifact({ nodejsMajor: 24 }));
    // The repository pins Node 22 (the reference service's major); 24 is the team's to provide.
    expect(problem).toMatch(
      /^your app \(environments\.dev\.app\.artifact\.nodejsMajor 24\) runs on Node\.js 24 on the fleet and must here too, but .*: run `npm install --save-dev node@24` in your project \(in the loadbearing repository, `npm ci`\), run with Node\.js 24, or set LOADBEARING_SERVICE_NODE to a Node\.js 24 binary$/,
    );
  });

  it('nothing on APP_PORT, or another port: names the port and says to read APP_PORT', () => {
    const c = { port: 41234, healthPath: '/healthz', timeoutMs: 90_000, command: 'node server.js' };
    expect(contractProblem({ kind: 'refused', otherPorts: [3000] }, c)).toBe(
      'your app (app.artifact) does not honour the runtime contract: it listens on port 3000, not on APP_PORT (41234); fix: listen on the port in the APP_PORT environment variable (app.env)',
    );
    expect(contractProblem({ kind: 'refused', otherPorts: [] }, c)).toBe(
      'your app (app.artifact) does not honour the runtime contract: nothing listened on APP_PORT (41234) within 90 s of the start (fleet.boot.healthWaitSeconds); fix: listen on the port in the APP_PORT environment variable (app.env), sooner, or raise fleet.boot.healthWaitSeconds',
    );
  });

  it('no health answer: a status other than 200, or none in time', () => {
    const c = { port: 41234, healthPath: '/health', timeoutMs: 90_000, command: 'node server.js' };
    expect(contractProblem({ kind: 'status', status: 404 }, c)).toBe(
      'your app (app.artifact) does not honour the runtime contract: GET /health on APP_PORT answered 404, not 200 (loadBalancer.healthCheck.path); fix: answer that path with 200 while the app can serve, or set loadBalancer.healthCheck.path to the path that does',
    );
    expect(contractProblem({ kind: 'no-answer' }, c)).toMatch(
      /GET \/health on APP_PORT \(41234\) got no answer within 90 s .*; fix: answer the health path at once/,
    );
    expect(contractProblem({ kind: 'exited', code: 1, signal: null, lastLine: 'Error: boom' }, c)).toMatch(
      /`node server\.js` exited \(code 1\) before it answered GET \/health; its last output: Error: boom; fix: /,
    );
  });

  it('the CLI: a missing artifact path is one line and exit code 2, before anything starts', async () => {
    const configFile = join(work, 'missing.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        environments: {
          dev: deepMerge(BUILTIN_ENVIRONMENTS.dev, { app: { artifact: { path: 'no-such-app', startCommand: 'server.js' } } }),
        },
      }),
    );
    const out = capture();
    const err = capture();
    const code = await runCli(['prove', '--env', 'dev', '-c', `configFile=${configFile}`, '--quick'], {
      stdout: out.stream,
      stderr: err.stream,
      registry: new CommandRegistry().register(proveCommand),
    });
    expect(code).toBe(2);
    expect(out.text()).toBe('');
    expect(err.text().trim().split('\n')).toHaveLength(1);
    expect(err.text()).toMatch(/^loadbearing: error: .*environments\.dev\.app\.artifact\.path = "no-such-app": does not exist .*; fix: /);
  });

  it('the CLI: installCommand is one line and exit code 2, and no reference service is measured instead', async () => {
    const configFile = join(work, 'install.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        environments: {
          dev: deepMerge(BUILTIN_ENVIRONMENTS.dev, {
            app: { artifact: { path: FIXTURE, runtime: 'provided', startCommand: 'server.js', installCommand: './install.sh' } },
          }),
        },
      }),
    );
    const out = capture();
    const err = capture();
    const code = await runCli(['prove', '--env', 'dev', '-c', `configFile=${configFile}`, '--quick'], {
      stdout: out.stream,
      stderr: err.stream,
      registry: new CommandRegistry().register(proveCommand),
    });
    expect(code).toBe(2);
    expect(out.text()).toBe('');
    expect(err.text().trim().split('\n')).toEqual([
      expect.stringMatching(
        /^loadbearing: error: environments\.dev\.app\.artifact\.installCommand "\.\/install\.sh" is set: it is meant to run as root on an AL2023 instance/,
      ),
    ]);
  });
});

describe('prove runs the artifact the way the fleet does', () => {
  it('runtime nodejs: the Node.js of nodejsMajor runs the start script, in the artifact directory', () => {
    const app = prepareTeamApp(withArtifact({}));
    expect(app.cwd).toBe(FIXTURE);
    expect(app.args).toEqual([join(FIXTURE, 'server.js')]);
    expect(spawnSync(app.command, ['--version'], { encoding: 'utf8' }).stdout).toMatch(/^v22\./);
    expect(app.healthPath).toBe('/healthz');
    expect(app.startTimeoutMs).toBe(withArtifact({}).fleet.boot.healthWaitSeconds * 1000);
  });

  it('a .tgz is unpacked into a new temporary directory, removed by cleanup()', () => {
    const tgz = join(work, 'app.tgz');
    expect(spawnSync('tar', ['-czf', tgz, '-C', FIXTURE, '.']).status).toBe(0);
    const a = prepareTeamApp(withArtifact({ path: tgz }));
    const b = prepareTeamApp(withArtifact({ path: tgz }));
    expect(a.cwd).not.toBe(b.cwd);
    expect(existsSync(join(a.cwd, 'server.js'))).toBe(true);
    a.cleanup();
    b.cleanup();
    expect(existsSync(a.cwd)).toBe(false);
  });

  it('runtime provided: the executable itself, with its arguments', () => {
    const dir = mkdtempSync(join(work, 'provided-'));
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'server'), '#!/bin/sh\nexec sleep 1\n', { mode: 0o755 });
    const app = prepareTeamApp(withArtifact({ path: dir, runtime: 'provided', startCommand: 'bin/server --port 8080' }));
    expect(app).toMatchObject({ command: join(dir, 'bin', 'server'), args: ['--port', '8080'], cwd: dir });
  });
});

describe("a team app's request mix", () => {
  it('defaults to the health-check path, and says so', () => {
    const r = teamRequests(withArtifact({}, { loadBalancer: { healthCheck: { path: '/health' } } }));
    expect(r).toEqual({
      requests: [{ path: '/health', share: 1 }],
      mixSource: 'the health-check path only (app.artifact.proveRequests is not set)',
    });
  });

  it('follows app.artifact.proveRequests by share, seeded', () => {
    const requests = [
      { path: '/a', share: 3 },
      { path: '/b?x=1', share: 1 },
    ];
    expect(describeMix(requests)).toBe('GET /a (75%), GET /b?x=1 (25%)');
    const next = teamMix(requests);
    const random = seededRandom(7);
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const r = next(random);
      expect(r).toMatchObject({ kind: 'app', method: 'GET' });
      counts.set(r.path, (counts.get(r.path) ?? 0) + 1);
    }
    expect(counts.get('/a')! / 4000).toBeCloseTo(0.75, 1);
    expect(counts.get('/b?x=1')! / 4000).toBeCloseTo(0.25, 1);
  });
});

describe('scenarios on a team app', () => {
  const own = { healthPath: '/healthz', requests: [{ path: '/api/items', share: 1 }] };
  it('runs the app-agnostic ones and names the reason for every other', () => {
    const runs = SCENARIO_IDS.filter((id) => teamApplicability(id, own).applies);
    expect(runs).toEqual(['steady-state', 'traffic-spike', 'instance-loss', 'az-loss', 'bad-release', 'slow-release']);
    for (const id of SCENARIO_IDS.filter((x) => !runs.includes(x))) {
      const a = teamApplicability(id, own);
      expect(a.applies).toBe(false);
      if (!a.applies) expect(a.reason).toMatch(/^does not apply to a team artifact: .{20,}/);
    }
  });

  it('runs the release scenarios only with a request that is not the health path (their bad release passes it through)', () => {
    const healthOnly = { healthPath: '/healthz', requests: [{ path: '/healthz', share: 1 }] };
    for (const id of ['bad-release', 'slow-release'] as const) {
      const a = teamApplicability(id, healthOnly);
      expect(a).toEqual({
        applies: false,
        reason: expect.stringMatching(/passes the health path \(\/healthz\) through untouched, .*app\.artifact\.proveRequests$/),
      });
    }
    expect(teamApplicability('instance-loss', healthOnly).applies).toBe(true);
  });

  it("drops the checks of the reference service's writes, metrics and shedding; keeps shed-fast when the app shed", () => {
    const ids = ['errors', 'lost-writes', 'duplicated-writes', 'replica-fallbacks', 'shed-happens', 'shed-fast', 'recovery'].map((id) => ({
      id,
    }));
    expect(teamAppChecks(ids, 0).map((c) => c.id)).toEqual(['errors', 'recovery']);
    expect(teamAppChecks(ids, 5).map((c) => c.id)).toEqual(['errors', 'shed-fast', 'recovery']);
    for (const reason of Object.values(TEAM_APP_DROPPED_CHECKS)) expect(reason.length).toBeGreaterThan(10);
  });
});

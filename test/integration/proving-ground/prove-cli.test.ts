import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceTestsUnavailable } from '../support/service-harness';
import { haproxyUnavailable } from '../../../proving-ground/src/topology/haproxy';

// The BUILT CLI (dist/bin/loadbearing.js prove), as an operator runs it: bad input gets one
// line and exit code 2 with nothing started; Ctrl-C during a run stops everything it started.
const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist/bin/loadbearing.js');
const unavailable = serviceTestsUnavailable('prove CLI against real processes', [haproxyUnavailable()]);
const work = mkdtempSync(path.join(tmpdir(), 'prove-cli-'));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Result {
  const r = spawnSync(process.execPath, [cli, 'prove', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Process groups logged by the local stack, and every process carrying the run's marker. */
function survivors(log: string, marker: string): string[] {
  const groups = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number) : [];
  const alive: string[] = [];
  for (const g of groups) {
    try {
      process.kill(-g, 0);
      alive.push(`process group ${g}`);
    } catch {
      /* gone */
    }
  }
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`LOADBEARING_PROVE_MARKER=${marker}`))
        alive.push(`pid ${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 80)}`);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return alive;
}

describe.skipIf(unavailable !== undefined)('loadbearing prove (built CLI)', () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each([
    [['--scenario', 'meteor-strike'], /^loadbearing: error: unknown scenario "meteor-strike" \(scenarios: steady-state, traffic-spike/],
    [['--env', 'qa'], /^loadbearing: error: unknown environment "qa" \(known: dev, staging, prod\)/],
    [['--runs', 'many'], /^loadbearing: error: --runs "many" must be an integer from 1 to 9/],
    [
      ['--app-env', 'NOT_A_VARIABLE=1'],
      /^loadbearing: error: --app-env "NOT_A_VARIABLE=1" is not NAME=value with an app.env variable name/,
    ],
    [['-c', 'configFile=does-not-exist.json'], /configFile/],
    [['--quick', '--out', 'proving-ground/results'], /is where full runs are committed/],
  ])('rejects %j with one line and exit code 2, starting nothing', (args, message) => {
    const log = path.join(work, `${randomUUID()}.log`);
    const r = run(args, { LOADBEARING_PROCESS_LOG: log });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(log)).toBe(false);
  });

  it('refuses a port in use and a missing binary before it starts anything', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const log = path.join(work, 'port.log');
      const busy = run(['--quick', '--port', String(port)], { LOADBEARING_PROCESS_LOG: log });
      expect(busy.code).toBe(2);
      expect(busy.stderr.trim()).toBe(`loadbearing: error: --port ${port} is in use on 127.0.0.1: pick a free port or leave --port out`);
      expect(existsSync(log)).toBe(false);
    } finally {
      server.close();
    }
    // PATH without haproxy (node is run by its absolute path).
    const noHaproxy = run(['--quick'], { PATH: '/nonexistent', LOADBEARING_PROCESS_LOG: path.join(work, 'path.log') });
    expect(noHaproxy.code).toBe(2);
    expect(noHaproxy.stderr).toMatch(/^loadbearing: error: cannot run the proving ground: haproxy not found on PATH; /);
    expect(noHaproxy.stderr).toContain('; npm run prereqs checks the prerequisites and prints the install command of each missing one');
    expect(noHaproxy.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(work, 'path.log'))).toBe(false);
    // A PostgreSQL that is not there (LOADBEARING_PG_BIN names where to look).
    const noPostgres = run(['--quick'], { LOADBEARING_PG_BIN: '/nonexistent/bin', LOADBEARING_PROCESS_LOG: path.join(work, 'pg.log') });
    expect(noPostgres.code).toBe(2);
    expect(noPostgres.stderr.trim()).toMatch(
      /^loadbearing: error: cannot run the proving ground: LOADBEARING_PG_BIN=\/nonexistent\/bin has no initdb, pg_ctl, postgres, pg_basebackup; npm run prereqs /,
    );
    expect(existsSync(path.join(work, 'pg.log'))).toBe(false);
  });

  it.each([
    ['interrupted (Ctrl-C)', 'SIGINT' as const, 130],
    ['killed outright (SIGKILL: no exit hook runs, the watchdog reaps)', 'SIGKILL' as const, null],
  ])('leaves no process behind when %s in the middle of a run', async (_what, signal, code) => {
    const log = path.join(work, `${signal}.log`);
    const marker = randomUUID();
    const child = spawn(process.execPath, [cli, 'prove', '--quick', '--scenario', 'steady-state', '--out', path.join(work, 'out')], {
      cwd: root,
      env: { ...process.env, LOADBEARING_PROCESS_LOG: log, LOADBEARING_PROVE_MARKER: marker },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Interrupt once the whole topology is up and load is running.
    await expect.poll(() => stderr, { timeout: 60_000, interval: 200 }).toMatch(/calibration: /);
    expect(survivors(log, marker).length).toBeGreaterThanOrEqual(7);
    child.kill(signal);
    expect(await exited).toBe(code);
    if (signal === 'SIGINT') expect(stderr).toContain('loadbearing: prove interrupted; everything it started is stopped');
    await expect.poll(() => survivors(log, marker), { timeout: 10_000 }).toEqual([]);
  });
});

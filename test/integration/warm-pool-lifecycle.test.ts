import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { completionCommands, healthWaitCommands, preambleCommands } from '../../constructs/boot-script';
import { freePort, startProcess, waitFor, type ManagedProcess } from '../../proving-ground/src/local-stack/processes';
import { runBash, startReportServer, writeStub, type ReportServer } from './support/boot-harness';

/**
 * The warm pool's lifecycle, run for real in bash: the generated boot (preamble with a launching
 * lifecycle hook, and the health wait) against the tiny artifact on loopback, and the lifecycle
 * watcher the boot writes. As in boot-script.test.ts only what needs AWS or systemd is stubbed
 * on PATH: `aws` records each call and answers the two describe calls from files the test
 * writes (this instance's lifecycle state, its launch template version, the group's), and
 * complete-lifecycle-action moves the state on as Auto Scaling would; `curl` answers the
 * instance metadata (the instance ID and the target lifecycle state, from a file the test
 * changes); `systemctl` records; `sleep` is capped at 0.2 s.
 */
const TINY_APP = join(__dirname, '..', 'fixtures', 'tiny-app', 'server.js');
const WAIT = { waitSeconds: 3, probeTimeoutSeconds: 1, probeIntervalSeconds: 1 };
const GROUP = 'loadbearing-test-FleetASG-ABC';

let work: string;
let bin: string;
let reportServer: ReportServer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'loadbearing-lifecycle-'));
  bin = join(work, 'bin');
  mkdirSync(bin);
  const stub = (name: string, body: string) => writeStub(bin, name, body);
  stub(
    'aws',
    [
      'echo "aws $*" >> "$STUB_LOG"',
      'case "$*" in',
      // --output text of [AutoScalingGroupName, LifecycleState, LaunchTemplate.Version]
      '  *describe-auto-scaling-instances*) [ -f "$STUB_DIR/deny" ] && exit 254; printf \'%s\\t%s\\t%s\\n\' "$STUB_GROUP" "$(cat "$STUB_DIR/state")" "$(cat "$STUB_DIR/instance-version")" ;;',
      '  *describe-auto-scaling-groups*) cat "$STUB_DIR/group-version" ;;',
      '  *complete-lifecycle-action*CONTINUE*) case "$(cat "$STUB_DIR/state")" in Warmed:*) echo Warmed:Stopped ;; *) echo InService ;; esac > "$STUB_DIR/state" ;;',
      '  *complete-lifecycle-action*ABANDON*) echo Terminating > "$STUB_DIR/state" ;;',
      'esac',
    ].join('\n'),
  );
  stub(
    'systemctl',
    [
      'echo "systemctl $*" >> "$STUB_LOG"',
      'case "$*" in',
      '  *NRestarts*) echo 0 ;;',
      '  *ExecMainStatus*) echo 0 ;;',
      '  *is-active*) exit 0 ;;',
      'esac',
    ].join('\n'),
  );
  stub(
    'curl',
    [
      'case "$*" in',
      '  *169.254.169.254*api/token*) echo token ;;',
      '  *169.254.169.254*target-lifecycle-state*) cat "$STUB_DIR/target" ;;',
      '  *169.254.169.254*instance-id*) echo i-0warm ;;',
      '  *) exec /usr/bin/curl "$@" ;;',
      'esac',
    ].join('\n'),
  );
  stub('sleep', 'exec /usr/bin/sleep 0.2');
  reportServer = await startReportServer((_method, body) => body);
});

afterAll(async () => {
  await reportServer.close();
  rmSync(work, { recursive: true, force: true });
});

/** One instance's world: its stub files, the calls it made, and where the boot writes the watcher. */
interface Instance {
  readonly dir: string;
  readonly log: string;
  readonly watcher: string;
  set(file: 'target' | 'state' | 'instance-version' | 'group-version', value: string): void;
  calls(): string[];
  env(): NodeJS.ProcessEnv;
}

let counter = 0;
function instance(initial: { target: string; state: string; instanceVersion?: string; groupVersion?: string }): Instance {
  const dir = join(work, `i${++counter}`);
  mkdirSync(dir);
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  const i: Instance = {
    dir,
    log,
    watcher: join(dir, 'lifecycle.sh'),
    set: (file, value) => writeFileSync(join(dir, file), `${value}\n`),
    calls: () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean),
    env: () => ({ ...process.env, PATH: `${bin}:${process.env.PATH}`, STUB_LOG: log, STUB_DIR: dir, STUB_GROUP: GROUP }),
  };
  i.set('target', initial.target);
  i.set('state', initial.state);
  i.set('instance-version', initial.instanceVersion ?? '7');
  i.set('group-version', initial.groupVersion ?? '7');
  return i;
}

/** The boot, with a lifecycle hook, for the app on `appPort`: exit code, output, the calls made (aws, systemctl) and the wait-condition reports. */
async function boot(i: Instance, appPort: number) {
  reportServer.reports.length = 0;
  const script = [
    ...preambleCommands({
      stackName: 'loadbearing-test',
      groupLogicalId: 'FleetASG',
      region: 'eu-west-1',
      reasonUrl: reportServer.url,
      lifecycleHookName: 'loadbearing-launch',
      lifecycleScriptPath: i.watcher,
    }),
    ...healthWaitCommands(appPort, '/healthz', WAIT),
    ...completionCommands(),
  ].join('\n');
  const { code, output } = await runBash(script, i.env());
  return { code, output, calls: i.calls(), reports: [...reportServer.reports] };
}

const complete = (result: string) =>
  `aws autoscaling complete-lifecycle-action --region eu-west-1 --auto-scaling-group-name ${GROUP} --lifecycle-hook-name loadbearing-launch --instance-id i-0warm --lifecycle-action-result ${result}`;
const signal = (status: string) =>
  `aws cloudformation signal-resource --region eu-west-1 --stack-name loadbearing-test --logical-resource-id FleetASG --unique-id i-0warm --status ${status}`;
/** The calls that act (complete, signal, start, stop), without the reads (describe, the health loop's systemctl show / is-active). */
const acts = (calls: string[]) =>
  calls.filter((c) => !c.includes(' describe-') && !c.startsWith('systemctl show') && !c.startsWith('systemctl is-active'));

const watchers: ManagedProcess[] = [];
afterEach(async () => {
  for (const w of watchers.splice(0)) await w.stop();
});

/** Starts the watcher the boot wrote, as systemd would (bash on the script). */
function watch(i: Instance): ManagedProcess {
  const w = startProcess('bash', [i.watcher], { env: i.env() });
  watchers.push(w);
  return w;
}

async function until(what: string, i: Instance, predicate: (calls: string[]) => boolean, w: ManagedProcess) {
  await waitFor(
    what,
    async () => predicate(i.calls()),
    15_000,
    () => `${w.output()}\n${i.calls().join('\n')}`,
  );
}

describe('the warm pool lifecycle, in bash', () => {
  let app: ManagedProcess | undefined;
  let appPort: number;

  beforeAll(async () => {
    appPort = await freePort();
    app = startProcess(process.execPath, [TINY_APP], { env: { ...process.env, APP_PORT: String(appPort), APP_RUNTIME: 'local' } });
    await waitFor(
      'the tiny app',
      async () => (await fetch(`http://127.0.0.1:${appPort}/healthz`)).ok,
      10_000,
      () => app!.output(),
    );
  });
  afterAll(async () => {
    await app?.stop();
  });

  describe('the boot', () => {
    it('launched into service and healthy: CONTINUE first, then the SUCCESS signal; writes and starts the watcher', async () => {
      const i = instance({ target: 'InService', state: 'Pending:Wait' });
      const run = await boot(i, appPort);
      expect(run.code, run.output).toBe(0);
      const calls = acts(run.calls);
      expect(calls).toEqual([complete('CONTINUE'), 'systemctl start --no-block loadbearing-lifecycle', signal('SUCCESS')]);
      expect(run.reports).toEqual(['{"Status":"SUCCESS","Reason":"healthy","UniqueId":"i-0warm","Data":"SUCCESS"}']);
      // The watcher is a script bash parses, carrying the boot's functions and numbers.
      const watcher = readFileSync(i.watcher, 'utf8');
      expect(watcher).toMatch(/^#!\/bin\/bash\n/);
      expect(watcher).toContain('lb_health_wait');
      expect(watcher).toContain(`http://127.0.0.1:${appPort}/healthz`);
      expect(watcher.trimEnd().split('\n').at(-1)).toBe('lb_watch');
    });

    it('launched into the warm pool and healthy: stops the app, starts the watcher, CONTINUE; no report, no signal (it does not enter service now)', async () => {
      const i = instance({ target: 'Warmed:Stopped', state: 'Warmed:Pending:Wait' });
      const run = await boot(i, appPort);
      expect(run.code, run.output).toBe(0);
      expect(acts(run.calls)).toEqual([
        'systemctl stop loadbearing-app',
        'systemctl start --no-block loadbearing-lifecycle',
        complete('CONTINUE'),
      ]);
      expect(run.reports).toEqual([]);
      expect(run.output).toContain('prepared for the warm pool (Warmed:Stopped)');
      expect(existsSync(i.watcher)).toBe(true);
    });

    it('launched into service and unhealthy: the reason, the FAILURE signal, then ABANDON (Auto Scaling terminates it)', async () => {
      const i = instance({ target: 'InService', state: 'Pending:Wait' });
      const run = await boot(i, await freePort());
      expect(run.code).toBe(1);
      expect(acts(run.calls)).toEqual([signal('FAILURE'), complete('ABANDON')]);
      expect(JSON.parse(run.reports[0])).toMatchObject({ Status: 'FAILURE', UniqueId: 'i-0warm' });
      expect(existsSync(i.watcher)).toBe(false);
    });

    it('launched into the warm pool and unhealthy: ABANDON only, so a broken instance never waits in the pool', async () => {
      const i = instance({ target: 'Warmed:Stopped', state: 'Warmed:Pending:Wait' });
      const run = await boot(i, await freePort());
      expect(run.code).toBe(1);
      expect(acts(run.calls)).toEqual([complete('ABANDON')]);
      expect(run.reports).toEqual([]);
    });

    it('on the first create (the hook comes after the group, and so does the permission): no action waits, nothing is completed, the signal goes out', async () => {
      const i = instance({ target: 'InService', state: 'InService' });
      writeFileSync(join(i.dir, 'deny'), '');
      const run = await boot(i, appPort);
      expect(run.code, run.output).toBe(0);
      expect(acts(run.calls)).toEqual(['systemctl start --no-block loadbearing-lifecycle', signal('SUCCESS')]);
      expect(run.output).toContain('no lifecycle action waits (state unknown): nothing to complete');
    });
  });

  describe('the watcher, after a boot into the warm pool', () => {
    /** An instance prepared for the warm pool (the boot wrote its watcher), then started by the watcher. */
    async function warmInstance(port: number, versions: { instance: string; group: string }) {
      const i = instance({
        target: 'Warmed:Stopped',
        state: 'Warmed:Pending:Wait',
        instanceVersion: versions.instance,
        groupVersion: versions.group,
      });
      const run = await boot(i, port);
      expect(run.code, run.output).toBe(0);
      writeFileSync(i.log, '');
      i.set('state', 'Warmed:Stopped');
      const w = watch(i);
      await until('the watcher to see the warm pool', i, (calls) => calls.includes('systemctl stop loadbearing-app'), w);
      return { i, w };
    }

    it('on a warm start of the current launch template version: starts the app, waits for its health, CONTINUE, then SUCCESS', async () => {
      const { i, w } = await warmInstance(appPort, { instance: '7', group: '7' });
      i.set('state', 'Pending:Wait');
      i.set('target', 'InService');
      await until('the warm start', i, (calls) => calls.includes(signal('SUCCESS')), w);
      expect(acts(i.calls())).toEqual([
        'systemctl stop loadbearing-app',
        'systemctl start loadbearing-app',
        complete('CONTINUE'),
        signal('SUCCESS'),
      ]);
      expect(i.calls()).toContain(
        `aws autoscaling describe-auto-scaling-groups --region eu-west-1 --auto-scaling-group-names ${GROUP} --query AutoScalingGroups[0].LaunchTemplate.Version --output text`,
      );
    });

    it('never lets an instance from an older launch template version into service: ABANDON at once, the app not even started', async () => {
      const { i, w } = await warmInstance(appPort, { instance: '6', group: '7' });
      i.set('state', 'Pending:Wait');
      i.set('target', 'InService');
      await until('the stale instance to be abandoned', i, (calls) => calls.includes(complete('ABANDON')), w);
      expect(acts(i.calls())).toEqual(['systemctl stop loadbearing-app', complete('ABANDON')]);
      expect(w.output()).toContain('stale: launched from launch template version 6, the group launches 7: ABANDON');
    });

    it('abandons when it cannot tell the versions apart (the version is unreadable): fail closed', async () => {
      const { i, w } = await warmInstance(appPort, { instance: 'None', group: '7' });
      i.set('state', 'Pending:Wait');
      i.set('target', 'InService');
      await until('the instance to be abandoned', i, (calls) => calls.includes(complete('ABANDON')), w);
      expect(i.calls()).not.toContain('systemctl start loadbearing-app');
    });

    it('on a warm start whose app stays unhealthy: FAILURE, then ABANDON', async () => {
      const port = await freePort();
      const second = startProcess(process.execPath, [TINY_APP], { env: { ...process.env, APP_PORT: String(port), APP_RUNTIME: 'local' } });
      try {
        await waitFor(
          'a second tiny app',
          async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
          10_000,
          () => second.output(),
        );
        const { i, w } = await warmInstance(port, { instance: '7', group: '7' });
        await second.stop();
        i.set('state', 'Pending:Wait');
        i.set('target', 'InService');
        await until('the failed warm start', i, (calls) => calls.includes(complete('ABANDON')), w);
        expect(acts(i.calls())).toEqual([
          'systemctl stop loadbearing-app',
          'systemctl start loadbearing-app',
          signal('FAILURE'),
          complete('ABANDON'),
        ]);
        expect(w.output()).toMatch(/warm start FAILED on i-0warm: no answer from http:\/\/127\.0\.0\.1:\d+\/healthz within 3 s/);
      } finally {
        await second.stop();
      }
    });

    it('after a reboot in service (no lifecycle action waits): does nothing', async () => {
      const i = instance({ target: 'InService', state: 'Pending:Wait' });
      expect((await boot(i, appPort)).code).toBe(0);
      writeFileSync(i.log, '');
      const w = watch(i);
      await waitFor(
        'the watcher to read the state',
        async () => w.output().includes('in service, no lifecycle action waits (InService)'),
        15_000,
        () => w.output(),
      );
      expect(acts(i.calls())).toEqual([]);
    });
  });
});

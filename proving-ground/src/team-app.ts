import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { EnvironmentConfig, ProveRequest } from 'loadbearing/model';
import { ProveInputError } from './errors';
import { findNodeMajor, startProcess, type ServiceProcess } from './local-stack';
import type { PlannedRequest } from './load/mix';
import type { ScenarioId } from './scenario-ids';

/**
 * A team's own app (`app.artifact`) as the proving ground runs it: instead of the reference
 * service, each local instance is the team's artifact, started the way the fleet starts it
 * (constructs/app-fleet.ts): runtime `nodejs` runs `node <startCommand>` on the Node.js major
 * the config names, runtime `provided` runs the executable, in the artifact's directory, with the
 * same app.env as the reference service gets. It must honour the runtime contract
 * (docs/runtime-contract.md): listen on APP_PORT and answer the health-check path with 200 within
 * fleet.boot.healthWaitSeconds; `prove` refuses in one line when it does not.
 */
export interface TeamApp {
  /** app.artifact.path as resolved (absolute). */
  readonly artifact: string;
  readonly runtime: 'nodejs' | 'provided';
  /** The binary started, and its arguments. */
  readonly command: string;
  readonly args: readonly string[];
  /** The artifact's directory (an archive unpacked into a temporary directory). */
  readonly cwd: string;
  readonly healthPath: string;
  /** The mix, and where it comes from (the console names it). */
  readonly requests: readonly ProveRequest[];
  readonly mixSource: 'app.artifact.proveRequests' | 'the health-check path only (app.artifact.proveRequests is not set)';
  /** How long the app may take to answer its health path after it starts (fleet.boot.healthWaitSeconds). */
  readonly startTimeoutMs: number;
  /** Removes the unpacked archive, if any. */
  cleanup(): void;
}

const hasCommand = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;

/**
 * Why `prove` cannot run this environment's artifact, checked before anything starts (one line:
 * what is missing and the fix), or undefined. `commandAvailable` is for the tests.
 */
export function teamAppProblem(config: EnvironmentConfig, commandAvailable: (name: string) => boolean = hasCommand): string | undefined {
  const a = config.app.artifact;
  if (!a) return undefined;
  const where = `environments.${config.name}.app.artifact`;
  if (a.installCommand !== undefined)
    return `${where}.installCommand "${a.installCommand}" is set: it is meant to run as root on an AL2023 instance, and prove will not run it on this machine; fix: prove an artifact that needs no install step (bundle its dependencies and runtime into it) with a config without installCommand`;
  if (!existsSync(a.path))
    return `${where}.path ${a.path} does not exist; fix: build your app there (a directory, or a .zip, .tar.gz or .tgz archive) or point app.artifact.path at it (relative to the config file's folder)`;
  if (a.path.endsWith('.zip') && !commandAvailable('unzip'))
    return `${where}.path ${a.path} is a .zip and this machine has no unzip; fix: install unzip (apt-get install unzip), or give a directory or a .tar.gz`;
  if (/\.(tar\.gz|tgz)$/.test(a.path) && !commandAvailable('tar'))
    return `${where}.path ${a.path} is a tar archive and this machine has no tar; fix: install tar, or give a directory`;
  if (a.runtime === 'nodejs') {
    const node = findNodeMajor(a.nodejsMajor, `your app (${where}.nodejsMajor ${a.nodejsMajor})`);
    if (typeof node === 'string') return node;
  }
  return undefined;
}

/** The request mix of a team's app: app.artifact.proveRequests, or the health-check path alone. */
export function teamRequests(config: EnvironmentConfig): Pick<TeamApp, 'requests' | 'mixSource'> {
  const given = config.app.artifact?.proveRequests;
  return given && given.length > 0
    ? { requests: given, mixSource: 'app.artifact.proveRequests' }
    : {
        requests: [{ path: config.loadBalancer.healthCheck.path, share: 1 }],
        mixSource: 'the health-check path only (app.artifact.proveRequests is not set)',
      };
}

/** The mix in words, for the console and results.md: `GET /a (75%), GET /b (25%)`. */
export function describeMix(requests: readonly ProveRequest[]): string {
  const total = requests.reduce((s, r) => s + r.share, 0);
  return requests.map((r) => `GET ${r.path} (${Math.round((1000 * r.share) / total) / 10}%)`).join(', ');
}

/** Picks the next request of a team app's mix (seeded, like the reference mix). */
export function teamMix(requests: readonly ProveRequest[]): (random: () => number) => PlannedRequest {
  const total = requests.reduce((s, r) => s + r.share, 0);
  return (random) => {
    let x = random() * total;
    for (const r of requests) {
      x -= r.share;
      if (x < 0) return { kind: 'app', method: 'GET', path: r.path, headers: {} };
    }
    return { kind: 'app', method: 'GET', path: requests[requests.length - 1].path, headers: {} };
  };
}

/**
 * Makes the artifact runnable: checks it ({@link teamAppProblem}), unpacks an archive into a
 * fresh temporary directory, and resolves the start command. Throws ProveInputError (one line).
 */
export function prepareTeamApp(config: EnvironmentConfig): TeamApp {
  const a = config.app.artifact;
  if (!a) throw new Error('prepareTeamApp: the environment has no app.artifact');
  const problem = teamAppProblem(config);
  if (problem) throw new ProveInputError(problem);
  const where = `environments.${config.name}.app.artifact`;
  let cwd = a.path;
  let unpacked: string | undefined;
  if (statSync(a.path).isFile()) {
    unpacked = mkdtempSync(join(tmpdir(), 'loadbearing-prove-app-'));
    const [cmd, args] = a.path.endsWith('.zip') ? ['unzip', ['-q', a.path, '-d', unpacked]] : ['tar', ['-xzf', a.path, '-C', unpacked]];
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) {
      rmSync(unpacked, { recursive: true, force: true });
      throw new ProveInputError(
        `${where}.path ${a.path} could not be unpacked (${cmd}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0]}); fix: rebuild the archive`,
      );
    }
    cwd = unpacked;
  }
  const cleanup = () => {
    if (unpacked) rmSync(unpacked, { recursive: true, force: true });
  };
  const [program, ...rest] = a.startCommand.split(' ');
  const entry = isAbsolute(program) ? program : resolve(cwd, program);
  if (!existsSync(entry)) {
    cleanup();
    throw new ProveInputError(
      `${where}.startCommand "${a.startCommand}" starts ${program}, which is not in the artifact (${cwd}${unpacked ? `, unpacked from ${basename(a.path)}` : ''}); fix: give the ${a.runtime === 'nodejs' ? 'entry script' : 'executable'} relative to the artifact's top directory`,
    );
  }
  const node = a.runtime === 'nodejs' ? findNodeMajor(a.nodejsMajor, 'your app') : undefined;
  if (typeof node === 'string') throw new ProveInputError(node);
  return {
    artifact: a.path,
    runtime: a.runtime,
    command: node ? node.path : entry,
    args: node ? [entry, ...rest] : rest,
    cwd,
    healthPath: config.loadBalancer.healthCheck.path,
    ...teamRequests(config),
    startTimeoutMs: config.fleet.boot.healthWaitSeconds * 1000,
    cleanup,
  };
}

/** What the last health probe of a starting app saw. */
export type Probe =
  | { readonly kind: 'exited'; readonly code: number | null; readonly signal: string | null; readonly lastLine: string }
  | { readonly kind: 'refused'; readonly otherPorts: readonly number[] }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'no-answer' };

/**
 * The runtime contract's breach a probe shows, as one line naming what is missing and the fix
 * (docs/runtime-contract.md: listen on APP_PORT, answer the health path with 200 in time).
 */
export function contractProblem(p: Probe, c: { port: number; healthPath: string; timeoutMs: number; command: string }): string {
  const prefix = 'your app (app.artifact) does not honour the runtime contract';
  const s = Math.round(c.timeoutMs / 100) / 10;
  switch (p.kind) {
    case 'exited':
      return `${prefix}: \`${c.command}\` exited (${p.signal ?? `code ${p.code}`}) before it answered GET ${c.healthPath}${p.lastLine ? `; its last output: ${p.lastLine.slice(0, 200)}` : ''}; fix: run it with APP_PORT=8080 in its directory and make it stay up`;
    case 'refused':
      return p.otherPorts.length > 0
        ? `${prefix}: it listens on port ${p.otherPorts.join(', ')}, not on APP_PORT (${c.port}); fix: listen on the port in the APP_PORT environment variable (app.env)`
        : `${prefix}: nothing listened on APP_PORT (${c.port}) within ${s} s of the start (fleet.boot.healthWaitSeconds); fix: listen on the port in the APP_PORT environment variable (app.env), sooner, or raise fleet.boot.healthWaitSeconds`;
    case 'status':
      return `${prefix}: GET ${c.healthPath} on APP_PORT answered ${p.status}, not 200 (loadBalancer.healthCheck.path); fix: answer that path with 200 while the app can serve, or set loadBalancer.healthCheck.path to the path that does`;
    case 'no-answer':
      return `${prefix}: GET ${c.healthPath} on APP_PORT (${c.port}) got no answer within ${s} s (fleet.boot.healthWaitSeconds); fix: answer the health path at once (a shallow check), or raise fleet.boot.healthWaitSeconds`;
  }
}

/** Thrown when a team's app breaks the runtime contract at start: one line, `prove` exits 2. */
export class ContractError extends ProveInputError {}

/** Process IDs of `pid` and its descendants. */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const c of readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim().split(/\s+/).filter(Boolean))
        out.push(Number(c));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** TCP ports the process tree of `pid` listens on (Linux /proc; empty elsewhere). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const p of processTree(pid)) {
    try {
      for (const fd of readdirSync(`/proc/${p}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      }
    } catch {
      /* gone, or not ours */
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        // local_address, st (0A = LISTEN), inode
        if (f.length > 9 && f[3] === '0A' && inodes.has(f[9])) ports.add(Number.parseInt(f[1].split(':')[1], 16));
      }
    } catch {
      /* no /proc */
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** How long an app may listen elsewhere, and not on APP_PORT, before it is refused for the wrong port. */
export const WRONG_PORT_GRACE_MS = 5_000;

/**
 * Starts a team's app with `env` (app.env), and waits until GET the health path on APP_PORT
 * answers 200. Throws {@link ContractError} (one line) when it exits, listens on another port,
 * answers something else or nothing within its start timeout; the process is stopped first.
 */
export async function startTeamApp(
  app: Pick<TeamApp, 'command' | 'args' | 'cwd' | 'healthPath' | 'startTimeoutMs'>,
  env: NodeJS.ProcessEnv,
  options: {
    taskset?: string;
    onDocument?: (doc: Record<string, unknown>) => void;
    onSpawn?: (pid: number) => void;
  } = {},
): Promise<ServiceProcess> {
  const port = Number(env.APP_PORT);
  const [cmd, args] = options.taskset ? ['taskset', ['-c', options.taskset, app.command, ...app.args]] : [app.command, [...app.args]];
  const p = startProcess(cmd, args, {
    env,
    cwd: app.cwd,
    onLine: (line) => {
      if (!line.startsWith('{')) return;
      try {
        options.onDocument?.(JSON.parse(line) as Record<string, unknown>);
      } catch {
        /* not JSON */
      }
    },
  });
  options.onSpawn?.(p.pid);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + app.startTimeoutMs;
  let probe: Probe = { kind: 'refused', otherPorts: [] };
  let elsewhereSince: number | undefined;
  const shown = [app.command, ...app.args].map((a) => (a.startsWith(app.cwd) ? a.slice(app.cwd.length + 1) : a)).join(' ');
  while (true) {
    if (!p.running()) {
      await p.exited;
      const lines = p
        .output()
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      probe = { kind: 'exited', code: p.child.exitCode, signal: p.child.signalCode, lastLine: lines[lines.length - 1] ?? '' };
      break;
    }
    try {
      const r = await fetch(`${url}${app.healthPath}`, {
        signal: AbortSignal.timeout(Math.max(100, Math.min(2_000, deadline - Date.now()))),
      });
      await r.arrayBuffer();
      if (r.status === 200) {
        return {
          url,
          process: p,
          lines: [],
          metric: () => 0,
          async stop(signal = 'SIGTERM') {
            await p.stop(signal, 30_000);
            return p.child.exitCode;
          },
        };
      }
      probe = { kind: 'status', status: r.status };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      if (cause?.code === 'ECONNREFUSED') {
        const otherPorts = listeningPorts(p.pid).filter((x) => x !== port);
        probe = { kind: 'refused', otherPorts };
        if (otherPorts.length === 0) elsewhereSince = undefined;
        else {
          elsewhereSince ??= Date.now();
          if (Date.now() - elsewhereSince >= WRONG_PORT_GRACE_MS) break;
        }
      } else probe = { kind: 'no-answer' };
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await p.stop('SIGKILL');
  throw new ContractError(contractProblem(probe, { port, healthPath: app.healthPath, timeoutMs: app.startTimeoutMs, command: shown }));
}

/**
 * Scenarios that need the reference service, and why; every other scenario runs against a team's
 * app. The runnable ones inject faults any app meets (load, lost instances, a lost AZ) and are
 * judged on what the client and the load balancer see.
 */
export const NOT_FOR_A_TEAM_APP: Readonly<Partial<Record<ScenarioId, string>>> = {
  'worker-crash':
    "it kills one worker process of the reference service's primary/worker model (node:cluster); a team app's process model is its own",
  'replica-loss':
    "its budget is the reference service's fallback of reads to the writer pool (metric ReplicaFallbacks); what your app does with the database is unknown here",
  'cache-loss':
    "its budget is the reference service's cache fallback (metric CacheFallbacks, app.cacheTimeoutMs); what your app does with the cache is unknown here",
  'db-failover': "its budget is that the reference service's reads go to the replica and the cache while the writer is down",
  'dependency-latency':
    "its budget is built from the reference service's pool wait bounds (app.shedPoolWaitMs) and its database round trips per request",
  'client-retries': "it sends idempotent writes (POST /api/orders with Idempotency-Key) and audits them in the reference service's tables",
  'replica-lag':
    "it judges every read's age from the versions the reference service's items carry, and its own writes through /api/items; your app's data is unknown here",
};

/**
 * Checks of the scenarios that do run which a team's app cannot be held to, and why: they read
 * the reference service's writes, metrics or shedding. The rest (errors, latency, healthy
 * targets, recovery, 429s, crashes, the release alarms) are judged on what the client and the
 * load balancer see, as for the reference service. The release scenarios run: their bad release
 * is a proxy in front of the instances (src/release), not a build of the reference service.
 */
export const TEAM_APP_DROPPED_CHECKS: Readonly<Record<string, string>> = {
  'lost-writes': 'the team mix sends no writes (GET paths only)',
  'duplicated-writes': 'the team mix sends no writes (GET paths only)',
  'replica-fallbacks': "the reference service's metric ReplicaFallbacks",
  'shed-happens': "the reference service's shedding bounds (app.shed*); an app need not shed",
};

/** The checks a team's app is held to: all but {@link TEAM_APP_DROPPED_CHECKS}, and shed-fast only when it shed (in the contract's error shape). */
export function teamAppChecks<C extends { id: string }>(checks: readonly C[], shedInFault: number): C[] {
  return checks.filter((c) => !(c.id in TEAM_APP_DROPPED_CHECKS) && !(c.id === 'shed-fast' && shedInFault === 0));
}

/** The release scenarios: their bad release is a proxy that passes the health path through untouched. */
const RELEASE_SCENARIOS: readonly ScenarioId[] = ['bad-release', 'slow-release'];

/**
 * Whether scenario `id` runs against a team's app with this request mix, with the reason when it
 * does not. The release scenarios need a request that is not the health path: their bad release
 * fails or slows every other request and passes the health check (as a bad release does).
 */
export function teamApplicability(
  id: ScenarioId,
  app: Pick<TeamApp, 'requests' | 'healthPath'>,
): { applies: true } | { applies: false; reason: string } {
  const why = NOT_FOR_A_TEAM_APP[id];
  if (why) return { applies: false, reason: `does not apply to a team artifact: ${why}` };
  if (RELEASE_SCENARIOS.includes(id) && app.requests.every((r) => r.path === app.healthPath))
    return {
      applies: false,
      reason: `does not apply to a team artifact with this mix: its bad release passes the health path (${app.healthPath}) through untouched, and the mix is only that path; list your app's own paths in app.artifact.proveRequests`,
    };
  return { applies: true };
}

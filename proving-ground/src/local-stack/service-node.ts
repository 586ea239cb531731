import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REFERENCE_SERVICE_NODEJS_MAJOR } from 'loadbearing/model';

/** Names the Node.js binary local runs start the service with, overriding the lookup below. */
export const SERVICE_NODE_ENV = 'LOADBEARING_SERVICE_NODE';

export interface ServiceNode {
  readonly path: string;
  /** `process.version` of that binary, e.g. `v22.23.3`. */
  readonly version: string;
  /** Where it came from, for messages. */
  readonly source: string;
}

function version(path: string): string | undefined {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The `node` npm package's binary (a pinned devDependency of the repository), when it is installed. */
function npmNode(): string | undefined {
  try {
    const bin = join(dirname(require.resolve('node/package.json')), 'bin', 'node');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

let cached: ServiceNode | string | undefined;

/** {@link findServiceNode} once per process. */
export function serviceNode(): ServiceNode | string {
  cached ??= findServiceNode();
  return cached;
}

/**
 * The Node.js binary that runs the reference service locally: the fleet's major
 * ({@link REFERENCE_SERVICE_NODEJS_MAJOR}, AL2023's `nodejs22`), whatever Node runs the tests or
 * the CLI. In order: `$LOADBEARING_SERVICE_NODE`; the npm package `node`, which the repository
 * pins as a devDependency; the Node.js running this process. Returns why none fits instead,
 * as one line with the fix.
 */
export function findServiceNode(env: NodeJS.ProcessEnv = process.env): ServiceNode | string {
  return findNodeMajor(REFERENCE_SERVICE_NODEJS_MAJOR, 'the reference service', env);
}

/**
 * A Node.js binary of `major` (what `who` runs on, on the fleet), looked up as
 * {@link findServiceNode} does; or why there is none, as one line with the fix.
 */
export function findNodeMajor(major: number, who: string, env: NodeJS.ProcessEnv = process.env): ServiceNode | string {
  const candidates: { path: string; source: string }[] = [];
  const fromEnv = env[SERVICE_NODE_ENV];
  if (fromEnv) candidates.push({ path: fromEnv, source: `$${SERVICE_NODE_ENV}` });
  else {
    const pinned = npmNode();
    if (pinned) candidates.push({ path: pinned, source: 'the npm package "node"' });
    candidates.push({ path: process.execPath, source: 'the Node.js running this command' });
  }
  const seen: string[] = [];
  for (const c of candidates) {
    const v = version(c.path);
    seen.push(`${c.source} (${c.path}) is ${v ?? 'not runnable'}`);
    if (v && Number(/^v(\d+)\./.exec(v)?.[1]) === major) {
      return { path: c.path, version: v, source: c.source };
    }
  }
  const pin =
    major === REFERENCE_SERVICE_NODEJS_MAJOR
      ? `run \`npm ci\` in the repository (it pins the npm package "node" at ${major}.x) or set`
      : 'set';
  return `${who} runs on Node.js ${major} on the fleet and must here too, but ${seen.join('; ')}: ${pin} ${SERVICE_NODE_ENV} to a Node.js ${major} binary`;
}

/** Why the service cannot be started here, or undefined. */
export function serviceNodeUnavailable(): string | undefined {
  const n = serviceNode();
  return typeof n === 'string' ? n : undefined;
}

/** The binary's path; throws with the reason when there is none. */
export function serviceNodePath(): string {
  const n = serviceNode();
  if (typeof n === 'string') throw new Error(n);
  return n.path;
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** CPU (self time) of one process's `--cpu-prof` profile, by source module, busiest first. */
export interface ModuleProfile {
  /** CPU in the profile, idle excluded, in ms. */
  readonly busyMs: number;
  /** Whether only the samples of the measured window counted (false: the whole profile, start-up included). */
  readonly windowed: boolean;
  readonly byOwner: readonly { readonly owner: string; readonly ms: number }[];
}

/**
 * The bundle's modules by first line: esbuild (not minified) writes a `// <path>` comment before
 * each module it inlines, so a profile's line number in the bundle names its source file.
 */
function bundleModules(bundle: string): { line: number; owner: string }[] {
  const out: { line: number; owner: string }[] = [];
  readFileSync(bundle, 'utf8')
    .split('\n')
    .forEach((text, line) => {
      const m = /^\/\/ (\S+\.(?:ts|js|cjs|mjs|json))$/.exec(text);
      if (!m) return;
      const path = m[1]!;
      if (path.includes('node_modules/')) {
        const rest = path.split('node_modules/').pop()!.split('/');
        out.push({ line, owner: rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]! });
      } else out.push({ line, owner: path });
    });
  return out;
}

function ownerOf(node: ProfileNode, bundle: string, modules: { line: number; owner: string }[]): string {
  const { url, functionName, lineNumber } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  if (url.startsWith('node:')) return `node:${url.replace(/^node:(internal\/)?/, '').split('/')[0]} (Node.js internals)`;
  if (url.endsWith(`/${basename(bundle)}`)) {
    let found = '(bundle prelude)';
    for (const m of modules) {
      if (m.line > lineNumber) break;
      found = m.owner;
    }
    return found;
  }
  return url;
}

/**
 * The `.cpuprofile` files in `dir`, largest first; without the profiles of `exceptPid` (a
 * primary: Node names each file `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`).
 */
export function profilesBySize(dir: string, exceptPid?: number): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && (exceptPid === undefined || f.split('.')[3] !== String(exceptPid)))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
}

/** Self time per source module of a bundled process's profile: where its CPU went, idle left out. */
export function summarizeBundleProfile(
  file: string,
  bundle: string,
  window?: { readonly fromUs: number; readonly toUs: number },
  top = 14,
): ModuleProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
  };
  const modules = bundleModules(bundle);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // A native function is named with the nearest application module that called it, else the
  // nearest Node.js one (a write of an answer and one of an IPC report are different costs).
  const keyOf = (node: ProfileNode): string => {
    const own = ownerOf(node, bundle, modules);
    if (!own.startsWith('(native)')) return own;
    let nodeOwner: string | undefined;
    for (let id = parent.get(node.id); id !== undefined; id = parent.get(id)) {
      const up = byId.get(id)!;
      if (!up.callFrame.url) continue;
      const o = ownerOf(up, bundle, modules);
      if (!o.startsWith('node:')) return `${own} from ${o}`;
      nodeOwner ??= o;
    }
    return nodeOwner ? `${own} from ${nodeOwner}` : own;
  };
  const self = new Map<string, number>();
  let at = profile.startTime;
  const inWindow = profile.samples.map((_, i) => {
    at += profile.timeDeltas[i] ?? 0;
    return !window || (at >= window.fromUs && at <= window.toUs);
  });
  // A clock that does not match (no sample inside the window): the whole profile, rather than nothing.
  const useWindow = inWindow.some(Boolean);
  profile.samples.forEach((sample, i) => {
    if (useWindow && !inWindow[i]) return;
    const node = byId.get(sample);
    if (!node || node.callFrame.functionName === '(idle)') return;
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const busy = [...self.values()].reduce((a, b) => a + b, 0);
  return {
    busyMs: Math.round(busy),
    windowed: !!window && useWindow,
    byOwner: [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([owner, ms]) => ({ owner, ms: Math.round(ms) })),
  };
}

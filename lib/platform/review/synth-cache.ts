import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Everything a diff synth's templates depend on, apart from the code in node_modules' packages. */
export interface SynthInputs {
  /** The git tree synthesized: a commit's tree, or the working tree as `git add -A` would record it. */
  readonly tree: string;
  /** `key=value` context pairs; a `configFile=` pair also keys on the file's content. */
  readonly context: readonly string[];
  /** The node_modules the synth ran with: its hidden lockfile says what npm installed there. */
  readonly modulesDir: string;
}

/** Environment variables that can change what the app synthesizes (account and region defaults). */
const ENV_INPUTS = ['CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'CDK_CONTEXT_JSON'];

/** A hash of every input of a synth: equal keys mean the synth would write the same templates. */
export function synthInputsKey(inputs: SynthInputs): string {
  const hash = createHash('sha256').update(`loadbearing-diff-synth v1\0${inputs.tree}\0${process.version}\0`);
  for (const pair of [...inputs.context].sort()) {
    hash.update(`${pair}\0`);
    const file = /^configFile=(.+)$/.exec(pair)?.[1];
    if (file) hash.update(existsSync(file) ? readFileSync(file) : '(missing)').update('\0');
  }
  const lock = join(inputs.modulesDir, '.package-lock.json');
  hash.update(existsSync(lock) ? readFileSync(lock) : '(no hidden lockfile)').update('\0');
  for (const name of ENV_INPUTS) hash.update(`${name}=${process.env[name] ?? ''}\0`);
  return hash.digest('hex');
}

/** Written last into an entry: `strict` (findings would have failed the synth) or `tolerant`. */
const COMPLETE = '.complete';

/**
 * Templates the diff guard synthesized, by the hash of their inputs (`synthInputsKey`), so a
 * baseline that has not changed since the last `npm run diff` is read instead of synthesized
 * again. Any change to the tree, the installed dependencies, the context or the config file
 * gives another key: a real change is always synthesized. Keeps the `keep` most recently used.
 *
 * The baseline's synth tolerates policy findings, the changed side's does not: an entry from a
 * tolerant synth serves only tolerant lookups; one from a strict synth (which passed) serves both.
 */
export class SynthCache {
  constructor(
    public readonly directory: string,
    private readonly keep = 8,
  ) {}

  /** The folder holding the cached assembly for `key`, or undefined. */
  public lookup(key: string, strict: boolean): string | undefined {
    const dir = join(this.directory, key);
    const kind = existsSync(join(dir, COMPLETE)) ? readFileSync(join(dir, COMPLETE), 'utf8') : undefined;
    if (kind !== 'strict' && (kind !== 'tolerant' || strict)) return undefined;
    const now = new Date();
    utimesSync(dir, now, now);
    return dir;
  }

  /** Stores the templates and metadata (not the asset folders) of a synth's output folder. */
  public store(key: string, outDir: string, strict: boolean): void {
    const dir = join(this.directory, key);
    if (this.lookup(key, strict)) return;
    mkdirSync(this.directory, { recursive: true });
    const partial = `${dir}.${process.pid}.tmp`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial);
    for (const file of readdirSync(outDir).filter((f) => f.endsWith('.json') && statSync(join(outDir, f)).isFile())) {
      cpSync(join(outDir, file), join(partial, file));
    }
    writeFileSync(join(partial, COMPLETE), strict ? 'strict' : 'tolerant');
    rmSync(dir, { recursive: true, force: true });
    // Rename last, so a concurrent diff never reads half an entry.
    renameSync(partial, dir);
    this.prune();
  }

  private prune(): void {
    const entries = readdirSync(this.directory)
      .filter((e) => /^[0-9a-f]{64}$/.test(e))
      .map((e) => ({ path: join(this.directory, e), used: statSync(join(this.directory, e)).mtimeMs }))
      .sort((a, b) => b.used - a.used);
    for (const stale of entries.slice(this.keep)) rmSync(stale.path, { recursive: true, force: true });
  }
}

/** The default cache folder: `node_modules/.cache/loadbearing-diff` of the project (`npm ci` empties it). */
export function defaultSynthCache(projectDir: string): SynthCache {
  return new SynthCache(join(projectDir, 'node_modules', '.cache', 'loadbearing-diff'));
}

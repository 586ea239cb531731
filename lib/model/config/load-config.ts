import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ARTIFACT_ARCHIVE } from './app-settings';
import { BUILTIN_ENVIRONMENTS } from './builtin-environments';
import { ConfigError, problemsFromZod, renderValue, type ConfigProblem } from './config-error';
import {
  configFileSchema,
  ENVIRONMENT_NAME,
  ENVIRONMENT_NAME_FIX,
  ENVIRONMENT_NAME_RULE,
  environmentSchema,
  type EnvironmentConfig,
  type Stage,
} from './environment-schema';
import { checkInvariants } from '../invariants/check-invariants';
import { drillConfigProblems } from '../failure-modes/drill-checks';
import { STAGE_PRESETS } from './stage-presets';

/**
 * Validates environment definitions and resolves their defaults
 * (schema defaults < stage preset < the environment's own values), then checks the
 * cross-component invariants of every environment that passed the schema, and that every stop
 * rule of its failure drills can fire.
 *
 * Every problem in every environment is collected first, then thrown as one ConfigError, so a
 * user fixes their file in one pass.
 */
export function resolveEnvironments(
  environments: Readonly<Record<string, unknown>>,
  source: string,
  baseDir: string = process.cwd(),
): EnvironmentConfig[] {
  const problems: ConfigProblem[] = [];
  const resolved: EnvironmentConfig[] = [];
  for (const [name, raw] of Object.entries(environments)) {
    const prefix = ['environments', name];
    if (!ENVIRONMENT_NAME.test(name)) {
      problems.push({
        path: `environments.${name}`,
        value: renderValue(name),
        rule: ENVIRONMENT_NAME_RULE,
        fix: ENVIRONMENT_NAME_FIX,
      });
      continue;
    }
    const stage = isRecord(raw) ? raw.stage : undefined;
    const preset = typeof stage === 'string' && stage in STAGE_PRESETS ? STAGE_PRESETS[stage as Stage] : {};
    const merged = isRecord(raw) ? deepMerge(preset, raw) : raw;
    const result = environmentSchema.safeParse(merged, { reportInput: true });
    if (!result.success) {
      problems.push(...problemsFromZod(result.error.issues, prefix, environmentSchema));
      continue;
    }
    const artifact = resolveArtifact(result.data.app.artifact, baseDir, `environments.${name}.app.artifact`, problems);
    const env = { ...result.data, app: { ...result.data.app, artifact }, name, stackName: result.data.stackName ?? `loadbearing-${name}` };
    problems.push(...checkInvariants(env).errors);
    // Stop rules of the failure drills that could never stop anything (docs/failure-modes.md).
    problems.push(...drillConfigProblems(env));
    resolved.push(env);
  }
  const seen = new Map<string, string>();
  for (const env of resolved) {
    const other = seen.get(env.stackName);
    if (other) {
      problems.push({
        path: `environments.${env.name}.stackName`,
        value: renderValue(env.stackName),
        rule: `is already used by environment "${other}"`,
        fix: 'give each environment its own stackName.',
      });
    }
    seen.set(env.stackName, env.name);
  }
  if (problems.length > 0) throw new ConfigError(problems, source);
  return resolved;
}

type Artifact = EnvironmentConfig['app']['artifact'];

/**
 * Checks that an app artifact exists and is a directory or an archive the boot script unpacks,
 * and makes its path absolute (relative paths are relative to the config file's folder), so the
 * synth finds it from any working directory.
 */
function resolveArtifact(artifact: Artifact, baseDir: string, path: string, problems: ConfigProblem[]): Artifact {
  if (!artifact) return undefined;
  const absolute = isAbsolute(artifact.path) ? artifact.path : resolve(baseDir, artifact.path);
  const problem = (field: string, value: unknown, rule: string, fix: string) =>
    problems.push({ path: `${path}.${field}`, value: renderValue(value), rule, fix });
  if (!existsSync(absolute)) {
    problem(
      'path',
      artifact.path,
      `does not exist (looked for ${absolute}; a relative path is relative to the config file's folder)`,
      'point it at the directory or the .zip/.tar.gz archive of your app.',
    );
    return artifact;
  }
  const stat = statSync(absolute);
  if (stat.isFile() && !ARTIFACT_ARCHIVE.test(absolute)) {
    problem(
      'path',
      artifact.path,
      'is a file but not a .zip, .tar.gz or .tgz archive',
      "point it at your app's directory, or pack it as a .zip or .tar.gz.",
    );
  } else if (stat.isDirectory()) {
    if (readdirSync(absolute).length === 0)
      problem('path', artifact.path, 'is an empty directory', 'build your app into it first, or point at the directory that holds it.');
    const entry = artifact.startCommand.split(' ')[0];
    const entryPath = isAbsolute(entry) || entry.startsWith('-') ? undefined : resolve(absolute, entry);
    if (entryPath && readdirSync(absolute).length > 0 && !existsSync(entryPath)) {
      problem(
        'startCommand',
        artifact.startCommand,
        `starts ${entry}, which is not in the artifact directory ${absolute}`,
        `use the path of the ${artifact.runtime === 'nodejs' ? 'entry script' : 'executable'} relative to the artifact directory.`,
      );
    }
    const missing = missingDependencies(absolute);
    if (missing.length > 0) {
      problem(
        'path',
        artifact.path,
        `ships a package.json whose dependencies are not installed in it (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? `, and ${missing.length - 3} more` : ''}): the instances get only what is in the directory, so the app cannot load them there`,
        `run \`npm install --omit=dev\` (or \`npm ci --omit=dev\`) in ${absolute} before synth, or bundle the app into one file (e.g. esbuild).`,
      );
    }
  }
  return { ...artifact, path: absolute };
}

/**
 * The `dependencies` of the artifact directory's package.json that its own node_modules lacks
 * (Node would find them one folder up on the developer's machine, never on an instance).
 */
function missingDependencies(dir: string): string[] {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return [];
  let dependencies: Record<string, unknown> = {};
  try {
    dependencies = (JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, unknown> }).dependencies ?? {};
  } catch {
    return [];
  }
  return Object.keys(dependencies).filter((name) => !existsSync(join(dir, 'node_modules', name, 'package.json')));
}

/** The built-in dev, staging and prod environments. */
export function builtinEnvironments(): EnvironmentConfig[] {
  return resolveEnvironments(BUILTIN_ENVIRONMENTS, 'the built-in environments');
}

/** Loads and validates a JSON config file (`-c configFile=<path>`). */
export function loadConfigFile(path: string): EnvironmentConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(
      [
        {
          path: 'configFile',
          value: renderValue(path),
          rule: `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
          fix: 'pass the path of an existing JSON file, relative to the project root.',
        },
      ],
      path,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(
      [{ path: '(file)', value: renderValue(path), rule: `is not valid JSON: ${(e as Error).message}`, fix: 'fix the JSON syntax.' }],
      path,
    );
  }
  const file = configFileSchema.safeParse(json, { reportInput: true });
  if (!file.success) throw new ConfigError(problemsFromZod(file.error.issues, [], configFileSchema), path);
  return resolveEnvironments(file.data.environments, path, dirname(resolve(path)));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges plain objects recursively; arrays and scalars in `override` replace `base`. */
export function deepMerge(base: unknown, override: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = isRecord(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(override)) {
    const merged = isRecord(value) && isRecord(result[key]) ? deepMerge(result[key], value) : value;
    // defineProperty, not assignment: a "__proto__" key in a JSON file must stay plain data.
    Object.defineProperty(result, key, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

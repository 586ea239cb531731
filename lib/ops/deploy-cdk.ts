import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.js';

/** One run of the CDK CLI: its exit code and what it printed (stdout and stderr, interleaved). */
export interface CdkResult {
  readonly code: number | null;
  readonly output: string;
}

/** A `cdk deploy` in flight: it ends by itself, or `interrupt` passes Ctrl-C on to it. */
export interface RunningCdk {
  readonly done: Promise<CdkResult>;
  interrupt(): void;
}

/**
 * The CDK CLI as `loadbearing deploy` uses it: the project's own pinned `cdk`
 * (node_modules/.bin/cdk), so the assets are published, the bootstrap version checked and the
 * change set made exactly as `cdk deploy` does (ADR 0007, "Deploy").
 */
export interface CdkRunner {
  /** `cdk synth <stack>` into `outDir`, with the policy gates, as `npm run synth` runs them. */
  synth(options: { readonly stack: string; readonly outDir: string; readonly context: readonly string[] }): Promise<CdkResult>;
  /** `cdk deploy <stack> --app <outDir> ...`: the assembly that was reviewed. */
  deploy(options: { readonly stack: string; readonly outDir: string; readonly args: readonly string[] }): RunningCdk;
}

/** The arguments of `cdk deploy` for one stack of an assembly that is already synthesized. */
export function deployArguments(o: {
  readonly stack: string;
  readonly outDir: string;
  readonly triggerArns: readonly string[] | 'none' | undefined;
  readonly monitoringMinutes: number;
  readonly profile?: string;
}): string[] {
  const args = ['deploy', o.stack, '--app', o.outDir, '--require-approval', 'never', '--progress', 'events'];
  // The CLI: "Pass the single value 'none' to clear any rollback triggers previously configured on
  // the stack"; --monitoring-time-minutes "Must be used together with --rollback-trigger-alarm-arns".
  if (o.triggerArns === 'none') args.push('--rollback-trigger-alarm-arns', 'none');
  else if (o.triggerArns && o.triggerArns.length > 0)
    args.push('--rollback-trigger-alarm-arns', ...o.triggerArns, '--monitoring-time-minutes', String(o.monitoringMinutes));
  if (o.profile) args.push('--profile', o.profile);
  return args;
}

/** The project's CDK CLI, run from `cwd` (the directory with cdk.json). */
export function projectCdk(cwd: string, env: NodeJS.ProcessEnv): CdkRunner {
  const cdk = join(cwd, 'node_modules', '.bin', 'cdk');
  const check = () => {
    if (!existsSync(join(cwd, 'cdk.json')))
      throw new UsageError(`no cdk.json in ${cwd}; fix: run loadbearing deploy from the project root (where cdk.json is)`);
    if (!existsSync(cdk)) throw new UsageError(`the CDK CLI is not installed (${cdk}); fix: run npm ci`);
  };
  const childEnv = { ...env, CDK_DISABLE_VERSION_CHECK: '1', CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };
  const start = (args: readonly string[]): RunningCdk => {
    const child = spawn(cdk, [...args], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const done = new Promise<CdkResult>((resolve) => {
      child.on('error', (e) => resolve({ code: null, output: `${output}\n${e.message}` }));
      child.on('close', (code) => resolve({ code, output }));
    });
    return { done, interrupt: () => child.kill('SIGINT') };
  };
  return {
    async synth(o) {
      check();
      const args = ['synth', o.stack, '--quiet', '--output', o.outDir];
      for (const c of o.context) args.push('--context', c);
      return start(args).done;
    },
    deploy(o) {
      check();
      return start(o.args);
    },
  };
}

/** The last lines of a CLI run worth showing: no blank lines, no stack frames. */
export function lastLines(output: string, n = 15): string[] {
  return output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && !/^\s+at .+/.test(l))
    .slice(-n);
}

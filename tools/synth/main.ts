#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { defaultValidationCacheDirectory } from '../../lib/platform/policies/validation-cache';
import { assemblySummary } from './assembly-summary';
import { validationCacheIsCold } from './first-run';
import { projectRoot } from './project-root';
import { parseSynthArgs, SYNTH_USAGE, SynthUsageError } from './synth-args';

// `npm run synth [-- stack... options]`: `cdk synth` with the platform's gates, saying what it
// does before the slow part and what it wrote after. See `npm run synth -- --help`.
const started = Date.now();
const root = projectRoot(__dirname);
const say = (line: string) => process.stderr.write(`${line}\n`);

let args: ReturnType<typeof parseSynthArgs>;
try {
  args = parseSynthArgs(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof SynthUsageError)) throw e;
  say(`error: ${e.message}`);
  process.exit(2);
}
if (!args) {
  process.stdout.write(`${SYNTH_USAGE}\n`);
  process.exit(0);
}

say(
  `synth: ${args.app ? `the app \`${args.app}\`` : args.stacks.length > 0 ? args.stacks.join(', ') : 'every stack of the config'}, then the policy gates (cdk-nag, Control Tower controls, CloudFormation validator)`,
);
if (process.env.LOADBEARING_RUNNER_USED === 'tsx') {
  say('synth: running the TypeScript sources with tsx: dist/ was built from older sources (`npm run build` makes every synth faster)');
}
if (!args.passThrough.includes('--no-validation') && validationCacheIsCold(defaultValidationCacheDirectory())) {
  say('synth: validating templates; the first run builds the validation cache (node_modules/.cache/loadbearing-validation),');
  say('       so every gate runs in full this once (10-20 s). Later synths reuse each report while its input is unchanged.');
}

const cdkArgs = [
  'synth',
  '--quiet',
  '--output',
  args.output,
  ...args.context.flatMap((c) => ['--context', c]),
  ...(args.app ? ['--app', args.app] : []),
  ...args.passThrough,
];
const cdk = spawn(join(root, 'node_modules', '.bin', 'cdk'), cdkArgs, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
});
cdk.on('error', (e) => {
  say(`error: cannot start the CDK CLI (${e.message}). Fix: run \`npm ci\` first.`);
  process.exitCode = 2;
});
cdk.on('close', (code, signal) => {
  if (code !== 0) {
    process.exitCode = code ?? 1;
    if (signal) say(`synth: stopped by ${signal}`);
    return;
  }
  for (const line of assemblySummary(resolve(root, args.output), process.cwd())) say(line);
  say(`synth: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { countSynths } from '../lib/bench/synth-counter';
import { isConfigError } from '../lib/config/config-error';
import { builtinEnvironments, loadConfigFile } from '../lib/config/load-config';
import { selectEnvironments, STACKS_CONTEXT } from '../lib/config/select-environments';
import { addPlatform } from '../lib/platform-app';
import { defaultValidationCacheDirectory } from '../lib/policies/validation-cache';

// The bench counts syntheses (LOADBEARING_SYNTH_LOG names the log file).
if (process.env.LOADBEARING_SYNTH_LOG) countSynths(process.env.LOADBEARING_SYNTH_LOG, 'cdk-app');

// autoSynth is off: a config error must stop the app before anything is written.
const app = new App({ autoSynth: false });
try {
  const configFile: unknown = app.node.tryGetContext('configFile');
  const environments = typeof configFile === 'string' && configFile !== '' ? loadConfigFile(configFile) : builtinEnvironments();
  // `-c policies=false` skips the policy packs (the diff guard's synths only need templates);
  // `npm run synth` and the tests always run them. `-c stacks=loadbearing-dev` builds only that
  // stack (`npm run synth -- loadbearing-dev` passes it).
  addPlatform(app, selectEnvironments(environments, app.node.tryGetContext(STACKS_CONTEXT)), {
    policies: String(app.node.tryGetContext('policies')) !== 'false',
    // Reports of unchanged templates are reused (a build cache; `npm ci` starts it empty).
    cacheDirectory: defaultValidationCacheDirectory(),
    builtinValidation: process.env.CDK_VALIDATION !== 'false',
    // A gate that runs in full takes seconds: say so while it runs.
    progress: (line) => process.stderr.write(`policy gate ${line}\n`),
  });
  app.synth();
} catch (error) {
  if (!isConfigError(error)) throw error;
  // A user mistake, not a platform bug: the message is the whole answer, no stack trace.
  process.stderr.write(`\n${error.message}\n\n`);
  process.exitCode = 1;
}

#!/usr/bin/env node
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { countSynths } from '../lib/bench/synth-counter';
import { isConfigError } from '../lib/config/config-error';
import { builtinEnvironments, loadConfigFile } from '../lib/config/load-config';
import { addPlatform } from '../lib/platform-app';

// The bench counts syntheses (LOADBEARING_SYNTH_LOG names the log file).
if (process.env.LOADBEARING_SYNTH_LOG) countSynths(process.env.LOADBEARING_SYNTH_LOG, 'cdk-app');

// autoSynth is off: a config error must stop the app before anything is written.
const app = new App({ autoSynth: false });
try {
  const configFile: unknown = app.node.tryGetContext('configFile');
  const environments = typeof configFile === 'string' && configFile !== '' ? loadConfigFile(configFile) : builtinEnvironments();
  // `-c policies=false` skips the policy packs (the diff guard's synths only need templates);
  // `npm run synth` and the tests always run them.
  addPlatform(app, environments, {
    policies: String(app.node.tryGetContext('policies')) !== 'false',
    // Reports of unchanged templates are reused (a build cache; `npm ci` starts it empty).
    cacheDirectory: join(__dirname, '..', 'node_modules', '.cache', 'loadbearing-validation'),
    builtinValidation: process.env.CDK_VALIDATION !== 'false',
  });
  app.synth();
} catch (error) {
  if (!isConfigError(error)) throw error;
  // A user mistake, not a platform bug: the message is the whole answer, no stack trace.
  process.stderr.write(`\n${error.message}\n\n`);
  process.exitCode = 1;
}

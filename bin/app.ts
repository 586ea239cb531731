#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { isConfigError } from '../lib/config/config-error';
import { builtinEnvironments, loadConfigFile } from '../lib/config/load-config';
import { addPlatform } from '../lib/platform-app';

// autoSynth is off: a config error must stop the app before anything is written.
const app = new App({ autoSynth: false });
try {
  const configFile: unknown = app.node.tryGetContext('configFile');
  const environments = typeof configFile === 'string' && configFile !== '' ? loadConfigFile(configFile) : builtinEnvironments();
  addPlatform(app, environments);
  app.synth();
} catch (error) {
  if (!isConfigError(error)) throw error;
  // A user mistake, not a platform bug: the message is the whole answer, no stack trace.
  process.stderr.write(`\n${error.message}\n\n`);
  process.exitCode = 1;
}

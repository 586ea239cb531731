#!/usr/bin/env node
// `loadbearing-prove [options]`: the same as `loadbearing prove [options]`.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { CommandRegistry, runCli } from 'loadbearing/ops';
import { proveCommand } from '../prove-command';

void runCli(['prove', ...process.argv.slice(2)], {
  stdout: process.stdout,
  stderr: process.stderr,
  registry: new CommandRegistry().register(proveCommand),
}).then((code) => {
  process.exitCode = code;
  setTimeout(() => process.exit(), 2_000).unref();
});

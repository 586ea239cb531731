#!/usr/bin/env node
// The SDK warns on every run that Node 20 support ends; set before the SDK is loaded.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

void import('../lib/ops/cli.js').then(async ({ runCli }) => {
  process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
  // Nothing should keep the process alive now (the client is destroyed); this is a backstop.
  setTimeout(() => process.exit(), 2_000).unref();
});

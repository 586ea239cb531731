#!/usr/bin/env node
// The SDK warns on every run that Node 20 support ends; set before the SDK is loaded.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The CLI's commands: the operations commands of lib/ops, plus the proving ground, which sits
// above lib (it imports the service's local stack), so it is added here, at the entry point.
void Promise.all([import('../lib/ops/cli.js'), import('../lib/ops/builtin-commands.js'), import('../proving-ground/prove-command.js')]).then(
  async ([{ runCli }, { builtinCommands }, { proveCommand }]) => {
    process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, registry: builtinCommands().register(proveCommand) });
    // Nothing should keep the process alive now (the client is destroyed); this is a backstop.
    setTimeout(() => process.exit(), 2_000).unref();
  },
);

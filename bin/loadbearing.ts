#!/usr/bin/env node
// The SDK warns on every run that Node 20 support ends; set before the SDK is loaded.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The CLI's commands: those of lib/ops, plus `prove` from the proving ground's package when it is
// installed (loaded by name: the library never depends on it), or a stand-in saying how to install it.
void Promise.all([
  import('../lib/ops/cli.js'),
  import('../lib/ops/builtin-commands.js'),
  import('../lib/ops/proving-ground-command.js'),
]).then(async ([{ runCli }, { builtinCommands }, { provingGroundCommand }]) => {
  const registry = builtinCommands().register(await provingGroundCommand());
  process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, registry });
  // Nothing should keep the process alive now (the client is destroyed); this is a backstop.
  setTimeout(() => process.exit(), 2_000).unref();
});

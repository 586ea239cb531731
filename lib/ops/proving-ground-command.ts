import { ExitCode, writeLine, type Command } from './command.js';
import { libraryManifest } from './optional-sdk.js';

/** The proving ground's package: installed beside the library to run `loadbearing prove`. */
export const PROVING_GROUND_PACKAGE = '@loadbearing/proving-ground';

/** `npm install` line for the proving ground at the library's own version. */
function installLine(): string {
  const version = libraryManifest()?.version;
  return `npm install --save-dev ${PROVING_GROUND_PACKAGE}${version ? `@${version}` : ''}`;
}

/**
 * The `prove` command: the proving ground's own, loaded by package name at run time (the library
 * never depends on the proving ground; docs/adr/0005-packages-and-layers.md). Without the package
 * installed, a stand-in that says in one line how to install it, whatever the arguments.
 */
export async function provingGroundCommand(load: (name: string) => Promise<unknown> = (name) => import(name)): Promise<Command> {
  try {
    const module = (await load(PROVING_GROUND_PACKAGE)) as { proveCommand?: Command };
    if (module.proveCommand) return module.proveCommand;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw error;
  }
  return {
    name: 'prove',
    summary: `Measure one environment locally under load and failure (needs ${PROVING_GROUND_PACKAGE})`,
    usage: '[--env <name>] [-c configFile=<file.json>] [--quick] [--scenario <id>]...',
    details: `The proving ground is its own package. Install it beside loadbearing: ${installLine()}`,
    options: {},
    acceptsAnyArguments: true,
    async local(_values, { stderr }) {
      writeLine(stderr, `loadbearing: error: prove needs the proving ground, which is not installed; fix: ${installLine()}`);
      return ExitCode.Error;
    },
  };
}

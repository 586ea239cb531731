import { parseArgs } from 'node:util';
import { STACKS_CONTEXT } from '../../lib/model/config/select-environments';

export const SYNTH_USAGE = `Usage: npm run synth -- [stack...] [options]

Synthesizes the platform's stacks into cdk.out/ after the config, the invariants and every policy
gate (cdk-nag, the Control Tower controls, CDK's CloudFormation validator) pass.

  stack                 only this stack, by stack or environment name (repeatable), e.g.
                        loadbearing-dev or dev; the others are not built at all
                        (the same as -c ${STACKS_CONTEXT}=loadbearing-dev with plain \`npx cdk synth\`)
  -c, --context <k=v>   context for the app, e.g. -c configFile=config/envs.json (repeatable)
  -o, --output <dir>    write the assembly here (default: cdk.out)
  -a, --app <command>   synthesize another CDK app the same way (the bench's floor uses it)
  -h, --help            show this help
Any other --flag is passed to \`cdk synth\` as it is (e.g. --no-validation, --verbose).`;

export interface SynthArgs {
  /** Stack or environment names; empty: every stack. */
  readonly stacks: readonly string[];
  /** `key=value` pairs, passed with -c. */
  readonly context: readonly string[];
  readonly output: string;
  readonly app?: string;
  /** Flags handed to `cdk synth` unchanged. */
  readonly passThrough: readonly string[];
}

/** A mistake on the command line: the message names the argument and the fix. */
export class SynthUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SynthUsageError';
  }
}

/** Parses `npm run synth -- ...`; undefined for --help. */
export function parseSynthArgs(argv: readonly string[]): SynthArgs | undefined {
  const { values, tokens } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: {
      context: { type: 'string', short: 'c', multiple: true },
      output: { type: 'string', short: 'o' },
      app: { type: 'string', short: 'a' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const known = new Set(['context', 'output', 'app', 'help']);
  const passThrough: string[] = [];
  const stacks: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') stacks.push(t.value);
    else if (t.kind === 'option' && !known.has(t.name)) {
      // Only flags without a value can pass: `--profile x` would make "x" look like a stack name.
      if (t.value !== undefined)
        throw new SynthUsageError(
          `${t.rawName}=${t.value}: only flags without a value pass through to cdk synth. Fix: run \`npx cdk synth ${t.rawName} ${t.value}\` directly.`,
        );
      passThrough.push(t.rawName);
    }
  }
  const context = ((values.context as string[] | undefined) ?? []).map(String);
  for (const c of context) {
    if (!/^[^=]+=/.test(c))
      throw new SynthUsageError(`-c ${c} is not key=value. Fix: write it as -c key=value, e.g. -c configFile=config/envs.json.`);
    if (c.startsWith(`${STACKS_CONTEXT}=`) && stacks.length > 0)
      throw new SynthUsageError(`-c ${c} and stack arguments (${stacks.join(' ')}) both select stacks. Fix: use one of them.`);
  }
  for (const [name, value] of [
    ['--output', values.output],
    ['--app', values.app],
  ] as const) {
    if (value !== undefined && typeof value !== 'string')
      throw new SynthUsageError(
        `${name} needs a value. Fix: e.g. ${name === '--output' ? '--output cdk.out' : '--app "node tools/launch.cjs bin/app"'}.`,
      );
  }
  return {
    stacks,
    context: stacks.length > 0 ? [...context, `${STACKS_CONTEXT}=${stacks.join(',')}`] : context,
    output: typeof values.output === 'string' ? values.output : 'cdk.out',
    ...(typeof values.app === 'string' ? { app: values.app } : {}),
    passThrough,
  };
}

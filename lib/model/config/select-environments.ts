import { ConfigError, renderValue } from './config-error';
import type { EnvironmentConfig } from './environment-schema';

/** The context key that limits a synth to some stacks: `-c stacks=loadbearing-dev,loadbearing-prod`. */
export const STACKS_CONTEXT = 'stacks';

/**
 * The environments whose stacks were asked for, in config order: all of them when `selection`
 * is empty or missing. `selection` is the `stacks` context value, comma-separated stack names
 * (`loadbearing-dev`) or environment names (`dev`). The CDK CLI builds every stack of an app
 * even when you name one, so the app itself has to leave the others out.
 */
export function selectEnvironments(environments: readonly EnvironmentConfig[], selection: unknown): EnvironmentConfig[] {
  if (selection === undefined || selection === null || selection === '') return [...environments];
  const wanted = Array.isArray(selection) ? selection.map(String) : String(selection).split(',');
  const names = wanted.map((w) => w.trim()).filter((w) => w !== '');
  const unknown = names.filter((n) => !environments.some((e) => e.stackName === n || e.name === n));
  if (unknown.length > 0) {
    throw new ConfigError(
      [
        {
          path: `context.${STACKS_CONTEXT}`,
          value: renderValue(unknown.join(',')),
          rule: `names no stack of this config (its stacks: ${environments.map((e) => e.stackName).join(', ')})`,
          fix: `name one of those stacks (or its environment), e.g. \`npm run synth -- ${environments[0]?.stackName ?? 'loadbearing-dev'}\`.`,
        },
      ],
      'the stack selection',
    );
  }
  return environments.filter((e) => names.includes(e.stackName) || names.includes(e.name));
}

import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';

/** The SSM path of a component's parameters: `/<prefix>/<component>/` (names are appended). */
export function parameterPath(prefix: string, component: string): string {
  return `/${prefix}/${component}/`;
}

/**
 * Publishes connection info for the app as SSM parameters `/<prefix>/<component>/<name>`
 * (the app and operators read them by name; values may be deploy-time tokens).
 */
export function publishConnectionParameters(
  scope: Construct,
  prefix: string,
  component: string,
  values: Readonly<Record<string, string>>,
): ssm.StringParameter[] {
  return Object.entries(values).map(
    ([name, value]) =>
      new ssm.StringParameter(scope, `Param${name.replace(/(^|[/-])(\w)/g, (_m, _sep, c: string) => c.toUpperCase())}`, {
        parameterName: `${parameterPath(prefix, component)}${name}`,
        stringValue: value,
        description: `${prefix} ${component} ${name}`,
      }),
  );
}

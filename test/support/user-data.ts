import { spawnSync } from 'node:child_process';
import { resourcesOfType, type CfnTemplate } from './assembly';

/** A deploy-time value in the user data (an endpoint, an ARN, a URL), as a placeholder of a realistic worst-case length. */
export const TOKEN_PLACEHOLDER = 'x'.repeat(200);

/**
 * The launch template's user data as the instance receives it, with every deploy-time value
 * (Ref, GetAtt) replaced by {@link TOKEN_PLACEHOLDER}: the script `bash -n` checks and the size
 * EC2's 16 KB limit applies to.
 */
export function userDataScript(template: CfnTemplate): string {
  const [lt] = Object.values(resourcesOfType(template, 'AWS::EC2::LaunchTemplate'));
  const data = (lt.Properties?.LaunchTemplateData as { UserData: { 'Fn::Base64': unknown } }).UserData['Fn::Base64'];
  const render = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map(render).join(join[0]);
    return TOKEN_PLACEHOLDER;
  };
  return render(data);
}

/** `bash -n`: the script parses (no run). Returns bash's complaint, or '' when it parses. */
export function bashSyntaxErrors(script: string): string {
  const result = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  return result.status === 0 ? '' : result.stderr;
}

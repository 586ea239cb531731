import { spawnSync } from 'node:child_process';
import { resourcesOfType, type CfnTemplate } from './assembly';

/**
 * Realistic worst-case lengths of the deploy-time values in the user data. The `Ref` of a
 * wait condition handle is a pre-signed S3 URL: the stack ARN in its path plus a SigV4 query
 * string, typically 450-550 characters
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-waitconditionhandle.html);
 * 1,024 leaves room. Everything else (endpoints, ARNs, names) stays under 256.
 */
export const TOKEN_LENGTHS = { waitConditionHandle: 1024, other: 256 } as const;

/** A piece of the user data: literal text, or a deploy-time value (`Ref`, `Fn::GetAtt`, ...). */
export type UserDataPart = string | Record<string, unknown>;

function userDataJoin(template: CfnTemplate): unknown {
  const [lt] = Object.values(resourcesOfType(template, 'AWS::EC2::LaunchTemplate'));
  return (lt.Properties?.LaunchTemplateData as { UserData: { 'Fn::Base64': unknown } }).UserData['Fn::Base64'];
}

/** The user data as a flat list of literal text and deploy-time values, in order. */
function userDataParts(template: CfnTemplate): UserDataPart[] {
  const flatten = (value: unknown): UserDataPart[] => {
    if (typeof value === 'string') return [value];
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (!join) return [value as Record<string, unknown>];
    return join[1].flatMap((v, i) => (i === 0 ? flatten(v) : [join[0], ...flatten(v)]));
  };
  return flatten(userDataJoin(template));
}

/**
 * The launch template's user data as the instance receives it, with every deploy-time value
 * replaced by a placeholder of its realistic worst-case length ({@link TOKEN_LENGTHS}): the script
 * `bash -n` checks and the size EC2's 16 KB limit applies to.
 */
export function userDataScript(template: CfnTemplate): string {
  const handles = new Set(Object.keys(resourcesOfType(template, 'AWS::CloudFormation::WaitConditionHandle')));
  return userDataParts(template)
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: string }).Ref;
      return 'x'.repeat(ref !== undefined && handles.has(ref) ? TOKEN_LENGTHS.waitConditionHandle : TOKEN_LENGTHS.other);
    })
    .join('');
}

/** The user data's lines, each a list of literal text and deploy-time values. */
export function userDataLines(template: CfnTemplate): UserDataPart[][] {
  const lines: UserDataPart[][] = [[]];
  for (const part of userDataParts(template)) {
    if (typeof part !== 'string') {
      lines[lines.length - 1].push(part);
      continue;
    }
    part.split('\n').forEach((text, i) => {
      if (i > 0) lines.push([]);
      if (text) lines[lines.length - 1].push(text);
    });
  }
  return lines;
}

/**
 * `/etc/loadbearing/app.env` as the boot script writes it: each variable's value as literal text
 * and deploy-time values (e.g. `DB_SECRET_ARN` is `[{ Ref: 'DatabaseAppSecretAttachment...' }]`).
 */
export function appEnvOf(template: CfnTemplate): Record<string, UserDataPart[]> {
  const lines = userDataLines(template);
  const start = lines.findIndex((l) => l.length === 1 && l[0] === "cat > /etc/loadbearing/app.env <<'EOF'");
  if (start < 0) throw new Error('the user data writes no /etc/loadbearing/app.env');
  const env: Record<string, UserDataPart[]> = {};
  for (const line of lines.slice(start + 1)) {
    if (line.length === 1 && line[0] === 'EOF') break;
    const [first, ...rest] = line;
    if (typeof first !== 'string' || !first.includes('=')) throw new Error(`app.env line without a name: ${JSON.stringify(line)}`);
    const at = first.indexOf('=');
    env[first.slice(0, at)] = [...(first.slice(at + 1) ? [first.slice(at + 1)] : []), ...rest];
  }
  return env;
}

/** `bash -n`: the script parses (no run). Returns bash's complaint, or '' when it parses. */
export function bashSyntaxErrors(script: string): string {
  const result = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  return result.status === 0 ? '' : result.stderr;
}

import { spawnSync } from 'node:child_process';
import { userDataParts as partsOf, userDataScript as scriptOf, type UserDataPart } from '../../lib/model/deploy/user-data-size';
import { resourcesOfType, type CfnTemplate } from './assembly';

export { TOKEN_LENGTHS, type UserDataPart } from '../../lib/model/deploy/user-data-size';

function userDataJoin(template: CfnTemplate): unknown {
  const [lt] = Object.values(resourcesOfType(template, 'AWS::EC2::LaunchTemplate'));
  return (lt.Properties?.LaunchTemplateData as { UserData: { 'Fn::Base64': unknown } }).UserData['Fn::Base64'];
}

/** The user data as a flat list of literal text and deploy-time values, in order. */
function userDataParts(template: CfnTemplate): UserDataPart[] {
  return partsOf(userDataJoin(template));
}

/** The launch template's user data with deploy-time values at their worst-case lengths (lib/model/deploy/user-data-size.ts). */
export function userDataScript(template: CfnTemplate): string {
  return scriptOf(template, userDataJoin(template));
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

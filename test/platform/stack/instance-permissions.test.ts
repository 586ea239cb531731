import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import type { EnvironmentConfig } from '../../../lib/model/config/environment-schema';
import { readTemplate, resourcesOfType, type CfnTemplate } from '../../support/assembly';
import { environment, synthPlatform } from '../../support/platform-variants';
import { appEnvOf, userDataLines, type UserDataPart } from '../../support/user-data';

/**
 * Every AWS call an app instance makes, mapped to the IAM statement that allows it, checked
 * against each built-in template (and the warm-pool variant).
 *
 * The calls are read from the code that makes them, not listed by hand: the reference service's
 * sources (every SDK command and the RDS signer; every secret it reads) and the rendered user
 * data (every `aws <service> <operation>` of the boot script). A call that appears there and is
 * not in {@link SERVICE_CALLS} or {@link CLI_CALLS} fails the test until it is mapped, and a mapped
 * call without a matching Allow in the instance role fails it until the grant exists. This is
 * what the moto-backed integration tests cannot see: moto does not evaluate IAM.
 *
 * The matching is a small IAM evaluator: Allow statements without conditions, `*` and `?`
 * wildcards in actions and resources, deploy-time values compared as they appear in the template.
 */
const dir = inject('assemblyDir');
const SERVICE_SRC = join(__dirname, '..', '..', '..', 'service', 'src');

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

interface Target {
  readonly template: CfnTemplate;
  readonly config: EnvironmentConfig;
  readonly env: Record<string, UserDataPart[]>;
}

/** A template value as text: pseudo parameters resolved for the environment, other deploy-time values as a stable placeholder. */
function render(value: unknown, config: EnvironmentConfig): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v) => render(v, config)).join('');
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((v) => render(v, config)).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': config.region,
    'AWS::AccountId': config.account,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  if (ref !== undefined && pseudo[ref] !== undefined) return pseudo[ref];
  return `<${JSON.stringify(value)}>`;
}

const pattern = (glob: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Statements of the instance role's own policies (inline and attached customer policies). */
function roleStatements(t: CfnTemplate): Statement[] {
  const [roleId] = Object.keys(resourcesOfType(t, 'AWS::IAM::Role')).filter((id) => id.startsWith('FleetInstanceRole'));
  return Object.values(resourcesOfType(t, 'AWS::IAM::Policy'))
    .filter((p) => list(p.Properties?.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Whether an unconditional Allow in `statements` covers `action` on `resource`. */
function allows(statements: readonly Statement[], action: string, resource: string, config: EnvironmentConfig): boolean {
  return statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      s.Condition === undefined &&
      list(s.Action).some((a) => pattern(a.toLowerCase()).test(action.toLowerCase())) &&
      list(s.Resource).some((r) => pattern(render(r, config)).test(resource)),
  );
}

const arn = (config: EnvironmentConfig, service: string, rest: string) => `arn:aws:${service}:${config.region}:${config.account}:${rest}`;
const value = (target: Target, name: string): UserDataPart[] => {
  const v = target.env[name];
  if (!v) throw new Error(`app.env has no ${name}`);
  return v;
};

/** The service's source files, as text. */
function serviceSources(): Map<string, string> {
  return new Map(
    readdirSync(SERVICE_SRC)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => [f, readFileSync(join(SERVICE_SRC, f), 'utf8')]),
  );
}

/** The app.env variables whose secret the service reads (`secrets.get(env.X)` in any form). */
function secretVariables(sources: Map<string, string>): string[] {
  const all = [...sources.values()].join('\n');
  const calls = all.match(/secrets\.get\(/g) ?? [];
  const named = [...all.matchAll(/secrets\.get\(\s*(?:this\.)?(?:o\.)?env\.([A-Z0-9_]+)\s*\)/g)].map((m) => m[1]);
  // A read by any other argument (a variable, a literal) cannot be mapped to a grant: make it one of these forms.
  expect(named, 'every secrets.get(...) names its app.env variable').toHaveLength(calls.length);
  return [...new Set(named)].sort();
}

interface ServiceCall {
  readonly action: string;
  /** The resources the call names, as the service makes it on this instance. */
  resources(target: Target, sources: Map<string, string>): string[];
}

/**
 * The AWS calls of the reference service, keyed by how the source makes them: an SDK command
 * (`new XCommand(`) or the RDS signer (`new Signer(`).
 */
const SERVICE_CALLS: Record<string, ServiceCall> = {
  // Secrets Manager authorizes GetSecretValue on the secret; the ARN in app.env is the Ref of the secret (or its attachment, the same ARN).
  GetSecretValueCommand: {
    action: 'secretsmanager:GetSecretValue',
    resources: (t, sources) => secretVariables(sources).map((name) => render(value(t, name), t.config)),
  },
  // Authorized against the path in the request, not the parameters returned
  // (https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-retrieval-authorization.html).
  GetParametersByPathCommand: {
    action: 'ssm:GetParametersByPath',
    resources: (t, sources) => {
      expect(sources.get('app.ts'), 'the service reads the freshness model from FRESHNESS_PARAMETER_PATH').toMatch(
        /new Freshness\([\s\S]*?\benv\.FRESHNESS_PARAMETER_PATH\b/,
      );
      return [arn(t.config, 'ssm', `parameter${render(value(t, 'FRESHNESS_PARAMETER_PATH'), t.config)}`)];
    },
  },
  // The signer signs locally; the proxy then authorizes rds-db:connect on
  // dbuser:<proxy resource ID>/<DB_USER>, the resource ID being the last field of the proxy ARN
  // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connecting.html). Only with DB_IAM_AUTH.
  Signer: {
    action: 'rds-db:connect',
    resources: (t) => {
      if (render(value(t, 'DB_IAM_AUTH'), t.config) !== 'true') return [];
      const [host] = value(t, 'DB_WRITER_HOST') as [{ 'Fn::GetAtt': [string, string] }];
      expect(host['Fn::GetAtt'][1], 'IAM auth goes through RDS Proxy').toBe('Endpoint');
      const proxyId = { 'Fn::Select': [6, { 'Fn::Split': [':', { 'Fn::GetAtt': [host['Fn::GetAtt'][0], 'DBProxyArn'] }] }] };
      return [arn(t.config, 'rds-db', `dbuser:${render(proxyId, t.config)}/${render(value(t, 'DB_USER'), t.config)}`)];
    },
  },
};

/** The calls the service source makes: each SDK command class it constructs, and the signer. */
function serviceCalls(sources: Map<string, string>): string[] {
  const all = [...sources.values()].join('\n');
  return [
    ...new Set([...all.matchAll(/new ([A-Z][A-Za-z]+Command)\(/g)].map((m) => m[1]).concat(/new Signer\(/.test(all) ? ['Signer'] : [])),
  ].sort();
}

/** An `aws <service> <operation>` line of the user data: its text, with deploy-time values as placeholders. */
interface CliCall {
  readonly operation: string;
  readonly line: string;
}

/** Every AWS CLI call in the user data (the boot script and the scripts it writes). */
function cliCalls(t: Target): CliCall[] {
  return userDataLines(t.template).flatMap((parts) => {
    const line = render(parts, t.config);
    return [...line.matchAll(/\baws ([a-z0-9-]+) ([a-z0-9-]+)/g)].map((m) => ({ operation: `${m[1]} ${m[2]}`, line }));
  });
}

/** The IAM action and resource of each AWS CLI operation the boot script uses. */
const CLI_CALLS: Record<string, { action: string; resource(t: Target, call: CliCall): string }> = {
  // s3 cp from S3 is GetObject on the object (HeadObject authorizes on s3:GetObject too).
  's3 cp': {
    action: 's3:GetObject',
    resource: (_t, call) => {
      const url = /s3:\/\/([^/\s]+)\/(\S+)/.exec(call.line);
      if (!url) throw new Error(`no s3:// URL in ${call.line}`);
      return `arn:aws:s3:::${url[1]}/${url[2]}`;
    },
  },
  // SignalResource authorizes on the stack.
  'cloudformation signal-resource': { action: 'cloudformation:SignalResource', resource: (t) => render({ Ref: 'AWS::StackId' }, t.config) },
  // CompleteLifecycleAction requires the autoScalingGroup resource
  // (arn:${Partition}:autoscaling:${Region}:${Account}:autoScalingGroup:${GroupId}:autoScalingGroupName/${GroupFriendlyName},
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html); the group ID is AWS's.
  'autoscaling complete-lifecycle-action': {
    action: 'autoscaling:CompleteLifecycleAction',
    resource: (t) => {
      const [groupId] = Object.keys(resourcesOfType(t.template, 'AWS::AutoScaling::AutoScalingGroup'));
      return arn(
        t.config,
        'autoscaling',
        `autoScalingGroup:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:autoScalingGroupName/${render({ Ref: groupId }, t.config)}`,
      );
    },
  },
  // Describe* support no resource-level permissions (same page): "*".
  'autoscaling describe-auto-scaling-instances': { action: 'autoscaling:DescribeAutoScalingInstances', resource: () => '*' },
  'autoscaling describe-auto-scaling-groups': { action: 'autoscaling:DescribeAutoScalingGroups', resource: () => '*' },
};

function targetOf(template: CfnTemplate, config: EnvironmentConfig): Target {
  return { template, config, env: appEnvOf(template) };
}

const ENVS = builtinEnvironments();
const targets: [string, () => Target][] = [
  ...ENVS.map((config) => [config.stackName, () => targetOf(readTemplate(dir, config.stackName), config)] as [string, () => Target]),
  [
    'prod with a warm pool',
    (() => {
      let cached: Target | undefined;
      return () => {
        if (!cached) {
          const config = environment('prod', { fleet: { ...BUILTIN_ENVIRONMENTS.prod.fleet, warmPool: { enabled: true, minSize: 2 } } });
          cached = targetOf(synthPlatform(config) as CfnTemplate, config);
        }
        return cached;
      };
    })(),
  ],
];

describe('the service calls AWS only through calls this test maps to a grant', () => {
  const sources = serviceSources();

  it('finds the calls it knows in the service source (the scan itself works)', () => {
    expect(serviceCalls(sources)).toEqual(expect.arrayContaining(['GetParametersByPathCommand', 'GetSecretValueCommand', 'Signer']));
    expect(secretVariables(sources)).toEqual(['CACHE_AUTH_SECRET_ARN', 'DB_MIGRATION_SECRET_ARN', 'DB_SECRET_ARN']);
  });

  it('has a grant mapping for every call the service makes', () => {
    expect(
      serviceCalls(sources).filter((c) => !SERVICE_CALLS[c]),
      'map the new call in SERVICE_CALLS, then grant it',
    ).toEqual([]);
  });
});

describe.each(targets)('%s: the instance role allows every AWS call an instance makes', (_name, target) => {
  const sources = serviceSources();
  let t: Target;
  let statements: Statement[];
  beforeAll(() => {
    t = target();
    statements = roleStatements(t.template);
  });

  it.each(Object.keys(SERVICE_CALLS))('the service: %s', (call) => {
    const { action, resources } = SERVICE_CALLS[call];
    for (const resource of resources(t, sources)) {
      expect(allows(statements, action, resource, t.config), `${action} on ${resource}`).toBe(true);
    }
  });

  it('GetParametersByPath on the freshness path, and nothing above or beside it', () => {
    const path = render(value(t, 'FRESHNESS_PARAMETER_PATH'), t.config);
    expect(path).toBe(`/${t.config.stackName}/freshness/`);
    expect(allows(statements, 'ssm:GetParametersByPath', arn(t.config, 'ssm', `parameter/${t.config.stackName}/freshness`), t.config)).toBe(
      true,
    );
    for (const other of [
      `parameter/${t.config.stackName}`,
      `parameter/${t.config.stackName}/`,
      `parameter/${t.config.stackName}/db`,
      `parameter/${t.config.stackName}/freshness/api/x`,
    ]) {
      expect(allows(statements, 'ssm:GetParametersByPath', arn(t.config, 'ssm', other), t.config), other).toBe(false);
    }
  });

  it('decrypts each secret it reads through Secrets Manager only: the key policy allows it with kms:ViaService, the role holds no key', () => {
    // Secrets Manager decrypts the secret's data key with KMS on the caller's behalf, so the caller
    // needs kms:Decrypt through Secrets Manager
    // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html; AWS's own
    // AWSSecretsManagerClientReadOnlyAccess grants exactly kms:Decrypt with kms:ViaService secretsmanager.*).
    expect(statements.filter((s) => list(s.Action).some((a) => a.startsWith('kms:')))).toEqual([]);
    const [roleId] = Object.keys(resourcesOfType(t.template, 'AWS::IAM::Role')).filter((id) => id.startsWith('FleetInstanceRole'));
    for (const name of secretVariables(sources)) {
      const [ref] = value(t, name) as [{ Ref: string }];
      let secret = t.template.Resources[ref.Ref];
      if (secret.Type === 'AWS::SecretsManager::SecretTargetAttachment')
        secret = t.template.Resources[(secret.Properties?.SecretId as { Ref: string }).Ref];
      expect(secret.Type).toBe('AWS::SecretsManager::Secret');
      const keyId = (secret.Properties?.KmsKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const keyPolicy = (t.template.Resources[keyId].Properties?.KeyPolicy as { Statement: Statement[] }).Statement;
      const grant = keyPolicy.find(
        (s) =>
          s.Effect === 'Allow' &&
          list(s.Action).includes('kms:Decrypt') &&
          JSON.stringify(s.Principal).includes(JSON.stringify({ 'Fn::GetAtt': [roleId, 'Arn'] })) &&
          JSON.stringify(s.Condition) ===
            JSON.stringify({ StringEquals: { 'kms:ViaService': `secretsmanager.${t.config.region}.amazonaws.com` } }),
      );
      expect(grant, `${name}: ${keyId} lets the instance role decrypt through Secrets Manager`).toBeDefined();
    }
  });

  it('has a grant mapping for every AWS CLI call of the boot script, and the grant', () => {
    const calls = cliCalls(t);
    expect(calls.map((c) => c.operation)).toEqual(expect.arrayContaining(['s3 cp', 'cloudformation signal-resource']));
    expect(
      calls.filter((c) => !CLI_CALLS[c.operation]).map((c) => c.line),
      'map the new call in CLI_CALLS, then grant it',
    ).toEqual([]);
    for (const call of calls) {
      const { action, resource } = CLI_CALLS[call.operation];
      expect(allows(statements, action, resource(t, call), t.config), `${action} on ${resource(t, call)} (${call.operation})`).toBe(true);
    }
  });
});

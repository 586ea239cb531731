import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  motoUnavailable,
  postgresTlsUnavailable,
  startMoto,
  startPostgres,
  type MotoServer,
  type PostgresCluster,
} from '../../../proving-ground/src/local-stack';
import type * as RotationModule from '../../../rotation/src/postgres-single-user';
import { suiteUnavailable } from '../support/prerequisites';

/**
 * The secret rotation function (docs/adr/0003-secret-rotation-function.md), as Lambda runs it:
 * the esbuild bundle assets/rotation-postgres-single-user/index.js (tools/build.cjs builds it before
 * the suite), against real PostgreSQL over TLS only (the harness's stand-in for
 * `rds.force_ssl`, verified against its own CA, which is the one thing the test hands the
 * handler: in Lambda it trusts the RDS CAs) and moto's Secrets Manager, reached as in Lambda
 * through the SDK's default client, pointed at moto with AWS_ENDPOINT_URL.
 *
 * The user rotated is not a superuser: single-user rotation has the user change its own
 * password. PostgreSQL logs every DDL statement here (`log_statement=ddl`), so the test can read
 * what the server saw.
 */
const BUNDLE = resolve(__dirname, '..', '..', '..', 'assets', 'rotation-postgres-single-user', 'index.js');
const USER = 'lb_rotated';
const FIRST_PASSWORD = 'first-password-of-lb-rotated';
const EXCLUDED = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

const unavailable = suiteUnavailable('SECRET ROTATION AGAINST POSTGRESQL AND MOTO', [postgresTlsUnavailable(), motoUnavailable()]);

type Stages = Record<string, string[]>;

describe.skipIf(unavailable !== undefined)('the PostgreSQL single-user rotation function against PostgreSQL (TLS) and moto', () => {
  let postgres: PostgresCluster;
  let moto: MotoServer;
  let sm: SecretsManagerClient;
  let rotation: typeof RotationModule;
  let handler: RotationModule.RotationHandler;
  const logLines: Record<string, unknown>[] = [];
  const savedEnv: Record<string, string | undefined> = {};
  let secretArn: string;

  /** A session as USER with `password` over TLS, or the SQLSTATE it was refused with. */
  async function logIn(password: string): Promise<true | string> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: postgres.primary.port,
      user: USER,
      password,
      database: postgres.database,
      ssl: { ca: postgres.tlsCa, rejectUnauthorized: true },
    });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch (error) {
      return String((error as { code?: string }).code ?? (error as Error).message);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async function adminQuery<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
    const admin = await postgres.admin();
    try {
      return (await admin.query<T>(sql)).rows;
    } finally {
      await admin.end();
    }
  }

  const stages = async (arn = secretArn): Promise<Stages> =>
    ((await sm.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {}) as Stages;
  const versionWith = (all: Stages, stage: string) => Object.entries(all).find(([, s]) => s.includes(stage))?.[0];
  const secretValue = async (stage: string, arn = secretArn) =>
    JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }))).SecretString!) as Record<string, unknown>;
  const run = (step: string, token: string, arn = secretArn, h = handler) => h({ Step: step, SecretId: arn, ClientRequestToken: token });
  const rotateFully = async (token: string) => {
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await run(step, token);
  };

  /**
   * What Secrets Manager does before it calls createSecret: a new version, empty, staged
   * AWSPENDING; AWSCURRENT and AWSPREVIOUS stay where they are
   * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html:
   * "the AWSPENDING staging label might be attached to an empty secret version"). moto's
   * RotateSecret makes that version, but without a rotation function it also moves AWSCURRENT
   * onto it (and refuses while AWSPENDING shares a version with AWSCURRENT, which the real
   * service allows); the stage moves below undo that, and the state is checked before any test
   * relies on it.
   */
  async function startRotation(arn = secretArn): Promise<string> {
    const before = await stages(arn);
    const current = versionWith(before, 'AWSCURRENT')!;
    const previous = versionWith(before, 'AWSPREVIOUS');
    const donePending = versionWith(before, 'AWSPENDING');
    if (donePending)
      await sm.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: donePending }));
    const token = randomUUID();
    await sm.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: token, RotateImmediately: true }));
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: current,
        RemoveFromVersionId: token,
      }),
    );
    if (previous)
      await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: arn,
          VersionStage: 'AWSPREVIOUS',
          MoveToVersionId: previous,
          RemoveFromVersionId: token,
        }),
      );
    else await sm.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS', RemoveFromVersionId: token }));
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', MoveToVersionId: token }));
    const after = await stages(arn);
    expect(after[token]).toEqual(['AWSPENDING']);
    expect(versionWith(after, 'AWSCURRENT')).toBe(current);
    expect(versionWith(after, 'AWSPREVIOUS')).toBe(previous);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: 'AWSPENDING' }))).rejects.toMatchObject(
      { name: 'ResourceNotFoundException' },
    );
    return token;
  }

  /** A secret as aws-cdk-lib's DatabaseSecret and its target attachment write it, with rotation turned on (or explicitly off). */
  async function createSecret(name: string, password: string, rotationOn = true): Promise<string> {
    const value = {
      username: USER,
      password,
      engine: 'postgres',
      host: '127.0.0.1',
      port: postgres.primary.port,
      dbname: postgres.database,
      dbInstanceIdentifier: 'local-writer',
    };
    const { ARN } = await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
    // moto records the rotation with a copy of the value as the new AWSCURRENT (the first becomes
    // AWSPREVIOUS); without a schedule it reports RotationEnabled false.
    await sm.send(
      new RotateSecretCommand({
        SecretId: ARN,
        RotationRules: rotationOn ? { AutomaticallyAfterDays: 30 } : undefined,
        RotateImmediately: false,
      }),
    );
    return ARN!;
  }

  beforeAll(async () => {
    [postgres, moto] = await Promise.all([startPostgres({ tls: true, settings: ['log_statement=ddl'] }), startMoto()]);
    await adminQuery(`CREATE ROLE ${USER} LOGIN PASSWORD '${FIRST_PASSWORD}'`);
    for (const key of ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
      savedEnv[key] = process.env[key];
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    sm = new SecretsManagerClient({
      endpoint: moto.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    rotation = createRequire(__filename)(BUNDLE) as typeof RotationModule;
    // The bundle's own Secrets Manager client (the Lambda default), the test's CA instead of the RDS CAs.
    handler = rotation.createHandler({ ca: postgres.tlsCa!, log: (line) => logLines.push(line) });
    secretArn = await createSecret('lb-rotated', FIRST_PASSWORD);
  }, 120_000);

  afterAll(async () => {
    for (const [key, value] of Object.entries(savedEnv))
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    sm?.destroy();
    await Promise.all([postgres?.destroy(), moto?.stop()]);
  });

  beforeEach(() => {
    logLines.length = 0;
  });

  it('runs the four steps: the new password logs in, the old one no longer does, AWSCURRENT moved and the old version is AWSPREVIOUS', async () => {
    expect(await logIn(FIRST_PASSWORD)).toBe(true);
    const before = await stages();
    const oldCurrent = versionWith(before, 'AWSCURRENT');
    const token = await startRotation();

    await run('createSecret', token);
    const pending = JSON.parse(
      (await sm.send(new GetSecretValueCommand({ SecretId: secretArn, VersionId: token, VersionStage: 'AWSPENDING' }))).SecretString!,
    ) as Record<string, string>;
    const password = pending.password;
    expect(password).toHaveLength(rotation.PASSWORD_LENGTH);
    for (const c of EXCLUDED) expect(password).not.toContain(c);
    // Everything but the password is the current value's.
    expect({ ...pending, password: undefined }).toEqual({ ...(await secretValue('AWSCURRENT')), password: undefined });
    expect(await logIn(password)).toBe('28P01');

    await run('setSecret', token);
    expect(await logIn(password)).toBe(true);
    expect(await logIn(FIRST_PASSWORD)).toBe('28P01');
    // AWSCURRENT has not moved yet: the window in which clients read a password that no longer works.
    expect((await stages())[token]).toEqual(['AWSPENDING']);

    await run('testSecret', token);
    await run('finishSecret', token);
    const after = await stages();
    expect(after[token]).toContain('AWSCURRENT');
    expect(after[oldCurrent!]).toEqual(['AWSPREVIOUS']);
    expect((await secretValue('AWSCURRENT')).password).toBe(password);
    expect((await secretValue('AWSPREVIOUS')).password).toBe(FIRST_PASSWORD);
    expect(await logIn(password)).toBe(true);
  });

  it('sends the database a SCRAM verifier, never the password: the server stored it as given and never saw the password in a statement', async () => {
    const token = await startRotation();
    await rotateFully(token);
    const { password } = (await secretValue('AWSCURRENT')) as { password: string };
    const [{ rolpassword }] = await adminQuery<{ rolpassword: string }>(`SELECT rolpassword FROM pg_authid WHERE rolname = '${USER}'`);
    expect(rolpassword).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    const serverLog = postgres.primary.process.output();
    expect(serverLog).toContain(`ALTER USER "${USER}" WITH PASSWORD 'SCRAM-SHA-256$4096:`);
    expect(serverLog).not.toContain(password);
    expect(JSON.stringify(logLines)).not.toContain(password);
    expect(logLines.map((l) => l.step)).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
  });

  it('is harmless to run again: each step twice, then the whole rotation again after it finished', async () => {
    const token = await startRotation();
    await run('createSecret', token);
    const first = (await sm.send(new GetSecretValueCommand({ SecretId: secretArn, VersionId: token, VersionStage: 'AWSPENDING' })))
      .SecretString;
    await run('createSecret', token);
    expect(
      (await sm.send(new GetSecretValueCommand({ SecretId: secretArn, VersionId: token, VersionStage: 'AWSPENDING' }))).SecretString,
    ).toBe(first);
    const password = (JSON.parse(first!) as { password: string }).password;
    await run('setSecret', token);
    await run('setSecret', token);
    expect(await logIn(password)).toBe(true);
    await run('testSecret', token);
    await run('testSecret', token);
    await run('finishSecret', token);
    const finished = await stages();
    await run('finishSecret', token);
    await rotateFully(token);
    expect(await stages()).toEqual(finished);
    expect((await secretValue('AWSCURRENT')).password).toBe(password);
    expect(await logIn(password)).toBe(true);
    expect(logLines.filter((l) => String(l.message).includes('already')).length).toBeGreaterThanOrEqual(4);
  });

  it('leaves AWSCURRENT working when setSecret fails (the ALTER times out on a lock), and a retry finishes the rotation', async () => {
    const current = (await secretValue('AWSCURRENT')).password as string;
    const token = await startRotation();
    await run('createSecret', token);
    const admin = await postgres.admin();
    try {
      // An open transaction that changed the role holds its row: the rotation's ALTER waits, and gives up at lock_timeout.
      await admin.query('BEGIN');
      await admin.query(`ALTER ROLE ${USER} CONNECTION LIMIT 50`);
      const started = Date.now();
      await expect(run('setSecret', token)).rejects.toMatchObject({ code: '55P03' });
      expect(Date.now() - started).toBeLessThan(rotation.LOCK_TIMEOUT_MS + 2_000);
    } finally {
      await admin.query('ROLLBACK').catch(() => undefined);
      await admin.end();
    }
    expect(await logIn(current)).toBe(true);
    expect((await stages())[token]).toEqual(['AWSPENDING']);
    expect((await secretValue('AWSCURRENT')).password).toBe(current);
    // The failed statement is in the server's log with its text (log_min_error_statement): the verifier, not the password.
    const pending = (
      JSON.parse(
        (await sm.send(new GetSecretValueCommand({ SecretId: secretArn, VersionId: token, VersionStage: 'AWSPENDING' }))).SecretString!,
      ) as { password: string }
    ).password;
    expect(postgres.primary.process.output()).toContain('canceling statement due to lock timeout');
    expect(postgres.primary.process.output()).not.toContain(pending);

    // Secrets Manager retries the step.
    await run('setSecret', token);
    await run('testSecret', token);
    await run('finishSecret', token);
    expect(await logIn(pending)).toBe(true);
    expect(await logIn(current)).toBe('28P01');
  });

  it('logs in with AWSPREVIOUS when AWSCURRENT no longer works (the database was left on the previous password)', async () => {
    const previous = (await secretValue('AWSCURRENT')).password as string;
    await rotateFully(await startRotation());
    const current = (await secretValue('AWSCURRENT')).password as string;
    expect((await secretValue('AWSPREVIOUS')).password).toBe(previous);
    await adminQuery(`ALTER ROLE ${USER} PASSWORD ${pg.escapeLiteral(previous)}`);
    expect(await logIn(current)).toBe('28P01');
    const token = await startRotation();
    await rotateFully(token);
    const next = (await secretValue('AWSCURRENT')).password as string;
    expect(await logIn(next)).toBe(true);
    expect(await logIn(previous)).toBe('28P01');
  });

  it('stores an MD5 verifier where the server hashes passwords with MD5, and it logs in', async () => {
    await adminQuery(`ALTER ROLE ${USER} SET password_encryption = 'md5'`);
    try {
      await rotateFully(await startRotation());
      const [{ rolpassword }] = await adminQuery<{ rolpassword: string }>(`SELECT rolpassword FROM pg_authid WHERE rolname = '${USER}'`);
      expect(rolpassword).toMatch(/^md5[0-9a-f]{32}$/);
      expect(await logIn((await secretValue('AWSCURRENT')).password as string)).toBe(true);
    } finally {
      await adminQuery(`ALTER ROLE ${USER} RESET password_encryption`);
    }
  });

  it('verifies the server: with the RDS CAs (the Lambda default) the local certificate is refused, and that is not taken for a wrong password', async () => {
    const token = await startRotation();
    await run('createSecret', token);
    const rdsTrust = rotation.createHandler({ log: () => undefined });
    await expect(run('setSecret', token, secretArn, rdsTrust)).rejects.toThrow(/certificate/i);
    await expect(run('testSecret', token, secretArn, rdsTrust)).rejects.toThrow(/certificate/i);
    await rotateFully(token);
  });

  it('refuses what is not a rotation it may do: rotation off, an unknown version, a version not AWSPENDING, an unknown step', async () => {
    const off = await createSecret('lb-rotation-off', 'unused', false);
    expect((await sm.send(new DescribeSecretCommand({ SecretId: off }))).RotationEnabled).toBe(false);
    await expect(run('createSecret', randomUUID(), off)).rejects.toThrow(/not enabled for rotation/);
    await expect(run('createSecret', randomUUID())).rejects.toThrow(/has no version/);
    const previous = versionWith(await stages(), 'AWSPREVIOUS')!;
    await expect(run('setSecret', previous)).rejects.toThrow(/not staged AWSPENDING/);
    await expect(run('rotateEverything', randomUUID())).rejects.toThrow(/not a rotation event/);
  });
});

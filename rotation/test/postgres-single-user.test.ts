import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler, passwordVerifier, scramSha256Verifier } from '../src/postgres-single-user';

/**
 * The rotation handler's own logic, without servers: the checks before each step and the
 * password verifiers. test/integration/rotation runs the bundle against PostgreSQL and moto.
 */
const ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf';
const sm = mockClient(SecretsManagerClient);
const lines: Record<string, unknown>[] = [];
const handler = createHandler({ secretsManager: sm as unknown as SecretsManagerClient, ca: 'unused', log: (l) => lines.push(l) });
const event = (Step: string, ClientRequestToken = 'token-1') => ({ Step, SecretId: ARN, ClientRequestToken });

beforeEach(() => {
  sm.reset();
  lines.length = 0;
});

describe("the checks before every step (as AWS's templates make them)", () => {
  it('refuses an event that is not a rotation step, before calling anything', async () => {
    await expect(handler({ Step: 'deleteSecret', SecretId: ARN, ClientRequestToken: 't' })).rejects.toThrow(/not a rotation event/);
    await expect(handler({} as never)).rejects.toThrow(/not a rotation event/);
    expect(sm.calls()).toHaveLength(0);
  });

  it('refuses a secret whose rotation is off', async () => {
    sm.on(DescribeSecretCommand).resolves({ RotationEnabled: false, VersionIdsToStages: { 'token-1': ['AWSPENDING'] } });
    await expect(handler(event('createSecret'))).rejects.toThrow(/not enabled for rotation/);
  });

  it('refuses a version the secret does not have, and one not staged AWSPENDING', async () => {
    sm.on(DescribeSecretCommand).resolves({
      RotationEnabled: true,
      VersionIdsToStages: { other: ['AWSCURRENT'], 'token-1': ['AWSPREVIOUS'] },
    });
    await expect(handler(event('setSecret', 'token-2'))).rejects.toThrow(/has no version token-2/);
    await expect(handler(event('setSecret'))).rejects.toThrow(/not staged AWSPENDING/);
  });

  it('does nothing when the version is already AWSCURRENT (a step run again after the rotation finished)', async () => {
    sm.on(DescribeSecretCommand).resolves({ RotationEnabled: true, VersionIdsToStages: { 'token-1': ['AWSCURRENT', 'AWSPENDING'] } });
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await handler(event(step));
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(4);
    expect(sm.calls()).toHaveLength(4);
  });
});

describe('createSecret', () => {
  const current = { username: 'lb_app', password: 'old', host: 'db.example', port: 5432, engine: 'postgres', dbInstanceIdentifier: 'w' };
  beforeEach(() => {
    sm.on(DescribeSecretCommand).resolves({
      RotationEnabled: true,
      VersionIdsToStages: { old: ['AWSCURRENT'], 'token-1': ['AWSPENDING'] },
    });
    sm.on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' }).resolves({ SecretString: JSON.stringify(current) });
  });

  it('puts the current value with a new password, staged AWSPENDING under the token, with the DatabaseSecret exclusions', async () => {
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(
      Object.assign(new Error('no value'), { name: 'ResourceNotFoundException' }),
    );
    sm.on(GetRandomPasswordCommand).resolves({ RandomPassword: 'new-password' });
    await handler(event('createSecret'));
    expect(sm.commandCalls(GetRandomPasswordCommand)[0].args[0].input).toEqual({
      ExcludeCharacters: ' %+~`#$&*()|[]{}:;<>?!\'/@"\\',
      PasswordLength: 30,
    });
    const put = sm.commandCalls(PutSecretValueCommand)[0].args[0].input;
    expect({ ...put, SecretString: JSON.parse(put.SecretString!) }).toEqual({
      SecretId: ARN,
      ClientRequestToken: 'token-1',
      VersionStages: ['AWSPENDING'],
      SecretString: { ...current, password: 'new-password' },
    });
    expect(JSON.stringify(lines)).not.toContain('new-password');
  });

  it('keeps a pending value that is already there', async () => {
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).resolves({
      SecretString: JSON.stringify({ ...current, password: 'pending' }),
    });
    await handler(event('createSecret'));
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(sm.commandCalls(GetRandomPasswordCommand)).toHaveLength(0);
  });

  it('never repeats a secret that is not valid JSON in its error (the parser would quote the password)', async () => {
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ SecretString: '{"password":"hunter2-secret", oops' });
    const error = (await handler(event('createSecret')).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/AWSCURRENT of secret .* is not valid JSON/);
    expect(error.message + String(error.stack)).not.toContain('hunter2');
  });

  it('refuses a secret of another engine', async () => {
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({
      SecretString: JSON.stringify({ ...current, engine: 'mysql' }),
    });
    await expect(handler(event('createSecret'))).rejects.toThrow(/engine "mysql", not postgres/);
  });
});

describe('finishSecret', () => {
  it('moves AWSCURRENT from the current version to the token', async () => {
    sm.on(DescribeSecretCommand).resolves({
      RotationEnabled: true,
      VersionIdsToStages: { old: ['AWSCURRENT'], older: ['AWSPREVIOUS'], 'token-1': ['AWSPENDING'] },
    });
    await handler(event('finishSecret'));
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0].args[0].input).toEqual({
      SecretId: ARN,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: 'token-1',
      RemoveFromVersionId: 'old',
    });
  });
});

describe('the verifier the database gets instead of the password', () => {
  it("is PostgreSQL's SCRAM-SHA-256 format: iterations, salt, StoredKey and ServerKey (RFC 5802)", () => {
    const salt = Buffer.from('0123456789abcdef');
    const verifier = scramSha256Verifier('pencil', salt, 4096);
    const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
    const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest('base64');
    const serverKey = createHmac('sha256', salted).update('Server Key').digest('base64');
    expect(verifier).toBe(`SCRAM-SHA-256$4096:${salt.toString('base64')}$${storedKey}:${serverKey}`);
    expect(verifier).not.toContain('pencil');
  });

  it('has a fresh salt each time', () => {
    expect(scramSha256Verifier('same')).not.toBe(scramSha256Verifier('same'));
  });

  it('refuses a password SASLprep could change (anything but printable ASCII)', () => {
    expect(() => scramSha256Verifier('pässword')).toThrow(/not printable ASCII/);
    expect(() => scramSha256Verifier('tab\there')).toThrow(/not printable ASCII/);
  });

  it('follows password_encryption: MD5 as md5(password || user), and nothing it does not know', () => {
    expect(passwordVerifier('md5', 'lb_app', 'secret')).toBe(`md5${createHash('md5').update('secretlb_app').digest('hex')}`);
    expect(passwordVerifier('scram-sha-256', 'lb_app', 'secret')).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(() => passwordVerifier('plain', 'lb_app', 'secret')).toThrow(/unsupported password_encryption/);
  });
});

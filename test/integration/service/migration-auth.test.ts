import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '@loadbearing/contract';
import { startPostgres, type PostgresCluster } from '../../../proving-ground/src/local-stack';
import { serviceTestsUnavailable } from '../support/service-harness';
import { connectAsMigrationRole, MIGRATION_AUTH_RETRY_DELAYS_MS, runMigrations } from '../../../service/src/app';
import type { Logger } from '../../../service/src/log';
import type { Secrets } from '../../../service/src/secrets';

/**
 * The migrations' connection during a rotation of the migration role's password, against real
 * PostgreSQL with SCRAM password authentication. A single-user rotation sets the new password in
 * the database before it moves AWSCURRENT to it, so an instance starting in between reads the
 * old password: the migrations must read the secret again (after a pause) instead of failing
 * the boot. The secret is a stand-in that answers what AWSCURRENT would say on each read.
 */
const ROLE = 'lb_rotated';
const NEW_PASSWORD = 'rotated-password-2';
const OLD_PASSWORD = 'rotated-password-1';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:migration';
const APP_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:app';

/** AWSCURRENT over time: `answers[n]` is what the (n+1)-th read returns (the last one from then on). */
function rotatingSecret(answers: readonly string[]) {
  const reads: string[] = [];
  const invalidated: string[] = [];
  const secrets = {
    async get(arn: string) {
      if (arn === APP_SECRET_ARN) return { username: 'lb_app', password: 'app-password' };
      reads.push(arn);
      return { username: ROLE, password: answers[Math.min(reads.length - 1, answers.length - 1)] };
    },
    invalidate(arn: string) {
      invalidated.push(arn);
    },
  };
  return { secrets: secrets as unknown as Secrets, reads, invalidated };
}

const warnings: unknown[] = [];
const log = { info: () => undefined, warn: (o: unknown) => warnings.push(o), error: () => undefined } as unknown as Logger;
const noWait = { delaysMs: MIGRATION_AUTH_RETRY_DELAYS_MS.map(() => 1), sleep: async () => undefined };

const unavailable = serviceTestsUnavailable('migrations during a password rotation, against real PostgreSQL');

describe.skipIf(unavailable !== undefined)("the migrations' connection while the migration role's password rotates", () => {
  let postgres: PostgresCluster;
  let env: AppEnv;

  beforeAll(async () => {
    postgres = await startPostgres();
    const admin = await postgres.admin();
    try {
      await admin.query(`CREATE ROLE ${ROLE} LOGIN SUPERUSER PASSWORD '${NEW_PASSWORD}'`);
    } finally {
      await admin.end();
    }
    env = {
      DB_MIGRATION_HOST: '127.0.0.1',
      DB_MIGRATION_PORT: postgres.primary.port,
      DB_NAME: postgres.database,
      DB_MIGRATION_USER: ROLE,
      DB_MIGRATION_SECRET_ARN: SECRET_ARN,
      DB_SECRET_ARN: APP_SECRET_ARN,
      DB_USER: 'lb_app',
      DB_STATEMENT_TIMEOUT_MS: 5000,
      DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: 5000,
      APP_LOCAL_INSECURE: true,
    } as unknown as AppEnv;
  }, 120_000);
  afterAll(async () => postgres?.destroy());

  it('reads the secret again after an authentication failure, and connects once AWSCURRENT has moved', async () => {
    const { secrets, reads, invalidated } = rotatingSecret([OLD_PASSWORD, OLD_PASSWORD, NEW_PASSWORD]);
    warnings.length = 0;
    const client = await connectAsMigrationRole(env, secrets, log, noWait);
    try {
      expect((await client.query('SELECT current_user AS u')).rows[0].u).toBe(ROLE);
    } finally {
      await client.end();
    }
    expect(reads).toHaveLength(3);
    expect(invalidated).toEqual([SECRET_ARN, SECRET_ARN]);
    expect(warnings).toHaveLength(2);
  });

  it('gives up with the authentication error after its pauses, when the password never matches', async () => {
    const { secrets, reads } = rotatingSecret([OLD_PASSWORD]);
    await expect(connectAsMigrationRole(env, secrets, log, noWait)).rejects.toMatchObject({ code: '28P01' });
    expect(reads).toHaveLength(1 + MIGRATION_AUTH_RETRY_DELAYS_MS.length);
  });

  it('never retries anything but an authentication failure', async () => {
    const { secrets, reads } = rotatingSecret([NEW_PASSWORD]);
    await expect(connectAsMigrationRole({ ...env, DB_MIGRATION_PORT: 1 } as AppEnv, secrets, log, noWait)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    expect(reads).toHaveLength(1);
  });

  it("pauses 15 s in all before it gives up: well inside the boot's 90 s health wait", () => {
    expect(MIGRATION_AUTH_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0)).toBe(15_000);
  });

  it('runs the migrations through it during a rotation', async () => {
    const { secrets } = rotatingSecret([OLD_PASSWORD, NEW_PASSWORD]);
    // runMigrations uses the real pauses; the second read (after 1 s) already has the new password.
    const result = await runMigrations(env, secrets, log);
    expect(result.applied).toEqual([1, 2]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SERVICE_BUNDLE_PATH,
  environmentConfig,
  serviceNodePath,
  serviceProcessEnv,
  startLocalStack,
  type LocalStack,
} from '../../../proving-ground/src/local-stack';
import { startProcess } from '../../../proving-ground/src/local-stack/processes';
import { serviceTestsUnavailable } from '../support/service-harness';

// Start-up of the BUNDLED service: migrations from 4 processes at once, and the contract's
// start-up errors (one line naming the variable, before it listens).
const unavailable = serviceTestsUnavailable('service start-up against real PostgreSQL and moto');

function runBundle(env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ code: number | null; output: string }> {
  const p = startProcess(serviceNodePath(), [SERVICE_BUNDLE_PATH, ...args], { env });
  return p.exited.then((code) => ({ code, output: p.output() }));
}

describe.skipIf(unavailable !== undefined)('reference service start-up', () => {
  let stack: LocalStack;
  let env: Record<string, string>;
  const config = environmentConfig('dev');

  beforeAll(async () => {
    stack = await startLocalStack({ replica: false });
    env = await stack.appEnv(config);
  });
  afterAll(async () => stack?.destroy());

  it('migrations run concurrently from 4 processes: one applies them, the others wait and succeed', async () => {
    const runs = await Promise.all(Array.from({ length: 4 }, () => runBundle(serviceProcessEnv(env, stack.moto.url), ['migrate'])));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const applied = runs.map((r) => JSON.parse(r.output.split('\n').find((l) => l.includes('migrations: applied'))!).applied as number[]);
    expect(applied.filter((a) => a.length > 0)).toEqual([[1, 2]]);
    expect(applied.filter((a) => a.length === 0)).toHaveLength(3);
    // Safe to run again: nothing to apply.
    const again = await runBundle(serviceProcessEnv(env, stack.moto.url), ['migrate']);
    expect(again.code).toBe(0);
    expect(again.output).toContain('"applied":[]');
    const admin = await stack.postgres.admin();
    try {
      expect((await admin.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version)).toEqual([1, 2]);
      // The app role's timeouts are role defaults (no session SET, which would pin RDS Proxy connections).
      const settings = (
        await admin.query(
          "SELECT unnest(setconfig) AS s FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'lb_app'",
        )
      ).rows.map((r) => r.s);
      expect(settings).toEqual(
        expect.arrayContaining([
          `statement_timeout=${config.database.statementTimeoutMs}`,
          `idle_in_transaction_session_timeout=${config.database.idleInTransactionSessionTimeoutMs}`,
        ]),
      );
    } finally {
      await admin.end();
    }
  });

  it('a missing or invalid contract variable stops it with one line naming the variable, before it listens', async () => {
    const { DB_USER: _omit, ...withoutUser } = env;
    const missing = await runBundle(serviceProcessEnv(withoutUser, stack.moto.url));
    expect(missing.code).toBe(2);
    expect(missing.output.trim().split('\n')).toHaveLength(1);
    expect(missing.output).toMatch(/^loadbearing-service: DB_USER is missing/);
    const bad = await runBundle(serviceProcessEnv({ ...env, APP_REQUEST_TIMEOUT_MS: 'soon' }, stack.moto.url));
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('APP_REQUEST_TIMEOUT_MS is "soon", which must be an integer');
  });

  it('refuses the local-only flag on the fleet, and an unreadable freshness model on the fleet', async () => {
    const insecure = await runBundle(serviceProcessEnv({ ...env, APP_RUNTIME: 'fleet' }, stack.moto.url));
    expect(insecure.code).toBe(2);
    expect(insecure.output).toContain('APP_LOCAL_INSECURE is "true" but APP_RUNTIME is "fleet"');
    const { APP_LOCAL_INSECURE: _flag, ...fleetEnv } = env;
    const noModel = await runBundle(
      serviceProcessEnv({ ...fleetEnv, APP_RUNTIME: 'fleet', FRESHNESS_PARAMETER_PATH: '/nowhere/freshness/' }, stack.moto.url),
    );
    expect(noModel.code).toBe(1);
    expect(noModel.output).toContain('cannot read the freshness model from SSM /nowhere/freshness/');
  });
});

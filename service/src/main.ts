import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AppEnvError, fetchAvailabilityZone, parseAppEnv, resolveWorkers, type AppEnv } from '@loadbearing/contract';
import { runMigrations } from './app';
import { Freshness } from './freshness';
import { workerMechanism } from './ipc';
import { createLogger } from './log';
import { Primary } from './primary';
import { guardProcess } from './process-guards';
import { Secrets } from './secrets';
import { runWorker } from './worker';

/**
 * `node loadbearing-service.js`: reads the contract from the environment (systemd loads
 * /etc/loadbearing/app.env), migrates once, starts `APP_WORKERS` workers under a supervising
 * primary (service/src/primary.ts) and takes connections once they are all up; SIGTERM drains
 * every worker and exits 0 when every request finished.
 * `node loadbearing-service.js migrate`: only the migrations, then exit.
 * A missing or invalid contract variable stops it before it listens, with one line naming it.
 */
async function main(): Promise<void> {
  let env: AppEnv;
  try {
    env = parseAppEnv(process.env);
  } catch (error) {
    if (error instanceof AppEnvError) {
      process.stderr.write(`loadbearing-service: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const mechanism = workerMechanism();
  if (cluster.isWorker) {
    const log = createLogger(env.APP_STACK_NAME).child({ worker: Number(process.env.LOADBEARING_WORKER?.split('/')[0]) });
    await runWorker(env, log, mechanism);
    return;
  }
  const log = createLogger(env.APP_STACK_NAME);
  const secrets = new Secrets(new SecretsManagerClient({ region: env.AWS_REGION, maxAttempts: 2 }));
  if (process.argv[2] === 'migrate') {
    await runMigrations(env, secrets, log);
    return;
  }
  if (env.APP_RUNTIME === 'fleet') {
    // Every worker needs the freshness model on the fleet: an unreadable one stops the instance
    // here, before the migrations and before any worker starts, with the reason on stderr.
    const freshness = new Freshness(new SSMClient({ region: env.AWS_REGION, maxAttempts: 2 }), env.FRESHNESS_PARAMETER_PATH, 1, log);
    await freshness.load().catch((error: Error) => {
      throw new Error(`cannot read the freshness model from SSM ${env.FRESHNESS_PARAMETER_PATH}: ${error.message}`);
    });
  }
  await runMigrations(env, secrets, log);
  const workers = resolveWorkers(env.APP_WORKERS, availableParallelism());
  // The AZ of the per-AZ metrics: set locally (the proving ground), else instance metadata on the fleet.
  const availabilityZone = env.APP_AVAILABILITY_ZONE || (env.APP_RUNTIME === 'fleet' ? await fetchAvailabilityZone() : '');
  if (env.APP_RUNTIME === 'fleet' && availabilityZone === '')
    log.warn({}, 'no availability zone from instance metadata: no per-AZ metrics');
  const primary = new Primary(env, log, workers, mechanism, availabilityZone);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, workers: primary.readyWorkers }, 'draining');
    void primary.stop().then((left) => {
      log.info({ unfinished: left }, 'stopped');
      process.exit(left === 0 ? 0 : 1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await primary.start();
  // Installed once the instance serves: a start-up failure still ends the process with its reason.
  guardProcess(log);
}

main().catch((error: Error) => {
  process.stderr.write(`loadbearing-service: start-up failed: ${error.message}\n`);
  process.exit(1);
});

import { AppEnvError, parseAppEnv, type AppEnv } from '@loadbearing/contract';
import { runMigrations, startApp } from './app';
import { createLogger } from './log';
import { guardProcess } from './process-guards';
import { Secrets } from './secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * `node loadbearing-service.js`: reads the contract from the environment (systemd loads
 * /etc/loadbearing/app.env), migrates, listens; SIGTERM drains and exits 0.
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
  const log = createLogger(env.APP_STACK_NAME);
  if (process.argv[2] === 'migrate') {
    await runMigrations(env, new Secrets(new SecretsManagerClient({ region: env.AWS_REGION, maxAttempts: 2 })), log);
    return;
  }
  const app = await startApp(env, log);
  // Installed once the app is up: a start-up failure still ends the process with its reason.
  guardProcess(log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, inFlight: app.server.inFlightCount }, 'draining');
    void app.stop().then((left) => {
      log.info({ unfinished: left }, 'stopped');
      process.exit(left === 0 ? 0 : 1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: Error) => {
  process.stderr.write(`loadbearing-service: start-up failed: ${error.message}\n`);
  process.exit(1);
});

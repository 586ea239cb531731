import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { appEnvironment, type AppEndpoints, type LocalRuntime } from 'loadbearing/model';
import { BUILTIN_ENVIRONMENTS } from 'loadbearing/model';
import type { EnvironmentConfig } from 'loadbearing/model';
import { freshnessParameterValues } from 'loadbearing/model';
import { deepMerge, resolveEnvironments } from 'loadbearing/model';
import { startMoto, type MotoServer } from './moto';
import { startPostgres, type PostgresCluster } from './postgres';
import { freePort, startProcess, waitFor, type ManagedProcess } from './processes';
import { startRedis, type RedisServer } from './redis';
import { serviceNodePath } from './service-node';

/** The proving ground package's root: the nearest folder above this file with a package.json (from src/ and dist/ alike). */
export function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * The bundled reference service: the one the library package ships as the fleet's release asset
 * (`assets/loadbearing-service.js`; `npm run build:service` in the repository).
 */
export const SERVICE_BUNDLE_PATH = join(dirname(require.resolve('loadbearing/package.json')), 'assets', 'loadbearing-service.js');

/** The app role the stack names in `DB_USER` (constructs/database.ts DB_APP_USER). */
export const LOCAL_APP_USER = 'lb_app';
const REGION = 'us-east-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** One environment's config, with changes (validated like a config file). */
export function environmentConfig(name: 'dev' | 'staging' | 'prod' = 'dev', change: Record<string, unknown> = {}): EnvironmentConfig {
  return resolveEnvironments({ [name]: deepMerge(BUILTIN_ENVIRONMENTS[name], change) }, 'local-stack')[0];
}

export interface LocalStack {
  readonly moto: MotoServer;
  readonly postgres: PostgresCluster;
  readonly redis: RedisServer;
  readonly secrets: SecretsManagerClient;
  readonly appSecretArn: string;
  appPassword: string;
  /**
   * app.env for a service instance, from the same `appEnvironment()` the stack uses, with local
   * endpoints (`endpoints` replaces some, e.g. a proxy in front of the database).
   */
  appEnv(config: EnvironmentConfig, local?: Partial<LocalRuntime>, endpoints?: Partial<AppEndpoints>): Promise<Record<string, string>>;
  /** Rotates the app role's password: the database first, then the secret (as a rotation function does). */
  rotateAppPassword(password: string): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * Everything the reference service needs, on loopback: moto (Secrets Manager and SSM),
 * PostgreSQL primary and streaming replica, redis-server with AUTH. The secrets and the
 * freshness model are seeded as the stack would create them. `destroy()` stops every process.
 */
export async function startLocalStack(
  options: { replica?: boolean; config?: EnvironmentConfig; postgresSettings?: readonly string[] } = {},
): Promise<LocalStack> {
  const started: { stop(): Promise<void> }[] = [];
  try {
    const [moto, postgres, redis] = await Promise.all([
      startMoto().then((m) => {
        started.push(m);
        return m;
      }),
      startPostgres({ replica: options.replica ?? true, settings: options.postgresSettings }).then((p) => {
        started.push({ stop: p.destroy });
        return p;
      }),
      startRedis().then((r) => {
        started.push(r);
        return r;
      }),
    ]);
    const secrets = new SecretsManagerClient({ region: REGION, endpoint: moto.url, credentials });
    const ssm = new SSMClient({ region: REGION, endpoint: moto.url, credentials });
    const create = async (name: string, value: string) =>
      (await secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN!;
    const appPassword = 'local-app-password-1';
    const [appSecretArn, migrationSecretArn, cacheSecretArn] = await Promise.all([
      create('lb-local/db/app', JSON.stringify({ username: LOCAL_APP_USER, password: appPassword })),
      create('lb-local/db/master', JSON.stringify({ username: postgres.adminUser, password: postgres.adminPassword })),
      create('lb-local/cache/auth', redis.password),
    ]);
    const seeded = new Set<string>();
    const stack: LocalStack = {
      moto,
      postgres,
      redis,
      secrets,
      appSecretArn,
      appPassword,
      async appEnv(config, local = {}, endpoints = {}) {
        const path = `/${config.stackName}/freshness/`;
        if (!seeded.has(path)) {
          for (const [name, value] of Object.entries(freshnessParameterValues(config.edge.freshness))) {
            await ssm.send(new PutParameterCommand({ Name: `${path}${name}`, Value: value, Type: 'String', Overwrite: true }));
          }
          seeded.add(path);
        }
        return appEnvironment(
          config,
          {
            dbWriterHost: '127.0.0.1',
            dbReaderHosts: postgres.replica ? ['127.0.0.1'] : [],
            dbPort: postgres.primary.port,
            dbReaderPort: (postgres.replica ?? postgres.primary).port,
            dbUser: LOCAL_APP_USER,
            dbSecretArn: appSecretArn,
            dbMigrationUser: postgres.adminUser,
            dbMigrationSecretArn: migrationSecretArn,
            dbIamAuth: false,
            cacheHost: '127.0.0.1',
            cacheReaderHost: '127.0.0.1',
            cachePort: redis.port,
            cacheAuthSecretArn: cacheSecretArn,
            freshnessParameterPath: path,
            ...endpoints,
          },
          {
            runtime: 'local',
            insecure: true,
            port: local.port ?? (await freePort()),
            metricsFlushMs: 500,
            freshnessRefreshMs: 5_000,
            // One worker unless asked: "auto" would count this machine's CPUs, not the instance's.
            workers: 1,
            ...local,
          },
        );
      },
      async rotateAppPassword(password) {
        const admin = await postgres.admin();
        try {
          await admin.query(`ALTER ROLE ${LOCAL_APP_USER} PASSWORD '${password.replace(/'/g, "''")}'`);
        } finally {
          await admin.end();
        }
        await secrets.send(
          new PutSecretValueCommand({ SecretId: appSecretArn, SecretString: JSON.stringify({ username: LOCAL_APP_USER, password }) }),
        );
        stack.appPassword = password;
      },
      async destroy() {
        await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
      },
    };
    return stack;
  } catch (error) {
    await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
    throw error;
  }
}

/** The environment a service process gets: app.env plus the SDK's endpoint and dummy credentials for moto. */
export function serviceProcessEnv(appEnv: Record<string, string>, motoUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ...appEnv,
    AWS_ENDPOINT_URL: motoUrl,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // How the workers share the port, to measure the alternatives (service/src/ipc.ts; ADR 0006).
    ...(process.env.LOADBEARING_WORKER_MECHANISM ? { LOADBEARING_WORKER_MECHANISM: process.env.LOADBEARING_WORKER_MECHANISM } : {}),
    ...extra,
  };
}

export interface ServiceProcess {
  readonly url: string;
  readonly process: ManagedProcess;
  /** Every JSON line the service wrote (logs and EMF documents), parsed. */
  readonly lines: Record<string, unknown>[];
  /** Sum of an EMF counter over the documents written so far. */
  metric(name: string): number;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the bundled service with `env`, on the fleet's Node.js major, and waits until `/healthz` answers. */
export async function startService(
  env: NodeJS.ProcessEnv,
  options: {
    bundle?: string;
    taskset?: string;
    timeoutMs?: number;
    /** Called with every JSON line (log or EMF document) as it is written. */
    onDocument?: (doc: Record<string, unknown>) => void;
    /** Keep every parsed line in `lines` (off for long runs). @default true */
    retainLines?: boolean;
    /** Called with the process ID as soon as it is spawned (e.g. to put it in a cgroup). */
    onSpawn?: (pid: number) => void;
  } = {},
): Promise<ServiceProcess> {
  const lines: Record<string, unknown>[] = [];
  const bundle = options.bundle ?? SERVICE_BUNDLE_PATH;
  // The fleet's Node.js major, whatever runs this process (service-node.ts).
  const node = serviceNodePath();
  const [cmd, args] = options.taskset ? ['taskset', ['-c', options.taskset, node, bundle]] : [node, [bundle]];
  const p = startProcess(cmd, args, {
    env,
    onLine: (line) => {
      if (!line.startsWith('{')) return;
      try {
        const doc = JSON.parse(line) as Record<string, unknown>;
        if (options.retainLines !== false) lines.push(doc);
        options.onDocument?.(doc);
      } catch {
        /* not JSON */
      }
    },
  });
  const url = `http://127.0.0.1:${env.APP_PORT}`;
  try {
    options.onSpawn?.(p.pid);
    await waitFor(
      'the service',
      async () => {
        if (!p.running()) throw new Error(`exited with ${p.child.exitCode}`);
        const r = await fetch(`${url}/healthz`);
        await r.arrayBuffer();
        return r.status === 200;
      },
      options.timeoutMs ?? 20_000,
      () => p.output(),
    );
  } catch (error) {
    await p.stop('SIGKILL');
    throw error;
  }
  return {
    url,
    process: p,
    lines,
    metric: (name) => lines.filter((l) => '_aws' in l).reduce((sum, l) => sum + (typeof l[name] === 'number' ? (l[name] as number) : 0), 0),
    async stop(signal = 'SIGTERM') {
      await p.stop(signal, 30_000);
      return p.child.exitCode;
    },
  };
}

import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { findPostgres, systemProbe, type PostgresDiscovery } from './find-postgres.cjs';
import { asUser, freePort, isRoot, run, startProcess, waitFor, type ManagedProcess } from './processes';

let discovered: PostgresDiscovery | undefined;

/**
 * The PostgreSQL server this process runs (15-17 stand in for RDS for PostgreSQL 17), found once:
 * LOADBEARING_PG_BIN, PATH, `pg_config --bindir`, /usr/lib/postgresql/<major>/bin,
 * /usr/pgsql-<major>/bin, Homebrew's postgresql@<major> (find-postgres.cjs, shared with `npm run prereqs`).
 */
export function postgresInstall(): PostgresDiscovery {
  discovered ??= findPostgres(systemProbe());
  return discovered;
}

/** Why PostgreSQL cannot run here (missing, or a version outside 15-17), or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  const found = postgresInstall();
  return found.ok ? undefined : found.problem;
}

/** "PostgreSQL 15.18 (/usr/lib/postgresql/15/bin, pg_config --bindir)", or why there is none. */
export function postgresDescription(): string {
  const found = postgresInstall();
  return found.ok ? `PostgreSQL ${found.version} (${found.bin}, ${found.source})` : found.problem;
}

/** The path of one of the server binaries; throws the discovery's one line when there is no usable server. */
function pgBinary(name: string): string {
  const found = postgresInstall();
  if (!found.ok) throw new Error(found.problem);
  return join(found.bin, name);
}

export interface PostgresNode {
  readonly role: 'primary' | 'replica';
  readonly port: number;
  readonly dataDir: string;
  process: ManagedProcess;
  /** Fast shutdown (SIGINT): sessions are ended, a shutdown checkpoint is written. */
  stop(): Promise<void>;
  /** Immediate shutdown (SIGQUIT to every server process): like a crash, recovery runs on the next start. */
  crash(): Promise<void>;
  start(): Promise<void>;
}

export interface PostgresCluster {
  /** The superuser (stands in for the RDS master user) and its password. */
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly database: string;
  readonly primary: PostgresNode;
  readonly replica?: PostgresNode;
  /**
   * With `tls`: the PEM of the throwaway CA that signed the servers' certificate (for
   * 127.0.0.1 and localhost). Clients verify the server against it; plain TCP is refused.
   */
  readonly tlsCa?: string;
  /** A connected client as the admin user on `node` (the primary by default). */
  admin(node?: PostgresNode): Promise<pg.Client>;
  /** Stops every server and removes the data directories. */
  destroy(): Promise<void>;
}

const PG_USER = 'postgres';

async function ownedTempDir(prefix: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (isRoot()) {
    const uid = Number((await run('id', ['-u', PG_USER])).trim());
    const gid = Number((await run('id', ['-g', PG_USER])).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  return dir;
}

/** Settings for a throwaway server: loopback only, no durability (tests), replication on. */
const SERVER_SETTINGS = [
  'listen_addresses=127.0.0.1',
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'shared_buffers=32MB',
  'max_connections=120',
  'wal_level=replica',
  'max_wal_senders=4',
  'hot_standby=on',
  'log_min_messages=warning',
];

function node(
  role: 'primary' | 'replica',
  port: number,
  dataDir: string,
  socketDir: string,
  admin: { user: string; password: string; database: string },
  settings: readonly string[],
  tlsCa?: string,
): PostgresNode {
  const launch = async () => {
    const [cmd, args] = asUser(PG_USER, pgBinary('postgres'), [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      socketDir,
      ...[...SERVER_SETTINGS, ...settings].flatMap((s) => ['-c', s]),
    ]);
    const p = startProcess(cmd, args);
    await waitFor(
      `PostgreSQL ${role} on ${port}`,
      async () => {
        if (!p.running()) throw new Error(`exited: ${p.output()}`);
        const c = new pg.Client({
          host: '127.0.0.1',
          port,
          user: admin.user,
          password: admin.password,
          database: admin.database,
          connectionTimeoutMillis: 1000,
          ssl: tlsSsl(tlsCa),
        });
        await c.connect();
        await c.end();
        return true;
      },
      20_000,
      () => p.output(),
    );
    return p;
  };
  const n: PostgresNode = {
    role,
    port,
    dataDir,
    process: undefined as unknown as ManagedProcess,
    // Fast shutdown (SIGINT): the stand-in for losing the instance, without a crash-recovery wait on restart.
    stop: () => n.process.stop('SIGINT', 10_000),
    crash: () => n.process.stop('SIGQUIT', 10_000),
    async start() {
      n.process = await launch();
    },
  };
  return n;
}

/** How a client verifies a `tls` server (verify-full: the CA and the IP address in the certificate), or plain TCP. */
function tlsSsl(ca: string | undefined): pg.ClientConfig['ssl'] {
  return ca ? { ca, rejectUnauthorized: true } : undefined;
}

/**
 * TLS only, as RDS with `rds.force_ssl`: a throwaway CA and a server certificate for 127.0.0.1
 * and localhost (openssl), and an hba file that accepts TCP connections over TLS alone. `md5`
 * there authenticates a role whose password is stored as SCRAM with SCRAM, and one stored as
 * MD5 with MD5 (https://www.postgresql.org/docs/current/auth-password.html), so both kinds of
 * stored password are checked for real.
 */
async function tlsSettings(root: string): Promise<{ ca: string; settings: string[] }> {
  const file = (name: string) => join(root, name);
  const openssl = (args: string[]) => run('openssl', args);
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    '2',
    '-subj',
    '/CN=loadbearing local test CA',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  ]);
  await openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  ]);
  writeFileSync(
    file('server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  await openssl([
    'x509',
    '-req',
    '-sha256',
    '-days',
    '2',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.pem'),
  ]);
  writeFileSync(
    file('pg_hba.conf'),
    ['local all all trust', 'hostssl all all 127.0.0.1/32 md5', 'hostssl replication all 127.0.0.1/32 md5', ''].join('\n'),
  );
  for (const name of ['server.key', 'server.pem', 'pg_hba.conf']) {
    if (isRoot()) await run('chown', [`${PG_USER}:${PG_USER}`, file(name)]);
    chmodSync(file(name), 0o600);
  }
  return {
    ca: readFileSync(file('ca.pem'), 'utf8'),
    settings: ['ssl=on', `ssl_cert_file=${file('server.pem')}`, `ssl_key_file=${file('server.key')}`, `hba_file=${file('pg_hba.conf')}`],
  };
}

/** Why `startPostgres({ tls: true })` cannot run here, or undefined when it can. */
export function postgresTlsUnavailable(): string | undefined {
  return (
    postgresUnavailable() ??
    (spawnSync('openssl', ['version']).status === 0 ? undefined : 'openssl not found on PATH (it makes the test certificates)')
  );
}

/**
 * A PostgreSQL primary and (optionally) a streaming replica on free loopback ports, in
 * temporary data directories owned by `postgres`, run as that user (PostgreSQL refuses root).
 * Password (SCRAM) authentication over TCP, so rotated passwords are really checked; with
 * `tls`, over TLS only, verified against a throwaway CA (`tlsCa`).
 * `settings` (`name=value`) come after the defaults and override them (the proving ground
 * turns durable commits back on and preloads pg_stat_statements).
 */
export async function startPostgres(
  options: { replica?: boolean; database?: string; settings?: readonly string[]; tls?: boolean } = {},
): Promise<PostgresCluster> {
  let settings = options.settings ?? [];
  const adminUser = 'lb_admin';
  const adminPassword = 'local-admin-password';
  const database = options.database ?? 'app';
  const root = await ownedTempDir('lb-pg-');
  let tlsCa: string | undefined;
  if (options.tls) {
    const tls = await tlsSettings(root);
    tlsCa = tls.ca;
    settings = [...tls.settings, ...settings];
  }
  const primaryDir = join(root, 'primary');
  const pwfile = join(root, 'pwfile');
  writeFileSync(pwfile, adminPassword);
  if (isRoot()) await run('chown', [`${PG_USER}:${PG_USER}`, pwfile]);
  const [initCmd, initArgs] = asUser(PG_USER, pgBinary('initdb'), [
    '-D',
    primaryDir,
    '-U',
    adminUser,
    `--pwfile=${pwfile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  await run(initCmd, initArgs);
  const admin = { user: adminUser, password: adminPassword, database: 'postgres' };
  const primary = node('primary', await freePort(), primaryDir, root, admin, settings, tlsCa);
  const started: PostgresNode[] = [];
  const cluster: PostgresCluster = {
    adminUser,
    adminPassword,
    database,
    primary,
    tlsCa,
    async admin(target = primary) {
      const c = new pg.Client({
        host: '127.0.0.1',
        port: target.port,
        user: adminUser,
        password: adminPassword,
        database,
        ssl: tlsSsl(tlsCa),
      });
      await c.connect();
      return c;
    },
    async destroy() {
      await Promise.all(started.map((n) => n.stop().catch(() => undefined)));
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await primary.start();
    started.push(primary);
    const c = new pg.Client({ host: '127.0.0.1', port: primary.port, ...admin, ssl: tlsSsl(tlsCa) });
    await c.connect();
    await c.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    await c.end();
    if (options.replica) {
      const replicaDir = join(root, 'replica');
      const conn = `host=127.0.0.1 port=${primary.port} user=${adminUser} password=${adminPassword}${tlsCa ? ' sslmode=require' : ''}`;
      const [bbCmd, bbArgs] = asUser(PG_USER, pgBinary('pg_basebackup'), [
        '-d',
        conn,
        '-D',
        replicaDir,
        '-R',
        '-X',
        'stream',
        '-c',
        'fast',
        '--no-sync',
      ]);
      await run(bbCmd, bbArgs);
      const replica = node('replica', await freePort(), replicaDir, root, admin, settings, tlsCa);
      await replica.start();
      started.push(replica);
      (cluster as { replica?: PostgresNode }).replica = replica;
    }
    return cluster;
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
}

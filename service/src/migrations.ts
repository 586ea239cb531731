import pg from 'pg';

/** Advisory lock key of the migrations (any constant; every instance uses the same). */
export const MIGRATION_LOCK_KEY = 7_112_026;
/** Migrations wait at most this long for a table lock, so they never queue app traffic behind them for long. */
export const MIGRATION_LOCK_TIMEOUT_MS = 5_000;

/**
 * Forward-only migrations. Each runs once, in its own transaction, recorded in
 * `schema_migrations`; never edit one that has shipped: add the next.
 */
export const MIGRATIONS: readonly { readonly version: number; readonly name: string; readonly sql: string }[] = [
  {
    version: 1,
    name: 'catalogue and orders',
    sql: `
      CREATE TABLE categories (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL UNIQUE
      );
      CREATE TABLE items (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        category_id bigint NOT NULL REFERENCES categories (id),
        sku text NOT NULL UNIQUE,
        name text NOT NULL,
        price_cents integer NOT NULL CHECK (price_cents >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX items_category_id_idx ON items (category_id);
      -- Keyset pagination of GET /api/items: newest first, (created_at, id) as the cursor.
      CREATE INDEX items_created_at_id_idx ON items (created_at DESC, id DESC);
      CREATE TABLE orders (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        item_id bigint NOT NULL REFERENCES items (id),
        quantity integer NOT NULL CHECK (quantity > 0),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX orders_item_id_idx ON orders (item_id);
    `,
  },
  {
    version: 2,
    name: 'idempotency keys',
    sql: `
      CREATE TABLE idempotency_keys (
        key text PRIMARY KEY,
        request_hash text NOT NULL,
        status_code integer,
        response_body text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
    `,
  },
];

export interface MigrationOptions {
  readonly appUser: string;
  /**
   * Password of the app role, set when the migration creates it (afterwards, rotation owns it).
   * Needed with IAM auth too: the replicas and RDS Proxy log in with it.
   */
  readonly appPassword: string;
  readonly statementTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
}

export interface MigrationResult {
  readonly applied: number[];
  /** Time spent waiting for the advisory lock (another instance was migrating). */
  readonly lockWaitMs: number;
}

const ident = (name: string) => pg.escapeIdentifier(name);

/**
 * Applies the pending migrations under a session advisory lock, so that when many instances
 * boot at once one applies them and the others wait, then find nothing to do. Every
 * transaction lifts the parameter group's statement-timeout ceiling with `SET LOCAL` (index
 * builds must not be cut off) and bounds lock waits. Then, still under the lock, it creates
 * the app role if missing and sets its timeouts as role defaults (`ALTER ROLE ... SET`): each
 * new app session starts with them, and no session `SET` pins an RDS Proxy connection.
 */
export async function migrate(client: pg.Client, o: MigrationOptions): Promise<MigrationResult> {
  const started = Date.now();
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  const lockWaitMs = Date.now() - started;
  try {
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await inTransaction(client, async () => {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      });
      applied.push(m.version);
    }
    await inTransaction(client, () => ensureAppRole(client, o));
    return { applied, lockWaitMs };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}

async function inTransaction(client: pg.Client, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query(`SET LOCAL lock_timeout = ${MIGRATION_LOCK_TIMEOUT_MS}`);
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function ensureAppRole(client: pg.Client, o: MigrationOptions): Promise<void> {
  const role = ident(o.appUser);
  const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [o.appUser])).rowCount === 1;
  if (!exists) {
    // Only at creation: afterwards, rotation owns the password. Never `GRANT rds_iam`: a role
    // with it can no longer log in with a password, and RDS Proxy and the replicas need one
    // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/database-authentication.html).
    // A concurrent creator (another role admin) is tolerated: the role then exists.
    await client.query('SAVEPOINT create_role');
    try {
      await client.query(`CREATE ROLE ${role} LOGIN PASSWORD ${pg.escapeLiteral(o.appPassword)}`);
      await client.query('RELEASE SAVEPOINT create_role');
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== '42710' && code !== '23505') throw error;
      await client.query('ROLLBACK TO SAVEPOINT create_role');
    }
  }
  const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
  await client.query(`GRANT CONNECT ON DATABASE ${ident(rows[0].db)} TO ${role}`);
  await client.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
  await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
  await client.query(`REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM ${role}`);
  await client.query(`ALTER ROLE ${role} SET statement_timeout = ${Math.trunc(o.statementTimeoutMs)}`);
  await client.query(`ALTER ROLE ${role} SET idle_in_transaction_session_timeout = ${Math.trunc(o.idleInTransactionTimeoutMs)}`);
}

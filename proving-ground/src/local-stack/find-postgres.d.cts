/** What the discovery may ask of the machine: a fake one in tests, systemProbe() for real. */
export interface HostProbe {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The first executable file `name` in a directory of env.PATH, or undefined. */
  which(name: string): string | undefined;
  /** The path with symlinks resolved (the path itself when it cannot be resolved). */
  realpath(file: string): string;
  /** Whether `file` is an executable regular file. */
  isExecutable(file: string): boolean;
  /** The names in `dir`, or [] when it cannot be read. */
  listDir(dir: string): string[];
  /** Runs a command without a shell; undefined when it cannot be started. */
  run(command: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } | undefined;
  /** The user ID (undefined where there is none, e.g. Windows). */
  readonly uid: number | undefined;
}

export interface PostgresFound {
  /** The directory holding initdb, pg_ctl, postgres and pg_basebackup. */
  readonly bin: string;
  /** Where it was found: 'LOADBEARING_PG_BIN', 'PATH', 'pg_config --bindir', 'Debian/Ubuntu layout', 'PGDG RPM layout', 'Homebrew'. */
  readonly source: string;
  /** As `postgres --version` says it, e.g. '15.18'. */
  readonly version: string;
  readonly major: number;
}

export type PostgresDiscovery =
  | ({ readonly ok: true } & PostgresFound)
  | {
      readonly ok: false;
      /** One line: what is missing or unsupported, and where it looked. */
      readonly problem: string;
      /** The unsupported PostgreSQL it found, if that is the problem. */
      readonly found?: PostgresFound;
    };

/** The PostgreSQL majors supported, newest first. */
export const SUPPORTED_POSTGRES_MAJORS: readonly number[];
/** The server binaries the local stack runs. */
export const POSTGRES_BINARIES: readonly string[];
/** `postgres --version` output to its version and major, or undefined. */
export function parsePostgresVersion(text: string | undefined): { version: string; major: number } | undefined;
/** Finds the PostgreSQL server binaries of a supported major (see find-postgres.cjs for the order). */
export function findPostgres(probe: HostProbe): PostgresDiscovery;
/** The probe of this machine, with PATH and the rest of the environment from `env` (default: process.env). */
export function systemProbe(env?: Readonly<Record<string, string | undefined>>): HostProbe;

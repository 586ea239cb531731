import { posix } from 'node:path';
import type { HostProbe } from '../src/local-stack/find-postgres.cjs';

type Answer = string | { status: number; stdout?: string; stderr?: string };

/** A machine for the PostgreSQL discovery and `npm run prereqs`, described by its files and commands. */
export interface FakeHostSpec {
  /** Executable files; each answers any command line with its text on stdout, or as its function says. */
  readonly files?: Record<string, Answer | ((args: readonly string[]) => Answer)>;
  readonly symlinks?: Record<string, string>;
  /** Added to PATH=/usr/bin:/bin. */
  readonly env?: Record<string, string>;
  readonly uid?: number;
}

export type FakeHost = HostProbe & {
  /** Every command line run, in order. */
  readonly ran: string[];
  /** Changes the machine (an install): files added, PATH kept. */
  add(files: FakeHostSpec['files']): void;
};

/** The binaries of a PostgreSQL server in `bin`, its postgres printing `version`. */
export function pgServer(bin: string, version: string, names = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup']): Record<string, string> {
  return Object.fromEntries(names.map((n) => [posix.join(bin, n), n === 'postgres' ? `postgres (PostgreSQL) ${version}\n` : '']));
}

export function fakeHost(spec: FakeHostSpec = {}): FakeHost {
  const files: NonNullable<FakeHostSpec['files']> = { ...spec.files };
  const ran: string[] = [];
  const target = (file: string) => spec.symlinks?.[file] ?? file;
  const exists = (file: string) => target(file) in files;
  const env = { PATH: '/usr/bin:/bin', ...spec.env };
  return {
    env,
    ran,
    uid: spec.uid ?? 1000,
    add(more) {
      Object.assign(files, more);
    },
    which(name) {
      for (const dir of (env.PATH ?? '').split(':')) if (dir && exists(posix.join(dir, name))) return posix.join(dir, name);
      return undefined;
    },
    realpath: target,
    isExecutable: exists,
    listDir(dir) {
      const prefix = dir.endsWith('/') ? dir : `${dir}/`;
      const names = Object.keys(files)
        .filter((f) => f.startsWith(prefix))
        .map((f) => f.slice(prefix.length).split('/')[0]);
      return [...new Set(names)];
    },
    run(command, args) {
      ran.push([command, ...args].join(' '));
      if (!exists(command)) return undefined;
      const entry = files[target(command)];
      const answer = typeof entry === 'function' ? entry(args) : entry;
      return typeof answer === 'string'
        ? { status: 0, stdout: answer, stderr: '' }
        : { status: answer.status, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' };
    },
  };
}

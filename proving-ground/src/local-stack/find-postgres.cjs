'use strict';
// Where the PostgreSQL server binaries are, and whether their version is one the tests and the
// proving ground support. Plain JavaScript on purpose: `npm run prereqs` (tools/prereqs.cjs)
// runs it before `npm ci`, with nothing compiled and no node_modules; the proving ground
// imports the same file (the build copies it into dist/), so both look in the same places.
//
// The discovery is a pure function of a probe (the environment, PATH lookups, the file system,
// commands run): tests hand it a fake one (proving-ground/test/find-postgres.test.ts).
const { spawnSync } = require('node:child_process');
const { accessSync, constants, readdirSync, realpathSync, statSync } = require('node:fs');
const { delimiter, dirname, join } = require('node:path');

/** The PostgreSQL majors the tests and the proving ground run on, newest first (RDS runs 17; the local stand-in may be 15-17). */
const SUPPORTED_POSTGRES_MAJORS = [17, 16, 15];

/** The server binaries the local stack runs: initdb (a cluster), postgres (the server), pg_basebackup (the replica), pg_ctl. */
const POSTGRES_BINARIES = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup'];

const supportedRange = () => `${Math.min(...SUPPORTED_POSTGRES_MAJORS)}-${Math.max(...SUPPORTED_POSTGRES_MAJORS)}`;

/** `postgres --version` output to { version, major }, or undefined ("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"). */
function parsePostgresVersion(text) {
  const m = /\(PostgreSQL\)\s+(\d+)([.\w]*)/.exec(text ?? '');
  return m ? { version: `${m[1]}${m[2]}`, major: Number(m[1]) } : undefined;
}

/** Numbered subdirectories of `dir` whose name matches `pattern` (one capture: the major), newest first. */
function numbered(probe, dir, pattern) {
  return probe
    .listDir(dir)
    .map((name) => ({ name, m: pattern.exec(name) }))
    .filter((e) => e.m)
    .sort((a, b) => Number(b.m[1]) - Number(a.m[1]))
    .map((e) => join(dir, e.name));
}

/**
 * The directories to look in, in order, each with where it came from. Lazy: Homebrew's prefix
 * is asked for only when nothing before it fitted.
 */
function* candidates(probe) {
  const initdb = probe.which('initdb');
  if (initdb) yield { bin: dirname(probe.realpath(initdb)), source: 'PATH' };
  const pgConfig = probe.which('pg_config');
  if (pgConfig) {
    const r = probe.run(pgConfig, ['--bindir']);
    const bin = r?.status === 0 ? r.stdout.trim() : '';
    if (bin) yield { bin, source: 'pg_config --bindir' };
  }
  // Debian and Ubuntu (postgresql-NN), and the PostgreSQL project's apt repository.
  for (const dir of numbered(probe, '/usr/lib/postgresql', /^(\d+)$/)) yield { bin: join(dir, 'bin'), source: 'Debian/Ubuntu layout' };
  // The PostgreSQL project's RPMs (postgresqlNN-server) for Fedora and RHEL.
  for (const dir of numbered(probe, '/usr', /^pgsql-(\d+)$/)) yield { bin: join(dir, 'bin'), source: 'PGDG RPM layout' };
  // Homebrew's postgresql@NN formulae are keg-only: not linked onto PATH.
  let prefix = probe.env.HOMEBREW_PREFIX;
  if (!prefix) {
    const brew = probe.which('brew');
    const r = brew ? probe.run(brew, ['--prefix']) : undefined;
    prefix = r?.status === 0 ? r.stdout.trim() : '';
  }
  if (prefix) {
    for (const dir of numbered(probe, join(prefix, 'opt'), /^postgresql@(\d+)$/)) yield { bin: join(dir, 'bin'), source: 'Homebrew' };
  }
}

/** The binaries missing from `bin`. */
function missingIn(probe, bin) {
  return POSTGRES_BINARIES.filter((name) => !probe.isExecutable(join(bin, name)));
}

/** What `bin/postgres --version` says, or why it says nothing useful. */
function versionOf(probe, bin) {
  const r = probe.run(join(bin, 'postgres'), ['--version']);
  const parsed = r?.status === 0 ? parsePostgresVersion(r.stdout) : undefined;
  if (parsed) return parsed;
  const said = r ? (r.stdout || r.stderr).trim().split('\n')[0] : 'it could not be started';
  return { problem: `${join(bin, 'postgres')} --version did not print a PostgreSQL version (${said || `exit ${r?.status}`})` };
}

/**
 * Finds the PostgreSQL server binaries: LOADBEARING_PG_BIN alone when set; else on PATH
 * (initdb, symlinks followed), `pg_config --bindir`, /usr/lib/postgresql/<major>/bin,
 * /usr/pgsql-<major>/bin, $(brew --prefix)/opt/postgresql@<major>/bin, each layout newest major
 * first. The first directory with every binary and a supported major wins; a directory with an
 * unsupported one is skipped, and reported when nothing else fits.
 */
function findPostgres(probe) {
  const forced = probe.env.LOADBEARING_PG_BIN;
  const list = forced ? [{ bin: forced, source: 'LOADBEARING_PG_BIN' }] : candidates(probe);
  const seen = new Set();
  let unsupported;
  let incomplete;
  let broken;
  for (const c of list) {
    if (seen.has(c.bin)) continue;
    seen.add(c.bin);
    const missing = missingIn(probe, c.bin);
    if (missing.length > 0) {
      if (!incomplete && missing.length < POSTGRES_BINARIES.length) incomplete = `${c.bin} (${c.source}) has no ${missing.join(', ')}`;
      if (forced) return { ok: false, problem: `LOADBEARING_PG_BIN=${forced} has no ${missing.join(', ')}` };
      continue;
    }
    const v = versionOf(probe, c.bin);
    if (v.problem) {
      broken ??= v.problem;
      continue;
    }
    const found = { bin: c.bin, source: c.source, version: v.version, major: v.major };
    if (SUPPORTED_POSTGRES_MAJORS.includes(v.major)) return { ok: true, ...found };
    unsupported ??= found;
  }
  if (unsupported) {
    return {
      ok: false,
      found: unsupported,
      problem: `PostgreSQL ${unsupported.version} found in ${unsupported.bin} (${unsupported.source}); versions supported: ${supportedRange()}`,
    };
  }
  if (broken) return { ok: false, problem: broken };
  const where = forced
    ? `LOADBEARING_PG_BIN=${forced}`
    : 'on PATH, in pg_config --bindir, /usr/lib/postgresql/<major>/bin, /usr/pgsql-<major>/bin and $(brew --prefix)/opt/postgresql@<major>/bin';
  return {
    ok: false,
    problem: `PostgreSQL ${supportedRange()} server binaries (${POSTGRES_BINARIES.join(', ')}) not found ${where}${incomplete ? `; ${incomplete}` : ''}`,
  };
}

/** The probe of this machine, with PATH and the rest of the environment from `env`. */
function systemProbe(env = process.env) {
  const isExecutable = (file) => {
    try {
      if (!statSync(file).isFile()) return false;
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  return {
    env,
    which(name) {
      for (const dir of (env.PATH ?? '').split(delimiter)) {
        if (dir && isExecutable(join(dir, name))) return join(dir, name);
      }
      return undefined;
    },
    realpath(file) {
      try {
        return realpathSync(file);
      } catch {
        return file;
      }
    },
    isExecutable,
    listDir(dir) {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
    run(command, args) {
      const r = spawnSync(command, args, { encoding: 'utf8', env, timeout: 30_000 });
      return r.error ? undefined : { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
  };
}

module.exports = { SUPPORTED_POSTGRES_MAJORS, POSTGRES_BINARIES, parsePostgresVersion, findPostgres, systemProbe };

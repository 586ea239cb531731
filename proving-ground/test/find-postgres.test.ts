import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPostgres, parsePostgresVersion, systemProbe } from '../src/local-stack/find-postgres.cjs';
import { fakeHost as fake, pgServer as server } from './fake-host';

describe('parsePostgresVersion', () => {
  it.each([
    ['postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)', { version: '15.18', major: 15 }],
    ['postgres (PostgreSQL) 17.2', { version: '17.2', major: 17 }],
    ['postgres (PostgreSQL) 18beta1', { version: '18beta1', major: 18 }],
    ['postgres (PostgreSQL) 9.6.24', { version: '9.6.24', major: 9 }],
  ])('reads %j', (text, expected) => expect(parsePostgresVersion(text)).toEqual(expected));

  it.each(['', 'Redis server v=7.0.15', 'postgres: command not found'])('reads no version from %j', (text) => {
    expect(parsePostgresVersion(text)).toBeUndefined();
  });
});

describe('findPostgres (fake hosts)', () => {
  it('takes the server on PATH first, following symlinks to the directory with every binary', () => {
    const probe = fake({
      files: {
        ...server('/usr/lib/postgresql/16/bin', '16.4'),
        ...server('/usr/lib/postgresql/17/bin', '17.2'),
        // Symlinks without pg_basebackup, as some images make them: the real directory has it.
        '/usr/local/bin/initdb': '',
      },
      symlinks: { '/usr/local/bin/initdb': '/usr/lib/postgresql/16/bin/initdb' },
      env: { PATH: '/usr/local/bin:/usr/bin' },
    });
    expect(findPostgres(probe)).toEqual({ ok: true, bin: '/usr/lib/postgresql/16/bin', source: 'PATH', version: '16.4', major: 16 });
  });

  it('asks pg_config --bindir when nothing is on PATH', () => {
    const probe = fake({
      files: { ...server('/opt/pg/bin', '15.8'), '/usr/bin/pg_config': '/opt/pg/bin\n' },
    });
    expect(findPostgres(probe)).toMatchObject({ ok: true, bin: '/opt/pg/bin', source: 'pg_config --bindir', version: '15.8' });
  });

  it('takes the newest supported major of the Debian/Ubuntu layout (17, 16, 15), skipping 18 and 14', () => {
    const probe = fake({
      files: {
        ...server('/usr/lib/postgresql/14/bin', '14.11'),
        ...server('/usr/lib/postgresql/15/bin', '15.18'),
        ...server('/usr/lib/postgresql/16/bin', '16.4'),
        ...server('/usr/lib/postgresql/18/bin', '18.1'),
      },
    });
    expect(findPostgres(probe)).toEqual({
      ok: true,
      bin: '/usr/lib/postgresql/16/bin',
      source: 'Debian/Ubuntu layout',
      version: '16.4',
      major: 16,
    });
  });

  it("finds Homebrew's keg-only postgresql@17 through brew --prefix", () => {
    const probe = fake({
      files: { ...server('/opt/homebrew/opt/postgresql@17/bin', '17.5'), '/opt/homebrew/bin/brew': '/opt/homebrew\n' },
      env: { PATH: '/opt/homebrew/bin:/usr/bin' },
    });
    expect(findPostgres(probe)).toMatchObject({ ok: true, bin: '/opt/homebrew/opt/postgresql@17/bin', source: 'Homebrew', major: 17 });
  });

  it('uses HOMEBREW_PREFIX without running brew, and asks brew nothing when an earlier place fits', () => {
    const viaEnv = fake({ files: server('/usr/local/opt/postgresql@15/bin', '15.10'), env: { HOMEBREW_PREFIX: '/usr/local' } });
    expect(findPostgres(viaEnv)).toMatchObject({ ok: true, source: 'Homebrew', version: '15.10' });
    expect(viaEnv.ran.some((c) => c.includes('brew'))).toBe(false);

    const earlier = fake({
      files: { ...server('/usr/lib/postgresql/15/bin', '15.18'), '/opt/homebrew/bin/brew': '/opt/homebrew\n' },
      env: { PATH: '/opt/homebrew/bin:/usr/bin' },
    });
    expect(findPostgres(earlier)).toMatchObject({ ok: true, source: 'Debian/Ubuntu layout' });
    expect(earlier.ran).toEqual(['/usr/lib/postgresql/15/bin/postgres --version']);
  });

  it("finds the PostgreSQL project's RPM layout /usr/pgsql-<major>/bin", () => {
    const probe = fake({ files: server('/usr/pgsql-17/bin', '17.1') });
    expect(findPostgres(probe)).toMatchObject({ ok: true, bin: '/usr/pgsql-17/bin', source: 'PGDG RPM layout' });
  });

  it('refuses a version outside 15-17 with one line: the version found and the versions supported', () => {
    const probe = fake({ files: server('/usr/lib/postgresql/14/bin', '14.11 (Ubuntu 14.11-0ubuntu0.22.04.1)') });
    const found = findPostgres(probe);
    expect(found).toMatchObject({ ok: false, found: { version: '14.11', major: 14 } });
    expect(!found.ok && found.problem).toBe(
      'PostgreSQL 14.11 found in /usr/lib/postgresql/14/bin (Debian/Ubuntu layout); versions supported: 15-17',
    );
    const tooNew = findPostgres(fake({ files: server('/usr/bin', '18.1'), env: { PATH: '/usr/bin' } }));
    expect(!tooNew.ok && tooNew.problem).toBe('PostgreSQL 18.1 found in /usr/bin (PATH); versions supported: 15-17');
  });

  it('names the binaries and the places it looked when there is no server, and a directory that lacks some', () => {
    const none = findPostgres(fake({}));
    expect(!none.ok && none.problem).toBe(
      'PostgreSQL 15-17 server binaries (initdb, pg_ctl, postgres, pg_basebackup) not found on PATH, in pg_config --bindir, /usr/lib/postgresql/<major>/bin, /usr/pgsql-<major>/bin and $(brew --prefix)/opt/postgresql@<major>/bin',
    );
    const partial = findPostgres(fake({ files: server('/usr/bin', '16.1', ['initdb', 'pg_ctl', 'postgres']), env: { PATH: '/usr/bin' } }));
    expect(!partial.ok && partial.problem).toMatch(/ not found .*; \/usr\/bin \(PATH\) has no pg_basebackup$/);
  });

  it('looks only in LOADBEARING_PG_BIN when it is set', () => {
    const files = { ...server('/usr/lib/postgresql/15/bin', '15.18'), ...server('/srv/pg16/bin', '16.2') };
    expect(findPostgres(fake({ files, env: { LOADBEARING_PG_BIN: '/srv/pg16/bin' } }))).toMatchObject({
      ok: true,
      bin: '/srv/pg16/bin',
      source: 'LOADBEARING_PG_BIN',
    });
    const wrong = findPostgres(fake({ files, env: { LOADBEARING_PG_BIN: '/srv/nothing' } }));
    expect(!wrong.ok && wrong.problem).toBe('LOADBEARING_PG_BIN=/srv/nothing has no initdb, pg_ctl, postgres, pg_basebackup');
  });

  it('says what postgres --version printed when it is not a version', () => {
    const files = { ...server('/usr/lib/postgresql/16/bin', '16.0'), '/usr/lib/postgresql/16/bin/postgres': 'Segmentation fault' };
    const found = findPostgres(fake({ files }));
    expect(!found.ok && found.problem).toBe(
      '/usr/lib/postgresql/16/bin/postgres --version did not print a PostgreSQL version (Segmentation fault)',
    );
  });
});

describe('systemProbe', () => {
  it('looks commands up in the PATH it is given, not the process PATH', () => {
    expect(systemProbe({ PATH: '/nonexistent' }).which('node')).toBeUndefined();
    expect(systemProbe({ PATH: posix.dirname(process.execPath) }).which('node')).toBe(process.execPath);
  });
});

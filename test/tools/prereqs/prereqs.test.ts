import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeHost, type FakeHostSpec, pgServer } from '../../../proving-ground/test/fake-host';
import {
  checkPrerequisites,
  detectPlatform,
  type Host,
  installCommand,
  MOTO_SPEC,
  main,
  reportLines,
  summaryLine,
  systemPackages,
} from '../../../tools/prereqs.cjs';

const ROOT = join(__dirname, '..', '..', '..');
const SCRIPT = join(ROOT, 'tools', 'prereqs.cjs');

const OS_RELEASE = {
  debian: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
  ubuntu: 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n',
  mint: 'NAME="Linux Mint"\nPRETTY_NAME="Linux Mint 22"\nID=linuxmint\nID_LIKE="ubuntu debian"\n',
  fedora: 'NAME="Fedora Linux"\nPRETTY_NAME="Fedora Linux 43 (Workstation Edition)"\nID=fedora\n',
  rhel: 'NAME="Red Hat Enterprise Linux"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\nID="rhel"\nID_LIKE="fedora"\n',
  rocky: 'NAME="Rocky Linux"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\n',
  arch: 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\n',
  alpine: 'NAME="Alpine Linux"\nID=alpine\nPRETTY_NAME="Alpine Linux v3.20"\n',
};

/** python3 answering --version and the moto probe: moto installed or not, pip externally managed or not, pip there or not. */
function python(o: { moto?: string; managed?: boolean; noPip?: boolean } = {}) {
  return (args: readonly string[]) => {
    if (args[0] === '--version') return 'Python 3.11.2\n';
    const first = `${o.managed ? 'externally-managed' : 'not-managed'}\n${o.noPip ? 'no-pip' : 'pip'}`;
    return o.moto
      ? { status: 0, stdout: `${first}\n${o.moto}\n` }
      : { status: 1, stdout: `${first}\n`, stderr: "Traceback ...\nModuleNotFoundError: No module named 'moto'\n" };
  };
}

/** Every prerequisite present in /usr/bin (PostgreSQL in the Debian layout), the binaries named in `without` removed, `extra` added. */
function machine(without: string[] = [], extra: FakeHostSpec = {}) {
  const files: NonNullable<FakeHostSpec['files']> = {
    ...pgServer('/usr/lib/postgresql/15/bin', '15.18 (Debian 15.18-0+deb12u1)'),
    '/usr/bin/redis-server': 'Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0\n',
    '/usr/bin/haproxy': 'HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/\n',
    '/usr/bin/openssl': 'OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)\n',
    '/usr/bin/python3': python({ moto: '5.2.1', managed: true }),
  };
  for (const name of without) for (const file of Object.keys(files)) if (file.endsWith(`/${name}`)) delete files[file];
  return fakeHost({ ...extra, files: { ...files, ...extra.files } });
}

/** A host for main(): output lines, the install steps run (each may change the machine). */
function host(probe = machine(), o: { osRelease?: string; nodePlatform?: string; onRun?: (command: string) => number } = {}) {
  const lines: string[] = [];
  const steps: string[] = [];
  const h: Host = {
    probe,
    nodePlatform: o.nodePlatform ?? 'linux',
    osRelease: o.osRelease ?? OS_RELEASE.debian,
    out: (line) => lines.push(line),
    run: ({ command, args }) => {
      steps.push([command, ...args].join(' '));
      return o.onRun ? o.onRun([command, ...args].join(' ')) : 0;
    },
  };
  return { h, lines, steps, output: () => lines.join('\n') };
}

describe('detectPlatform', () => {
  it.each([
    ['darwin', undefined, 'macos', 'macOS'],
    ['linux', OS_RELEASE.debian, 'debian', 'Debian GNU/Linux 12 (bookworm)'],
    ['linux', OS_RELEASE.ubuntu, 'debian', 'Ubuntu 24.04.1 LTS'],
    ['linux', OS_RELEASE.mint, 'debian', 'Linux Mint 22'],
    ['linux', OS_RELEASE.fedora, 'fedora', 'Fedora Linux 43 (Workstation Edition)'],
    ['linux', OS_RELEASE.rhel, 'fedora', 'Red Hat Enterprise Linux 9.4 (Plow)'],
    ['linux', OS_RELEASE.rocky, 'fedora', 'Rocky Linux 9.3 (Blue Onyx)'],
    ['linux', OS_RELEASE.arch, undefined, 'Arch Linux'],
    ['linux', OS_RELEASE.alpine, undefined, 'Alpine Linux v3.20'],
    ['linux', undefined, undefined, 'Linux without /etc/os-release'],
    ['win32', undefined, undefined, 'win32'],
    ['freebsd', undefined, undefined, 'freebsd'],
  ])('%s with %j is %s', (nodePlatform, osRelease, id, name) => {
    expect(detectPlatform(nodePlatform, osRelease)).toEqual({ id, name });
  });
});

describe('the install-command table', () => {
  it.each([
    ['debian', true, 'apt-get install -y postgresql redis-server haproxy openssl python3 python3-pip'],
    ['debian', false, 'sudo apt-get install -y postgresql redis-server haproxy openssl python3 python3-pip'],
    ['fedora', true, 'dnf install -y postgresql17-server valkey-compat-redis haproxy openssl python3 python3-pip'],
    ['fedora', false, 'sudo dnf install -y postgresql17-server valkey-compat-redis haproxy openssl python3 python3-pip'],
    ['macos', false, 'brew install postgresql@17 redis haproxy openssl@3 python'],
  ] as const)('%s (root: %s): %s', (platform, root, command) => {
    const everything = checkPrerequisites(fakeHost({ env: { PATH: '/nowhere' } }));
    expect(everything.every((r) => !r.ok)).toBe(true);
    expect(installCommand(platform, systemPackages(everything, platform), root)).toBe(command);
  });

  it('installs the newest supported major when the PostgreSQL found is out of range', () => {
    const tooOld = checkPrerequisites(fakeHost({ files: pgServer('/usr/lib/postgresql/14/bin', '14.11') })).slice(0, 1);
    expect(systemPackages(tooOld, 'debian')).toEqual(['postgresql-17']);
    expect(systemPackages(tooOld, 'fedora')).toEqual(['postgresql17-server']);
    expect(systemPackages(tooOld, 'macos')).toEqual(['postgresql@17']);
  });
});

describe('checkPrerequisites and its report', () => {
  it('gives one ok line per prerequisite with its version and path', () => {
    expect(reportLines(checkPrerequisites(machine()), 'debian', true)).toEqual([
      'ok           PostgreSQL   15.18  /usr/lib/postgresql/15/bin (Debian/Ubuntu layout)',
      'ok           redis-server 7.0.15  /usr/bin/redis-server',
      'ok           haproxy      2.6.12  /usr/bin/haproxy',
      'ok           openssl      OpenSSL 3.0.19  /usr/bin/openssl',
      'ok           python3      3.11.2  /usr/bin/python3',
      'ok           moto         5.2.1  for /usr/bin/python3',
    ]);
  });

  it('sums the versions up in one line for the integration tests, naming what is missing or unsupported', () => {
    expect(summaryLine(checkPrerequisites(machine()))).toBe(
      'PostgreSQL 15.18 (/usr/lib/postgresql/15/bin), redis-server 7.0.15, haproxy 2.6.12, OpenSSL 3.0.19, python3 3.11.2, moto 5.2.1',
    );
    const old = machine(['initdb', 'pg_ctl', 'postgres', 'pg_basebackup', 'redis-server'], {
      files: pgServer('/usr/lib/postgresql/14/bin', '14.11'),
    });
    expect(summaryLine(checkPrerequisites(old))).toMatch(/^PostgreSQL 14\.11 \(unsupported\), redis-server missing, haproxy 2\.6\.12, /);
  });

  it("takes Fedora's Valkey as redis-server, and says so", () => {
    const valkey = machine([], { files: { '/usr/bin/redis-server': 'Valkey server v=8.0.3 sha=00000000:0 malloc=jemalloc-5.3.0\n' } });
    expect(checkPrerequisites(valkey)[1]).toEqual({
      id: 'redis-server',
      ok: true,
      version: '8.0.3 (Valkey)',
      path: '/usr/bin/redis-server',
    });
  });

  it.each([
    ['debian', false, 'sudo apt-get install -y redis-server'],
    ['fedora', true, 'dnf install -y valkey-compat-redis'],
    ['macos', false, 'brew install redis'],
  ] as const)('names a missing redis-server and its %s install command', (platform, root, command) => {
    const lines = reportLines(checkPrerequisites(machine(['redis-server'])), platform, root);
    expect(lines[1]).toBe(`missing      redis-server redis-server not found on PATH; install: ${command}`);
    expect(lines.filter((l) => !l.startsWith('ok '))).toHaveLength(1);
  });

  it('gives a PostgreSQL out of range one line: the version found, the versions supported, what to install', () => {
    const old = machine(['initdb', 'pg_ctl', 'postgres', 'pg_basebackup'], { files: pgServer('/usr/lib/postgresql/14/bin', '14.11') });
    expect(reportLines(checkPrerequisites(old), 'debian', true)[0]).toBe(
      'too old      PostgreSQL   PostgreSQL 14.11 found in /usr/lib/postgresql/14/bin (Debian/Ubuntu layout); versions supported: 15-17; install: apt-get install -y postgresql-17',
    );
    const fresh = machine(['initdb', 'pg_ctl', 'postgres', 'pg_basebackup'], { files: pgServer('/usr/bin', '18.1') });
    expect(reportLines(checkPrerequisites(fresh), 'fedora', true)[0]).toBe(
      'too new      PostgreSQL   PostgreSQL 18.1 found in /usr/bin (PATH); versions supported: 15-17; install: dnf install -y postgresql17-server',
    );
  });

  it('installs moto with pip, into the user site where pip is externally managed (PEP 668)', () => {
    const managed = machine([], { files: { '/usr/bin/python3': python({ managed: true }) } });
    expect(reportLines(checkPrerequisites(managed), 'debian', true)[5]).toBe(
      `missing      moto         /usr/bin/python3 cannot import moto.server (ModuleNotFoundError: No module named 'moto'); install: /usr/bin/python3 -m pip install --user --break-system-packages "${MOTO_SPEC}"`,
    );
    const venv = machine([], { files: { '/usr/bin/python3': python({ managed: false }) } });
    expect(reportLines(checkPrerequisites(venv), 'macos', false)[5]).toMatch(
      /; install: \/usr\/bin\/python3 -m pip install "moto\[server\]==[\d.]+"$/,
    );
    const noPython = reportLines(checkPrerequisites(machine(['python3'])), 'debian', true);
    expect(noPython.slice(4)).toEqual([
      'missing      python3      python3 not found on PATH; install: apt-get install -y python3 python3-pip',
      `missing      moto         needs python3; install: python3 -m pip install "${MOTO_SPEC}"`,
    ]);
  });
});

describe('main (fake machines)', () => {
  it('exits 0 when everything is present', () => {
    const { h, output } = host();
    expect(main([], h)).toBe(0);
    expect(output()).toMatch(/^platform: Debian\/Ubuntu \(apt-get\)\n(ok .*\n){6}all present/);
  });

  it('exits 1 when something is missing, with the command that installs all of it', () => {
    const { h, lines } = host(machine(['redis-server', 'haproxy']));
    expect(main([], h)).toBe(1);
    expect(lines.at(-1)).toBe(
      'missing: redis-server, haproxy. Install: sudo apt-get install -y redis-server haproxy; or run: npm run prereqs -- --install',
    );
  });

  it('prints another platform’s commands with --platform', () => {
    const { h, lines } = host(machine(['redis-server']));
    expect(main(['--platform', 'macos'], h)).toBe(1);
    expect(lines[0]).toBe('platform: macOS (brew) (--platform)');
    expect(lines.at(-1)).toContain('Install: brew install redis;');
  });

  it.each([
    [
      ['--frobnicate'],
      'prereqs: error: unknown argument "--frobnicate" (usage: npm run prereqs [-- --install] [-- --platform debian|fedora|macos])',
    ],
    [['--platform', 'arch'], 'prereqs: error: --platform "arch" is not one of debian, fedora, macos'],
    [['--platform'], 'prereqs: error: --platform "" is not one of debian, fedora, macos'],
  ])('rejects %j with one line and exit code 2', (argv, message) => {
    const { h, lines } = host();
    expect(main(argv, h)).toBe(2);
    expect(lines).toEqual([message]);
  });

  it('on an unknown platform, names what to install and exits 2', () => {
    const { h, lines } = host(machine(['redis-server', 'python3']), { osRelease: OS_RELEASE.arch });
    expect(main([], h)).toBe(2);
    expect(lines[0]).toBe('platform: Arch Linux (no install commands for it)');
    expect(lines).toContain(
      'missing      redis-server redis-server not found on PATH; install redis-server (Redis or Valkey) with your package manager',
    );
    expect(lines.at(-1)).toBe(
      `prereqs: error: no install commands for Arch Linux: install redis-server (Redis or Valkey); Python 3 with pip; moto (python3 -m pip install "${MOTO_SPEC}") (or give --platform debian|fedora|macos for those commands)`,
    );
  });

  it('on an unknown platform with everything present, exits 0', () => {
    const { h } = host(machine(), { osRelease: OS_RELEASE.alpine });
    expect(main([], h)).toBe(0);
  });

  it('--install as root on Debian: apt-get (non-interactive) and pip, then checks again', () => {
    const probe = machine(['redis-server'], { uid: 0, files: { '/usr/bin/python3': python({ managed: true }) } });
    const { h, steps, lines } = host(probe, {
      onRun: (command) => {
        if (command.startsWith('apt-get install')) probe.add({ '/usr/bin/redis-server': 'Redis server v=7.0.15 sha=0\n' });
        if (command.includes('pip install')) probe.add({ '/usr/bin/python3': python({ moto: '5.2.1', managed: true }) });
        return 0;
      },
    });
    expect(main(['--install'], h)).toBe(0);
    expect(steps).toEqual([
      'apt-get update -qq',
      'apt-get install -y -qq --no-install-recommends redis-server',
      `/usr/bin/python3 -m pip install --user --break-system-packages ${MOTO_SPEC}`,
    ]);
    expect(lines.at(-1)).toBe('all present: the integration tests and the proving ground can run');
  });

  it('--install adds python3-pip for moto where python3 has no pip', () => {
    const probe = machine([], { uid: 0, files: { '/usr/bin/python3': python({ managed: true, noPip: true }) } });
    const { h, steps } = host(probe, { osRelease: OS_RELEASE.fedora });
    expect(main(['--install'], h)).toBe(1); // the fake pip installs nothing: still missing
    expect(steps).toEqual(['dnf install -y python3-pip', `/usr/bin/python3 -m pip install --user --break-system-packages ${MOTO_SPEC}`]);
  });

  it('--install with Homebrew runs brew as the user', () => {
    const probe = machine(['haproxy'], {
      files: { '/opt/homebrew/bin/brew': '/opt/homebrew\n' },
      env: { PATH: '/opt/homebrew/bin:/usr/bin' },
    });
    const { h, steps } = host(probe, { nodePlatform: 'darwin', onRun: () => 0 });
    expect(main(['--install'], h)).toBe(1); // the fake brew installs nothing: still missing
    expect(steps).toEqual(['/opt/homebrew/bin/brew install haproxy']);
  });

  it.each([
    [
      'apt-get without root',
      machine(['haproxy'], { uid: 1000 }),
      {},
      /^prereqs: error: --install needs root for apt-get \(running as uid 1000\): run sudo apt-get install -y haproxy, then/,
    ],
    ['dnf without root', machine(['haproxy'], { uid: 1000 }), { osRelease: OS_RELEASE.fedora }, /needs root for dnf/],
    ['Homebrew as root', machine(['haproxy'], { uid: 0 }), { nodePlatform: 'darwin' }, /Homebrew refuses to run as root/],
    ['no Homebrew', machine(['haproxy']), { nodePlatform: 'darwin' }, /brew not found on PATH: install Homebrew \(https:\/\/brew\.sh\)/],
    [
      'an unknown platform',
      machine(['haproxy'], { uid: 0 }),
      { osRelease: OS_RELEASE.arch },
      /no install commands for Arch Linux: install HAProxy/,
    ],
  ])('--install refuses %s with exit code 2, running nothing', (_what, probe, o, message) => {
    const { h, steps, lines } = host(probe, o);
    expect(main(['--install'], h)).toBe(2);
    expect(steps).toEqual([]);
    expect(lines.at(-1)).toMatch(message);
  });

  it('--install refuses --platform of another machine', () => {
    const { h, steps, lines } = host(machine([], { uid: 0 }));
    expect(main(['--install', '--platform', 'fedora'], h)).toBe(2);
    expect(steps).toEqual([]);
    expect(lines).toEqual(['prereqs: error: --install installs on this machine (debian), not on --platform fedora: leave --platform out']);
  });

  it('--install stops at the first failing command with exit code 1', () => {
    const { h, steps, lines } = host(machine(['haproxy'], { uid: 0 }), { onRun: (c) => (c.startsWith('apt-get install') ? 100 : 0) });
    expect(main(['--install'], h)).toBe(1);
    expect(steps).toHaveLength(2);
    expect(lines.at(-1)).toBe('prereqs: apt-get failed (exit 100); nothing more installed');
  });

  it('--install with nothing missing runs nothing', () => {
    const { h, steps } = host(machine([], { uid: 1000 }));
    expect(main(['--install'], h)).toBe(0);
    expect(steps).toEqual([]);
  });
});

describe('tools/prereqs.cjs as a process, on this machine with a PATH that lacks redis-server', () => {
  // A PATH of symlinks to this machine's haproxy and openssl only: redis-server (and python3)
  // are missing as far as the script can tell; nothing is uninstalled.
  const bin = mkdtempSync(join(tmpdir(), 'prereqs-path-'));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
  for (const name of ['haproxy', 'openssl']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found) symlinkSync(found, join(bin, name));
  }
  const run = (args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', env: { PATH: bin } });

  it.each([
    ['debian', /^missing {6}redis-server redis-server not found on PATH; install: (sudo )?apt-get install -y redis-server$/m],
    ['fedora', /^missing {6}redis-server redis-server not found on PATH; install: (sudo )?dnf install -y valkey-compat-redis$/m],
    ['macos', /^missing {6}redis-server redis-server not found on PATH; install: brew install redis$/m],
  ])('names it and prints its %s install command, exit code 1', (platform, line) => {
    const r = run(['--platform', platform]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(line);
    expect(r.stdout).toMatch(/^missing: .*redis-server/m);
    expect(r.status).toBe(1);
  });
});

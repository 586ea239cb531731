#!/usr/bin/env node
'use strict';
// `npm run prereqs`: checks the system packages the integration tests and the proving ground
// need (PostgreSQL 15-17 server binaries, redis-server, HAProxy, openssl, python3 with moto) and
// prints, for each missing one, the command that installs it on this platform (Debian/Ubuntu:
// apt-get, Fedora/RHEL: dnf, macOS: Homebrew; moto: pip). `--install` runs those commands,
// non-interactively, where it can.
//
//   npm run prereqs                        one line per prerequisite; exit 0 all present, 1 something missing
//   npm run prereqs -- --install           installs what is missing (apt-get and dnf need root), then checks again
//   npm run prereqs -- --platform macos    the install commands of another platform
//
// Exit codes: 0 every prerequisite present, 1 something missing (or still missing after
// --install, or an install command failed), 2 bad input: an unknown option, an unknown platform
// with something to install (the line names what, by name), or an --install that cannot run
// here (no root for apt-get or dnf, root for Homebrew, no Homebrew).
//
// Plain JavaScript with node: modules only: .ci/run runs it before `npm ci`. The PostgreSQL
// discovery is the proving ground's own (find-postgres.cjs), so this check and the tests agree.
const { spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { findPostgres, systemProbe, SUPPORTED_POSTGRES_MAJORS, POSTGRES_BINARIES } = require(
  join(__dirname, '..', 'proving-ground', 'src', 'local-stack', 'find-postgres.cjs'),
);

/** The moto the integration tests run against (its server extra: Flask and the rest of the HTTP server). */
const MOTO_SPEC = 'moto[server]==5.2.1';

/** The platforms with an install command: what they are called and the package manager. */
const PLATFORMS = {
  debian: { label: 'Debian/Ubuntu', manager: 'apt-get' },
  fedora: { label: 'Fedora/RHEL', manager: 'dnf' },
  macos: { label: 'macOS', manager: 'brew' },
};

const newestMajor = Math.max(...SUPPORTED_POSTGRES_MAJORS);
const range = `${Math.min(...SUPPORTED_POSTGRES_MAJORS)}-${newestMajor}`;

/**
 * The system prerequisites, in the order they are reported: what each is called on a platform
 * without an install command, and the packages that provide it on each platform.
 * - PostgreSQL: the distribution's default where it is in range (Debian 12: 15, Ubuntu 24.04:
 *   16, Debian 13: 17); Fedora 43 and later default to 18, so postgresql17-server
 *   (https://packages.fedoraproject.org/pkgs/postgresql17/postgresql17-server/); Homebrew's
 *   postgresql@NN formulae are keg-only (find-postgres.cjs looks in $(brew --prefix)/opt).
 *   When the installed one is out of range, the newest supported major's own package.
 * - redis-server: Fedora replaced Redis with Valkey; valkey-compat-redis provides the
 *   redis-server command (https://packages.fedoraproject.org/pkgs/valkey/valkey-compat-redis/).
 */
const SYSTEM = [
  {
    id: 'postgresql',
    name: `PostgreSQL ${range} server (${POSTGRES_BINARIES.join(', ')})`,
    packages: { debian: ['postgresql'], fedora: [`postgresql${newestMajor}-server`], macos: [`postgresql@${newestMajor}`] },
    unsupportedPackages: {
      debian: [`postgresql-${newestMajor}`],
      fedora: [`postgresql${newestMajor}-server`],
      macos: [`postgresql@${newestMajor}`],
    },
  },
  {
    id: 'redis-server',
    name: 'redis-server (Redis or Valkey)',
    packages: { debian: ['redis-server'], fedora: ['valkey-compat-redis'], macos: ['redis'] },
  },
  { id: 'haproxy', name: 'HAProxy', packages: { debian: ['haproxy'], fedora: ['haproxy'], macos: ['haproxy'] } },
  { id: 'openssl', name: 'openssl', packages: { debian: ['openssl'], fedora: ['openssl'], macos: ['openssl@3'] } },
  {
    id: 'python3',
    name: 'Python 3 with pip',
    packages: { debian: ['python3', 'python3-pip'], fedora: ['python3', 'python3-pip'], macos: ['python'] },
  },
];

/** KEY=value lines of /etc/os-release (values unquoted). */
function parseOsRelease(text) {
  const fields = {};
  for (const line of (text ?? '').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) fields[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return fields;
}

/**
 * The platform from Node's process.platform and /etc/os-release: { id, name }, id undefined when
 * there is no install command for it. Ubuntu, Mint and the other Debian derivatives say
 * ID_LIKE=debian; RHEL, CentOS Stream, Rocky and Alma say ID_LIKE=...fedora.
 */
function detectPlatform(nodePlatform, osReleaseText) {
  if (nodePlatform === 'darwin') return { id: 'macos', name: 'macOS' };
  if (nodePlatform !== 'linux') return { id: undefined, name: nodePlatform };
  const os = parseOsRelease(osReleaseText);
  const name = os.PRETTY_NAME || os.NAME || os.ID || 'Linux without /etc/os-release';
  const ids = [os.ID, ...(os.ID_LIKE ?? '').split(/\s+/)].filter(Boolean);
  if (ids.some((id) => id === 'debian' || id === 'ubuntu')) return { id: 'debian', name };
  if (ids.some((id) => id === 'fedora' || id === 'rhel' || id === 'centos')) return { id: 'fedora', name };
  return { id: undefined, name };
}

/** The shell command that installs `packages` with the platform's package manager (sudo when not root). */
function installCommand(platform, packages, root) {
  const sudo = root ? '' : 'sudo ';
  if (platform === 'debian') return `${sudo}apt-get install -y ${packages.join(' ')}`;
  if (platform === 'fedora') return `${sudo}dnf install -y ${packages.join(' ')}`;
  if (platform === 'macos') return `brew install ${packages.join(' ')}`;
  throw new Error(`no install command for platform ${platform}`);
}

const quote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg}"`);

/** The pip command that installs moto for `python3` (user site and --break-system-packages where pip is externally managed, PEP 668). */
function pipArgs(externallyManaged) {
  return ['-m', 'pip', 'install', ...(externallyManaged ? ['--user', '--break-system-packages'] : []), MOTO_SPEC];
}

const firstLine = (text) => (text ?? '').trim().split('\n')[0];

/** Each prerequisite's state on the machine `probe` describes: { id, ok, version?, path?, problem?, found? }. */
function checkPrerequisites(probe) {
  const results = [];
  const pg = findPostgres(probe);
  results.push(
    pg.ok
      ? { id: 'postgresql', ok: true, version: pg.version, path: `${pg.bin} (${pg.source})` }
      : { id: 'postgresql', ok: false, problem: pg.problem, found: pg.found },
  );
  const tool = (id, args, parse) => {
    const path = probe.which(id);
    if (!path) return { id, ok: false, problem: `${id} not found on PATH` };
    const r = probe.run(path, args);
    const version = r?.status === 0 ? parse(`${r.stdout}\n${r.stderr}`) : undefined;
    if (!version)
      return { id, ok: false, problem: `${path} ${args.join(' ')} failed (${firstLine(r ? r.stderr || r.stdout : 'not started')})` };
    return { id, ok: true, version, path };
  };
  results.push(
    tool('redis-server', ['--version'], (out) => {
      const m = /^(Redis|Valkey) server v=(\S+)/m.exec(out);
      return m && (m[1] === 'Redis' ? m[2] : `${m[2]} (Valkey)`);
    }),
  );
  results.push(tool('haproxy', ['-v'], (out) => /HA-?Proxy version (\d+(?:\.\d+)*)/.exec(out)?.[1]));
  results.push(tool('openssl', ['version'], (out) => /^((?:OpenSSL|LibreSSL) \S+)/m.exec(out)?.[1]));
  const python = tool('python3', ['--version'], (out) => /Python (\d+\.\d+\.\d+)/.exec(out)?.[1]);
  results.push(python);
  if (!python.ok) {
    results.push({ id: 'moto', ok: false, problem: 'needs python3' });
  } else {
    const r = probe.run(python.path, [
      '-c',
      'import importlib.util, os, sys, sysconfig\n' +
        "managed = sys.prefix == sys.base_prefix and os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED'))\n" +
        "print('externally-managed' if managed else 'not-managed')\n" +
        "print('pip' if importlib.util.find_spec('pip') else 'no-pip')\n" +
        'import moto, moto.server\n' +
        'print(moto.__version__)',
    ]);
    const lines = (r?.stdout ?? '').trim().split('\n');
    const externallyManaged = lines[0] === 'externally-managed';
    python.externallyManaged = externallyManaged;
    python.hasPip = lines[1] === 'pip';
    results.push(
      r?.status === 0 && lines[2]
        ? { id: 'moto', ok: true, version: lines[2], path: `for ${python.path}` }
        : {
            id: 'moto',
            ok: false,
            externallyManaged,
            problem: `${python.path} cannot import moto.server (${(r?.stderr ?? '').trim().split('\n').pop() || 'no output'})`,
          },
    );
  }
  return results;
}

/** The system packages that would provide the missing prerequisites on `platform` (moto aside). */
function systemPackages(results, platform) {
  const packages = [];
  for (const r of results) {
    if (r.ok || r.id === 'moto') continue;
    const spec = SYSTEM.find((s) => s.id === r.id);
    packages.push(...((r.found && spec.unsupportedPackages?.[platform]) || spec.packages[platform]));
  }
  // moto is installed with python3's pip: Debian and Fedora package pip on its own.
  const moto = results.find((r) => r.id === 'moto');
  const python = results.find((r) => r.id === 'python3');
  if (moto && !moto.ok && python?.ok && !python.hasPip && (platform === 'debian' || platform === 'fedora')) packages.push('python3-pip');
  return [...new Set(packages)];
}

/** How to install one missing prerequisite on `platform` (undefined platform: by name). */
function howToInstall(result, platform, root, results) {
  if (result.id === 'moto') {
    const python = results.find((r) => r.id === 'python3');
    return `${python.ok ? quote(python.path) : 'python3'} ${pipArgs(result.externallyManaged).map(quote).join(' ')}`;
  }
  const spec = SYSTEM.find((s) => s.id === result.id);
  if (!platform) return `install ${spec.name} with your package manager`;
  return installCommand(platform, (result.found && spec.unsupportedPackages?.[platform]) || spec.packages[platform], root);
}

const LABELS = {
  postgresql: 'PostgreSQL',
  'redis-server': 'redis-server',
  haproxy: 'haproxy',
  openssl: 'openssl',
  python3: 'python3',
  moto: 'moto',
};

/** One line per prerequisite: ok with version and path, or what is wrong and how to install it. */
function reportLines(results, platform, root) {
  return results.map((r) => {
    const label = LABELS[r.id].padEnd(13);
    if (r.ok) return `ok           ${label}${r.version}  ${r.path}`;
    const status = r.found ? (r.found.major > newestMajor ? 'too new' : 'too old') : 'missing';
    return `${status.padEnd(13)}${label}${r.problem}; ${platform ? 'install: ' : ''}${howToInstall(r, platform, root, results)}`;
  });
}

/** One line naming what this machine runs the tests on: "PostgreSQL 15.18 (/usr/lib/postgresql/15/bin), redis-server 7.0.15, ..., moto missing". */
function summaryLine(results) {
  return results
    .map((r) => {
      if (!r.ok) return `${LABELS[r.id]} ${r.found ? `${r.found.version} (unsupported)` : 'missing'}`;
      if (r.id === 'postgresql') return `PostgreSQL ${r.version} (${r.path.replace(/ \(.*\)$/, '')})`;
      return r.id === 'openssl' ? r.version : `${LABELS[r.id]} ${r.version}`;
    })
    .join(', ');
}

const USAGE = 'usage: npm run prereqs [-- --install] [-- --platform debian|fedora|macos]';

/** Parses the arguments: { install, platform } or { error }. */
function parseArgs(argv) {
  const options = { install: false, platform: undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--install') options.install = true;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg === '--platform' || arg.startsWith('--platform=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!value || !(value in PLATFORMS))
        return { error: `--platform ${JSON.stringify(value ?? '')} is not one of ${Object.keys(PLATFORMS).join(', ')}` };
      options.platform = value;
    } else return { error: `unknown argument ${JSON.stringify(arg)} (${USAGE})` };
  }
  return options;
}

/**
 * The command: `argv` without node and the script; `host` = { probe, nodePlatform,
 * osRelease, out(line), run({ command, args, env }) -> exit status }. Returns the exit code.
 */
function main(argv, host) {
  const { probe, out } = host;
  const options = parseArgs(argv);
  if (options.error) {
    out(`prereqs: error: ${options.error}`);
    return 2;
  }
  if (options.help) {
    out(USAGE);
    return 0;
  }
  const detected = detectPlatform(host.nodePlatform, host.osRelease);
  const root = probe.uid === 0;
  if (options.install && options.platform && options.platform !== detected.id) {
    out(
      `prereqs: error: --install installs on this machine (${detected.id ?? detected.name}), not on --platform ${options.platform}: leave --platform out`,
    );
    return 2;
  }
  const platform = options.platform ?? detected.id;
  out(
    `platform: ${platform ? `${PLATFORMS[platform].label} (${PLATFORMS[platform].manager})` : `${detected.name} (no install commands for it)`}${options.platform ? ' (--platform)' : ''}`,
  );
  let results = checkPrerequisites(probe);
  for (const line of reportLines(results, platform, root)) out(line);
  const missing = results.filter((r) => !r.ok);
  if (missing.length === 0) {
    out('all present: the integration tests and the proving ground can run');
    return 0;
  }
  const names = missing.map((r) => LABELS[r.id]).join(', ');
  if (!platform) {
    const byName = missing.map((r) =>
      r.id === 'moto' ? `moto (${howToInstall(r, undefined, root, results)})` : SYSTEM.find((s) => s.id === r.id).name,
    );
    out(
      `prereqs: error: no install commands for ${detected.name}: install ${byName.join('; ')} (or give --platform debian|fedora|macos for those commands)`,
    );
    return 2;
  }
  const packages = systemPackages(results, platform);
  const moto = results.find((r) => r.id === 'moto');
  if (!options.install) {
    const commands = [...(packages.length > 0 ? [installCommand(platform, packages, root)] : [])];
    if (moto && !moto.ok) commands.push(howToInstall(moto, platform, root, results));
    out(`missing: ${names}. Install: ${commands.join(' && ')}; or run: npm run prereqs -- --install`);
    return 1;
  }

  // --install: refuse before running anything where it cannot work.
  if (packages.length > 0) {
    if ((platform === 'debian' || platform === 'fedora') && !root) {
      out(
        `prereqs: error: --install needs root for ${PLATFORMS[platform].manager} (running as uid ${probe.uid}): run ${installCommand(platform, packages, false)}, then npm run prereqs -- --install`,
      );
      return 2;
    }
    if (platform === 'macos' && root) {
      out('prereqs: error: Homebrew refuses to run as root: run npm run prereqs -- --install as your own user');
      return 2;
    }
    if (platform === 'macos' && !probe.which('brew')) {
      out(`prereqs: error: brew not found on PATH: install Homebrew (https://brew.sh), then run npm run prereqs -- --install`);
      return 2;
    }
  }
  const steps = [];
  if (platform === 'debian' && packages.length > 0) {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    steps.push({ command: 'apt-get', args: ['update', '-qq'], env });
    steps.push({ command: 'apt-get', args: ['install', '-y', '-qq', '--no-install-recommends', ...packages], env });
  } else if (platform === 'fedora' && packages.length > 0) {
    steps.push({ command: 'dnf', args: ['install', '-y', ...packages], env: {} });
  } else if (platform === 'macos' && packages.length > 0) {
    steps.push({ command: probe.which('brew'), args: ['install', ...packages], env: { NONINTERACTIVE: '1', HOMEBREW_NO_ENV_HINTS: '1' } });
  }
  for (const step of steps) {
    out(`running: ${[step.command, ...step.args].map(quote).join(' ')}`);
    const status = host.run(step);
    if (status !== 0) {
      out(`prereqs: ${step.command} failed (exit ${status}); nothing more installed`);
      return 1;
    }
  }
  if (moto && !moto.ok) {
    // python3 may be new: look again, and ask it whether pip is externally managed (PEP 668).
    const python = checkPrerequisites(probe).find((r) => r.id === 'python3');
    if (!python.ok) {
      out(`prereqs: python3 is still missing (${python.problem}); moto not installed`);
      return 1;
    }
    const step = { command: python.path, args: pipArgs(python.externallyManaged), env: { PIP_DISABLE_PIP_VERSION_CHECK: '1' } };
    out(`running: ${[step.command, ...step.args].map(quote).join(' ')}`);
    const status = host.run(step);
    if (status !== 0) {
      out(`prereqs: pip failed (exit ${status})`);
      return 1;
    }
  }
  out('checking again:');
  results = checkPrerequisites(probe);
  for (const line of reportLines(results, platform, root)) out(line);
  const still = results.filter((r) => !r.ok).map((r) => LABELS[r.id]);
  out(still.length === 0 ? 'all present: the integration tests and the proving ground can run' : `still missing: ${still.join(', ')}`);
  return still.length === 0 ? 0 : 1;
}

/** This machine: its probe, platform and /etc/os-release; commands run with their output shown. */
function systemHost(env = process.env) {
  let osRelease;
  try {
    osRelease = readFileSync('/etc/os-release', 'utf8');
  } catch {
    osRelease = undefined;
  }
  return {
    probe: systemProbe(env),
    nodePlatform: process.platform,
    osRelease,
    out: (line) => process.stdout.write(`${line}\n`),
    run: ({ command, args, env: extra }) => {
      const r = spawnSync(command, args, { stdio: 'inherit', env: { ...env, ...extra } });
      return r.error ? `${r.error.message}` : r.status;
    },
  };
}

module.exports = {
  MOTO_SPEC,
  PLATFORMS,
  SYSTEM,
  parseOsRelease,
  detectPlatform,
  installCommand,
  checkPrerequisites,
  systemPackages,
  reportLines,
  summaryLine,
  main,
  systemHost,
};

if (require.main === module) process.exitCode = main(process.argv.slice(2), systemHost());

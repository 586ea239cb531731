import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from './errors.js';

/**
 * The AWS SDK clients of the commands that call AWS (preflight, drill, ...) are optional peer
 * dependencies of the library: a team that only synthesizes does not install them (about 100 MB,
 * docs/upgrading.md). A command names the clients it needs (`Command.sdkClients`); the CLI checks
 * them before it runs the command and, when one is missing, says in one line what to install.
 */
export function missingSdkClients(names: readonly string[], resolve: (name: string) => string = require.resolve): string[] {
  return names.filter((name) => {
    try {
      resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

/** `npm install --save-dev <client>@<the range the library declares> ...` for the missing clients. */
export function sdkInstallLine(names: readonly string[]): string {
  const peers = libraryManifest()?.peerDependencies ?? {};
  return `npm install --save-dev ${names.map((n) => (peers[n] ? `"${n}@${peers[n]}"` : n)).join(' ')}`;
}

/** The error of a command whose clients are missing (exit 2, one line). */
export function missingSdkError(command: string, missing: readonly string[]): UsageError {
  return new UsageError(
    `${command} calls AWS through ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed (optional dependencies of loadbearing); fix: ${sdkInstallLine(missing)}`,
  );
}

/** The loadbearing package.json this file belongs to (from lib/ops and dist/lib/ops alike). */
export function libraryManifest(): { version?: string; peerDependencies?: Record<string, string> } | undefined {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as {
      name?: string;
      version?: string;
      peerDependencies?: Record<string, string>;
    };
    if (parsed.name === 'loadbearing') return parsed;
  }
  return undefined;
}

import type { HostProbe, PostgresFound } from '../proving-ground/src/local-stack/find-postgres.cjs';

export type PlatformId = 'debian' | 'fedora' | 'macos';
export type PrerequisiteId = 'postgresql' | 'redis-server' | 'haproxy' | 'openssl' | 'python3' | 'moto';

export interface PrerequisiteState {
  readonly id: PrerequisiteId;
  readonly ok: boolean;
  readonly version?: string;
  readonly path?: string;
  /** Why it is not usable (one line). */
  readonly problem?: string;
  /** PostgreSQL: the server found, when its version is outside the supported majors. */
  readonly found?: PostgresFound;
  /** python3 and moto: whether pip is externally managed (PEP 668). */
  readonly externallyManaged?: boolean;
  /** python3: whether it has pip. */
  readonly hasPip?: boolean;
}

export interface Host {
  readonly probe: HostProbe;
  /** process.platform. */
  readonly nodePlatform: string;
  /** The text of /etc/os-release, if there is one. */
  readonly osRelease: string | undefined;
  out(line: string): void;
  /** Runs an install step; its exit status. */
  run(step: { command: string; args: readonly string[]; env: Record<string, string> }): number | string | null;
}

/** The moto pip installs ('moto[server]==x.y.z'). */
export const MOTO_SPEC: string;
export const PLATFORMS: Record<PlatformId, { label: string; manager: string }>;
export const SYSTEM: readonly { id: PrerequisiteId; name: string; packages: Record<PlatformId, string[]> }[];
export function parseOsRelease(text: string | undefined): Record<string, string>;
/** The platform with install commands ('debian', 'fedora', 'macos'), or id undefined, and its name. */
export function detectPlatform(nodePlatform: string, osReleaseText: string | undefined): { id: PlatformId | undefined; name: string };
export function installCommand(platform: PlatformId, packages: readonly string[], root: boolean): string;
export function checkPrerequisites(probe: HostProbe): PrerequisiteState[];
export function systemPackages(results: readonly PrerequisiteState[], platform: PlatformId): string[];
export function reportLines(results: readonly PrerequisiteState[], platform: PlatformId | undefined, root: boolean): string[];
/** One line naming the version of each prerequisite, or that it is missing. */
export function summaryLine(results: readonly PrerequisiteState[]): string;
/** The command (arguments after the script's name); returns the exit code. */
export function main(argv: readonly string[], host: Host): number;
export function systemHost(env?: Readonly<Record<string, string | undefined>>): Host;

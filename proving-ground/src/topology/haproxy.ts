import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { EnvironmentConfig } from 'loadbearing/model';
import { startProcess, waitFor, type ManagedProcess } from '../local-stack/processes';
import { haproxyConfig, type HaproxyServer } from './haproxy-config';

export function haproxyUnavailable(): string | undefined {
  const probe = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  if (!probe.error) return undefined;
  return (probe.error as NodeJS.ErrnoException).code === 'ENOENT'
    ? 'haproxy not found on PATH'
    : `haproxy cannot run (${probe.error.message})`;
}

export interface ServerState {
  readonly name: string;
  /** UP, DOWN, MAINT, DRAIN, NOLB, or a transition such as "UP 1/3". */
  readonly status: string;
}

export interface Haproxy {
  readonly url: string;
  readonly port: number;
  readonly process: ManagedProcess;
  readonly configText: string;
  /** One command on the runtime API; resolves to its answer. */
  command(text: string): Promise<string>;
  servers(): Promise<ServerState[]>;
  stop(): Promise<void>;
}

function socketCommand(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    let out = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error(`no answer from the HAProxy runtime API to "${text}"`)));
    socket.on('connect', () => socket.end(`${text}\n`));
    socket.on('data', (chunk) => (out += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
  });
}

/** HAProxy in the foreground on a loopback port, configured from `config`; checks the configuration first. */
export async function startHaproxy(config: EnvironmentConfig, port: number, servers: readonly HaproxyServer[]): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'lb-haproxy-'));
  const statsSocket = join(dir, 'admin.sock');
  const configText = haproxyConfig(config, { port, servers, statsSocket });
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, configText);
  const check = spawnSync('haproxy', ['-c', '-q', '-f', file], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the generated HAProxy configuration is invalid: ${(check.stderr || check.stdout).trim()}`);
  }
  const p = startProcess('haproxy', ['-db', '-f', file]);
  const command = (text: string) => socketCommand(statsSocket, text);
  const haproxy: Haproxy = {
    url: `http://127.0.0.1:${port}`,
    port,
    process: p,
    configText,
    command,
    async servers() {
      const csv = await command('show stat');
      const lines = csv
        .split('\n')
        .filter((l) => l.startsWith('fleet,') && !l.startsWith('fleet,BACKEND') && !l.startsWith('fleet,FRONTEND'));
      const header = csv.split('\n')[0].replace(/^# /, '').split(',');
      const statusAt = header.indexOf('status');
      return lines.map((l) => {
        const cells = l.split(',');
        return { name: cells[1], status: cells[statusAt] };
      });
    },
    async stop() {
      await p.stop('SIGTERM', 3_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(
      'HAProxy',
      async () => {
        if (!p.running()) throw new Error(`exited: ${p.output()}`);
        return (await command('show info')).includes('Name: HAProxy');
      },
      10_000,
      () => p.output(),
    );
  } catch (error) {
    await haproxy.stop();
    throw error;
  }
  return haproxy;
}

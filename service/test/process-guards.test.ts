import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const FIXTURE = join(__dirname, 'fixtures', 'escaping-server.ts');
const TSX = join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
});

/** Starts the fixture; resolves with its port and a reader of everything it wrote. */
async function start(...args: string[]): Promise<{ port: number; output: () => string; exited: Promise<number | null> }> {
  child = spawn(process.execPath, [TSX, FIXTURE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  while (!/PORT (\d+)/.test(out)) {
    if (Date.now() > deadline) throw new Error(`the fixture did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port: Number(/PORT (\d+)/.exec(out)![1]), output: () => out, exited };
}

describe('an error that escapes every handler', () => {
  it('is logged, and the process keeps serving', async () => {
    const { port, output } = await start();
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`http://127.0.0.1:${port}/escape`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    }
    expect(child!.exitCode).toBeNull();
    const logged = (err: string) =>
      output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.err === err && l.level === 50).length;
    await expect.poll(() => logged('thrown outside the request')).toBe(3);
    await expect.poll(() => logged('rejected with nobody listening')).toBe(3);
  });

  it('would have ended the process without the guards (the fixture is honest)', async () => {
    const { port, exited } = await start('unguarded');
    await fetch(`http://127.0.0.1:${port}/escape`).catch(() => undefined);
    expect(await exited).not.toBe(0);
  });
});

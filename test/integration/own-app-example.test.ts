import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorBody } from '@loadbearing/contract';
import { appEnvironment } from '../../lib/model/app-environment';
import { environmentConfig } from '../../proving-ground/src/local-stack/service-stack';
import { freePort, startProcess, type ManagedProcess } from '../../proving-ground/src/local-stack/processes';
import { serviceNodePath } from '../../proving-ground/src/local-stack/service-node';
import { docExamples } from '../support/doc-examples';
import { TEST_ENDPOINTS } from '../../service/test/endpoints';

/**
 * The worked example of docs/runtime-contract.md ("A worked example: your own app"), taken from
 * the page and run on the fleet's Node.js with the app.env the platform writes for dev: it
 * answers its paths in the one error shape, publishes the contract's metrics, refuses a bad
 * app.env in one line, and drains on SIGTERM. (The consumer test ships and proves it.)
 */
const ROOT = join(__dirname, '..', '..');
let dir: string;
let port: number;
let app: ManagedProcess;
const examples = docExamples('docs/runtime-contract.md');

function env(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const config = environmentConfig('dev');
  const appEnv = appEnvironment(config, TEST_ENDPOINTS, { port, runtime: 'local', insecure: true, metricsFlushMs: 200 });
  return { PATH: process.env.PATH, ...appEnv, ...overrides };
}

function start(e: NodeJS.ProcessEnv): ManagedProcess {
  return startProcess(serviceNodePath(), ['server.js'], { cwd: dir, env: e });
}

async function waitUp(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the example did not answer: ${app.output()}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loadbearing-own-app-'));
  for (const name of ['my-app/package.json', 'my-app/server.js']) {
    const text = examples.get(name);
    if (!text) throw new Error(`docs/runtime-contract.md has no example ${name}`);
    writeFileSync(join(dir, name.split('/')[1]!), text);
  }
  // The contract as the app's dependency: the built package (npm install puts it there for a team).
  mkdirSync(join(dir, 'node_modules', '@loadbearing'), { recursive: true });
  symlinkSync(join(ROOT, 'contract'), join(dir, 'node_modules', '@loadbearing', 'contract'));
  port = await freePort();
  app = start(env());
  await waitUp();
});

afterAll(async () => {
  await app?.stop('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the worked example app of docs/runtime-contract.md', () => {
  it('answers the health path and its route, and every error in the one error shape', async () => {
    const get = async (path: string, init?: RequestInit) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`, init);
      return { status: r.status, body: await r.json() };
    };
    expect(await get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await get('/hello')).body).toMatchObject({ hello: 'world' });
    const missing = await get('/nope');
    expect(missing.status).toBe(404);
    expect(isErrorBody(missing.body)).toBe(true);
    const post = await get('/hello', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(isErrorBody(post.body)).toBe(true);
  });

  it("publishes the contract's metrics in EMF: the requests it served, by [Stack]", async () => {
    await new Promise((r) => setTimeout(r, 500));
    const docs = app
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{"_aws"'))
      .map(
        (l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] } },
      );
    expect(docs.length).toBeGreaterThan(0);
    expect(docs[0]!._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Loadbearing/App', Dimensions: [['Stack']] });
    expect(docs[0]!.Stack).toBe('loadbearing-dev');
    expect(docs.reduce((n, d) => n + (d.Requests as number), 0)).toBeGreaterThanOrEqual(4);
  });

  it('refuses a bad app.env with one line naming the variable, and exits 1', async () => {
    const other = await freePort();
    const bad = start(env({ APP_PORT: String(other), APP_REQUEST_TIMEOUT_MS: 'soon' }));
    const code = await bad.exited;
    expect(code).toBe(1);
    expect(bad.output().trim()).toMatch(/^my-app: APP_REQUEST_TIMEOUT_MS is "soon", which .+$/);
    expect(bad.output().trim().split('\n')).toHaveLength(1);
  });

  it('drains on SIGTERM: exits 0 with a last metrics document', async () => {
    await app.stop('SIGTERM', 10_000);
    expect(app.child.exitCode).toBe(0);
    expect(app.output().trim().split('\n').at(-1)).toMatch(/^\{"_aws"/);
  });
});

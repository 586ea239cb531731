import { parseAppEnv } from '@loadbearing/contract';
import { describe, expect, it } from 'vitest';
import { appEnvironment } from '../../lib/model/app-environment';
import { builtinEnvironments } from '../../lib/model/config/load-config';
import { Database } from '../src/db';
import { Deadline } from '../src/deadline';
import { createLogger } from '../src/log';
import { AppMetrics as Metrics } from '@loadbearing/contract';
import type { Secrets } from '../src/secrets';

// Lag-aware routing with stand-in pools: which pool answers a read, and why, from the lag samples
// alone (the real-process proof is test/integration/service/freshness.test.ts).
const dev = builtinEnvironments().find((e) => e.name === 'dev')!;
const endpoints = {
  dbWriterHost: 'writer.local',
  dbReaderHosts: ['r1.local'],
  dbPort: 5432,
  dbReaderPort: 5432,
  dbUser: 'lb_app',
  dbSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:app-AbCdEf',
  dbMigrationUser: 'lb_admin',
  dbMigrationSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:master-AbCdEf',
  dbIamAuth: false,
  cacheHost: 'cache.local',
  cacheReaderHost: 'cache.local',
  cachePort: 6379,
  cacheAuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:cache-AbCdEf',
  freshnessParameterPath: '/x/freshness/',
};

type Handler = (text: string, values: unknown[]) => unknown[];

/** A pool whose clients answer with `handler`'s rows (or throw what it throws). */
function fakePool(handler: Handler, counter: { n: number }) {
  const client = {
    query: async (q: { text: string; values: unknown[] }) => {
      counter.n++;
      return { rows: handler(q.text, q.values) };
    },
    release: () => undefined,
    on: () => undefined,
    removeListener: () => undefined,
  };
  return { connect: async () => client, options: { max: 5 }, totalCount: 0, end: async () => undefined, on: () => undefined };
}

function setup() {
  const env = parseAppEnv({ ...appEnvironment(dev, endpoints), DB_CA_FILE: __filename });
  const metrics = new Metrics('s');
  const db = new Database({
    env,
    secrets: { get: async () => ({ password: 'p' }), invalidate: () => undefined } as unknown as Secrets,
    metrics,
    log: createLogger('s'),
  });
  const state = { writerLsn: '0/100', replayLsn: '0/100', replayMs: null as number | null, writerFails: false };
  const calls = { writer: { n: 0 }, replica: { n: 0 } };
  (db.writer as { pool: unknown }).pool = fakePool((text) => {
    if (text.includes('pg_current_wal_lsn')) {
      if (state.writerFails) throw Object.assign(new Error('timeout exceeded when trying to connect'), {});
      return [{ lsn: state.writerLsn }];
    }
    return [{ from: 'writer' }];
  }, calls.writer);
  (db.readers[0] as { pool: unknown }).pool = fakePool((text) => {
    if (text.includes('pg_last_wal_replay_lsn'))
      return [{ inRecovery: true, replayLsn: state.replayLsn, replayMs: state.replayMs, behindBytes: null }];
    return [{ from: 'replica' }];
  }, calls.replica);
  return { db, metrics, state, calls };
}

const read = (db: Database, maxAgeMs: number, fenceLsn?: bigint) =>
  db.read<{ from: string }>('SELECT 1', [], Deadline.after(1000), { maxAgeMs, fenceLsn });

describe('lag-aware routing', () => {
  it('no sample yet: the writer answers (reason lag); a caught-up replica then answers, with its data dated by the sample', async () => {
    const { db, metrics } = setup();
    const first = await read(db, 30_000);
    expect(first.result.rows[0].from).toBe('writer');
    expect(first.source.reason).toBe('lag');
    expect(metrics.counter('ReplicaLagFallbacks')).toBe(1);
    const before = Date.now();
    await db.sampleLag(Deadline.after(1000));
    const second = await read(db, 30_000);
    expect(second.result.rows[0].from).toBe('replica');
    expect(second.source.asOf).toBeGreaterThanOrEqual(before);
    expect(second.source.lsn).toBe(0x100n);
    await db.close();
  });

  it('a replica behind the writer is used only while its data is younger than the bound; its replay timestamp dates it', async () => {
    const { db, metrics, state } = setup();
    await db.sampleLag(Deadline.after(1000));
    // The writer moves on; the replica does not: it stays as of the first sample, and ages.
    state.writerLsn = '0/200';
    await db.sampleLag(Deadline.after(1000));
    expect(db.lagReport()['reader-1'].behindBytes).toBe(0x100);
    await new Promise((r) => setTimeout(r, 40));
    expect((await read(db, 30)).result.rows[0].from).toBe('writer');
    expect(metrics.counter('ReplicaLagFallbacks')).toBe(1);
    expect((await read(db, 30_000)).result.rows[0].from).toBe('replica');
    // It replays a transaction committed just now (still behind the writer's position): as of then.
    state.replayLsn = '0/180';
    state.replayMs = Date.now();
    await db.sampleLag(Deadline.after(1000));
    expect((await read(db, 30)).result.rows[0].from).toBe('replica');
    await db.close();
  });

  it('a fence the replica has not replayed sends the read to the writer (reason fence), and the source carries the fence', async () => {
    const { db, metrics } = setup();
    await db.sampleLag(Deadline.after(1000));
    expect((await read(db, 30_000, 0x100n)).result.rows[0].from).toBe('replica');
    const fenced = await read(db, 30_000, 0x101n);
    expect(fenced.result.rows[0].from).toBe('writer');
    expect(fenced.source).toMatchObject({ reason: 'fence', lsn: 0x101n });
    expect(metrics.counter('ReplicaFenceFallbacks')).toBe(1);
    await db.close();
  });

  it('a failed writer sample keeps the last one, which ages with the clock (a saturated writer pool does not move every read)', async () => {
    const { db, state } = setup();
    await db.sampleLag(Deadline.after(1000));
    state.writerFails = true;
    await db.sampleLag(Deadline.after(1000));
    expect((await read(db, 30_000)).result.rows[0].from).toBe('replica');
    await new Promise((r) => setTimeout(r, 60));
    // 60 ms later the same sample is too old for a 50 ms bound.
    expect((await read(db, 50)).result.rows[0].from).toBe('writer');
    await db.close();
  });

  it('a read that allows no staleness goes to the writer and is not counted as a fallback', async () => {
    const { db, metrics } = setup();
    await db.sampleLag(Deadline.after(1000));
    const r = await read(db, 0);
    expect(r.result.rows[0].from).toBe('writer');
    expect(r.source.reason).toBeUndefined();
    expect(metrics.counter('ReplicaLagFallbacks') + metrics.counter('ReplicaFenceFallbacks') + metrics.counter('ReplicaFallbacks')).toBe(0);
    await db.close();
  });
});

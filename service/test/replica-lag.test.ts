import { describe, expect, it } from 'vitest';
import { entryAnswers, fenceText, parseFence } from '../src/items';
import { formatLsn, parseLsn, replicaAgeMs, replicaLag } from '../src/replica-lag';

describe('WAL positions', () => {
  it('parses X/Y into one 64-bit number and back; anything else is undefined', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0')).toBe(1n << 32n);
    expect(formatLsn(parseLsn('A/FF') as bigint)).toBe('A/FF');
    for (const bad of ['', '16B3748', '0/', 'G/1', '1/2/3', '123456789/0', null, 7]) expect(parseLsn(bad)).toBeUndefined();
  });

  it('fences compare as strings exactly as positions compare (the cache keeps the higher one)', () => {
    const positions = [0n, 1n, 0xffn, 1n << 32n, (1n << 32n) + 5n, 0xabcdef0123n];
    for (const a of positions) for (const b of positions) expect(fenceText(a) < fenceText(b)).toBe(a < b);
    expect(fenceText(undefined) > fenceText(0xffffffffffffffffn)).toBe(true);
    expect(parseFence(fenceText(0x1234n))).toBe(0x1234n);
    expect(parseFence(null)).toBeUndefined();
    // An older release's marker, or a position that could not be read: the writer only.
    expect(parseFence('1')).toBe('unknown');
    expect(parseFence('unknown')).toBe('unknown');
  });
});

describe('replicaLag: the moment a replica is as of', () => {
  const history = [
    { lsn: 100n, at: 1_000 },
    { lsn: 200n, at: 2_000 },
    { lsn: 300n, at: 3_000 },
  ];

  it('caught up with the newest writer position: as of that sample (an idle writer does not make it lag)', () => {
    const lag = replicaLag(history, { inRecovery: true, replayLsn: 300n, replayTimestampMs: -60_000, at: 3_100 });
    expect(lag).toMatchObject({ asOf: 3_000, lagSeconds: 0.1, behindBytes: 0 });
  });

  it('behind: the later of the newest writer position it replayed and its replay timestamp', () => {
    expect(replicaLag(history, { inRecovery: true, replayLsn: 250n, at: 3_100 })).toMatchObject({ asOf: 2_000, behindBytes: 50 });
    expect(replicaLag(history, { inRecovery: true, replayLsn: 250n, replayTimestampMs: 2_500, at: 3_100 })).toMatchObject({
      asOf: 2_500,
      lagSeconds: 0.6,
    });
    // Replay paused: the replay timestamp stays, so the lag grows with the clock.
    expect(replicaLag(history, { inRecovery: true, replayLsn: 150n, replayTimestampMs: 1_200, at: 33_000 })?.lagSeconds).toBe(31.8);
  });

  it('behind, with nothing to date it by (no replayed transaction, older than the history): unknown, never used', () => {
    const lag = replicaLag(history, { inRecovery: true, replayLsn: 50n, at: 3_100 });
    expect(lag?.asOf).toBe(0);
    expect(replicaAgeMs(lag, 3_200)).toBe(Number.POSITIVE_INFINITY);
    expect(replicaAgeMs(replicaLag(history, { inRecovery: true, at: 3_100 }), 3_200)).toBe(Number.POSITIVE_INFINITY);
    expect(replicaAgeMs(undefined, 3_200)).toBe(Number.POSITIVE_INFINITY);
  });

  it('a host that is not in recovery is the writer itself: no lag', () => {
    expect(replicaLag(history, { inRecovery: false, at: 3_100 })).toMatchObject({ asOf: 3_100, replayLsn: 300n, lagSeconds: 0 });
  });

  it('the age used for routing grows with the time since the sample, never less than the lag it had', () => {
    const lag = replicaLag(history, { inRecovery: true, replayLsn: 300n, at: 3_100 });
    expect(replicaAgeMs(lag, 3_100)).toBe(100);
    expect(replicaAgeMs(lag, 4_000)).toBe(1_000);
  });
});

describe('entryAnswers: a cached value answers only within the bounds', () => {
  const policy = { maxAgeMs: 30_000 };
  const entry = { l: '0/100', a: 10_000, f: 12_000 };

  it('answers while its data is within the age bound, not after (the TTL is only an upper bound)', () => {
    expect(entryAnswers(entry, undefined, policy, 40_000, false)).toBe(true);
    expect(entryAnswers(entry, undefined, policy, 40_001, false)).toBe(false);
  });

  it('does not answer when it lacks the fenced write, or under an unknown fence', () => {
    expect(entryAnswers(entry, 0x100n, policy, 12_000, false)).toBe(true);
    expect(entryAnswers(entry, 0x101n, policy, 12_000, false)).toBe(false);
    expect(entryAnswers(entry, 'unknown', policy, 12_000, false)).toBe(false);
  });

  it('revalidating (Cache-Control: no-cache): only an entry filled within the floor answers', () => {
    expect(entryAnswers(entry, undefined, policy, 12_900, true)).toBe(true);
    expect(entryAnswers(entry, undefined, policy, 13_100, true)).toBe(false);
  });
});

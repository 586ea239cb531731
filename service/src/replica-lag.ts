/**
 * Replica lag as the service measures it: positions in the write-ahead log (LSNs) and the time
 * the data on a replica is "as of" (every commit before that moment is visible there).
 *
 * PostgreSQL functions used (all work on RDS PostgreSQL read replicas):
 * - on the writer, `pg_current_wal_lsn()` (sampled) and `pg_current_wal_insert_lsn()` (a write fence);
 * - on a replica, `pg_last_wal_replay_lsn()`, `pg_last_xact_replay_timestamp()`, and
 *   `pg_wal_lsn_diff()` for the bytes it is behind.
 * https://www.postgresql.org/docs/current/functions-admin.html (recovery information, backup control)
 * `now() - pg_last_xact_replay_timestamp()` alone would grow on an idle writer (nothing to replay)
 * and is NULL until a transaction has been replayed, so the positions come first.
 */

/** An LSN (`X/Y`, two hex numbers of up to 32 bits) as one 64-bit number; undefined when malformed. */
export function parseLsn(text: unknown): bigint | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!m) return undefined;
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** One sample of the writer's WAL position, at a local time (ms since the epoch). */
export interface WriterPosition {
  readonly lsn: bigint;
  readonly at: number;
}

/** What one replica answered. */
export interface ReplicaReading {
  /** `pg_is_in_recovery()`: false when the "replica" is the writer itself (no replicas configured). */
  readonly inRecovery: boolean;
  readonly replayLsn?: bigint;
  /** `pg_last_xact_replay_timestamp()` in ms since the epoch; undefined until a transaction was replayed. */
  readonly replayTimestampMs?: number;
  /** Local time the reading was taken. */
  readonly at: number;
}

/** A replica's state after a sample. */
export interface ReplicaLag {
  /** Every commit before this local time (ms) is visible on the replica; 0: unknown (never use it). */
  readonly asOf: number;
  /** Its replay position (the writer's position when it is the writer itself). */
  readonly replayLsn: bigint;
  /** Seconds behind at the moment of the sample. */
  readonly lagSeconds: number;
  /** Bytes of WAL it had still to replay (pg_wal_lsn_diff against the writer's sample). */
  readonly behindBytes: number;
  readonly sampledAt: number;
}

/**
 * The moment a replica's data is as of, from the writer's recent positions (newest last) and the
 * replica's reading taken after the newest of them:
 * - it has replayed the newest writer position: as of that sample's time;
 * - otherwise the later of the replay timestamp (the commit time of the last transaction it
 *   replayed) and the time of the newest writer position it has replayed;
 * - neither known: 0 (unknown: reads go elsewhere).
 * A replica that is not in recovery is the writer: as of the reading itself.
 */
export function replicaLag(history: readonly WriterPosition[], reading: ReplicaReading): ReplicaLag | undefined {
  const newest = history[history.length - 1];
  if (!newest) return undefined;
  if (!reading.inRecovery) {
    return { asOf: reading.at, replayLsn: newest.lsn, lagSeconds: 0, behindBytes: 0, sampledAt: reading.at };
  }
  const replay = reading.replayLsn;
  if (replay === undefined)
    return { asOf: 0, replayLsn: 0n, lagSeconds: Number.POSITIVE_INFINITY, behindBytes: Number.NaN, sampledAt: reading.at };
  const behindBytes = newest.lsn > replay ? Number(newest.lsn - replay) : 0;
  let asOf = 0;
  if (replay >= newest.lsn) asOf = newest.at;
  else {
    for (let i = history.length - 1; i >= 0; i--) {
      if (history[i].lsn <= replay) {
        asOf = history[i].at;
        break;
      }
    }
    if (reading.replayTimestampMs !== undefined) asOf = Math.max(asOf, Math.min(reading.replayTimestampMs, reading.at));
  }
  const lagSeconds = asOf > 0 ? Math.max(0, reading.at - asOf) / 1000 : Number.POSITIVE_INFINITY;
  return { asOf, replayLsn: replay, lagSeconds, behindBytes, sampledAt: reading.at };
}

/**
 * Why a read went to the writer pool instead of a replica:
 * - `down`: no replica is up;
 * - `lag`: every replica that is up lags more than the read may;
 * - `fence`: a replica is fresh enough, but has not replayed the write fence of the data read.
 */
export type WriterReason = 'down' | 'lag' | 'fence';

/** The age a replica's data may have at `now` (ms): its lag at the sample plus the time since. */
export function replicaAgeMs(lag: ReplicaLag | undefined, now: number): number {
  return lag && lag.asOf > 0 ? now - lag.asOf : Number.POSITIVE_INFINITY;
}

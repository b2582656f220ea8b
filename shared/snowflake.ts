// Snowflake ids: 64-bit, time-ordered, generated without coordination between processes.
//
//   bits 63-22  milliseconds since SNOWFLAKE_EPOCH_MS (bit 63 stays 0: ids are < 2^63 so they fit a
//               signed Postgres bigint, which leaves 41 usable bits, about 69 years)
//   bits 21-17  datacenter id (0-31)
//   bits 16-12  worker id (0-31)
//   bits 11-0   sequence within the millisecond (0-4095)
//
// Ids travel as decimal strings because JSON numbers lose precision above 2^53.

/** 2024-01-01T00:00:00Z: a recent epoch keeps ids short and pushes timestamp overflow to ~2093. */
export const SNOWFLAKE_EPOCH_MS = 1704067200000;

const EPOCH = BigInt(SNOWFLAKE_EPOCH_MS);
const TIMESTAMP_SHIFT = 22n;
const DATACENTER_SHIFT = 17n;
const WORKER_SHIFT = 12n;
const MAX_NODE_ID = 31;
const MAX_SEQUENCE = 4095;
const MAX_ID = (1n << 63n) - 1n;
/** Largest timestamp (ms since the epoch) that keeps the id below 2^63. */
const MAX_TIMESTAMP = Number(MAX_ID >> TIMESTAMP_SHIFT);

function checkNodeId(field: 'datacenterId' | 'workerId', value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_NODE_ID) {
    throw new RangeError(`snowflake: ${field} must be an integer from 0 to ${MAX_NODE_ID}, got ${value}`);
  }
}

/** Issues ids for one (datacenter, worker) pair; two live generators must never share a pair. */
export class SnowflakeGenerator {
  readonly #datacenterId: number;
  readonly #workerId: number;
  readonly #clock: () => number;
  /** Timestamp (ms since the epoch) of the last id; may run ahead of the clock after it steps back. */
  #lastTimestamp = -1;
  #sequence = 0;

  constructor(opts: { datacenterId: number; workerId: number; clock?: () => number }) {
    checkNodeId('datacenterId', opts.datacenterId);
    checkNodeId('workerId', opts.workerId);
    this.#datacenterId = opts.datacenterId;
    this.#workerId = opts.workerId;
    this.#clock = opts.clock ?? Date.now;
  }

  /** The next id in its wire form. */
  next(): string {
    return this.nextBigInt().toString();
  }

  /** The next id; strictly greater than every id this generator issued before. */
  nextBigInt(): bigint {
    const now = this.#now();
    if (now > this.#lastTimestamp) {
      this.#lastTimestamp = now;
      this.#sequence = 0;
    } else if (this.#sequence < MAX_SEQUENCE) {
      // Same millisecond, or the clock stepped back (NTP correction, VM resume): keep issuing from the
      // last timestamp so ids stay increasing instead of failing or repeating.
      this.#sequence += 1;
    } else {
      this.#lastTimestamp = this.#nextMillisecond(now);
      this.#sequence = 0;
    }
    if (this.#lastTimestamp > MAX_TIMESTAMP) {
      throw new RangeError('snowflake: timestamp no longer fits in 63 bits (past the year 2093)');
    }
    return (
      (BigInt(this.#lastTimestamp) << TIMESTAMP_SHIFT) |
      (BigInt(this.#datacenterId) << DATACENTER_SHIFT) |
      (BigInt(this.#workerId) << WORKER_SHIFT) |
      BigInt(this.#sequence)
    );
  }

  /** The timestamp to use once the sequence of the last millisecond is used up. */
  #nextMillisecond(now: number): number {
    for (;;) {
      // The clock is behind the logical timestamp (it stepped back): waiting for it to catch up could
      // stall the process for as long as the step (an hour for a bad NTP jump), so borrow the next
      // millisecond instead. The logical clock then runs ahead of the wall clock until it catches up.
      if (now < this.#lastTimestamp) return this.#lastTimestamp + 1;
      if (now > this.#lastTimestamp) return now;
      // 4096 ids in this millisecond: spin until the next one, which is at most a millisecond away.
      now = this.#now();
    }
  }

  #now(): number {
    const ms = this.#clock();
    if (!Number.isFinite(ms)) throw new RangeError(`snowflake: clock returned ${ms}`);
    const sinceEpoch = Math.floor(ms) - SNOWFLAKE_EPOCH_MS;
    // Before the first id there is no logical time to fall back on, and a timestamp before the
    // epoch cannot be encoded: the host clock is wrong, so refuse rather than issue bogus ids.
    if (sinceEpoch < 0 && this.#lastTimestamp < 0) {
      throw new RangeError(`snowflake: clock ${ms} is before the epoch ${SNOWFLAKE_EPOCH_MS}`);
    }
    return sinceEpoch;
  }
}

/** The fields of an id; `createdAt` is unix seconds, the unit the API uses for timestamps. */
export interface DecodedSnowflake {
  timestampMs: number;
  createdAt: number;
  datacenterId: number;
  workerId: number;
  sequence: number;
}

/** Whether a client-supplied value is a well-formed id (checked before it reaches a bigint column). */
export function isSnowflake(value: string): boolean {
  // typeof guards callers that pass unvalidated JSON despite the signature.
  if (typeof value !== 'string' || !/^[0-9]{1,20}$/.test(value)) return false;
  return BigInt(value) <= MAX_ID;
}

/** Splits an id into its fields; throws on anything that is not an id so bad input is not misread. */
export function decodeSnowflake(id: string | bigint): DecodedSnowflake {
  let value: bigint;
  if (typeof id === 'bigint') {
    if (id < 0n || id > MAX_ID) throw new RangeError(`snowflake: ${id} is outside 0 to 2^63-1`);
    value = id;
  } else {
    if (!isSnowflake(id)) throw new TypeError(`snowflake: ${JSON.stringify(id)} is not a snowflake id`);
    value = BigInt(id);
  }
  const timestampMs = Number((value >> TIMESTAMP_SHIFT) + EPOCH);
  return {
    timestampMs,
    createdAt: Math.floor(timestampMs / 1000),
    datacenterId: Number((value >> DATACENTER_SHIFT) & 31n),
    workerId: Number((value >> WORKER_SHIFT) & 31n),
    sequence: Number(value & 4095n),
  };
}

/** The smallest id at unix time `ms`, a boundary for `before`/`after` pagination by time. */
export function snowflakeFromTimestamp(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new RangeError(`snowflake: timestamp ${ms} is not an integer`);
  const sinceEpoch = ms - SNOWFLAKE_EPOCH_MS;
  if (sinceEpoch < 0 || sinceEpoch > MAX_TIMESTAMP) {
    throw new RangeError(`snowflake: timestamp ${ms} is outside the range an id can encode`);
  }
  return (BigInt(sinceEpoch) << TIMESTAMP_SHIFT).toString();
}

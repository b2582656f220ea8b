import {
  SNOWFLAKE_EPOCH_MS,
  SnowflakeGenerator,
  decodeSnowflake,
  isSnowflake,
  snowflakeFromTimestamp,
} from '../../shared/snowflake.js';

const EPOCH = 1704067200000n;
const T = Date.UTC(2025, 5, 15, 12, 30, 45, 678); // a fixed instant well after the epoch

const fixed = (ms: number) => () => ms;
const timestampOf = (id: bigint) => id >> 22n;
const datacenterOf = (id: bigint) => (id >> 17n) & 31n;
const workerOf = (id: bigint) => (id >> 12n) & 31n;
const sequenceOf = (id: bigint) => id & 4095n;

/** A clock that returns the scripted value for each call, and fails loudly instead of hanging. */
function scriptedClock(valueForCall: (call: number) => number, maxCalls: number) {
  const state = { calls: 0 };
  const clock = () => {
    state.calls += 1;
    if (state.calls > maxCalls) throw new Error(`clock called more than ${maxCalls} times`);
    return valueForCall(state.calls);
  };
  return { clock, state };
}

function expectStrictlyIncreasing(ids: bigint[]): void {
  for (let i = 1; i < ids.length; i++) {
    if (!(ids[i]! > ids[i - 1]!)) {
      throw new Error(`id #${i} ${ids[i]} is not greater than id #${i - 1} ${ids[i - 1]}`);
    }
  }
}

describe('SNOWFLAKE_EPOCH_MS', () => {
  it('is 2024-01-01T00:00:00Z', () => {
    expect(SNOWFLAKE_EPOCH_MS).toBe(Date.UTC(2024, 0, 1));
    expect(BigInt(SNOWFLAKE_EPOCH_MS)).toBe(EPOCH);
  });
});

describe('SnowflakeGenerator bit layout', () => {
  it('puts timestamp, datacenter, worker and sequence in their bits', () => {
    const gen = new SnowflakeGenerator({ datacenterId: 21, workerId: 10, clock: fixed(T) });
    const first = gen.nextBigInt();
    const second = gen.nextBigInt();

    expect(timestampOf(first)).toBe(BigInt(T) - EPOCH);
    expect(datacenterOf(first)).toBe(21n);
    expect(workerOf(first)).toBe(10n);
    expect(sequenceOf(first)).toBe(0n);
    expect(first >> 63n).toBe(0n);
    expect(first).toBe(((BigInt(T) - EPOCH) << 22n) | (21n << 17n) | (10n << 12n));

    expect(timestampOf(second)).toBe(BigInt(T) - EPOCH);
    expect(sequenceOf(second)).toBe(1n);
    expect(second - first).toBe(1n);
  });

  it('uses the full width of each field', () => {
    const gen = new SnowflakeGenerator({ datacenterId: 31, workerId: 0, clock: fixed(T) });
    const id = gen.nextBigInt();
    expect(datacenterOf(id)).toBe(31n);
    expect(workerOf(id)).toBe(0n);

    const other = new SnowflakeGenerator({ datacenterId: 0, workerId: 31, clock: fixed(T) }).nextBigInt();
    expect(datacenterOf(other)).toBe(0n);
    expect(workerOf(other)).toBe(31n);
  });

  it('serializes ids as decimal strings of the same value', () => {
    const a = new SnowflakeGenerator({ datacenterId: 3, workerId: 4, clock: fixed(T) });
    const b = new SnowflakeGenerator({ datacenterId: 3, workerId: 4, clock: fixed(T) });
    const asString = a.next();
    expect(asString).toMatch(/^[1-9][0-9]*$/);
    expect(asString).toBe(b.nextBigInt().toString());
  });
});

describe('epoch', () => {
  it('gives timestamp 0 to an id made at the epoch', () => {
    const gen = new SnowflakeGenerator({ datacenterId: 0, workerId: 0, clock: fixed(SNOWFLAKE_EPOCH_MS) });
    const id = gen.nextBigInt();
    expect(timestampOf(id)).toBe(0n);
    expect(id).toBe(0n);
    const decoded = decodeSnowflake(id);
    expect(decoded.timestampMs).toBe(SNOWFLAKE_EPOCH_MS);
    expect(decoded.createdAt).toBe(1704067200);
  });

  it('decodes createdAt and timestampMs that agree with the clock', () => {
    const gen = new SnowflakeGenerator({ datacenterId: 5, workerId: 6, clock: fixed(T) });
    const decoded = decodeSnowflake(gen.next());
    expect(decoded.timestampMs).toBe(T);
    expect(decoded.createdAt).toBe(Math.floor(T / 1000));
    expect(decoded.createdAt).toBe(1749990645);
  });

  it('refuses to issue ids when the clock starts before the epoch', () => {
    const gen = new SnowflakeGenerator({
      datacenterId: 0,
      workerId: 0,
      clock: fixed(SNOWFLAKE_EPOCH_MS - 1),
    });
    expect(() => gen.next()).toThrow(RangeError);
  });
});

describe('decodeSnowflake', () => {
  it('decodes the spec example 123456789012345678', () => {
    const raw = 123456789012345678n;
    const expected = {
      timestampMs: Number((raw >> 22n) + 1704067200000n),
      createdAt: Math.floor(Number((raw >> 22n) + 1704067200000n) / 1000),
      datacenterId: Number((raw >> 17n) & 31n),
      workerId: Number((raw >> 12n) & 31n),
      sequence: Number(raw & 4095n),
    };
    // The same values worked out by hand, so a shared mistake in the formula above cannot hide.
    expect(expected).toEqual({
      timestampMs: 1733501592216,
      createdAt: 1733501592,
      datacenterId: 24,
      workerId: 15,
      sequence: 846,
    });
    expect(decodeSnowflake('123456789012345678')).toEqual(expected);
    expect(decodeSnowflake(raw)).toEqual(expected);
  });

  it('round-trips what the generator encoded', () => {
    const gen = new SnowflakeGenerator({ datacenterId: 17, workerId: 9, clock: fixed(T) });
    gen.next();
    gen.next();
    expect(decodeSnowflake(gen.next())).toEqual({
      timestampMs: T,
      createdAt: Math.floor(T / 1000),
      datacenterId: 17,
      workerId: 9,
      sequence: 2,
    });
  });

  it('accepts the largest id, 2^63 - 1', () => {
    const max = decodeSnowflake('9223372036854775807');
    expect(max.datacenterId).toBe(31);
    expect(max.workerId).toBe(31);
    expect(max.sequence).toBe(4095);
    expect(max.timestampMs).toBe(2 ** 41 - 1 + SNOWFLAKE_EPOCH_MS);
  });

  it.each([
    '',
    '-1',
    '+1',
    '1.5',
    '1e5',
    '0x10',
    '12a',
    'abc',
    ' 1',
    '1 ',
    '9223372036854775808', // 2^63
    '18446744073709551615', // 2^64 - 1
    '123456789012345678901', // 21 digits
  ])('rejects the string %j', (bad) => {
    expect(() => decodeSnowflake(bad)).toThrow(/not a snowflake id/);
  });

  it('rejects bigints outside 0 to 2^63 - 1', () => {
    expect(() => decodeSnowflake(-1n)).toThrow(RangeError);
    expect(() => decodeSnowflake(1n << 63n)).toThrow(RangeError);
    expect(decodeSnowflake((1n << 63n) - 1n).sequence).toBe(4095);
  });
});

describe('isSnowflake', () => {
  it.each(['0', '1', '123456789012345678', '9223372036854775807', '09223372036854775807'])(
    'accepts %j',
    (good) => {
      expect(isSnowflake(good)).toBe(true);
    },
  );

  it.each([
    '',
    '-1',
    '1.0',
    ' 1',
    '1\n',
    '１',
    '9223372036854775808',
    '123456789012345678901',
    '009223372036854775807',
  ])('rejects %j', (bad) => {
    expect(isSnowflake(bad)).toBe(false);
  });
});

describe('monotonicity', () => {
  it('issues 100k strictly increasing, unique ids on the real clock', () => {
    const gen = new SnowflakeGenerator({ datacenterId: 1, workerId: 2 });
    const ids: bigint[] = [];
    for (let i = 0; i < 100_000; i++) ids.push(BigInt(gen.next()));
    expectStrictlyIncreasing(ids);
    expect(new Set(ids).size).toBe(100_000);
    const first = decodeSnowflake(ids[0]!).timestampMs;
    expect(Math.abs(first - Date.now())).toBeLessThan(60_000);
  });
});

describe('sequence rollover', () => {
  it('waits for the next millisecond after 4096 ids in one', () => {
    const N = 5000; // the clock shows T for N calls, then T + 1
    const { clock, state } = scriptedClock((call) => (call <= N ? T : T + 1), 10 * N);
    const gen = new SnowflakeGenerator({ datacenterId: 2, workerId: 3, clock });

    const ids: bigint[] = [];
    for (let i = 0; i < 4096; i++) ids.push(gen.nextBigInt());
    expect(ids.map((id) => Number(sequenceOf(id)))).toEqual([...Array(4096).keys()]);
    expect(ids.every((id) => timestampOf(id) === BigInt(T) - EPOCH)).toBe(true);
    expect(state.calls).toBeLessThan(N);

    const id4097 = gen.nextBigInt();
    expect(timestampOf(id4097)).toBe(BigInt(T + 1) - EPOCH);
    expect(sequenceOf(id4097)).toBe(0n);
    // It kept reading the clock until the clock moved on rather than inventing a timestamp.
    expect(state.calls).toBeGreaterThan(N);
    expect(id4097).toBeGreaterThan(ids[4095]!);

    const id4098 = gen.nextBigInt();
    expect(timestampOf(id4098)).toBe(BigInt(T + 1) - EPOCH);
    expect(sequenceOf(id4098)).toBe(1n);
  });

  it('stays increasing across many rollovers', () => {
    // Each millisecond lasts 10k clock reads, so every millisecond fills its 4096 ids and spins.
    const { clock } = scriptedClock((call) => T + Math.floor(call / 10_000), 10_000_000);
    const gen = new SnowflakeGenerator({ datacenterId: 0, workerId: 0, clock });
    const ids: bigint[] = [];
    for (let i = 0; i < 20_000; i++) ids.push(gen.nextBigInt());
    expectStrictlyIncreasing(ids);
    const perMs = new Map<bigint, number>();
    for (const id of ids) perMs.set(timestampOf(id), (perMs.get(timestampOf(id)) ?? 0) + 1);
    expect(Math.max(...perMs.values())).toBe(4096);
    expect(perMs.size).toBe(5);
  });
});

describe('clock going back', () => {
  it('keeps ids increasing and does not stall when the clock jumps back an hour', () => {
    const HOUR = 3_600_000;
    const BEHIND_CALLS = 10_000; // more than 4096, so the sequence overflows while the clock is behind
    // Calls 1-3 read T, the next BEHIND_CALLS read an hour earlier, then the clock reads T + 50.
    const { clock, state } = scriptedClock(
      (call) => (call <= 3 ? T : call <= 3 + BEHIND_CALLS ? T - HOUR : T + 50),
      // One read per id: any waiting for the clock to catch up would exceed this and throw.
      3 + BEHIND_CALLS + 10,
    );
    const gen = new SnowflakeGenerator({ datacenterId: 4, workerId: 5, clock });

    const ids: bigint[] = [];
    for (let i = 0; i < 3 + BEHIND_CALLS; i++) ids.push(gen.nextBigInt());
    expect(state.calls).toBe(3 + BEHIND_CALLS);
    expectStrictlyIncreasing(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const behind = ids.slice(3);
    // Issued from the logical clock: never before T, advanced by 1 ms per 4096 ids.
    expect(behind.every((id) => timestampOf(id) >= BigInt(T) - EPOCH)).toBe(true);
    expect(timestampOf(behind[0]!)).toBe(BigInt(T) - EPOCH);
    expect(sequenceOf(behind[0]!)).toBe(3n);
    expect(timestampOf(behind.at(-1)!)).toBe(BigInt(T + 2) - EPOCH);

    // Once the clock is ahead of the logical timestamp again, ids follow the clock.
    const after = gen.nextBigInt();
    expect(after).toBeGreaterThan(ids.at(-1)!);
    expect(timestampOf(after)).toBe(BigInt(T + 50) - EPOCH);
    expect(sequenceOf(after)).toBe(0n);
  });

  it('borrows the next millisecond when the clock steps back while waiting for a rollover', () => {
    const { clock } = scriptedClock((call) => (call <= 4097 ? T : T - 1000), 10_000);
    const gen = new SnowflakeGenerator({ datacenterId: 0, workerId: 1, clock });
    let last = 0n;
    for (let i = 0; i < 4096; i++) last = gen.nextBigInt();
    const next = gen.nextBigInt();
    expect(next).toBeGreaterThan(last);
    expect(timestampOf(next)).toBe(BigInt(T + 1) - EPOCH);
    expect(sequenceOf(next)).toBe(0n);
  });

  it('survives a clock that goes back before the epoch after ids were issued', () => {
    const { clock } = scriptedClock((call) => (call === 1 ? T : 0), 100);
    const gen = new SnowflakeGenerator({ datacenterId: 0, workerId: 0, clock });
    const a = gen.nextBigInt();
    const b = gen.nextBigInt();
    expect(b).toBe(a + 1n);
  });
});

describe('datacenter and worker ids', () => {
  it('never collide between distinct pairs on the same clock', () => {
    const ids = new Set<string>();
    let issued = 0;
    for (let datacenterId = 0; datacenterId < 32; datacenterId++) {
      for (let workerId = 0; workerId < 32; workerId++) {
        const gen = new SnowflakeGenerator({ datacenterId, workerId, clock: fixed(T) });
        for (let i = 0; i < 50; i++) {
          const id = gen.next();
          ids.add(id);
          issued++;
          const decoded = decodeSnowflake(id);
          if (decoded.datacenterId !== datacenterId || decoded.workerId !== workerId) {
            throw new Error(`${id} decodes to ${decoded.datacenterId}/${decoded.workerId}`);
          }
        }
      }
    }
    expect(issued).toBe(32 * 32 * 50);
    expect(ids.size).toBe(issued);
  });

  it.each([32, -1, 1.5, NaN, Infinity])('rejects datacenterId %p', (bad) => {
    expect(() => new SnowflakeGenerator({ datacenterId: bad, workerId: 0 })).toThrow(RangeError);
    expect(() => new SnowflakeGenerator({ datacenterId: bad, workerId: 0 })).toThrow(/datacenterId/);
  });

  it.each([32, -1, 1.5, NaN, Infinity])('rejects workerId %p', (bad) => {
    expect(() => new SnowflakeGenerator({ datacenterId: 0, workerId: bad })).toThrow(RangeError);
    expect(() => new SnowflakeGenerator({ datacenterId: 0, workerId: bad })).toThrow(/workerId/);
  });

  it('accepts the bounds 0 and 31', () => {
    expect(() => new SnowflakeGenerator({ datacenterId: 0, workerId: 31 })).not.toThrow();
    expect(() => new SnowflakeGenerator({ datacenterId: 31, workerId: 0 })).not.toThrow();
  });
});

describe('snowflakeFromTimestamp', () => {
  it('is the smallest id at that millisecond', () => {
    const boundary = BigInt(snowflakeFromTimestamp(T));
    expect(boundary).toBe((BigInt(T) - EPOCH) << 22n);
    expect(decodeSnowflake(boundary)).toEqual({
      timestampMs: T,
      createdAt: Math.floor(T / 1000),
      datacenterId: 0,
      workerId: 0,
      sequence: 0,
    });

    // Every id issued at T is >= the boundary; the largest id of T - 1 is below it.
    const atT = new SnowflakeGenerator({ datacenterId: 0, workerId: 0, clock: fixed(T) }).nextBigInt();
    expect(atT).toBe(boundary);
    const before = new SnowflakeGenerator({ datacenterId: 31, workerId: 31, clock: fixed(T - 1) });
    let largestBefore = 0n;
    for (let i = 0; i < 4096; i++) largestBefore = before.nextBigInt();
    expect(sequenceOf(largestBefore)).toBe(4095n);
    expect(largestBefore).toBe(boundary - 1n);
  });

  it('maps the epoch to "0"', () => {
    expect(snowflakeFromTimestamp(SNOWFLAKE_EPOCH_MS)).toBe('0');
  });

  it.each([SNOWFLAKE_EPOCH_MS - 1, T + 0.5, NaN, Infinity, SNOWFLAKE_EPOCH_MS + 2 ** 41])(
    'rejects %p',
    (bad) => {
      expect(() => snowflakeFromTimestamp(bad)).toThrow(RangeError);
    },
  );
});

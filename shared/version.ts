// Plexichat version strings: [stage].[major].[minor]-[build], e.g. a.1.0-1.
// stage: a (alpha) < b (beta) < c (candidate) < r (release); major >= 1, minor >= 0, build >= 1.

/** The running version; clients and peers compare against it, so it must always parse. */
export const PLEXICHAT_VERSION = 'a.1.0-1';

/** The REST/gateway protocol version (the /api/v1 prefix); changes only on breaking API changes. */
export const API_VERSION = 1;

/** A parsed version; compare these rather than strings, where "a.1.10-1" < "a.1.9-1". */
export interface Version {
  stage: 'a' | 'b' | 'c' | 'r';
  major: number;
  minor: number;
  build: number;
}

const STAGE_RANK: Record<Version['stage'], number> = { a: 0, b: 1, c: 2, r: 3 };

function isStage(s: string): s is Version['stage'] {
  return Object.hasOwn(STAGE_RANK, s);
}

function parseField(version: string, name: string, raw: string, min: number): number {
  const fail = (why: string): never => {
    throw new Error(`invalid version ${JSON.stringify(version)}: ${name} ${JSON.stringify(raw)} ${why}`);
  };
  if (!/^[0-9]+$/.test(raw)) fail('is not a decimal number');
  if (raw.length > 1 && raw.startsWith('0')) fail('has a leading zero');
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) fail('is too large');
  if (n < min) fail(`must be at least ${min}`);
  return n;
}

/** Parses a version string; the error names the string and the offending part for config/log readers. */
export function parseVersion(s: string): Version {
  // typeof guards callers that pass unvalidated JSON despite the signature.
  if (typeof s !== 'string') throw new Error(`invalid version ${String(s)}: not a string`);
  const m = /^([^.]*)\.([^.]*)\.([^-]*)-(.*)$/s.exec(s);
  if (!m) {
    throw new Error(`invalid version ${JSON.stringify(s)}: expected [stage].[major].[minor]-[build]`);
  }
  const [, stage = '', major = '', minor = '', build = ''] = m;
  if (!isStage(stage)) {
    throw new Error(
      `invalid version ${JSON.stringify(s)}: stage ${JSON.stringify(stage)} is not a, b, c or r`,
    );
  }
  return {
    stage,
    major: parseField(s, 'major', major, 1),
    minor: parseField(s, 'minor', minor, 0),
    build: parseField(s, 'build', build, 1),
  };
}

/** Whether `s` is a well-formed version, for validating input without try/catch. */
export function isVersion(s: string): boolean {
  try {
    parseVersion(s);
    return true;
  } catch {
    return false;
  }
}

/** Renders a version, refusing one that would not parse back so no bad string leaves the process. */
export function formatVersion(v: Version): string {
  const s = `${v.stage}.${v.major}.${v.minor}-${v.build}`;
  parseVersion(s);
  return s;
}

function toVersion(v: string | Version): Version {
  // Objects go through a format/parse round trip so hand-built invalid ones are rejected, not ordered.
  return parseVersion(typeof v === 'string' ? v : formatVersion(v));
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Orders versions by stage, then major, minor and build, numerically (usable as a sort comparator). */
export function compareVersions(a: string | Version, b: string | Version): -1 | 0 | 1 {
  const x = toVersion(a);
  const y = toVersion(b);
  return sign(
    STAGE_RANK[x.stage] - STAGE_RANK[y.stage] || x.major - y.major || x.minor - y.minor || x.build - y.build,
  );
}

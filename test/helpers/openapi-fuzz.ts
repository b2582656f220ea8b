import fc from 'fast-check';

/**
 * fast-check arbitraries for requests to any operation of an OpenAPI 3.0 document (as
 * GET /api/v1/openapi.json serves it): values drawn from each parameter's and body's schema, with
 * malformed IDs, wrong types, missing and extra fields, NUL bytes, huge and deeply nested bodies,
 * broken encodings mixed in. test/api/fuzz.test.ts sends them to every operation.
 */

type Json = Record<string, unknown>;

/** One OpenAPI operation, as the fuzzer needs it. */
export interface FuzzOperation {
  method: string;
  /** OpenAPI template, e.g. `/channels/{channel_id}`. */
  path: string;
  operation: Json;
}

/** How the body is sent. */
export type FuzzBody =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'raw'; contentType: string; text: string; encoding?: 'gzip' | 'deflate' }
  | { kind: 'multipart'; fields: [string, string][]; file: boolean }
  | { kind: 'form'; fields: [string, string][] };

/** A generated request: the path with its parameters filled in, the query string and the body. */
export interface FuzzRequest {
  path: string;
  query: string;
  body: FuzzBody;
}

/** Real values to mix in, by parameter or property name, so requests also get past the 404s. */
export type KnownValues = Record<string, string[]>;

/** IDs just past a signed bigint: what a schema without a range check lets through to Postgres. */
const OUT_OF_RANGE_IDS = ['9999999999999999999', '9223372036854775808', '18446744073709551615'];

/** Other things that are not IDs. */
const BAD_IDS = [
  '99999999999999999999999999',
  '-1',
  '1.5',
  '1e3',
  ' 1',
  '0x10',
  '０１',
  'null',
  '@me',
  '%ZZ',
  '%00',
  '%',
  '..',
  'a'.repeat(300),
];

/** Strings that break naive handling: NUL, lone surrogates, control and format characters, SQL and path tricks. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\u202e\u200b',
  "'; DROP TABLE users; --",
  '../../etc/passwd',
  '%s%n%x',
  '{{7*7}}',
  '<script>alert(1)</script>',
  'x'.repeat(5000),
  '9999999999999999999',
  '-0',
  'NaN',
  'true',
  // Loopback only: no generated value may make the server reach another address.
  'http://127.0.0.1:9/fuzz',
];

/** An ID-shaped value, out of range more often than not: the bug class this fuzz exists for. */
const anyId = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...OUT_OF_RANGE_IDS) },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_IDS) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 70n) - 1n }).map(String) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );

/** A real value when there is one, as often as a malformed one (which is all there is otherwise). */
function idFor(name: string, known: KnownValues): fc.Arbitrary<string> {
  const real = known[name];
  return real && real.length > 0 ? fc.oneof(fc.constantFrom(...real), anyId()) : anyId();
}

function isIdSchema(schema: Json): boolean {
  return typeof schema.pattern === 'string' && schema.pattern.startsWith('^\\d{1,19}');
}

function resolve(schema: unknown, components: Json): Json {
  let node = (schema ?? {}) as Json;
  for (let hops = 0; typeof node.$ref === 'string' && hops < 10; hops++) {
    const name = node.$ref.split('/').pop() as string;
    node = ((components.schemas as Json | undefined)?.[name] ?? {}) as Json;
  }
  return node;
}

/** A value that matches `schema` most of the time (the fuzz must reach handlers, not only joi). */
export function valueFor(
  rawSchema: unknown,
  components: Json,
  known: KnownValues,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  const schema = resolve(rawSchema, components);
  const nullable = schema.nullable === true ? [fc.constant(null)] : [];
  if (depth > 6) return fc.constantFrom<unknown>(null, 'deep', 1);
  if (Array.isArray(schema.anyOf) && schema.anyOf.length > 0) {
    return fc.oneof(
      ...(schema.anyOf as unknown[]).map((s) => valueFor(s, components, known, name, depth + 1)),
      ...nullable,
    );
  }
  if (Array.isArray(schema.enum) && schema.enum.length > 0)
    return fc.constantFrom(...(schema.enum as unknown[]));
  switch (schema.type) {
    case 'string': {
      if (isIdSchema(schema)) return fc.oneof(idFor(name, known), ...nullable);
      if (/url|uri|endpoint/i.test(name))
        return fc.constantFrom(
          'http://127.0.0.1:9/fuzz',
          'https://127.0.0.1:9/x',
          'javascript:alert(1)',
          'not a url',
        );
      const maxLength = Math.min(typeof schema.maxLength === 'number' ? schema.maxLength : 40, 40);
      let base: fc.Arbitrary<string> = fc.string({ maxLength });
      if (typeof schema.pattern === 'string') {
        try {
          base = fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= 200);
        } catch {
          // A pattern fast-check cannot generate from: plain strings will do.
        }
      }
      const real = known[name] ?? [];
      return fc.oneof(
        { weight: 4, arbitrary: base },
        { weight: 1, arbitrary: fc.constantFrom(...NASTY_STRINGS, ...real) },
        ...nullable.map((arbitrary) => ({ weight: 1, arbitrary })),
      );
    }
    case 'integer': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1e6;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1e6;
      return fc.oneof(
        fc.integer({
          min: Math.max(min, Number.MIN_SAFE_INTEGER),
          max: Math.min(max, Number.MAX_SAFE_INTEGER),
        }),
        fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, 1e300, -1e300),
        ...nullable,
      );
    }
    case 'number':
      return fc.oneof(fc.double({ noNaN: true }), ...nullable);
    case 'boolean':
      return fc.oneof(fc.boolean(), ...nullable);
    case 'array':
      return fc.oneof(
        fc.array(valueFor(schema.items, components, known, name, depth + 1), { maxLength: 3 }),
        ...nullable,
      );
    case 'object':
    default: {
      const properties = (schema.properties ?? null) as Json | null;
      if (!properties) {
        if (schema.type === 'object') {
          return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
        }
        return fc.jsonValue({ maxDepth: 2 });
      }
      const required = new Set((schema.required ?? []) as string[]);
      const arbs = Object.fromEntries(
        Object.entries(properties).map(([key, sub]) => [
          key,
          valueFor(sub, components, known, key, depth + 1),
        ]),
      );
      return fc.oneof(
        fc.record(arbs, { requiredKeys: Object.keys(arbs).filter((k) => required.has(k)) }),
        ...nullable,
      );
    }
  }
}

/** Ways to spoil a well-formed body: drop, retype or add a field, NUL, a huge value. */
const mutations = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('retype' as const), index: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({
    kind: fc.constant('extra' as const),
    key: fc.string({ maxLength: 10 }),
    value: fc.jsonValue({ maxDepth: 1 }),
  }),
  fc.record({ kind: fc.constant('nul' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('huge' as const), index: fc.nat() }),
);

function mutate(value: unknown, m: MutationOf<typeof mutations>): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const copy = { ...(value as Json) };
  const keys = Object.keys(copy);
  const key = 'index' in m && keys.length > 0 ? (keys[m.index % keys.length] as string) : undefined;
  switch (m.kind) {
    case 'drop':
      if (key) delete copy[key];
      break;
    case 'retype':
      if (key) copy[key] = m.value;
      break;
    case 'extra':
      copy[m.key] = m.value;
      break;
    case 'nul':
      if (key) {
        const old = copy[key];
        copy[key] = `${typeof old === 'string' ? old : 'x'}\u0000`;
      }
      break;
    case 'huge':
      if (key) copy[key] = 'x'.repeat(200_000);
      break;
  }
  return copy;
}

type MutationOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

/** Bodies no route accepts: bare scalars, odd keys. */
const junkJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(
    JSON.parse('{"\\u0000":1,"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}') as unknown,
  ),
);

/**
 * Bytes that are not what their headers say, and huge or deeply nested JSON (as text: fast-check
 * could not print a 5000-level value in its report).
 */
const junkRaw: fc.Arbitrary<FuzzBody> = fc.oneof(
  fc.integer({ min: 50, max: 5000 }).map((depth): FuzzBody => ({
    kind: 'raw',
    contentType: 'application/json',
    text: `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`,
  })),
  fc.constant<FuzzBody>({
    kind: 'raw',
    contentType: 'application/json',
    text: JSON.stringify({ a: Array.from({ length: 10_000 }, (_, i) => i) }),
  }),
  fc
    .constantFrom('{"a":', '{"a":1}}', '\u0000', '[', 'null', '"\\ud800"', '{"a":"\\u0000"}')
    .map((text): FuzzBody => ({ kind: 'raw', contentType: 'application/json', text })),
  fc
    .constantFrom('text/plain', 'application/xml', 'application/json; charset=utf-7', 'multipart/form-data')
    .map((contentType): FuzzBody => ({ kind: 'raw', contentType, text: 'hello' })),
  fc.constantFrom<'gzip' | 'deflate'>('gzip', 'deflate').map((encoding): FuzzBody => ({
    kind: 'raw',
    contentType: 'application/json',
    text: 'not compressed',
    encoding,
  })),
  fc.constant<FuzzBody>({
    kind: 'form',
    fields: Array.from({ length: 1200 }, (_, i): [string, string] => [`p${i}`, 'x']),
  }),
);

function fieldsFor(schema: unknown, components: Json, known: KnownValues): fc.Arbitrary<[string, string][]> {
  return valueFor(schema, components, known).map((v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.entries(v as Json).map(([k, x]): [string, string] => [
          k,
          typeof x === 'string' ? x : JSON.stringify(x),
        ])
      : [],
  );
}

function bodyFor(op: FuzzOperation, components: Json, known: KnownValues): fc.Arbitrary<FuzzBody> {
  const content = ((op.operation.requestBody as Json | undefined)?.content ?? {}) as Record<string, Json>;
  const choices: fc.WeightedArbitrary<FuzzBody>[] = [];
  const json = content['application/json']?.schema;
  if (json) {
    const valid = valueFor(json, components, known);
    choices.push(
      { weight: 4, arbitrary: valid.map((value): FuzzBody => ({ kind: 'json', value })) },
      {
        weight: 3,
        arbitrary: fc
          .tuple(valid, mutations)
          .map(([value, m]): FuzzBody => ({ kind: 'json', value: mutate(value, m) })),
      },
    );
  } else {
    choices.push({ weight: 4, arbitrary: fc.constant<FuzzBody>({ kind: 'none' }) });
  }
  const multipart = content['multipart/form-data']?.schema;
  if (multipart) {
    choices.push({
      weight: 2,
      arbitrary: fc
        .tuple(
          fieldsFor(multipart, components, known),
          fc.boolean(),
          fc.option(fc.integer({ min: 21, max: 60 })),
        )
        .map(([fields, file, many]): FuzzBody => ({
          kind: 'multipart',
          fields: many ? Array.from({ length: many }, (_, i): [string, string] => [`f${i}`, 'x']) : fields,
          file,
        })),
    });
  }
  const form = content['application/x-www-form-urlencoded']?.schema;
  if (form) {
    choices.push({
      weight: 2,
      arbitrary: fieldsFor(form, components, known).map((fields): FuzzBody => ({ kind: 'form', fields })),
    });
  }
  choices.push(
    { weight: 1, arbitrary: junkJson.map((value): FuzzBody => ({ kind: 'json', value })) },
    { weight: 1, arbitrary: junkRaw },
  );
  return fc.oneof(...choices);
}

function queryFor(op: FuzzOperation, components: Json, known: KnownValues): fc.Arbitrary<string> {
  const params = ((op.operation.parameters ?? []) as Json[]).filter((p) => p.in === 'query');
  const entries = params.map((p) =>
    fc
      .option(
        fc.oneof(
          { weight: 3, arbitrary: valueFor(p.schema, components, known, p.name as string) },
          {
            weight: 1,
            arbitrary: fc.oneof(
              fc.constantFrom(...OUT_OF_RANGE_IDS, ...BAD_IDS, ...NASTY_STRINGS),
              fc.string({ maxLength: 12 }),
            ),
          },
        ),
        { nil: undefined },
      )
      .map((v) => [p.name as string, v] as const),
  );
  return fc
    .tuple(
      fc.tuple(...entries),
      fc.option(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), { nil: undefined }),
      fc.constantFrom('', '', '', '&%ZZ=%', '&a[b][c]=1', '&limit=1&limit=2'),
    )
    .map(([values, extra, junk]) => {
      const search = new URLSearchParams();
      for (const [key, value] of values) {
        if (value === undefined) continue;
        search.append(key, typeof value === 'string' ? value : JSON.stringify(value));
      }
      if (extra) search.append(extra[0], extra[1]);
      const text = search.toString() + junk;
      return text ? `?${text}` : '';
    });
}

function pathFor(op: FuzzOperation, known: KnownValues): fc.Arbitrary<string> {
  const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  return fc.tuple(...names.map((n) => idFor(n, known))).map((values) => {
    let path = op.path;
    values.forEach((value, i) => {
      // %-junk goes in as it is (that is the point); everything else is encoded like a client would.
      const segment = value.startsWith('%') ? value : encodeURIComponent(value);
      path = path.replace(`{${names[i] as string}}`, segment);
    });
    return path;
  });
}

/** Requests for one operation. */
export function requestsFor(op: FuzzOperation, doc: Json, known: KnownValues): fc.Arbitrary<FuzzRequest> {
  const components = (doc.components ?? {}) as Json;
  return fc
    .record({
      path: pathFor(op, known),
      query: queryFor(op, components, known),
      body: bodyFor(op, components, known),
    })
    .map((r): FuzzRequest => r);
}

/** Every operation of the document, in document order. */
export function operationsOf(doc: Json): FuzzOperation[] {
  const out: FuzzOperation[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const [method, operation] of Object.entries(item)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method))
        out.push({ method, path, operation: operation as Json });
    }
  }
  return out;
}

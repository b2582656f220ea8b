import fs from 'node:fs';
import path from 'node:path';
import { Sequelize } from 'sequelize';
import { defineModels } from '../../shared/db/models/index.js';
import { ROOT } from '../helpers/processes.js';

/**
 * One write path (issue 15): api/ parses, calls a domain command (shared/domain/) and presents; it
 * never writes a row itself. This scans api/**.ts (but the web client and the admin dashboard,
 * which run in the browser) for Sequelize writes and write SQL and names each file:line found.
 */

/** Folders of api/ that are not the API process's code. */
const NOT_SERVER_CODE = ['api/web-client/', 'api/admin-ui/'];

/** Instance writes of a model row (`row.update(...)`), and what else has such methods. */
const ROW_WRITES = ['save', 'update', 'destroy', 'increment', 'decrement', 'restore'];
const STATIC_WRITES = [...ROW_WRITES, 'create', 'bulkCreate', 'upsert', 'findOrCreate', 'truncate'];
/** Receivers whose update/destroy are not rows: HTTP streams, ciphers and hashes, rate limiters. */
const NOT_ROWS = new Set(['res', 'req', 'stream', 'socket', 'current', 'cipher', 'decipher', 'hash', 'hmac']);

/** Write SQL in a string, and the query types of writes. */
const SQL_WRITE =
  /\b(?:INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|TRUNCATE\s+\w+|QueryTypes\.(?:INSERT|UPDATE|DELETE|BULKUPDATE|BULKDELETE|UPSERT))\b/g;

/** The model names (User, Message...), from the definitions themselves. */
function modelNames(): Set<string> {
  // Defining models needs no connection: nothing is queried.
  const sequelize = new Sequelize('postgres://nobody@127.0.0.1:1/none', { logging: false });
  return new Set(Object.keys(defineModels(sequelize)));
}

/** Comments blanked out (line breaks kept, so offsets still give line numbers); strings kept. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\/|(^|[^:'"`\\])\/\/[^\n]*/g, (match, lead: string | undefined) => {
    const prefix = lead ?? '';
    return prefix + match.slice(prefix.length).replace(/[^\n]/g, ' ');
  });
}

/** The writes in one file's text: `line: what` for each. */
function findWrites(source: string, models: Set<string>): { line: number; what: string }[] {
  const text = withoutComments(source);
  const lineAt = (index: number) => text.slice(0, index).split('\n').length;
  const found: { line: number; what: string }[] = [];
  const call = new RegExp(`([\\w$)\\]]+)\\s*\\??\\.\\s*(${STATIC_WRITES.join('|')})\\s*\\(`, 'g');
  for (const m of text.matchAll(call)) {
    const receiver = m[1] ?? '';
    const method = m[2] ?? '';
    // A chained call (`createHash(...).update(`) is never a row in api/.
    if (receiver.endsWith(')') || receiver.endsWith(']')) continue;
    const isModel = models.has(receiver);
    const isRow = !isModel && ROW_WRITES.includes(method) && !NOT_ROWS.has(receiver);
    if (isModel || isRow) found.push({ line: lineAt(m.index), what: `${receiver}.${method}(` });
  }
  for (const m of text.matchAll(SQL_WRITE)) {
    found.push({ line: lineAt(m.index), what: m[0].replace(/\s+/g, ' ') });
  }
  return found.sort((a, b) => a.line - b.line);
}

function apiFiles(dir = path.join(ROOT, 'api')): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const rel = path.relative(ROOT, full).split(path.sep).join('/');
    if (NOT_SERVER_CODE.some((p) => rel.startsWith(p))) continue;
    if (entry.isDirectory()) out.push(...apiFiles(full));
    else if (entry.name.endsWith('.ts')) out.push(rel);
  }
  return out.sort();
}

describe('one write path', () => {
  const models = modelNames();

  it('api/ writes no rows itself: every write is a domain command in shared/domain/', () => {
    const files = apiFiles();
    expect(files.length).toBeGreaterThan(50);
    const writes = files.flatMap((file) =>
      findWrites(fs.readFileSync(path.join(ROOT, file), 'utf8'), models).map(
        (w) => `${file}:${w.line} ${w.what}`,
      ),
    );
    expect(writes).toEqual([]);
  });

  it('the scan finds model, row and SQL writes, and leaves streams, hashes and comments alone', () => {
    const source = [
      "import crypto from 'node:crypto';",
      'export async function handler(rt, res, stream, row) {',
      '  await rt.models.Message.update({ pinned: true }, { where: {} });',
      '  const { Notification } = rt.models;',
      '  await Notification.destroy({ where: {} });',
      '  await row.save({ transaction });',
      "  await rt.sequelize.query(`UPDATE read_states SET mention_count = 0`, { type: 'x' });",
      "  crypto.createHash('sha256').update('x').digest('hex');",
      '  res.destroy();',
      '  stream.destroy(new Error("gone"));',
      '  // User.create({}) in a comment is no write',
      "  return 'MESSAGE_UPDATE goes to the channel';",
      '}',
    ].join('\n');
    expect(findWrites(source, models)).toEqual([
      { line: 3, what: 'Message.update(' },
      { line: 5, what: 'Notification.destroy(' },
      { line: 6, what: 'row.save(' },
      { line: 7, what: 'UPDATE read_states SET' },
    ]);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';

type Json = Record<string, unknown>;

interface TocEntry {
  id: string;
  label: string;
  children: TocEntry[];
}

interface Section {
  html: string;
  toc: TocEntry[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

/** Escapes text for element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function slugify(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'section'
  );
}

/** Hands out ids that stay unique within one page even when two slugs collide. */
function idAllocator(taken: Iterable<string>): { allocate: (base: string) => string; used: Set<string> } {
  const used = new Set(taken);
  const allocate = (base: string): string => {
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    return id;
  };
  return { allocate, used };
}

// html: false keeps raw HTML in a guide from reaching the page; guides are plain Markdown.
const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

// Headings may carry inline code or emphasis; labels and slugs want only their text.
function plainText(inline: Token | undefined): string {
  const parts = inline?.children ?? [];
  return parts
    .filter((t) => t.type === 'text' || t.type === 'code_inline')
    .map((t) => t.content)
    .join('');
}

function renderGuide(file: string, source: string, allocate: (base: string) => string): Section {
  const tokens: Token[] = md.parse(source, {});
  const guideSlug = slugify(path.basename(file, '.md').replace(/^\d+-/, ''));
  const entry: TocEntry = { id: '', label: guideSlug, children: [] };
  tokens.forEach((token, i) => {
    if (token.type !== 'heading_open' && token.type !== 'heading_close') return;
    const level = Number(token.tag.slice(1));
    // The page owns <h1>, so every guide heading moves down one level.
    token.tag = `h${Math.min(level + 1, 6)}`;
    if (token.type === 'heading_close') return;
    const text = plainText(tokens[i + 1]);
    const id = allocate(level === 1 ? guideSlug : `${guideSlug}-${slugify(text)}`);
    token.attrSet('id', id);
    if (level === 1 && entry.id === '') Object.assign(entry, { id, label: text });
    else if (level === 2) entry.children.push({ id, label: text, children: [] });
  });
  const html = md.renderer.render(tokens, md.options, {});
  // A guide without a title heading still gets a TOC entry, pointing at its section.
  const untitled = entry.id === '';
  if (untitled) entry.id = allocate(guideSlug);
  const idAttr = untitled ? ` id="${escapeHtml(entry.id)}"` : '';
  return { html: `<section class="guide"${idAttr}>${html}</section>`, toc: [entry] };
}

function readGuides(guidesDir: string, allocate: (base: string) => string): Section {
  const files = fs
    .readdirSync(guidesDir)
    .filter((f) => f.endsWith('.md'))
    .sort();
  const parts = files.map((f) => renderGuide(f, fs.readFileSync(path.join(guidesDir, f), 'utf8'), allocate));
  return { html: parts.map((p) => p.html).join('\n'), toc: parts.flatMap((p) => p.toc) };
}

/** Follows local `#/...` references; external ones are left for the reader. */
function resolveRef(doc: Json, value: unknown): unknown {
  const seen = new Set<string>();
  let current = value;
  for (;;) {
    const ref = asString(asObject(current)?.$ref);
    if (!ref?.startsWith('#/') || seen.has(ref)) return current;
    seen.add(ref);
    let target: unknown = doc;
    for (const part of ref.slice(2).split('/')) {
      target = asObject(target)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    if (target === undefined) return current;
    current = target;
  }
}

/** Inlines schema references so a request body shows its fields; a cycle keeps its `$ref`. */
function inlineRefs(doc: Json, value: unknown, trail: string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => inlineRefs(doc, v, trail));
  const obj = asObject(value);
  if (!obj) return value;
  const ref = asString(obj.$ref);
  if (ref !== undefined) {
    if (trail.includes(ref) || trail.length > 20) return obj;
    const target = resolveRef(doc, obj);
    return target === obj ? obj : inlineRefs(doc, target, [...trail, ref]);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, inlineRefs(doc, v, trail)]));
}

function schemaType(schema: unknown): string {
  const obj = asObject(schema);
  if (!obj) return '';
  const ref = asString(obj.$ref);
  if (ref !== undefined) return ref.split('/').pop() ?? ref;
  // 3.0 says `nullable: true`, 3.1 puts "null" in `type`; both read as the guides' `type?`.
  const types = (Array.isArray(obj.type) ? obj.type : [obj.type]).filter((t) => typeof t === 'string');
  const nullable = obj.nullable === true || types.includes('null') ? '?' : '';
  const base = types.filter((t) => t !== 'null').join(' | ');
  if (base === 'array') return `array of ${schemaType(obj.items) || 'any'}${nullable}`;
  // joi alternatives come out as anyOf/oneOf with no `type` of their own.
  const alternatives = obj.anyOf ?? obj.oneOf;
  if (base === '' && Array.isArray(alternatives)) return alternatives.map(schemaType).join(' | ') + nullable;
  const format = asString(obj.format);
  const enumValues = Array.isArray(obj.enum) ? ` (${obj.enum.map((v) => JSON.stringify(v)).join(', ')})` : '';
  return `${base}${nullable}${format ? ` (${format})` : ''}${enumValues}`;
}

function collectParameters(doc: Json, pathItem: Json, operation: Json): Json[] {
  const merged = new Map<string, Json>();
  for (const list of [pathItem.parameters, operation.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const param = asObject(resolveRef(doc, raw));
      if (param) merged.set(`${asString(param.in)}:${asString(param.name)}`, param);
    }
  }
  return [...merged.values()];
}

function parametersHtml(params: Json[]): string {
  if (params.length === 0) return '';
  const rows = params.map((p) => {
    const required = p.required === true || p.in === 'path';
    const cells = [
      `<code>${escapeHtml(asString(p.name) ?? '')}</code>`,
      escapeHtml(asString(p.in) ?? ''),
      required ? 'yes' : 'no',
      escapeHtml(schemaType(p.schema)),
      escapeHtml(asString(p.description) ?? ''),
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return (
    '<h5>Parameters</h5><table><thead><tr><th>name</th><th>in</th><th>required</th><th>type</th>' +
    `<th>description</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

function requestBodyHtml(doc: Json, operation: Json): string {
  const body = asObject(resolveRef(doc, operation.requestBody));
  const content = asObject(body?.content);
  if (!body || !content) return '';
  const required = body.required === true ? ' (required)' : '';
  const blocks = Object.entries(content).map(([mediaType, media]) => {
    const schema = inlineRefs(doc, asObject(media)?.schema ?? {});
    return (
      `<p>Content type <code>${escapeHtml(mediaType)}</code>${required}</p>` +
      `<pre><code>${escapeHtml(JSON.stringify(schema, null, 2))}</code></pre>`
    );
  });
  const description = asString(body.description);
  return `<h5>Request body</h5>${description ? `<p>${escapeHtml(description)}</p>` : ''}${blocks.join('')}`;
}

function responsesHtml(doc: Json, operation: Json): string {
  const responses = asObject(operation.responses);
  if (!responses) return '';
  const rows = Object.entries(responses).map(([status, raw]) => {
    const description = asString(asObject(resolveRef(doc, raw))?.description) ?? '';
    return `<tr><td><code>${escapeHtml(status)}</code></td><td>${escapeHtml(description)}</td></tr>`;
  });
  return (
    '<h5>Responses</h5><table><thead><tr><th>status</th><th>description</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function operationHtml(
  doc: Json,
  id: string,
  method: string,
  route: string,
  pathItem: Json,
  op: Json,
): string {
  const summary = asString(op.summary);
  const description = asString(op.description);
  return [
    `<article class="operation" id="${escapeHtml(id)}">`,
    `<h4><span class="method method-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> `,
    `<code>${escapeHtml(route)}</code></h4>`,
    op.deprecated === true ? '<p class="deprecated">Deprecated.</p>' : '',
    summary ? `<p class="summary">${escapeHtml(summary)}</p>` : '',
    description ? `<p class="description">${escapeHtml(description)}</p>` : '',
    parametersHtml(collectParameters(doc, pathItem, op)),
    requestBodyHtml(doc, op),
    responsesHtml(doc, op),
    '</article>',
  ].join('');
}

function renderReference(doc: Json, allocate: (base: string) => string): Section {
  // Operations are grouped by their first tag, in the order the document declares its tags.
  const groups = new Map<string, { toc: TocEntry[]; html: string[] }>();
  const declared = Array.isArray(doc.tags) ? doc.tags : [];
  for (const tag of declared) {
    const name = asString(asObject(tag)?.name);
    if (name) groups.set(name, { toc: [], html: [] });
  }
  for (const [route, rawItem] of Object.entries(asObject(doc.paths) ?? {})) {
    const pathItem = asObject(resolveRef(doc, rawItem));
    if (!pathItem) continue;
    for (const method of METHODS) {
      const op = asObject(pathItem[method]);
      if (!op) continue;
      const tag = (Array.isArray(op.tags) ? asString(op.tags[0]) : undefined) ?? 'Other';
      const group = groups.get(tag) ?? { toc: [], html: [] };
      groups.set(tag, group);
      const id = allocate(`op-${method}-${slugify(route)}`);
      group.toc.push({ id, label: `${method.toUpperCase()} ${route}`, children: [] });
      group.html.push(operationHtml(doc, id, method, route, pathItem, op));
    }
  }
  const toc: TocEntry[] = [];
  const html: string[] = [];
  for (const [tag, group] of groups) {
    if (group.toc.length === 0) continue;
    const id = allocate(`tag-${slugify(tag)}`);
    toc.push({ id, label: tag, children: group.toc });
    html.push(
      `<section class="tag"><h3 id="${escapeHtml(id)}">${escapeHtml(tag)}</h3>${group.html.join('')}</section>`,
    );
  }
  if (html.length === 0) html.push('<p>The OpenAPI document lists no operations.</p>');
  return { html: html.join('\n'), toc };
}

function tocHtml(entries: TocEntry[]): string {
  if (entries.length === 0) return '';
  const items = entries.map(
    (e) => `<li><a href="#${escapeHtml(e.id)}">${escapeHtml(e.label)}</a>${tocHtml(e.children)}</li>`,
  );
  return `<ul>${items.join('')}</ul>`;
}

/** Returns a page renderer; guides are read once because they only change with a deploy. */
export function createStaticDocsRenderer(guidesDir: string): (openapi: object) => string {
  let guides: { section: Section; ids: Set<string> } | undefined;
  return (openapi) => {
    if (!guides) {
      const { allocate, used } = idAllocator(['guides', 'reference']);
      guides = { section: readGuides(guidesDir, allocate), ids: used };
    }
    const { allocate } = idAllocator(guides.ids);
    const doc = openapi as Json;
    const reference = renderReference(doc, allocate);
    const info = asObject(doc.info);
    const title = asString(info?.title) ?? 'Plexichat API';
    const version = asString(info?.version);
    return [
      '<!doctype html>',
      '<html lang="en"><head><meta charset="utf-8">',
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      `<title>${escapeHtml(title)} documentation</title>`,
      '<link rel="stylesheet" href="/docs/assets/docs.css"></head><body class="static-docs">',
      `<header><h1>${escapeHtml(title)}</h1>`,
      version ? `<p class="version">Version <code>${escapeHtml(version)}</code></p>` : '',
      '<p class="links">Interactive: <a href="/docs">Swagger UI</a> · <a href="/redoc">ReDoc</a> · ',
      '<a href="/api/v1/openapi.json">openapi.json</a></p></header>',
      '<nav class="toc"><h2>Contents</h2><ul>',
      `<li><a href="#guides">Guides</a>${tocHtml(guides.section.toc)}</li>`,
      `<li><a href="#reference">API reference</a>${tocHtml(reference.toc)}</li>`,
      '</ul></nav><main>',
      `<section id="guides"><h2 class="part">Guides</h2>${guides.section.html}</section>`,
      `<section id="reference"><h2 class="part">API reference</h2>${reference.html}</section>`,
      '</main></body></html>',
    ].join('\n');
  };
}

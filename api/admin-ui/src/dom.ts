/** A child of h(): nodes, text (always set as text, never parsed as HTML), or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Attributes of h(): strings and booleans become attributes, `on<event>` functions listeners. */
export type Attrs = Record<string, string | boolean | undefined | ((event: Event) => void)>;

/**
 * Creates an element. Text is only ever assigned as text: report reasons, usernames and notes come
 * from users, and none of them may turn into markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, '');
    else if (typeof value === 'string') el.setAttribute(name, value);
  }
  append(el, ...children);
  return el;
}

/** Appends children (see Child). */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

/** Unix seconds as `2025-01-31 12:34:56 UTC` (the same on every admin's screen), or a dash. */
export function time(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  return `${new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A whole number with thousands separators. */
export function num(value: number): string {
  return value.toLocaleString('en-US');
}

/** A message line (errors in red) that pages put above their content. */
export function notice(text: string, kind: 'error' | 'info' = 'info'): HTMLParagraphElement {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

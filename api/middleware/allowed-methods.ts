/**
 * Which methods a path has routes for, read from an Express 5 router's stack (its own routes and
 * those of the routers mounted in it, e.g. the REST API's under /api/v1). The table is taken once,
 * when `allowedMethods` is called (after everything is mounted); a lookup matches the path with the
 * router's own matchers, so it agrees with the routing (parameters, trailing slash, case).
 */

/** What the lookup needs of a router layer (Express 5's `router` package; not in its typings). */
interface StackLayer {
  /** A route (`router.get(path, …)`): the methods it has handlers for. */
  route?: { methods: Record<string, boolean | undefined> };
  /** A mounted router (`router.use(path, otherRouter)`) has a stack of its own. */
  handle?: { stack?: unknown };
  /** The part of the path the layer matched (a mount: its prefix), or false. */
  match(path: string): { path: string } | false;
}

type Node = { layer: StackLayer; methods: string[] } | { layer: StackLayer; children: Node[] };

/** A route's methods, upper case; GET brings HEAD (Express answers it with the GET handler). */
function routeMethods(methods: Record<string, boolean | undefined>): string[] {
  const own = Object.keys(methods).filter((m) => m !== '_all' && methods[m] === true);
  if (own.includes('get') && !own.includes('head')) own.push('head');
  return own.map((m) => m.toUpperCase());
}

function tableOf(stack: readonly StackLayer[]): Node[] {
  return stack.flatMap((layer): Node[] => {
    if (layer.route) return [{ layer, methods: routeMethods(layer.route.methods) }];
    const nested = layer.handle?.stack;
    if (!Array.isArray(nested)) return [];
    const children = tableOf(nested as StackLayer[]);
    return children.length > 0 ? [{ layer, children }] : [];
  });
}

function collect(nodes: readonly Node[], path: string, into: Set<string>): void {
  for (const node of nodes) {
    const matched = node.layer.match(path);
    if (matched === false) continue;
    if ('methods' in node) {
      for (const method of node.methods) into.add(method);
      continue;
    }
    // What a mounted router sees: the path without the mount's prefix, starting with a slash.
    const rest = path.slice(matched.path.length);
    collect(node.children, rest.startsWith('/') ? rest : `/${rest}`, into);
  }
}

/**
 * The methods routed at a path of `router` (an Express app's `app.router`), sorted; empty for a
 * path no route matches.
 */
export function allowedMethods(router: { stack: unknown[] }): (path: string) => string[] {
  const table = tableOf(router.stack as StackLayer[]);
  return (path) => {
    const methods = new Set<string>();
    collect(table, path, methods);
    return [...methods].sort();
  };
}

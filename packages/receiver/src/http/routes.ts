/**
 * A route table: method + path pattern → handler, as µStreamer's http/server.c keeps one. A
 * pattern's `:id` segment takes a camera id (letters, digits, . _ -) and `:seq` digits; HEAD is
 * answered by the GET route (Node sends no body for HEAD).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a handler gets: the request, its parsed URL and the pattern's parameters. */
export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  params: Readonly<Record<string, string>>;
}

/** One row of the table. */
export interface Route {
  method: 'GET';
  /** e.g. '/api/cameras' or '/cameras/:id/frames/:seq.jpg'. */
  path: string;
  handle: (context: RouteContext) => unknown;
}

const PARAMETERS: Record<string, string> = { id: '([A-Za-z0-9._-]+)', seq: '(\\d+)' };

/** Routes compiled for matching, first match wins. */
export class RouteTable {
  readonly #routes: { method: string; pattern: RegExp; names: string[]; handle: Route['handle'] }[];
  /** The methods some route answers, for 405's Allow header. */
  readonly allow: string;

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map(({ method, path, handle }) => {
      const names: string[] = [];
      const source = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_, name: string) => {
        names.push(name);
        return PARAMETERS[name]!;
      });
      return { method, pattern: new RegExp(`^${source}$`), names, handle };
    });
    const methods = new Set(routes.map((r) => r.method));
    this.allow = [...methods, ...(methods.has('GET') ? ['HEAD'] : [])].join(', ');
  }

  /** Whether some route answers `method` (HEAD where GET is). */
  allows(method: string | undefined): boolean {
    const wanted = method === 'HEAD' ? 'GET' : method;
    return this.#routes.some((route) => route.method === wanted);
  }

  /** The handler for `method` and `path` with its parameters bound, or undefined. */
  find(
    method: string | undefined,
    path: string,
  ): ((context: Omit<RouteContext, 'params'>) => unknown) | undefined {
    const wanted = method === 'HEAD' ? 'GET' : method;
    for (const route of this.#routes) {
      if (route.method !== wanted) continue;
      const match = route.pattern.exec(path);
      if (match === null) continue;
      const params = Object.fromEntries(route.names.map((name, i) => [name, match[i + 1]!]));
      return (context) => route.handle({ ...context, params });
    }
    return undefined;
  }
}

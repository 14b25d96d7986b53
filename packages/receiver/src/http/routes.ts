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

/** One row of the table: every route answers GET (and HEAD through it). */
export interface Route {
  /** e.g. '/api/cameras' or '/cameras/:id/frames/:seq.jpg'. */
  path: string;
  handle: (context: RouteContext) => unknown;
}

const PARAMETERS: Record<string, string> = { id: '([A-Za-z0-9._-]+)', seq: '(\\d+)' };

/** Routes compiled for matching, first match wins. */
export class RouteTable {
  /** The methods the table answers, for 405's Allow header. */
  static readonly allow = 'GET, HEAD';
  readonly #routes: { pattern: RegExp; names: string[]; handle: Route['handle'] }[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map(({ path, handle }) => {
      const names: string[] = [];
      const source = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_, name: string) => {
        names.push(name);
        return PARAMETERS[name]!;
      });
      return { pattern: new RegExp(`^${source}$`), names, handle };
    });
  }

  /** Whether the table answers `method`. */
  static allows(method: string | undefined): boolean {
    return method === 'GET' || method === 'HEAD';
  }

  /** The handler for `path` with its parameters bound, or undefined. */
  find(path: string): ((context: Omit<RouteContext, 'params'>) => unknown) | undefined {
    for (const route of this.#routes) {
      const match = route.pattern.exec(path);
      if (match === null) continue;
      const params = Object.fromEntries(route.names.map((name, i) => [name, match[i + 1]!]));
      return (context) => route.handle({ ...context, params });
    }
    return undefined;
  }
}

/**
 * A route table: path pattern → handler, as µStreamer's http/server.c keeps one. A pattern's `:id`
 * segment takes a camera id (letters, digits, . _ -) and `:seq` digits. Every route answers GET,
 * and HEAD through it (Node sends no body for HEAD).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a handler gets: the request, its parsed URL and the pattern's parameters. */
export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  params: Readonly<Record<string, string>>;
}

export type Handler = (context: RouteContext) => unknown;

const PARAMETERS: Record<string, string> = { id: '[A-Za-z0-9._-]+', seq: '\\d+' };

/** Compiles `routes` (e.g. '/cameras/:id/frames/:seq.jpg' → handler); first match wins. */
export function routeTable(routes: Readonly<Record<string, Handler>>) {
  const compiled = Object.entries(routes).map(([path, handle]) => {
    const source = path
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/:(\w+)/g, (_, name: string) => `(?<${name}>${PARAMETERS[name]})`);
    return { pattern: new RegExp(`^${source}$`), handle };
  });
  /** The handler for `path` with its parameters, or undefined. */
  return (path: string): { handle: Handler; params: Record<string, string> } | undefined => {
    for (const { pattern, handle } of compiled) {
      const match = pattern.exec(path);
      if (match !== null) return { handle, params: { ...match.groups } };
    }
    return undefined;
  };
}

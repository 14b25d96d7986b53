/** `udpcam area` for tests: start it on a free port, and check capture_area.json files. */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { type CliProcess, REPO_ROOT, startCli } from './cli.js';

/** Starts `udpcam area --http 0 ...args` and resolves once its page is served, with the page's URL. */
export async function startArea(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ cli: CliProcess; url: string }> {
  const cli = startCli(['area', '--http', '0', ...args], env);
  const match = await cli.waitFor(/area page (https?:\/\/\S+\/)/, 20_000);
  return { cli, url: match[1]! };
}

const validate = new Ajv({ allErrors: true, strict: true }).compile(
  JSON.parse(readFileSync(`${REPO_ROOT}packages/cli/schemas/capture_area.schema.json`, 'utf8')),
);

/** Throws unless `value` matches packages/cli/schemas/capture_area.schema.json. */
export function assertSchemaValid(value: unknown): void {
  if (!validate(value)) throw new Error(`not a valid capture area: ${JSON.stringify(validate.errors)}`);
}

/** POSTs `body` as JSON; resolves with the status and the parsed answer. */
export async function postJson(url: string, body: unknown): Promise<{ status: number; answer: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, answer: await response.json() };
}

/** A valid capture area (a skewed quad of a 640x360 source onto 400x300), for an existing --out file. */
export const EXISTING_AREA = {
  selected_rect: [
    [40, 30],
    [600, 20],
    [620, 340],
    [20, 330],
  ],
  visible_rect: [
    [0, 0],
    [400, 0],
    [400, 300],
    [0, 300],
  ],
};

/**
 * `--config FILE` for `udpcam send` and `udpcam receive`: every flag can be set in a JSON file,
 * under its long name (`"packet_size": 1400`, `"status-interval": 2`; `"meta": false` for
 * --no-meta), checked with ajv against @udpcam/cli's schemas/<command>.schema.json. Each value then goes
 * through the flag's own parser, so a file and a command line accept exactly the same values;
 * flags given on the command line win. An error names the file, the field and the value.
 */
import { UdpcamError } from '@udpcam/protocol';
import type { Command, Option } from 'commander';
import { loadConfig } from './config.js';

function optionFor(command: Command, field: string): Option | undefined {
  return command.options.find(
    (option) =>
      !option.hidden && (option.long === `--${field}` || (option.negate && option.long === `--no-${field}`)),
  );
}

/** The value a flag parser makes of a config value (arrays are a repeated flag). */
function parseValue(option: Option, value: unknown): unknown {
  if (option.negate || (!option.required && !option.optional)) return value; // a boolean (schema-checked)
  const parse = option.parseArg;
  if (parse === undefined) return String(value);
  let parsed: unknown;
  for (const item of Array.isArray(value) ? value : [value]) parsed = parse(String(item), parsed);
  return parsed;
}

/**
 * Reads `file` (validated against @udpcam/cli's schemas/<schema>.schema.json) and sets every flag it names that
 * was not given on the command line. Returns the fields in `extras` (not flags) as they are.
 * Throws a one-line UDPCAM_ERR_CONFIG naming file, field and value.
 */
export function applyConfigFile(
  command: Command,
  file: string,
  schema: string,
  /** Fields a config file may set that are not a flag of the same name (handled by the command). */
  extras: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  const config = loadConfig<Record<string, unknown>>(file, schema);
  const rest: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(config)) {
    if (extras.has(field)) {
      rest[field] = value;
      continue;
    }
    const option = optionFor(command, field);
    if (option === undefined) {
      // The schema lists only flags; this is a schema and command out of step.
      throw new UdpcamError('UDPCAM_ERR_CONFIG', `${file}: ${field}: not a flag of udpcam ${command.name()}`);
    }
    const name = option.attributeName();
    if (command.getOptionValueSource(name) === 'cli') continue;
    let parsed: unknown;
    try {
      parsed = parseValue(option, value);
    } catch (error) {
      const reason = (error as Error).message.replace(/^error: /, '');
      throw new UdpcamError(
        'UDPCAM_ERR_CONFIG',
        `${file}: ${field}: ${reason} (got ${JSON.stringify(value)})`,
      );
    }
    command.setOptionValueWithSource(name, parsed, 'config');
  }
  return rest;
}

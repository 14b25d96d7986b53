/**
 * JSON config files, validated against the JSON Schemas in this package's schemas/ with ajv. An error names the
 * file, the field and what was expected, in one line — never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { errnoReason } from '@udpcam/common';
import { UdpcamError } from '@udpcam/protocol';
import { MAX_CONFIG_FILE_BYTES, readRegularFileSync } from '@udpcam/sender';
import { Ajv, type ErrorObject } from 'ajv';

/** This package's schemas/ folder (shipped with it; the repository's configs/ holds examples). */
export const SCHEMA_DIR = new URL('../schemas/', import.meta.url);

// verbose: errors carry the offending value, so a message can say what was found.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true });

/** One ajv error as "field: what was expected". */
export function describeError(error: ErrorObject): string {
  const field = error.instancePath === '' ? '(top level)' : error.instancePath.slice(1).replace(/\//g, '.');
  switch (error.keyword) {
    case 'additionalProperties':
      return `${field}: unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
    case 'required':
      return `${field}: missing field "${(error.params as { missingProperty: string }).missingProperty}"`;
    case 'enum':
      return `${field}: ${JSON.stringify(error.data)} is not one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `${field}: ${JSON.stringify(error.data)} does not match ${(error.params as { pattern: string }).pattern}`;
    default:
      return `${field}: ${error.message}${error.data !== undefined && typeof error.data !== 'object' ? ` (got ${JSON.stringify(error.data)})` : ''}`;
  }
}

/** Reads `file` and validates it against schemas/<schema>.schema.json; throws UDPCAM_ERR_CONFIG. */
export function loadConfig<T>(file: string, schema: string): T {
  let text: string;
  try {
    text = readRegularFileSync(file, MAX_CONFIG_FILE_BYTES).toString('utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new UdpcamError(
      'UDPCAM_ERR_CONFIG',
      `cannot read ${file} (${code === 'ENOTREG' || code === 'EFBIG' ? errnoReason(cause) : code})`,
      { cause },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new UdpcamError('UDPCAM_ERR_CONFIG', `${file} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  return validateConfig<T>(value, schema, file);
}

/**
 * Validates an already parsed value against schemas/<schema>.schema.json; throws
 * UDPCAM_ERR_CONFIG naming `label` (a file name, or what the value came from) and each field.
 */
export function validateConfig<T>(value: unknown, schema: string, label: string): T {
  const id = `${schema}.schema.json`;
  let validate = ajv.getSchema<T>(id);
  if (validate === undefined) {
    ajv.addSchema(JSON.parse(readFileSync(new URL(id, SCHEMA_DIR), 'utf8')), id);
    validate = ajv.getSchema<T>(id)!;
  }
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map(describeError);
    throw new UdpcamError('UDPCAM_ERR_CONFIG', `${label}: ${problems.join('; ')}`);
  }
  return value as T;
}

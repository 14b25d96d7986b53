/**
 * A strict reader for the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): throws on any
 * line that is not a comment or `name{labels} value`, on samples whose family has no HELP and
 * TYPE before them, and on duplicate series.
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition: the families' HELP and TYPE, and every sample. */
export interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
  /** The value of the one sample of `name` whose labels include `labels`; throws if not exactly one. */
  value(name: string, labels?: Record<string, string>): number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'summary', 'histogram', 'untyped']);

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad sample value: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) throw new Error(`bad labels: ${line}`);
    if (match[1]! in labels) throw new Error(`label ${match[1]} twice: ${line}`);
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    if (match[3] === '') break;
  }
  return labels;
}

/** The family a sample belongs to: summaries and histograms add suffixes to their name. */
function familyOf(name: string, type: Map<string, string>): string {
  for (const suffix of ['_sum', '_count', '_bucket']) {
    const family = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && ['summary', 'histogram'].includes(type.get(family) ?? '')) return family;
  }
  return name;
}

/** Parses an exposition; see the file comment for what is checked. */
export function parsePrometheus(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: Sample[] = [];
  const series = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('#')) {
      const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!comment) continue;
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
      const map = kind === 'HELP' ? help : type;
      if (map.has(name)) throw new Error(`${kind} twice for ${name}`);
      if (kind === 'TYPE' && !TYPES.has(rest)) throw new Error(`unknown type: ${line}`);
      if (kind === 'TYPE' && samples.some((s) => familyOf(s.name, type) === name)) {
        throw new Error(`TYPE after samples of ${name}`);
      }
      map.set(name, rest);
      continue;
    }
    if (line.trim() === '') continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const name = match[1]!;
    const family = familyOf(name, type);
    if (!help.has(family) || !type.has(family)) throw new Error(`no HELP and TYPE before ${line}`);
    const labels = parseLabels(match[2] ?? '', line);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`duplicate series: ${line}`);
    series.add(key);
    samples.push({ name, labels, value: parseValue(match[3]!, line) });
  }
  return {
    help,
    type,
    samples,
    value(name, labels = {}) {
      const found = samples.filter(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      );
      if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
      return found[0]!.value;
    },
  };
}

/**
 * Loads `alerts/definitions/trend-rules/*.yaml`. Each file is `{ rules: [ ... ] }`; a rule is the common fields
 * (`alertname`, `type`, `severity`, `targets`, `summary`, `runbook_url`) plus its type's own
 * fields, flat. Validation is ajv in two steps: the common schema (which also fixes `type`), then
 * the common schema merged with the type's schema, with no other property allowed. The first
 * problem is thrown as `RULE_ERR_INVALID`, naming file, rule, field (JSON path), value and
 * expectation. Alertnames are unique across files (they are the alert's identity). `runbook_url`
 * is an http(s) URL or a runbook's repository path, `docs/runbooks/<alertname>.md` (alerts/runbooks.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describeValue } from '../../lib/errors.js';
import { valueAt } from '../../lib/json-pointer.js';
import { RUNBOOK_URL_PATTERN } from '../runbooks.js';
import { RULE_ERR_INVALID, RULE_ERR_UNREADABLE, RuleError } from './errors.js';
import type { RuleSpec } from './rule.js';
import { RULE_TYPES } from './rule-types/index.js';

const COMMON_PROPERTIES = {
  alertname: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
  type: { enum: Object.keys(RULE_TYPES) },
  severity: { enum: ['critical', 'warning', 'info'] },
  targets: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  summary: { type: 'string', minLength: 1 },
  runbook_url: { type: 'string', pattern: RUNBOOK_URL_PATTERN },
} as const;

const COMMON_REQUIRED = ['alertname', 'type', 'severity', 'summary'];

const ajv = new Ajv({ allErrors: false, strict: true });

const fileValidator = ajv.compile({
  type: 'object',
  required: ['rules'],
  additionalProperties: false,
  properties: {
    rules: {
      type: 'array',
      items: { type: 'object', required: COMMON_REQUIRED, properties: COMMON_PROPERTIES },
    },
  },
});

const typeValidators = new Map<string, ValidateFunction>(
  Object.values(RULE_TYPES).map((rt) => {
    const own = rt.schema as { properties: Record<string, unknown>; required?: string[] };
    return [
      rt.type,
      ajv.compile({
        type: 'object',
        required: [...COMMON_REQUIRED, ...(own.required ?? [])],
        additionalProperties: false,
        properties: { ...COMMON_PROPERTIES, ...own.properties },
      }),
    ];
  }),
);

function expectation(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'enum') return `one of ${(params.allowedValues as unknown[]).join(', ')}`;
  if (e.keyword === 'pattern') return `a string matching ${String(params.pattern)}`;
  if (e.keyword === 'additionalProperties') return 'no such property for this rule type';
  if (e.keyword === 'type') return `a value of type ${String(params.type)}`;
  // minimum, exclusiveMaximum, minItems, minLength, ...: "must be < 1" → "a value < 1".
  return (e.message ?? e.keyword)
    .replace(/^must (be|have|NOT have) /, 'a value $1 ')
    .replace(/^a value be /, 'a value ');
}

function ruleName(rule: unknown): string | undefined {
  const name = (rule as { alertname?: unknown } | undefined)?.alertname;
  return typeof name === 'string' ? name : undefined;
}

/** The first ajv error as a RuleError; `base` is the JSON pointer of the validated object. */
function invalid(file: string, doc: unknown, base: string, e: ErrorObject): RuleError {
  let rel = e.instancePath;
  if (e.keyword === 'required') rel += `/${String(e.params.missingProperty)}`;
  if (e.keyword === 'additionalProperties') rel += `/${String(e.params.additionalProperty)}`;
  const path = base + rel;
  const index = /^\/rules\/([0-9]+)/.exec(path)?.[1];
  const name = index === undefined ? undefined : ruleName(valueAt(doc, `/rules/${index}`));
  const where =
    index === undefined ? file : `${file}: rule ${index}${name === undefined ? '' : ` (${name})`}`;
  const problem =
    e.keyword === 'required'
      ? 'is missing; expected it to be present'
      : `is ${describeValue(valueAt(doc, path))}; expected ${expectation(e)}`;
  return new RuleError(RULE_ERR_INVALID, 400, `${where}: field ${path} ${problem}`, {
    field: path,
  });
}

/** Parses and validates one rule file's text. `file` is only used in messages and `source`. */
export function parseRules(text: string, file: string): RuleSpec[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new RuleError(
      RULE_ERR_UNREADABLE,
      400,
      `${file}: not valid YAML (${String(cause).split('\n')[0]})`,
      {
        cause,
      },
    );
  }
  if (!fileValidator(doc))
    throw invalid(file, doc, '', (fileValidator.errors ?? [])[0] as ErrorObject);
  const raws = (doc as { rules: Record<string, unknown>[] }).rules;
  return raws.map((raw, index) => {
    const rt = RULE_TYPES[raw.type as string];
    const validate = typeValidators.get(raw.type as string);
    if (rt === undefined || validate === undefined)
      throw new TypeError('unreachable: type checked');
    if (!validate(raw))
      throw invalid(file, doc, `/rules/${index}`, (validate.errors ?? [])[0] as ErrorObject);
    return {
      alertname: raw.alertname as string,
      type: rt.type,
      severity: raw.severity as RuleSpec['severity'],
      targets: raw.targets as string[] | undefined,
      summary: raw.summary as string,
      runbook_url: raw.runbook_url as string | undefined,
      source: `${file}#${index}`,
      params: rt.parse(raw),
    };
  });
}

/** Loads every `*.yaml` in `dir` (sorted by name); alertnames must be unique across them. */
export function loadRules(dir: string): RuleSpec[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.yaml'))
      .sort();
  } catch (cause) {
    throw new RuleError(RULE_ERR_UNREADABLE, 400, `${dir}: cannot list rule files`, { cause });
  }
  const rules: RuleSpec[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new RuleError(RULE_ERR_UNREADABLE, 400, `${file}: cannot be read`, { cause });
    }
    for (const rule of parseRules(text, file)) {
      const first = seen.get(rule.alertname);
      if (first !== undefined) {
        const index = rule.source.slice(rule.source.lastIndexOf('#') + 1);
        throw new RuleError(
          RULE_ERR_INVALID,
          400,
          `${file}: rule ${index} (${rule.alertname}): field /rules/${index}/alertname is ${JSON.stringify(rule.alertname)}; expected a name not already used by ${first}`,
          { field: `/rules/${index}/alertname` },
        );
      }
      seen.set(rule.alertname, rule.source);
      rules.push(rule);
    }
  }
  return rules;
}

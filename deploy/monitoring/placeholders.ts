/**
 * The placeholders of the definitions: the only per-environment parts of a definition file.
 *
 * - `${name}` inside any string value is replaced by the context's value, as text:
 *   `projects/${project}/topics/alert-ingest`.
 * - A string that is exactly `${name}`, where `name` is numeric (`maxInstances`), becomes that
 *   number; `${name * factor}` (a decimal factor) becomes the product: `thresholdValue:
 *   ${maxInstances * 0.75}`. The product form is allowed only as a whole value.
 * - `${a.b…}` (a name with a dot) is not ours and is kept as written: Cloud Monitoring's
 *   documentation variables (`${resource.label.service_name}`, `${log.extracted_label.event}`).
 *   Monitoring's own `${project}` means the project id, which is what ours gives.
 *
 * Anything else inside `${…}` is a MONITORING_DEFS_ERR_PLACEHOLDER problem. Keys are never
 * substituted. The context itself is checked by `checkMonitoringContext`.
 */

import { ENVIRONMENTS } from '../../lib/config/presets.js';
import { describeValue } from '../../lib/errors.js';
import {
  MONITORING_DEFS_ERR_CONTEXT,
  MONITORING_DEFS_ERR_PLACEHOLDER,
  MonitoringDefinitionError,
} from './errors.js';
import { childPath, fieldName, isRecord, itemPath } from './paths.js';
import type { MonitoringContext } from './types.js';

/** The placeholder names, in the order the docs list them. */
export const PLACEHOLDERS = [
  'project',
  'region',
  'environment',
  'serviceName',
  'maxInstances',
] as const satisfies readonly (keyof MonitoringContext)[];
export type PlaceholderName = (typeof PLACEHOLDERS)[number];

const NUMERIC: ReadonlySet<PlaceholderName> = new Set(['maxInstances']);
const TOKEN = /\$\{([^{}]*)\}/g;
const OURS = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\*\s*([0-9]+(?:\.[0-9]+)?)\s*)?$/;
const FOREIGN = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+$/;
// Products are kept to this many decimals, so 3 x 0.1 is 0.3 and not 0.30000000000000004.
const PRODUCT_DECIMALS = 9;

const LIST = PLACEHOLDERS.map((p) => `\${${p}}`).join(', ');

export interface Substituted {
  readonly value: unknown;
  readonly problems: readonly MonitoringDefinitionError[];
}

function isPlaceholder(name: string): name is PlaceholderName {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

/**
 * `value` with every placeholder of ours replaced from `ctx`, and a problem for each that is not
 * one. `file` names the definition in messages.
 */
export function substitutePlaceholders(
  value: unknown,
  ctx: MonitoringContext,
  file: string,
): Substituted {
  const problems: MonitoringDefinitionError[] = [];
  const bad = (path: string, token: string, expected: string) =>
    problems.push(
      new MonitoringDefinitionError(
        MONITORING_DEFS_ERR_PLACEHOLDER,
        file,
        path,
        `${file}: ${fieldName(path)} has placeholder ${JSON.stringify(token)}; expected ${expected}`,
      ),
    );

  const inString = (text: string, path: string): unknown => {
    const whole = /^\$\{([^{}]*)\}$/.exec(text);
    if (whole !== null) {
      const m = OURS.exec(whole[1] ?? '');
      const name = m?.[1] ?? '';
      if (m !== null && isPlaceholder(name) && NUMERIC.has(name)) {
        const factor = m[2] === undefined ? 1 : Number(m[2]);
        return Number((Number(ctx[name]) * factor).toFixed(PRODUCT_DECIMALS));
      }
    }
    return text.replace(TOKEN, (token, inner: string) => {
      if (FOREIGN.test(inner)) return token;
      const m = OURS.exec(inner);
      const name = m?.[1] ?? '';
      if (m === null || !isPlaceholder(name)) {
        bad(
          path,
          token,
          `one of ${LIST} (or a Cloud Monitoring variable such as \${resource.label.service_name})`,
        );
        return token;
      }
      if (m[2] !== undefined) {
        bad(
          path,
          token,
          NUMERIC.has(name)
            ? `\${${name} * factor} only as a whole value (a number field), not inside text`
            : `\${${name}} alone: only ${[...NUMERIC].map((n) => `\${${n}}`).join(', ')} take a factor`,
        );
        return token;
      }
      return String(ctx[name]);
    });
  };

  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') return inString(v, path);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, itemPath(path, i)));
    if (isRecord(v)) {
      return Object.fromEntries(
        Object.entries(v).map(([k, item]) => [k, walk(item, childPath(path, k))]),
      );
    }
    return v;
  };
  return { value: walk(value, ''), problems };
}

/** What each context value must be, as the APIs and alertIngest need it. */
const CONTEXT_RULES: readonly {
  readonly key: keyof MonitoringContext;
  readonly ok: (v: unknown) => boolean;
  readonly expected: string;
}[] = [
  {
    key: 'project',
    ok: (v) => typeof v === 'string' && /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(v),
    expected: 'a project id: 6 to 30 lowercase letters, digits or hyphens, starting with a letter',
  },
  {
    key: 'region',
    ok: (v) => typeof v === 'string' && /^[a-z]+(?:-[a-z]+)+[0-9]+$/.test(v),
    expected: 'a Cloud Run region such as us-central1',
  },
  {
    key: 'environment',
    ok: (v) => typeof v === 'string' && (ENVIRONMENTS as readonly string[]).includes(v),
    expected: `one of ${ENVIRONMENTS.join(', ')}`,
  },
  {
    key: 'serviceName',
    // Cloud Run's rule, which also fits Monitoring's user label values.
    ok: (v) => typeof v === 'string' && /^[a-z](?:[a-z0-9-]{0,47}[a-z0-9])?$/.test(v),
    expected:
      'a Cloud Run service name: up to 49 lowercase letters, digits or hyphens, starting with a letter, not ending with a hyphen',
  },
  {
    key: 'maxInstances',
    ok: (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1,
    expected: 'an integer of at least 1 (the MAX_INSTANCES of the environment)',
  },
  {
    key: 'runbookBaseUrl',
    ok: (v) => v === undefined || (typeof v === 'string' && /^https?:\/\/[^\s]+$/.test(v)),
    expected: 'an http(s) URL of the published repository root, or nothing',
  },
];

/** The problems of a context, each naming the key, its value and what was expected. */
export function checkMonitoringContext(ctx: MonitoringContext): MonitoringDefinitionError[] {
  return CONTEXT_RULES.filter((r) => !r.ok(ctx[r.key])).map(
    (r) =>
      new MonitoringDefinitionError(
        MONITORING_DEFS_ERR_CONTEXT,
        'context',
        r.key,
        `context: ${r.key} is ${describeValue(ctx[r.key])}; expected ${r.expected}`,
      ),
  );
}

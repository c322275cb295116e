/**
 * A strict proto3 JSON check by reflection over a protobufjs message type: what the Cloud APIs
 * would refuse or, worse, silently drop. proto3-json-serializer (what the client libraries use)
 * is lenient: it accepts unknown fields, unknown enum names, strings for numbers and snake_case
 * keys (gcp-formats.md §9), so a definition is walked here instead, field by field:
 *
 * - keys are the fields' proto3 JSON names (lowerCamelCase); any other key is unknown (with the
 *   camelCase spelling suggested for a snake_case one);
 * - enums are their value names; numbers are refused (a definition says what it means);
 * - `double`/`float` are JSON numbers (or "NaN", "Infinity", "-Infinity"); 32-bit integers are
 *   JSON integers in range; 64-bit integers a safe integer or a decimal string; `bool` true or
 *   false; `string` a string; `bytes` base64;
 * - google.protobuf.Duration is `"<seconds>[.<up to 9 digits>]s"` within ±315,576,000,000 s;
 *   Timestamp is RFC 3339 (`Z` or an offset); the wrappers (BoolValue, ...) are their bare value;
 *   Any is an object with `@type`; Struct, Value, ListValue are any JSON of their shape;
 * - a repeated field is a list, a map field a mapping; `null` is refused everywhere (YAML's empty
 *   value is a mistake, not "the default");
 * - at most one member of a oneof (proto3 `optional` fields' synthetic oneofs aside);
 * - fields marked `REQUIRED` (google.api.field_behavior) are present and not empty;
 * - fields the server sets (`OUTPUT_ONLY`, `IDENTIFIER`, and Monitoring's unmarked
 *   `creationRecord`, `mutationRecord(s)`, `verificationStatus`, `validity`, condition `name`) and
 *   fields marked deprecated are refused.
 *
 * Every problem is a MONITORING_DEFS_ERR_FIELD naming the file, the JSON path, the value and the
 * expectation; the walk goes on after one, so a file's problems come all at once.
 */
import protobuf from 'protobufjs';
import { describeValue } from '../../lib/errors.js';
import { MONITORING_DEFS_ERR_FIELD, MonitoringDefinitionError } from './errors.js';
import { childPath, fieldName, isRecord, itemPath } from './paths.js';

/** Fields Cloud Monitoring assigns or reports that its protos do not mark as output only. */
const SERVER_SET: Readonly<Record<string, readonly string[]>> = {
  '.google.monitoring.v3.AlertPolicy': ['creationRecord', 'mutationRecord', 'validity'],
  '.google.monitoring.v3.AlertPolicy.Condition': ['name'],
  '.google.monitoring.v3.NotificationChannel': [
    'verificationStatus',
    'creationRecord',
    'mutationRecords',
  ],
};

const DURATION = /^(-)?([0-9]+)(?:\.([0-9]{1,9}))?s$/;
const MAX_DURATION_SECONDS = 315_576_000_000;
const TIMESTAMP =
  /^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INT64_TEXT = /^-?[0-9]{1,19}$/;
const UINT64_TEXT = /^[0-9]{1,20}$/;

const INT32_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  int32: [-2_147_483_648, 2_147_483_647],
  sint32: [-2_147_483_648, 2_147_483_647],
  sfixed32: [-2_147_483_648, 2_147_483_647],
  uint32: [0, 4_294_967_295],
  fixed32: [0, 4_294_967_295],
};
const INT64 = new Set(['int64', 'sint64', 'sfixed64']);
const UINT64 = new Set(['uint64', 'fixed64']);

/** The bare JSON type of each wrapper message. */
const WRAPPERS: Readonly<Record<string, string>> = {
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.DoubleValue': 'double',
};

type Problems = MonitoringDefinitionError[];

function behaviours(field: protobuf.Field): string[] {
  const b: unknown = field.options?.['(google.api.field_behavior)'];
  if (typeof b === 'string') return [b];
  return Array.isArray(b) ? b.filter((x): x is string => typeof x === 'string') : [];
}

/** snake_case → lowerCamelCase, as proto3 JSON names fields. */
function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (isRecord(value) && Object.keys(value).length === 0)
  );
}

class Walker {
  readonly problems: Problems = [];
  constructor(readonly file: string) {}

  bad(path: string, what: string, expected: string): void {
    this.problems.push(
      new MonitoringDefinitionError(
        MONITORING_DEFS_ERR_FIELD,
        this.file,
        path,
        `${this.file}: ${fieldName(path)} ${what}; expected ${expected}`,
      ),
    );
  }

  wrong(path: string, value: unknown, expected: string): void {
    this.bad(path, `is ${describeValue(value)}`, expected);
  }

  message(type: protobuf.Type, value: unknown, path: string): void {
    const name = type.fullName;
    if (name === '.google.protobuf.Duration') {
      this.duration(value, path);
      return;
    }
    if (name === '.google.protobuf.Timestamp') {
      this.timestamp(value, path);
      return;
    }
    const wrapped = WRAPPERS[name];
    if (wrapped !== undefined) {
      this.scalar(wrapped, value, path);
      return;
    }
    if (name === '.google.protobuf.Value') return;
    if (name === '.google.protobuf.FieldMask') {
      if (typeof value !== 'string')
        this.wrong(path, value, 'a field mask: comma-separated field paths');
      return;
    }
    if (name === '.google.protobuf.ListValue') {
      if (!Array.isArray(value)) this.wrong(path, value, 'a list');
      return;
    }
    if (!isRecord(value)) {
      this.wrong(path, value, `a mapping (${name.slice(1)})`);
      return;
    }
    if (name === '.google.protobuf.Struct') return;
    if (name === '.google.protobuf.Any') {
      if (typeof value['@type'] !== 'string') {
        this.wrong(childPath(path, '@type'), value['@type'], 'the type URL of the packed message');
      }
      return;
    }

    const serverSet = SERVER_SET[name] ?? [];
    for (const [key, v] of Object.entries(value)) {
      const at = childPath(path, key);
      const field = Object.hasOwn(type.fields, key) ? type.fields[key] : undefined;
      if (field === undefined) {
        this.unknown(type, key, at);
        continue;
      }
      if (v === null) {
        this.wrong(at, v, `${this.expectation(field)}, or the field left out`);
        continue;
      }
      const b = behaviours(field);
      if (b.includes('OUTPUT_ONLY') || b.includes('IDENTIFIER') || serverSet.includes(key)) {
        this.bad(at, 'is set by the server', 'the field left out of a definition');
        continue;
      }
      if (field.options?.deprecated === true) {
        this.bad(at, 'is deprecated in the proto', 'the field left out');
        continue;
      }
      this.field(field, v, at);
    }

    for (const oneof of type.oneofsArray) {
      // proto3 `optional` fields each get a synthetic oneof of their own.
      if (oneof.name.startsWith('_') && oneof.fieldsArray.length === 1) continue;
      const set = oneof.fieldsArray.filter((f) => value[f.name] !== undefined).map((f) => f.name);
      const [first, second] = set;
      if (second !== undefined) {
        this.bad(
          childPath(path, second),
          `is set beside ${first}`,
          `at most one of ${oneof.fieldsArray.map((f) => f.name).join(', ')} (oneof ${oneof.name})`,
        );
      }
    }

    for (const field of type.fieldsArray) {
      if (behaviours(field).includes('REQUIRED') && isEmpty(value[field.name])) {
        this.bad(
          childPath(path, field.name),
          'is missing',
          `${this.expectation(field)} (required)`,
        );
      }
    }
  }

  unknown(type: protobuf.Type, key: string, path: string): void {
    const names = type.fieldsArray.map((f) => f.name);
    const hint =
      names.find((n) => n === camel(key)) ??
      names.find((n) => n.toLowerCase() === key.toLowerCase());
    this.bad(
      path,
      'is unknown',
      hint === undefined
        ? `a field of ${type.fullName.slice(1)}: ${names.join(', ')}`
        : `${hint} (proto3 JSON spells the fields of ${type.fullName.slice(1)} in lowerCamelCase)`,
    );
  }

  field(field: protobuf.Field, value: unknown, path: string): void {
    if (field instanceof protobuf.MapField) {
      if (!isRecord(value)) {
        this.wrong(path, value, `a mapping of ${field.keyType} to ${field.type}`);
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        const at = childPath(path, k);
        if (field.keyType !== 'string')
          this.scalar(field.keyType, /^(true|false)$/.test(k) ? k === 'true' : k, at, true);
        if (v === null) this.wrong(at, v, this.valueExpectation(field));
        else this.value(field, v, at);
      }
      return;
    }
    if (field.repeated) {
      if (!Array.isArray(value)) {
        this.wrong(path, value, `a list (each ${this.valueExpectation(field)})`);
        return;
      }
      value.forEach((item, i) => {
        const at = itemPath(path, i);
        if (item === null) this.wrong(at, item, this.valueExpectation(field));
        else this.value(field, item, at);
      });
      return;
    }
    this.value(field, value, path);
  }

  value(field: protobuf.Field, value: unknown, path: string): void {
    const t = field.resolvedType;
    if (t instanceof protobuf.Enum) {
      this.enumValue(t, value, path);
      return;
    }
    if (t instanceof protobuf.Type) {
      this.message(t, value, path);
      return;
    }
    this.scalar(field.type, value, path);
  }

  enumValue(e: protobuf.Enum, value: unknown, path: string): void {
    if (typeof value !== 'string' || !Object.hasOwn(e.values, value)) {
      this.wrong(
        path,
        value,
        `one of ${Object.keys(e.values).join(', ')} (${e.fullName.slice(1)})`,
      );
    }
  }

  scalar(type: string, value: unknown, path: string, mapKey = false): void {
    const text = mapKey && typeof value === 'string';
    const range = INT32_RANGE[type];
    if (type === 'double' || type === 'float') {
      const special = value === 'NaN' || value === 'Infinity' || value === '-Infinity';
      if (!(typeof value === 'number' && Number.isFinite(value)) && !special) {
        this.wrong(path, value, `a number (${type})`);
      }
    } else if (range !== undefined) {
      const n = text ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < range[0] || n > range[1]) {
        this.wrong(path, value, `an integer from ${range[0]} to ${range[1]} (${type})`);
      }
    } else if (INT64.has(type) || UINT64.has(type)) {
      const pattern = UINT64.has(type) ? UINT64_TEXT : INT64_TEXT;
      const ok =
        (typeof value === 'number' &&
          Number.isSafeInteger(value) &&
          (INT64.has(type) || value >= 0)) ||
        (typeof value === 'string' && pattern.test(value));
      if (!ok) this.wrong(path, value, `an integer (${type}), as a number or a decimal string`);
    } else if (type === 'bool') {
      if (typeof value !== 'boolean') this.wrong(path, value, 'true or false (bool)');
    } else if (type === 'string') {
      if (typeof value !== 'string') this.wrong(path, value, 'a string');
    } else if (type === 'bytes') {
      if (typeof value !== 'string' || !BASE64.test(value))
        this.wrong(path, value, 'base64 text (bytes)');
    } else {
      this.wrong(path, value, `a ${type}`);
    }
  }

  duration(value: unknown, path: string): void {
    const m = typeof value === 'string' ? DURATION.exec(value) : null;
    if (m === null || Number(m[2]) > MAX_DURATION_SECONDS) {
      this.wrong(
        path,
        value,
        'a Duration: whole seconds with up to 9 decimals and a trailing "s", e.g. "300s" or "1.5s"',
      );
    }
  }

  timestamp(value: unknown, path: string): void {
    if (typeof value !== 'string' || !TIMESTAMP.test(value) || Number.isNaN(Date.parse(value))) {
      this.wrong(path, value, 'an RFC 3339 time, e.g. "2024-05-01T12:00:00Z"');
    }
  }

  expectation(field: protobuf.Field): string {
    if (field instanceof protobuf.MapField) return `a mapping of ${field.keyType} to ${field.type}`;
    if (field.repeated) return `a list (each ${this.valueExpectation(field)})`;
    return this.valueExpectation(field);
  }

  valueExpectation(field: protobuf.Field): string {
    const t = field.resolvedType;
    if (t instanceof protobuf.Enum) return `an enum name of ${t.fullName.slice(1)}`;
    if (t instanceof protobuf.Type) return `a ${t.fullName.slice(1)}`;
    return `a ${field.type}`;
  }
}

/** The problems of `value` as proto3 JSON of `type`; `file` names it in messages. */
export function checkProto3Json(
  type: protobuf.Type,
  value: unknown,
  file: string,
): MonitoringDefinitionError[] {
  const walker = new Walker(file);
  walker.message(type, value, '');
  return walker.problems;
}

/** Whether a parsed duration string is well formed: its length in seconds, else null. */
export function durationSeconds(value: unknown): number | null {
  const m = typeof value === 'string' ? DURATION.exec(value) : null;
  if (m === null) return null;
  const seconds = Number(m[2]) + Number(`0.${m[3] ?? '0'}`);
  return m[1] === '-' ? -seconds : seconds;
}

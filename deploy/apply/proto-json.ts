/**
 * proto3 JSON for the Cloud APIs apply talks to, driven by the descriptors the client libraries
 * ship (`build/protos/protos.json` of @google-cloud/monitoring and @google-cloud/logging-api), so
 * that a definition and what the API returns compare as the same text.
 *
 * `toProto3Json` reads either form a resource comes in: a definition's proto3 JSON (Durations as
 * "300s", wrappers as bare values, enum names) or a client's response object (the gax clients
 * decode with defaults filled, Durations as `{seconds: "300", nanos: 0}`, wrappers as
 * `{value}`, and each set oneof named by a discriminator key). It writes canonical proto3 JSON:
 * camelCase keys, fields at their default left out (message fields, wrappers and oneof members
 * keep their presence), Durations in seconds with 0, 3, 6 or 9 fractional digits, 64-bit
 * integers as strings. `fromProto3Json` turns that JSON into the object form the clients encode.
 *
 * Anything the proto does not have is refused with DEPLOY_APPLY_ERR_DEFINITIONS_INVALID naming
 * the field path: an unknown field, an unknown enum name, a wrong type, a malformed Duration,
 * two members of one oneof. `Any` is not supported (no resource apply manages carries one).
 */
import { createRequire } from 'node:module';
import { DEPLOY_APPLY_ERR_DEFINITIONS_INVALID, DeployApplyError } from './errors.js';

interface FieldDescriptor {
  readonly type: string;
  readonly id: number;
  readonly rule?: string;
  readonly keyType?: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

/** A namespace, message or enum of a protos.json tree. */
export interface DescriptorNode {
  readonly fields?: Readonly<Record<string, FieldDescriptor>>;
  readonly oneofs?: Readonly<Record<string, { readonly oneof: readonly string[] }>>;
  readonly values?: Readonly<Record<string, number>>;
  readonly nested?: Readonly<Record<string, DescriptorNode>>;
}

const SCALARS = new Set([
  'double',
  'float',
  'int32',
  'uint32',
  'sint32',
  'fixed32',
  'sfixed32',
  'int64',
  'uint64',
  'sint64',
  'fixed64',
  'sfixed64',
  'bool',
  'string',
  'bytes',
]);
const LONGS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

const WRAPPERS: Readonly<Record<string, string>> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

export interface FieldInfo {
  /** The camelCase name (the JSON key). */
  readonly name: string;
  /** The snake_case name (what an update mask lists). */
  readonly snake: string;
  readonly kind: 'scalar' | 'enum' | 'message';
  /** A scalar's type, or the full name of the enum or message. */
  readonly type: string;
  readonly repeated: boolean;
  /** A map's key type; null for other fields. */
  readonly mapKey: string | null;
  /** `(google.api.field_behavior) = OUTPUT_ONLY`: the server sets it, a write ignores it. */
  readonly outputOnly: boolean;
  /** The oneof this field is a member of (proto3 `optional` included), or null. */
  readonly oneof: string | null;
}

export interface MessageInfo {
  readonly fullName: string;
  readonly fields: ReadonlyMap<string, FieldInfo>;
  /** Oneof name → its members' camelCase names. */
  readonly oneofs: ReadonlyMap<string, readonly string[]>;
}

export const snakeCase = (camel: string): string =>
  camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camelCase = (snake: string): string =>
  snake.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

function invalid(at: string, problem: string): DeployApplyError {
  return new DeployApplyError(
    DEPLOY_APPLY_ERR_DEFINITIONS_INVALID,
    400,
    `field ${at || '(root)'} ${problem}`,
    { field: at },
  );
}

const shown = (v: unknown): string => {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/** The message and enum descriptors of one or more protos.json trees, looked up by full name. */
export class ProtoSchema {
  readonly #roots: readonly DescriptorNode[];
  readonly #messages = new Map<string, MessageInfo>();

  constructor(roots: readonly DescriptorNode[]) {
    this.#roots = roots;
  }

  /** The descriptors shipped with the Monitoring and Logging client libraries. */
  static shipped(): ProtoSchema {
    const require = createRequire(import.meta.url);
    const dirOf = (pkg: string) => require.resolve(pkg).replace(/build[\\/]src[\\/]index\.js$/, '');
    return new ProtoSchema([
      require(`${dirOf('@google-cloud/monitoring')}build/protos/protos.json`) as DescriptorNode,
      require(`${dirOf('@google-cloud/logging-api')}build/protos/protos.json`) as DescriptorNode,
    ]);
  }

  #node(fullName: string): DescriptorNode | undefined {
    for (const root of this.#roots) {
      let node: DescriptorNode | undefined = root;
      for (const part of fullName.split('.')) node = node?.nested?.[part];
      if (node !== undefined) return node;
    }
    return undefined;
  }

  /** The full name `ref` means inside `scope` (protobuf's rule: innermost scope first). */
  #resolve(ref: string, scope: string): string {
    const parts = scope.split('.');
    for (let n = parts.length; n >= 0; n--) {
      const candidate = [...parts.slice(0, n), ref].join('.');
      if (this.#node(candidate) !== undefined) return candidate;
    }
    throw new Error(`proto type ${ref} (used in ${scope}) is not in the shipped descriptors`);
  }

  enumValues(fullName: string): Readonly<Record<string, number>> {
    const values = this.#node(fullName)?.values;
    if (values === undefined) throw new Error(`proto enum ${fullName} is not known`);
    return values;
  }

  message(fullName: string): MessageInfo {
    const cached = this.#messages.get(fullName);
    if (cached !== undefined) return cached;
    const node = this.#node(fullName);
    if (node?.fields === undefined) throw new Error(`proto message ${fullName} is not known`);
    const memberOf = new Map<string, string>();
    const oneofs = new Map<string, readonly string[]>();
    for (const [name, o] of Object.entries(node.oneofs ?? {})) {
      oneofs.set(name, o.oneof);
      for (const member of o.oneof) memberOf.set(member, name);
    }
    const fields = new Map<string, FieldInfo>();
    for (const [name, f] of Object.entries(node.fields)) {
      const scalar = SCALARS.has(f.type);
      const type = scalar ? f.type : this.#resolve(f.type, fullName);
      fields.set(name, {
        name,
        snake: snakeCase(name),
        kind: scalar ? 'scalar' : this.#node(type)?.values !== undefined ? 'enum' : 'message',
        type,
        repeated: f.rule === 'repeated',
        mapKey: f.keyType ?? null,
        outputOnly: f.options?.['(google.api.field_behavior)'] === 'OUTPUT_ONLY',
        oneof: memberOf.get(name) ?? null,
      });
    }
    const info = { fullName, fields, oneofs };
    this.#messages.set(fullName, info);
    return info;
  }
}

// ---- reading either form into canonical proto3 JSON ----

const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** seconds + nanos → "60s", "1.500s", "0.000000001s" (0, 3, 6 or 9 fractional digits). */
export function formatDuration(seconds: bigint, nanos: number): string {
  const negative = seconds < 0n || nanos < 0;
  const s = seconds < 0n ? -seconds : seconds;
  const n = Math.abs(nanos);
  if (n === 0) return `${negative ? '-' : ''}${s}s`;
  let frac = String(n).padStart(9, '0');
  while (frac.endsWith('000')) frac = frac.slice(0, -3);
  return `${negative ? '-' : ''}${s}.${frac}s`;
}

function longText(v: unknown): string | null {
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return String(BigInt(v));
  // A Long (what protobufjs decodes 64-bit integers to without `longs: String`).
  if (v !== null && typeof v === 'object' && 'low' in v && 'high' in v) return String(v);
  return null;
}

function durationToJson(v: unknown, at: string): string {
  if (typeof v === 'string') {
    const m = DURATION.exec(v);
    if (m === null) throw invalid(at, `is ${shown(v)}; expected a Duration such as "300s"`);
    const { seconds, nanos } = durationFromJson(v);
    return formatDuration(BigInt(seconds), nanos);
  }
  if (v !== null && typeof v === 'object') {
    const { seconds, nanos } = v as { seconds?: unknown; nanos?: unknown };
    const s = seconds === undefined || seconds === null ? '0' : longText(seconds);
    const n = nanos === undefined || nanos === null ? 0 : Number(nanos);
    if (s === null || !Number.isInteger(n)) {
      throw invalid(at, `is ${shown(v)}; expected a Duration such as "300s"`);
    }
    return formatDuration(BigInt(s), n);
  }
  throw invalid(at, `is ${shown(v)}; expected a Duration such as "300s"`);
}

function timestampToJson(v: unknown, at: string): string {
  if (typeof v === 'string' && TIMESTAMP.test(v)) return v;
  if (v !== null && typeof v === 'object') {
    const { seconds, nanos } = v as { seconds?: unknown; nanos?: unknown };
    const s = longText(seconds ?? 0);
    if (s !== null) {
      const base = new Date(Number(s) * 1000).toISOString().replace(/\.000Z$/, '');
      const n = Number(nanos ?? 0);
      return n === 0 ? `${base}Z` : `${base}${formatDuration(0n, n).slice(1, -1)}Z`;
    }
  }
  throw invalid(at, `is ${shown(v)}; expected an RFC 3339 timestamp`);
}

/** A scalar in canonical JSON, or undefined when it is its type's default. */
function scalarToJson(type: string, v: unknown, at: string, keepDefault: boolean): unknown {
  const expected = (what: string) => invalid(at, `is ${shown(v)}; expected ${what}`);
  let out: unknown;
  if (type === 'string') {
    if (typeof v !== 'string') throw expected('a string');
    out = v;
  } else if (type === 'bool') {
    if (typeof v !== 'boolean') throw expected('true or false');
    out = v;
  } else if (type === 'bytes') {
    if (typeof v === 'string') out = v;
    else if (v instanceof Uint8Array) out = Buffer.from(v).toString('base64');
    else throw expected('base64 bytes');
  } else if (LONGS.has(type)) {
    const text = longText(v);
    if (text === null) throw expected(`an integer (${type})`);
    out = text;
  } else {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || Number.isNaN(n)) throw expected(`a number (${type})`);
    if (type !== 'double' && type !== 'float' && !Number.isInteger(n)) {
      throw expected(`an integer (${type})`);
    }
    out = n;
  }
  if (keepDefault) return out;
  return out === '' || out === false || out === 0 || out === '0' ? undefined : out;
}

function enumToJson(
  schema: ProtoSchema,
  type: string,
  v: unknown,
  at: string,
  keepDefault: boolean,
): unknown {
  const values = schema.enumValues(type);
  let name: string | undefined;
  if (typeof v === 'string' && v in values) name = v;
  if (typeof v === 'number') name = Object.keys(values).find((k) => values[k] === v);
  if (name === undefined) {
    throw invalid(at, `is ${shown(v)}; expected one of ${Object.keys(values).join(', ')}`);
  }
  return !keepDefault && values[name] === 0 ? undefined : name;
}

function structValueToJson(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('kind' in o || 'stringValue' in o || 'numberValue' in o || 'boolValue' in o) {
    if (o.structValue !== undefined && o.structValue !== null) return structToJson(o.structValue);
    if (o.listValue !== undefined && o.listValue !== null) {
      return ((o.listValue as { values?: unknown[] }).values ?? []).map(structValueToJson);
    }
    if (o.stringValue !== undefined && o.stringValue !== null) return o.stringValue;
    if (o.numberValue !== undefined && o.numberValue !== null) return o.numberValue;
    if (o.boolValue !== undefined && o.boolValue !== null) return o.boolValue;
    return null;
  }
  return v;
}

function structToJson(v: unknown): Record<string, unknown> {
  const o = (v ?? {}) as { fields?: Record<string, unknown> };
  if (o.fields !== undefined && typeof o.fields === 'object' && o.fields !== null) {
    return Object.fromEntries(Object.entries(o.fields).map(([k, x]) => [k, structValueToJson(x)]));
  }
  return { ...(v as Record<string, unknown>) };
}

function singularToJson(
  schema: ProtoSchema,
  field: FieldInfo,
  v: unknown,
  at: string,
  keepDefault: boolean,
): unknown {
  if (field.kind === 'scalar') return scalarToJson(field.type, v, at, keepDefault);
  if (field.kind === 'enum') return enumToJson(schema, field.type, v, at, keepDefault);
  return messageValueToJson(schema, field.type, v, at);
}

/** A message-typed value (present): well-known types in their JSON forms, others as objects. */
function messageValueToJson(schema: ProtoSchema, type: string, v: unknown, at: string): unknown {
  if (type === 'google.protobuf.Duration') return durationToJson(v, at);
  if (type === 'google.protobuf.Timestamp') return timestampToJson(v, at);
  const wrapped = WRAPPERS[type];
  if (wrapped !== undefined) {
    const inner = v !== null && typeof v === 'object' && 'value' in v ? v.value : v;
    return scalarToJson(wrapped, inner, at, true);
  }
  if (type === 'google.protobuf.Struct') return structToJson(v);
  if (type === 'google.protobuf.Value') return structValueToJson(v);
  if (type === 'google.protobuf.FieldMask') {
    if (typeof v === 'string') return v;
    return ((v as { paths?: string[] })?.paths ?? []).map(camelCase).join(',');
  }
  if (type === 'google.protobuf.Any') throw invalid(at, 'is a google.protobuf.Any; not supported');
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw invalid(at, `is ${shown(v)}; expected an object (${type})`);
  }
  return messageToJson(schema, schema.message(type), v as Record<string, unknown>, at);
}

function messageToJson(
  schema: ProtoSchema,
  msg: MessageInfo,
  value: Readonly<Record<string, unknown>>,
  at: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // A client response names each set oneof member by a discriminator key (`condition:
  // 'conditionMatchedLog'`); members it does not name are not set.
  const chosen = new Map<string, string>();
  for (const [oneof, members] of msg.oneofs) {
    const d = value[oneof];
    if (typeof d === 'string' && members.includes(d) && !msg.fields.has(oneof))
      chosen.set(oneof, d);
  }
  const setMembers = new Map<string, string>();
  for (const [key, raw] of Object.entries(value)) {
    if (chosen.has(key)) continue;
    const name = msg.fields.has(key) ? key : camelCase(key);
    const field = msg.fields.get(name);
    const path = at === '' ? name : `${at}.${name}`;
    if (field === undefined) {
      throw invalid(path, `is not a field of ${msg.fullName}`);
    }
    if (raw === undefined || raw === null) continue;
    if (field.oneof !== null) {
      const pick = chosen.get(field.oneof);
      if (pick !== undefined && pick !== name) continue;
      const other = setMembers.get(field.oneof);
      if (other !== undefined) {
        throw invalid(
          path,
          `and ${other} are both set; they are members of one oneof (${field.oneof})`,
        );
      }
      setMembers.set(field.oneof, name);
    }
    // A oneof member or proto3 optional field has presence: its default is kept.
    const keepDefault = field.oneof !== null;
    let converted: unknown;
    if (field.mapKey !== null) {
      if (typeof raw !== 'object' || Array.isArray(raw)) {
        throw invalid(path, `is ${shown(raw)}; expected a map`);
      }
      const entries = Object.entries(raw as Record<string, unknown>)
        .map(([k, x]) => [k, singularToJson(schema, field, x, `${path}.${k}`, true)] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      converted = entries.length === 0 ? undefined : Object.fromEntries(entries);
    } else if (field.repeated) {
      if (!Array.isArray(raw)) throw invalid(path, `is ${shown(raw)}; expected a list`);
      const items = raw.map((x, i) => singularToJson(schema, field, x, `${path}[${i}]`, true));
      converted = items.length === 0 ? undefined : items;
    } else {
      converted = singularToJson(schema, field, raw, path, keepDefault);
    }
    if (converted !== undefined) out[name] = converted;
  }
  return out;
}

/** `value` (a definition or a client response) as canonical proto3 JSON of message `type`. */
export function toProto3Json(
  schema: ProtoSchema,
  type: string,
  value: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return messageToJson(schema, schema.message(type), value, '');
}

// ---- canonical proto3 JSON into the clients' object form ----

function durationFromJson(text: string): { seconds: string; nanos: number } {
  const m = DURATION.exec(text) as RegExpExecArray;
  const sign = m[1] === '-' ? -1 : 1;
  const nanos = Number((m[3] ?? '').padEnd(9, '0')) * sign;
  return { seconds: String(BigInt(m[2] as string) * BigInt(sign)), nanos: nanos === 0 ? 0 : nanos };
}

function structValueFromJson(v: unknown): Record<string, unknown> {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(structValueFromJson) } };
  return { structValue: structFromJson(v) };
}

function structFromJson(v: unknown): Record<string, unknown> {
  return {
    fields: Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, structValueFromJson(x)]),
    ),
  };
}

function singularFromJson(schema: ProtoSchema, field: FieldInfo, v: unknown): unknown {
  if (field.kind !== 'message') return v;
  const type = field.type;
  if (type === 'google.protobuf.Duration' || type === 'google.protobuf.Timestamp') {
    if (type === 'google.protobuf.Duration') {
      const { seconds, nanos } = durationFromJson(v as string);
      return nanos === 0 ? { seconds } : { seconds, nanos };
    }
    const ms = Date.parse(v as string);
    const frac = /\.(\d{1,9})/.exec(v as string)?.[1] ?? '';
    return { seconds: String(Math.floor(ms / 1000)), nanos: Number(frac.padEnd(9, '0')) };
  }
  if (WRAPPERS[type] !== undefined) return { value: v };
  if (type === 'google.protobuf.Struct') return structFromJson(v);
  if (type === 'google.protobuf.Value') return structValueFromJson(v);
  if (type === 'google.protobuf.FieldMask') {
    return { paths: String(v).split(',').filter(Boolean).map(snakeCase) };
  }
  return messageFromJson(schema, schema.message(type), v as Record<string, unknown>);
}

function messageFromJson(
  schema: ProtoSchema,
  msg: MessageInfo,
  json: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(json)) {
    const field = msg.fields.get(name);
    if (field === undefined) continue;
    if (field.mapKey !== null) {
      out[name] = Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([k, x]) => [
          k,
          singularFromJson(schema, field, x),
        ]),
      );
    } else if (field.repeated) {
      out[name] = (v as unknown[]).map((x) => singularFromJson(schema, field, x));
    } else {
      out[name] = singularFromJson(schema, field, v);
    }
  }
  return out;
}

/** Canonical proto3 JSON (what `toProto3Json` returns) in the object form the clients encode. */
export function fromProto3Json(
  schema: ProtoSchema,
  type: string,
  json: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return messageFromJson(schema, schema.message(type), json);
}

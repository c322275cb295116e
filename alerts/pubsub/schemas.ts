/**
 * The schema part of the Pub/Sub topology (`alerts/definitions/pubsub.yaml`): the `schemas` it
 * declares (Avro only: the emulator answers 501 to protocol buffers) with their definitions read
 * from files beside it, and a topic's `schema` setting, which must name one of them. Pub/Sub
 * validates every publish to such a topic against the schema and refuses what does not match.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { refuseField, TOPOLOGY_ERR_UNREADABLE, TopologyError } from './errors.js';

export interface SchemaSpec {
  /** The schema id Pub/Sub sees (`projects/P/schemas/<name>`). */
  readonly name: string;
  readonly type: 'AVRO';
  /** As written in the file, relative to its directory. */
  readonly definitionFile: string;
  /** The definition file's text, as sent to Pub/Sub. */
  readonly definition: string;
}

/** A topic's schema setting: the messages published to it are validated against the schema. */
export interface TopicSchemaSetting {
  /** A schema name of the same file. */
  readonly name: string;
  /** How messages are encoded: JSON, which is what runwatch publishes. */
  readonly encoding: 'JSON';
}

export interface RawSchema {
  name: string;
  type: 'AVRO';
  definitionFile: string;
}

/** The shapes, for the topology's ajv schema; `name` is the caller's resource-name rule. */
export const schemaEntrySchema = (name: object) =>
  ({
    type: 'object',
    required: ['name', 'type', 'definitionFile'],
    additionalProperties: false,
    properties: {
      name,
      type: { enum: ['AVRO'] },
      definitionFile: { type: 'string', pattern: '^[A-Za-z0-9._-]+\\.avsc$' },
    },
  }) as const;

export const topicSchemaSettingSchema = (name: object) =>
  ({
    type: 'object',
    required: ['name', 'encoding'],
    additionalProperties: false,
    properties: { name, encoding: { enum: ['JSON'] } },
  }) as const;

/** An Avro definition Pub/Sub can take as a topic's message: a record with fields. */
function isAvroRecord(value: unknown): boolean {
  const v = value as { type?: unknown; name?: unknown; fields?: unknown } | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.type === 'record' &&
    typeof v.name === 'string' &&
    Array.isArray(v.fields)
  );
}

/** The declared schemas, each with its definition read from `definitionsDir`. */
export function schemaSpecs(
  file: string,
  raw: readonly RawSchema[],
  definitionsDir: string,
): SchemaSpec[] {
  const seen = new Set<string>();
  return raw.map((s, i) => {
    const at = `/schemas/${i}`;
    if (seen.has(s.name)) {
      throw refuseField(file, `${at}/name`, s.name, 'a name not already used by another schema');
    }
    seen.add(s.name);
    const path = join(definitionsDir, s.definitionFile);
    let definition: string;
    try {
      definition = readFileSync(path, 'utf8');
    } catch (cause) {
      throw new TopologyError(
        TOPOLOGY_ERR_UNREADABLE,
        400,
        `${file}: field ${at}/definitionFile names ${path}, which cannot be read`,
        { cause, field: `${at}/definitionFile` },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(definition);
    } catch {
      parsed = undefined;
    }
    if (!isAvroRecord(parsed)) {
      throw refuseField(
        file,
        `${at}/definitionFile`,
        s.definitionFile,
        'a file holding an Avro record schema (JSON with type "record", a name and fields)',
      );
    }
    return { name: s.name, type: s.type, definitionFile: s.definitionFile, definition };
  });
}

/** A topic's `schema` setting, checked against the declared schemas. */
export function topicSchemaSetting(
  file: string,
  at: string,
  raw: TopicSchemaSetting | undefined,
  schemas: readonly SchemaSpec[],
): TopicSchemaSetting | null {
  if (raw === undefined) return null;
  if (!schemas.some((s) => s.name === raw.name)) {
    const names = schemas.map((s) => s.name).join(', ');
    throw refuseField(
      file,
      `${at}/name`,
      raw.name,
      `the name of a schema of this file (${names || 'it declares none'})`,
    );
  }
  return { name: raw.name, encoding: raw.encoding };
}

/** Two Avro definitions say the same when their JSON is equal, whatever the whitespace. */
export function sameDefinition(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}

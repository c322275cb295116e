/**
 * Ensure's schema part: what a project's schemas and topic schema settings are, compared with the
 * topology. A schema is created when missing and never changed: an existing one whose definition
 * differs is PUBSUB_ERR_CONFLICT (a changed message is a new schema, such as alert-v2, not a new
 * revision consumers did not ask for). A topic without a schema setting gets the declared one
 * attached; a topic with another schema, another encoding, or a schema the file does not declare
 * is PUBSUB_ERR_CONFLICT, since swapping what a topic validates against under its publishers and
 * consumers is a decision for a person, not for a rerun.
 */
import type { PubSub, TopicMetadata } from '@google-cloud/pubsub';
import { grpcCode } from './client.js';
import { PUBSUB_ERR_CONFLICT, PubSubEnsureError } from './errors.js';
import { type SchemaSpec, sameDefinition, type TopicSchemaSetting } from './schemas.js';

const NOT_FOUND = 5;

/** `projects/P/schemas/S`. */
export const schemaPath = (projectId: string, schema: string): string =>
  `projects/${projectId}/schemas/${schema}`;

/** A topic's schema setting as the API takes it. */
export const schemaSettingsOf = (projectId: string, setting: TopicSchemaSetting) => ({
  schema: schemaPath(projectId, setting.name),
  encoding: setting.encoding,
});

/** A topic's schema setting for people: `none`, or `projects/P/schemas/S (JSON)`. */
export function renderSchemaSettings(m: TopicMetadata | null): string {
  const s = m?.schemaSettings;
  if (!s?.schema) return 'none';
  return `${s.schema} (${String(s.encoding ?? 'ENCODING_UNSPECIFIED')})`;
}

/** An existing schema whose definition is not the declared one. */
export function schemaConflict(
  name: string,
  spec: SchemaSpec,
  actual: { definition?: string | null; type?: unknown },
): PubSubEnsureError | null {
  const type = String(actual.type ?? '');
  if (type === spec.type && sameDefinition(actual.definition ?? '', spec.definition)) return null;
  const what = type === spec.type ? 'another definition' : `type ${type}, not ${spec.type}`;
  return new PubSubEnsureError(
    PUBSUB_ERR_CONFLICT,
    409,
    `schema ${name} exists with ${what} than ${spec.definitionFile}; a schema is never changed in place: declare the new message as a new schema (e.g. alert-v2), or delete this one (gcloud pubsub schemas delete ${name}) if nothing uses it`,
  );
}

/**
 * What to do about an existing topic's schema setting: nothing (`same`), attach the declared
 * schema (`attach`), or stop on a conflict.
 */
export function topicSchemaPlan(
  name: string,
  projectId: string,
  desired: TopicSchemaSetting | null,
  actual: TopicMetadata,
): 'same' | 'attach' | PubSubEnsureError {
  const want = desired === null ? null : schemaSettingsOf(projectId, desired);
  const has = actual.schemaSettings?.schema ? actual.schemaSettings : null;
  if (want === null && has === null) return 'same';
  if (want !== null && has === null) return 'attach';
  if (want !== null && has?.schema === want.schema && String(has.encoding) === want.encoding) {
    return 'same';
  }
  const wanted = want === null ? 'none' : `${want.schema} (${want.encoding})`;
  return new PubSubEnsureError(
    PUBSUB_ERR_CONFLICT,
    409,
    `topic ${name} has schema setting ${renderSchemaSettings(actual)}, not ${wanted}; ensure does not swap a topic's schema under its publishers and consumers: change the topic by hand (gcloud pubsub topics update ${name}) or its declaration, and run again`,
  );
}

/** The schema, or null when there is none by that name. */
export async function describeSchema(
  client: PubSub,
  name: string,
  gaxOpts: { timeout: number },
): Promise<{ definition?: string | null; type?: unknown } | null> {
  try {
    return await client.schema(name).get('FULL', gaxOpts);
  } catch (e) {
    if (grpcCode(e) === NOT_FOUND) return null;
    throw e;
  }
}

/**
 * Creates the schema under `projects/<projectId>` by its full name (the client's own
 * `createSchema` would take the project it detects).
 */
export async function createSchema(
  client: PubSub,
  projectId: string,
  spec: SchemaSpec,
  gaxOpts: { timeout: number },
): Promise<void> {
  const schemas = await client.getSchemaClient();
  await schemas.createSchema(
    {
      parent: `projects/${projectId}`,
      schemaId: spec.name,
      schema: {
        name: schemaPath(projectId, spec.name),
        type: spec.type,
        definition: spec.definition,
      },
    },
    gaxOpts,
  );
}

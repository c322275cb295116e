import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { parse, stringify } from 'yaml';
import {
  TOPOLOGY_ERR_INVALID,
  TOPOLOGY_ERR_UNREADABLE,
  TopologyError,
} from '../../../alerts/pubsub/errors.js';
import {
  DEFINITIONS_DIR,
  loadTopology,
  parseTopology,
  SUBSCRIPTIONS,
  TOPICS,
  TOPOLOGY,
  TOPOLOGY_FILE,
} from '../../../alerts/pubsub/topology.js';

const COMMITTED = readFileSync(TOPOLOGY_FILE, 'utf8');

test('topology: the committed file declares alert-ingest and alerts, each with a dead-letter topic, and code takes the names from it', (t) => {
  t.deepEqual(TOPICS, {
    ingest: 'alert-ingest',
    ingestDeadLetter: 'alert-ingest-dead-letter',
    alerts: 'alerts',
    alertsDeadLetter: 'alerts-dead-letter',
  });
  t.deepEqual(SUBSCRIPTIONS, {
    ingestPush: 'alert-ingest-push',
    ingestDeadLetterKeep: 'alert-ingest-dead-letter-keep',
    alertsDeadLetterKeep: 'alerts-dead-letter-keep',
  });
  t.is(TOPOLOGY.topics.ingest.deadLetterTopic, 'alert-ingest-dead-letter');
  t.is(TOPOLOGY.topics.alerts.deadLetterTopic, 'alerts-dead-letter');
});

test("topology: the push subscription dead-letters to its topic's dead-letter topic after 5 attempts, with backoff 10 s to 600 s", (t) => {
  t.deepEqual(TOPOLOGY.subscriptions.ingestPush, {
    role: 'ingestPush',
    name: 'alert-ingest-push',
    topic: 'alert-ingest',
    push: { endpoint: 'alertIngest' },
    ackDeadlineSeconds: 60,
    messageRetentionSeconds: 7 * 86_400,
    expirationTtlSeconds: null,
    enableMessageOrdering: false,
    deadLetterPolicy: { deadLetterTopic: 'alert-ingest-dead-letter', maxDeliveryAttempts: 5 },
    retryPolicy: { minimumBackoffSeconds: 10, maximumBackoffSeconds: 600 },
  });
  for (const role of ['ingestDeadLetterKeep', 'alertsDeadLetterKeep'] as const) {
    const s = TOPOLOGY.subscriptions[role];
    t.like(s, { push: null, deadLetterPolicy: null, expirationTtlSeconds: null }, role);
  }
});

test('topology: maxDeliveryAttempts defaults to 5 and durations take s, m, h and d', (t) => {
  const doc = parse(COMMITTED);
  doc.subscriptions.ingestPush.deadLetterPolicy = {};
  doc.subscriptions.ingestPush.retryPolicy = { minimumBackoff: '1m', maximumBackoff: '1m' };
  doc.subscriptions.ingestDeadLetterKeep.messageRetentionDuration = '2h';
  doc.subscriptions.ingestDeadLetterKeep.expirationTtl = '30d';
  const topology = parseTopology(stringify(doc), 'variant.yaml');
  t.is(topology.subscriptions.ingestPush.deadLetterPolicy?.maxDeliveryAttempts, 5);
  t.deepEqual(topology.subscriptions.ingestPush.retryPolicy, {
    minimumBackoffSeconds: 60,
    maximumBackoffSeconds: 60,
  });
  t.is(topology.subscriptions.ingestDeadLetterKeep.messageRetentionSeconds, 7200);
  t.is(topology.subscriptions.ingestDeadLetterKeep.expirationTtlSeconds, 30 * 86_400);
  t.is(topology.file, 'variant.yaml');
});

type Doc = {
  schemas: Record<string, unknown>[];
  topics: Record<string, Record<string, unknown>>;
  subscriptions: Record<string, Record<string, unknown>>;
};

const PUSH = '/subscriptions/ingestPush';

// Each row changes the committed file one way; the error names the field (a JSON path), quotes
// the value and says what was expected.
const bad: {
  name: string;
  change: (d: Doc) => void;
  field: string;
  words: string[];
}[] = [
  {
    name: 'maxDeliveryAttempts under 5',
    change: (d) => {
      d.subscriptions.ingestPush = {
        ...d.subscriptions.ingestPush,
        deadLetterPolicy: { maxDeliveryAttempts: 4 },
      };
    },
    field: `${PUSH}/deadLetterPolicy/maxDeliveryAttempts`,
    words: ['is 4', 'a value >= 5'],
  },
  {
    name: 'maxDeliveryAttempts over 100',
    change: (d) => {
      d.subscriptions.ingestPush = {
        ...d.subscriptions.ingestPush,
        deadLetterPolicy: { maxDeliveryAttempts: 101 },
      };
    },
    field: `${PUSH}/deadLetterPolicy/maxDeliveryAttempts`,
    words: ['is 101', 'a value <= 100'],
  },
  {
    name: 'a topic name of two characters',
    change: (d) => {
      (d.topics.ingest as Record<string, unknown>).name = 'ai';
    },
    field: '/topics/ingest/name',
    words: ['"ai"', 'a string matching'],
  },
  {
    name: 'a topic name starting with goog',
    change: (d) => {
      (d.topics.alerts as Record<string, unknown>).name = 'google-alerts';
    },
    field: '/topics/alerts/name',
    words: ['"google-alerts"', 'a string matching'],
  },
  {
    name: 'a subscription of an undeclared topic',
    change: (d) => {
      (d.subscriptions.ingestPush as Record<string, unknown>).topic = 'alert-ingress';
    },
    field: `${PUSH}/topic`,
    words: ['"alert-ingress"', 'the name of a topic of this file', 'alert-ingest'],
  },
  {
    name: 'a topic that dead-letters to itself',
    change: (d) => {
      (d.topics.ingest as Record<string, unknown>).deadLetterTopic = 'alert-ingest';
    },
    field: '/topics/ingest/deadLetterTopic',
    words: ['"alert-ingest"', 'the name of another topic of this file'],
  },
  {
    name: 'a dead-letter topic that is not declared',
    change: (d) => {
      (d.topics.alerts as Record<string, unknown>).deadLetterTopic = 'alerts-dlq';
    },
    field: '/topics/alerts/deadLetterTopic',
    words: ['"alerts-dlq"', 'the name of another topic'],
  },
  {
    name: 'two topics with one name',
    change: (d) => {
      (d.topics.alerts as Record<string, unknown>).name = 'alert-ingest';
      delete (d.topics.alerts as Record<string, unknown>).deadLetterTopic;
    },
    field: '/topics/alerts/name',
    words: ['"alert-ingest"', 'a name not already used by /topics/ingest'],
  },
  {
    name: 'two subscriptions with one name',
    change: (d) => {
      (d.subscriptions.alertsDeadLetterKeep as Record<string, unknown>).name =
        'alert-ingest-dead-letter-keep';
    },
    field: '/subscriptions/alertsDeadLetterKeep/name',
    words: [
      '"alert-ingest-dead-letter-keep"',
      'not already used by /subscriptions/ingestDeadLetterKeep',
    ],
  },
  {
    name: 'a push subscription without a retry policy',
    change: (d) => {
      delete d.subscriptions.ingestPush?.retryPolicy;
    },
    field: `${PUSH}/retryPolicy`,
    words: ['missing', 'a retryPolicy on a push subscription'],
  },
  {
    name: 'a push subscription without a dead-letter policy',
    change: (d) => {
      delete d.subscriptions.ingestPush?.deadLetterPolicy;
    },
    field: `${PUSH}/deadLetterPolicy`,
    words: ['missing', 'a deadLetterPolicy on a push subscription'],
  },
  {
    name: 'a dead-letter policy on a topic that has no dead-letter topic',
    change: (d) => {
      (d.subscriptions.ingestDeadLetterKeep as Record<string, unknown>).deadLetterPolicy = {};
    },
    field: '/topics/ingestDeadLetter/deadLetterTopic',
    words: ['missing', 'a dead-letter topic for alert-ingest-dead-letter'],
  },
  {
    name: 'a minimum backoff over 600 s',
    change: (d) => {
      (d.subscriptions.ingestPush as Record<string, unknown>).retryPolicy = {
        minimumBackoff: '11m',
        maximumBackoff: '600s',
      };
    },
    field: `${PUSH}/retryPolicy/minimumBackoff`,
    words: ['"11m"', 'a duration from 0s to 600s'],
  },
  {
    name: 'a maximum backoff under the minimum',
    change: (d) => {
      (d.subscriptions.ingestPush as Record<string, unknown>).retryPolicy = {
        minimumBackoff: '60s',
        maximumBackoff: '30s',
      };
    },
    field: `${PUSH}/retryPolicy/maximumBackoff`,
    words: ['"30s"', 'from minimumBackoff (60s) to 600s'],
  },
  {
    name: 'a duration in words',
    change: (d) => {
      (d.subscriptions.ingestPush as Record<string, unknown>).retryPolicy = {
        minimumBackoff: '10 seconds',
        maximumBackoff: '600s',
      };
    },
    field: `${PUSH}/retryPolicy/minimumBackoff`,
    words: ['"10 seconds"', 'a string matching'],
  },
  {
    name: 'a retention over 7 days',
    change: (d) => {
      (d.subscriptions.ingestDeadLetterKeep as Record<string, unknown>).messageRetentionDuration =
        '8d';
    },
    field: '/subscriptions/ingestDeadLetterKeep/messageRetentionDuration',
    words: ['"8d"', 'a duration from 10m to 7d'],
  },
  {
    name: 'an ack deadline under 10 s',
    change: (d) => {
      (d.subscriptions.ingestPush as Record<string, unknown>).ackDeadlineSeconds = 5;
    },
    field: `${PUSH}/ackDeadlineSeconds`,
    words: ['is 5', 'a value >= 10'],
  },
  {
    name: 'an expiration under a day',
    change: (d) => {
      (d.subscriptions.alertsDeadLetterKeep as Record<string, unknown>).expirationTtl = '2h';
    },
    field: '/subscriptions/alertsDeadLetterKeep/expirationTtl',
    words: ['"2h"', 'never, or a duration of 1d or more'],
  },
  {
    name: 'a property Pub/Sub has but the file does not manage',
    change: (d) => {
      (d.subscriptions.ingestPush as Record<string, unknown>).filter =
        'attributes.origin != "runwatch"';
    },
    field: `${PUSH}/filter`,
    words: ['"attributes.origin', 'no such property'],
  },
  {
    name: 'a missing role',
    change: (d) => {
      delete d.topics.alertsDeadLetter;
    },
    field: '/topics/alertsDeadLetter',
    words: ['is missing'],
  },
  {
    name: 'a role code does not know',
    change: (d) => {
      d.topics.audit = { name: 'audit-log' };
    },
    field: '/topics/audit',
    words: ['an object', 'no such property'],
  },
  {
    name: 'a push endpoint name that is not an identifier',
    change: (d) => {
      (d.subscriptions.ingestPush as Record<string, unknown>).push = {
        endpoint: 'https://x.run.app/',
      };
    },
    field: `${PUSH}/push/endpoint`,
    words: ['"https://x.run.app/"', 'a string matching'],
  },
  {
    name: 'a topic schema that is not declared',
    change: (d) => {
      (d.topics.alerts as Record<string, unknown>).schema = { name: 'alert-v9', encoding: 'JSON' };
    },
    field: '/topics/alerts/schema/name',
    words: ['"alert-v9"', 'the name of a schema of this file (alert-v1)'],
  },
  {
    name: 'a topic schema encoded BINARY',
    change: (d) => {
      (d.topics.alerts as Record<string, unknown>).schema = {
        name: 'alert-v1',
        encoding: 'BINARY',
      };
    },
    field: '/topics/alerts/schema/encoding',
    words: ['"BINARY"', 'allowed values'],
  },
  {
    name: 'a protocol buffer schema',
    change: (d) => {
      (d.schemas[0] as Record<string, unknown>).type = 'PROTOCOL_BUFFER';
    },
    field: '/schemas/0/type',
    words: ['"PROTOCOL_BUFFER"', 'allowed values'],
  },
  {
    name: 'two schemas with one name',
    change: (d) => {
      d.schemas.push({ ...d.schemas[0] });
    },
    field: '/schemas/1/name',
    words: ['"alert-v1"', 'a name not already used by another schema'],
  },
];

for (const row of bad) {
  test(`topology: ${row.name} is TOPOLOGY_ERR_INVALID naming ${row.field} and its value`, (t) => {
    const doc = parse(COMMITTED) as Doc;
    row.change(doc);
    const e = t.throws(() => parseTopology(stringify(doc), 'bad.yaml'), {
      instanceOf: TopologyError,
    });
    t.is(e?.code, TOPOLOGY_ERR_INVALID);
    t.is(e?.field, row.field);
    t.true(e?.message.startsWith(`bad.yaml: field ${row.field} `), e?.message);
    for (const w of row.words) t.true(e?.message.includes(w), `${w} in: ${e?.message}`);
  });
}

test('topology: text that is not YAML is TOPOLOGY_ERR_UNREADABLE naming the file', (t) => {
  const e = t.throws(() => parseTopology('topics: [unclosed', 'broken.yaml'), {
    instanceOf: TopologyError,
  });
  t.is(e?.code, TOPOLOGY_ERR_UNREADABLE);
  t.regex(e?.message ?? '', /^broken\.yaml: not valid YAML/);
});

test('topology: a file that cannot be read is TOPOLOGY_ERR_UNREADABLE naming it', (t) => {
  const e = t.throws(() => loadTopology('/nonexistent/pubsub.yaml'), { instanceOf: TopologyError });
  t.is(e?.code, TOPOLOGY_ERR_UNREADABLE);
  t.is(e?.message, '/nonexistent/pubsub.yaml: cannot be read');
});

test('topology: the committed file declares the Avro schema alert-v1 from alert.v1.avsc and the alerts topic validates JSON against it', (t) => {
  t.deepEqual(
    TOPOLOGY.schemas.map((s) => [s.name, s.type, s.definitionFile]),
    [['alert-v1', 'AVRO', 'alert.v1.avsc']],
  );
  t.is(
    TOPOLOGY.schemas[0]?.definition,
    readFileSync(join(DEFINITIONS_DIR, 'alert.v1.avsc'), 'utf8'),
  );
  t.deepEqual(TOPOLOGY.topics.alerts.schema, { name: 'alert-v1', encoding: 'JSON' });
  t.is(TOPOLOGY.topics.ingest.schema, null);
});

test('topology: a schema definition file is read beside the topology file; missing is TOPOLOGY_ERR_UNREADABLE, not an Avro record TOPOLOGY_ERR_INVALID, each naming the field', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topology-'));
  const file = join(dir, 'pubsub.yaml');
  writeFileSync(file, COMMITTED);
  const missing = t.throws(() => loadTopology(file), { instanceOf: TopologyError });
  t.is(missing?.code, TOPOLOGY_ERR_UNREADABLE);
  t.is(missing?.field, '/schemas/0/definitionFile');
  t.true(missing?.message.includes(join(dir, 'alert.v1.avsc')), missing?.message);
  writeFileSync(join(dir, 'alert.v1.avsc'), '{"type": "string"}');
  const notRecord = t.throws(() => loadTopology(file), { instanceOf: TopologyError });
  t.is(notRecord?.code, TOPOLOGY_ERR_INVALID);
  t.is(
    notRecord?.message,
    `${file}: field /schemas/0/definitionFile is "alert.v1.avsc"; expected a file holding an Avro record schema (JSON with type "record", a name and fields)`,
  );
  writeFileSync(join(dir, 'alert.v1.avsc'), '{"type": "record", "name": "A", "fields": []}');
  t.is(loadTopology(file).schemas[0]?.definition, '{"type": "record", "name": "A", "fields": []}');
});

/**
 * The decision phase's rounds make the same decisions on the bench's in-memory baseline as on a
 * real SQLite engine store: the comparison is of the same work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadEngineDefinitions } from '../../../alerts/engine/load-definitions.js';
import { decisionRound } from '../../../bench/engine/decisions.js';
import { createLogger } from '../../../lib/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'runwatch-engine-bench-test-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const options = {
  passes: 1,
  dir,
  postgres: null,
  definitions: loadEngineDefinitions(),
  log: createLogger({ level: 'silent' }),
};
const decisions = (m: Record<string, number>) => ({
  notifications: m['first notifications'],
  shown: m['alerts shown in them'],
  steady: m['steady flushes'],
  sent: m['steady notifications'],
});

test('engine bench decisions: the in-memory baseline and SQLite decide the seed alike', async (t) => {
  const memory = await decisionRound('in-memory', 0, options);
  const sqlite = await decisionRound('sqlite', 0, options);
  t.deepEqual(decisions(memory), { notifications: 35, shown: 700, steady: 50, sent: 0 });
  t.deepEqual(decisions(sqlite), decisions(memory));
  t.true((memory['receives/s'] ?? 0) > 0 && (sqlite['flushes/s'] ?? 0) > 0);
});

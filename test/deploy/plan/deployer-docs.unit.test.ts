/**
 * docs/deploy.md's "The build's identity" lists what the plan's deployer section grants, so a
 * role added to or dropped from deploy/plan/deployer.ts without the docs fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { buildPlan } from '../../../deploy/plan/plan.js';
import { planTarget } from '../../../deploy/plan/target.js';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const doc = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
const start = doc.indexOf("\n## The build's identity\n");
const section = doc.slice(start, doc.indexOf('\n## ', start + 1));

test("deploy docs: the build's identity names every role the plan's deployer section grants, and no other", (t) => {
  t.true(start >= 0);
  // Staging: the one environment whose smoke test reads a secret, so every grant is there.
  const plan = buildPlan(planTarget('staging'), { available: false, reason: 'unused' });
  const granted = new Set(
    plan.steps
      .filter((s) => s.section === 'deployer')
      .flatMap((s) => s.argv.filter((a) => a.startsWith('--role=')).map((a) => a.slice(7))),
  );
  const table = section.split('\n').filter((l) => l.startsWith('| '));
  const documented = new Set(
    table.flatMap((l) => [...l.matchAll(/`(roles\/[^`]+)`/g)].map((m) => m[1])),
  );
  t.deepEqual([...documented].sort(), [...granted].sort());
});

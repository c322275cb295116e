/** A rules directory with one rule that fires at the first failed probe (for tests that need a finding now). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function downRuleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-rules-'));
  writeFileSync(
    join(dir, 'down.yaml'),
    [
      'rules:',
      '  - alertname: TargetDown',
      '    type: threshold',
      '    severity: critical',
      '    metric: up',
      '    op: "<"',
      '    value: 1',
      '    for: 0s',
      '    summary: "{{target}} is down"',
      '',
    ].join('\n'),
  );
  return dir;
}

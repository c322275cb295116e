/**
 * Every alert runwatch can raise has a runbook an operator can act on: its definition's
 * `runbook_url` is `docs/runbooks/<alertname>.md`, that file exists, opens with `# <alertname>`,
 * and its first section is `## Look first` with something in it. No runbook outlives its alert,
 * and the index lists every runbook. The alerts come from every definition source at once
 * (`knownAlerts`), so a new source (the Monitoring policies) is held to the same rules.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { absoluteRunbookUrl, RUNBOOK_DIR, runbookPath } from '../../alerts/runbooks.js';
import { openStore } from '../../alerts/store/open.js';
import { SCRAPE_ERR_TIMEOUT } from '../../alerts/sweep/scrape-errors.js';
import { SCRAPE_FAILED, scrapeFindings } from '../../alerts/sweep/scrape-findings.js';
import { checkSweeperHeartbeat, SWEEPER_ABSENT } from '../../alerts/trends/sweeper-heartbeat.js';
import { knownAlertnames, knownAlerts } from '../../deploy/monitoring/known-alerts.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RULES_DIR = join(ROOT, 'alerts/definitions/trend-rules');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The `##` sections of a markdown text, in order, with the text under each (to the next heading). */
function sections(markdown: string): { heading: string; body: string }[] {
  const out: { heading: string; body: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^## (.+)$/.exec(lines[i] ?? '');
    if (m === null) continue;
    let end = i + 1;
    while (end < lines.length && !/^#{1,6} /.test(lines[end] ?? '')) end++;
    out.push({
      heading: (m[1] ?? '').trim(),
      body: lines
        .slice(i + 1, end)
        .join('\n')
        .trim(),
    });
  }
  return out;
}

const alerts = knownAlerts(RULES_DIR);

test('runbooks: the known alerts are the trend rules plus ScrapeFailed and SweeperAbsent, each once', (t) => {
  const names = knownAlertnames(RULES_DIR);
  t.is(new Set(names).size, names.length, names.join(', '));
  for (const name of ['InferDown', 'InferErrorBudgetBurnPage', SCRAPE_FAILED, SWEEPER_ABSENT]) {
    t.true(names.includes(name), name);
  }
  t.deepEqual(
    names,
    alerts.map((a) => a.alertname),
  );
});

for (const alert of alerts) {
  const where = alert.source.startsWith(ROOT) ? alert.source.slice(ROOT.length) : alert.source;
  test(`runbooks: ${alert.alertname} (${where}) carries runbook_url docs/runbooks/${alert.alertname}.md, whose first section says what to look at first`, (t) => {
    t.is(alert.runbookUrl, runbookPath(alert.alertname));
    const path = runbookPath(alert.alertname);
    t.true(existsSync(join(ROOT, path)), `${path} exists`);
    if (!existsSync(join(ROOT, path))) return;
    const text = read(path);
    t.is(text.split('\n')[0], `# ${alert.alertname}`, `${path}: its title`);
    const [first] = sections(text);
    t.is(first?.heading, 'Look first', `${path}: the first ## heading`);
    t.true((first?.body.length ?? 0) > 0, `${path}: text under ## Look first`);
  });
}

test('runbooks: every runbook file belongs to a known alertname (no orphans)', (t) => {
  const names = new Set(alerts.map((a) => a.alertname));
  const orphans = readdirSync(join(ROOT, RUNBOOK_DIR))
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((f) => f.slice(0, -'.md'.length))
    .filter((name) => !names.has(name));
  t.deepEqual(orphans, []);
});

test('runbooks: the index links every runbook', (t) => {
  const index = read(`${RUNBOOK_DIR}/README.md`);
  const missing = alerts.map((a) => a.alertname).filter((name) => !index.includes(`](${name}.md)`));
  t.deepEqual(missing, []);
});

test('runbooks: the findings built in code carry their runbook (ScrapeFailed from a sweep, SweeperAbsent from the heartbeat)', async (t) => {
  const store = await openStore('sqlite::memory:', { platform: 'local' });
  try {
    const [scrape] = await scrapeFindings(
      store,
      [
        {
          target: 'emotion',
          scraped: true,
          problems: [{ probe: 'metrics', code: SCRAPE_ERR_TIMEOUT, message: 'no answer' }],
        },
      ],
      1_000_000,
    );
    t.is(scrape?.alertname, SCRAPE_FAILED);
    t.is(scrape?.annotations.runbook_url, runbookPath(SCRAPE_FAILED));
  } finally {
    await store.close();
  }
  const absent = checkSweeperHeartbeat({
    job: 'health-sweep',
    lastRecordedAt: null,
    watchingSince: 0,
    now: 120_000,
    maxSilenceMs: 60_000,
    wasFiring: false,
  });
  t.is(absent?.state, 'firing');
  t.is(absent?.annotations.runbook_url, runbookPath(SWEEPER_ABSENT));
});

test('runbooks: a repository path becomes a link under a base URL, with or without its trailing slash; an https runbook stays as it is', (t) => {
  const path = runbookPath('InferDown');
  t.is(
    absoluteRunbookUrl(path, 'https://github.com/o/runwatch/blob/main'),
    'https://github.com/o/runwatch/blob/main/docs/runbooks/InferDown.md',
  );
  t.is(
    absoluteRunbookUrl(path, 'https://docs.example/runwatch/'),
    'https://docs.example/runwatch/docs/runbooks/InferDown.md',
  );
  t.is(absoluteRunbookUrl(path), path);
  t.is(
    absoluteRunbookUrl('https://wiki.example/rb/down', 'https://docs.example/'),
    'https://wiki.example/rb/down',
  );
});

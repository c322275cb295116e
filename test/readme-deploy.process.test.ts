/**
 * The README's Deploy section is a path a new user follows from zero, so its commands are held
 * to the code: the setup plan command runs as written and writes the APIs, accounts, secrets,
 * repository and the deployer's grants it promises; the secrets it fills are ones that plan
 * creates; no role is granted by hand; and the one command's substitutions are ones
 * cloudbuild.yaml declares.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(
  readme.indexOf('## Deploy\n'),
  readme.indexOf('\n## ', readme.indexOf('## Deploy\n') + 1),
);
/** The section's shell block, continuation lines joined. */
const shell = (/```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '').replace(/\\\n\s*/g, ' ');
const line = (start: string): string =>
  shell.split('\n').find((l) => l.trim().startsWith(start)) ?? '';

test("readme deploy: the setup plan command runs as written and covers APIs, accounts, secrets, the repository and the deployer's grants", (t) => {
  const command = line('npm run deploy:plan');
  t.regex(command, /--only apis,accounts,secrets,registry,deployer /);
  const args = command.split('&&')[0]?.trim().split(/\s+/).slice(4) ?? [];
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-readme-'));
  try {
    const values: Record<string, string> = {
      P: 'readme-proj',
      N: '123456789012',
      R: 'europe-west1',
    };
    const argv = args.map((a) => values[a] ?? (a === 'setup.sh' ? join(dir, 'setup.sh') : a));
    execFileSync(process.execPath, [join(ROOT, 'build/deploy/cli/plan.js'), ...argv], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    const script = readFileSync(join(dir, 'setup.sh'), 'utf8');
    t.regex(script, /gcloud services enable run\.googleapis\.com .*monitoring\.googleapis\.com/);
    t.regex(script, /gcloud services enable .*cloudresourcemanager\.googleapis\.com/);
    for (const account of [
      'runwatch-service',
      'runwatch-functions',
      'runwatch-invoker',
      'runwatch-deployer',
      'runwatch-builder',
    ])
      t.regex(script, new RegExp(`service-accounts create ${account} `), account);
    t.regex(
      script,
      /gcloud projects add-iam-policy-binding readme-proj --member=serviceAccount:runwatch-deployer@readme-proj\.iam\.gserviceaccount\.com --role=roles\/run\.admin /,
    );
    t.regex(script, /artifacts repositories create runwatch /);
    for (const [, secret] of shell.matchAll(/gcloud secrets versions add (\S+)/g))
      t.regex(script, new RegExp(`secrets create ${secret} `), `README fills ${secret}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("readme deploy: no role is granted by hand: the grants are the plan's deployer section", (t) => {
  t.true(shell.length > 0);
  t.false(shell.includes('add-iam-policy-binding'), shell);
  t.false(/\bfor role in\b/.test(shell));
  t.false(section.includes('@cloudbuild.gserviceaccount.com'));
  t.false(section.includes('projectIamAdmin'));
});

test('readme deploy: the one command names cloudbuild.yaml and only substitutions it declares', (t) => {
  const command = line('gcloud builds submit');
  t.regex(command, /--config=cloudbuild\.yaml/);
  const declared = Object.keys(
    (parse(readFileSync(join(ROOT, 'cloudbuild.yaml'), 'utf8')) as { substitutions: object })
      .substitutions,
  );
  const used = [...(/--substitutions=(\S+)/.exec(command)?.[1] ?? '').split(',')].map(
    (kv) => kv.split('=')[0] ?? '',
  );
  t.true(used.length >= 2);
  t.deepEqual(
    used.filter((u) => !declared.includes(u)),
    [],
  );
});

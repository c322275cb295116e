/** Where findEmulator looks, over scratch directories holding stand-in executables. */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { DEBIAN_SDK_ROOT, findEmulator, sdkRoots } from '../../stack/pubsub-emulator.js';

const INSTALL = 'gcloud components install pubsub-emulator';

function executable(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

const scratch = () => mkdtempSync(join(tmpdir(), 'runwatch-find-emulator-'));

test('findEmulator: PUBSUB_EMULATOR_BIN that is not an executable is refused, naming it and how to install, with no other place tried', (t) => {
  const bin = scratch();
  executable(bin, 'java');
  executable(bin, 'cloud-pubsub-emulator');
  const found = findEmulator({ PUBSUB_EMULATOR_BIN: '/nonexistent/emu', PATH: bin }, []);
  t.is(found.path, null);
  if (found.path !== null) return;
  t.true(
    found.reason.startsWith('PUBSUB_EMULATOR_BIN=/nonexistent/emu is not an executable file;'),
    found.reason,
  );
  t.true(found.reason.includes(INSTALL));
  t.false(found.reason.includes('\n'), 'one line');
});

test('findEmulator: PUBSUB_EMULATOR_BIN wins over PATH', (t) => {
  const dir = scratch();
  const own = executable(join(dir, 'own'), 'emulator');
  executable(join(dir, 'path'), 'cloud-pubsub-emulator');
  executable(join(dir, 'path'), 'java');
  t.deepEqual(findEmulator({ PUBSUB_EMULATOR_BIN: own, PATH: join(dir, 'path') }, []), {
    path: own,
    found: 'PUBSUB_EMULATOR_BIN',
  });
});

test('findEmulator: cloud-pubsub-emulator on PATH comes before a Cloud SDK root', (t) => {
  const dir = scratch();
  const onPath = executable(join(dir, 'bin'), 'cloud-pubsub-emulator');
  executable(join(dir, 'bin'), 'java');
  executable(join(dir, 'sdk', 'platform', 'pubsub-emulator', 'bin'), 'cloud-pubsub-emulator');
  t.deepEqual(findEmulator({ PATH: join(dir, 'bin') }, [join(dir, 'sdk')]), {
    path: onPath,
    found: 'PATH',
  });
});

test('findEmulator: under a Cloud SDK root in platform/pubsub-emulator/bin', (t) => {
  const dir = scratch();
  executable(join(dir, 'bin'), 'java');
  const inSdk = executable(
    join(dir, 'sdk', 'platform', 'pubsub-emulator', 'bin'),
    'cloud-pubsub-emulator',
  );
  t.deepEqual(findEmulator({ PATH: join(dir, 'bin') }, [join(dir, 'none'), join(dir, 'sdk')]), {
    path: inSdk,
    found: `the Cloud SDK at ${join(dir, 'sdk')}`,
  });
});

test("findEmulator: the root of the gcloud on PATH, through its symlink, is looked under after the Debian package's", (t) => {
  const dir = scratch();
  const gcloud = executable(join(dir, 'google-cloud-sdk', 'bin'), 'gcloud');
  mkdirSync(join(dir, 'bin'));
  symlinkSync(gcloud, join(dir, 'bin', 'gcloud'));
  t.deepEqual(sdkRoots({ PATH: join(dir, 'bin') }), [
    DEBIAN_SDK_ROOT,
    join(realpathSync(dir), 'google-cloud-sdk'),
  ]);
  t.deepEqual(sdkRoots({ PATH: '' }), [DEBIAN_SDK_ROOT]);
});

test('findEmulator: none anywhere is null with where it looked and how to install one, in one line', (t) => {
  const dir = scratch();
  executable(join(dir, 'bin'), 'java');
  const found = findEmulator({ PATH: join(dir, 'bin') }, [join(dir, 'sdk')]);
  t.is(found.path, null);
  if (found.path !== null) return;
  t.true(
    found.reason.startsWith(
      'no Pub/Sub emulator: cloud-pubsub-emulator is neither on PATH nor under ',
    ),
    found.reason,
  );
  t.true(
    found.reason.includes(
      join(dir, 'sdk', 'platform', 'pubsub-emulator', 'bin', 'cloud-pubsub-emulator'),
    ),
  );
  t.true(found.reason.includes(INSTALL));
  t.true(found.reason.includes('google-cloud-cli-pubsub-emulator'));
  t.false(found.reason.includes('\n'));
});

test('findEmulator: an emulator without Java is null, saying Java is missing', (t) => {
  const dir = scratch();
  executable(join(dir, 'bin'), 'cloud-pubsub-emulator');
  const found = findEmulator({ PATH: join(dir, 'bin') }, []);
  t.is(found.path, null);
  if (found.path !== null) return;
  t.regex(found.reason, /needs Java, and there is no java on PATH; install Java 17 or later$/);
  const viaHome = findEmulator({ PATH: join(dir, 'bin'), JAVA_HOME: join(dir, 'jdk') }, []);
  t.regex(viaHome.path === null ? viaHome.reason : '', /no .*jdk\/bin\/java \(JAVA_HOME\)/);
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { fromImages } from '../../../deploy/container/container-test.js';
import {
  debianMirror,
  readTexts,
  registriesConfFiles,
  resolveShortName,
  shortNameAlias,
  uidsOf,
} from '../../../deploy/container/host.js';
import { mmdebstrapArgs } from '../../../deploy/container/images.js';
import { programOf } from '../../../deploy/container/run-image.js';

const DOCKERFILE = readFileSync(
  fileURLToPath(new URL('../../../../Dockerfile', import.meta.url)),
  'utf8',
);

test('shortNameAlias: an [aliases] entry names the image; a later file overrides an earlier one; other tables are ignored', (t) => {
  const shipped =
    '[aliases]\n  # docker\n  "node" = "docker.io/library/node"\n  "alpine" = "docker.io/library/alpine"\n';
  const local =
    'unqualified-search-registries = ["quay.io"]\n[aliases]\n"node" = "registry.example/mirror/node" # ours\n';
  const other = '[other]\n"node" = "nope"\n';
  t.is(shortNameAlias([shipped], 'node'), 'docker.io/library/node');
  t.is(shortNameAlias([shipped, local], 'node'), 'registry.example/mirror/node');
  t.is(shortNameAlias([other], 'node'), undefined);
  t.is(resolveShortName('node:20-slim', [shipped]), 'docker.io/library/node:20-slim');
  t.is(resolveShortName('busybox', []), 'docker.io/library/busybox:latest');
});

test("resolveShortName: on this machine the Dockerfile's base resolves through podman's short-name table", (t) => {
  const images = fromImages(DOCKERFILE);
  t.deepEqual(images, ['node:20-slim']);
  t.regex(
    resolveShortName(images[0] as string, readTexts(registriesConfFiles())),
    /\/node:20-slim$/,
  );
});

test('debianMirror: the URIs of the deb822 stanza for the suite, else a one-line deb entry', (t) => {
  const sources = [
    'Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main',
    'Types: deb\n# a comment\nURIs: http://mirror.example/debian http://other.example/debian\nSuites: bookworm bookworm-updates\nComponents: main',
  ].join('\n\n');
  t.is(debianMirror([sources], 'bookworm'), 'http://mirror.example/debian');
  t.is(
    debianMirror(['deb [arch=amd64] http://old.example/debian bookworm main\n'], 'bookworm'),
    'http://old.example/debian',
  );
  t.is(
    debianMirror(['Types: deb-src\nURIs: http://src.example\nSuites: bookworm'], 'bookworm'),
    undefined,
  );
  t.is(debianMirror([sources], 'trixie'), undefined);
});

test('uidsOf: the four uids of a /proc status text', (t) => {
  t.deepEqual(
    uidsOf('Name:\tnode\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n'),
    [1000, 1000, 1000, 1000],
  );
  t.is(uidsOf('Name:\tnode\n'), undefined);
});

test('fromImages: stages named by AS are not images; --platform flags are skipped', (t) => {
  t.deepEqual(
    fromImages(
      'FROM --platform=linux/amd64 node:20-slim AS build\nRUN x\nFROM build AS test\nFROM gcr.io/distroless/nodejs20\n',
    ),
    ['node:20-slim', 'gcr.io/distroless/nodejs20'],
  );
});

test('programOf: the Entrypoint, then the Cmd', (t) => {
  t.deepEqual(programOf({ Entrypoint: ['node', 'main.js'], Cmd: null }), ['node', 'main.js']);
  t.deepEqual(programOf({ Entrypoint: ['node'], Cmd: ['a.js'] }), ['node', 'a.js']);
});

test('mmdebstrapArgs: a bookworm minbase with libstdc++ and CA certificates, from the mirror given, into the tarball given', (t) => {
  const args = mmdebstrapArgs('http://mirror.example/debian', '/tmp/r.tar');
  t.deepEqual(args.slice(-3), ['bookworm', '/tmp/r.tar', 'http://mirror.example/debian']);
  t.true(args.includes('--variant=minbase'));
  t.true(args.includes('--include=ca-certificates,libstdc++6'));
});

test("Dockerfile: every npm install runs with --ignore-scripts, since node:20-slim's npm ignores allowScripts", (t) => {
  const runs = DOCKERFILE.replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => /^RUN\s/.test(l));
  const installs = runs
    .flatMap((l) => l.split('&&'))
    .filter((c) => /\bnpm\s+(ci|install|i)\b/.test(c));
  t.true(installs.length >= 2, installs.join('\n'));
  for (const c of installs) t.regex(c, /--ignore-scripts/, c);
});

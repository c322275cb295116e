import test from 'ava';
import convict from 'convict';
import { integer, oneOf, text } from '../../../lib/config/formats.js';
import { byEnvironment, byPlatform } from '../../../lib/config/presets.js';
import { readSettings } from '../../../lib/config/read.js';
import { convictSchema, setting } from '../../../lib/config/settings.js';

const tree = {
  port: setting({ env: 'T_PORT', doc: 'a port', format: integer(0, 65535), default: 8080 }),
  limits: {
    depth: setting({ env: 'T_DEPTH', doc: 'a depth', format: integer(1, 10), default: 5 }),
    mode: setting({ env: 'T_MODE', doc: 'a mode', format: oneOf(['a', 'b']), default: 'a' }),
  },
  secret: setting({
    env: 'T_SECRET',
    doc: 'a secret',
    format: text,
    default: null,
    sensitive: true,
  }),
};
const local = { platform: 'local' } as const;

test('config kit: convict itself refuses what a format refuses (the formats are registered with it)', (t) => {
  const config = convict(convictSchema(tree, local), { env: { T_DEPTH: '11' }, args: [] });
  t.throws(() => config.validate({ allowed: 'strict' }), {
    message: /limits\.depth: an integer from 1 to 10/,
  });
});

test('config kit: values come back in the tree’s shape, typed by their formats', (t) => {
  const { values, report } = readSettings(tree, { T_PORT: '9000', T_MODE: 'b' }, local);
  t.deepEqual(values, { port: 9000, limits: { depth: 5, mode: 'b' }, secret: null });
  t.deepEqual(report.problems, []);
});

test('config kit: every refused value is its own problem, quoting what the operator wrote', (t) => {
  const { report } = readSettings(tree, { T_PORT: '8s', T_DEPTH: 'lots', T_MODE: 'c' }, local);
  t.deepEqual(report.problems, [
    { variable: 'T_PORT', value: '8s', expected: 'an integer from 0 to 65535' },
    { variable: 'T_DEPTH', value: 'lots', expected: 'an integer from 1 to 10' },
    { variable: 'T_MODE', value: 'c', expected: 'one of a, b' },
  ]);
});

test('config kit: a refused value reads as its default, so rules over several keys need not guard it', (t) => {
  const { values } = readSettings(tree, { T_PORT: '70000', T_DEPTH: '0' }, local);
  t.is(values.port, 8080);
  t.is(values.limits.depth, 5);
});

test('config kit: a sensitive value is never quoted in a problem', (t) => {
  const { report } = readSettings(tree, { T_SECRET: '   ' }, local);
  t.deepEqual(report.problems, [
    { variable: 'T_SECRET', value: '[redacted]', expected: 'a non-empty string' },
  ]);
});

test('config kit: an empty variable reads as unset, yet counts as set by the operator', (t) => {
  const { values, report, operator } = readSettings(tree, { T_PORT: '', T_SECRET: '' }, local);
  t.is(values.port, 8080);
  t.is(values.secret, null);
  t.deepEqual(report.problems, []);
  t.true(operator.has('T_PORT'));
  t.is(operator.text('T_PORT'), '');
  t.false(operator.has('T_DEPTH'));
});

test('config kit: a preset default follows the environment and the platform', (t) => {
  const presets = {
    byEnv: setting({ env: 'T_E', doc: '', format: integer(0, 9), default: byEnvironment(1, 2, 3) }),
    byPlat: setting({ env: 'T_P', doc: '', format: integer(0, 9), default: byPlatform(4, 5, 6) }),
  };
  const read = (ctx: Parameters<typeof readSettings>[2]) => readSettings(presets, {}, ctx).values;
  t.deepEqual(read({ environment: 'production', platform: 'cloud-run' }), { byEnv: 1, byPlat: 4 });
  t.deepEqual(read({ environment: 'staging', platform: 'kubernetes' }), { byEnv: 2, byPlat: 5 });
  t.deepEqual(read({ platform: 'local' }), { byEnv: 3, byPlat: 6 }, 'no environment: development');
});

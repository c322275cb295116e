import test from 'ava';
import {
  decimal,
  defineFormat,
  type Format,
  integer,
  oneOf,
  text,
  trueOrFalse,
} from '../../../lib/config/formats.js';
import { readSettings } from '../../../lib/config/read.js';
import { setting } from '../../../lib/config/settings.js';

/** What `raw` reads as through `format`: its value, or what was expected instead. */
function read<T>(format: Format<T>, raw: string): T | { expected: string } {
  const tree = { v: setting<T>({ env: 'V', doc: '', format, default: null }) };
  const { values, report } = readSettings(tree, { V: raw }, { platform: 'local' });
  const problem = report.problems[0];
  return problem === undefined ? (values.v as T) : { expected: problem.expected };
}

const rows: { name: string; format: Format<unknown>; raw: string; reads: unknown }[] = [
  { name: 'integer', format: integer(0, 10), raw: '7', reads: 7 },
  { name: 'integer', format: integer(0, 10), raw: ' +7 ', reads: 7 },
  { name: 'integer', format: integer(-5, 10), raw: '-5', reads: -5 },
  {
    name: 'integer',
    format: integer(0, 10),
    raw: '1.5',
    reads: { expected: 'an integer from 0 to 10' },
  },
  {
    name: 'integer',
    format: integer(0, 10),
    raw: '8s',
    reads: { expected: 'an integer from 0 to 10' },
  },
  {
    name: 'integer',
    format: integer(0, 10),
    raw: '11',
    reads: { expected: 'an integer from 0 to 10' },
  },
  { name: 'decimal', format: decimal(0, 1), raw: '0.25', reads: 0.25 },
  {
    name: 'decimal',
    format: decimal(0, 1),
    raw: '1.5',
    reads: { expected: 'a number from 0 to 1' },
  },
  {
    name: 'decimal',
    format: decimal(0, 1),
    raw: 'half',
    reads: { expected: 'a number from 0 to 1' },
  },
  { name: 'oneOf', format: oneOf(['a', 'b']), raw: 'b', reads: 'b' },
  { name: 'oneOf', format: oneOf(['a', 'b']), raw: 'B', reads: { expected: 'one of a, b' } },
  { name: 'text', format: text, raw: ' x ', reads: ' x ' },
  { name: 'text', format: text, raw: '  ', reads: { expected: 'a non-empty string' } },
  { name: 'trueOrFalse', format: trueOrFalse, raw: 'TRUE', reads: true },
  { name: 'trueOrFalse', format: trueOrFalse, raw: '0', reads: false },
  { name: 'trueOrFalse', format: trueOrFalse, raw: 'yes', reads: { expected: 'true or false' } },
  {
    name: 'trueOrFalse',
    format: trueOrFalse,
    raw: 'constructor',
    reads: { expected: 'true or false' },
  },
];
for (const row of rows) {
  test(`config format ${row.name}: ${JSON.stringify(row.raw)} reads as ${JSON.stringify(row.reads)}`, (t) => {
    t.deepEqual(read(row.format, row.raw), row.reads);
  });
}

test('config format: a name is defined once (convict keeps one registry for the process)', (t) => {
  t.throws(() => defineFormat({ name: 'int-range', validate: () => {} }), {
    message: 'config format "int-range" is defined twice',
  });
});

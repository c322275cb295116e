import test from 'ava';
import { stoppedAsAsked } from '../../stack/children.js';

test('stack stop: a child that exited 0 or died of SIGINT/SIGTERM stopped as asked; SIGKILL, other signals, non-zero codes and spawn errors did not', (t) => {
  t.true(stoppedAsAsked({ code: 0, signal: null }));
  t.true(stoppedAsAsked({ code: null, signal: 'SIGINT' }));
  t.true(stoppedAsAsked({ code: null, signal: 'SIGTERM' }));
  t.false(stoppedAsAsked({ code: null, signal: 'SIGKILL' }));
  t.false(stoppedAsAsked({ code: null, signal: 'SIGSEGV' }));
  t.false(stoppedAsAsked({ code: 1, signal: null }));
  t.false(stoppedAsAsked({ code: null, signal: null, error: 'spawn ENOENT' }));
  t.false(stoppedAsAsked(null), 'still running');
});

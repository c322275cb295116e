import { testRefusals } from '../../helpers/service-config.js';

testRefusals('observability', [
  {
    name: 'an unknown log level',
    env: { LOG_LEVEL: 'loud' },
    message: 'LOG_LEVEL="loud": expected one of trace, debug, info, warn, error, fatal, silent',
  },
  {
    name: 'a non-boolean LOG_PRETTY',
    env: { LOG_PRETTY: 'maybe' },
    message: 'LOG_PRETTY="maybe": expected true or false',
  },
]);

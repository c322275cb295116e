/**
 * What `npm start` serves on a fresh clone: service/main.js as a real child process, no
 * MODEL_PATH, so the committed models/emotion-ekman package is loaded from the repository.
 */
import test from 'ava';
import { request, startChild } from '../../helpers/child-service.js';

test('default model: main.js with no MODEL_PATH serves /predict from the committed emotion-ekman package', async (t) => {
  const svc = await startChild({}, { main: true });
  try {
    const ready = await svc.waitForEvent('model.ready');
    t.regex(String(ready.model), /^emotion-ekman@/);
    const clear: [string, string][] = [
      ['Thank you so much, this made my day! I love it', 'joy'],
      ['I am so angry right now, this is infuriating', 'anger'],
      ["I'm terrified, this is really scary", 'fear'],
      ['I miss her so much, it hurts and I feel so sad', 'sadness'],
    ];
    for (const [text, label] of clear) {
      const res = await request(svc.port, '/predict', { body: { text } });
      t.is(res.status, 200, text);
      const body = JSON.parse(res.body ?? '{}') as {
        emotion: string;
        predicted: string[];
        emotions: { emotion: string; confidence: number }[];
        model_version: string;
      };
      t.is(body.emotions.length, 7);
      t.is(body.emotion, label, `top label of "${text}"`);
      t.true(body.predicted.includes(label), `predicted of "${text}": ${body.predicted.join(',')}`);
    }
    const labels = await request(svc.port, '/emotions');
    t.deepEqual(JSON.parse(labels.body ?? '{}').emotions, [
      'anger',
      'disgust',
      'fear',
      'joy',
      'neutral',
      'sadness',
      'surprise',
    ]);
  } finally {
    svc.kill('SIGTERM');
    t.is((await svc.exited).code, 0);
  }
});

/**
 * A client that disconnects while its text waits for a run: the text is dropped when its run is
 * assembled and never reaches the model, over real sockets (the RecordingModel wrapper holds a
 * run on cue).
 */
import net from 'node:net';
import test from 'ava';
import { buildTestApp } from '../../helpers/test-app.js';

const predict = (text: string) => {
  const body = JSON.stringify({ text });
  return `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};

for (const route of ['/predict', '/predict_batch', '/v2/models/tiny-test-model/infer'] as const) {
  test(`client closed: a text queued by ${route} is dropped when its client has disconnected, and never scored`, async (t) => {
    const built = await buildTestApp();
    try {
      const port = Number(new URL(await built.listen()).port);
      const release = built.recording.holdOn('busy');
      const busy = built.http({ method: 'POST', url: '/predict', payload: { text: 'busy' } });
      await built.recording.started('busy');

      const payload =
        route === '/predict'
          ? predict('victim')
          : route === '/predict_batch'
            ? (() => {
                const body = JSON.stringify({ texts: ['victim', 'victim too'] });
                return `POST /predict_batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
              })()
            : (() => {
                const body = JSON.stringify({
                  inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['victim'] }],
                });
                return `POST ${route} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
              })();
      const socket = net.connect(port, '127.0.0.1', () => socket.write(payload));
      socket.on('error', () => undefined);
      const queued = route === '/predict_batch' ? 3 : 2;
      while (built.served.batcher.queueDepth < queued) await new Promise((r) => setTimeout(r, 2));

      t.is(built.connections.inFlight, 2);
      socket.destroy();
      // The server sees the connection close: its response is no longer in flight.
      while (built.connections.inFlight > 1) await new Promise((r) => setTimeout(r, 2));
      t.is(built.served.batcher.queueDepth, queued, 'a gone client’s texts wait in place');
      t.is(built.served.batcher.stats().textsDropped, 0);
      release();
      t.is((await busy).statusCode, 200);
      // The run after the held one is assembled without them.
      while (built.served.batcher.stats().textsDropped < queued - 1) {
        await new Promise((r) => setTimeout(r, 2));
      }
      t.is(built.served.batcher.queueDepth, 0);
      const after = await built.http({
        method: 'POST',
        url: '/predict',
        payload: { text: 'after' },
      });
      t.is(after.statusCode, 200);
      t.false(
        built.recording.texts.some((x) => x.startsWith('victim')),
        'the dropped texts never reached the model',
      );
      t.is(built.served.batcher.stats().textsDropped, queued - 1);
    } finally {
      await built.app.close();
    }
  });
}

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshStore, startServer, type TestServer } from './helpers.js';

/** Resolves with the seconds until the server closed the socket, after sending `bytes`. */
function secondsUntilClosed(base: string, bytes: string, limitMs: number): Promise<number | null> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname, () => {
      if (bytes) socket.write(bytes);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, limitMs);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve((Date.now() - started) / 1000);
    });
  });
}

/*
 * Slow clients (ASVS V13, slowloris): a connection that sends nothing, or stops half-way
 * through its headers or body, must not hold a socket for ever. Node's own header and request
 * timeouts do not reach these; TOKENWARD_CONNECTION_TIMEOUT_SECONDS does.
 */
describe('connection timeout', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer(freshStore('sqlite'), { config: { connectionTimeoutSeconds: 1 } });
  });
  afterAll(async () => {
    await s.close();
  });

  it('closes a connection that sends nothing, half its headers, or half its body', async () => {
    const [idle, halfHeaders, halfBody] = await Promise.all([
      secondsUntilClosed(s.url, '', 10_000),
      secondsUntilClosed(s.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 10_000),
      secondsUntilClosed(
        s.url,
        'POST /api/v1/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user',
        10_000,
      ),
    ]);
    for (const seconds of [idle, halfHeaders, halfBody]) {
      expect(seconds).not.toBeNull();
      expect(seconds!).toBeGreaterThanOrEqual(0.9);
      expect(seconds!).toBeLessThan(5);
    }
  });

  it('a connection that keeps asking is not cut off', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  });
});

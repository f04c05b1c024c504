import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The built server, as `npm start` runs it (`npm test` builds first through its pretest script). */
export const SERVER_ENTRY = resolve(__dirname, '../dist/server.js');

export interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}

/** Starts the real server process and resolves once it listens. */
export async function spawnServer(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      // Test clients are all 127.0.0.1 and present revoked tokens on purpose: the guessing
      // limiter (tested on its own) would block them.
      TOKENWARD_AUTH_FAILURE_MAX: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited:\n${out}`));
    });
  });
  return { child, url, output: () => out, exit };
}

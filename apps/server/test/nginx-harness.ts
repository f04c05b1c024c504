import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NGINX = '/usr/sbin/nginx';
const TEMPLATE = fileURLToPath(new URL('./fixtures/nginx-gateway.conf', import.meta.url));

/** Why the nginx tests cannot run here, or null when they can. */
export function nginxProblem(): string | null {
  if (!existsSync(NGINX)) return `${NGINX} is missing (Debian package nginx-light)`;
  const version = spawnSync(NGINX, ['-V'], { encoding: 'utf8' });
  const text = `${version.stdout}${version.stderr}`;
  if (version.status !== 0) return `${NGINX} -V failed: ${text || version.error}`;
  if (!text.includes('http_auth_request_module')) return `${NGINX} is built without http_auth_request_module`;
  return null;
}

/** A loopback port nobody listens on right now (another process may take it before we do). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface Upstream {
  port: number;
  /** Every request that reached the upstream, oldest first. */
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** The API behind the gateway: answers 200 with a JSON echo of what it received. */
export async function startUpstream(): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
      seen.push(entry);
      const body = JSON.stringify(entry);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Gateway {
  url: string;
  /** Stops nginx (this child process only) and removes its folder. */
  stop(): Promise<void>;
  errorLog(): string;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // SIGTERM: nginx's fast shutdown; the master stops its worker before it exits.
  child.kill('SIGTERM');
  if (!(await waitForExit(child, 5000))) {
    child.kill('SIGKILL');
    await waitForExit(child, 5000);
  }
}

/** Resolves true once the gateway answers with `nonce`, false if nginx exits first. */
async function ready(child: ChildProcess, port: number, nonce: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/_gateway_ready`);
      if ((await res.text()) === nonce) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * Starts nginx in the foreground (a child of this process) on a free loopback port, with its own
 * prefix folder for config, pid, logs and temp files. Retries once with another port when the
 * first one was taken between finding it and nginx binding it.
 */
export async function startGateway(opts: { tokenwardPort: number; upstreamPort: number }): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-nginx-'));
  const conf = join(dir, 'nginx.conf');
  const logFile = join(dir, 'error.log');
  const errorLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  let lastFailure = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    const port = await freePort();
    const nonce = randomBytes(12).toString('hex');
    const text = readFileSync(TEMPLATE, 'utf8')
      // nginx started by root would run its worker as `nobody`, who cannot use this folder.
      .replaceAll('{{USER}}', process.getuid?.() === 0 ? 'user root;' : '')
      .replaceAll('{{PREFIX}}', dir)
      .replaceAll('{{PORT}}', String(port))
      .replaceAll('{{NONCE}}', nonce)
      .replaceAll('{{UPSTREAM_PORT}}', String(opts.upstreamPort))
      .replaceAll('{{TOKENWARD_PORT}}', String(opts.tokenwardPort));
    writeFileSync(conf, text);
    let stderr = '';
    // `-e` also sends the messages of start-up, before the config is read, into the folder.
    const child = spawn(NGINX, ['-p', `${dir}/`, '-c', conf, '-e', logFile, '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.on('error', (err) => {
      stderr += String(err);
    });
    if (await ready(child, port, nonce, 10_000)) {
      return {
        url: `http://127.0.0.1:${port}`,
        errorLog,
        async stop() {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child);
    lastFailure = `${stderr}\n${errorLog()}`;
    if (!/Address already in use/.test(lastFailure)) break;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`nginx did not start:\n${lastFailure}`);
}

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NGINX = '/usr/sbin/nginx';
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const README_SECTION = '### Putting an existing API behind Tokenward with nginx';
/** The addresses the README's block names, replaced by the test's. */
export const README_TOKENWARD = '127.0.0.1:5000';
export const README_UPSTREAM = '127.0.0.1:8080';

/**
 * The fenced ```nginx block of the README's section "Putting an existing API behind Tokenward
 * with nginx", as written: the test runs exactly what users copy.
 */
export function readmeNginxBlock(): string {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(`\n${README_SECTION}\n`);
  if (start === -1) throw new Error(`README.md has no section "${README_SECTION}"`);
  const next = text.indexOf('\n#', start + README_SECTION.length + 2);
  const section = text.slice(start, next === -1 ? undefined : next);
  const m = /\n```nginx\n([\s\S]*?)\n```\n/.exec(section);
  if (!m) throw new Error(`README.md section "${README_SECTION}" has no \`\`\`nginx block`);
  return m[1]!;
}

/**
 * The text of the top-level block that starts with `head` (e.g. `location / {`) in an nginx
 * config, braces in quoted strings and comments skipped.
 */
export function nginxBlock(config: string, head: string): string {
  const lines = config.split('\n');
  const first = lines.findIndex((l) => l.trimEnd() === head);
  if (first === -1) throw new Error(`no line "${head}" in the nginx config`);
  const rest = lines.slice(first).join('\n');
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#') {
      const eol = rest.indexOf('\n', i);
      i = eol === -1 ? rest.length : eol;
    } else if (c === '{') {
      depth++;
    } else if (c === '}' && --depth === 0) {
      return rest.slice(0, i + 1);
    }
  }
  throw new Error(`the block "${head}" is not closed`);
}

/** Replaces `from` (which must occur) by `to` everywhere in `text`. */
function replaceAllChecked(text: string, from: string, to: string, what: string): string {
  if (!text.includes(from)) throw new Error(`${what}: "${from}" not found; did the README change?`);
  return text.replaceAll(from, to);
}

/**
 * The README's instruction for a part of the API that needs a permission, applied to its block:
 * `location /` copied as `location {path}` with its own check, and `location = /_tokenward`
 * copied as that check, with `?permission=…` on Tokenward's address.
 */
export function permissionCopy(block: string, path: string, permission: string): string {
  const check = `/_tokenward_${path.replace(/[^a-z]/g, '')}`;
  let location = nginxBlock(block, 'location / {');
  location = replaceAllChecked(location, 'location / {', `location ${path} {`, 'location /');
  location = replaceAllChecked(location, 'auth_request /_tokenward;', `auth_request ${check};`, 'location /');
  let verify = nginxBlock(block, 'location = /_tokenward {');
  verify = replaceAllChecked(verify, 'location = /_tokenward {', `location = ${check} {`, 'the check');
  verify = replaceAllChecked(
    verify,
    '/api/v1/auth/verify;',
    `/api/v1/auth/verify?permission=${permission};`,
    'the check',
  );
  return `${location}\n${verify}`;
}

/**
 * The whole nginx.conf of a test gateway. The README's block is `location`-level (it goes inside
 * the user's own `server { … }`), so it is wrapped in the least that makes a config of it: the
 * process settings that keep everything nginx writes in the test's folder, one `server` on a
 * loopback port, and a readiness location. The block itself is changed only in its two
 * addresses; the permission example is the README's instruction applied to it (permissionCopy).
 */
export function gatewayConfig(opts: {
  prefix: string;
  port: number;
  nonce: string;
  tokenwardPort: number;
  upstreamPort: number;
}): string {
  let block = readmeNginxBlock();
  block = replaceAllChecked(block, README_TOKENWARD, `127.0.0.1:${opts.tokenwardPort}`, 'Tokenward address');
  block = replaceAllChecked(block, README_UPSTREAM, `127.0.0.1:${opts.upstreamPort}`, 'upstream address');
  const indent = (text: string) => text.replace(/^(?=.)/gm, '    ');
  // nginx started by root would run its worker as `nobody`, who cannot use this folder.
  return `${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${opts.prefix}/nginx.pid;
error_log ${opts.prefix}/error.log warn;

events {
  worker_connections 64;
}

http {
  access_log ${opts.prefix}/access.log;
  client_body_temp_path ${opts.prefix}/client_body;
  proxy_temp_path ${opts.prefix}/proxy;
  fastcgi_temp_path ${opts.prefix}/fastcgi;
  uwsgi_temp_path ${opts.prefix}/uwsgi;
  scgi_temp_path ${opts.prefix}/scgi;

  server {
    listen 127.0.0.1:${opts.port};

    # The test polls this until it answers with its nonce: then this nginx, not another
    # process that took the port, is listening.
    location = /_gateway_ready {
      return 200 "${opts.nonce}";
    }

    # README.md, "Putting an existing API behind Tokenward with nginx", as written:
${indent(block)}

    # The README's instruction for a part that needs billing:read, applied to that block:
${indent(permissionCopy(block, '/billing/', 'billing:read'))}
  }
}
`;
}

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

/**
 * The API behind the gateway: answers 200 with a JSON echo of what it received. With `answer`,
 * a stand-in for another server (e.g. a Tokenward that answers as a test wants).
 */
export async function startUpstream(
  answer?: (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void,
): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
      seen.push(entry);
      if (answer) {
        answer(req, res, entry);
        return;
      }
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
    writeFileSync(conf, gatewayConfig({ prefix: dir, port, nonce, ...opts }));
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

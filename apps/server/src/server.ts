import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

/** Starts Tokenward: config from the environment, listen, graceful shutdown on SIGTERM/SIGINT. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tokenward: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const app = await buildApp({ config });
  const { firstStart } = app.tw;
  await app.listen({ port: config.port, host: config.host });
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  if (firstStart.created) {
    // Printed once, on the start that created the store, and never logged.
    const lines = [
      '',
      '  Tokenward is ready: first start, the store was created.',
      `  Sign in at ${url}/ as "admin" with ${
        firstStart.generatedPassword
          ? `the password: ${firstStart.generatedPassword}`
          : 'the password from TOKENWARD_ADMIN_PASSWORD'
      }`,
      `  or: curl -c cookies.txt -H 'content-type: application/json' -d '{"username":"admin","password":"…"}' ${url}/api/v1/signin`,
      '  This password is shown only now; change it after signing in.',
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  process.stdout.write(`Tokenward listening on ${url} (store: ${config.store.dialect})\n`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err) => {
        app.log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  main().catch((err) => {
    process.stderr.write(`tokenward: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

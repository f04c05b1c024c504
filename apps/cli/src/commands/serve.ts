import type { Command } from 'commander';
import { CliError } from '../exit-codes.js';
import { examples } from '../help.js';

interface ServeOptions {
  port?: string;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
}

let started = false;

/** Whether `serve` started a server (the process must then stay up). */
export function serving(): boolean {
  return started;
}

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description(
      'Start the Tokenward server (configuration from environment variables, see the README; options override them).',
    )
    .option('-p, --port <port>', 'port to listen on (PORT, default 5000)')
    .option('--host <host>', 'address to listen on (HOST)')
    .option('--data-dir <dir>', 'data folder for the SQLite store and master key (TOKENWARD_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL URL instead of SQLite (DATABASE_URL)')
    .action(async (o: ServeOptions) => {
      const env = { ...process.env };
      if (o.port !== undefined) env.PORT = o.port;
      if (o.host !== undefined) env.HOST = o.host;
      if (o.dataDir !== undefined) env.TOKENWARD_DATA_DIR = o.dataDir;
      if (o.databaseUrl !== undefined) env.DATABASE_URL = o.databaseUrl;
      const { main } = await import('@tokenward/server/server');
      // main() listens and keeps the process alive until SIGTERM/SIGINT; it exits 2 on bad configuration.
      try {
        await main(env);
      } catch (err) {
        throw new CliError(`failed to start: ${err instanceof Error ? err.message : String(err)}`);
      }
      started = true;
    });
  examples(serve, [
    'tokenward serve',
    'TOKENWARD_ADMIN_PASSWORD=change-me tokenward serve --port 5000 --data-dir ./data',
    'tokenward serve --database-url postgres://tokenward@db/tokenward',
  ]);
}

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerIdentity } from './commands/identity.js';
import { registerLogin } from './commands/login.js';
import { registerAudit, registerKeys, registerSession } from './commands/misc.js';
import { registerPat } from './commands/pat.js';
import { registerRole } from './commands/role.js';
import { registerServe, serving } from './commands/serve.js';
import { registerToken } from './commands/token.js';
import { describeError, EXIT } from './exit-codes.js';
import { examples } from './help.js';

const version = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export function buildProgram(): Command {
  const program = new Command('tokenward')
    .description('Tokenward: grant, verify and revoke API tokens for identities with roles.')
    .version(version, '-V, --version')
    .option('--url <url>', 'server URL (overrides TOKENWARD_URL and the config file)')
    .option('--json', 'print JSON for scripts instead of tables')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError('(add --help for usage)')
    // Usage errors become exceptions so the exit code is ours (2), not commander's.
    .exitOverride();
  examples(program, [
    'tokenward serve',
    'tokenward login http://localhost:5000 --username admin',
    'tokenward token grant --identity build-bot --role Operator --expires 90d',
    'tokenward token list --json',
    'tokenward token export --out tokens.jsonl && TOKENWARD_URL=https://b.example.com tokenward token import tokens.jsonl',
  ]);
  program.addHelpText(
    'after',
    '\nEnvironment: TOKENWARD_URL, TOKENWARD_TOKEN (override the config file), TOKENWARD_CONFIG (config file path).\nExit codes: 0 ok, 1 failure, 2 usage error, 3 not authenticated, 4 forbidden.\n',
  );
  registerServe(program);
  registerLogin(program);
  registerToken(program);
  registerPat(program);
  registerIdentity(program);
  registerRole(program);
  registerSession(program);
  registerAudit(program);
  registerKeys(program);
  return program;
}

/** Runs the CLI and returns the exit code. Errors print one line: the server's message, never a stack. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the message (or the help) already.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      return EXIT.usage;
    }
    const { exitCode, message } = describeError(err);
    process.stderr.write(`tokenward: ${message}\n`);
    return exitCode;
  }
}

const code = await run(process.argv);
if (serving()) {
  // The server holds the process until SIGTERM/SIGINT.
  process.exitCode = code;
} else {
  // Idle keep-alive sockets would hold the process for a while; stdout and stderr are
  // synchronous for files, pipes and terminals on POSIX, so nothing written is lost.
  process.exit(code);
}

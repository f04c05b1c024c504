import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { registerIdentity } from './commands/identity.js';
import { registerLogin } from './commands/login.js';
import { registerAudit, registerKeys, registerSession } from './commands/misc.js';
import { registerPat } from './commands/pat.js';
import { registerRole } from './commands/role.js';
import { registerServe, serving } from './commands/serve.js';
import { registerToken } from './commands/token.js';
import { registerCompletion } from './completion.js';
import { describeError, EXIT } from './exit-codes.js';
import { examples } from './help.js';

const version = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Whether the command line asks for JSON (before any `--`), known before commander parses it. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

export function buildProgram(json = false): Command {
  const program = new Command('tokenward')
    .description('Tokenward: grant, verify and revoke API tokens for identities with roles.')
    .version(version, '-V, --version')
    .option('--url <url>', 'server URL (overrides TOKENWARD_URL and the config file)')
    .addOption(
      new Option('--profile <name>', 'config file profile (default: default)').env('TOKENWARD_PROFILE'),
    )
    .option('--json', 'print JSON for scripts instead of tables, errors included')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError(json ? false : '(add --help for usage)')
    // Under --json a usage error is reported once, as JSON, by run().
    .configureOutput(json ? { outputError: () => {} } : {})
    // Usage errors become exceptions so the exit code is ours (2), not commander's.
    .exitOverride();
  examples(program, [
    'tokenward serve',
    'tokenward login http://localhost:5000 --username admin',
    'tokenward token grant --identity build-bot --role Operator --expires 90d',
    'tokenward token list --json',
    'tokenward token export --out tokens.jsonl && TOKENWARD_URL=https://b.example.com tokenward token import tokens.jsonl',
    'tokenward --profile staging login https://tokens.staging.example.com -u admin',
    'source <(tokenward completion bash)',
  ]);
  program.addHelpText(
    'after',
    '\nEnvironment: TOKENWARD_URL, TOKENWARD_TOKEN (override the config file), TOKENWARD_CONFIG (config file path), TOKENWARD_PROFILE (config profile).\nExit codes: 0 ok, 1 failure, 2 usage error, 3 not authenticated, 4 forbidden.\n',
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
  registerCompletion(program);
  return program;
}

/**
 * Runs the CLI and returns the exit code. Errors print one line, the server's message and never
 * a stack: `tokenward: <message>` on stderr, or under `--json` one JSON object on stderr,
 * `{"error":{"code","message","exitCode","status"?}}`, so a script reads every failure the
 * same way.
 */
export async function run(argv: string[]): Promise<number> {
  const json = wantsJson(argv.slice(2));
  const program = buildProgram(json);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      // Commander has printed the message already, unless under --json.
      if (json)
        printError({ code: err.code, message: err.message.replace(/^error: /, ''), exitCode: EXIT.usage });
      return EXIT.usage;
    }
    const described = describeError(err);
    if (json) printError(described);
    else process.stderr.write(`tokenward: ${described.message}\n`);
    return described.exitCode;
  }
}

function printError(e: { code: string; message: string; exitCode: number; status?: number }): void {
  const error = {
    code: e.code,
    message: e.message,
    exitCode: e.exitCode,
    ...(e.status ? { status: e.status } : {}),
  };
  process.stderr.write(`${JSON.stringify({ error })}\n`);
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

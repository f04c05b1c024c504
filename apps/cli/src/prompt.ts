import { createInterface } from 'node:readline';
import { CliError, EXIT } from './exit-codes.js';

/** Everything on standard input (for secrets piped in: `--password-stdin`, `--with-token`). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The first line of standard input, without its line ending. */
export async function readStdinLine(what: string): Promise<string> {
  const line = (await readStdin()).split(/\r?\n/)[0] ?? '';
  if (!line) throw new CliError(`No ${what} on standard input.`, EXIT.usage);
  return line;
}

export async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
  }
}

/** Reads a secret from the terminal without echoing it. */
export async function askSecret(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) return readStdinLine('secret');
  process.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new CliError('Cancelled.', EXIT.failure));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const finish = () => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
    };
    input.on('data', onData);
  });
}

/**
 * Asks before a destructive action, unless `--yes` was given. Without a terminal to ask on
 * (a script, a pipe), refuses: an unattended revoke must say so with `--yes`.
 */
export async function confirm(action: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) {
    throw new CliError(
      `Refusing to ${action} without confirmation: standard input is not a terminal. Pass --yes to confirm.`,
      EXIT.usage,
    );
  }
  const answer = (await ask(`${action[0]?.toUpperCase()}${action.slice(1)}? [y/N] `)).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') throw new CliError('Cancelled.', EXIT.failure);
}

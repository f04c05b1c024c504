import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freshStore, startServer, type TestServer } from '../../server/test/helpers.js';
import { assertBuilt, BIN, freshConfigPath, runCli } from './run-cli.js';

const exec = promisify(execFile);

/** What bash completes for a command line whose last word is being typed. */
async function bashComplete(words: string[]): Promise<string[]> {
  const script = `
    source <("${process.execPath}" "${BIN}" completion bash)
    COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
    COMP_CWORD=${words.length - 1}
    _tokenward_completion
    printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await exec('bash', ['-c', script]);
  return stdout.split('\n').filter(Boolean);
}

// Each test runs the CLI several times (a process each): on a loaded machine that takes a while.
describe('shell completion generated from the command tree', { timeout: 120_000 }, () => {
  beforeAll(() => assertBuilt());

  it('bash completes commands, subcommands and each command’s own options', async () => {
    expect(await bashComplete(['tokenward', 'to'])).toEqual(['token']);
    expect(await bashComplete(['tokenward', 'token', ''])).toEqual([
      'grant',
      'list',
      'show',
      'revoke',
      'export',
      'import',
    ]);
    // An option's value in between does not confuse it.
    expect(await bashComplete(['tokenward', '--url', 'http://x', 'token', 'revoke', '--y'])).toEqual([
      '--yes',
    ]);
    expect(await bashComplete(['tokenward', 'identity', 'create', '--pa'])).toEqual(['--password-stdin']);
    expect(await bashComplete(['tokenward', '--pro'])).toEqual(['--profile']);
  });

  it('zsh and fish scripts cover every command and option', async () => {
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef tokenward\n/);
    expect(zsh.stdout).toContain("(token.revoke) subs=(); opts=('-y:");
    expect(zsh.stdout).toContain("'--expiring-within:");
    const fish = await runCli(['completion', 'fish']);
    expect(fish.code).toBe(0);
    expect(fish.stdout).toContain(
      "complete -c tokenward -f -n 'test (__tokenward_command_path) = \\'token\\'' -a 'revoke'",
    );
    expect(fish.stdout).toContain(
      "complete -c tokenward -n 'test (__tokenward_command_path) = \\'token.revoke\\'' -s y -l yes",
    );
    expect(fish.stdout).toMatch(/^complete -c tokenward -l profile -r /m);
  });

  // The real shells, where installed (CI installs both: .ci/run); on a machine without them
  // the test says so and is skipped, never under CI=true.
  const hasShell = (shell: string) =>
    exec(shell, ['-c', 'exit 0']).then(
      () => true,
      () => false,
    );

  it('fish completes commands and subcommands with the generated script', async (ctx) => {
    if (!(await hasShell('fish'))) {
      if (process.env.CI === 'true') throw new Error('CI=true but fish is not installed');
      ctx.skip();
    }
    const script = (await runCli(['completion', 'fish'])).stdout;
    const complete = async (line: string) => {
      const { stdout } = await exec('fish', ['-c', `${script}\ncomplete -C ${JSON.stringify(line)}`]);
      return stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]);
    };
    expect(await complete('tokenward to')).toEqual(['token']);
    expect(await complete('tokenward token ')).toEqual(
      expect.arrayContaining(['grant', 'list', 'revoke', 'show']),
    );
    expect(await complete('tokenward token revoke --y')).toEqual(['--yes']);
  });

  it('zsh loads the generated script as its completion function', async (ctx) => {
    if (!(await hasShell('zsh'))) {
      if (process.env.CI === 'true') throw new Error('CI=true but zsh is not installed');
      ctx.skip();
    }
    const script = (await runCli(['completion', 'zsh'])).stdout;
    const file = join(mkdtempSync(join(tmpdir(), 'tokenward-zsh-')), '_tokenward');
    writeFileSync(file, script);
    await exec('zsh', ['-n', file]);
    const { stdout } = await exec('zsh', [
      '-f',
      '-c',
      `autoload -U compinit && compinit -u && source ${file} && whence -w _tokenward && echo \${_comps[tokenward]}`,
    ]);
    expect(stdout).toContain('_tokenward: function');
    expect(stdout.trim().split('\n').at(-1)).toBe('_tokenward');
  });

  it('an unknown shell is a usage error', async () => {
    const r = await runCli(['completion', 'powershell']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/choose one of bash, zsh, fish/);
  });
});

describe('the tokenward command for scripts', { timeout: 120_000 }, () => {
  let s: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    s = await startServer(freshStore('sqlite'));
    env = {
      TOKENWARD_CONFIG: freshConfigPath(),
      TOKENWARD_URL: s.url,
      TOKENWARD_TOKEN: await adminToken(s.url),
    };
  });
  afterAll(async () => s?.close());

  it('under --json every error is one JSON object on stderr, with the exit code', async () => {
    const cases: Array<{ args: string[]; env?: Record<string, string>; code: string; exitCode: number }> = [
      { args: ['token', 'frobnicate', '--json'], code: 'commander.unknownCommand', exitCode: 2 },
      { args: ['token', 'show', 'abc', '--json'], code: 'commander.invalidArgument', exitCode: 2 },
      { args: ['token', 'revoke', '1', '--json'], code: 'usage', exitCode: 2 },
      { args: ['token', 'show', '999999', '--json'], code: 'not_found', exitCode: 1 },
      {
        args: ['token', 'list', '--json'],
        env: { TOKENWARD_TOKEN: 'tw_app_not-a-valid-token-value-000000000' },
        code: 'unauthenticated',
        exitCode: 3,
      },
    ];
    for (const c of cases) {
      const r = await runCli(c.args, { env: { ...env, ...c.env } });
      expect(r.code, c.args.join(' ')).toBe(c.exitCode);
      expect(r.stdout, c.args.join(' ')).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines, c.args.join(' ')).toHaveLength(1);
      const { error } = JSON.parse(lines[0]!);
      expect(error, c.args.join(' ')).toMatchObject({ code: c.code, exitCode: c.exitCode });
      expect(typeof error.message).toBe('string');
    }
    const notFound = await runCli(['token', 'show', '999999', '--json'], { env });
    expect(JSON.parse(notFound.stderr).error.status).toBe(404);
  });

  it('destructive commands refuse without --yes when stdin is not a terminal', async () => {
    const granted = JSON.parse(
      (await runCli(['token', 'grant', '--name', 'to-revoke', '--json'], { env })).stdout,
    );
    for (const args of [
      ['token', 'revoke', String(granted.id)],
      ['pat', 'revoke', '1'],
      ['identity', 'delete', 'admin'],
      ['role', 'delete', 'Reader'],
      ['session', 'end', '1'],
    ]) {
      const r = await runCli(args, { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^tokenward: Refusing to .* without confirmation: .*--yes/);
    }
    // Nothing was revoked.
    const shown = JSON.parse((await runCli(['token', 'show', String(granted.id), '--json'], { env })).stdout);
    expect(shown.status).toBe('Active');
  });

  it('a terminal is asked, and only "y" goes ahead', async () => {
    const granted = JSON.parse(
      (await runCli(['token', 'grant', '--name', 'asked', '--json'], { env })).stdout,
    );
    // script(1) gives the command a terminal on stdin and stdout.
    const no = await runInTerminal(['token', 'revoke', String(granted.id)], 'n', env);
    expect(no.output).toMatch(/Revoke token #\d+\? \[y\/N\]/);
    expect(no.output).toMatch(/Cancelled/);
    expect(
      JSON.parse((await runCli(['token', 'show', String(granted.id), '--json'], { env })).stdout).status,
    ).toBe('Active');
    const yes = await runInTerminal(['token', 'revoke', String(granted.id)], 'y', env);
    expect(yes.output).toMatch(/Revoked token #/);
    expect(
      JSON.parse((await runCli(['token', 'show', String(granted.id), '--json'], { env })).stdout).status,
    ).toBe('Revoked');
  });

  it('tables are aligned on a terminal and tab-separated when piped', async () => {
    const piped = await runCli(['role', 'list'], { env });
    const [header, ...rows] = piped.stdout.trim().split('\n');
    expect(header).toBe('NAME\tBUILT-IN\tPERMISSIONS\tDESCRIPTION');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.split('\t')).toHaveLength(4);
    const tty = await runInTerminal(['role', 'list'], '', env);
    expect(tty.output).toMatch(/^NAME {2,}BUILT-IN {2,}PERMISSIONS/m);
    expect(tty.output).not.toContain('\t');
  });

  it('profiles keep several servers in one config file', async () => {
    const config = freshConfigPath();
    const base = { TOKENWARD_CONFIG: config };
    const token = env.TOKENWARD_TOKEN!;
    const login = (args: string[], extra: Record<string, string> = {}) =>
      runCli(['login', s.url, '--with-token', ...args], { env: { ...base, ...extra }, input: `${token}\n` });
    expect((await login([])).code).toBe(0);
    expect((await login(['--profile', 'staging'])).code).toBe(0);
    const file = JSON.parse(readFileSync(config, 'utf8'));
    // The default profile stays at the top level (the format before profiles), others by name.
    expect(file).toMatchObject({ url: s.url, token, profiles: { staging: { url: s.url, token } } });

    expect((await runCli(['whoami', '--profile', 'staging'], { env: base })).code).toBe(0);
    expect((await runCli(['whoami'], { env: { ...base, TOKENWARD_PROFILE: 'staging' } })).code).toBe(0);
    const missing = await runCli(['whoami', '--profile', 'prod'], { env: base });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('profile prod');
    const bad = await runCli(['whoami', '--profile', '../x'], { env: base });
    expect(bad.code).toBe(2);

    // Logging out of one profile leaves the other.
    expect((await runCli(['logout', '--profile', 'staging', '--keep-token'], { env: base })).code).toBe(0);
    const after = JSON.parse(readFileSync(config, 'utf8'));
    expect(after.profiles).toBeUndefined();
    expect(after.url).toBe(s.url);
    expect((await runCli(['whoami', '--profile', 'staging'], { env: base })).code).toBe(3);
    expect((await runCli(['whoami'], { env: base })).code).toBe(0);
  });

  it('a config file written before profiles still works as the default profile', async () => {
    const config = freshConfigPath();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(config.replace(/\/config\.json$/, ''), { recursive: true });
    writeFileSync(config, JSON.stringify({ url: s.url, token: env.TOKENWARD_TOKEN }), { mode: 0o600 });
    const r = await runCli(['whoami', '--json'], { env: { TOKENWARD_CONFIG: config } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).identity.name).toBe('admin');
  });
});

/** Runs tokenward with a terminal on stdin and stdout (script(1)), typing `answer`. */
async function runInTerminal(
  args: string[],
  answer: string,
  env: Record<string, string>,
): Promise<{ code: number; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { env: { ...process.env, ...env } },
      (err, stdout) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolve({ code: err ? Number(err.code) : 0, output: stdout.replace(/\r/g, '') });
      },
    );
    child.stdin?.end(answer ? `${answer}\n` : '');
  });
}

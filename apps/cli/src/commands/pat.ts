import type { Command } from 'commander';
import { Option } from 'commander';
import { authedClient, globals, makeClient, resolveUrl, storedConfig } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { examples } from '../help.js';
import { info, printJson, printTable, shortDate } from '../output.js';
import { parseId, parseWhen } from '../parse.js';
import { confirm, readStdinLine } from '../prompt.js';

export function registerPat(program: Command): void {
  const pat = program
    .command('pat')
    .description(
      'Personal access tokens (your own): create, list, revoke, and exchange for a short-lived access token.',
    );
  examples(pat, ['tokenward pat create --name laptop --expires 30d', 'tokenward pat exchange -q']);

  const create = pat
    .command('create')
    .description('Create a personal token for yourself. The value is shown once.')
    .requiredOption('-n, --name <name>', 'token name')
    .option('-d, --description <text>', 'token description')
    .option(
      '-e, --expires <when>',
      'lifetime (30d, 12h, 1y) or date (default: the server default, 90 days)',
      parseWhen,
    )
    .option('-q, --quiet', 'print only the token value')
    .action(
      async (o: { name: string; description?: string; expires?: string; quiet?: boolean }, cmd: Command) => {
        const t = await authedClient(cmd).personalTokens.create({
          name: o.name,
          ...(o.description ? { description: o.description } : {}),
          ...(o.expires ? { expiration: o.expires } : {}),
        });
        if (globals(cmd).json) return printJson(t);
        if (!o.quiet)
          info(
            `Created personal token #${t.id} "${t.name}", expires ${shortDate(t.expiration)}. Shown only now:`,
          );
        process.stdout.write(`${t.token}\n`);
      },
    );
  examples(create, ['tokenward pat create --name laptop', 'tokenward pat create -n ci -e 7d -q']);

  const list = pat
    .command('list')
    .description('List your personal tokens (never their values).')
    .addOption(
      new Option('-s, --status <status>', 'filter by status').choices(['active', 'revoked', 'expired']),
    )
    .action(async (o: { status?: string }, cmd: Command) => {
      const page = await authedClient(cmd).personalTokens.list({
        ...(o.status ? { status: o.status } : {}),
        limit: 500,
      });
      if (globals(cmd).json) return printJson(page);
      printTable(
        ['ID', 'NAME', 'DESCRIPTION', 'STATUS', 'CREATED', 'EXPIRES', 'HINT', 'LAST USED'],
        page.items.map((t) => [
          t.id,
          t.name,
          t.description,
          t.status,
          shortDate(t.created),
          shortDate(t.expiration),
          `…${t.hint}`,
          shortDate(t.lastUsed),
        ]),
      );
    });
  examples(list, ['tokenward pat list', 'tokenward pat list --status active --json']);

  const revoke = pat
    .command('revoke')
    .description('Revoke one of your personal tokens, and every access token obtained with it.')
    .argument('<id>', 'personal token id', parseId)
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .action(async (id: number, o: { yes?: boolean }, cmd: Command) => {
      await confirm(`revoke personal token #${id}`, o.yes);
      const t = await authedClient(cmd).personalTokens.revoke(id);
      if (globals(cmd).json) return printJson(t);
      info(`Revoked personal token #${t.id} "${t.name}".`);
    });
  examples(revoke, ['tokenward pat revoke 7', 'tokenward pat revoke 7 --yes']);

  const exchange = pat
    .command('exchange')
    .description(
      'Exchange a personal token for a short-lived access JWT (seed 003: POST /PersonalTokens/authenticate). Uses the stored token unless --token-stdin.',
    )
    .option('-u, --username <name>', 'username or email (default: the identity stored by login)')
    .option('--token-stdin', 'read the personal token from standard input')
    .option('-q, --quiet', 'print only the access token')
    .action(async (o: { username?: string; tokenStdin?: boolean; quiet?: boolean }, cmd: Command) => {
      const url = resolveUrl(cmd);
      if (!url)
        throw new CliError(
          'Not logged in: run `tokenward login <url>` or set TOKENWARD_URL.',
          EXIT.unauthenticated,
        );
      const stored = storedConfig(cmd);
      const personalToken = o.tokenStdin
        ? (await readStdinLine('personal token')).trim()
        : (process.env.TOKENWARD_TOKEN ?? stored?.token);
      if (!personalToken)
        throw new CliError('No personal token: log in, or pass --token-stdin.', EXIT.unauthenticated);
      // The stored name belongs to the stored token only; for any other token, ask who holds it.
      let username =
        o.username ?? (o.tokenStdin || process.env.TOKENWARD_TOKEN ? undefined : stored?.identity);
      if (!username) username = (await makeClient(url, personalToken).me()).identity.name;
      const r = await makeClient(url).personalTokens.authenticate(username, personalToken);
      if (globals(cmd).json) return printJson(r);
      if (!o.quiet)
        info(`Access token for ${r.user.fullName || username}, expires ${shortDate(r.tokenExpires)}:`);
      process.stdout.write(`${r.token}\n`);
    });
  examples(exchange, [
    'tokenward pat exchange',
    'curl -H "Authorization: Bearer $(tokenward pat exchange -q)" http://localhost:5000/api/v1/me',
    'printf "%s" "$PAT" | tokenward pat exchange --username alice --token-stdin --json',
  ]);
}

import { hostname } from 'node:os';
import type { Command } from 'commander';
import { configPath, removeConfig, writeConfig } from '../config.js';
import {
  authedClient,
  configLabel,
  globals,
  makeClient,
  profileName,
  resolveUrl,
  storedConfig,
} from '../context.js';
import { usageError } from '../exit-codes.js';
import { examples } from '../help.js';
import { info, printJson, printRecord, shortDate } from '../output.js';
import { parseWhen } from '../parse.js';
import { ask, askSecret, readStdinLine } from '../prompt.js';

interface LoginOptions {
  username?: string;
  passwordStdin?: boolean;
  withToken?: boolean;
  expires?: string;
  name?: string;
}

export function registerLogin(program: Command): void {
  const login = program
    .command('login')
    .description(
      'Sign in and store the server URL and a personal token in the config file (mode 0600), under the profile in use (--profile, TOKENWARD_PROFILE, else default). With a username, signs in, creates a personal token, and signs out; with --with-token, stores a token you already have.',
    )
    .argument('[url]', 'server URL (default: TOKENWARD_URL, or the URL already stored)')
    .option('-u, --username <name>', 'username or email (asked for when absent)')
    .option('--password-stdin', 'read the password from standard input (also when stdin is not a terminal)')
    .option(
      '--with-token',
      'read an existing token (app or personal) from standard input instead of signing in',
    )
    .option(
      '--expires <when>',
      'personal token lifetime: 30d, 12h, 1y or a date (default: the server default)',
      parseWhen,
    )
    .option('--name <name>', 'personal token name (default: "tokenward CLI on <host>")')
    .action(async (url: string | undefined, o: LoginOptions, cmd: Command) => {
      const target = url ?? resolveUrl(cmd);
      if (!target) throw usageError('Give the server URL: tokenward login http://localhost:5000');
      const anon = makeClient(target);
      if (o.withToken) {
        if (o.username) throw usageError('--with-token and --username exclude each other.');
        const token = (await readStdinLine('token')).trim();
        const me = await anon.withCredential({ token }).me();
        writeConfig(
          {
            url: anon.baseUrl,
            token,
            identity: me.identity.name,
            tokenId: me.tokenId,
            createdByLogin: false,
            savedAt: new Date().toISOString(),
          },
          profileName(cmd),
        );
        if (globals(cmd).json)
          printJson({
            url: anon.baseUrl,
            identity: me.identity.name,
            config: configPath(),
            profile: profileName(cmd),
          });
        else
          info(`Logged in to ${anon.baseUrl} as ${me.identity.name} (token stored in ${configLabel(cmd)}).`);
        return;
      }
      const interactive = process.stdin.isTTY === true && !o.passwordStdin;
      const username = o.username ?? (interactive ? (await ask('Username: ')).trim() : undefined);
      if (!username)
        throw usageError('Give --username (or --with-token) when standard input is not a terminal.');
      const password = interactive ? await askSecret('Password: ') : await readStdinLine('password');
      const signedIn = await anon.sessions.signIn(username, password);
      let created: Awaited<ReturnType<typeof signedIn.client.personalTokens.create>>;
      try {
        created = await signedIn.client.personalTokens.create({
          name: o.name ?? `tokenward CLI on ${hostname()}`,
          description: `Created by \`tokenward login\` at ${new Date().toISOString()}.`,
          ...(o.expires ? { expiration: o.expires } : {}),
        });
      } finally {
        await signedIn.client.sessions.signOut().catch(() => {});
      }
      writeConfig(
        {
          url: anon.baseUrl,
          token: created.token,
          identity: signedIn.identity.name,
          tokenId: created.id,
          createdByLogin: true,
          savedAt: new Date().toISOString(),
        },
        profileName(cmd),
      );
      if (globals(cmd).json) {
        printJson({
          url: anon.baseUrl,
          identity: signedIn.identity.name,
          tokenId: created.id,
          expiration: created.expiration,
          config: configPath(),
          profile: profileName(cmd),
        });
      } else {
        info(
          `Logged in to ${anon.baseUrl} as ${signedIn.identity.name}. Personal token #${created.id} (…${created.hint}, expires ${shortDate(created.expiration)}) stored in ${configLabel(cmd)}.`,
        );
      }
    });
  examples(login, [
    'tokenward login http://localhost:5000 --username admin',
    'printf "%s" "$PASSWORD" | tokenward login http://localhost:5000 -u admin --password-stdin --expires 30d',
    'printf "%s" "$TOKEN" | tokenward login https://tokens.example.com --with-token',
  ]);

  const logout = program
    .command('logout')
    .description(
      'Revoke the personal token that `login` created and remove its profile from the config file.',
    )
    .option('--keep-token', 'remove the profile but leave the token valid')
    .action(async (o: { keepToken?: boolean }, cmd: Command) => {
      const stored = storedConfig(cmd);
      if (!stored) {
        info(`Not logged in (nothing in ${configLabel(cmd)}).`);
        return;
      }
      if (!o.keepToken && stored.createdByLogin && stored.tokenId) {
        await makeClient(stored.url, stored.token)
          .personalTokens.revoke(stored.tokenId)
          .catch(() => info('The stored token could not be revoked (already revoked or expired?).'));
      }
      removeConfig(profileName(cmd));
      if (globals(cmd).json) printJson({ loggedOut: true });
      else info(`Logged out of ${stored.url}.`);
    });
  examples(logout, ['tokenward logout', 'tokenward logout --keep-token']);

  const whoami = program
    .command('whoami')
    .description('Show who the stored credential (or TOKENWARD_TOKEN) belongs to and what it may do.')
    .action(async (_o: unknown, cmd: Command) => {
      const me = await authedClient(cmd).me();
      if (globals(cmd).json) return printJson(me);
      printRecord([
        ['identity', `${me.identity.name} (#${me.identity.id})`],
        ['via', me.via],
        ['roles', me.roles],
        ['permissions', me.permissions],
        ['token', me.tokenId === null ? '-' : `#${me.tokenId}`],
        ['endpoints', me.apiEndpoints ?? 'all'],
      ]);
    });
  examples(whoami, ['tokenward whoami', 'tokenward whoami --json | jq .roles']);
}

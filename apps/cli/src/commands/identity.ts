import type { Identity, IdentityInput } from '@tokenward/client';
import type { Command } from 'commander';
import { authedClient, globals } from '../context.js';
import { usageError } from '../exit-codes.js';
import { examples } from '../help.js';
import { info, printJson, printTable, shortDate } from '../output.js';
import { collect, parseCount } from '../parse.js';
import { confirm, readStdinLine } from '../prompt.js';
import { identityId } from './token.js';

interface IdentityOptions {
  name?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  role?: string[];
  passwordStdin?: boolean;
  disabled?: boolean;
  enable?: boolean;
  disable?: boolean;
  source?: string;
  requireDpop?: boolean;
}

async function fields(o: IdentityOptions): Promise<IdentityInput> {
  return {
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.email !== undefined ? { email: o.email || null } : {}),
    ...(o.firstName !== undefined ? { firstName: o.firstName || null } : {}),
    ...(o.lastName !== undefined ? { lastName: o.lastName || null } : {}),
    ...(o.role !== undefined ? { roles: o.role } : {}),
    ...(o.passwordStdin ? { password: await readStdinLine('password') } : {}),
    ...(o.requireDpop !== undefined ? { requireDpop: o.requireDpop } : {}),
  };
}

const rows = (items: Identity[]) =>
  items.map((i) => [
    i.id,
    i.name,
    i.email,
    i.roles,
    i.enabled ? 'yes' : 'no',
    i.source,
    shortDate(i.created),
  ]);
const HEADERS = ['ID', 'NAME', 'EMAIL', 'ROLES', 'ENABLED', 'SOURCE', 'CREATED'];

export function registerIdentity(program: Command): void {
  const identity = program
    .command('identity')
    .description('Identities: the people and programs that hold tokens.');
  examples(identity, ['tokenward identity list', 'tokenward identity create build-bot --role Operator']);

  const list = identity
    .command('list')
    .description('List identities (identities:read).')
    .option('--search <text>', 'search names and emails')
    .option('-r, --role <role>', 'only identities holding this role')
    .option('--enabled', 'only enabled identities')
    .option('--disabled', 'only disabled identities')
    .option('--limit <n>', 'page size (max 500)', parseCount)
    .option('--offset <n>', 'skip this many', parseCount)
    .action(
      async (
        o: {
          search?: string;
          role?: string;
          enabled?: boolean;
          disabled?: boolean;
          limit?: number;
          offset?: number;
        },
        cmd: Command,
      ) => {
        if (o.enabled && o.disabled) throw usageError('--enabled and --disabled exclude each other.');
        const page = await authedClient(cmd).identities.list({
          ...(o.search ? { search: o.search } : {}),
          ...(o.role ? { role: o.role } : {}),
          ...(o.enabled ? { enabled: true } : o.disabled ? { enabled: false } : {}),
          limit: o.limit ?? 100,
          offset: o.offset ?? 0,
        });
        if (globals(cmd).json) return printJson(page);
        printTable(HEADERS, rows(page.items));
        if (page.total > page.items.length)
          info(`${page.items.length} of ${page.total} shown (use --offset).`);
      },
    );
  examples(list, ['tokenward identity list', 'tokenward identity list --role Operator --json']);

  const create = identity
    .command('create')
    .description('Create an identity (identities:write).')
    .argument('<name>', 'unique name (case-insensitive)')
    .option('--email <email>', 'email address')
    .option('--first-name <name>', 'first name')
    .option('--last-name <name>', 'last name')
    .option('-r, --role <role>', 'role (repeat or comma-separate)', collect)
    .option('--password-stdin', 'read a sign-in password from standard input')
    .option('--disabled', 'create it disabled')
    .option('--source <source>', 'source, e.g. local (default) or scim')
    .option('--require-dpop', 'its new tokens at the token endpoint need a DPoP proof (RFC 9449)')
    .action(async (name: string, o: IdentityOptions, cmd: Command) => {
      const created = await authedClient(cmd).identities.create({
        ...(await fields(o)),
        name,
        ...(o.disabled ? { enabled: false } : {}),
        ...(o.source ? { source: o.source } : {}),
      });
      if (globals(cmd).json) return printJson(created);
      info(`Created identity #${created.id} ${created.name} (${created.roles.join(', ') || 'no roles'}).`);
    });
  examples(create, [
    'tokenward identity create build-bot --role Operator',
    'printf "%s" "$PW" | tokenward identity create alice --email alice@example.com --role Reader --password-stdin',
  ]);

  const update = identity
    .command('update')
    .description('Change an identity; only the fields given change (identities:write).')
    .argument('<identity>', 'id or name')
    .option('--name <name>', 'new name')
    .option('--email <email>', 'email ("" to clear)')
    .option('--first-name <name>', 'first name')
    .option('--last-name <name>', 'last name')
    .option('-r, --role <role>', 'replace the roles (repeat or comma-separate)', collect)
    .option('--enable', 'enable it')
    .option('--disable', 'disable it (its tokens stop working at once)')
    .option('--password-stdin', 'set a new password read from standard input')
    .option('--require-dpop', 'its new tokens at the token endpoint need a DPoP proof (RFC 9449)')
    .option('--no-require-dpop', 'its new tokens may be bearer tokens again')
    .action(async (ref: string, o: IdentityOptions, cmd: Command) => {
      if (o.enable && o.disable) throw usageError('--enable and --disable exclude each other.');
      const patch = {
        ...(await fields(o)),
        ...(o.enable ? { enabled: true } : o.disable ? { enabled: false } : {}),
      };
      if (Object.keys(patch).length === 0) throw usageError('Nothing to change: give at least one option.');
      const client = authedClient(cmd);
      const updated = await client.identities.update(await identityId(client, ref), patch);
      if (globals(cmd).json) return printJson(updated);
      info(`Updated identity #${updated.id} ${updated.name}.`);
    });
  examples(update, [
    'tokenward identity update build-bot --role Reader',
    'tokenward identity update 7 --disable',
  ]);

  const del = identity
    .command('delete')
    .description('Delete an identity with its tokens and sessions (identities:write).')
    .argument('<identity>', 'id or name')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .action(async (ref: string, o: { yes?: boolean }, cmd: Command) => {
      const client = authedClient(cmd);
      const id = await identityId(client, ref);
      await confirm(
        `delete identity ${ref === String(id) ? `#${id}` : `${ref} (#${id})`} with its tokens and sessions`,
        o.yes,
      );
      await client.identities.delete(id);
      if (globals(cmd).json) return printJson({ deleted: id });
      info(`Deleted identity #${id}.`);
    });
  examples(del, ['tokenward identity delete build-bot', 'tokenward identity delete 7 --yes']);
}

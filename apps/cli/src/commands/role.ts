import type { Command } from 'commander';
import { authedClient, globals } from '../context.js';
import { usageError } from '../exit-codes.js';
import { examples } from '../help.js';
import { info, printJson, printTable } from '../output.js';
import { collect } from '../parse.js';
import { confirm } from '../prompt.js';

export function registerRole(program: Command): void {
  const role = program
    .command('role')
    .description(
      'Roles: named sets of permissions. Built-ins (Administrator, Operator, Reader) are read-only.',
    );
  examples(role, [
    'tokenward role list',
    'tokenward role create Billing --permission billing:read,billing:write',
  ]);

  const list = role
    .command('list')
    .description('List built-in and custom roles (identities:read).')
    .action(async (_o: unknown, cmd: Command) => {
      const roles = await authedClient(cmd).roles.list();
      if (globals(cmd).json) return printJson(roles);
      printTable(
        ['NAME', 'BUILT-IN', 'PERMISSIONS', 'DESCRIPTION'],
        roles.map((r) => [r.name, r.builtin ? 'yes' : 'no', r.permissions, r.description]),
      );
    });
  examples(list, ['tokenward role list', 'tokenward role list --json | jq ".[].name"']);

  const create = role
    .command('create')
    .description(
      'Create a custom role (roles:write). Permissions are resource:action strings; * wildcards allowed.',
    )
    .argument('<name>', 'role name')
    .requiredOption('-p, --permission <permission>', 'permission (repeat or comma-separate)', collect)
    .option('-d, --description <text>', 'description')
    .action(async (name: string, o: { permission: string[]; description?: string }, cmd: Command) => {
      const r = await authedClient(cmd).roles.create({
        name,
        permissions: o.permission,
        ...(o.description ? { description: o.description } : {}),
      });
      if (globals(cmd).json) return printJson(r);
      info(`Created role ${r.name}: ${r.permissions.join(', ')}.`);
    });
  examples(create, [
    'tokenward role create BillingReader --permission billing:read',
    'tokenward role create Billing -p billing:read -p billing:write -d "Billing clerks"',
  ]);

  const update = role
    .command('update')
    .description('Change a custom role (roles:write); permissions given replace the old ones.')
    .argument('<name>', 'role name')
    .option('-p, --permission <permission>', 'permission (repeat or comma-separate)', collect)
    .option('-d, --description <text>', 'description')
    .action(async (name: string, o: { permission?: string[]; description?: string }, cmd: Command) => {
      if (!o.permission && o.description === undefined)
        throw usageError('Nothing to change: give --permission or --description.');
      const r = await authedClient(cmd).roles.update(name, {
        ...(o.permission ? { permissions: o.permission } : {}),
        ...(o.description !== undefined ? { description: o.description } : {}),
      });
      if (globals(cmd).json) return printJson(r);
      info(`Updated role ${r.name}: ${r.permissions.join(', ')}.`);
    });
  examples(update, ['tokenward role update Billing --permission billing:read,billing:write,billing:refund']);

  const del = role
    .command('delete')
    .description('Delete a custom role that no identity or live token holds (roles:write).')
    .argument('<name>', 'role name')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .action(async (name: string, o: { yes?: boolean }, cmd: Command) => {
      await confirm(`delete role ${name}`, o.yes);
      await authedClient(cmd).roles.delete(name);
      if (globals(cmd).json) return printJson({ deleted: name });
      info(`Deleted role ${name}.`);
    });
  examples(del, ['tokenward role delete Billing', 'tokenward role delete Billing --yes']);
}

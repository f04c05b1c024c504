import { type Command, Option } from 'commander';
import { authedClient, globals } from '../context.js';
import { examples } from '../help.js';
import { info, printJson, printTable, shortDate } from '../output.js';
import { parseCount, parseId } from '../parse.js';
import { confirm } from '../prompt.js';

export function registerSession(program: Command): void {
  const session = program.command('session').description('Sign-in sessions: list and end them.');
  examples(session, ['tokenward session list', 'tokenward session end 3']);

  const list = session
    .command('list')
    .description("List sessions: your own, or everyone's with sessions:read.")
    .option('-i, --identity <id>', 'only sessions of this identity id', parseId)
    .option('--limit <n>', 'page size (max 500)', parseCount)
    .option('--offset <n>', 'skip this many', parseCount)
    .action(async (o: { identity?: number; limit?: number; offset?: number }, cmd: Command) => {
      const page = await authedClient(cmd).sessions.list({
        ...(o.identity ? { identityId: o.identity } : {}),
        limit: o.limit ?? 100,
        offset: o.offset ?? 0,
      });
      if (globals(cmd).json) return printJson(page);
      printTable(
        ['ID', 'IDENTITY', 'CREATED', 'LAST SEEN', 'EXPIRES', 'IP', 'USER AGENT'],
        page.items.map((s) => [
          s.id,
          s.identityId,
          shortDate(s.created),
          shortDate(s.lastSeen),
          shortDate(s.expires),
          s.ip,
          s.userAgent?.slice(0, 40),
        ]),
      );
    });
  examples(list, ['tokenward session list', 'tokenward session list --identity 3 --json']);

  const end = session
    .command('end')
    .description("End a session: your own, or anyone's with sessions:revoke.")
    .argument('<id>', 'session id', parseId)
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .action(async (id: number, o: { yes?: boolean }, cmd: Command) => {
      await confirm(`end session #${id}`, o.yes);
      await authedClient(cmd).sessions.end(id);
      if (globals(cmd).json) return printJson({ ended: id });
      info(`Ended session #${id}.`);
    });
  examples(end, ['tokenward session end 3', 'tokenward session end 3 --yes']);
}

interface AuditOptions {
  actor?: string;
  action?: string;
  outcome?: 'success' | 'failure';
  targetType?: string;
  targetId?: string;
  since?: string;
  until?: string;
  limit?: number;
  offset?: number;
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('Show the audit log, newest first (audit:read). It never contains token values.')
    .option('--actor <name|id>', 'who did it')
    .option('--action <action>', 'exact action, or a prefix ending in * (token.*)')
    .addOption(new Option('--outcome <outcome>', 'success or failure').choices(['success', 'failure']))
    .option('--target-type <type>', 'token, identity, role, session, key…')
    .option('--target-id <id>', 'id of the target')
    .option('--since <date>', 'from this date (ISO 8601)')
    .option('--until <date>', 'until this date (ISO 8601)')
    .option('--limit <n>', 'page size (max 500)', parseCount)
    .option('--offset <n>', 'skip this many', parseCount)
    .action(async (o: AuditOptions, cmd: Command) => {
      const { limit, offset, ...filters } = o;
      const page = await authedClient(cmd).audit({ ...filters, limit: limit ?? 50, offset: offset ?? 0 });
      if (globals(cmd).json) return printJson(page);
      printTable(
        ['ID', 'AT', 'ACTOR', 'ACTION', 'OUTCOME', 'TARGET', 'IP'],
        page.items.map((e) => [
          e.id,
          shortDate(e.at),
          e.actor.name ?? e.actor.id,
          e.action,
          e.outcome,
          e.targetType ? `${e.targetType}:${e.targetId ?? ''}` : '-',
          e.ip,
        ]),
      );
      if (page.total > page.items.length) info(`${page.items.length} of ${page.total} shown (use --offset).`);
    });
  examples(audit, [
    'tokenward audit',
    'tokenward audit --action "token.*" --since 2026-01-01',
    'tokenward audit --outcome failure --json | jq ".items[].action"',
  ]);
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Signing keys of access tokens (keys:rotate).');
  examples(keys, ['tokenward keys rotate', 'tokenward keys list']);

  const rotate = keys
    .command('rotate')
    .description(
      'Add a new signing key. It is published at once and signs after the publication delay (JWKS max-age + 60 s by default), so verifiers that cached the JWKS know it first; the old key stays published until its tokens expire.',
    )
    .option(
      '--now',
      'Sign with the new key at once (emergency, e.g. a leaked key): verifiers holding a cached JWKS refuse new tokens until they refetch it.',
    )
    .action(async (o: { now?: boolean }, cmd: Command) => {
      const k = await authedClient(cmd).keys.rotate({ now: o.now === true });
      if (globals(cmd).json) return printJson(k);
      if (k.status === 'active') info(`New signing key ${k.kid} (${k.alg}) is published and signs now.`);
      else info(`New signing key ${k.kid} (${k.alg}) is published; it signs from ${k.activeFrom}.`);
    });
  examples(rotate, ['tokenward keys rotate', 'tokenward keys rotate --now']);

  const list = keys
    .command('list')
    .description('List signing keys and their state.')
    .action(async (_o: unknown, cmd: Command) => {
      const items = await authedClient(cmd).keys.list();
      if (globals(cmd).json) return printJson(items);
      printTable(
        ['KID', 'ALG', 'STATUS', 'CREATED', 'ACTIVE FROM', 'RETIRED', 'PUBLISHED UNTIL'],
        items.map((k) => [
          k.kid,
          k.alg,
          k.status,
          shortDate(k.created),
          shortDate(k.activeFrom),
          shortDate(k.retired),
          shortDate(k.publishedUntil),
        ]),
      );
    });
  examples(list, ['tokenward keys list --json']);
}

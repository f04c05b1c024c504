import { once } from 'node:events';
import { createWriteStream, fchmodSync, openSync, readFileSync } from 'node:fs';
import type { Token, TokenRecord, TokenwardClient } from '@tokenward/client';
import { type Command, Option } from 'commander';
import { authedClient, globals } from '../context.js';
import { CliError, usageError } from '../exit-codes.js';
import { examples } from '../help.js';
import { info, printJson, printRecord, printTable, shortDate } from '../output.js';
import { collect, collectRaw, parseCount, parseId, parseWhen } from '../parse.js';
import { Progress } from '../progress.js';
import { confirm, readStdin } from '../prompt.js';

/** An identity given as an id or a name → its id. */
export async function identityId(client: TokenwardClient, ref: string): Promise<number> {
  if (/^\d+$/.test(ref)) return Number(ref);
  const found = await client.identities.findByName(ref);
  if (!found) throw new CliError(`No identity named "${ref}".`);
  return found.id;
}

export function tokenRows(items: Token[]): unknown[][] {
  return items.map((t) => [
    t.id,
    t.kind,
    t.name,
    t.identity.name || t.identityId,
    t.roles,
    t.status,
    shortDate(t.expiration),
    `…${t.hint}`,
    shortDate(t.lastUsed),
  ]);
}
export const TOKEN_HEADERS = [
  'ID',
  'KIND',
  'NAME',
  'IDENTITY',
  'ROLES',
  'STATUS',
  'EXPIRES',
  'HINT',
  'LAST USED',
];

export function tokenRecord(t: Token): Array<[string, unknown]> {
  return [
    ['id', t.id],
    ['kind', t.kind],
    ['name', t.name],
    ['description', t.description],
    ['identity', `${t.identity.name} (#${t.identityId})`],
    ['roles', t.roles],
    ['status', t.status],
    ['created', t.created],
    ['expiration', t.expiration],
    ['revoked', t.revokedDate ?? 'no'],
    ['hint', `…${t.hint}`],
    ['last used', t.lastUsed],
    ['use count', t.useCount],
    ['scope', t.scope],
    ['endpoints', t.apiEndpoints],
    ['imported', t.imported ? 'yes' : 'no'],
  ];
}

const HASH = /^[0-9a-f]{64}$/;

/** Parses an export file (one JSON record per line); a bad line stops before anything is sent. */
export function parseRecords(text: string, file: string): TokenRecord[] {
  const out: TokenRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new CliError(`${file}:${i + 1}: not valid JSON; nothing was imported.`);
    }
    const r = rec as Partial<TokenRecord>;
    if (!rec || typeof rec !== 'object' || typeof r.token_hash !== 'string' || !HASH.test(r.token_hash)) {
      throw new CliError(`${file}:${i + 1}: not a token record (token_hash missing); nothing was imported.`);
    }
    if ('token' in (rec as object) || 'value' in (rec as object)) {
      throw new CliError(`${file}:${i + 1}: records must not carry token values; nothing was imported.`);
    }
    out.push(r as TokenRecord);
  }
  return out;
}

export function registerToken(program: Command): void {
  const token = program
    .command('token')
    .description('App tokens: grant, list, show, revoke, export and import.');
  examples(token, [
    'tokenward token grant --role Reader --expires 30d',
    'tokenward token list --status active',
  ]);

  const grant = token
    .command('grant')
    .description(
      'Grant an app token (to yourself, or to another identity with tokens:grant-any). The value is shown once.',
    )
    .option('-i, --identity <id|name>', 'identity to grant to (default: yourself)')
    .option(
      '-r, --role <role>',
      'role for the token (repeat or comma-separate; default: every role you may give)',
      collect,
    )
    .option(
      '-e, --expires <when>',
      'lifetime (30d, 12h, 1y) or date (default: the server default)',
      parseWhen,
    )
    .option('-n, --name <name>', 'token name')
    .option('-d, --description <text>', 'token description')
    .option(
      '--endpoint <pattern>',
      'limit the token to an endpoint, e.g. "GET /api/v1/usersession" (repeat)',
      collectRaw,
    )
    .option('-q, --quiet', 'print only the token value')
    .action(async (o, cmd: Command) => {
      const client = authedClient(cmd);
      const target = o.identity === undefined ? undefined : await identityId(client, o.identity);
      const t = await client.appTokens.grant(
        {
          ...(o.role ? { roles: o.role } : {}),
          ...(o.expires ? { expiration: o.expires } : {}),
          ...(o.name ? { name: o.name } : {}),
          ...(o.description ? { description: o.description } : {}),
          ...(o.endpoint ? { apiEndpoints: o.endpoint } : {}),
        },
        target,
      );
      if (globals(cmd).json) return printJson(t);
      if (o.quiet) {
        process.stdout.write(`${t.token}\n`);
        return;
      }
      info(
        `Granted app token #${t.id} to ${t.identity.name} (${t.role}), expires ${shortDate(t.expiration)}.`,
      );
      info('The value is shown only now; store it safely:');
      process.stdout.write(`${t.token}\n`);
    });
  examples(grant, [
    'tokenward token grant',
    'tokenward token grant --identity build-bot --role Operator --expires 90d --name ci',
    'tokenward token grant --role Reader --endpoint "GET /api/v1/usersession" -q',
    'tokenward token grant --json | jq -r .token',
  ]);

  const list = token
    .command('list')
    .description("List tokens: your own (tokens:read), or everyone's (tokens:read-any).")
    .addOption(
      new Option('-s, --status <status>', 'filter by status').choices(['active', 'revoked', 'expired']),
    )
    .option('-i, --identity <id|name>', 'only tokens of this identity')
    .option('-k, --kind <kind>', 'app (default), personal, refresh, access, several comma-separated, or all')
    .option('--expiring-within <duration>', 'only tokens expiring within 7d, 24h, 30m…')
    .option('--search <text>', 'search names and descriptions')
    .option('--limit <n>', 'page size (max 500)', parseCount)
    .option('--offset <n>', 'skip this many', parseCount)
    .option('-a, --all', 'fetch every page')
    .action(async (o, cmd: Command) => {
      const client = authedClient(cmd);
      const q = {
        ...(o.status ? { status: o.status } : {}),
        ...(o.identity ? { identity: o.identity } : {}),
        ...(o.kind ? { kind: o.kind } : {}),
        ...(o.expiringWithin ? { expiringWithin: o.expiringWithin } : {}),
        ...(o.search ? { search: o.search } : {}),
      };
      let page = await client.appTokens.list({
        ...q,
        limit: o.limit ?? (o.all ? 500 : 50),
        offset: o.offset ?? 0,
      });
      if (o.all) {
        const items = [...page.items];
        while (items.length < page.total && page.items.length > 0) {
          page = await client.appTokens.list({ ...q, limit: 500, offset: (o.offset ?? 0) + items.length });
          items.push(...page.items);
        }
        page = { ...page, items, limit: items.length, offset: o.offset ?? 0 };
      }
      if (globals(cmd).json) return printJson(page);
      printTable(TOKEN_HEADERS, tokenRows(page.items));
      if (page.total > page.items.length)
        info(`${page.items.length} of ${page.total} shown (use --all or --offset).`);
    });
  examples(list, [
    'tokenward token list',
    'tokenward token list --status active --identity build-bot',
    'tokenward token list --kind all --all --json | jq ".items[].id"',
    'tokenward token list --expiring-within 14d',
  ]);

  const show = token
    .command('show')
    .description("Show one token's metadata (never its value).")
    .argument('<id>', 'token id', parseId)
    .action(async (id: number, _o, cmd: Command) => {
      const t = await authedClient(cmd).appTokens.get(id);
      if (globals(cmd).json) return printJson(t);
      printRecord(tokenRecord(t));
    });
  examples(show, ['tokenward token show 12', 'tokenward token show 12 --json']);

  const revoke = token
    .command('revoke')
    .description(
      'Revoke tokens by id (kept for the audit trail). Revoking also revokes tokens issued from it.',
    )
    .argument('<id...>', 'token ids')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .action(async (ids: string[], o: { yes?: boolean }, cmd: Command) => {
      const parsed = ids.map((v) => {
        if (!/^\d{1,15}$/.test(v)) throw usageError(`"${v}" is not a token id.`);
        return Number(v);
      });
      await confirm(`revoke token${parsed.length === 1 ? '' : 's'} #${parsed.join(', #')}`, o.yes);
      const client = authedClient(cmd);
      const done: Token[] = [];
      for (const id of parsed) done.push(await client.appTokens.revoke(id));
      if (globals(cmd).json) return printJson(done.length === 1 ? done[0] : done);
      for (const t of done) info(`Revoked token #${t.id} (…${t.hint}) of ${t.identity.name}.`);
    });
  examples(revoke, ['tokenward token revoke 12', 'tokenward token revoke 12 13 14 --yes']);

  const exp = token
    .command('export')
    .description(
      'Export tokens as JSON lines: SHA-256 hashes and metadata, never values (tokens:read-any). Import the file on another instance with `token import`.',
    )
    .option('-o, --out <file>', 'write to this file (mode 0600) instead of standard output')
    .option('-k, --kind <kinds>', 'app, personal or app,personal (default)')
    .option('--active-only', 'leave out revoked and expired tokens')
    .action(async (o, cmd: Command) => {
      const client = authedClient(cmd);
      const out = o.out ? openOut(o.out) : process.stdout;
      let writeError: Error | null = null;
      out.on('error', (err: Error) => {
        writeError = err;
      });
      const progress = new Progress('Exporting', 0);
      let count = 0;
      for await (const page of client.appTokens.exportAll({
        ...(o.kind ? { kind: o.kind } : {}),
        ...(o.activeOnly ? { status: 'active' as const } : {}),
      })) {
        progress.setTotal(page.total);
        for (const rec of page.items) {
          if (writeError) throw new CliError(`Cannot write the export: ${(writeError as Error).message}`);
          if (!out.write(`${JSON.stringify(rec)}\n`)) await once(out, 'drain');
        }
        count += page.items.length;
        progress.update(count);
      }
      progress.done();
      if (o.out) {
        out.end();
        await once(out, 'finish');
      }
      if (globals(cmd).json && o.out) printJson({ exported: count, file: o.out });
      else info(`Exported ${count} token${count === 1 ? '' : 's'}${o.out ? ` to ${o.out}` : ''}.`);
    });
  examples(exp, [
    'tokenward token export --out tokens.jsonl',
    'tokenward token export --active-only --kind app > app-tokens.jsonl',
  ]);

  const imp = token
    .command('import')
    .description(
      'Import an export file on this instance: the same token values become valid here (no signing key is shared). Identities are matched by name and must exist; idempotent (tokens already here are skipped with reason "exists").',
    )
    .argument('<file>', 'export file (JSON lines), or - for standard input')
    .option('--batch-size <n>', 'records per request (1–500, default 500)', parseCount)
    .action(async (file: string, o, cmd: Command) => {
      const text = file === '-' ? await readStdin() : readText(file);
      const records = parseRecords(text, file);
      const client = authedClient(cmd);
      const progress = new Progress('Importing', records.length);
      const result = await client.appTokens.importHashes(records, {
        batchSize: o.batchSize ?? 500,
        onBatch: (done) => progress.update(done),
      });
      progress.done();
      if (globals(cmd).json) return printJson(result);
      info(`Imported ${result.imported} of ${records.length}; skipped ${result.skipped.length}.`);
      if (result.skipped.length > 0) {
        printTable(
          ['SOURCE ID', 'HINT', 'REASON'],
          result.skipped.map((s) => [s.id ?? '-', `…${s.hint}`, s.reason]),
        );
      }
    });
  examples(imp, [
    'tokenward token import tokens.jsonl',
    'TOKENWARD_URL=https://b.example.com TOKENWARD_TOKEN=$B_ADMIN tokenward token import tokens.jsonl --json',
  ]);
}

/** Opens the export file for writing, readable by its owner only (also when it existed). */
function openOut(file: string) {
  let fd: number;
  try {
    fd = openSync(file, 'w', 0o600);
    fchmodSync(fd, 0o600);
  } catch (err) {
    throw new CliError(
      `Cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return createWriteStream(file, { fd });
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(
      `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

// Command-line options of `npm run bench -- [options]`.
import { parseArgs } from 'node:util';

export const USAGE = `npm run bench -- [options]

  --quick                 under 90 s: 1 s runs; sizes 10 000 and 100 000 (PostgreSQL: 10 000),
                          only the warm verify on the larger store, targets 5–8 on SQLite only
  --rounds <n>            rounds over all targets (default 2, at least 2 for a recorded result)
  --duration <s>          measured seconds per target and round (default 3, quick 1)
  --warmup <s>            warm-up seconds before each measurement (default 1)
  --connections <n>       concurrent connections (default 50)
  --loader <wrk|autocannon>  load generator (default: wrk when installed, else autocannon)
  --dialects <list>       sqlite,postgres (default: sqlite, plus postgres when
                          TOKENWARD_TEST_DATABASE_URL is set)
  --sizes <list>          tokens in the store for the verify targets (default 10000,100000,1000000)
  --targets <list>        measure only these targets (2–9; the ceiling, 1, always runs); a partial
                          run leaves bench/README.md alone
  --profile               afterwards, CPU-profile the server during targets 3 and 4 (SQLite)
  --profile-targets <list>  which targets to profile (3–8; default 3,4)
  --profile-only          only the profile, no measured rounds
  --no-readme             do not rewrite the table in bench/README.md (quick runs never do)
  --no-cache              seed the SQLite stores afresh (default: reuse the seeded stores kept in
                          the system temp folder, tokenward-bench-cache/, by earlier runs)
  --keep                  keep the temporary stores
  --help`;

export function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      loader: { type: 'string' },
      dialects: { type: 'string' },
      sizes: { type: 'string' },
      targets: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'profile-targets': { type: 'string' },
      'profile-only': { type: 'boolean', default: false },
      'no-readme': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'no-cache': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const number = (name, fallback, min) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got "${raw}".`);
    return n;
  };
  const quick = values.quick;
  const pgUrl = process.env.TOKENWARD_TEST_DATABASE_URL?.trim() || null;
  const dialects = values.dialects
    ? values.dialects.split(',').map((s) => s.trim())
    : pgUrl
      ? ['sqlite', 'postgres']
      : ['sqlite'];
  for (const d of dialects) {
    if (d !== 'sqlite' && d !== 'postgres') throw new Error(`--dialects: unknown store "${d}".`);
  }
  if (dialects.includes('postgres') && !pgUrl) {
    throw new Error(
      '--dialects postgres needs TOKENWARD_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).',
    );
  }
  const sizes = (values.sizes ?? (quick ? '10000,100000' : '10000,100000,1000000'))
    .split(',')
    .map((s) => Number(s.trim().replace(/_/g, '')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 10_000)) {
    throw new Error('--sizes: whole numbers of at least 10000 (the spread target presents 10 000 tokens).');
  }
  sizes.sort((a, b) => a - b);
  if (values.loader && values.loader !== 'wrk' && values.loader !== 'autocannon') {
    throw new Error('--loader must be wrk or autocannon.');
  }
  const profileTargets = (values['profile-targets'] ?? '3,4').split(',').map((x) => Number(x.trim()));
  if (profileTargets.some((n) => !Number.isInteger(n) || n < 3 || n > 8)) {
    throw new Error('--profile-targets: target numbers from 3 to 8.');
  }
  let targets = null;
  if (values.targets !== undefined) {
    targets = new Set(values.targets.split(',').map((x) => Number(x.trim())));
    if ([...targets].some((n) => !Number.isInteger(n) || n < 1 || n > 9)) {
      throw new Error('--targets: target numbers from 1 to 9.');
    }
    targets.add(1);
  }
  return {
    help: values.help,
    targets,
    profileTargets,
    quick,
    rounds: number('rounds', 2, 1),
    durationS: number('duration', quick ? 1 : 3, 1),
    warmupS: number('warmup', 1, 1),
    connections: number('connections', 50, 1),
    loader: values.loader ?? null,
    dialects,
    pgUrl,
    sizes,
    profile: values.profile || values['profile-only'] || values['profile-targets'] !== undefined,
    profileOnly: values['profile-only'],
    readme: !values['no-readme'] && !quick && !values['profile-only'] && targets === null,
    keep: values.keep,
    cache: !values['no-cache'],
  };
}

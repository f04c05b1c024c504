#!/usr/bin/env node
// `npm run test:property -- --runs 500 [--seed 123] [--store sqlite|postgres]`: the model-based
// authority property test (apps/server/test/property) with more sequences than CI runs, or one
// seed replayed. PostgreSQL runs too when TOKENWARD_TEST_DATABASE_URL is set, as in `npm test`.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    seed: { type: 'string' },
    store: { type: 'string' },
  },
});
const env = { ...process.env };
if (values.runs !== undefined) {
  if (!/^[1-9]\d*$/.test(values.runs)) throw new Error('--runs must be a positive whole number');
  env.TOKENWARD_PROPERTY_RUNS = values.runs;
}
if (values.seed !== undefined) {
  if (!/^\d+$/.test(values.seed)) throw new Error('--seed must be a whole number');
  env.TOKENWARD_PROPERTY_SEED = values.seed;
}
if (values.store === 'sqlite') delete env.TOKENWARD_TEST_DATABASE_URL;
const child = spawn('npx', ['vitest', 'run', 'apps/server/test/property'], { stdio: 'inherit', env });
child.on('exit', (code) => process.exit(code ?? 1));

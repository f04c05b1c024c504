// The bench's own logic that decides what a run reports: its options and the targets it judges
// met or missed. (The measurements themselves are never asserted anywhere.)
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM without types: the bench runs with `node`, not through the build.
import { readOptions } from '../lib/options.mjs';
// @ts-expect-error as above
import { evaluateGoals } from '../lib/report.mjs';

const pgUrl = process.env.TOKENWARD_TEST_DATABASE_URL;
afterEach(() => {
  if (pgUrl === undefined) delete process.env.TOKENWARD_TEST_DATABASE_URL;
  else process.env.TOKENWARD_TEST_DATABASE_URL = pgUrl;
});

describe('bench options', () => {
  it('runs every target and rewrites the README by default', () => {
    delete process.env.TOKENWARD_TEST_DATABASE_URL;
    const o = readOptions([]);
    expect(o).toMatchObject({ targets: null, readme: true, rounds: 2, durationS: 3, dialects: ['sqlite'] });
    expect(o.sizes).toEqual([10_000, 100_000, 1_000_000]);
  });

  it('--targets always keeps the ceiling and leaves the README alone', () => {
    const o = readOptions(['--targets', '7, 3']);
    expect([...o.targets].sort()).toEqual([1, 3, 7]);
    expect(o.readme).toBe(false);
  });

  it('refuses target numbers that do not exist', () => {
    for (const bad of ['0', '10', 'x', '3,']) {
      expect(() => readOptions(['--targets', bad]), bad).toThrow(/--targets/);
    }
  });

  it('adds PostgreSQL only with a database URL, and says what is missing', () => {
    delete process.env.TOKENWARD_TEST_DATABASE_URL;
    expect(() => readOptions(['--dialects', 'postgres'])).toThrow(/TOKENWARD_TEST_DATABASE_URL/);
    process.env.TOKENWARD_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
    expect(readOptions([]).dialects).toEqual(['sqlite', 'postgres']);
  });

  it('--quick is shorter and never rewrites the README', () => {
    const o = readOptions(['--quick']);
    expect(o).toMatchObject({ quick: true, durationS: 1, readme: false });
    expect(o.sizes).toEqual([10_000, 100_000]);
  });
});

describe('bench targets', () => {
  const row = (n: number, over: Record<string, unknown> = {}) => ({
    n,
    dialect: n <= 2 ? null : 'sqlite',
    size: n <= 2 || n === 9 ? null : 10_000,
    rps: 10_000,
    ratio: 0.5,
    cpuUsPerRequest: 20,
    latencyMsP99: 4,
    peakRssMiB: 100,
    ...over,
  });
  const goal = (goals: { goal: string; met: boolean }[], text: string) => {
    const g = goals.find((x) => x.goal.includes(text));
    if (!g) throw new Error(`no goal "${text}" in ${goals.map((x) => x.goal).join('; ')}`);
    return g;
  };

  it('judges each target against its own threshold', () => {
    const rows = [
      row(1, { rps: 50_000, ratio: 1, cpuUsPerRequest: 18 }),
      row(2, { rps: 40_000, ratio: 0.8, cpuUsPerRequest: 24 }),
      row(3, { rps: 36_500, ratio: 0.73, cpuUsPerRequest: 26, latencyMsP99: 5.01 }),
      row(7, { rps: 22_000, ratio: 0.44, cpuUsPerRequest: 40 }),
      row(8, { rps: 2_999, ratio: 0.06 }),
      row(9, { rps: 1_800, ratio: 0.036 }),
    ];
    const goals = evaluateGoals(rows, [10_000]);
    expect(goal(goals, 'warm verify (3) ≥ 0.60').met).toBe(true);
    // 36 500 / 40 000 = 0.9125 by req/s; by CPU 24 / 26 = 0.923.
    expect(goal(goals, 'framework ceiling').met).toBe(true);
    expect(goal(goals, 'p99').met).toBe(false);
    expect(goal(goals, 'introspection').met).toBe(false);
    expect(goal(goals, 'grant').met).toBe(false);
    // 36 500 / 1 800 = 20.3 ×.
    expect(goal(goals, 'better-auth').met).toBe(true);
  });

  it('compares 1 000 000 stored tokens with 10 000, and RSS in bytes, not MiB', () => {
    const rows = [
      row(1, { rps: 50_000, ratio: 1 }),
      row(3, { size: 10_000, rps: 30_000 }),
      row(3, { size: 1_000_000, rps: 26_999, peakRssMiB: 239 }),
      row(4, { size: 10_000, rps: 30_000 }),
      row(4, { size: 1_000_000, rps: 27_000, peakRssMiB: 200 }),
    ];
    const goals = evaluateGoals(rows, [10_000, 1_000_000]);
    expect(goal(goals, 'verify (3) at 1,000,000').met).toBe(false);
    expect(goal(goals, 'verify (4) at 1,000,000').met).toBe(true);
    // 250 MB is 238.4 MiB.
    expect(goal(goals, 'RSS').met).toBe(false);
  });
});

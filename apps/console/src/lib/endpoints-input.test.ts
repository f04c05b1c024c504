import { describe, expect, it } from 'vitest';
import { parseEndpointsInput } from './endpoints-input';

describe('parseEndpointsInput', () => {
  it('reads one METHOD /path per line, upper-cases methods, drops blanks and duplicates', () => {
    expect(
      parseEndpointsInput('get /api/v1/identity/*\n\n  POST /api/orders  \nGET /api/v1/identity/*'),
    ).toEqual({
      ok: true,
      endpoints: ['GET /api/v1/identity/*', 'POST /api/orders'],
    });
  });

  it('a bare path means any method', () => {
    expect(parseEndpointsInput('/scim/v2/*')).toEqual({ ok: true, endpoints: ['* /scim/v2/*'] });
  });

  it('names the first bad line', () => {
    const r = parseEndpointsInput('GET /ok\nFETCH /nope');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^Line 2 \("FETCH \/nope"\)/);
    for (const bad of ['GET api/no-slash', 'GET /a?b=1', 'GET /a/../b'])
      expect(parseEndpointsInput(bad).ok).toBe(false);
  });

  it('an empty list is refused: "only these endpoints" with none would allow nothing', () => {
    expect(parseEndpointsInput('  \n ').ok).toBe(false);
  });
});

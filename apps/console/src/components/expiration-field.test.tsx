// @vitest-environment happy-dom
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { LifetimeLimits } from '../lib/expiration';
import {
  DAY_SECONDS,
  DEFAULT_LIMITS,
  dateBounds,
  defaultChoice,
  type ExpirationChoice,
} from '../lib/expiration';
import { byLabel, change, type Rendered, render } from '../test-utils';
import { ExpirationField } from './expiration-field';

const NOW = new Date(2026, 10, 22, 12, 0).getTime();

function Harness({ limits }: { limits: LifetimeLimits }) {
  const [value, setValue] = useState<ExpirationChoice>(() => defaultChoice(limits));
  return <ExpirationField value={value} onChange={setValue} limits={limits} nowMs={NOW} what="app tokens" />;
}

let view: Rendered | undefined;
afterEach(async () => {
  await view?.unmount();
  view = undefined;
});

describe('ExpirationField', () => {
  it('starts at the default, lists presets up to the maximum, and explains the maximum', async () => {
    view = await render(<Harness limits={DEFAULT_LIMITS.appToken} />);
    const select = byLabel(view.container, 'Expires after') as HTMLSelectElement;
    expect(select.selectedOptions[0]?.textContent).toBe('1 year (default)');
    const options = [...select.options].map((o) => o.textContent);
    expect(options.at(-2)).toBe('2 years (maximum)');
    expect(options.at(-1)).toBe('Custom date…');
    expect(view.container.textContent).toContain('This instance lets app tokens live at most 2 years');
    expect(view.container.textContent).toContain('The token will expire on');
    // The explanation is wired to the control for screen readers.
    const describedBy = select.getAttribute('aria-describedby')?.split(' ') ?? [];
    expect(describedBy.map((id) => document.getElementById(id)?.textContent ?? '').join(' ')).toContain(
      'at most 2 years',
    );
  });

  it('a custom date is bounded by the maximum; a later date shows why it cannot be used', async () => {
    view = await render(<Harness limits={DEFAULT_LIMITS.appToken} />);
    await change(byLabel(view.container, 'Expires after'), 'custom');
    const date = byLabel(view.container, 'Expiration date') as HTMLInputElement;
    const bounds = dateBounds(NOW, DEFAULT_LIMITS.appToken);
    expect([date.min, date.max]).toEqual([bounds.min, bounds.max]);
    expect(date.value).toBe(bounds.min);

    await change(date, '2099-01-01');
    expect(date.getAttribute('aria-invalid')).toBe('true');
    expect(view.container.querySelector('.field-error')?.textContent).toMatch(
      /at most 2 years: choose .+ or earlier/,
    );

    await change(date, bounds.max);
    expect(date.getAttribute('aria-invalid')).toBeNull();
    expect(view.container.querySelector('.field-error')).toBeNull();
  });

  it('a stricter instance offers fewer presets', async () => {
    view = await render(
      <Harness limits={{ defaultTtlSeconds: 7 * DAY_SECONDS, maxTtlSeconds: 30 * DAY_SECONDS }} />,
    );
    const select = byLabel(view.container, 'Expires after') as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual([
      '7 days (default)',
      '30 days (maximum)',
      'Custom date…',
    ]);
  });
});

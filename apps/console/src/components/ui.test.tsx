// @vitest-environment happy-dom

import { TokenwardError } from '@tokenward/client/api';
import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Rendered, render } from '../test-utils';
import { ErrorMessage, Pagination, StatusBadge } from './ui';

let view: Rendered | undefined;
afterEach(async () => {
  await view?.unmount();
  view = undefined;
});

describe('ErrorMessage', () => {
  it("shows the API's errorMessage in an alert, with a retry button when asked", async () => {
    const retry = vi.fn();
    view = await render(
      <ErrorMessage
        error={
          new TokenwardError(403, {
            code: 'role_not_held',
            errorMessage: 'The identity does not hold the role "Auditor".',
          })
        }
        onRetry={retry}
      />,
    );
    const alert = view.container.querySelector('[role="alert"]');
    expect(alert?.textContent).toContain('The identity does not hold the role "Auditor".');
    await act(async () => (view!.container.querySelector('button') as HTMLButtonElement).click());
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it('shows nothing without an error', async () => {
    view = await render(<ErrorMessage error={null} />);
    expect(view.container.innerHTML).toBe('');
  });

  it('a lost connection reads as one', async () => {
    view = await render(<ErrorMessage error={new TokenwardError(0, { errorMessage: 'x' })} />);
    expect(view.container.textContent).toContain('could not be reached');
  });
});

describe('Pagination', () => {
  it('says which rows are shown and disables what cannot be done', async () => {
    const onChange = vi.fn();
    view = await render(<Pagination label="Tokens" total={60} limit={25} offset={25} onChange={onChange} />);
    expect(view.container.textContent).toContain('26–50 of 60');
    expect(view.container.textContent).toContain('Page 2 of 3');
    const [prev, next] = [...view.container.querySelectorAll('button')];
    expect(prev?.disabled).toBe(false);
    await act(async () => next!.click());
    expect(onChange).toHaveBeenCalledWith(50);
    await view.rerender(<Pagination label="Tokens" total={60} limit={25} offset={50} onChange={onChange} />);
    expect(view.container.querySelectorAll('button')[1]?.disabled).toBe(true);
  });
});

describe('StatusBadge', () => {
  it('names the status in text, not only in colour', async () => {
    view = await render(<StatusBadge status="Expired" />);
    expect(view.container.textContent).toBe('Expired');
  });
});

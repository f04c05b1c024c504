// @vitest-environment happy-dom

import { TokenwardError } from '@tokenward/client/api';
import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Rendered, render } from '../test-utils';
import { ListTable } from './list-table';

let view: Rendered | undefined;
afterEach(async () => {
  await view?.unmount();
  view = undefined;
});

const idle = { error: null, loading: false, reload: () => {} };

function table(props: {
  loaded: { error: unknown; loading: boolean; reload: () => void };
  items: string[] | undefined;
  total?: number;
}) {
  return (
    <ListTable
      loaded={props.loaded}
      items={props.items}
      what="fruit"
      empty="No fruit yet."
      caption="Fruit"
      columns={['Name']}
      actions
      pagination={{ label: 'Fruit', total: props.total, limit: 2, offset: 0, onChange: () => {} }}
    >
      {(name) => (
        <tr key={name}>
          <td data-label="Name">{name}</td>
          <td data-label="Actions" className="actions" />
        </tr>
      )}
    </ListTable>
  );
}

describe('ListTable', () => {
  it('says it is loading until the first answer, and shows no table or pages yet', async () => {
    view = await render(table({ loaded: { ...idle, loading: true }, items: undefined }));
    expect(view.container.querySelector('[role="status"]')?.textContent).toBe('Loading fruit…');
    expect(view.container.querySelector('table')).toBeNull();
    expect(view.container.querySelector('nav')).toBeNull();
  });

  it('shows the empty text when the list is empty', async () => {
    view = await render(table({ loaded: idle, items: [], total: 0 }));
    expect(view.container.querySelector('.empty')?.textContent).toBe('No fruit yet.');
    expect(view.container.querySelector('table')).toBeNull();
  });

  it('shows rows under named columns, a screen-reader-only actions header, and the pages', async () => {
    view = await render(table({ loaded: idle, items: ['apple', 'pear'], total: 3 }));
    const headers = [...view.container.querySelectorAll('th')].map((th) => th.textContent);
    expect(headers).toEqual(['Name', 'Actions']);
    expect(view.container.querySelector('th .visually-hidden')?.textContent).toBe('Actions');
    expect(view.container.querySelector('caption')?.textContent).toBe('Fruit');
    expect(view.container.querySelectorAll('tbody tr')).toHaveLength(2);
    expect(view.container.querySelector('nav')?.getAttribute('aria-label')).toBe('Fruit pages');
  });

  it('keeps the last rows, marked busy, while a reload runs', async () => {
    view = await render(table({ loaded: { ...idle, loading: true }, items: ['apple'], total: 1 }));
    expect(view.container.querySelector('table')?.getAttribute('aria-busy')).toBe('true');
    expect(view.container.querySelector('[role="status"]')).toBeNull();
  });

  it('shows a failed load with a retry', async () => {
    const reload = vi.fn();
    view = await render(
      table({
        loaded: {
          error: new TokenwardError(403, { code: 'permission_denied', errorMessage: 'Not for you.' }),
          loading: false,
          reload,
        },
        items: undefined,
      }),
    );
    expect(view.container.querySelector('[role="alert"]')?.textContent).toContain('Not for you.');
    await act(async () => (view!.container.querySelector('button') as HTMLButtonElement).click());
    expect(reload).toHaveBeenCalledTimes(1);
  });
});

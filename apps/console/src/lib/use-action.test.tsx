// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { type Rendered, render } from '../test-utils';
import { type Action, useAction } from './use-action';

let view: Rendered | undefined;
afterEach(async () => {
  await view?.unmount();
  view = undefined;
});

function Probe({ onRender }: { onRender: (action: Action) => void }) {
  onRender(useAction());
  return null;
}

describe('useAction', () => {
  it('is busy while the work runs; a failure is kept and re-enables, a retry clears it', async () => {
    let action: Action | undefined;
    view = await render(<Probe onRender={(a) => (action = a)} />);
    expect(action?.busy).toBe(false);

    let fail: (err: unknown) => void = () => {};
    let running: Promise<void> | undefined;
    await act(async () => {
      running = action!.run(() => new Promise<void>((_, reject) => (fail = reject)));
    });
    expect(action?.busy).toBe(true);
    const problem = new Error('refused');
    await act(async () => {
      fail(problem);
      await running;
    });
    expect(action?.busy).toBe(false);
    expect(action?.error).toBe(problem);

    await act(async () => action!.run(async () => {}));
    expect(action?.error).toBeNull();
    // A dialog closes on success, so the controls stay disabled until it does.
    expect(action?.busy).toBe(true);
  });
});

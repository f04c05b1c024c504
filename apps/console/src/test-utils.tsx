import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';

// React warns unless it knows that tests wrap updates in act().
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export interface Rendered {
  container: HTMLElement;
  rerender(ui: ReactNode): Promise<void>;
  unmount(): Promise<void>;
}

/** Renders into a fresh container (the console needs no testing library for this). */
export async function render(ui: ReactNode): Promise<Rendered> {
  const container = document.createElement('div');
  document.body.appendChild(container);
  let root: Root | undefined;
  await act(async () => {
    root = createRoot(container);
    root.render(ui);
  });
  return {
    container,
    async rerender(next) {
      await act(async () => root!.render(next));
    },
    async unmount() {
      await act(async () => root!.unmount());
      container.remove();
    },
  };
}

/** The control a <label> names, found by the label's text. */
export function byLabel(container: HTMLElement, text: string): HTMLInputElement | HTMLSelectElement {
  const label = [...container.querySelectorAll('label')].find((l) => l.textContent?.trim() === text);
  if (!label) throw new Error(`no label "${text}"`);
  const control = container.ownerDocument.getElementById(label.htmlFor);
  if (!control) throw new Error(`label "${text}" names no control`);
  return control as HTMLInputElement | HTMLSelectElement;
}

/** Sets a form control's value the way a person would, so React's onChange fires. */
export async function change(control: HTMLInputElement | HTMLSelectElement, value: string): Promise<void> {
  const proto =
    control instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  const setter = Object.getOwnPropertyDescriptor(proto, 'value')?.set;
  await act(async () => {
    setter?.call(control, value);
    control.dispatchEvent(
      new Event(control instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }),
    );
  });
}

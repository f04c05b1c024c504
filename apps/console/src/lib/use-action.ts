import { useCallback, useState } from 'react';

export interface Action {
  /** True from the start of `run` until it fails: a dialog closes on success, so it stays true then. */
  busy: boolean;
  error: unknown;
  run: (work: () => Promise<void>) => Promise<void>;
}

/**
 * The state of one consequential action a dialog runs (a submit, a confirmation). A failure is
 * kept to show in place and re-enables the controls, so the person can correct and try again.
 */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}

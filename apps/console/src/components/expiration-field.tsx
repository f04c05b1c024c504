import { useId } from 'react';
import type { LifetimeLimits } from '../lib/expiration';
import {
  dateBounds,
  type ExpirationChoice,
  expirationPresets,
  formatDate,
  limitExplanation,
  resolveExpiration,
} from '../lib/expiration';

const CUSTOM = 'custom';

/**
 * Expiration picker: presets up to the instance maximum and a date picker bounded by it. The
 * maximum is explained beside the control rather than discovered through a refused request.
 */
export function ExpirationField({
  value,
  onChange,
  limits,
  nowMs,
  what,
}: {
  value: ExpirationChoice;
  onChange: (choice: ExpirationChoice) => void;
  limits: LifetimeLimits;
  nowMs: number;
  /** "app tokens", "personal tokens": used in the explanation. */
  what: string;
}) {
  const id = useId();
  const presets = expirationPresets(limits);
  const bounds = dateBounds(nowMs, limits);
  const result = resolveExpiration(value, nowMs, limits, what);
  const selectValue = value.kind === 'preset' ? String(value.ttlSeconds) : CUSTOM;
  return (
    <fieldset className="field expiration-field">
      <legend>Expiration</legend>
      <div className="expiration-controls">
        <div>
          <label htmlFor={`${id}-preset`} className="visually-hidden">
            Expires after
          </label>
          <select
            id={`${id}-preset`}
            value={selectValue}
            aria-describedby={`${id}-limit ${id}-result`}
            onChange={(e) => {
              const v = e.currentTarget.value;
              if (v === CUSTOM) onChange({ kind: 'date', date: bounds.max < bounds.min ? '' : bounds.min });
              else onChange({ kind: 'preset', ttlSeconds: Number(v) });
            }}
          >
            {presets.map((p) => (
              <option key={p.ttlSeconds} value={String(p.ttlSeconds)}>
                {p.label}
              </option>
            ))}
            <option value={CUSTOM}>Custom date…</option>
          </select>
        </div>
        {value.kind === 'date' ? (
          <div>
            <label htmlFor={`${id}-date`}>Expiration date</label>
            <input
              id={`${id}-date`}
              type="date"
              min={bounds.min}
              max={bounds.max}
              value={value.date}
              required
              aria-invalid={result.ok ? undefined : true}
              aria-describedby={`${id}-limit ${id}-result`}
              onChange={(e) => onChange({ kind: 'date', date: e.currentTarget.value })}
            />
          </div>
        ) : null}
      </div>
      <p id={`${id}-result`} className={result.ok ? 'hint' : 'field-error'} aria-live="polite">
        {result.ok ? `The token will expire on ${formatDate(result.expiresAtMs)}.` : result.error}
      </p>
      <p id={`${id}-limit`} className="hint">
        {limitExplanation(limits, what, nowMs)}
      </p>
    </fieldset>
  );
}

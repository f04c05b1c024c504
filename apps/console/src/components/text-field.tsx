import type { ReactNode } from 'react';
import { Field } from './field';

/** A labelled text input, or a textarea when `rows` is given, whose value is a plain string. */
export function TextField({
  label,
  hint,
  error,
  optional,
  value,
  onChange,
  rows,
  type,
  maxLength,
  autoComplete,
  placeholder,
  className,
  required,
  autoFocus,
}: {
  label: string;
  hint?: ReactNode;
  error?: string | null;
  optional?: boolean;
  value: string;
  onChange: (value: string) => void;
  rows?: number;
  type?: 'email' | 'password';
  maxLength?: number;
  autoComplete?: string;
  placeholder?: string;
  className?: string;
  required?: boolean;
  /** The control a dialog focuses when it opens. */
  autoFocus?: boolean;
}) {
  const common = {
    value,
    maxLength,
    placeholder,
    className,
    required,
    'data-autofocus': autoFocus || undefined,
  };
  return (
    <Field label={label} hint={hint} error={error} optional={optional}>
      {(props) =>
        rows === undefined ? (
          <input
            {...props}
            {...common}
            type={type}
            autoComplete={autoComplete}
            onChange={(e) => onChange(e.currentTarget.value)}
          />
        ) : (
          <textarea {...props} {...common} rows={rows} onChange={(e) => onChange(e.currentTarget.value)} />
        )
      }
    </Field>
  );
}

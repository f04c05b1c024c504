import type { Role } from '@tokenward/client/api';

/** The roles an identity holds, as checkboxes (names compare case-insensitively). */
export function RoleCheckboxes({
  roles,
  value,
  onChange,
  legend,
}: {
  roles: Role[];
  value: string[];
  onChange: (roles: string[]) => void;
  legend: string;
}) {
  const has = (name: string) => value.some((v) => v.toLowerCase() === name.toLowerCase());
  return (
    <fieldset className="field">
      <legend>{legend}</legend>
      <div className="checkbox-list">
        {roles.map((r) => (
          <label key={r.name} className="checkbox">
            <input
              type="checkbox"
              checked={has(r.name)}
              onChange={(e) => {
                const on = e.currentTarget.checked;
                onChange(
                  on ? [...value, r.name] : value.filter((v) => v.toLowerCase() !== r.name.toLowerCase()),
                );
              }}
            />
            <span>
              {r.name}
              {r.description ? <span className="cell-note">{r.description}</span> : null}
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

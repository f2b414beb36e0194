import type { ReactNode } from 'react';

/**
 * A list page's filter bar: a search form whose fields hold drafts, applied together on submit (the
 * pages keep applied filters in the URL, so a filtered view can be shared).
 */
export function FilterForm({
  label,
  onApply,
  children,
  actions,
}: {
  /** The form's accessible name (`Filter reports`). */
  label: string;
  onApply: () => void;
  children: ReactNode;
  /** Buttons after "Apply filters" (a "Clear"). */
  actions?: ReactNode;
}) {
  return (
    <form
      className="card filters"
      role="search"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        onApply();
      }}
    >
      {children}
      <div className="actions">
        <button type="submit" className="primary">
          Apply filters
        </button>
        {actions}
      </div>
    </form>
  );
}

/** A free-text filter field of a `FilterForm`. */
export function SearchField({
  id,
  label,
  value,
  placeholder,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  placeholder?: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="search"
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
        spellCheck={false}
        autoComplete="off"
      />
    </div>
  );
}

import type { RuntimeView } from '../../api/schemas.js';

/**
 * Which runtimes an integration is shared with: all of them, or the ones ticked. Each runtime that
 * cannot use it (the type's rule, e.g. ECR's IAM role on a hosted runtime) says why, before anything is
 * sent; shared with all, those runtimes are listed as "unavailable" for information.
 */
interface SharingProps {
  runtimes: RuntimeView[];
  shareAll: boolean;
  selected: string[];
  rule: (rt: RuntimeView) => string | undefined;
  error: string | undefined;
  disabled: boolean;
  onShareAll: (all: boolean) => void;
  onSelected: (names: string[]) => void;
}

export function RuntimeSharing(props: SharingProps) {
  const { runtimes, shareAll, selected, rule, error, disabled, onShareAll, onSelected } = props;
  return (
    <fieldset
      className={`group${error ? ' field-invalid' : ''}`}
      aria-describedby={error ? 'runtimes-error' : undefined}
    >
      <legend>Runtimes</legend>
      <div className="segmented">
        <label>
          <input
            type="radio"
            name="share"
            id="share-all"
            checked={shareAll}
            onChange={() => onShareAll(true)}
            disabled={disabled}
          />
          All runtimes
        </label>
        <label>
          <input
            type="radio"
            name="share"
            id="share-selected"
            checked={!shareAll}
            onChange={() => onShareAll(false)}
            disabled={disabled}
          />
          Selected runtimes
        </label>
      </div>
      {!shareAll && (
        <ul className="runtime-choices">
          {runtimes.map((rt) => (
            <RuntimeChoice
              key={rt.name}
              rt={rt}
              why={rule(rt)}
              checked={selected.includes(rt.name)}
              disabled={disabled}
              onChange={(on) =>
                onSelected(on ? [...selected, rt.name] : selected.filter((n) => n !== rt.name))
              }
            />
          ))}
        </ul>
      )}
      {shareAll && <UnavailableNote runtimes={runtimes} rule={rule} />}
      {error && (
        <p className="field-error" id="runtimes-error">
          {error}
        </p>
      )}
    </fieldset>
  );
}

/** Shared with all runtimes, those that cannot use it are listed, for information. */
function UnavailableNote({ runtimes, rule }: Pick<SharingProps, 'runtimes' | 'rule'>) {
  const warnings = runtimes
    .map((rt) => ({ rt, why: rule(rt) }))
    .filter((x): x is { rt: RuntimeView; why: string } => x.why !== undefined);
  if (warnings.length === 0) return null;
  return (
    <div className="box box-info small" role="note">
      Shared with all runtimes, it will be unavailable on:
      <ul>
        {warnings.map((w) => (
          <li key={w.rt.name}>{w.why}</li>
        ))}
      </ul>
    </div>
  );
}

function RuntimeChoice({
  rt,
  why,
  checked,
  disabled,
  onChange,
}: {
  rt: RuntimeView;
  why: string | undefined;
  checked: boolean;
  disabled: boolean;
  onChange: (checked: boolean) => void;
}) {
  const id = `rt-${rt.name}`;
  return (
    <li>
      <input
        type="checkbox"
        id={id}
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        aria-describedby={why ? `${id}-why` : undefined}
        disabled={disabled}
      />
      <label htmlFor={id}>
        {rt.name}{' '}
        <span className="muted small">
          ({rt.type}, {rt.version})
        </span>
      </label>
      {why && (
        <p className="help warn" id={`${id}-why`}>
          {why}
        </p>
      )}
    </li>
  );
}

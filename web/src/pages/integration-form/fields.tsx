import { Field } from '../../components/ui.js';
import type {
  CheckboxFieldSpec,
  ChoiceFieldSpec,
  FieldSpec,
  SecretFieldSpec,
  TextFieldSpec,
} from './model.js';

/** One field of a type's field set, rendered from its description. */

export interface FieldProps<F extends FieldSpec = FieldSpec> {
  spec: F;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
  disabled: boolean;
}

export function FieldControl(props: FieldProps & { kept: boolean; destinations: string }) {
  const { spec } = props;
  switch (spec.kind) {
    case 'secret':
      return <SecretField {...props} spec={spec} />;
    case 'choice':
      return <ChoiceField {...props} spec={spec} />;
    case 'checkbox':
      return <CheckboxField {...props} spec={spec} />;
    default:
      return <TextField {...props} spec={spec} />;
  }
}

const INPUT_TYPE = { text: 'text', url: 'url', email: 'email', number: 'number' } as const;

export function TextField({ spec, value, error, onChange, disabled }: FieldProps<TextFieldSpec>) {
  return (
    <Field id={spec.key} label={spec.label} error={error} help={spec.help}>
      {(a) => (
        <input
          {...a}
          type={INPUT_TYPE[spec.kind]}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          spellCheck={false}
          autoComplete="off"
          {...(spec.kind === 'number' ? { inputMode: 'numeric' as const, min: spec.min, max: spec.max } : {})}
          {...(spec.placeholder ? { placeholder: spec.placeholder } : {})}
          required={spec.required}
          disabled={disabled}
        />
      )}
    </Field>
  );
}

/**
 * A write-only secret. With one stored ("(set)"), an empty field keeps it and a typed one replaces it;
 * the stored value never comes back to the browser.
 */
export function SecretField({
  spec,
  value,
  error,
  onChange,
  disabled,
  kept,
  destinations,
}: FieldProps<SecretFieldSpec> & { kept: boolean; destinations: string }) {
  const help = kept
    ? `A secret is stored. Leave this empty to keep it, or type a new one to replace it. Changing ${destinations} needs it typed again: it is sealed for where it is sent.`
    : `${spec.help ? `${spec.help} ` : ''}Write-only: it is sent once and stored sealed.`;
  return (
    <Field id={spec.key} label={kept ? `${spec.label} (set)` : spec.label} error={error} help={help}>
      {(a) => (
        <input
          {...a}
          type="password"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          autoComplete="new-password"
          placeholder={kept ? '•••••• (set)' : ''}
          disabled={disabled}
        />
      )}
    </Field>
  );
}

/** A segmented radio group (the authentication mode), with the chosen option's help under it. */
export function ChoiceField({ spec, value, onChange, disabled }: FieldProps<ChoiceFieldSpec>) {
  const help = spec.options.find((o) => o.value === value)?.help;
  return (
    <>
      <div className="segmented" role="radiogroup" aria-label={spec.label}>
        {spec.options.map((o) => (
          <label key={o.value}>
            <input
              type="radio"
              name={spec.key}
              value={o.value}
              checked={value === o.value}
              onChange={() => onChange(o.value)}
              disabled={disabled}
            />
            {o.label}
          </label>
        ))}
      </div>
      {help && <p className="help">{help}</p>}
    </>
  );
}

export function CheckboxField({ spec, value, error, onChange, disabled }: FieldProps<CheckboxFieldSpec>) {
  return (
    <div className={`check-field${error ? ' field-invalid' : ''}`}>
      <input
        type="checkbox"
        id={spec.key}
        checked={value === 'true'}
        onChange={(e) => onChange(e.target.checked ? 'true' : '')}
        disabled={disabled}
      />
      <label htmlFor={spec.key}>{spec.label}</label>
      {error && (
        <p className="field-error" id={`${spec.key}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

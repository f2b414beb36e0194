import type { z } from 'zod';
import type { SealedValue } from '../../config-repo/kinds/common.js';
import type { IntegrationType, SpecOf } from '../../config-repo/kinds/integration-v1alpha1.js';
import type { RuntimeV1alpha1 } from '../../config-repo/kinds/runtime-v1alpha1.js';
import type { IntegrationExecutor } from './executor.js';
import { availabilityFor, type Availability } from '../availability.js';
import { modeOf, secretPaths, valueAt, type IntegrationTypeDefinition } from './definition.js';
import type { IntegrationCheck, IntegrationTestResult } from './test-result.js';
import type { INTEGRATION_TYPE_DEFINITIONS } from './definitions.js';

export type Runtime = Pick<RuntimeV1alpha1, 'metadata' | 'spec'>;

/** The key of a type's settings in the spec: `ecr`, `github`, `jira` (distributes over a union of types). */
type SectionKey<T extends string> = T extends IntegrationType
  ? Exclude<keyof SpecOf<T>, 'type' | 'description'>
  : never;
/** A type's stored settings, secrets sealed: `spec.github`. */
export type SectionOf<T extends string> = T extends IntegrationType ? SpecOf<T>[SectionKey<T>] : never;
/** What the API shows of a registered type's section, as its definition's view schema takes it. */
export type ViewOf<T extends string> = T extends IntegrationType
  ? z.input<Extract<(typeof INTEGRATION_TYPE_DEFINITIONS)[number], { type: T }>['view']>
  : never;

/** Opens one stored secret (with the control plane's key); `field` names it in errors. */
export type Unsealer = (value: SealedValue, field: string) => Promise<string>;
/**
 * Seals one clear secret for the recipients of the placement being written, bound to the field (its dot
 * path within the section, as `sealedFields` names it) and to the settings' destinations.
 */
export type Sealer = (clear: string, field: string) => Promise<SealedValue>;

/**
 * Everything the integration service, the CLI and the API need to know about one integration type. The
 * service is generic over handlers; what differs between types lives here and nowhere else.
 *
 * `Input` is the settings with secrets in clear, as a caller sends them once to create or test; `Patch` is an
 * edit naming only what changes (an omitted secret keeps the stored one).
 */
export interface IntegrationTypeHandler<
  T extends string,
  Input,
  Patch,
  Section = SectionOf<T>,
  View = ViewOf<T>,
> {
  /** The type's browser-safe definition (spec, secrets, endpoints, runtime rule, docs words). */
  readonly definition: IntegrationTypeDefinition<T>;
  readonly type: T;
  /** `SectionKey<T>`: plain string here, because a conditional type would make handlers invariant in T. */
  readonly section: string;
  /** Create input of the section (secrets in clear). */
  readonly createInput: z.ZodType<Input>;
  /** Edit input of the section. */
  readonly patchInput: z.ZodType<Patch>;
  /**
   * A draft to test before committing (the dashboard's "Test connection"): complete settings except that
   * secrets may be left out, to be taken from the stored integration of the same name.
   */
  readonly draftInput: z.ZodType<Patch>;

  /** Clear secrets of an input, to register with the redactor the moment they are read. */
  secretsOf(input: Input): string[];
  /** One word for lists and commit subjects: ECR's auth mode, Jira's auth kind, GitHub's `token`. */
  modeOf(settings: Input | Section): string;
  /**
   * Applies an edit to the stored settings. A stored secret is unsealed only when it is kept; switching
   * auth kind needs the new kind's secret.
   */
  merge(current: Section, patch: Patch | undefined, unseal: Unsealer): Promise<Input>;
  /** The stored section, each secret field sealed for the placement's recipients. */
  build(input: Input, seal: Sealer): Promise<Section>;
  /** The sealed fields of a stored section, by dot path within the section (for re-sealing). */
  sealedFields(section: Section): Array<{ path: string; value: SealedValue }>;
  /**
   * Every place the secrets are sent to (effective URLs, endpoints, region), by setting path within the
   * section. A sealed value is bound to these; changing one needs the secret entered again.
   */
  destinations(settings: Input | Section): Record<string, string>;
  /**
   * What the API shows; secrets only as `{ set: true }`. Typed by the definition's view schema, which
   * clients parse the section with (`sectionView`).
   */
  view(section: Section): View;
  /** Whether a runtime can use these settings, and why not. */
  availability(settings: Input | Section, runtime: Runtime): Availability;
  /** What to do when a named runtime cannot use the settings. */
  refusalHints(settings: Input | Section): string[];
  /** Runs the connection test on `runtime`. */
  test(
    input: Input,
    runtime: Runtime,
    executor: IntegrationExecutor,
    onCheck?: (c: IntegrationCheck) => void,
  ): Promise<IntegrationTestResult>;
  /** The command that enters the secret again, when a stored one cannot be opened. */
  reenterSecretHint(name: string): string;
}

/**
 * A handler with its types erased, as the service holds them. Handler members are methods (bivariant in
 * their parameters), so every typed handler is assignable here; each is fully typed in its own file.
 */
export type AnyIntegrationTypeHandler = IntegrationTypeHandler<
  IntegrationType,
  unknown,
  unknown,
  unknown,
  unknown
>;

/** What the definition already says; a handler file writes only the rest. */
type Derived = 'definition' | 'type' | 'section' | 'sealedFields' | 'modeOf' | 'availability';

/**
 * A type's handler from its definition and its own behaviour: the type, section, sealed fields (every
 * `SealedValue` of the spec), mode word and availability (the definition's runtime rule) are derived, so
 * they cannot disagree with the stored schema or the dashboard.
 */
export function defineHandler<T extends string, Input, Patch, Section = SectionOf<T>, View = ViewOf<T>>(
  definition: IntegrationTypeDefinition<T>,
  parts: Omit<IntegrationTypeHandler<T, Input, Patch, Section, View>, Derived>,
): IntegrationTypeHandler<T, Input, Patch, Section, View> {
  const secrets = secretPaths(definition);
  return {
    ...parts,
    definition,
    type: definition.type,
    section: definition.section,
    sealedFields: (section) =>
      secrets.flatMap((path) => {
        const value = valueAt(section, path);
        return value === undefined ? [] : [{ path, value: value as SealedValue }];
      }),
    modeOf: (settings) => modeOf(definition, settings),
    availability: (settings, runtime) => availabilityFor(definition, settings, runtime),
  };
}

/** Drops keys whose value is undefined, so stored YAML and views carry no `key: null` noise. */
export function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

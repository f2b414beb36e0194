import { COMMON_CODES } from './common.js';
import { ECR_CODES } from './ecr.js';
import { IMAGE_FAILURE_CODES } from './image-failures.js';
import { STS_CODES } from './sts.js';
import type { CodeEntry, CodeTable } from './table.js';

export {
  CLASS_RETRY,
  isTransientClass,
  type AwsErrorClass,
  type CodeEntry,
  type CodeTable,
} from './table.js';
export { COMMON_CODES, ECR_CODES, IMAGE_FAILURE_CODES, STS_CODES };

/** Exception codes of every service imagetrail calls (image failure codes are a separate namespace). */
export const API_ERROR_CODES: CodeTable = { ...COMMON_CODES, ...ECR_CODES, ...STS_CODES };

/**
 * The entry for an error's name. The SDK names modelled errors after their class (`IDPRejectedClaimException`)
 * while the wire, and the SDK for codes it does not know, may say `IDPRejectedClaim`: both are looked up.
 */
export function codeEntry(names: Iterable<string>): { code: string; entry: CodeEntry } | undefined {
  for (const name of names) {
    for (const code of [name, `${name}Exception`, name.replace(/Exception$/, '')]) {
      const entry = API_ERROR_CODES[code];
      if (entry) return { code, entry };
    }
  }
  return undefined;
}

/** A BatchGetImage `failures[].failureCode`; a code newer than this build is final and says so. */
export function imageFailureEntry(code: string | undefined): CodeEntry {
  return (
    (code ? IMAGE_FAILURE_CODES[code] : undefined) ?? {
      errorClass: 'unknown',
      meaning: `ECR could not return the image (${code ?? 'no failure code'})`,
      hints: [],
    }
  );
}

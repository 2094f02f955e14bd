// Fault injection: which failure, if any, one request suffers. Rates come from the live settings (changeable at run
// time); a request header can force one fault so tests are deterministic instead of statistical.
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SimulatorFaultsSchema, type SimulatorFaults } from '../../config/schema.ts';

export type Fault =
  | { readonly kind: 'none' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'rate_limit'; readonly retryAfterS: number }
  | { readonly kind: 'error'; readonly status: number }
  | { readonly kind: 'cut' };

/** What `x-simulator-fault` may say; `undefined` means the header is absent. */
export type ForcedFault = 'reset' | 'hang' | '429' | '500' | '503' | 'cut';

export const FAULT_HEADER = 'x-simulator-fault';

const FORCED: ReadonlySet<string> = new Set<ForcedFault>(['reset', 'hang', '429', '500', '503', 'cut']);

const NONE: Fault = { kind: 'none' };

/** Parses the header; throws on an unknown value so a typo in a test fails loudly instead of passing silently. */
export function parseForcedFault(header: string | string[] | undefined): ForcedFault | undefined {
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase() ?? '';
  if (!FORCED.has(value)) throw new RangeError(`${FAULT_HEADER} must be one of ${[...FORCED].join(', ')}`);
  return value as ForcedFault;
}

function hit(rate: number): boolean {
  return rate > 0 && Math.random() < rate;
}

/**
 * The fault for one request, rolled in a fixed order (reset, hang, rate limit, error, then cut for streams) so each
 * rate is the share of requests that reach its roll. A cut only makes sense for a stream; it is ignored otherwise.
 */
export function rollFault(faults: SimulatorFaults, forced: ForcedFault | undefined, stream: boolean): Fault {
  switch (forced) {
    case 'reset':
      return { kind: 'reset' };
    case 'hang':
      return { kind: 'hang' };
    case '429':
      return { kind: 'rate_limit', retryAfterS: faults.retry_after_s };
    case '500':
    case '503':
      return { kind: 'error', status: Number(forced) };
    case 'cut':
      return stream ? { kind: 'cut' } : NONE;
    case undefined:
      break;
  }
  if (hit(faults.reset_rate)) return { kind: 'reset' };
  if (hit(faults.hang_rate)) return { kind: 'hang' };
  if (hit(faults.rate_limit_rate)) return { kind: 'rate_limit', retryAfterS: faults.retry_after_s };
  if (hit(faults.error_rate)) return { kind: 'error', status: faults.error_status };
  if (stream && hit(faults.cut_stream_rate)) return { kind: 'cut' };
  return NONE;
}

const PartialFaults = Type.Partial(SimulatorFaultsSchema, { additionalProperties: false });

/**
 * `current` with `patch` applied, validated against the schema so a control request cannot set a rate of 7 or a
 * status of 200. Throws a RangeError naming the first bad field.
 */
export function mergeFaults(current: SimulatorFaults, patch: unknown): SimulatorFaults {
  if (!Value.Check(PartialFaults, patch)) {
    const first = Value.Errors(PartialFaults, patch).First();
    const where = first?.path ? first.path.slice(1) : 'faults';
    throw new RangeError(`invalid faults: ${where}: ${first?.message ?? 'invalid value'}`);
  }
  // A programmatic patch may carry `undefined` for a field; that means "leave it", not "unset it".
  const merged: SimulatorFaults = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) Object.assign(merged, { [key]: value });
  }
  return merged;
}

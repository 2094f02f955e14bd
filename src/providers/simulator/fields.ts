// Checks of request fields, each failing with the 400 the real APIs give, naming the field as `param`. Only the
// fields the simulator acts on are checked: it must accept whatever else a real client sends.
import { SimulatorHttpError } from './protocol-errors.ts';

type Body = Readonly<Record<string, unknown>>;

export function requiredString(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new SimulatorHttpError(400, `${field}: a non-empty string is required`, field);
  }
  return value;
}

export function requiredArray(body: Body, field: string): readonly unknown[] {
  const value = body[field];
  if (!Array.isArray(value) || value.length === 0) {
    throw new SimulatorHttpError(400, `${field}: a non-empty array is required`, field);
  }
  return value;
}

/** A positive integer, or undefined when the field is absent or null. */
export function optionalPositiveInt(body: Body, field: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new SimulatorHttpError(400, `${field}: an integer from 1 to ${max} is expected`, field);
  }
  return value;
}

export function optionalBoolean(body: Body, field: string): boolean {
  const value = body[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new SimulatorHttpError(400, `${field}: a boolean is expected`, field);
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

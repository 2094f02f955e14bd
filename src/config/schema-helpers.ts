// Small TypeBox helpers shared by the config's schema files.
import { Type, type TUnsafe } from '@sinclair/typebox';

/** A string enum as JSON Schema `enum`, so a wrong value gets one error listing the allowed ones. */
export const StringEnum = <T extends string[]>(values: [...T], options: { default?: T[number]; description?: string } = {}): TUnsafe<T[number]> =>
  Type.Unsafe<T[number]>({ type: 'string', enum: values, ...options });

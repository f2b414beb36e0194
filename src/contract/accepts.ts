import type * as z from 'zod';

/** `true` when every value of the server's `Model` passes `Schema`: a compile-time tie of a read model to its wire contract. */
export type Accepts<Schema extends z.ZodType, Model> = Model extends z.input<Schema> ? true : never;

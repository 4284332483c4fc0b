/**
 * Request validation. Bodies are checked strictly (no type coercion: "5" is not a number of points), while
 * query strings and path parameters, which are always text on the wire, are coerced to their schema's types.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Problem } from './schemas.js';

function createAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats.default(ajv);
  return ajv;
}

const bodyAjv = createAjv(false);
const textAjv = createAjv('array' as unknown as boolean);

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema) as ValidateFunction;

// Schemas referenced with Type.Ref are known to both validators once, however many apps a process builds.
for (const ajv of [bodyAjv, textAjv]) ajv.addSchema(Problem);

/** A body validator for checking parts of a request one by one (the items of a batch). */
export function compileBodyValidator(schema: TSchema): ValidateFunction {
  return bodyAjv.compile(schema);
}

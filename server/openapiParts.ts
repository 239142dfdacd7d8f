/**
 * OpenAPI pieces shared by the tabular predict operations (server/openapi.ts) and the label-audit ones
 * (server/auditPredict.ts): both take one record or `{"rows": [...]}` and answer one result or
 * `{model, results}`, and fail with the same error responses.
 */
type Schema = Record<string, unknown>;

/** The error answers every predict operation shares (bodies in components.responses). */
export const errorResponses = {
  '400': { $ref: '#/components/responses/BadRequest' },
  '404': { $ref: '#/components/responses/NotFound' },
  '413': { $ref: '#/components/responses/TooLarge' },
  '415': { $ref: '#/components/responses/UnsupportedMediaType' },
};

/**
 * A predict request body: one record (`#/components/schemas/<name>.Record`) or `{"rows": [...]}` of up
 * to `maxRows`, with a one-record and a batch example. Shared by tabular and audit models.
 */
export function oneOrBatchBody(
  name: string,
  maxRows: number,
  example: unknown,
  exampleSummary: string,
): Schema {
  const rec = { $ref: `#/components/schemas/${name}.Record` };
  return {
    required: true,
    content: {
      'application/json': {
        schema: {
          oneOf: [
            rec,
            {
              type: 'object',
              properties: { rows: { type: 'array', items: rec, minItems: 1, maxItems: maxRows } },
              required: ['rows'],
              additionalProperties: false,
            },
          ],
        },
        examples: {
          one: { summary: exampleSummary, value: example },
          batch: { summary: 'A batch', value: { rows: [example, example] } },
        },
      },
    },
  };
}

/** A predict answer: `<name>.Result` for one record, `{model, results: [<name>.RowResult…]}` for a batch. */
export function resultOrBatchResponse(name: string, description: string, example: unknown): Schema {
  return {
    description,
    content: {
      'application/json': {
        schema: {
          oneOf: [
            { $ref: `#/components/schemas/${name}.Result` },
            {
              type: 'object',
              properties: {
                model: { $ref: '#/components/schemas/ModelRef' },
                results: { type: 'array', items: { $ref: `#/components/schemas/${name}.RowResult` } },
              },
              required: ['model', 'results'],
            },
          ],
        },
        example,
      },
    },
  };
}

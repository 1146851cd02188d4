/**
 * `GET /openapi.json`: an OpenAPI 3.1 document generated from the zod schemas the routes parse
 * with, so the documented contract is the enforced one. Requests are described as they may be
 * sent (numbers as strings too), responses as they are answered.
 */
import { z } from 'zod';
import { analyzeRequestSchema, metricSchema } from './analyze-request';
import { analyzeResponseSchema, problemSchema } from './analyze-response';
import { CONFIRM_ROLLOUT, flaggerPayloadSchema, JUDGING_TYPES, LOGGED_TYPES } from './flagger-webhook';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

export function openApiDocument(version: string): JsonSchema {
  const request = schemaOf(analyzeRequestSchema, 'input') as { properties: Record<string, JsonSchema> };
  // The route dispatches each metric by shape; the document shows both shapes.
  request.properties.metrics = { ...request.properties.metrics, items: { $ref: '#/components/schemas/Metric' } };
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
  return {
    openapi: '3.1.0',
    info: {
      title: 'canary-judge',
      version,
      description: 'Statistical canary analysis for Argo Rollouts (web metric provider), Flagger (webhooks) and people with curl.',
    },
    paths: {
      '/v1/analyze': {
        post: {
          summary: 'Judge a canary against its baseline',
          parameters: [{ name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'text', 'html'] } }],
          requestBody: { required: true, content: json('AnalyzeRequest') },
          responses: {
            '200': { description: 'A verdict (pass, fail or inconclusive), whatever it is', content: { ...json('AnalyzeResponse'), 'text/plain': { schema: { type: 'string' } }, 'text/html': { schema: { type: 'string' } } } },
            '400': { description: 'Invalid request or unknown ?format: every problem listed', content: json('Problem') },
            '405': { description: 'Wrong method (see the Allow header)', content: json('Problem') },
            '406': { description: 'Accept admits none of application/json, text/plain and text/html', content: json('Problem') },
            '413': { description: 'Body over the limit', content: json('Problem') },
            '503': { description: 'The metric source (Prometheus) could not answer: no verdict', content: json('Problem') },
          },
        },
      },
      '/v1/flagger/{type}': {
        post: {
          summary: 'Flagger webhook (one URL per hook type)',
          parameters: [{ name: 'type', in: 'path', required: true, schema: { type: 'string', enum: [...JUDGING_TYPES, CONFIRM_ROLLOUT, ...LOGGED_TYPES] } }],
          requestBody: { required: true, content: json('FlaggerPayload') },
          responses: {
            '200': { description: 'Check passed (for rollback: roll back now; for confirm-rollout: Prometheus answers and the primary has requests)', content: { 'text/plain': { schema: { type: 'string' } } } },
            '409': { description: 'rollback hook: do not roll back', content: { 'text/plain': { schema: { type: 'string' } } } },
            '412': { description: 'Check failed; the body becomes the Kubernetes event', content: { 'text/plain': { schema: { type: 'string' } } } },
            '400': { description: 'Invalid payload or metadata', content: json('Problem') },
            '404': { description: 'Unknown hook type', content: json('Problem') },
            '503': { description: 'Prometheus could not answer: a failed check, never a rollback', content: json('Problem') },
          },
        },
      },
      '/v1/report': {
        get: {
          summary: 'The HTML report behind the link of a Prometheus-backed answer, recomputed over the same window',
          parameters: [
            { name: 'a', in: 'query', required: false, schema: { type: 'string' }, description: 'an analysis request (base64url JSON, with start and end)' },
            { name: 'f', in: 'query', required: false, schema: { type: 'string' }, description: 'a Flagger payload (base64url JSON, with metadata start and end)' },
            { name: 'sig', in: 'query', required: false, schema: { type: 'string' }, description: 'the link signature, when AUTH_TOKEN is set' },
          ],
          responses: {
            '200': { description: 'The report page', content: { 'text/html': { schema: { type: 'string' } } } },
            '400': { description: 'Not a report link of a Prometheus-backed analysis', content: json('Problem') },
            '401': { description: 'AUTH_TOKEN is set and the link is not signed by this service', content: json('Problem') },
            '503': { description: 'Prometheus could not answer', content: json('Problem') },
          },
        },
      },
    },
    components: {
      schemas: {
        AnalyzeRequest: request,
        Metric: schemaOf(metricSchema, 'input'),
        AnalyzeResponse: schemaOf(analyzeResponseSchema, 'output'),
        FlaggerPayload: schemaOf(flaggerPayloadSchema, 'input'),
        Problem: schemaOf(problemSchema, 'output'),
      },
    },
  };
}

/**
 * `POST /v1/analyze`: the contract for people with curl and for Argo Rollouts' `web` metric
 * provider. A valid request always gets HTTP 200 with the verdict in JSON (Argo reads every
 * non-2xx as a measurement error, and a 2xx without JSON as a success), or a text table when
 * asked. An invalid one gets 400 listing every problem; a source that cannot answer
 * (Prometheus down, slow past the deadline, malformed) gets 503, never a verdict.
 */
import { Router, type Request, type Response } from 'express';
import type { SelfMetrics } from '../service/self-metrics';
import { SourceUnavailableError } from '../sources/metric-source';
import { PromQLInputError } from '../sources/prometheus/promql';
import { analyzeRequestSchema } from './analyze-request';
import { invalidRequest, issuesFromZod, parseContract, type Problem } from './problems';
import { RequestError, runAnalysis, type AnalysisDeps } from './run-analysis';
import { textReport } from './text-report';

export function analyzeRouter(metrics: SelfMetrics, deps: AnalysisDeps): Router {
  const router = Router();
  router.post('/v1/analyze', async (req, res) => {
    const parsed = parseContract(analyzeRequestSchema, req.body);
    if (!parsed.success) {
      metrics.invalidRequests.inc();
      res.status(400).json(invalidRequest(issuesFromZod(parsed.error)));
      return;
    }
    const stopTimer = metrics.analysisDuration.startTimer();
    try {
      const result = await runAnalysis(parsed.data, deps);
      metrics.analyses.inc({ verdict: result.verdict });
      req.log.info({ verdict: result.verdict, score: result.score, metrics: result.metrics.map((m) => `${m.name}=${m.verdict}`) }, 'analysis');
      if (wantsText(req)) res.type('text/plain').send(textReport(result));
      else res.json(result);
    } catch (error) {
      if (!answerAnalysisError(error, req, res, metrics)) throw error;
    } finally {
      stopTimer();
    }
  });
  return router;
}

/** Maps the two expected failures of an analysis to their answers; false for anything else. */
export function answerAnalysisError(error: unknown, req: Request, res: Response, metrics: SelfMetrics): boolean {
  if (error instanceof RequestError || error instanceof PromQLInputError || (error instanceof SourceUnavailableError && error.reason === 'query')) {
    metrics.invalidRequests.inc();
    const issues = error instanceof RequestError ? error.issues : [{ path: 'metrics', message: error.message }];
    res.status(400).json(invalidRequest(issues));
    return true;
  }
  if (error instanceof SourceUnavailableError) {
    metrics.analyses.inc({ verdict: 'error' });
    req.log.warn({ reason: error.reason, err: error.message }, 'metric source unavailable');
    const problem: Problem = { error: 'source_unavailable', message: error.message };
    res.status(503).json(problem);
    return true;
  }
  return false;
}

function wantsText(req: Request): boolean {
  if (req.query.format === 'text') return true;
  if (req.query.format === 'json') return false;
  return req.accepts(['json', 'text']) === 'text';
}

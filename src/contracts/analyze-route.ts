/**
 * `POST /v1/analyze`: the contract for people with curl and for Argo Rollouts' `web` metric
 * provider. A valid request always gets HTTP 200 with the verdict in JSON (Argo reads every
 * non-2xx as a measurement error, and a 2xx without JSON as a success), or a text table when
 * asked; an invalid one gets 400 listing every problem.
 */
import { Router, type Request } from 'express';
import { analyze } from '../judge/analyze';
import type { SelfMetrics } from '../service/self-metrics';
import { analyzeRequestSchema, toAnalysisInput } from './analyze-request';
import { invalidRequest, issuesFromZod } from './problems';
import { textReport } from './text-report';

export function analyzeRouter(metrics: SelfMetrics): Router {
  const router = Router();
  router.post('/v1/analyze', (req, res) => {
    const parsed = analyzeRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      metrics.invalidRequests.inc();
      res.status(400).json(invalidRequest(issuesFromZod(parsed.error)));
      return;
    }
    const stopTimer = metrics.analysisDuration.startTimer();
    const result = analyze(toAnalysisInput(parsed.data));
    stopTimer();
    metrics.analyses.inc({ verdict: result.verdict });
    req.log.info({ verdict: result.verdict, score: result.score, metrics: result.metrics.map((m) => `${m.name}=${m.verdict}`) }, 'analysis');
    if (wantsText(req)) res.type('text/plain').send(textReport(result));
    else res.json(result);
  });
  return router;
}

function wantsText(req: Request): boolean {
  if (req.query.format === 'text') return true;
  if (req.query.format === 'json') return false;
  return req.accepts(['json', 'text']) === 'text';
}

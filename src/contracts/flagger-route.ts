/**
 * `POST /v1/flagger/{type}`: Flagger's webhooks (one URL per hook type, since the payload does
 * not say which hook is calling). See flagger-webhook.ts for the payload and status rules.
 */
import { Router } from 'express';
import type { SelfMetrics } from '../service/self-metrics';
import { analyzeRequestSchema } from './analyze-request';
import { answerAnalysisError, prometheusBacked } from './analyze-route';
import { reportLink, type ReportLinkConfig } from '../report/report-link';
import { CONFIRM_ROLLOUT, eventText, flaggerPayloadSchema, withAnalysisKey, flaggerStatus, JUDGING_TYPES, LOGGED_TYPES, readFlaggerOptions, type JudgingType } from './flagger-webhook';
import { invalidRequest, issuesFromZod, parseContract, type Problem } from './problems';
import { runAnalysis, type AnalysisDeps } from './run-analysis';
import { confirmRollout } from './confirm-rollout';
import { redactText, redactValues } from '../service/redact';

/**
 * `links` builds report links (PUBLIC_URL); `secrets` are masked (with every URL's path) in the
 * event texts we log: see redact.ts.
 */
export function flaggerRouter(metrics: SelfMetrics, deps: AnalysisDeps, links: ReportLinkConfig = {}, secrets: readonly string[] = []): Router {
  const router = Router();
  router.post('/v1/flagger/:type', async (req, res) => {
    const type = req.params.type;
    const payload = parseContract(flaggerPayloadSchema, req.body);
    if (!(JUDGING_TYPES as readonly string[]).includes(type) && !(LOGGED_TYPES as readonly string[]).includes(type) && type !== CONFIRM_ROLLOUT) {
      const problem: Problem = { error: 'not_found', message: `unknown Flagger webhook type ${JSON.stringify(redactText(type, secrets))}; use one of ${[...JUDGING_TYPES, CONFIRM_ROLLOUT, ...LOGGED_TYPES].join(', ')}` };
      res.status(404).json(problem);
      return;
    }
    if (!payload.success) {
      metrics.invalidRequests.inc();
      res.status(400).json(invalidRequest(issuesFromZod(payload.error)));
      return;
    }
    const { name, namespace, phase, checksum } = payload.data;
    if ((LOGGED_TYPES as readonly string[]).includes(type)) {
      // eventMessage is Flagger's own text: after a failed webhook it holds the webhook URL.
      req.log.info({ flagger: { type, name, namespace, phase, checksum, metadata: redactValues(payload.data.metadata, secrets) } }, 'flagger event');
      res.json({ status: 'logged' });
      return;
    }
    const options = readFlaggerOptions(payload.data);
    if ('issues' in options) {
      metrics.invalidRequests.inc();
      res.status(400).json(invalidRequest(options.issues));
      return;
    }
    const parsed = parseContract(analyzeRequestSchema, withAnalysisKey(options.request, payload.data));
    if (!parsed.success) {
      metrics.invalidRequests.inc();
      // The request was built from metadata keys of the same names ("alpha", "canary.labels.x").
      res.status(400).json(invalidRequest(issuesFromZod(parsed.error).map((i) => ({ ...i, path: `metadata.${i.path}` }))));
      return;
    }
    if (type === CONFIRM_ROLLOUT) {
      try {
        const answer = await confirmRollout(parsed.data, deps);
        req.log.info({ flagger: { type, name, namespace, phase, checksum }, status: answer.status }, 'flagger check');
        res.status(answer.status).type('text/plain').send(answer.text);
      } catch (error) {
        if (!answerAnalysisError(error, req, res, metrics)) throw error;
      }
      return;
    }
    const stopTimer = metrics.analysisDuration.startTimer();
    try {
      const result = await runAnalysis(parsed.data, deps, options.overrides);
      metrics.analyses.inc({ verdict: result.verdict });
      const criticalFailed = result.metrics.some((m) => m.critical && m.verdict === 'fail');
      const status = flaggerStatus(type as JudgingType, result.verdict, criticalFailed, options.onInconclusive, result.undecidable !== undefined);
      const rollout = parsed.data.rollout;
      if (rollout) metrics.verdicts.record({ namespace: rollout.namespace, rollout: rollout.name }, result, !prometheusBacked(parsed.data));
      const report = result.window && prometheusBacked(parsed.data) ? reportLink(links, 'f', { name, namespace, ...(payload.data.metadata ? { metadata: payload.data.metadata } : {}) }, result.window) : undefined;
      req.log.info({ flagger: { type, name, namespace, phase, checksum }, verdict: result.verdict, status, ...(report ? { report } : {}) }, 'flagger check');
      res.status(status).type('text/plain').send(`${eventText(result.verdict, result.reason)}${report ? ` report: ${report}` : ''}`);
    } catch (error) {
      if (!answerAnalysisError(error, req, res, metrics)) throw error;
    } finally {
      stopTimer();
    }
  });
  return router;
}

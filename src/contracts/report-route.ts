/**
 * `GET /v1/report?a=...|f=...[&sig=...]`: the HTML report behind the link a Prometheus-backed
 * answer carries (see report-link.ts). The analysis is recomputed from Prometheus over the same
 * absolute window, so any replica answers it and nothing is stored. Viewing a report is not a
 * new judgement: it updates neither the analysis counter nor the verdict gauges.
 */
import { Router } from 'express';
import type { SelfMetrics } from '../service/self-metrics';
import { inProcessAnalysis, type AnalysisRunner } from '../service/analysis-pool';
import { readReportQuery, type ReportLinkConfig } from '../report/report-link';
import { analyzeRequestSchema } from './analyze-request';
import { answerAnalysisError, prometheusBacked, sendHtmlReport } from './analyze-route';
import { flaggerPayloadSchema, readFlaggerOptions, withAnalysisKey } from './flagger-webhook';
import { invalidRequest, issuesFromZod, parseContract, type Issue, type Problem } from './problems';
import { promqlPolicyIssues } from './promql-policy';
import { runAnalysisWithInputs, type AnalysisDeps, type MetricOverrides } from './run-analysis';

export function reportRouter(metrics: SelfMetrics, deps: AnalysisDeps, links: ReportLinkConfig = {}, runner: AnalysisRunner = inProcessAnalysis): Router {
  const router = Router();
  router.get('/v1/report', async (req, res) => {
    const refuse = (issues: Issue[]) => {
      metrics.invalidRequests.inc();
      res.status(400).json(invalidRequest(issues));
    };
    const read = readReportQuery(req.query as Record<string, unknown>, links.now);
    if ('problem' in read) return refuse([{ path: 'query', message: read.problem }]);
    if ('expired' in read) {
      metrics.invalidRequests.inc();
      const problem: Problem = { error: 'link_expired', message: read.expired };
      return void res.status(410).json(problem);
    }
    let request: unknown = read.body;
    let overrides: MetricOverrides = new Map();
    if (read.kind === 'f') {
      const payload = parseContract(flaggerPayloadSchema, read.body);
      if (!payload.success) return refuse(issuesFromZod(payload.error).map((i) => ({ ...i, path: `query.f.${i.path}` })));
      const options = readFlaggerOptions(payload.data);
      if ('issues' in options) return refuse(options.issues.map((i) => ({ ...i, path: `query.f.${i.path}` })));
      request = withAnalysisKey(options.request, payload.data);
      overrides = options.overrides;
    }
    const parsed = parseContract(analyzeRequestSchema, request);
    if (!parsed.success) return refuse(issuesFromZod(parsed.error).map((i) => ({ ...i, path: `query.${read.kind}.${i.path}` })));
    const refused = promqlPolicyIssues(parsed.data, deps.requestPromql ?? 'any');
    if (refused.length) return refuse(refused.map((i) => ({ ...i, path: `query.${read.kind}.${i.path}` })));
    if (!prometheusBacked(parsed.data) || parsed.data.start === undefined || parsed.data.end === undefined) {
      return refuse([{ path: `query.${read.kind}`, message: 'a report recomputes a Prometheus-backed analysis over an absolute window: it needs "start" and "end" and no inline metric' }]);
    }
    try {
      const { outcome, inputs } = await runAnalysisWithInputs(parsed.data, deps, overrides);
      const rollout = parsed.data.rollout;
      const link = links.publicUrl ? `${links.publicUrl.replace(/\/+$/, '')}${req.originalUrl}` : undefined;
      await sendHtmlReport(res, { result: outcome, inputs, link, subject: rollout && `${rollout.namespace}/${rollout.name}` }, runner);
    } catch (error) {
      if (!answerAnalysisError(error, req, res, metrics)) throw error;
    }
  });
  return router;
}

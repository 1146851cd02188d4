/**
 * `POST /v1/analyze`: the contract for people with curl and for Argo Rollouts' `web` metric
 * provider. A valid request always gets HTTP 200 with the verdict in JSON (Argo reads every
 * non-2xx as a measurement error, and a 2xx without JSON as a success), or a text table when
 * asked, or the HTML report with plots (`?format=html`). An invalid one gets 400 listing every problem; a source that cannot answer
 * (Prometheus down, slow past the deadline, malformed) gets 503, never a verdict.
 */
import { Router, type Request, type Response } from 'express';
import type { SelfMetrics } from '../service/self-metrics';
import { SourceUnavailableError } from '../sources/metric-source';
import { PromQLInputError } from '../sources/prometheus/promql';
import { analyzeRequestSchema, type AnalyzeRequest } from './analyze-request';
import { reportLink, type ReportLinkConfig } from '../report/report-link';
import { describe } from './lenient-numbers';
import { promqlPolicyIssues } from './promql-policy';
import { BODY_PATH, invalidRequest, issuesFromZod, parseContract, type Issue, type Problem, type SampleFaultReport } from './problems';
import { describeFault, SampleFaultError, type SampleFault } from '../sources/validate/faults';
import type { ReportInput } from '../report/html-report';
import { inProcessAnalysis, JudgeMemoryError, JudgeTimeoutError, type AnalysisRunner } from '../service/analysis-pool';
import type { BodyAnswer } from '../service/analysis-tasks';
import { RequestError, runAnalysisWithInputs, type AnalysisDeps } from './run-analysis';
import { textReport } from './text-report';
import { measurementSummary } from './measurement-summary';

export function analyzeRouter(metrics: SelfMetrics, deps: AnalysisDeps, links: ReportLinkConfig = {}, runner: AnalysisRunner = inProcessAnalysis): Router {
  const router = Router();
  router.post('/v1/analyze', async (req, res) => {
    const format = chooseFormat(req);
    // A large body arrives as bytes (app.ts) and is parsed, and judged when its data is inline,
    // in a worker: a 30 MB JSON.parse alone would hold the event loop for a second.
    let answer: BodyAnswer;
    try {
      answer = Buffer.isBuffer(req.body) ? await runner.body({ body: req.body, html: 'answer' in format && format.answer === 'html' }) : parsedHere(req.body);
    } catch (error) {
      if (!answerAnalysisError(error, req, res, metrics)) throw error;
      return;
    }
    if (answer.kind === 'malformed' || answer.kind === 'invalid' || 'issue' in format) {
      metrics.invalidRequests.inc();
      const issues = answer.kind === 'malformed' ? [{ path: BODY_PATH, message: answer.message }] : answer.kind === 'invalid' ? answer.issues : [];
      res.status(400).json(invalidRequest([...('issue' in format ? [format.issue] : []), ...issues]));
      return;
    }
    if ('notAcceptable' in format) {
      metrics.invalidRequests.inc();
      const problem: Problem = { error: 'not_acceptable', message: format.notAcceptable };
      res.status(406).json(problem);
      return;
    }
    const request = answer.request;
    const refused = promqlPolicyIssues(request, deps.requestPromql ?? 'any');
    if (refused.length) {
      metrics.invalidRequests.inc();
      res.status(400).json(invalidRequest(refused));
      return;
    }
    const stopTimer = metrics.analysisDuration.startTimer();
    try {
      const { outcome: result, inputs } = answer.kind === 'judged' ? { outcome: answer.outcome, inputs: undefined } : await runAnalysisWithInputs(request, deps);
      metrics.analyses.inc({ verdict: result.verdict });
      const rollout = request.rollout;
      if (rollout) metrics.verdicts.record({ namespace: rollout.namespace, rollout: rollout.name }, result, !prometheusBacked(request));
      const raw = answer.kind === 'parsed' && answer.raw !== undefined ? answer.raw : req.body;
      const report = prometheusBacked(request) && result.window ? reportLink(links, 'a', raw as Record<string, unknown>, result.window) : undefined;
      req.log.info({ verdict: result.verdict, score: result.score, metrics: result.metrics.map((m) => `${m.name}=${m.verdict}`), ...(rollout ? { rollout } : {}), ...(report ? { report } : {}) }, 'analysis');
      if (format.answer === 'text') res.type('text/plain').send(`${textReport(result)}${report ? `report: ${report}\n` : ''}`);
      else if (format.answer === 'html') {
        const html = answer.kind === 'judged' && answer.html !== undefined ? answer.html : await runner.render({ result, inputs: inputs && [...inputs], link: report, subject: rollout && `${rollout.namespace}/${rollout.name}` });
        res.set('Content-Security-Policy', REPORT_CSP).type('text/html').send(html);
      } else res.json({ ...result, ...(report ? { report } : {}), summary: measurementSummary(result, report) });
    } catch (error) {
      if (!answerAnalysisError(error, req, res, metrics)) throw error;
    } finally {
      stopTimer();
    }
  });
  return router;
}

/** A body express.json already parsed (small ones): the contract, here. */
function parsedHere(body: unknown): BodyAnswer {
  const parsed = parseContract(analyzeRequestSchema, body);
  return parsed.success ? { kind: 'parsed', request: parsed.data } : { kind: 'invalid', issues: issuesFromZod(parsed.error) };
}

/** Every metric comes from Prometheus (a profile or templates), so the analysis can be recomputed from it. */
export function prometheusBacked(request: AnalyzeRequest): boolean {
  return request.metrics.every((m) => m.from === 'template');
}

/** Maps the two expected failures of an analysis to their answers; false for anything else. */
export function answerAnalysisError(error: unknown, req: Request, res: Response, metrics: SelfMetrics): boolean {
  if (error instanceof RequestError || error instanceof PromQLInputError || (error instanceof SourceUnavailableError && (error.reason === 'query' || error.reason === 'too-large'))) {
    metrics.invalidRequests.inc();
    const issues = error instanceof RequestError ? error.issues : [{ path: 'metrics', message: error.message }];
    res.status(400).json(invalidRequest(issues));
    return true;
  }
  if (error instanceof JudgeTimeoutError) {
    metrics.analyses.inc({ verdict: 'error' });
    req.log.warn({ deadlineMs: error.deadlineMs }, 'analysis stopped at its deadline');
    const problem: Problem = { error: 'analysis_timeout', message: error.message };
    res.status(503).json(problem);
    return true;
  }
  if (error instanceof JudgeMemoryError) {
    metrics.invalidRequests.inc();
    const problem: Problem = { error: 'payload_too_large', message: error.message };
    res.status(413).json(problem);
    return true;
  }
  if (error instanceof SourceUnavailableError) {
    metrics.analyses.inc({ verdict: 'error' });
    req.log.warn({ reason: error.reason, err: error.message }, 'metric source unavailable');
    const faults = error instanceof SampleFaultError ? { faults: error.faults.map(faultReport) } : {};
    const problem: Problem = { error: 'source_unavailable', message: error.message, ...faults };
    res.status(503).json(problem);
    return true;
  }
  return false;
}

function faultReport(fault: SampleFault): SampleFaultReport {
  const { code, metric, side, role, query, series, at } = fault;
  return { code, metric, side, role, query, series, ...(at !== undefined ? { at: new Date(at * 1000).toISOString() } : {}), message: describeFault(fault) };
}

export const FORMATS = ['json', 'text', 'html'] as const;
const MEDIA_TYPES = { json: 'application/json', text: 'text/plain', html: 'text/html' } as const;

/**
 * The HTML report fetches nothing: no script, font, image or stylesheet. Its policy says so,
 * stricter than helmet's default for the JSON answers.
 */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The HTML report, rendered by the runner (a worker thread when there is a pool). */
export async function sendHtmlReport(res: Response, report: ReportInput, runner: AnalysisRunner = inProcessAnalysis): Promise<void> {
  const html = await runner.render({ ...report, inputs: report.inputs && [...report.inputs] });
  res.set('Content-Security-Policy', REPORT_CSP).type('text/html').send(html);
}

/**
 * `?format=json|text|html` wins over `Accept`. An unknown format is a 400 (`?format=txt` used to
 * answer JSON without a word); an Accept header that admits none of JSON, text or HTML is a 406.
 * No Accept header (Argo Rollouts, Flagger) or `*\/*` means JSON.
 */
function chooseFormat(req: Request): { answer: (typeof FORMATS)[number] } | { issue: Issue } | { notAcceptable: string } {
  const asked = req.query.format;
  if (asked !== undefined) {
    if (typeof asked === 'string' && (FORMATS as readonly string[]).includes(asked)) return { answer: asked as (typeof FORMATS)[number] };
    const given = Array.isArray(asked) ? `${asked.length} values` : describe(asked);
    return { issue: { path: 'query.format', message: `got ${given}; expected one of ${FORMATS.map((f) => `"${f}"`).join(', ')} (one value)` } };
  }
  const accepted = req.accepts([MEDIA_TYPES.json, MEDIA_TYPES.text, MEDIA_TYPES.html]);
  if (accepted === false) {
    const header = String(req.headers.accept).slice(0, 100);
    return { notAcceptable: `cannot answer "Accept: ${header}": /v1/analyze answers ${MEDIA_TYPES.json}, ${MEDIA_TYPES.text} or ${MEDIA_TYPES.html} (or ask with ?format=json, ?format=text or ?format=html)` };
  }
  return { answer: accepted === MEDIA_TYPES.text ? 'text' : accepted === MEDIA_TYPES.html ? 'html' : 'json' };
}

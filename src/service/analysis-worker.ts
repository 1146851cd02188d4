/**
 * The entry point of a judge worker thread (piscina loads it, see analysis-pool.ts): one task
 * at a time, each to its answer.
 */
import { runTask, type AnalysisTask } from './analysis-tasks';

export default function analysisWorker(task: AnalysisTask): ReturnType<typeof runTask> {
  return runTask(task);
}

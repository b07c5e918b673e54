// Prometheus' text format read as Prometheus reads it: by the Prometheus project's own parser (prom2json, its
// expfmt; .ci/install builds it with `go install`), never by a regular expression.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { goTool } from './go-tools.ts';

/** prom2json's JSON: one family per metric, each sample with its labels and a value, or a histogram's count and sum. */
export interface Sample { labels?: Record<string, string>; value?: string; count?: string; sum?: string }
export interface MetricFamily { name: string; type: string; metrics: Sample[] }

export async function parseExposition(text: string): Promise<MetricFamily[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'metrics-'));
  try {
    const file = path.join(dir, 'metrics.txt');
    await writeFile(file, text);
    const { stdout } = await promisify(execFile)(goTool('prom2json', 'github.com/prometheus/prom2json/cmd/prom2json@v1.4.2'), [file], { maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout) as MetricFamily[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const metricFamily = (families: MetricFamily[], name: string) => families.find((f) => f.name === name);
const matches = (sample: Sample, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => sample.labels?.[k] === v);

/** The sum of a counter's or gauge's samples with these labels. */
export function metricValue(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  return (metricFamily(families, name)?.metrics ?? []).filter((s) => matches(s, labels)).reduce((sum, s) => sum + Number(s.value), 0);
}

/** The number of observations of a histogram's samples with these labels. */
export function histogramCount(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  return (metricFamily(families, name)?.metrics ?? []).filter((s) => matches(s, labels)).reduce((sum, s) => sum + Number(s.count), 0);
}

// A Prometheus histogram that the request path feeds with plain additions. prom-client's Histogram builds a label
// object, validates it and hashes it into a string key on every observation (a labelled child does the same), and
// looks its bucket up by the bound turned into a string: about 4k instructions per request. Here a series is found
// once per label combination (the caller keeps it), an observation adds to an array slot, and the exposition
// (cumulative buckets, +Inf, _sum, _count) is built at scrape time, in the shape prom-client's registry prints.
import type { LabelValues, Metric, Registry } from 'prom-client';

/** One label combination: counts per bucket (the last slot is above every bound), their sum and total. */
export interface HistogramSeries<L extends string> {
  readonly labels: LabelValues<L>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  labels: LabelValues<string>;
  value: number;
  metricName: string;
}

export class TalliedHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly #bounds: readonly number[];
  readonly #series: HistogramSeries<L>[] = [];

  constructor(options: { name: string; help: string; buckets: readonly number[]; registers: Registry[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = options.buckets;
    // The registry prints any object with this shape; its type names only prom-client's own classes.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** A new series for these labels: the caller keeps it, so each combination is made once. */
  series(labels: LabelValues<L>): HistogramSeries<L> {
    const series = { labels, counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
    this.#series.push(series);
    return series;
  }

  observe(series: HistogramSeries<L>, value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.counts[i]!++;
    series.sum += value;
    series.count++;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
    const values: ExportedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: bucket });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const s of this.#series) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

/** The footprint table: each figure, its reference from the same run, the ratio, the target. */
export interface Row {
  what: string;
  value: number;
  unit: string;
  /** '' when the figure has no reference process (printed as an absolute only). */
  reference: string;
  referenceValue: number | undefined;
  target?: string;
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function number(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1);
}

/** A Markdown table, so the README can quote it as printed. */
export function formatTable(rows: Row[]): string {
  const lines = [
    '| figure | value | reference (same run) | ratio | target |',
    '|---|---:|---|---:|---|',
    ...rows.map((row) => {
      const reference =
        row.referenceValue === undefined ? '' : `${row.reference} ${number(row.referenceValue)} ${row.unit}`;
      const ratio =
        row.referenceValue === undefined || row.referenceValue === 0
          ? ''
          : `${(row.value / row.referenceValue).toFixed(2)}x`;
      return `| ${row.what} | ${number(row.value)} ${row.unit} | ${reference} | ${ratio} | ${row.target ?? ''} |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

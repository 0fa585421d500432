// Median and range of repeated measurements, as every figure in RESULTS.md is given.

export interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function summary(xs: number[]): Summary {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs };
}

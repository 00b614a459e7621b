/** Human-readable figures for workflow summaries and details. Pure: workflow code uses them. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  const shown = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  // Step up while the value would print as 1024 or more (1048575 B is "1.0 MiB", not "1024 KiB").
  while (Number(shown(v)) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${shown(v)} ${units[i]}`;
}

export function formatCount(n: number): string {
  if (n >= 999_500) return `${(n / 1_000_000).toFixed(n >= 9_950_000 ? 0 : 1)} M`;
  if (n >= 10_000) return `${(n / 1000).toFixed(0)} k`;
  return String(n);
}

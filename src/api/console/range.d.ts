import type { Problem } from '../../integrations/validation.js';

export function rangeProblems(from: string, to: string, today: string, maxDays: number): Problem[];

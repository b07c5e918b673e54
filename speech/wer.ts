// Word error rate, and the normaliser it is measured with (npm run bench:speech, the speech tests).
//
// The normaliser, applied to the reference and to what was recognized alike:
//  - numbers are written out: "12%" → "twelve percent", "1,250" → "one thousand two hundred fifty",
//    "2.5" → "two point five", "3rd" → "third", "$40" → "forty dollars", "9:30" → "nine thirty";
//  - "&" → "and"; hyphens and slashes separate words;
//  - case is folded; punctuation and apostrophes are dropped ("Let's" → "lets"); whitespace is collapsed.
// WER = (substitutions + deletions + insertions) ÷ reference words, by word-level edit distance.

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const SCALES: Array<[number, string]> = [[1e12, 'trillion'], [1e9, 'billion'], [1e6, 'million'], [1000, 'thousand'], [100, 'hundred']];
const ORDINALS: Record<string, string> = { one: 'first', two: 'second', three: 'third', five: 'fifth', eight: 'eighth', nine: 'ninth', twelve: 'twelfth' };

/** 0 ≤ n < 10^15, whole: "one thousand two hundred fifty". */
export function numberToWords(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a whole number ≥ 0: ${n}`);
  if (n < 20) return ONES[n]!;
  if (n < 100) return [TENS[Math.floor(n / 10)]!, n % 10 ? ONES[n % 10]! : ''].filter(Boolean).join(' ');
  for (const [scale, name] of SCALES) {
    if (n >= scale) {
      const rest = n % scale;
      return [numberToWords(Math.floor(n / scale)), name, rest ? numberToWords(rest) : ''].filter(Boolean).join(' ');
    }
  }
  throw new RangeError(`too large: ${n}`);
}

function ordinal(words: string): string {
  const parts = words.split(' ');
  const last = parts.pop()!;
  const irregular = ORDINALS[last];
  const made = irregular ?? (last.endsWith('y') ? `${last.slice(0, -1)}ieth` : `${last}th`);
  return [...parts, made].join(' ');
}

function spellNumber(token: string): string {
  const digits = token.replaceAll(',', '');
  const [whole = '0', fraction] = digits.split('.');
  const words = numberToWords(Number(whole));
  return fraction ? `${words} point ${[...fraction].map((d) => ONES[Number(d)]).join(' ')}` : words;
}

export function normalizeForWer(text: string): string[] {
  let t = text.toLowerCase();
  t = t.replace(/[\u2018\u2019\u02bc]/g, "'").replace(/&/g, ' and ');
  t = t.replace(/\$\s?(\d[\d,]*(?:\.\d+)?)/g, (_m, n: string) => ` ${spellNumber(n)} dollars `);
  t = t.replace(/(\d[\d,]*(?:\.\d+)?)\s?%/g, (_m, n: string) => ` ${spellNumber(n)} percent `);
  t = t.replace(/\b(\d{1,2}):(\d{2})\b/g, (_m, h: string, m: string) => ` ${numberToWords(Number(h))} ${m === '00' ? '' : Number(m) < 10 ? `oh ${numberToWords(Number(m))}` : numberToWords(Number(m))} `);
  t = t.replace(/\b(\d+)(st|nd|rd|th)\b/g, (_m, n: string) => ` ${ordinal(numberToWords(Number(n)))} `);
  t = t.replace(/\d[\d,]*(?:\.\d+)?/g, (n) => ` ${spellNumber(n.replace(/[.,]$/, ''))} `);
  t = t.replace(/[-–—/]/g, ' ').replace(/'/g, '').replace(/[^\p{L}\p{N}\s]/gu, ' ');
  return t.split(/\s+/).filter(Boolean);
}

export interface WerCount {
  substitutions: number;
  deletions: number;
  insertions: number;
  referenceWords: number;
}

/** Edit counts between normalised word lists (Levenshtein on words, with the operations kept apart). */
export function werCount(reference: string, hypothesis: string): WerCount {
  const ref = normalizeForWer(reference);
  const hyp = normalizeForWer(hypothesis);
  // cost[i][j]: [edits, subs, dels, ins] aligning ref[0..i) with hyp[0..j).
  type Cell = [number, number, number, number];
  let previous: Cell[] = Array.from({ length: hyp.length + 1 }, (_, j) => [j, 0, 0, j]);
  for (let i = 1; i <= ref.length; i++) {
    const row: Cell[] = [[i, 0, i, 0]];
    for (let j = 1; j <= hyp.length; j++) {
      const same = ref[i - 1] === hyp[j - 1];
      const diagonal = previous[j - 1]!;
      const up = previous[j]!;
      const left = row[j - 1]!;
      const options: Cell[] = [
        [diagonal[0] + (same ? 0 : 1), diagonal[1] + (same ? 0 : 1), diagonal[2], diagonal[3]],
        [up[0] + 1, up[1], up[2] + 1, up[3]],
        [left[0] + 1, left[1], left[2], left[3] + 1],
      ];
      row.push(options.reduce((best, o) => (o[0] < best[0] ? o : best)));
    }
    previous = row;
  }
  const [, substitutions, deletions, insertions] = previous[hyp.length]!;
  return { substitutions, deletions, insertions, referenceWords: ref.length };
}

/** WER of one pair; for a set, sum the counts first (see werOf). */
export function wordErrorRate(reference: string, hypothesis: string): number {
  return werOf([werCount(reference, hypothesis)]);
}

export function werOf(counts: WerCount[]): number {
  const words = counts.reduce((n, c) => n + c.referenceWords, 0);
  const errors = counts.reduce((n, c) => n + c.substitutions + c.deletions + c.insertions, 0);
  return words === 0 ? (errors === 0 ? 0 : 1) : errors / words;
}

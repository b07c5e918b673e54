// `npm run bench:search`: search (GET /v1/search) over many long transcripts on real PostgreSQL. It starts its
// own servers (a Temporal dev server, which the product's start needs, and a PostgreSQL cluster, on 127.0.0.1
// only) and the API in this process, then loads N transcripts of M minutes of generated speech each: rooms of
// 20 users (5 rooms each), one meeting and one recording per transcript, ~150 words a minute in speaker turns
// of 8–60 words (four speakers a meeting), half of them English function words and half drawn by Zipf's law
// from 20,000 made-up content words (so a word's frequency, hence its number of hits, spans five orders of
// magnitude, as in speech), a title, a summary and three topics. Each transcript is indexed by the product's own
// writer (transcripts/search-index.ts, as when a transcript ends). Then it asks the API, as a signed-in user who
// sees 1/20 of the transcripts and as the admin who sees them all, queries of each kind: a rare, a middling and a
// common word, two words, a quoted phrase, a speaker's name, a word within one room; and reports the answer's
// latency (client side, over HTTP: access rules, SQL, snippets) by caller and kind, with the index's size.
// Usage: npm run bench:search [-- --transcripts 10000 --minutes 60 --queries 40 --no-doc]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { appendBenchmarkSection, machineDescription } from './benchmarks-doc.ts';
import { percentile } from './bench-processes.ts';
import type { RunningServer } from '../test/support/servers.ts';
import type { TestProduct, TestUser } from '../test/support/product.ts';

const USERS = 20;
const ROOMS_PER_USER = 5;
const WORDS_PER_MINUTE = 150;
const CONTENT_WORDS = 20_000;
const ZIPF_EXPONENT = 1.05;
const SPEAKERS = ['Ada Lovelace', 'Grace Hopper', 'Linus Pauling', 'Barbara Liskov', 'Edsger Dijkstra', 'Frances Allen', 'Donald Knuth', 'Radia Perlman'];
const FUNCTION_WORDS = ('the a an and or but so of to in on at for with from by about as into over after before than then that this these those it its '
  + 'we you they he she i me us them our your their is are was were be been being have has had do does did will would can could should '
  + 'not no yes just also very really well okay right now here there what which who when where why how all some any more most').split(' ');
/** Loads in flight at once: PostgreSQL's to_tsvector work on the two cores. */
const LOAD_CONCURRENCY = 2;
const WARMUP_QUERIES = 10;
const HARD_TIMEOUT_MS = 90 * 60_000;

interface Options { transcripts: number; minutes: number; queries: number; doc: boolean }

function readOptions(): Options {
  const { values } = parseArgs({
    options: { transcripts: { type: 'string' }, minutes: { type: 'string' }, queries: { type: 'string' }, 'no-doc': { type: 'boolean' } },
  });
  const number = (name: string, value: string | undefined, fallback: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number (got ${value})`);
    return n;
  };
  return {
    transcripts: number('transcripts', values.transcripts, 10_000),
    minutes: number('minutes', values.minutes, 60),
    queries: number('queries', values.queries, 40),
    doc: !values['no-doc'],
  };
}

/** A small, seeded generator (mulberry32): the same corpus on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 20,000 pronounceable made-up words, distinct, none an English function word; index = frequency rank. */
function contentWords(): string[] {
  const rand = random(7);
  const onsets = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'dr', 'gr', 'pl', 'st', 'tr'];
  const vowels = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou'];
  const codas = ['', 'n', 'r', 'l', 'm', 'k', 'st', 'nd'];
  const words = new Set<string>();
  const pick = (list: string[]) => list[Math.floor(rand() * list.length)]!;
  while (words.size < CONTENT_WORDS) {
    const syllables = 2 + Math.floor(rand() * 2);
    let word = '';
    for (let i = 0; i < syllables; i++) word += pick(onsets) + pick(vowels) + (i === syllables - 1 ? pick(codas) : '');
    if (!FUNCTION_WORDS.includes(word)) words.add(word);
  }
  return [...words];
}

/** Draws ranks 0…n-1 by Zipf's law (inverse of the cumulative weights, by binary search). */
function zipfSampler(n: number, rand: () => number): () => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cumulative[i] = sum += 1 / (i + 1) ** ZIPF_EXPONENT;
  return () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

interface Corpus { words: string[]; sentence(count: number): string }

function corpus(seed: number): Corpus {
  const words = contentWords();
  const rand = random(seed);
  const rank = zipfSampler(words.length, rand);
  return {
    words,
    sentence(count) {
      const out: string[] = [];
      for (let i = 0; i < count; i++) out.push(rand() < 0.5 ? FUNCTION_WORDS[Math.floor(rand() * FUNCTION_WORDS.length)]! : words[rank()]!);
      out[0] = out[0]![0]!.toUpperCase() + out[0]!.slice(1);
      return `${out.join(' ')}.`;
    },
  };
}

interface Loaded { users: TestUser[]; roomNames: string[]; passages: number; words: number; loadSeconds: number }

async function load(product: TestProduct, options: Options): Promise<Loaded> {
  const { Meeting, Recording, Room, Transcript } = await import('../db/entities.ts');
  const { transcriptPassages, writeSearchIndex } = await import('../transcripts/search-index.ts');
  const users = await Promise.all(Array.from({ length: USERS }, (_, i) => product.createUser({ email: `member${i}@bench.example` })));
  const em = product.services.db.em.fork();
  const rooms = users.flatMap((user, u) => Array.from({ length: ROOMS_PER_USER }, (_, r) => em.create(Room, { name: `room-${u}-${r}`, ownerId: user.id })));
  await em.flush();
  const text = corpus(11);
  const rand = random(13);
  const base = Date.parse('2025-01-06T09:00:00Z');
  const started = performance.now();
  let passages = 0;
  let words = 0;
  let next = 0;
  const worker = async () => {
    const wem = product.services.db.em.fork();
    for (let i = next++; i < options.transcripts; i = next++) {
      const room = wem.getReference(Room, rooms[i % rooms.length]!.id);
      const recordedAt = new Date(base + i * 3_600_000);
      const meeting = wem.create(Meeting, {
        room, platform: 'daily', platformRoomName: `bench-${i}`, startDate: recordedAt, endDate: new Date(recordedAt.getTime() + options.minutes * 60_000),
        recordingType: 'cloud', recordingTrigger: 'automatic', active: false,
      });
      const recording = wem.create(Recording, {
        id: `bench${String(i).padStart(8, '0')}`, meeting, type: 'raw-tracks', bucket: 'local', objectKey: `bench/${i}`, trackKeys: [],
        recordedAt, durationSeconds: options.minutes * 60, sizeBytes: 1, status: 'completed',
      });
      const speakers = Array.from({ length: 4 }, (_, s) => SPEAKERS[(i + s * 3) % SPEAKERS.length]!);
      const segments: Array<{ speakerName: string; start: number; end: number; text: string }> = [];
      for (let at = 0, n = 0; at < options.minutes * 60; n++) {
        const count = 8 + Math.floor(rand() * 53);
        const seconds = (count / WORDS_PER_MINUTE) * 60;
        segments.push({ speakerName: speakers[n % 4]!, start: at, end: at + seconds, text: text.sentence(count) });
        words += count;
        at += seconds + 0.4;
      }
      const transcript = wem.create(Transcript, {
        recording, status: 'ended', title: text.sentence(5).slice(0, -1), shortSummary: text.sentence(40),
        topics: [0, 1, 2].map((k) => ({ title: text.sentence(4).slice(0, -1), summary: text.sentence(20), start: k * 600, end: k * 600 + 300 })),
      });
      await wem.flush();
      const indexed = transcriptPassages(transcript, segments);
      await writeSearchIndex(wem, transcript.id, 'en', indexed);
      passages += indexed.length;
      wem.clear();
      if ((i + 1) % 250 === 0) console.log(`loaded ${i + 1} of ${options.transcripts} transcripts (${passages.toLocaleString('en')} passages, ${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  };
  await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
  await em.getConnection().execute('vacuum analyze transcript_passage');
  await em.getConnection().execute('analyze transcript');
  await em.getConnection().execute('analyze recording');
  return { users, roomNames: rooms.map((r) => r.name), passages, words, loadSeconds: (performance.now() - started) / 1000 };
}

type Kind = 'rare word' | 'middling word' | 'common word' | 'two words' | 'phrase' | 'speaker' | 'word in a room';
const KINDS: Kind[] = ['rare word', 'middling word', 'common word', 'two words', 'phrase', 'speaker', 'word in a room'];

function queryOf(kind: Kind, words: string[], rand: () => number, roomName: () => string): Record<string, string> {
  const ranked = (from: number, to: number) => words[from + Math.floor(rand() * (to - from))]!;
  switch (kind) {
    case 'rare word': return { q: ranked(5_000, 20_000) };
    case 'middling word': return { q: ranked(200, 2_000) };
    case 'common word': return { q: ranked(0, 20) };
    case 'two words': return { q: `${ranked(20, 300)} ${ranked(20, 300)}` };
    case 'phrase': return { q: `"${ranked(0, 200)} ${ranked(0, 200)}"` };
    case 'speaker': return { q: ranked(20, 500), speaker: SPEAKERS[Math.floor(rand() * SPEAKERS.length)]! };
    case 'word in a room': return { q: ranked(20, 500), room: roomName() };
  }
}

interface Measured { caller: string; kind: Kind; ms: number[]; hits: number[] }

async function measure(product: TestProduct, loaded: Loaded, options: Options): Promise<Measured[]> {
  const { words } = corpus(11);
  const rand = random(17);
  const member = loaded.users[3]!;
  const memberRooms = loaded.roomNames.filter((name) => name.startsWith('room-3-'));
  const callers = [
    { caller: `a member (sees ${Math.round(options.transcripts / USERS).toLocaleString('en')} transcripts)`, headers: member.headers, rooms: memberRooms },
    { caller: `the admin (sees all ${options.transcripts.toLocaleString('en')})`, headers: product.adminHeaders, rooms: loaded.roomNames },
  ];
  const ask = async (headers: Record<string, string>, params: Record<string, string>) => {
    const started = performance.now();
    const answer = await product.request('GET', `/v1/search?${new URLSearchParams(params)}`, undefined, headers);
    const ms = performance.now() - started;
    if (answer.status !== 200) throw new Error(`GET /v1/search?${new URLSearchParams(params)} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return { ms, total: (answer.body as { total: number }).total };
  };
  for (let i = 0; i < WARMUP_QUERIES; i++) await ask(member.headers, queryOf(KINDS[i % KINDS.length]!, words, rand, () => memberRooms[0]!));
  const results: Measured[] = [];
  for (const { caller, headers, rooms } of callers) {
    for (const kind of KINDS) {
      const m: Measured = { caller, kind, ms: [], hits: [] };
      for (let i = 0; i < options.queries; i++) {
        const { ms, total } = await ask(headers, queryOf(kind, words, rand, () => rooms[Math.floor(rand() * rooms.length)]!));
        m.ms.push(ms);
        m.hits.push(total);
      }
      results.push(m);
      console.log(`${caller}, ${kind}: p95 ${percentile([...m.ms].sort((a, b) => a - b), 95).toFixed(1)} ms`);
    }
  }
  return results;
}

async function sizes(product: TestProduct): Promise<{ table: number; gin: number; total: number }> {
  const [row] = await product.services.db.em.fork().getConnection().execute<Array<{ table: string; gin: string; total: string }>>(
    `select pg_relation_size('transcript_passage') as table, pg_relation_size('transcript_passage_search_index') as gin, pg_total_relation_size('transcript_passage') as total`,
  );
  return { table: Number(row!.table), gin: Number(row!.gin), total: Number(row!.total) };
}

function report(results: Measured[], loaded: Loaded, size: { table: number; gin: number; total: number }, options: Options): { table: string; summary: string } {
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(1);
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const rows = results.map((m) => {
    const ms = sorted(m.ms);
    const hits = sorted(m.hits);
    return `| ${m.caller} | ${m.kind} | ${f(percentile(ms, 50))} | ${f(percentile(ms, 95))} | ${f(percentile(ms, 99))} | ${percentile(hits, 50).toLocaleString('en')} |`;
  });
  const all = sorted(results.flatMap((m) => m.ms));
  const p95 = percentile(all, 95);
  const worst = results.map((m) => ({ m, p95: percentile(sorted(m.ms), 95) })).sort((a, b) => b.p95 - a.p95)[0]!;
  const table = ['| Caller | Query | p50 ms | p95 ms | p99 ms | hits (median) |', '|---|---|---|---|---|---|', ...rows].join('\n');
  const summary = [
    `- **Search p95 ≤ 100 ms over ${options.transcripts.toLocaleString('en')} transcripts of ${options.minutes} min: ${p95 <= 100 ? 'met' : '**missed**'}**: p95 ${f(p95)} ms over all ${all.length} measured queries (p50 ${f(percentile(all, 50))}, p99 ${f(percentile(all, 99))}); the slowest kind is ${worst.m.kind} for ${worst.m.caller}, p95 ${f(worst.p95)} ms.`,
    `- Corpus: ${loaded.words.toLocaleString('en')} words in ${loaded.passages.toLocaleString('en')} passages; loaded and indexed by the product's writer in ${loaded.loadSeconds.toFixed(0)} s (${(options.transcripts / loaded.loadSeconds).toFixed(1)} transcripts/s, ${LOAD_CONCURRENCY} at a time).`,
    `- Index size: transcript_passage ${mib(size.table)} (text and vectors), its GIN index ${mib(size.gin)}, ${mib(size.total)} with every index and TOAST (${(size.total / options.transcripts / 1024).toFixed(0)} KiB per transcript).`,
  ].join('\n');
  return { table, summary };
}

async function main(): Promise<void> {
  const options = readOptions();
  const command = `npm run bench:search${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const started = performance.now();
  const { startTemporalDevServer, startPostgres } = await import('../test/support/servers.ts');
  const servers: RunningServer[] = [];
  process.once('exit', () => servers.forEach((server) => server.stopNow?.()));
  process.once('SIGINT', () => process.exit(130));
  setTimeout(() => {
    console.error(`bench-search: still running after ${HARD_TIMEOUT_MS / 60_000} minutes; stopping`);
    process.exit(1);
  }, HARD_TIMEOUT_MS).unref();
  let product: TestProduct | undefined;
  try {
    const [temporal, postgres] = await Promise.all([startTemporalDevServer(), startPostgres()]);
    servers.push(temporal, postgres);
    process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
    process.env.TEST_DATABASE_URL = postgres.url;
    const { startTestProduct } = await import('../test/support/product.ts');
    product = await startTestProduct({ name: 'benchsearch', database: 'postgresql', worker: false });
    console.log(`servers up; loading ${options.transcripts} transcripts of ${options.minutes} min`);
    const loadAtStart = os.loadavg();
    const loaded = await load(product, options);
    const results = await measure(product, loaded, options);
    const size = await sizes(product);
    const { table, summary } = report(results, loaded, size, options);
    const total = (performance.now() - started) / 1000;
    const loadAvg = `load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at the start, ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`;
    console.log(`\n${table}\n\n${summary}\n\nbench took ${total.toFixed(0)} s (${loadAvg})`);
    if (options.doc) {
      await appendBenchmarkSection('Search', [
        `- Command: \`${command}\` (${total.toFixed(0)} s; ${loadAvg})`,
        `- Machine: ${machineDescription([['postgres', ['--version']]])}.`,
        `- Setup: on this machine, 127.0.0.1 only: a PostgreSQL cluster (fsync off) and the API in the bench's process; ${USERS} users with ${ROOMS_PER_USER} rooms`,
        `  each, one meeting and recording per transcript; generated speech (${WORDS_PER_MINUTE} words/min, turns of 8–60 words, half function words, half`,
        `  Zipf-distributed over ${CONTENT_WORDS.toLocaleString('en')} made-up words), indexed by transcripts/search-index.ts. ${options.queries} queries per caller and kind,`,
        '  one at a time, timed at the client over HTTP (access rules, SQL, snippets); "hits" is the answer\'s total.',
        '',
        table,
        '',
        summary,
        '',
      ]);
    }
  } finally {
    await product?.stop();
    await Promise.allSettled(servers.map((server) => server.stop()));
    servers.length = 0;
  }
}

await main();

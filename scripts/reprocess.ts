// `npm run reprocess -- <recording id> [language] [engine]`: reruns a recording's pipeline (same as POST
// /v1/recordings/:id/reprocess), in that language and with that speech engine when given (an engine's label, as
// GET /v1/speech lists them); the transcript it replaces is kept as a version.
import { loadConfig } from '../runtime/config.ts';
import { openServices } from '../runtime/services.ts';
import { reprocessRecording } from '../api/transcripts.ts';
import { WHISPER_LANGUAGES } from '../speech/recognizer.ts';

const [recordingId, language, speechEngine] = process.argv.slice(2);
if (!recordingId || (language && !(WHISPER_LANGUAGES as readonly string[]).includes(language))) {
  console.error(`usage: npm run reprocess -- <recording id> [language: ${WHISPER_LANGUAGES.join(', ')}] [speech engine]`);
  process.exit(2);
}
const services = await openServices(await loadConfig());
try {
  const { workflowId } = await reprocessRecording(services, recordingId, { ...(language && { language }), ...(speechEngine && { speechEngine }) });
  console.log(`reprocessing ${recordingId}: workflow ${workflowId}`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  await services.close();
}

// `npm run reprocess -- <recording id>`: reruns a recording's pipeline (same as POST /v1/recordings/:id/reprocess).
import { loadConfig } from '../runtime/config.ts';
import { openServices } from '../runtime/services.ts';
import { reprocessRecording } from '../api/transcripts.ts';

const recordingId = process.argv[2];
if (!recordingId) {
  console.error('usage: npm run reprocess -- <recording id>');
  process.exit(2);
}
const services = await openServices(await loadConfig());
try {
  const { workflowId } = await reprocessRecording(services, recordingId);
  console.log(`reprocessing ${recordingId}: workflow ${workflowId}`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  await services.close();
}

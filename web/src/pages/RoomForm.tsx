// Create or edit a room. A new room starts from the API's defaults (GET /v1/room-defaults, the ones the API and
// the database apply), and offers only the platforms and room modes this server can honour. Its platform is the
// one the server's rollout rule gives a room of the name being typed, until the owner chooses one: then the
// choice is sent, else nothing (the API applies the same rule). The API validates; its messages are shown next
// to the fields they name.
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client.ts';
import { PLATFORM_LABELS, RECORDING_TRIGGERS, RECORDING_TYPES, type Platform, type Room, type RoomDefaults, type RoomInput } from '../api/types.ts';
import { rolloutPlatform } from '../../../shared/platform-rollout.ts';
import { Link, navigate } from '../router.tsx';
import { CheckField, ErrorNote, Loading, PageHeading, SelectField, TextAreaField, TextField } from '../components/ui.tsx';
import { NotFoundPage } from './NotFound.tsx';

export const TYPE_LABELS: Record<Room['recordingType'], string> = {
  none: 'none',
  local: 'local (in the browser)',
  // A cloud room records both kinds at once: the composed video for playback, and each speaker's audio for the transcript.
  cloud: 'cloud: video and each speaker’s audio',
};
export const TRIGGER_LABELS: Record<Room['recordingTrigger'], string> = {
  none: 'Only when the host starts it',
  prompt: 'The host is asked on joining',
  automatic: 'Automatically when someone joins',
  'automatic-2nd-participant': 'Automatically when a second person joins',
};

interface FormState {
  name: string;
  platform: Room['platform'];
  recordingType: Room['recordingType'];
  recordingTrigger: Room['recordingTrigger'];
  roomMode: Room['roomMode'];
  locked: boolean;
  shared: boolean;
  skipConsent: boolean;
  allowAnonymous: boolean;
  webhookUrl: string;
  webhookSecret: string;
  retentionDays: string;
  /** One term per line. */
  vocabulary: string;
  background: string;
  emailParticipants: boolean;
  zulipStream: string;
  zulipTopic: string;
}

/** The labels of the fields, also used to name them in the error note. */
const FIELD_LABELS: Record<keyof FormState, string> = {
  name: 'Name', platform: 'Platform', recordingType: 'Recording', recordingTrigger: 'Recording starts', roomMode: 'Room mode',
  locked: 'Locked (people knock; you let them in)', shared: 'Shared (listed for everyone here)', skipConsent: 'Skip the consent question',
  allowAnonymous: 'Allow guests without an account', webhookUrl: 'Webhook URL', webhookSecret: 'Webhook secret', retentionDays: 'Keep recordings for (days)',
  vocabulary: 'Vocabulary (one term per line)', background: 'Background for summaries',
  emailParticipants: 'Mail the notes to the participants', zulipStream: 'Zulip stream', zulipTopic: 'Zulip topic',
};
const MODE_LABELS: Record<Room['roomMode'], string> = { normal: 'Normal (up to a few people)', group: 'Group (larger meetings)' };

/** The labels of the fields named in an error, in the form's order (unknown ones last, as named). */
function fieldsToCorrect(fields: string[]): string[] {
  // A term of the vocabulary is named by its place ("vocabulary.3"): the field is the vocabulary.
  const named = fields.map((f) => f.replace(/^vocabulary\.\d+$/, 'vocabulary'));
  const known = (Object.keys(FIELD_LABELS) as Array<keyof FormState>).filter((f) => named.includes(f)).map((f) => FIELD_LABELS[f]);
  return [...known, ...new Set(named.filter((f) => !(f in FIELD_LABELS)))];
}

function fromDefaults({ defaults }: RoomDefaults): FormState {
  return {
    ...defaults, name: '', webhookUrl: '', webhookSecret: '', retentionDays: '', vocabulary: defaults.vocabulary.join('\n'), background: defaults.background ?? '',
    zulipStream: defaults.zulipStream ?? '', zulipTopic: defaults.zulipTopic ?? '',
  };
}

/** On another platform: the room mode stays if that platform takes it, else it is that platform's first. */
function onPlatform(form: FormState, platform: Platform, { platforms }: RoomDefaults): FormState {
  const modes = platforms.find((p) => p.name === platform)?.roomModes ?? [];
  return { ...form, platform, roomMode: modes.includes(form.roomMode) || !modes[0] ? form.roomMode : modes[0] };
}

function fromRoom(room: Room): FormState {
  return {
    name: room.name, platform: room.platform, webhookSecret: '', recordingType: room.recordingType, recordingTrigger: room.recordingTrigger,
    roomMode: room.roomMode, locked: room.locked, shared: room.shared, skipConsent: room.skipConsent, allowAnonymous: room.allowAnonymous ?? false,
    webhookUrl: room.webhookUrl ?? '', retentionDays: room.retentionDays === null ? '' : String(room.retentionDays),
    vocabulary: room.vocabulary.join('\n'), background: room.background ?? '',
    emailParticipants: room.emailParticipants ?? false, zulipStream: room.zulipStream ?? '', zulipTopic: room.zulipTopic ?? '',
  };
}

export function RoomFormPage({ name }: { name?: string }) {
  const editing = name !== undefined;
  const [room, setRoom] = useState<Room | null>(null);
  const [defaults, setDefaults] = useState<RoomDefaults | null>(null);
  const [form, setForm] = useState<FormState | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  /** The owner picked the platform; until then a new room's follows the rollout rule for its name. */
  const [platformChosen, setPlatformChosen] = useState(false);

  useEffect(() => {
    Promise.all([api.roomDefaults(), name ? api.getRoom(name) : null]).then(([d, r]) => {
      setDefaults(d);
      setRoom(r);
      setForm(r ? fromRoom(r) : fromDefaults(d));
    }, setLoadError);
  }, [name]);

  if (editing && loadError instanceof ApiError && loadError.status === 404) return <NotFoundPage what={`Room "${name}"`} />;
  if (loadError) return <ErrorNote error={loadError} title={editing ? 'Could not load the room' : 'Could not load the room defaults'} />;
  if (!form || !defaults) return <Loading what={editing ? 'the room' : 'the room defaults'} />;

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm((f) => f && { ...f, [key]: value });
  const setName = (name: string) => setForm((f) => f && (platformChosen ? { ...f, name } : onPlatform({ ...f, name }, rolloutPlatform(defaults.rollout, name.trim()), defaults)));
  const choosePlatform = (platform: Platform) => {
    setPlatformChosen(true);
    setForm((f) => f && onPlatform(f, platform, defaults));
  };
  // Only what this server can honour (plus what an existing room already has, so the form shows it truthfully).
  const platforms = defaults.platforms.map((p) => p.name);
  if (!platforms.includes(form.platform)) platforms.push(form.platform);
  const roomModes = defaults.platforms.find((p) => p.name === form.platform)?.roomModes.slice() ?? [];
  if (!roomModes.includes(form.roomMode)) roomModes.push(form.roomMode);
  const fieldError = (field: string) => (error instanceof ApiError ? error.field(field) : undefined);
  // A term's problem names the term by its line.
  const termProblem = error instanceof ApiError ? error.details.find((d) => /^vocabulary(\.\d+)?$/.test(d.field)) : undefined;
  const vocabularyError = termProblem && (/\.(\d+)$/.test(termProblem.field) ? `Line ${Number(termProblem.field.split('.')[1]) + 1}: ${termProblem.message}` : termProblem.message);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const retention = form.retentionDays.trim();
    // Sent when chosen (or, for a room, changed): a stored room keeps its platform, even one no longer configured.
    const sendPlatform = editing ? form.platform !== room?.platform : platformChosen;
    const input: RoomInput = {
      ...(sendPlatform && { platform: form.platform }), recordingType: form.recordingType, recordingTrigger: form.recordingTrigger, roomMode: form.roomMode,
      locked: form.locked, shared: form.shared, skipConsent: form.skipConsent, allowAnonymous: form.allowAnonymous,
      webhookUrl: form.webhookUrl.trim() || null,
      retentionDays: retention === '' ? null : Number(retention),
      vocabulary: form.vocabulary.split('\n').map((term) => term.trim()).filter(Boolean),
      background: form.background.trim() || null,
      emailParticipants: form.emailParticipants, zulipStream: form.zulipStream.trim() || null, zulipTopic: form.zulipTopic.trim() || null,
      ...(form.webhookSecret ? { webhookSecret: form.webhookSecret } : {}),
    };
    try {
      const saved = editing ? await api.updateRoom(name, input) : await api.createRoom({ name: form.name.trim(), ...input });
      navigate(editing ? '/' : `/${saved.name}`);
    } catch (e) {
      setError(e);
      // Put the keyboard where the problem is.
      requestAnimationFrame(() => document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!name || !window.confirm(`Delete room "${name}"? Its recordings and transcripts are kept.`)) return;
    try {
      await api.deleteRoom(name);
      navigate('/');
    } catch (e) {
      setError(e);
    }
  };

  const generalError = error instanceof ApiError && error.details.length > 0 ? null : error;
  return (
    <div className="narrow">
      <PageHeading title={editing ? `Settings of ${name}` : 'New room'} />
      <form className="card form" onSubmit={submit} noValidate>
        <ErrorNote error={generalError} title="Could not save the room" />
        {error instanceof ApiError && error.details.length > 0 && (
          <div className="note note-error" role="alert">Please correct {error.details.length === 1 ? 'the field' : 'the fields'} marked below: {fieldsToCorrect(error.details.map((d) => d.field)).join(', ')}.</div>
        )}
        {!editing && (
          <TextField label={FIELD_LABELS.name} required value={form.name} onChange={(e) => setName(e.target.value)} error={fieldError('name')}
            hint="Lower-case letters, digits and hyphens; it becomes the room's address, e.g. weekly-sync." autoComplete="off" />
        )}
        <SelectField label={FIELD_LABELS.platform} value={form.platform} onChange={(e) => choosePlatform(e.target.value as Platform)} error={fieldError('platform')}
          options={platforms.map((p) => [p, PLATFORM_LABELS[p]])} hint={platformHint(platforms.length, editing, platformChosen)} />
        <SelectField label={FIELD_LABELS.recordingType} value={form.recordingType} onChange={(e) => set('recordingType', e.target.value as FormState['recordingType'])} error={fieldError('recordingType')}
          options={RECORDING_TYPES.map((t) => [t, TYPE_LABELS[t]])} />
        <SelectField label={FIELD_LABELS.recordingTrigger} value={form.recordingTrigger} onChange={(e) => set('recordingTrigger', e.target.value as FormState['recordingTrigger'])} error={fieldError('recordingTrigger')}
          options={RECORDING_TRIGGERS.map((t) => [t, TRIGGER_LABELS[t]])} disabled={form.recordingType === 'none'} />
        <SelectField label={FIELD_LABELS.roomMode} value={form.roomMode} onChange={(e) => set('roomMode', e.target.value as FormState['roomMode'])} error={fieldError('roomMode')}
          options={roomModes.map((m) => [m, MODE_LABELS[m]])} hint={roomModes.length === 1 ? `${PLATFORM_LABELS[form.platform]} has one room mode.` : undefined} />
        <fieldset>
          <legend>Access and consent</legend>
          <CheckField label={FIELD_LABELS.locked} checked={form.locked} onChange={(e) => set('locked', e.target.checked)} error={fieldError('locked')} />
          <CheckField label={FIELD_LABELS.shared} checked={form.shared} onChange={(e) => set('shared', e.target.checked)} error={fieldError('shared')} />
          <CheckField label={FIELD_LABELS.allowAnonymous} checked={form.allowAnonymous} onChange={(e) => set('allowAnonymous', e.target.checked)} error={fieldError('allowAnonymous')} />
          <CheckField label={FIELD_LABELS.skipConsent} hint="Participants are not asked whether their audio may be kept after transcription."
            checked={form.skipConsent} onChange={(e) => set('skipConsent', e.target.checked)} error={fieldError('skipConsent')} />
        </fieldset>
        <fieldset>
          <legend>After each transcript</legend>
          <TextField label={FIELD_LABELS.webhookUrl} type="url" inputMode="url" placeholder="https://example.com/hooks/transcripts" value={form.webhookUrl}
            onChange={(e) => set('webhookUrl', e.target.value)} error={fieldError('webhookUrl')} hint="We POST transcript.completed here, signed with the secret." />
          <TextField label={FIELD_LABELS.webhookSecret} type="password" autoComplete="new-password" value={form.webhookSecret} onChange={(e) => set('webhookSecret', e.target.value)}
            error={fieldError('webhookSecret')} hint={room?.hasWebhookSecret ? 'A secret is set; type a new one to replace it.' : 'At least 16 characters.'} />
          <TextField label={FIELD_LABELS.retentionDays} type="number" inputMode="numeric" min={1} max={3650} value={form.retentionDays}
            onChange={(e) => set('retentionDays', e.target.value)} error={fieldError('retentionDays')} hint="Empty: keep them until deleted." />
          <CheckField label={FIELD_LABELS.emailParticipants} checked={form.emailParticipants} onChange={(e) => set('emailParticipants', e.target.checked)} error={fieldError('emailParticipants')}
            disabled={!defaults.delivery.email && !form.emailParticipants}
            hint={defaults.delivery.email ? "Each participant with an account gets the title, summary, action items and a link (it opens for those the recording is shared with)." : 'This server sends no mail (its operator sets SMTP_URL).'} />
          <TextField label={FIELD_LABELS.zulipStream} value={form.zulipStream} placeholder="meetings" onChange={(e) => set('zulipStream', e.target.value)} error={fieldError('zulipStream')}
            disabled={!defaults.delivery.zulip && !form.zulipStream} autoComplete="off"
            hint={defaults.delivery.zulip ? "The notes are posted there, and the message edited when the transcript is corrected. Empty: none." : 'This server has no Zulip bot (its operator sets ZULIP_SITE, ZULIP_BOT_EMAIL, ZULIP_API_KEY).'} />
          <TextField label={FIELD_LABELS.zulipTopic} value={form.zulipTopic} placeholder={form.name || name || 'the room’s name'} onChange={(e) => set('zulipTopic', e.target.value)} error={fieldError('zulipTopic')}
            disabled={!form.zulipStream.trim()} autoComplete="off" hint="Empty: the room's name." />
        </fieldset>
        <fieldset>
          <legend>Words and context</legend>
          <TextAreaField label={FIELD_LABELS.vocabulary} rows={4} value={form.vocabulary} onChange={(e) => set('vocabulary', e.target.value)} error={vocabularyError}
            hint="Product names, jargon, names of people often mentioned: the speech recognizer is told them so they come out as written (the participants' names are told anyway). Up to 100." />
          <TextAreaField label={FIELD_LABELS.background} rows={3} maxLength={4000} value={form.background} onChange={(e) => set('background', e.target.value)} error={fieldError('background')}
            hint="Who the team is and what these meetings are for. Given to a summary service (SUMMARY_ENGINE=openai-compatible); the offline summary does not use it." />
        </fieldset>
        <div className="actions">
          <button type="submit" className="button-primary" disabled={busy}>{busy ? 'Saving…' : editing ? 'Save changes' : 'Create room'}</button>
          <Link href="/" className="button">Cancel</Link>
          {editing && <button type="button" className="button-danger" onClick={() => void remove()}>Delete room</button>}
        </div>
      </form>
    </div>
  );
}

function platformHint(offered: number, editing: boolean, chosen: boolean): string | undefined {
  if (offered === 1) return 'The one platform configured on this server.';
  if (editing) return 'Meetings under way stay on the platform they started on; the next one is held here.';
  return chosen ? undefined : 'Where this server puts a new room of this name unless you choose.';
}

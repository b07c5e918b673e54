// Reading RIFF/WAVE files (enough to check a chunk's format and reach its samples), and the header of a plain PCM one.
// Chunks are walked rather than assumed at fixed offsets: ffmpeg, for one, writes a LIST chunk before `data`.

export interface WavInfo {
  /** 1 = integer PCM; 0xFFFE (extensible) is reported as such. */
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Byte offset and length of the `data` chunk's payload (length clipped to the bytes present). */
  dataOffset: number;
  dataLength: number;
  durationSeconds: number;
}

export class WavFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WavFormatError';
  }
}

export function parseWav(bytes: Uint8Array): WavInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new WavFormatError('not a RIFF/WAVE file');
  let fmt: Omit<WavInfo, 'dataOffset' | 'dataLength' | 'durationSeconds'> | undefined;
  let at = 12;
  while (at + 8 <= bytes.byteLength) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.byteLength) throw new WavFormatError('truncated fmt chunk');
      fmt = {
        format: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('data chunk before fmt chunk');
      // Streaming writers leave the size at 0 or 0xFFFFFFFF: the data then runs to the end of the file.
      const declared = size === 0 || size === 0xffffffff ? bytes.byteLength - body : size;
      const dataLength = Math.min(declared, bytes.byteLength - body);
      const bytesPerSecond = fmt.sampleRate * fmt.channels * (fmt.bitsPerSample / 8);
      return { ...fmt, dataOffset: body, dataLength, durationSeconds: bytesPerSecond > 0 ? dataLength / bytesPerSecond : 0 };
    }
    at = body + size + (size % 2); // chunks are word-aligned
  }
  throw new WavFormatError(fmt ? 'no data chunk' : 'no fmt chunk');
}

/** The format every engine is given: 16 kHz, mono, 16-bit integer PCM. Throws WavFormatError otherwise. */
export function assertSpeechWav(info: WavInfo): void {
  const problems = [
    info.format !== 1 && `format ${info.format} (expected 1, integer PCM)`,
    info.channels !== 1 && `${info.channels} channels (expected mono)`,
    info.sampleRate !== 16_000 && `${info.sampleRate} Hz (expected 16000)`,
    info.bitsPerSample !== 16 && `${info.bitsPerSample}-bit samples (expected 16)`,
  ].filter(Boolean);
  if (problems.length) throw new WavFormatError(`unsupported WAV: ${problems.join(', ')}`);
}

/** The 16-bit samples of a parsed file (copied, so odd offsets are fine). */
export function pcm16Samples(bytes: Uint8Array, info: WavInfo): Int16Array {
  const length = Math.floor(info.dataLength / 2);
  const samples = new Int16Array(length);
  const view = new DataView(bytes.buffer, bytes.byteOffset + info.dataOffset, length * 2);
  for (let i = 0; i < length; i++) samples[i] = view.getInt16(i * 2, true);
  return samples;
}

/** The 44-byte header of a canonical integer-PCM WAV holding `dataBytes` of 16-bit samples. */
export function pcm16WavHeader(dataBytes: number, sampleRate: number, channels: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

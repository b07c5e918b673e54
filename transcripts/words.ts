// The shared vocabulary of transcription: words on the recording's timeline, grouped into speaker turns.
// Times are seconds from the recording's start.

/** A word as a recognizer returns it, relative to the audio it was given. */
export interface RecognizedWord {
  text: string;
  start: number;
  end: number;
  /** 0..1, or null when the engine gives none. */
  confidence: number | null;
}

/** A word placed on the recording's timeline, attributed to a speaker (the index into the transcript's participants). */
export interface TimedWord extends RecognizedWord {
  speaker: number;
}

export interface Speaker {
  index: number;
  name: string;
}

/** One speaker turn: consecutive words of one speaker. */
export interface Segment {
  speaker: number;
  speakerName: string;
  start: number;
  end: number;
  text: string;
  words: TimedWord[];
}

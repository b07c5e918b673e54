"""faster-whisper's `hotwords` option, for `npm run bench:speech` (the names comparison).

speech/whisper/server.py has no field for hotwords (OpenAI's API has none), so this helper loads the same model
with the same options as the server (device cpu, compute_type int8, beam 5, Whisper's temperature fallback,
condition_on_previous_text False, word timestamps) and recognizes the clips it is given, one JSON object a line on
stdin: {"id", "wav", "language", "hotwords"?, "prompt"?}. It answers one line each: {"id", "words": [...]}, the
words as the server would return them. Run with the project's environment: .venv/bin/python.
"""

import argparse
import json
import sys
import time

# The server's fallback (speech/whisper/server.py TEMPERATURE_FALLBACK).
TEMPERATURE_FALLBACK = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--beam-size", type=int, default=5)
    args = parser.parse_args()

    from faster_whisper import WhisperModel

    started = time.monotonic()
    model = WhisperModel(args.model_dir, device="cpu", compute_type="int8", cpu_threads=args.threads, num_workers=1, local_files_only=True)
    print(json.dumps({"event": "loaded", "seconds": round(time.monotonic() - started, 2)}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        segments, _info = model.transcribe(
            job["wav"],
            language=job.get("language") or None,
            task="transcribe",
            beam_size=args.beam_size,
            temperature=TEMPERATURE_FALLBACK,
            initial_prompt=job.get("prompt") or None,
            hotwords=job.get("hotwords") or None,
            condition_on_previous_text=False,
            word_timestamps=True,
        )
        words = [w.word.strip() for s in segments for w in (s.words or []) if w.word.strip()]
        print(json.dumps({"id": job["id"], "words": words}), flush=True)


if __name__ == "__main__":
    main()

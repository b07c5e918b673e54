"""Whisper speech recognition (faster-whisper on CTranslate2) served as OpenAI's audio transcription API.

    POST /v1/audio/transcriptions   multipart/form-data: file, model, language, prompt, temperature,
                                    response_format (json | text | verbose_json), timestamp_granularities[]
    GET  /v1/models                 the one model this server holds
    GET  /health                    {"status": "ok", ...}

The worker starts it as a long-lived child (speech/whisper/engine.ts) and reaches it through the
openai-compatible engine, so there is one way of talking to a recognizer. It runs on its own just as well,
for instance on a GPU machine that the workers' SPEECH_API_URL points at:

    .venv/bin/python speech/whisper/server.py --model-dir .venv/models/whisper-base --device cuda --port 9000

The model is loaded once and serves every request; `--workers` recognitions run at once (CTranslate2's
num_workers), each on `--threads` CPU threads, and further requests wait for a free one. A request whose
client has gone (the activity was cancelled) is dropped before it starts, or stops at the next step of its
work (encoding, decoding or aligning a 30 s window). Answers and errors have OpenAI's shapes ({"error": {"message", "type", "param", "code"}}).

Only the Python standard library besides faster-whisper: the HTTP server is http.server, the multipart body
is split by hand below (the format is simple and exact; the stdlib's cgi module is deprecated).
"""

import argparse
import hmac
import io
import json
import os
import select
import socket
import sys
import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY_BYTES = 200 * 1024 * 1024
RESPONSE_FORMATS = ("json", "text", "verbose_json")
# Whisper's temperature fallback, as openai-whisper and OpenAI's API do when temperature is 0 or unset.
TEMPERATURE_FALLBACK = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


class RequestError(Exception):
    def __init__(self, status, message, code=None, param=None, type_="invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.type = status, message, code, param, type_


class ClientGone(Exception):
    pass


def log(event, **fields):
    sys.stderr.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stderr.flush()


def header_params(value):
    """'multipart/form-data; boundary=x' → ('multipart/form-data', {'boundary': 'x'}), RFC 2045 quoting included."""
    message = Message()
    message["content-type"] = value
    params = message.get_params() or []
    return (params[0][0].lower() if params else ""), {k.lower(): v for k, v in params[1:]}


def parse_multipart(body, content_type):
    """Text fields as {name: [values]} and the file part as (filename, content type, bytes), or None."""
    kind, params = header_params(content_type)
    boundary = params.get("boundary")
    if kind != "multipart/form-data" or not boundary:
        raise RequestError(400, "the body must be multipart/form-data with a boundary", code="invalid_body")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    pieces = (b"\r\n" + body).split(delimiter)
    if len(pieces) < 2 or not pieces[-1].startswith(b"--"):
        raise RequestError(400, "the multipart body is not closed by its boundary", code="invalid_body")
    fields, file = {}, None
    for piece in pieces[1:-1]:
        # After the delimiter: optional transport padding, CRLF, headers, CRLF CRLF, content.
        line_end = piece.find(b"\r\n")
        head_end = piece.find(b"\r\n\r\n", line_end)
        if line_end < 0 or head_end < 0:
            raise RequestError(400, "a multipart part has no header block", code="invalid_body")
        headers = Message()
        for line in piece[line_end + 2 : head_end].decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip()] = value.strip()
        content = piece[head_end + 4 :]
        name = headers.get_param("name", header="content-disposition")
        filename = headers.get_param("filename", header="content-disposition")
        if name is None:
            continue
        if filename is not None:
            if name == "file":
                file = (filename, headers.get_content_type(), content)
        else:
            fields.setdefault(name, []).append(content.decode("utf-8", "replace"))
    return fields, file


# The request a thread is working on: its check for a client that has gone (see Recognizer.transcribe).
_current = threading.local()


def _stop_if_gone():
    gone = getattr(_current, "gone", None)
    if gone is not None and gone():
        raise ClientGone()


def cancellable_model_class():
    """faster-whisper's model, checking before each step of a window (encode, decode, align) that the request is
    still wanted: a cancelled request then stops within one step instead of finishing its 30 s window. These three
    methods are faster-whisper's own (1.2, pinned in requirements.txt); the server refuses to start without them."""
    from faster_whisper import WhisperModel

    steps = ("encode", "generate_with_fallback", "add_word_timestamps")
    missing = [name for name in steps if not callable(getattr(WhisperModel, name, None))]
    if missing:
        raise RuntimeError(f"this faster-whisper has no {', '.join(missing)}; install the version in speech/whisper/requirements.txt")

    def checked(name):
        original = getattr(WhisperModel, name)

        def step(self, *args, **kwargs):
            _stop_if_gone()
            return original(self, *args, **kwargs)

        return step

    return type("CancellableWhisperModel", (WhisperModel,), {name: checked(name) for name in steps})


class Recognizer:
    def __init__(self, args):
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        started = time.monotonic()
        self.model = cancellable_model_class()(
            args.model_dir,
            device=args.device,
            compute_type=args.compute_type,
            cpu_threads=args.threads,
            num_workers=args.workers,
            local_files_only=True,
        )
        self.name = args.model_name or os.path.basename(os.path.normpath(args.model_dir))
        self.beam_size = args.beam_size
        self.languages = set(_LANGUAGE_CODES) if self.model.model.is_multilingual else {"en"}
        self.slots = threading.BoundedSemaphore(args.workers)
        self.busy = 0
        self.load_seconds = time.monotonic() - started

    def transcribe(self, audio_bytes, *, language, prompt, temperature, want_words, gone):
        from faster_whisper import decode_audio

        if language is not None and language not in self.languages:
            raise RequestError(400, f"language '{language}' is not supported by this model", code="unsupported_language", param="language")
        try:
            audio = decode_audio(io.BytesIO(audio_bytes), sampling_rate=16000)
        except Exception as error:  # PyAV raises its own error types for every kind of bad input
            raise RequestError(400, f"the audio file could not be decoded: {error}", code="invalid_audio", param="file") from error
        # Wait for a free recognition slot, dropping the request if its client leaves meanwhile.
        while not self.slots.acquire(timeout=0.25):
            if gone():
                raise ClientGone()
        try:
            self.busy += 1
            _current.gone = gone
            try:
                if gone():
                    raise ClientGone()
                if audio.size == 0:
                    return {"language": language or "en", "duration": 0.0, "segments": []}
                segments, info = self.model.transcribe(
                    audio,
                    language=language,
                    task="transcribe",
                    beam_size=self.beam_size,
                    temperature=TEMPERATURE_FALLBACK if not temperature else [temperature],
                    initial_prompt=prompt or None,
                    # A chunk is one stretch of speech cut at silences: no earlier text to condition on.
                    condition_on_previous_text=False,
                    word_timestamps=want_words,
                )
                result = []
                for segment in segments:  # decoded lazily, one 30 s window at a time
                    result.append(segment)
                    if gone():
                        raise ClientGone()
                return {"language": info.language, "duration": info.duration, "segments": result}
            finally:
                _current.gone = None
                self.busy -= 1
        finally:
            self.slots.release()


# Whisper sometimes loops on a word ("uh uh uh …" to the end of its window: seen on a speaker's fillers, 223 times
# for 6 said). No one says a word this many times in a row: a longer run is cut to this length.
MAX_REPEATS = 8


def drop_runaway_repeats(words):
    kept, run, previous = [], 0, None
    for w in words:
        key = w.word.strip().lower().strip(".,!?;:")
        run = run + 1 if key == previous else 1
        previous = key
        if run <= MAX_REPEATS:
            kept.append(w)
    return kept


def verbose_json(result, want_words, want_segments):
    segments = result["segments"]
    body = {
        "task": "transcribe",
        "language": result["language"],
        "duration": round(result["duration"], 3),
        "text": "".join(s.text for s in segments).strip(),
    }
    if want_segments:
        body["segments"] = [
            {
                "id": s.id,
                "seek": s.seek,
                "start": round(s.start, 3),
                "end": round(s.end, 3),
                "text": s.text,
                "tokens": s.tokens,
                "temperature": s.temperature,
                "avg_logprob": s.avg_logprob,
                "compression_ratio": s.compression_ratio,
                "no_speech_prob": s.no_speech_prob,
            }
            for s in segments
        ]
    if want_words:
        words = [w for s in segments for w in (s.words or []) if w.word.strip()]
        kept = drop_runaway_repeats(words)
        if len(kept) < len(words):
            body["text"] = "".join(w.word for w in kept).strip()
            log("runaway repetition cut", words=len(words), kept=len(kept))
        body["words"] = [
            {"word": w.word.strip(), "start": round(w.start, 3), "end": round(w.end, 3), "probability": round(w.probability, 4)}
            for w in kept
        ]
    return body


def make_handler(recognizer, token):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "whisper-server"

        def log_message(self, format, *args):  # requests are logged once, with their figures, below
            pass

        def send_json(self, status, body):
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def send_error_body(self, error):
            self.send_json(error.status, {"error": {"message": error.message, "type": error.type, "param": error.param, "code": error.code}})

        def authorized(self):
            if not token:
                return True
            given = self.headers.get("authorization", "")
            return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

        def client_gone(self):
            """True once the client has closed its end (a cancelled request): readable with nothing to read."""
            try:
                readable, _, _ = select.select([self.connection], [], [], 0)
                return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                return True

        def read_body(self):
            if "chunked" in self.headers.get("transfer-encoding", "").lower():
                chunks, total = [], 0
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    total += size
                    if total > MAX_BODY_BYTES:
                        raise RequestError(413, f"the body is larger than {MAX_BODY_BYTES} bytes", code="body_too_large")
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = self.headers.get("content-length")
            if length is None:
                raise RequestError(411, "a Content-Length or chunked body is required", code="length_required")
            if int(length) > MAX_BODY_BYTES:
                raise RequestError(413, f"the body is larger than {MAX_BODY_BYTES} bytes", code="body_too_large")
            return self.rfile.read(int(length))

        def do_GET(self):
            if self.path == "/health":
                return self.send_json(200, {"status": "ok", "model": recognizer.name, "busy": recognizer.busy})
            if not self.authorized():
                return self.send_error_body(RequestError(401, "missing or wrong bearer token", code="invalid_api_key"))
            if self.path == "/v1/models":
                return self.send_json(200, {"object": "list", "data": [{"id": recognizer.name, "object": "model", "owned_by": "local"}]})
            self.send_error_body(RequestError(404, f"no route GET {self.path}", code="not_found"))

        def do_POST(self):
            started = time.monotonic()
            if self.path.split("?")[0] != "/v1/audio/transcriptions":
                self.close_connection = True
                return self.send_error_body(RequestError(404, f"no route POST {self.path}", code="not_found"))
            try:
                if not self.authorized():
                    self.close_connection = True
                    raise RequestError(401, "missing or wrong bearer token", code="invalid_api_key")
                fields, file = parse_multipart(self.read_body(), self.headers.get("content-type", ""))
                if file is None:
                    raise RequestError(400, "the 'file' part is missing", code="missing_file", param="file")
                first = lambda name: (fields.get(name) or [None])[0]
                response_format = first("response_format") or "json"
                if response_format not in RESPONSE_FORMATS:
                    raise RequestError(400, f"response_format must be one of {', '.join(RESPONSE_FORMATS)}", code="unsupported_response_format", param="response_format")
                granularities = set(fields.get("timestamp_granularities[]", []) + fields.get("timestamp_granularities", []))
                want_words = response_format == "verbose_json" and "word" in granularities
                want_segments = response_format == "verbose_json" and ("segment" in granularities or not granularities)
                try:
                    temperature = float(first("temperature") or 0)
                except ValueError:
                    raise RequestError(400, "temperature must be a number between 0 and 1", param="temperature")
                if not 0 <= temperature <= 1:
                    raise RequestError(400, "temperature must be a number between 0 and 1", param="temperature")
                language = (first("language") or "").strip().lower() or None
                result = recognizer.transcribe(file[2], language=language, prompt=first("prompt"), temperature=temperature, want_words=want_words, gone=self.client_gone)
            except ClientGone:
                log("request dropped: the client has gone", seconds=round(time.monotonic() - started, 2))
                self.close_connection = True
                return
            except RequestError as error:
                log("request refused", status=error.status, code=error.code, message=error.message)
                return self.send_error_body(error)
            except Exception as error:
                log("recognition failed", error=repr(error))
                return self.send_error_body(RequestError(500, f"recognition failed: {error}", code="server_error", type_="server_error"))
            elapsed = time.monotonic() - started
            # Segments decoded above temperature 0 took more than one decoding (Whisper's fallback on unlikely text).
            log("transcribed", audio_seconds=round(result["duration"], 2), seconds=round(elapsed, 2), segments=len(result["segments"]),
                fallback=sum(1 for seg in result["segments"] if seg.temperature > 0), prompt=bool(first("prompt")))
            if response_format == "text":
                data = "".join(s.text for s in result["segments"]).strip().encode("utf-8")
                self.send_response(200)
                self.send_header("content-type", "text/plain; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                return self.wfile.write(data)
            body = verbose_json(result, want_words, want_segments)
            self.send_json(200, body if response_format == "verbose_json" else {"text": body["text"]})

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", required=True, help="a CTranslate2 Whisper model folder (model.bin, config.json, tokenizer.json, vocabulary)")
    parser.add_argument("--model-name", help="the id answered by /v1/models (default: the folder's name)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    parser.add_argument("--compute-type", default="default", help="int8 on CPU, float16 on CUDA, … (CTranslate2's names)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per recognition")
    parser.add_argument("--workers", type=int, default=1, help="recognitions at once")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed when ready)")
    parser.add_argument("--exit-with-stdin", action="store_true", help="exit when stdin closes (the parent process has gone)")
    args = parser.parse_args()
    # The bearer token comes through the environment, never the command line (which other users can read).
    token = os.environ.get("SPEECH_SERVER_TOKEN") or None

    try:
        recognizer = Recognizer(args)
    except Exception as error:
        print(json.dumps({"event": "failed", "error": f"could not load the model in {args.model_dir}: {error}"}), flush=True)
        sys.exit(2)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(recognizer, token))
    server.daemon_threads = True
    host, port = server.server_address[:2]
    if args.exit_with_stdin:
        def watch_parent():
            while sys.stdin.buffer.read(4096):
                pass
            os._exit(0)

        threading.Thread(target=watch_parent, daemon=True).start()
    print(json.dumps({
        "event": "listening",
        "url": f"http://{host}:{port}",
        "model": recognizer.name,
        "device": args.device,
        "threads": args.threads,
        "workers": args.workers,
        "loadSeconds": round(recognizer.load_seconds, 2),
    }), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

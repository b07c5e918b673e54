// Password hashing with scrypt (memory-hard, part of Node), stored as a PHC-style string that carries its
// parameters — `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` — so they can be raised later without breaking old hashes.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  logN: number;
  r: number;
  p: number;
}

/** 32 MiB and ~100 ms per hash on a laptop core; raise logN when hardware allows (needsRehash tells when). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { logN: 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
export const PASSWORD_MIN_LENGTH = 12;
/** Bounds request bodies and hashing work; long passphrases stay welcome. */
export const PASSWORD_MAX_LENGTH = 1024;

// Bounds on what a stored string may ask for, so a corrupted or planted row cannot make us burn gigabytes.
// The key length is fixed: scrypt's output for a shorter length is a prefix of the longer one, so a
// truncated key would still verify.
const LIMITS = { logN: [10, 22], r: [1, 32], p: [1, 16], salt: [16, 64], key: [KEY_BYTES, KEY_BYTES] } as const;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function scryptOptions(params: ScryptParams): ScryptOptions {
  const N = 2 ** params.logN;
  // Node's default maxmem (32 MiB) is exactly what N=2^15, r=8 needs and is refused; give scrypt room.
  return { N, r: params.r, p: params.p, maxmem: 256 * N * params.r * params.p };
}

/** Unicode-equivalent spellings of a password (e.g. composed vs decomposed accents) hash the same. */
function normalize(password: string): string {
  return password.normalize('NFKC');
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptAsync(normalize(password), salt, KEY_BYTES, scryptOptions(params));
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** True only for the right password; a malformed or tampered hash string is simply false. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseHash(encoded);
  if (!parsed) return false;
  const key = await scryptAsync(normalize(password), parsed.salt, parsed.key.length, scryptOptions(parsed.params));
  return timingSafeEqual(key, parsed.key);
}

/** True when a stored hash was made with other parameters than `params`: re-hash it at the next login. */
export function needsRehash(encoded: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): boolean {
  const parsed = parseHash(encoded);
  return !parsed || parsed.params.logN !== params.logN || parsed.params.r !== params.r || parsed.params.p !== params.p;
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

const HASH_PATTERN = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parseHash(encoded: string): ParsedHash | null {
  const match = HASH_PATTERN.exec(encoded);
  if (!match) return null;
  const [, logN, r, p, salt, key] = match;
  const params = { logN: Number(logN), r: Number(r), p: Number(p) };
  const saltBytes = Buffer.from(salt ?? '', 'base64');
  const keyBytes = Buffer.from(key ?? '', 'base64');
  const within = (value: number, [min, max]: readonly [number, number]) => value >= min && value <= max;
  if (!within(params.logN, LIMITS.logN) || !within(params.r, LIMITS.r) || !within(params.p, LIMITS.p)) return null;
  if (!within(saltBytes.length, LIMITS.salt) || !within(keyBytes.length, LIMITS.key)) return null;
  // Re-encoding must give back the same text: rejects non-canonical base64 that would decode loosely.
  if (b64(saltBytes) !== salt || b64(keyBytes) !== key) return null;
  return { params, salt: saltBytes, key: keyBytes };
}

/** Standard base64 without padding, as in PHC strings. */
function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

export type PasswordPolicyResult = { ok: true } | { ok: false; problems: string[] };

/** The rules a new password must meet; `problems` are sentences to show the person choosing it. */
export function checkPasswordPolicy(password: string): PasswordPolicyResult {
  const characters = [...normalize(password)];
  const problems: string[] = [];
  if (characters.length < PASSWORD_MIN_LENGTH) {
    problems.push(`Use at least ${PASSWORD_MIN_LENGTH} characters (this one has ${characters.length}).`);
  }
  if (characters.length > PASSWORD_MAX_LENGTH) {
    problems.push(`Use at most ${PASSWORD_MAX_LENGTH} characters (this one has ${characters.length}).`);
  }
  if (characters.length > 0 && new Set(characters).size === 1) {
    problems.push('Use more than one distinct character; a single repeated character is too easy to guess.');
  }
  return problems.length === 0 ? { ok: true } : { ok: false, problems };
}

export class PasswordPolicyError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Password refused: ${problems.join(' ')}`);
    this.name = 'PasswordPolicyError';
    this.problems = problems;
  }
}

export function assertPasswordPolicy(password: string): void {
  const result = checkPasswordPolicy(password);
  if (!result.ok) throw new PasswordPolicyError(result.problems);
}

/**
 * The secrets that sign a rule's messages, and how they are kept.
 *
 * Each rule gets a random secret, shown once at creation; messages carry `X-Labtasker-Signature: sha256=<hex>`, the
 * HMAC-SHA256 of the body under it, which a receiver checks with the same secret (the GitHub/Stripe scheme).
 *
 * A server must still sign with it later, so it cannot be stored as a one-way hash; and storing it as it is would
 * give every message's signing key to whoever can read Redis (a backup, a direct-mode user of another queue). It is
 * therefore sealed for the servers' key pair (X25519 + HKDF-SHA256 + AES-256-GCM, an ECIES "sealed box"): the public
 * half lives in Redis, so a rule can be created by any replica and in direct mode with no server running, and only a
 * holder of the private half (a server, from its key file) can open it. A symmetric server key would have made direct
 * mode unable to create rules; a secret derived from a server key and the rule id the same.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** The signature header's name and the prefix of its value. */
export const SIGNATURE_HEADER = "X-Labtasker-Signature";
const SIGNATURE_PREFIX = "sha256=";
/** Binds the derived key to its use, so the same X25519 key could never be tricked into sealing something else. */
const HKDF_INFO = Buffer.from("labtasker-redis notify secret v1");

/** A new secret: 32 random bytes (the HMAC-SHA256 key size), base64url, with a prefix that says what it is. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/** The signature header's value for `body` under `secret`. */
export function signBody(secret: string, body: string): string {
  return SIGNATURE_PREFIX + createHmac("sha256", secret).update(body).digest("hex");
}

/** A secret sealed for one public key, as stored in the rule's JSON. */
export interface SealedSecret {
  /** The ephemeral public key (raw X25519, base64). */
  epk: string;
  iv: string;
  tag: string;
  data: string;
}

function rawPublicKey(key: KeyObject): Buffer {
  // The last 32 bytes of the SPKI DER are the raw X25519 key.
  return key.export({ format: "der", type: "spki" }).subarray(-32);
}

function derivedKey(shared: Buffer, ephemeral: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", shared, Buffer.concat([ephemeral, recipient]), HKDF_INFO, 32));
}

/** Seals `secret` for the holder of the private half of `publicKeyPem`. */
export function sealSecret(publicKeyPem: string, secret: string): SealedSecret {
  const recipient = createPublicKey(publicKeyPem);
  const ephemeral = generateKeyPairSync("x25519");
  const ephemeralRaw = rawPublicKey(ephemeral.publicKey);
  const key = derivedKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), ephemeralRaw, rawPublicKey(recipient));
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return { epk: ephemeralRaw.toString("base64"), iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") };
}

/** The secret inside `sealed`; throws when `privateKey` is not the one it was sealed for. */
export function openSecret(privateKey: KeyObject, sealed: SealedSecret): string {
  const ephemeralRaw = Buffer.from(sealed.epk, "base64");
  const ephemeral = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, ephemeralRaw]), format: "der", type: "spki" });
  const key = derivedKey(diffieHellman({ privateKey, publicKey: ephemeral }), ephemeralRaw, rawPublicKey(createPublicKey(privateKey)));
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
  decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
  return Buffer.concat([decipher.update(Buffer.from(sealed.data, "base64")), decipher.final()]).toString("utf8");
}

/** The DER header of an X25519 SPKI public key (RFC 8410), before its 32 raw bytes. */
const X25519_SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

/** The servers' notification key pair: the private half opens secrets, the public half (PEM) seals them. */
export interface NotifyKey {
  privateKey: KeyObject;
  publicKeyPem: string;
}

/** A key pair from its private half (PKCS#8 PEM). */
export function notifyKeyFromPem(pem: string): NotifyKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== "x25519") throw new Error(`the notification key must be an X25519 key (got ${privateKey.asymmetricKeyType ?? "unknown"})`);
  return { privateKey, publicKeyPem: createPublicKey(privateKey).export({ format: "pem", type: "spki" }).toString() };
}

/**
 * The key pair in `path`, created there (mode 0600) when the file does not exist. Server replicas sharing a Redis must
 * share this file: a secret sealed for one key cannot be opened with another.
 */
export async function loadOrCreateNotifyKey(path: string): Promise<NotifyKey> {
  try {
    return notifyKeyFromPem(await readFile(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`cannot read the notification key ${path}: ${(error as Error).message}`);
  }
  const pem = generateKeyPairSync("x25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  await mkdir(dirname(path), { recursive: true });
  // `wx`: two processes starting at once must not overwrite each other's key; the loser reads the winner's.
  await writeFile(path, pem, { mode: 0o600, flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  return notifyKeyFromPem(await readFile(path, "utf8"));
}

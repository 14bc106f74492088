/** Rule secrets: sealed for the servers' public key, opened only with its private half; signatures a receiver checks. */
import { createHmac } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateSecret, loadOrCreateNotifyKey, openSecret, sealSecret, signBody } from "../../src/notify/secret.js";

describe("notification secrets", () => {
  it("seals a secret that only the matching private key opens, and keeps the key file private", async () => {
    const dir = await mkdtemp(join(tmpdir(), "labtasker-notify-key-"));
    try {
      const file = join(dir, "sub", "notify-key.pem");
      const key = await loadOrCreateNotifyKey(file);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await loadOrCreateNotifyKey(file)).publicKeyPem).toBe(key.publicKeyPem);
      const other = await loadOrCreateNotifyKey(join(dir, "other.pem"));

      const secret = generateSecret();
      const sealed = sealSecret(key.publicKeyPem, secret);
      expect(JSON.stringify(sealed)).not.toContain(secret.slice(6));
      expect(openSecret(key.privateKey, sealed)).toBe(secret);
      expect(() => openSecret(other.privateKey, sealed)).toThrow();
      expect(await readFile(file, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("signs the body as HMAC-SHA256 under the secret, hex, as receivers check it", () => {
    const secret = generateSecret();
    const body = '{"type":"event"}';
    expect(signBody(secret, body)).toBe(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
  });
});

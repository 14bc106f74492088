/**
 * The dashboard's page and its assets, as `npm run build` bundled them into dist/dashboard (vite: src/dashboard/).
 * Files are read once and served from memory; only names the build wrote are served (no path ever reaches the
 * file system). The page carries a Content-Security-Policy that allows this server's own scripts and styles and
 * nothing else: even text that slipped into the page as HTML could not run a script.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Request, Response } from "express";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".map": "application/json",
};

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** dist/dashboard of this package: found from this file, whether it runs from src/ (tests) or dist/. */
export function defaultAssetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, "dist", "dashboard");
}

interface Asset {
  body: Buffer;
  type: string;
}

/** The built files, or why there are none. */
export class DashboardAssets {
  private page: Buffer | undefined;
  private readonly files = new Map<string, Asset>();
  private loaded = false;

  constructor(private readonly dir: string) {}

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    const index = join(this.dir, "index.html");
    if (!existsSync(index)) return;
    this.page = readFileSync(index);
    const assets = join(this.dir, "assets");
    if (!existsSync(assets)) return;
    for (const name of readdirSync(assets)) {
      this.files.set(name, { body: readFileSync(join(assets, name)), type: TYPES[extname(name)] ?? "application/octet-stream" });
    }
  }

  /** GET / for a browser: the page, or a plain 503 saying how to build it. */
  sendPage(_req: Request, res: Response): void {
    this.load();
    res.set({
      "Content-Security-Policy": CONTENT_SECURITY_POLICY,
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-cache",
    });
    if (this.page === undefined) {
      res.status(503).type("text/plain").send(`The dashboard is not built (no ${join(this.dir, "index.html")}): run \`npm run build\`.\n`);
      return;
    }
    res.status(200).type("text/html; charset=utf-8").send(this.page);
  }

  /** GET /dashboard/assets/<name>: a built file; names carry a content hash, so they are cached for good. */
  sendAsset(req: Request, res: Response): void {
    this.load();
    const asset = this.files.get(String(req.params.name));
    if (asset === undefined) {
      res.status(404).type("application/json").send(JSON.stringify({ detail: "Not Found" }));
      return;
    }
    res.set({ "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff" });
    res.status(200).type(asset.type).send(asset.body);
  }
}

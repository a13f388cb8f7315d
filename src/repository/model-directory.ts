// Reads a Triton-layout model repository on disk: `<repo>/<model>/config.pbtxt` (optional) and
// `<repo>/<model>/<version>/<model file>`, numeric version folders only. Nothing here loads a model; names that
// could leave the repository (separators, `..`, absolute paths) are refused before any path is built.
// `stamp` fingerprints a folder (paths, sizes, mtimes and the text of its .pbtxt files) so changes can be seen.

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { invalidArgument } from '../errors';

const MODEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const VERSION_DIR = /^[0-9]+$/;
/** A plain file name: no separators, no NUL, not '.' (a '..' anywhere is refused separately). */
const MODEL_FILE = /^(?!\.$)[^/\\\0]+$/;

export function checkModelName(name: string): void {
  if (!MODEL_NAME.test(name) || name.includes('..') || name.length > 255) {
    throw invalidArgument(
      `model name '${name}' is not valid: use letters, digits, '_', '-' and '.', without path separators or '..'`,
    );
  }
}

export class ModelDirectory {
  constructor(readonly root: string) {}

  /** Model folders in the repository, sorted by name. */
  async listModels(): Promise<string[]> {
    const entries = await fs.readdir(this.root, { withFileTypes: true });
    return entries
      .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && MODEL_NAME.test(e.name) && !e.name.includes('..'))
      .map((e) => e.name)
      .sort();
  }

  async exists(model: string): Promise<boolean> {
    checkModelName(model);
    try {
      return (await fs.stat(path.join(this.root, model))).isDirectory();
    } catch {
      return false;
    }
  }

  /** config.pbtxt text, or null when the model has none (its config is completed from the ONNX file). */
  async readConfig(model: string): Promise<string | null> {
    checkModelName(model);
    try {
      return await fs.readFile(path.join(this.root, model, 'config.pbtxt'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Numeric version folders of a model, ascending. */
  async listVersions(model: string): Promise<number[]> {
    checkModelName(model);
    const entries = await fs.readdir(path.join(this.root, model), { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && VERSION_DIR.test(e.name))
      .map((e) => Number(e.name))
      .filter((v) => Number.isSafeInteger(v) && v > 0)
      .sort((a, b) => a - b);
  }

  modelFile(model: string, version: number, filename: string): string {
    checkModelName(model);
    if (!Number.isSafeInteger(version) || version < 1) throw invalidArgument(`model '${model}': version ${version} is not valid`);
    if (!MODEL_FILE.test(filename) || filename.includes('..')) {
      throw invalidArgument(`model '${model}': default_model_filename '${filename}' must be a plain file name`);
    }
    return path.join(this.root, model, String(version), filename);
  }

  /**
   * A hash of everything under `<model>[/<sub>]`: each file's relative path, size and mtime, and the full text of
   * .pbtxt files (small, and edited in place often enough that a same-size same-mtime rewrite must still count).
   * A missing folder stamps as ''.
   */
  async stamp(model: string, sub = ''): Promise<string> {
    checkModelName(model);
    const top = path.join(this.root, model, sub);
    const hash = createHash('sha256');
    const walk = async (dir: string, rel: string): Promise<void> => {
      const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const e of entries) {
        const full = path.join(dir, e.name);
        const relPath = path.join(rel, e.name);
        const st = await fs.stat(full).catch(() => null);
        if (!st) continue;
        if (st.isDirectory()) {
          await walk(full, relPath);
          continue;
        }
        hash.update(`${relPath}\0${st.size}\0${st.mtimeMs}\0`);
        if (e.name.endsWith('.pbtxt')) hash.update(await fs.readFile(full).catch(() => Buffer.alloc(0)));
      }
    };
    try {
      await walk(top, '');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    }
    return hash.digest('hex');
  }

  /** Text of `<model>/split.pbtxt` (a traffic-split alias), or null when there is none. */
  async readSplit(model: string): Promise<string | null> {
    checkModelName(model);
    try {
      return await fs.readFile(path.join(this.root, model, 'split.pbtxt'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
}

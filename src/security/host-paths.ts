// Keeps the host's file layout out of what clients see: absolute paths in a message (onnxruntime's "Load model
// from /srv/models/m/1/model.onnx failed", Node's "ENOENT … '/srv/models/m'") become "<path>/model.onnx", keeping
// only the last component that names the file. Logs keep the full paths; only RPC answers are scrubbed.

/** An absolute POSIX path (two or more components) or a Windows drive path, not preceded by a word character. */
const ABSOLUTE_PATH = /(?<![\w.:/\\-])(?:\/|[A-Za-z]:\\)(?:[^\s'"`:;,()\\/]+[\\/])+([^\s'"`:;,()\\/]*)/g;

export function scrubHostPaths(text: string): string {
  return text.replace(ABSOLUTE_PATH, (_all, last: string) => `<path>/${last}`);
}

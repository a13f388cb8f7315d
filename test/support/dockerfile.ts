// Reads a Dockerfile into instructions (comments dropped, continuation lines joined) and answers whether a path
// in the build context passes a .dockerignore made of `*`-style and `!path` lines (last matching line wins).

export interface DockerInstruction {
  keyword: string;
  args: string;
}

export function parseDockerfile(text: string): DockerInstruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line === '') continue;
    current += (current ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (!line.endsWith('\\')) {
      logical.push(current);
      current = '';
    }
  }
  return logical.map((l) => {
    const [keyword, ...rest] = l.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

export function dockerignoreAllows(dockerignore: string, contextPath: string): boolean {
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  let allowed = true;
  const target = contextPath.replace(/\/$/, '');
  for (const rule of rules) {
    const negate = rule.startsWith('!');
    const pattern = (negate ? rule.slice(1) : rule).replace(/\/$/, '');
    // `*` matches every top-level entry; a plain path matches itself and everything under it.
    const matches = pattern === '*' || target === pattern || target.startsWith(`${pattern}/`);
    if (matches) allowed = negate;
  }
  return allowed;
}
